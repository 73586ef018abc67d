import ArgumentParser
import Foundation
import Hunts
import Query

/// Options every hunt takes.
struct HuntOptions: ParsableArguments {
  @Argument(help: "Output directory of `sigtrail index` (its s3_access and cloudtrail tables are read).")
  var out: String

  @OptionGroup var window: UseWindow

  @OptionGroup var output: ResultOptions

  func data(_ remote: RemoteOutputs) throws -> HuntData {
    MallocTuning.applyForScans()
    return try ShardSource.huntData(
      out, since: window.since, until: window.until, threads: output.threadCount, remote: remote)
  }

  /// Runs a hunt body, prints its result, and turns errors into messages and exit 1.
  func run(_ body: (inout HuntData) throws -> HuntResult) throws {
    let remote = RemoteOutputs()
    defer { remote.shutdown() }
    try orFail {
      let (result, statistics) = try ShardSource.consistently {
        var d = try data(remote)
        let result = try body(&d)
        return (result, d.statistics)
      }
      output.emit(header: result.header, rows: result.rows, notes: result.notes, statistics: statistics)
    }
  }
}

struct HuntCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hunt",
    abstract: "Canned hunts for presigned-URL abuse over the shards.",
    discussion: """
      Each hunt reads both tables (s3_access and cloudtrail) of an output directory, counts every \
      request or event once however often it was delivered, and prints a table on a terminal or \
      JSON Lines in a pipe. A URL is identified by its signer, signing time, validity and object \
      (url_id; a SigV2 URL by its Expires), the same in access logs and CloudTrail data events.

        presigned          every presigned URL: signer, principal, validity, first/last use, uses, IPs, agents
        outside            presigned uses from outside --allow networks
        after-termination  uses after the signing instance was stopped or terminated (the seed article's case)
        after-revocation   uses by a role's sessions issued before a revocation time, succeeded vs denied
        long-lived         URLs whose effective validity exceeds --over
        writes             PUT, POST and DELETE through presigned URLs
        spread             URLs used from several IPs or user agents
        denied             bursts of denied presigned requests, browser favicon.ico side requests told apart
        revoke-policy      the IAM deny policy that revokes a role's older sessions, with the evidence

      Example: sigtrail hunt after-termination out
      """,
    subcommands: [
      Presigned.self, Outside.self, AfterTermination.self, AfterRevocation.self, Revocations.self, LongLived.self,
      Writes.self,
      Spread.self, Denied.self, RevokePolicy.self,
    ])

  struct Presigned: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Every presigned URL with signer, principal, signed_at, expires_at, first/last use and usage.")
    @OptionGroup var options: HuntOptions
    func run() throws { try options.run { try Hunts.presigned(&$0) } }
  }

  struct Outside: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Presigned uses from outside the allowed networks.",
      discussion: "Example: sigtrail hunt outside out --allow 10.0.0.0/8 --allow 203.0.113.0/24 --allow 2001:db8::/32")
    @OptionGroup var options: HuntOptions
    @Option(
      help: ArgumentHelp("An allowed network (CIDR or address, IPv4 or IPv6); repeatable.", valueName: "network"),
      transform: OptionValue.network)
    var allow: [CIDR] = []
    func validate() throws {
      guard !allow.isEmpty else { throw ValidationError("give at least one --allow CIDR") }
    }
    func run() throws { try options.run { try Hunts.outside(&$0, allow: allow) } }
  }

  struct AfterTermination: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "after-termination",
      abstract: "Presigned uses after the signing instance was stopped or terminated.",
      discussion: """
        Joins each signing key to the instance-profile session CloudTrail saw issue it (AssumeRole \
        by ec2.amazonaws.com, session name = instance id) and that instance's StopInstances or \
        TerminateInstances. Without CloudTrail management events, give the instance and the time \
        it ended: uses whose principal is that instance's role session (…/assumed-role/ROLE/i-…) \
        after --at are listed.

        Examples:
          sigtrail hunt after-termination out
          sigtrail hunt after-termination out --instance i-0317f6c6b66ae9c40 --at 2024-03-01T07:10:00Z
        """)
    @OptionGroup var options: HuntOptions
    @Option(help: "Instance id, for the manual form (with --at).")
    var instance: String?
    @Option(
      help: ArgumentHelp("When the instance ended, for the manual form.", valueName: "time"),
      transform: OptionValue.time)
    var at: Int64?
    func validate() throws {
      guard (instance == nil) == (at == nil) else { throw ValidationError("--instance and --at go together") }
    }
    func run() throws { try options.run { try Hunts.afterTermination(&$0, instance: instance, at: at) } }
  }

  struct AfterRevocation: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "after-revocation",
      abstract: "Uses at or after a revocation by a role's sessions issued before it, succeeded vs denied.",
      discussion: """
        Without --role and --at, every revocation CloudTrail recorded is taken (see `hunt \
        revocations`), each with its policy's aws:TokenIssueTime. A session is issued before the \
        revocation when CloudTrail shows its AssumeRole earlier; sessions of the role whose issue is \
        not in the shards are listed too, with an empty session_issued_at.

        Examples:
          sigtrail hunt after-revocation out
          sigtrail hunt after-revocation out --role arn:aws:iam::123456789012:role/web --at 2024-03-01T12:00:00Z
        """)
    @OptionGroup var options: HuntOptions
    @Option(help: "Role ARN (arn:aws:iam::ACCOUNT:role/NAME); with --at, instead of the revocations found.")
    var role: String?
    @Option(help: ArgumentHelp("Revocation time.", valueName: "time"), transform: OptionValue.time)
    var at: Int64?
    func validate() throws {
      guard (role == nil) == (at == nil) else { throw ValidationError("give --role and --at together, or neither") }
    }
    func run() throws {
      if let role, let at {
        try options.run { try Hunts.afterRevocation(&$0, role: role, at: at) }
      } else {
        try options.run { try Hunts.afterRevocations(&$0) }
      }
    }
  }

  struct Revocations: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Every revocation CloudTrail recorded, and whether it stopped the uses after it.",
      discussion: """
        A revocation is a PutRolePolicy or PutUserPolicy that succeeded with a policy denying on \
        aws:TokenIssueTime (DateLessThan): the console's "Revoke active sessions" \
        (AWSRevokeOlderSessions) or one written by hand. For each, the presigned uses after it by \
        sessions issued before its time: denied (it worked) or succeeded (it did not: another \
        principal, a long-term key, eventual consistency). `hunt after-revocation` lists those uses.

        Example: sigtrail hunt revocations out
        """)
    @OptionGroup var options: HuntOptions
    func run() throws { try options.run { try Hunts.revocations(&$0) } }
  }

  struct LongLived: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "long-lived",
      abstract: "URLs whose effective validity exceeds a duration.",
      discussion: """
        Effective validity = min(X-Amz-Expires, how long the signing credential still lived): its \
        expiration when CloudTrail saw it issued, else 36 h for an unknown temporary (ASIA) key; \
        long-term (AKIA) keys keep X-Amz-Expires (up to 7 days). SigV2 URLs use their absolute \
        Expires, counted from first use, which catches far-future URLs.

        Example: sigtrail hunt long-lived out --over 12h
        """)
    @OptionGroup var options: HuntOptions
    @Option(
      help: ArgumentHelp("Duration: 90m, 12h, 7d, 1h30m.", valueName: "duration"),
      transform: OptionValue.duration)
    var over: Int64
    func run() throws { try options.run { try Hunts.longLived(&$0, over: over) } }
  }

  struct Writes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "PUT, POST and DELETE made through presigned URLs.")
    @OptionGroup var options: HuntOptions
    func run() throws { try options.run { try Hunts.writes(&$0) } }
  }

  struct Spread: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "URLs used from several IPs (or user agents).",
      discussion: "Example: sigtrail hunt spread out --min-ips 3")
    @OptionGroup var options: HuntOptions
    @Option(help: "At least this many distinct remote IPs.")
    var minIps = 2
    @Option(help: "Or at least this many distinct user agents (0: not used).")
    var minAgents = 0
    func run() throws { try options.run { try Hunts.spread(&$0, minimumIPs: minIps, minimumAgents: minAgents) } }
  }

  struct Denied: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Bursts of denied presigned requests, with browser favicon.ico side requests told apart.",
      discussion: """
        Requests from one address with one signing key less than --gap apart form a burst. Opening a \
        presigned URL in a browser makes it fetch /favicon.ico from the same host, unsigned, which \
        S3 denies: those are reported as such, not as probing.
        """)
    @OptionGroup var options: HuntOptions
    @Option(
      help: ArgumentHelp("Largest pause inside a burst (default: 5m).", valueName: "duration"),
      transform: OptionValue.duration)
    var gap: Int64?
    func run() throws { try options.run { try Hunts.denied(&$0, gap: gap ?? 300_000_000) } }
  }

  struct RevokePolicy: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "revoke-policy",
      abstract: "Print the IAM deny policy that revokes a role's sessions issued before a time.",
      discussion: """
        The policy is the one AWS attaches for "Revoke active sessions": deny everything when \
        aws:TokenIssueTime is before --before (default: now). Presigned URLs signed with those \
        sessions stop working too. The sessions the shards show for the role, and whether the \
        policy cuts them off, go to standard error.

        Example:
          sigtrail hunt revoke-policy out --role arn:aws:iam::123456789012:role/web > deny.json
          aws iam put-role-policy --role-name web --policy-name RevokeOlderSessions --policy-document file://deny.json
        """)
    @OptionGroup var options: HuntOptions
    @Option(help: "Role ARN.")
    var role: String
    @Option(
      help: ArgumentHelp("Revoke sessions issued before this time (default: now).", valueName: "time"),
      transform: OptionValue.time)
    var before: Int64?
    func run() throws {
      let cutoff = before ?? TimeLiteral.nowMicros()
      try orFail {
        let remote = RemoteOutputs()
        defer { remote.shutdown() }
        var d = try options.data(remote)
        let (policy, evidence) = try Hunts.revokePolicy(&d, role: role, before: cutoff)
        print(policy)
        var err = "sessions of \(role) in the shards:\n"
        err += Table.align([evidence.header] + evidence.rows.map { $0.map { $0.isNull ? "-" : $0.text } }).joined(
          separator: "\n")
        Streams.error((err + "\n"))
      }
    }
  }
}
