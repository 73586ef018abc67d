import Hunts
import Query
import ShardSchema

/// Decides what each hunt a report holds would find (from one shared scan, see `SharedScan`) and
/// turns it into stories: each flagged URL with every use of it, the moments that explain it
/// (session issued, URL signed, instance ended, revocation, expiry), and the signers behind them.
public enum ReportBuilder {
  public static func build(_ data: inout HuntData, options: ReportOptions, coverage: Coverage) throws -> Report {
    var report = Report(options: options, coverage: coverage)
    // One scan of the presigned uses (and denied favicon requests) decides every finding: the
    // hunts one by one would read the same columns seven times. CloudTrail's lineage does not
    // depend on the uses: it is read on another thread meanwhile, and fills the core the scan's
    // single-threaded ends leave idle.
    let shards = data
    let revocationsWanted = options.role == nil
    let (scan, read) = try Alongside.run {
      try SharedScan(&data, allow: options.allow)
    } side: {
      var lineage = shards
      return Result {
        (
          issued: try lineage.issuedKeys(), ends: try lineage.instanceEnds(),
          revocations: revocationsWanted ? try lineage.revocations() : []
        )
      }
    }
    let lineage = try read.get()
    report.urlCount = scan.urlCount
    report.useCount = scan.useCount
    report.signerCount = scan.signerCount
    report.firstUse = scan.firstUse
    report.lastUse = scan.lastUse
    // Only the sessions that signed a URL join anything.
    let issued = lineage.issued.filter { scan.signed($0.akid) }
    // The findings that need the lineage on this thread, those that need only the scan on another;
    // each finding's stories ranked by the uses they flag and cut to `maxStories` there, before
    // any is drawn: a finding can name every presigned URL in the shards.
    let (joined, alone) = Alongside.run {
      () -> (found: [Selection], notes: [String]) in
      var found: [Selection] = []
      var notes: [String] = []
      found.append(Selection(.afterTermination, scan.afterTermination(ends: lineage.ends, issued: issued)))
      if let role = options.role, let at = options.revokedAt {
        found.append(Selection(.afterRevocation, scan.afterRevocation([(role, at, at)], issued: issued)))
      } else if lineage.revocations.isEmpty {
        notes.append("after-revocation: no revocation in the CloudTrail shards (give --role and --at to test one)")
      } else {
        let cuts = lineage.revocations.map { (principal: $0.principal, at: $0.time, before: $0.before) }
        found.append(Selection(.afterRevocation, scan.afterRevocation(cuts, issued: issued)))
      }
      found.append(Selection(.longLived, scan.longLived(over: options.longLivedOver, issued: issued)))
      return (found, notes)
    } side: {
      let denied = scan.denied()
      return (
        outside: options.allow.isEmpty ? nil : Selection(.outside, scan.outside()),
        writes: Selection(.writes, scan.writes()),
        spread: Selection(.spread, scan.spread(minimumIPs: options.minimumIPs)),
        bursts: Selection(denied: denied), denied: denied
      )
    }
    var issuedByKey: [String: [IssuedKey]] = [:]
    for k in issued { issuedByKey[k.akid, default: []].append(k) }
    report.notes += joined.notes
    var selections = joined.found.filter { $0.kind != .longLived }
    if let outside = alone.outside {
      selections.append(outside)
    } else {
      report.notes.append("outside: not run (give --allow with your networks)")
    }
    selections += [alone.writes, alone.spread]
    selections += joined.found.filter { $0.kind == .longLived }
    let (bursts, denied) = (alone.bursts, alone.denied)
    // Every use of the signers drawn: the context each story's timeline shows.
    let drawn = Set(selections.flatMap { $0.groups.compactMap(\.url) })
    let urlInfo = URLTable(scan.urls(drawn))
    var signers = Set<String>()
    for selection in selections + [bursts] { signers.formUnion(selection.signers(urlInfo)) }
    signers.remove("")
    let keys = signers.sorted()
    // Of those, only the uses of the URLs drawn are read again (the bursts' uses the scan kept);
    // a use's time is tested before its URL's hash is computed from five columns.
    let urlSigners = Set(drawn.compactMap { urlInfo[$0]?.signer }).subtracting([""]).sorted()
    let times = scan.useTimes(of: drawn)
    let keep: @Sendable (UseProbe) -> Bool = { probe in
      times.contains(probe.time) && drawn.contains(probe.urlHash)
    }
    // Only the files that hold them are opened (a tree of many days holds them in a few).
    let files = scan.files(of: drawn)
    var holding = data
    holding.accessLogFiles = data.accessLogFiles.filter(files.contains)
    holding.cloudTrailFiles = data.cloudTrailFiles.filter(files.contains)
    if holding.accessLogFiles.count + holding.cloudTrailFiles.count < files.count { holding = data }
    let uses =
      urlSigners.isEmpty
      ? []
      : try holding.presignedUses(
        accessFilter: .isIn(ColumnName.credentialAKID, urlSigners),
        trailFilter: .isIn(ColumnName.credentialAKID, urlSigners), only: StoryContext.useColumns, keep: keep
      ) { $0 }
    var usesByURL: [UInt64: [PresignedUse]] = [:]
    for u in uses { usesByURL[u.urlHash, default: []].append(u) }

    let context = StoryContext(
      urls: urlInfo, scan: scan, issued: issuedByKey, usesByURL: usesByURL, options: options)
    for selection in selections {
      report.findings.append(selection.finding(context.stories(selection.kind, selection)))
    }
    report.findings.append(bursts.finding(context.bursts(bursts, denied: denied)))
    report.signers = context.signers(keys)
    report.basis = scan
    return report
  }
}

