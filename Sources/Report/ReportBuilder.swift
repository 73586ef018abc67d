import Hunts
import Query
import ShardSchema

/// Runs the hunts a report holds and turns their rows into stories: each flagged URL with every
/// use of it, the moments that explain it (session issued, URL signed, instance ended,
/// revocation, expiry), and the signers behind them.
public enum ReportBuilder {
  public static func build(_ data: inout HuntData, options: ReportOptions, coverage: Coverage) throws -> Report {
    var report = Report(options: options, coverage: coverage)
    let urls = try Hunts.presigned(&data)
    let urlInfo = URLTable(urls)
    report.urlCount = urls.rows.count
    report.useCount = urlInfo.rows.values.reduce(0) { $0 + $1.uses }
    report.signerCount = Set(urlInfo.rows.values.map(\.signer)).count
    report.firstUse = urlInfo.rows.values.compactMap(\.firstUse).min()
    report.lastUse = urlInfo.rows.values.compactMap(\.lastUse).max()
    let issued = try data.issuedKeys()
    var issuedByKey: [String: [IssuedKey]] = [:]
    for k in issued { issuedByKey[k.akid, default: []].append(k) }

    // Each hunt's rows, as flagged use ids per URL (or URLs, or bursts).
    var flagged: [(FindingKind, HuntResult)] = []
    flagged.append((.afterTermination, try Hunts.afterTermination(&data)))
    if let role = options.role, let at = options.revokedAt {
      flagged.append((.afterRevocation, try Hunts.afterRevocation(&data, role: role, at: at)))
    } else {
      let found = try Hunts.afterRevocations(&data)
      if try data.revocations().isEmpty {
        report.notes.append(
          "after-revocation: no revocation in the CloudTrail shards (give --role and --at to test one)")
      } else {
        flagged.append((.afterRevocation, found))
      }
    }
    if !options.allow.isEmpty {
      flagged.append((.outside, try Hunts.outside(&data, allow: options.allow)))
    } else {
      report.notes.append("outside: not run (give --allow with your networks)")
    }
    flagged.append((.writes, try Hunts.writes(&data)))
    flagged.append((.spread, try Hunts.spread(&data, minimumIPs: options.minimumIPs, minimumAgents: 0)))
    flagged.append((.longLived, try Hunts.longLived(&data, over: options.longLivedOver)))
    let denied = try Hunts.denied(&data)

    // Each finding's stories, ranked by the uses they flag and cut to `maxStories`, before any
    // is drawn: a finding can name every presigned URL in the shards.
    let selections = flagged.map { Selection($0.0, $0.1, urls: urlInfo) }
    let bursts = Selection(denied: denied)
    // Every use of the signers drawn: the context each story's timeline shows.
    var signers = Set<String>()
    for selection in selections + [bursts] { signers.formUnion(selection.signers) }
    signers.remove("")
    let keys = signers.sorted()
    let uses =
      keys.isEmpty
      ? []
      : try data.presignedUses(
        accessFilter: .isIn(ColumnName.credentialAKID, keys), trailFilter: .isIn(ColumnName.credentialAKID, keys))
    var usesByURL: [String: [PresignedUse]] = [:]
    for u in uses { usesByURL[u.urlID, default: []].append(u) }

    let context = StoryContext(urls: urlInfo, issued: issuedByKey, usesByURL: usesByURL, options: options)
    for selection in selections {
      report.findings.append(selection.finding(context.stories(selection.kind, selection)))
    }
    report.findings.append(bursts.finding(context.bursts(bursts, uses: uses)))
    report.signers = context.signers(keys)
    return report
  }
}

extension ReportBuilder {
  /// Stories a finding shows at most; the rest are counted, and the hunt lists them all.
  public static let maxStories = 25
}

/// One hunt's rows grouped into stories (by URL, or a denied burst each), those that flag the
/// most uses first, cut to `ReportBuilder.maxStories`.
struct Selection {
  let kind: FindingKind
  let result: HuntResult
  let columns: [String: Int]
  /// The stories kept: each one's key (a URL id) and rows.
  var groups: [(key: String, rows: [[Value]])] = []
  var total = 0
  var flaggedUses = 0

