import ArgumentParser
import Foundation
import Hunts
import Manifest
import Query
import Report

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write an incident report: every finding as a timeline, the signers and how to revoke them.",
    discussion: """
      Runs the hunts over an output directory and writes one self-contained HTML file (no script, \
      no network: it opens offline and prints to PDF) or Markdown for a ticket. Findings come most \
      severe first: uses after the signing instance ended or after a revocation, uses from outside \
      your networks (with --allow), writes, spread, long-lived URLs, denied bursts. Each is drawn \
      on one time axis with the session's issue, the signing, the instance's end, the revocation \
      and the expiry, and every use coloured by outcome, one lane per address and user agent. \
      Only fingerprints of secrets appear, and every value from a log is escaped.

      Examples:
        sigtrail report out --html report.html --allow 10.0.0.0/8 --allow 203.0.113.0/24
        sigtrail report out --format md --since 7d > ticket.md
        sigtrail report out --html r.html --role arn:aws:iam::111122223333:role/web --at 2024-03-01T02:30:00Z
      """)

  @Argument(help: "An output directory of sigtrail index.")
  var out: String

  @Option(help: "Write HTML to this file (same as --format html --output FILE).")
  var html: String?

  @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
  var output: String?

  @Option(help: "html or md.")
  var format: String = "html"

  @Option(
    help: ArgumentHelp(
      "An allowed network (CIDR or address); repeatable. Without it the outside hunt is not run.", valueName: "network"),
    transform: OptionValue.network)
  var allow: [CIDR] = []

  @Option(help: "A role whose revocation to test, with --at (its ARN).")
  var role: String?

  @Option(help: ArgumentHelp("When the role's sessions were revoked.", valueName: "time"), transform: OptionValue.time)
  var at: Int64?

  @Option(
    help: ArgumentHelp("Long-lived means valid longer than this (default: 12h).", valueName: "duration"),
    transform: OptionValue.duration)
  var over: Int64?

  @Option(name: .customLong("min-ips"), help: "Spread means used from at least this many addresses.")
  var minimumIPs = 3

  @OptionGroup var window: UseWindow

  @Option(help: "Threads (default: all cores).")
  var threads: Int?

  func validate() throws {
    guard ["html", "md"].contains(format) else { throw ValidationError("--format must be html or md") }
    if html != nil && (output != nil || format != "html") {
      throw ValidationError("--html FILE is --format html --output FILE: give one or the other")
    }
    if (role == nil) != (at == nil) { throw ValidationError("--role and --at go together") }
    guard minimumIPs >= 2 else { throw ValidationError("--min-ips must be at least 2") }
  }

  func run() throws {
    MallocTuning.applyForScans()
    let remote = RemoteOutputs()
    defer { remote.shutdown() }
    try orFail {
      let report = try ShardSource.consistently {
        // Brought up to date once: the hunts and the coverage read the same snapshot.
        let local = try remote.directory(for: out)
        let loaded = try ShardSource.huntDataAndManifest(
          local, since: window.since, until: window.until,
          threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, remote: remote)
        var data = loaded.data
        var options = ReportOptions()
        options.allow = allow
        options.role = role
        options.revokedAt = at
        if let over { options.longLivedOver = over }
        options.minimumIPs = minimumIPs
        (options.since, options.until) = (data.since, data.until)
        options.generatedAt = TimeLiteral.nowMicros()
        let coverage = loaded.manifest.map(Self.coverage) ?? Coverage()
        return try ReportBuilder.build(&data, options: options, coverage: coverage)
      }
      let text = format == "md" ? report.markdown(source: out) : report.html(source: out)
      if let path = html ?? output {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        let findings = report.findings.reduce(0) { $0 + $1.stories.count }
        Streams.error("sigtrail: wrote \(path): \(findings) findings, \(report.signers.count) signers\n")
      } else {
        Streams.output(text)
      }
      ProcessEnd.leave(report)
    }
  }

  /// Files, lines and rows the manifest says the output holds.
  static func coverage(_ state: ManifestState) -> Coverage {
    var c = Coverage()
    c.inputs = state.inputs.count
    for input in state.inputs.values {
      for piece in input.pieces {
        c.lines += piece.lines
        c.rows += piece.rows
        c.rejected += piece.rejected
      }
    }
    return c
  }
}
