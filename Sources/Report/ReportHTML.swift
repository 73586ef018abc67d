import Query

/// The report as one self-contained HTML file: no script, no external style, font or image, so
/// it opens the same from an air-gapped laptop, an e-mail attachment or a PDF printer.
extension Report {
  /// Uses listed under each timeline; the timeline itself shows them all.
  static let listedUses = 100
  /// URLs listed per signer, those used first first.
  static let listedURLs = 50

  public func html(source: String) -> String {
    var out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    out += "<title>sigtrail report: \(HTML.escape(source))</title><style>\(Self.style)</style></head><body>\n"
    out += "<header><h1>Presigned URL report</h1><p class=\"sub\">\(HTML.escape(source)) · generated "
    out += "\(Value.iso8601(options.generatedAt)) by sigtrail</p></header>\n"
    out += summaryHTML()
    for finding in findings where !finding.stories.isEmpty { out += findingHTML(finding) }
    out += signersHTML()
    out += "<footer>Only fingerprints of signatures and session tokens are shown, as the shards hold them. "
    out += "Every value from a log is escaped.</footer>\n</body></html>\n"
    return out
  }

  func summaryHTML() -> String {
    var out = "<section id=\"summary\"><h2>Summary</h2><table class=\"kv\">"
    func row(_ k: String, _ v: String) { out += "<tr><th>\(HTML.escape(k))</th><td>\(HTML.escape(v))</td></tr>" }
    row("Presigned uses from", firstUse.map(Value.iso8601) ?? "-")
    row("to", lastUse.map(Value.iso8601) ?? "-")
    if options.since != nil || options.until != nil {
      row("Window", "\(options.since.map(Value.iso8601) ?? "…") to \(options.until.map(Value.iso8601) ?? "…")")
    }
    row("Inputs indexed", "\(coverage.inputs) files, \(coverage.lines) lines or records")
    row("Rows", "\(coverage.rows) indexed, \(coverage.rejected) rejected")
    row("Presigned URLs", String(urlCount))
    row("Uses", String(useCount))
    row("Signers", String(signerCount))
    out += "</table><h3>Findings</h3><table class=\"findings\"><tr><th>Severity</th><th>Finding</th><th>Stories</th>"
    out += "<th>Uses in the finding</th></tr>"
    for f in findings {
      let flagged = f.flaggedUses
      let name =
        f.stories.isEmpty
        ? HTML.escape(f.kind.title) : "<a href=\"#\(f.kind.rawValue)\">\(HTML.escape(f.kind.title))</a>"
      out += "<tr class=\"\(f.stories.isEmpty ? "none" : "some")\"><td><span class=\"sev \(f.kind.severity)\">"
      out += "\(f.kind.severity)</span></td><td>\(name)</td><td>\(f.total)</td><td>\(flagged)</td></tr>"
    }
    out += "</table>"
    for note in notes { out += "<p class=\"note\">\(HTML.escape(note))</p>" }
    return out + "</section>\n"
  }

  func findingHTML(_ f: Finding) -> String {
    var out = "<section class=\"finding\" id=\"\(f.kind.rawValue)\" data-kind=\"\(f.kind.rawValue)\">"
    out += "<h2><span class=\"sev \(f.kind.severity)\">\(f.kind.severity)</span> \(HTML.escape(f.kind.title)) "
    out += "<span class=\"count\">(\(f.total))</span></h2><p>\(HTML.escape(f.kind.meaning))</p>"
    for note in f.notes { out += "<p class=\"note\">\(HTML.escape(note))</p>" }
    for (i, s) in f.stories.enumerated() {
      out += "<article class=\"story\" id=\"\(f.kind.rawValue)-\(i + 1)\" data-url=\"\(HTML.escape(s.urlID))\" "
      out += "data-signer=\"\(HTML.escape(s.signer))\" data-instance=\"\(HTML.escape(s.instanceID))\" "
      out += "data-object=\"\(HTML.escape(s.object))\" "
      out += "data-flagged=\"\(s.uses.filter(\.flagged).count)\"><h3>\(HTML.escape(s.title))</h3><dl>"
      for (k, v) in s.facts { out += "<dt>\(HTML.escape(k))</dt><dd>\(HTML.escape(v))</dd>" }
      out += "</dl>" + Timeline(story: s).svg() + Self.legend + usesTable(s) + "</article>"
    }
    return out + "</section>\n"
  }