  init(_ kind: FindingKind, _ result: HuntResult, urls: URLTable) {
    self.kind = kind
    self.result = result
    columns = Dictionary(uniqueKeysWithValues: result.header.enumerated().map { ($1, $0) })
    guard let urlColumn = columns["url_id"] else { return }
    var order: [String] = []
    var rowsByURL: [String: [[Value]]] = [:]
    for row in result.rows {
      let url = row[urlColumn].text
      if rowsByURL[url] == nil { order.append(url) }
      rowsByURL[url, default: []].append(row)
    }
    // A use-level hunt flags its rows; a URL-level one (spread, long-lived) every use of the URL.
    let useLevel = columns["id"] != nil
    let weight = { (url: String) -> Int in useLevel ? rowsByURL[url]!.count : Int(urls.rows[url]?.uses ?? 1) }
    select(order.map { ($0, rowsByURL[$0]!) }, weight: { weight($0.key) })
  }

  init(denied result: HuntResult) {
    kind = .denied
    self.result = result
    columns = Dictionary(uniqueKeysWithValues: result.header.enumerated().map { ($1, $0) })
    let requests = columns["requests"]!
    select(result.rows.enumerated().map { (String($0.offset), [$0.element]) }) {
      Int($0.rows[0][requests].integer ?? 1)
    }
  }

  mutating func select(_ all: [(key: String, rows: [[Value]])], weight: ((key: String, rows: [[Value]])) -> Int) {
    total = all.count
    let weights = all.map(weight)
    flaggedUses = weights.reduce(0, +)
    let ranked = all.indices.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
    groups = ranked.prefix(ReportBuilder.maxStories).map { all[$0] }
  }

  /// The signers of the stories kept.
  var signers: Set<String> {
    guard let column = columns["signer_akid"] else { return [] }
    return Set(groups.map { $0.rows[0][column].text })
  }

  func finding(_ stories: [Story]) -> Finding {
    var f = Finding(kind: kind, stories: stories, notes: result.notes)
    f.total = total
    f.flaggedUses = flaggedUses
    if total > stories.count {
      f.notes.append(
        "\(total - stories.count) more, flagging fewer uses each, are not drawn: sigtrail hunt \(kind.rawValue) lists all"
      )
    }
    return f
  }
}

/// The `presigned` hunt's rows by URL.
struct URLTable {
  struct Row {
    var signer: String
    var keyKind: String
    var principal: String
    var signedAt: Int64?
    var expiresAt: Int64?
    var firstUse: Int64?
    var lastUse: Int64?
    var uses: Int64
    var objects: String
  }
  var rows: [String: Row] = [:]

  init(_ result: HuntResult) {
    let c = Dictionary(uniqueKeysWithValues: result.header.enumerated().map { ($1, $0) })
    for r in result.rows {
      rows[r[c["url_id"]!].text] = Row(
        signer: r[c["signer_akid"]!].text, keyKind: r[c["key_kind"]!].text, principal: r[c["principal"]!].text,
        signedAt: r[c["signed_at"]!].micros, expiresAt: r[c["expires_at"]!].micros,
        firstUse: r[c["first_use"]!].micros, lastUse: r[c["last_use"]!].micros,
        uses: r[c["uses"]!].integer ?? 0, objects: r[c["objects"]!].text)
    }
  }
}

extension Value {
  var micros: Int64? {
    if case .timestamp(let t) = self { return t }
    return nil
  }
  var integer: Int64? {
    if case .int(let v) = self { return v }
    return nil
  }
}

/// What the stories of every finding are built from.
struct StoryContext {
  let urls: URLTable
  let issued: [String: [IssuedKey]]
  let usesByURL: [String: [PresignedUse]]
  let options: ReportOptions

  static func instance(of principal: String) -> String {
    guard let last = principal.split(separator: "/").last, last.hasPrefix("i-") else { return "" }
    return String(last)
  }