extension ReportBuilder {
  /// Stories a finding shows at most; the rest are counted, and the hunt lists them all.
  public static let maxStories = 25
}

/// One finding's stories (a URL each, or a denied burst each), those that flag the most uses
/// first, cut to `ReportBuilder.maxStories`.
struct Selection: Sendable {
  struct Group: Sendable {
    /// The URL's hash, none for a burst.
    var url: UInt64?
    /// The burst's row in the `denied` hunt's result, none for a URL.
    var burst: Int?
    /// What the finding says of it, by the column names its hunt prints.
    var detail: [String: Value]
    /// `RowHash.text` of the uses flagged.
    var flagged: Set<UInt64> = []
    var everyUse = false
  }
  let kind: FindingKind
  let notes: [String]
  var groups: [Group] = []
  var total = 0
  var flaggedUses = 0

  init(_ kind: FindingKind, _ found: Flagged) {
    self.kind = kind
    notes = found.notes
    let kept = Self.ranked(found.urls.map(\.weight))
    total = found.urls.count
    flaggedUses = found.urls.reduce(0) { $0 + $1.weight }
    groups = kept.map { k in
      let u = found.urls[k]
      return Group(url: u.url, detail: u.detail, everyUse: u.everyUse)
    }
    // The flagged uses of the URLs kept only: a finding can flag every use in the shards.
    let flagged = found.uses(of: Set(groups.compactMap(\.url)))
    for k in groups.indices { groups[k].flagged = flagged[groups[k].url!] ?? [] }
  }

  init(denied: DeniedBursts) {
    kind = .denied
    notes = []
    let weights = denied.requests
    total = weights.count
    flaggedUses = weights.reduce(0, +)
    // A burst's row is made, and becomes a group (its values by column name), only when kept.
    groups = Self.ranked(weights).map { k in
      Group(url: nil, burst: k, detail: Dictionary(uniqueKeysWithValues: zip(denied.header, denied.row(k))))
    }
  }

  /// The positions of the `ReportBuilder.maxStories` greatest weights, greatest first, the
  /// earlier first at a tie; one pass, however many a finding flags.
  static func ranked(_ weights: [Int]) -> [Int] {
    let n = ReportBuilder.maxStories
    var top: [Int] = []
    func before(_ a: Int, _ b: Int) -> Bool { weights[a] != weights[b] ? weights[a] > weights[b] : a < b }
    for k in weights.indices {
      if top.count == n, !before(k, top[n - 1]) { continue }
      let at = top.firstIndex { before(k, $0) } ?? top.count
      top.insert(k, at: at)
      if top.count > n { top.removeLast() }
    }
    return top
  }

  /// The signers of the stories kept.
  func signers(_ urls: URLTable) -> Set<String> {
    Set(groups.map { $0.detail["signer_akid"]?.text ?? $0.url.flatMap { urls[$0]?.signer } ?? "" })
  }

