import Query

/// The report as Markdown for tickets: the same content as the HTML, tables and no charts.
extension Report {
  public func markdown(source: String) -> String {
    var out =
      "# Presigned URL report\n\n\(Self.md(source)) · generated \(Value.iso8601(options.generatedAt)) by sigtrail\n\n"
    out += "## Summary\n\n| | |\n|---|---|\n"
    out += "| Presigned uses from | \(firstUse.map(Value.iso8601) ?? "-") |\n"
    out += "| to | \(lastUse.map(Value.iso8601) ?? "-") |\n"
    out += "| Inputs indexed | \(coverage.inputs) files, \(coverage.lines) lines or records |\n"
    out += "| Rows | \(coverage.rows) indexed, \(coverage.rejected) rejected |\n"
    out += "| Presigned URLs | \(urlCount) |\n| Uses | \(useCount) |\n| Signers | \(signerCount) |\n\n"
    out += "| Severity | Finding | Stories | Uses in the finding |\n|---|---|---|---|\n"
    for f in findings {
      let flagged = f.flaggedUses
      out += "| \(f.kind.severity) | \(Self.md(f.kind.title)) | \(f.total) | \(flagged) |\n"
    }
    for note in notes { out += "\n_\(Self.md(note))_\n" }
    for f in findings where !f.stories.isEmpty {
      out += "\n## \(f.kind.severity.uppercased()): \(Self.md(f.kind.title)) (\(f.total))\n\n"
      out += "\(Self.md(f.kind.meaning))\n"
      for s in f.stories {
        out += "\n### \(Self.md(s.title))\n\n| | |\n|---|---|\n"
        for (k, v) in s.facts { out += "| \(Self.md(k)) | \(Self.md(v)) |\n" }
        let shown = s.uses.filter(\.flagged).prefix(Self.listedUses)
        if !shown.isEmpty {
          out += "\n| Time | Source | Address | User agent | Operation | Object | Status | Id |\n"
          out += "|---|---|---|---|---|---|---|---|\n"
          for u in shown {
            out += "| \(Value.iso8601(u.time)) | \(Self.md(u.source)) | \(Self.md(u.ip)) | \(Self.md(u.userAgent)) | "
            out += "\(Self.md(u.operation)) | \(Self.md(u.object)) | \(u.status.map(String.init) ?? "-") "
            out += "\(Self.md(u.errorCode)) | \(Self.md(u.id)) |\n"
          }
        }
      }
    }
    if !signers.isEmpty { out += "\n## Signers\n" }
    for s in signers {
      out += "\n### \(Self.md(s.akid))\(s.instanceID.isEmpty ? "" : " · \(Self.md(s.instanceID))")\n\n"
      out += "Kind \(Self.md(s.keyKind)), principal \(Self.md(s.principal)).\n"
      if !s.lineage.isEmpty {
        out += "\n| Issued | By | Role | Session | Expires |\n|---|---|---|---|---|\n"
        for k in s.lineage {
          out += "| \(Value.iso8601(k.issuedAt)) | \(Self.md(k.eventName)) | \(Self.md(k.roleARN)) | "
          out += "\(Self.md(k.sessionName)) | \(k.expiresAt.map(Value.iso8601) ?? "-") |\n"
        }
      }
      out += "\n| URL | Object | Signed | Expires | Uses |\n|---|---|---|---|---|\n"
      for u in s.urls.prefix(Self.listedURLs) {
        out += "| \(Self.md(u.urlID)) | \(Self.md(u.object)) | \(u.signedAt.map(Value.iso8601) ?? "-") | "
        out += "\(u.expiresAt.map(Value.iso8601) ?? "-") | \(u.uses) |\n"
      }
      if let policy = s.policy {
        out += "\nRevoke policy for `\(Self.md(s.roleARN))`:\n\n```json\n\(policy)\n```\n"
      }
    }
    return out
  }

  /// A value in a Markdown table cell: markup escaped (tickets render HTML), pipes and line
  /// breaks made harmless.
  static func md(_ s: String) -> String {
    var out = ""
    for c in HTML.escape(s).unicodeScalars {
      switch c {
      case "|", "`", "*", "_", "[", "]", "\\":
        out += "\\"
        out.unicodeScalars.append(c)
      case "\n", "\r": out += " "
      default: out.unicodeScalars.append(c)
      }
    }
    return out
  }
}