  /// One story per URL a selection kept.
  func stories(_ kind: FindingKind, _ selection: Selection) -> [Story] {
    let c = selection.columns
    return selection.groups.map { group in
      let url = group.key
      let rows = group.rows
      let info = urls.rows[url]
      let first = rows[0]
      let signer = c["signer_akid"].map { first[$0].text } ?? info?.signer ?? ""
      let principal = c["principal"].map { first[$0].text } ?? info?.principal ?? ""
      let flaggedIDs = Set(c["id"].map { column in rows.map { $0[column].text } } ?? [])
      var story = Story(
        title: "", urlID: url, signer: signer, principal: principal,
        instanceID: c["instance_id"].map { first[$0].text } ?? Self.instance(of: principal),
        object: c["object"].map { first[$0].text } ?? info?.objects ?? "")
      if story.instanceID.isEmpty { story.instanceID = issued[signer]?.first?.instanceID ?? "" }
      story.uses = (usesByURL[url] ?? []).map { u in
        var use = Self.use(u)
        use.flagged = flaggedIDs.contains(u.id) || flaggedIDs.isEmpty
        return use
      }
      story.events = events(signer: signer, info: info)
      if let endedAt = c["ended_at"].flatMap({ first[$0].micros }) {
        let by = c["ended_by"].map { first[$0].text } ?? "ended"
        story.events.append(Event(kind: .ended, time: endedAt, label: "\(story.instanceID) \(by)"))
      }
      if kind == .afterRevocation,
        let at = options.revokedAt ?? c["revoke_before"].flatMap({ first[$0].micros })
      {
        story.events.append(Event(kind: .revoked, time: at, label: "revocation"))
      }
      story.events.sort { $0.time < $1.time }
      let flaggedUses = story.uses.filter(\.flagged)
      story.title = title(kind, story, flagged: flaggedUses.count)
      story.facts = facts(kind, story, info: info, first: first, columns: c, flagged: flaggedUses)
      return story
    }
  }

  func events(signer: String, info: URLTable.Row?) -> [Event] {
    var events: [Event] = []
    if let k = issued[signer]?.first {
      events.append(Event(kind: .issued, time: k.issuedAt, label: "session issued (\(k.eventName))"))
    }
    if let signed = info?.signedAt { events.append(Event(kind: .signed, time: signed, label: "URL signed")) }
    if let expires = info?.expiresAt { events.append(Event(kind: .expires, time: expires, label: "URL expires")) }
    return events
  }

  func title(_ kind: FindingKind, _ s: Story, flagged: Int) -> String {
    let who = s.instanceID.isEmpty ? s.signer : "\(s.signer) (\(s.instanceID))"
    switch kind {
    case .afterTermination: return "\(s.object): \(flagged) use\(flagged == 1 ? "" : "s") after \(s.instanceID) ended"
    case .afterRevocation:
      return "\(s.object): \(flagged) use\(flagged == 1 ? "" : "s") after the revocation, signed by \(who)"
    case .outside: return "\(s.object): \(flagged) use\(flagged == 1 ? "" : "s") from outside, signed by \(who)"
    case .writes: return "\(s.object): \(flagged) write\(flagged == 1 ? "" : "s"), signed by \(who)"
    case .spread: return "\(s.object): used from \(Set(s.uses.map(\.ip)).count) addresses, signed by \(who)"
    case .longLived: return "\(s.object): long-lived URL signed by \(who)"
    case .denied: return s.object
    }
  }