  func finding(_ stories: [Story]) -> Finding {
    var f = Finding(kind: kind, stories: stories, notes: notes)
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

/// The presigned URLs drawn, by hash.
struct URLTable {
  typealias Row = SharedScan.URL
  private let rows: [UInt64: Row]

  init(_ rows: [UInt64: Row]) { self.rows = rows }

  subscript(hash: UInt64) -> Row? { rows[hash] }
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
  let scan: SharedScan
  let issued: [String: [IssuedKey]]
  let usesByURL: [UInt64: [PresignedUse]]
  let options: ReportOptions

  static func instance(of principal: String) -> String {
    guard let last = principal.split(separator: "/").last, last.hasPrefix("i-") else { return "" }
    return String(last)
  }

  /// One story per URL a selection kept.
  func stories(_ kind: FindingKind, _ selection: Selection) -> [Story] {
    selection.groups.map { group in
      let hash = group.url ?? 0
      let url = PresignedUse.urlID(hash)
      let d = group.detail
      let info = urls[hash]
      let signer = info?.signer ?? ""
      let principal = info?.principal ?? ""
      var story = Story(
        title: "", urlID: url, signer: signer, principal: principal,
        instanceID: d["instance_id"]?.text ?? Self.instance(of: principal), object: info?.object ?? "")
      if story.instanceID.isEmpty { story.instanceID = issued[signer]?.first?.instanceID ?? "" }
      story.uses = (usesByURL[hash] ?? []).map { u in
        var use = Self.use(u)
        use.flagged = group.everyUse || group.flagged.contains(RowHash.text(u.id))
        return use
      }
      story.events = events(signer: signer, info: info)
      if let endedAt = d["ended_at"]?.micros {
        let by = d["ended_by"]?.text ?? "ended"
        story.events.append(Event(kind: .ended, time: endedAt, label: "\(story.instanceID) \(by)"))
      }
      if kind == .afterRevocation,
        let at = options.revokedAt ?? d["revoke_before"]?.micros
      {
        story.events.append(Event(kind: .revoked, time: at, label: "revocation"))
      }
      story.events.sort { $0.time < $1.time }
      let flaggedUses = story.uses.filter(\.flagged)
      story.title = title(kind, story, flagged: flaggedUses.count)
      story.facts = facts(kind, story, detail: d, flagged: flaggedUses)
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
    _ kind: FindingKind, _ s: Story, detail: [String: Value], flagged: [Use]
  ) -> [(String, String)] {
    var facts: [(String, String)] = [("URL", s.urlID), ("Signed by", s.signer), ("Principal", s.principal)]
    if !s.instanceID.isEmpty { facts.append(("Instance", s.instanceID)) }
    facts.append(("Object", s.object))
    for e in s.events { facts.append((e.label, Value.iso8601(e.time))) }
    facts.append(("Uses", "\(s.uses.count) in all, \(flagged.count) in this finding"))
    if let last = flagged.map(\.time).max(), let end = s.events.first(where: { $0.kind == .ended })?.time {
      facts.append(("Last use after the end", Self.duration(last - end)))
    }
    if kind == .longLived, let v = detail["effective_validity_seconds"]?.integer {
      facts.append(("Valid for", Self.duration(v * 1_000_000)))
    }
    if kind == .afterRevocation {
      let denied = flagged.filter { !$0.succeeded }.count
      facts.append(("After the revocation", "\(flagged.count - denied) succeeded, \(denied) denied"))
    }
    return facts
  }

  /// Denied bursts: one story each, with the burst's uses.
  func bursts(_ selection: Selection, denied: DeniedBursts) -> [Story] {
    selection.groups.map { group in
      let row = group.detail
      let first = row["first"]?.micros ?? 0
      let last = row["last"]?.micros ?? first
      let ip = row["remote_ip"]?.text ?? ""
      let signer = row["signer_akid"]?.text ?? ""
      var story = Story(
        title: "", urlID: "", signer: signer, principal: "", instanceID: issued[signer]?.first?.instanceID ?? "",
        object: row["objects"]?.text ?? "")
      story.uses = denied.uses(ofBurst: group.burst!)
        .map { u in
          var use = Self.use(u)
          use.flagged = !u.succeeded
          return use
        }
      let kind = row["kind"]?.text ?? ""
      let requests = row["requests"]?.integer ?? 0
      story.title = "\(kind): \(requests) denied request\(requests == 1 ? "" : "s") from \(ip)"
      story.facts = [
        ("Kind", kind), ("Signed by", signer), ("From", ip), ("First", Value.iso8601(first)),
        ("Last", Value.iso8601(last)), ("Requests", String(requests)), ("Error codes", row["error_codes"]?.text ?? ""),
        ("Objects", story.object), ("User agent", row["user_agent"]?.text ?? ""),
      ]
      return story
    }
  }

  func signers(_ keys: [String]) -> [Signer] {
    keys.map { akid in
      // The first URLs it signed, by first use (the order `urls` holds), of how many.
      let (mine, count) = scan.urls(signedBy: akid, first: Report.listedURLs)
      let lineage = issued[akid] ?? []
      let principal = mine.first?.principal ?? ""
      let role = lineage.first?.roleARN ?? ""
      // The smallest cut that ends this session: every session of the role issued up to it.
      let policy = lineage.first.map { Hunts.revokePolicyDocument(before: $0.issuedAt + 1_000_000) }
      return Signer(
        akid: akid, keyKind: mine.first?.keyKind ?? "", principal: principal,
        instanceID: lineage.first?.instanceID ?? Self.instance(of: principal), lineage: lineage,
        urls: mine.map { ($0.id, $0.object, $0.signedAt, $0.expiresAt, $0.uses) }, urlCount: count,
        roleARN: role,
        policy: role.isEmpty ? nil : policy)
    }
  }

  /// The columns behind a `Use` and its URL's hash: a hunt's use row but the principal (a
  /// `Use` shows none), and so none of the signature or bytes, the widest columns of a use.
  static let useColumns = HuntData.useRowColumns.subtracting([ColumnName.requester, ColumnName.identityARN])

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