  static let legend =
    "<p class=\"legend\"><span class=\"k ok\"></span>succeeded <span class=\"k denied\"></span>denied "
    + "<span class=\"k flagged\"></span>in this finding · lines: <b class=\"issued\">session issued</b> "
    + "<b class=\"signed\">signed</b> <b class=\"ended\">instance ended</b> <b class=\"revoked\">revocation</b> "
    + "<b class=\"expires\">expiry</b></p>"

  func usesTable(_ s: Story) -> String {
    guard !s.uses.isEmpty else { return "" }
    let shown = s.uses.filter(\.flagged).prefix(Self.listedUses)
    var out = "<table class=\"uses\"><tr><th>Time</th><th>Source</th><th>Address</th><th>User agent</th>"
    out += "<th>Operation</th><th>Object</th><th>Status</th><th>Id</th></tr>"
    for u in shown {
      out += "<tr class=\"\(u.succeeded ? "ok" : "denied")\" data-id=\"\(HTML.escape(u.id))\">"
      out += "<td>\(Value.iso8601(u.time))</td>"
      out += "<td>\(HTML.escape(u.source))</td><td>\(HTML.escape(u.ip))</td><td>\(HTML.escape(u.userAgent))</td>"
      out += "<td>\(HTML.escape(u.operation))</td><td>\(HTML.escape(u.object))</td>"
      out +=
        "<td>\(u.status.map(String.init) ?? "-") \(HTML.escape(u.errorCode))</td><td>\(HTML.escape(u.id))</td></tr>"
    }
    out += "</table>"
    let flagged = s.uses.filter(\.flagged).count
    if flagged > shown.count {
      out += "<p class=\"note\">\(flagged - shown.count) more uses in this finding: "
      out += "<code>sigtrail query OUT --where \"credential_akid = '\(HTML.escape(s.signer))'\"</code></p>"
    }
    return out
  }

  func signersHTML() -> String {
    guard !signers.isEmpty else { return "" }
    var out = "<section id=\"signers\"><h2>Signers</h2><p>Each credential that signed a URL in a finding: where "
    out += "it came from, what it signed, and how to cut it off.</p>"
    for s in signers {
      out += "<article class=\"signer\" data-signer=\"\(HTML.escape(s.akid))\"><h3>\(HTML.escape(s.akid))"
      out += s.instanceID.isEmpty ? "" : " · \(HTML.escape(s.instanceID))"
      out += "</h3><dl><dt>Kind</dt><dd>\(HTML.escape(s.keyKind))</dd><dt>Principal</dt>"
      out += "<dd>\(HTML.escape(s.principal))</dd></dl>"
      if !s.lineage.isEmpty {
        out += "<h4>Lineage (CloudTrail)</h4><table><tr><th>Issued</th><th>By</th><th>Role</th><th>Session</th>"
        out += "<th>Expires</th><th>Invoked by</th></tr>"
        for k in s.lineage {
          out += "<tr><td>\(Value.iso8601(k.issuedAt))</td><td>\(HTML.escape(k.eventName))</td>"
          out += "<td>\(HTML.escape(k.roleARN))</td><td>\(HTML.escape(k.sessionName))</td>"
          out += "<td>\(k.expiresAt.map(Value.iso8601) ?? "-")</td><td>\(HTML.escape(k.invokedBy))</td></tr>"
        }
        out += "</table>"
      }
      out += "<h4>URLs signed</h4><table><tr><th>URL</th><th>Object</th><th>Signed</th><th>Expires</th>"
      out += "<th>Uses</th></tr>"
      for u in s.urls.prefix(Self.listedURLs) {
        out += "<tr><td>\(HTML.escape(u.urlID))</td><td>\(HTML.escape(u.object))</td>"
        out += "<td>\(u.signedAt.map(Value.iso8601) ?? "-")</td><td>\(u.expiresAt.map(Value.iso8601) ?? "-")</td>"
        out += "<td>\(u.uses)</td></tr>"
      }
      out += "</table>"
      if s.urlCount > s.urls.count {
        out += "<p class=\"note\">\(s.urlCount - s.urls.count) more URLs: "
        out += "<code>sigtrail hunt presigned OUT</code> lists them all.</p>"
      }
      if let policy = s.policy {
        out += "<h4>Revoke this session</h4><p>Attach to <code>\(HTML.escape(s.roleARN))</code> "
        out += "(<code>aws iam put-role-policy --role-name NAME --policy-name RevokeOlderSessions "
        out += "--policy-document file://deny.json</code>): every session of the role issued up to this one loses "
        out += "every permission, and so do the URLs they signed.</p><pre class=\"policy\">\(HTML.escape(policy))</pre>"
      } else if s.keyKind == "AKIA" {
        out += "<h4>Cut it off</h4><p>A long-term key: deactivate it (<code>aws iam update-access-key "
        out += "--access-key-id \(HTML.escape(s.akid)) --status Inactive</code>); its URLs stop working.</p>"
      }
      out += "</article>"
    }
    return out + "</section>\n"
  }