  func facts(
    _ kind: FindingKind, _ s: Story, info: URLTable.Row?, first: [Value], columns c: [String: Int], flagged: [Use]
  ) -> [(String, String)] {
    var facts: [(String, String)] = [("URL", s.urlID), ("Signed by", s.signer), ("Principal", s.principal)]
    if !s.instanceID.isEmpty { facts.append(("Instance", s.instanceID)) }
    facts.append(("Object", s.object))
    for e in s.events { facts.append((e.label, Value.iso8601(e.time))) }
    facts.append(("Uses", "\(s.uses.count) in all, \(flagged.count) in this finding"))
    if let last = flagged.map(\.time).max(), let end = s.events.first(where: { $0.kind == .ended })?.time {
      facts.append(("Last use after the end", Self.duration(last - end)))
    }
    if kind == .longLived, let v = c["effective_validity_seconds"].flatMap({ first[$0].integer }) {
      facts.append(("Valid for", Self.duration(v * 1_000_000)))
    }
    if kind == .afterRevocation {
      let denied = flagged.filter { !$0.succeeded }.count
      facts.append(("After the revocation", "\(flagged.count - denied) succeeded, \(denied) denied"))
    }
    return facts
  }

  /// Denied bursts: one story each, with the burst's uses from that address.
  func bursts(_ selection: Selection, uses: [PresignedUse]) -> [Story] {
    let c = selection.columns
    var bySource: [String: [PresignedUse]] = [:]
    for u in uses where !u.succeeded { bySource["\(u.akid) \(u.ip)", default: []].append(u) }
    return selection.groups.map { group in
      let row = group.rows[0]
      let first = row[c["first"]!].micros ?? 0
      let last = row[c["last"]!].micros ?? first
      let ip = row[c["remote_ip"]!].text
      let signer = row[c["signer_akid"]!].text
      var story = Story(
        title: "", urlID: "", signer: signer, principal: "", instanceID: issued[signer]?.first?.instanceID ?? "",
        object: row[c["objects"]!].text)
      story.uses = (bySource["\(signer) \(ip)"] ?? []).filter { $0.time >= first && $0.time <= last }
        .map { u in
          var use = Self.use(u)
          use.flagged = !u.succeeded
          return use
        }
      let kind = row[c["kind"]!].text
      let requests = row[c["requests"]!].integer ?? 0
      story.title = "\(kind): \(requests) denied request\(requests == 1 ? "" : "s") from \(ip)"
      story.facts = [
        ("Kind", kind), ("Signed by", signer), ("From", ip), ("First", Value.iso8601(first)),
        ("Last", Value.iso8601(last)), ("Requests", String(requests)), ("Error codes", row[c["error_codes"]!].text),
        ("Objects", story.object), ("User agent", row[c["user_agent"]!].text),
      ]
      return story
    }
  }

  func signers(_ keys: [String]) -> [Signer] {
    var byKey: [String: [(String, URLTable.Row)]] = [:]
    for (url, row) in urls.rows { byKey[row.signer, default: []].append((url, row)) }
    return keys.map { akid in
      let mine = (byKey[akid] ?? []).sorted { (($0.1.firstUse ?? 0), $0.0) < (($1.1.firstUse ?? 0), $1.0) }
      let lineage = issued[akid] ?? []
      let principal = mine.first?.1.principal ?? ""
      let role = lineage.first?.roleARN ?? ""
      // The smallest cut that ends this session: every session of the role issued up to it.
      let policy = lineage.first.map { Hunts.revokePolicyDocument(before: $0.issuedAt + 1_000_000) }
      return Signer(
        akid: akid, keyKind: mine.first?.1.keyKind ?? "", principal: principal,
        instanceID: lineage.first?.instanceID ?? Self.instance(of: principal), lineage: lineage,
        urls: mine.map { ($0.0, $0.1.objects, $0.1.signedAt, $0.1.expiresAt, $0.1.uses) }, roleARN: role,
        policy: role.isEmpty ? nil : policy)
    }
  }

  static func use(_ u: PresignedUse) -> Use {
    Use(
      time: u.time, source: u.source, id: u.id, ip: u.ip, userAgent: u.userAgent, operation: u.operation,
      object: u.object, status: u.status, errorCode: u.errorCode, succeeded: u.succeeded)
  }

  static func duration(_ micros: Int64) -> String {
    let s = micros / 1_000_000
    if s < 120 { return "\(s) s" }
    if s < 7200 { return "\(s / 60) min" }
    if s < 172_800 { return "\(s / 3600) h \(s % 3600 / 60) min" }
    return "\(s / 86400) days"
  }
}
