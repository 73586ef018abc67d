import Hunts
import Query

/// What a report tells, independent of how it is drawn: the coverage of the shards, the
/// findings of each hunt as stories in time, and the signers behind them.
public struct Report: Sendable {
  public var options: ReportOptions
  public var coverage: Coverage
  /// First and last presigned use in the shards (within `--since/--until`).
  public var firstUse: Int64?
  public var lastUse: Int64?
  public var urlCount = 0
  public var useCount: Int64 = 0
  public var signerCount = 0
  /// In severity order, most severe first.
  public var findings: [Finding] = []
  public var signers: [Signer] = []
  public var notes: [String] = []
  /// The scan the findings were decided from, a few words per presigned use: kept so that a
  /// command can leave it to the end of the process (`ProcessEnd.leave`) rather than free it
  /// piece by piece, a tenth of a second over 10 GB of logs' shards.
  public var basis: SharedScan?
}

public struct ReportOptions: Sendable {
  public var allow: [CIDR] = []
  /// A revocation to test (`--role` and `--at`).
  public var role: String?
  public var revokedAt: Int64?
  public var longLivedOver: Int64 = 12 * 3_600_000_000
  public var minimumIPs = 3
  public var since: Int64?
  public var until: Int64?
  public var generatedAt: Int64 = 0
  public init() {}
}

/// What the output directory holds, from its manifest.
public struct Coverage: Sendable {
  public var inputs = 0
  public var lines: Int64 = 0
  public var rows: Int64 = 0
  public var rejected: Int64 = 0
  public init() {}
}

/// The hunts a report runs, most severe first.
public enum FindingKind: String, Sendable, CaseIterable {
  case afterTermination = "after-termination"
  case afterRevocation = "after-revocation"
  case outside
  case writes
  case spread
  case longLived = "long-lived"
  case denied

  public var title: String {
    switch self {
    case .afterTermination: return "Used after the signing instance ended"
    case .afterRevocation: return "Used after a revocation"
    case .outside: return "Used from outside your networks"
    case .writes: return "Writes through presigned URLs"
    case .spread: return "One URL used from several addresses"
    case .longLived: return "Long-lived URLs"
    case .denied: return "Bursts of denied presigned requests"
    }
  }

  public var severity: String {
    switch self {
    case .afterTermination, .afterRevocation: return "critical"
    case .outside, .writes: return "high"
    case .spread, .longLived: return "medium"
    case .denied: return "low"
    }
  }

  /// What the finding means, in one sentence.
  public var meaning: String {
    switch self {
    case .afterTermination:
      return "The URL was signed with an instance's role credentials and used after that instance was stopped or "
        + "terminated: whoever used it held the URL, not the machine."
    case .afterRevocation:
      return "Uses by sessions issued before the revocation time: denied ones show the revocation working, "
        + "succeeded ones show what it did not stop."
    case .outside: return "Presigned uses from addresses outside the allowed networks."
    case .writes: return "PUT, POST or DELETE requests through presigned URLs."
    case .spread: return "A URL used from several source addresses: shared or stolen."
    case .longLived:
      return "URLs valid for longer than the threshold (the shorter of X-Amz-Expires and the credential's life)."
    case .denied: return "Bursts of denied requests with presigned URLs: probing, or URLs that stopped working."
    }
  }
}

public struct Finding: Sendable {
  public var kind: FindingKind
  /// The stories drawn (at most `ReportBuilder.maxStories`), and how many there are in all.
  public var stories: [Story]
  public var total = 0
  /// Uses the finding names, in all its stories.
  public var flaggedUses = 0
  public var notes: [String] = []
}

/// One presigned use, as a report shows it.
public struct Use: Sendable {
  public var time: Int64
  public var source: String
  public var id: String
  public var ip: String
  public var userAgent: String
  public var operation: String
  public var object: String
  public var status: Int64?
  public var errorCode: String
  public var succeeded: Bool
  /// Whether the finding names this use (the rest of the URL's uses are context).
  public var flagged = false
}

/// A moment on a story's time axis.
public struct Event: Sendable {
  public enum Kind: String, Sendable {
    case issued, signed, ended, revoked, expires
  }
  public var kind: Kind
  public var time: Int64
  public var label: String
}

/// One finding's story: a URL (or a burst) with what happened around it, in time.
public struct Story: Sendable {
  public var title: String
  public var urlID: String
  public var signer: String
  public var principal: String
  public var instanceID: String
  public var object: String
  public var facts: [(String, String)] = []
  public var events: [Event] = []
  public var uses: [Use] = []
}

/// A signing credential seen in the findings, with its lineage and how to cut it off.
public struct Signer: Sendable {
  public var akid: String
  public var keyKind: String
  public var principal: String
  public var instanceID: String
  public var lineage: [IssuedKey]
  /// The first `Report.listedURLs` URLs it signed, by first use, of `urlCount`.
  public var urls: [(urlID: String, object: String, signedAt: Int64?, expiresAt: Int64?, uses: Int64)]
  public var urlCount: Int
  /// The revoke policy that cuts this session off, when CloudTrail showed its role.
  public var roleARN: String
  public var policy: String?
}