  static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1d1f;\
    margin:0 auto;max-width:1040px;padding:16px 24px}
    h1{font-size:24px;margin:8px 0 0}h2{font-size:19px;margin:28px 0 6px;border-bottom:2px solid #ddd;\
    padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:12px 0 4px}
    .sub,.note,footer{color:#666}footer{margin:32px 0 8px;font-size:12px}
    table{border-collapse:collapse;margin:6px 0;font-size:12px;width:100%}
    th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
    th{background:#f4f4f6}table.kv{width:auto}table.kv th{width:160px}tr.none td{color:#999}
    tr.denied td{color:#b71c1c}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0 8px;font-size:13px}
    dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
    .sev{display:inline-block;border-radius:3px;padding:0 6px;font-size:11px;text-transform:uppercase;\
    color:#fff;vertical-align:middle}
    .sev.critical{background:#b71c1c}.sev.high{background:#e65100}.sev.medium{background:#f9a825;color:#222}\
    .sev.low{background:#607d8b}
    .story,.signer{border:1px solid #e3e3e8;border-radius:6px;padding:4px 14px 10px;margin:12px 0}
    svg.timeline{display:block;margin:6px 0;font-size:11px}
    svg .lane{fill:#f7f7f9}svg .lane-label,svg .axis{fill:#444}svg .tick{stroke:#999}
    svg .use.ok,svg .bin .ok{fill:#2e7d32}svg .use.denied,svg .bin .denied{fill:#c62828}
    svg .use.flagged{stroke:#111;stroke-width:1.6}
    svg .event{stroke-width:1.5;stroke-dasharray:4 3}svg .event-label{font-size:10.5px}
    .issued{stroke:#78909c;fill:#546e7a;color:#546e7a}.signed{stroke:#1565c0;fill:#1565c0;color:#1565c0}
    .ended{stroke:#111;fill:#111;color:#111}svg .event.ended{stroke-width:2.5;stroke-dasharray:none}
    .revoked{stroke:#6a1b9a;fill:#6a1b9a;color:#6a1b9a}.expires{stroke:#ef6c00;fill:#ef6c00;color:#ef6c00}
    .legend{font-size:11px;color:#555;margin:0 0 6px}.legend b{font-weight:600;margin-right:6px}
    .k{display:inline-block;width:9px;height:9px;border-radius:50%;margin:0 3px 0 8px}.k.ok{background:#2e7d32}
    .k.denied{background:#c62828}.k.flagged{border:2px solid #111;width:6px;height:6px}
    pre.policy{background:#f4f4f6;padding:8px;font-size:12px;overflow-x:auto}
    code{font-size:12px;background:#f4f4f6;padding:0 3px}
    @media print{body{max-width:none;padding:0}.story,.signer{page-break-inside:avoid}\
    section.finding,#signers{page-break-before:always}a{color:inherit;text-decoration:none}}
    """
}
