import Dispatch
import LogBytes
import Query
import ShardSchema
import Synchronization

/// One use of a presigned URL, from an access-log line or a CloudTrail data event.
public struct PresignedUse: Sendable {
  public var source: String
  /// `request_id` (access logs) or `event_id` (CloudTrail): how duplicates are told apart.
  public var id: String
  public var time: Int64
  public var ip: String
  public var principal: String
  public var userAgent: String
  public var operation: String
  public var method: String
  public var bucket: String
  /// Object key, percent-decoded (access logs log it encoded; CloudTrail does not).
  public var key: String
  public var status: Int64?
  public var errorCode: String
  public var bytes: Int64
  public var akid: String
  public var keyKind: String
  public var version: String
  public var signedAt: Int64?
  public var expiresSeconds: Int64?
  public var expiresAt: Int64?
  public var signature: String

  /// The URL: the same signer, signing time, validity and object make the same URL in both
  /// sources (CloudTrail does not log the signature); see `URLSummary.urlHash`, computed from
  /// the stored bytes when the use is read. 0 when the hunt's scan left out a column of it.
  public var urlHash: UInt64

  public var urlID: String { Self.urlID(urlHash) }

  /// A URL hash as the 16 hexadecimal digits the hunts print.
  public static func urlID(_ hash: UInt64) -> String {
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  public var object: String { "\(bucket)/\(key)" }
  public var denied: Bool { status == 403 || errorCode == "AccessDenied" }
  public var succeeded: Bool { (status.map { $0 < 400 } ?? true) && errorCode.isEmpty }
}

/// What a hunt made of a use, with what orders the uses: time, then table, then id.
struct OrderedUse<T: Sendable>: Sendable {
  var time: Int64
  var cloudTrail: Bool
  var id: String
  var value: T

  /// The values of `uses` in the order the hunts list them: time, then table ("cloudtrail"
  /// sorts before "s3_access", as the source column reads), then id. Positions are sorted, not
  /// the uses: a use can be a dozen strings.
  static func values(inOrder uses: [OrderedUse]) -> [T] {
    let order = uses.indices.sorted { a, b in
      if uses[a].time != uses[b].time { return uses[a].time < uses[b].time }
      if uses[a].cloudTrail != uses[b].cloudTrail { return uses[a].cloudTrail }
      return uses[a].id < uses[b].id
    }
    return order.map { uses[$0].value }
  }
}

/// What a hunt may look at of a row before the row is read any further: its time and a hash of
/// its signing key, both from columns every use scan reads first.
public struct UseProbe {
  let batch: RowBatch
  let row: Int
  let timeColumn: Int
  let akid: Int?
  let positions: UseColumns.Positions
  let encodedKeys: Bool

  public var time: Int64 { batch.integer(row, timeColumn) ?? 0 }
  /// `RowHash.bytes` of the signing key's stored bytes (0 for none); nil when the scan does not
  /// read the key.
  public var akidHash: UInt64? { akid.map { batch.hash(row, $0) } }
  /// The use's `PresignedUse.urlHash` (0 when the scan does not read what it needs).
  public var urlHash: UInt64 { URLSummary.urlHash(batch, row, positions, encoded: encodedKeys) }
}

/// A temporary credential CloudTrail saw issued, and to whom.
public struct IssuedKey: Sendable {
  public var akid: String
  public var issuedAt: Int64
  public var expiresAt: Int64?
  public var eventName: String
  public var roleARN: String
  public var sessionName: String
  public var instanceID: String
  public var invokedBy: String
}

/// An instance stopped or terminated.
public struct InstanceEnd: Sendable {
  public var instanceID: String
  public var time: Int64
  public var eventName: String
}

/// A revocation CloudTrail recorded (see `RevocationPolicy` in the CloudTrail module).
public struct Revocation: Sendable {
  /// When the policy was put: from then on it denies.
  public var time: Int64
  /// `arn:aws:iam::ACCOUNT:role/NAME` or `…:user/NAME`.
  public var principal: String
  /// The policy's `aws:TokenIssueTime`: sessions issued before it are denied.
  public var before: Int64
  public var by: String
  public var eventID: String
}

/// Reads what the hunts need from an output directory's tables.
public struct HuntData: Sendable {
  public var accessLogFiles: [String]
  public var cloudTrailFiles: [String]
  public var since: Int64?
  public var until: Int64?
  public var threads = 2
  public private(set) var statistics = ScanStatistics()
  /// The hunt's scans share opened files: most hunts read a table more than once.
  private let opened: ParquetFileCache
  /// What the CloudTrail table says whatever the window, read once however many hunts ask
  /// (a report asks for the issued keys once per hunt and revocation).
  private var lineage = Lineage()

  private struct Lineage: Sendable {
    var files: [String] = []
    var issued: [IssuedKey]?
    var ends: [InstanceEnd]?
    var revocations: [Revocation]?
  }

  /// The lineage read so far, or none if the CloudTrail files changed since.
  private mutating func currentLineage() -> Lineage {
    if lineage.files != cloudTrailFiles { lineage = Lineage(files: cloudTrailFiles) }
    return lineage
  }

  public init(accessLogFiles: [String], cloudTrailFiles: [String], files: ParquetFileCache = ParquetFileCache()) {
    self.accessLogFiles = accessLogFiles
    self.cloudTrailFiles = cloudTrailFiles
    opened = files
  }

  /// The request id and bucket of row `i`, hashed: an S3 request logged by both sources has the
  /// same pair, and is one use. 0 when the scan did not read them.
  static func requestKey(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions) -> UInt64 {
    guard let id = p[.requestID], let bucket = p[.bucket] else { return 0 }
    let h = b.hash(i, id)
    return h == 0 ? 0 : h ^ (b.hash(i, bucket) &* 0x9E37_79B9_7F4A_7C15)
  }

  /// The columns (of either table) behind `HuntResult.useRow` and the URL id.
  public static let useRowColumns: Set<String> = [
    ColumnName.remoteIP, ColumnName.sourceIP, ColumnName.requester, ColumnName.identityARN, ColumnName.userAgent,
    ColumnName.operation, ColumnName.eventName, ColumnName.bucket, ColumnName.key,
    ColumnName.objectKey, ColumnName.httpStatus, ColumnName.errorCode, ColumnName.credentialAKID, ColumnName.signedAt,
    ColumnName.expiresSeconds, ColumnName.expiresAt,
  ]

  /// A scan of `files` within the hunt's time window.
  private func request(_ files: [String], _ columns: [String], _ predicate: Predicate, time: String?) -> ScanRequest {
    var r = ScanRequest(files: files, columns: columns)
    r.predicate = predicate
    r.timeColumn = time
    r.since = time == nil ? nil : since
    r.until = time == nil ? nil : until
    r.threads = threads
    r.cache = opened
    return r
  }

  /// Presigned uses matching `accessFilter` / `trailFilter` (plus "is presigned"), one per
  /// request or event however often it was delivered, in time order. `only`, when given, names
  /// the columns (of either table) a hunt needs: the others are not decoded and their fields stay
  /// empty.
  public mutating func presignedUses(
    accessFilter: Predicate = .always, trailFilter: Predicate = .always, alsoAccess: Predicate? = nil,
    only: Set<String>? = nil
  ) throws -> [PresignedUse] {
    try presignedUses(accessFilter: accessFilter, trailFilter: trailFilter, alsoAccess: alsoAccess, only: only) {
      $0
    }
  }

  /// Like `presignedUses`, each use turned by `transform` (nil drops it) on the scan's threads,
  /// so that a hunt's rows are built in parallel and a use's strings are not copied again.
  ///
  /// `keep`, when given, sees each row's time and signing key first: the rows it refuses cost
  /// nothing more (in a row group where it refuses every row, no other column is decoded).
  public mutating func presignedUses<T: Sendable>(
    accessFilter: Predicate = .always, trailFilter: Predicate = .always, alsoAccess: Predicate? = nil,
    only: Set<String>? = nil, keep: (@Sendable (UseProbe) -> Bool)? = nil,
    _ transform: @escaping @Sendable (PresignedUse) -> T?
  ) throws -> [T] {
    let found = PerWorker<[OrderedUse<T>]>(threads: threads) { [] }
    // CloudTrail's uses are kept whole until the access logs are read: an S3 request both logged
    // (same request id and bucket) is one use, CloudTrail's, with both sources named.
    let trailFound = PerWorker<[(key: UInt64, use: PresignedUse)]>(threads: threads) { [] }
    let seen = SeenUses()
    let presigned = Predicate.all([.not(.isNull(ColumnName.presignVersion)), accessFilter])
    let tables:
      [([String], UseColumns, Predicate, String, @Sendable (RowBatch, Int, UseColumns.Positions) -> PresignedUse)] = [
        (
          accessLogFiles, .access, alsoAccess.map { .or([presigned, $0]) } ?? presigned, ColumnName.requestTime,
          Self.accessUse
        ),
        (
          cloudTrailFiles, .trail, Predicate.all([.not(.isNull(ColumnName.presignVersion)), trailFilter]),
          ColumnName.eventTime, Self.trailUse
        ),
      ]
    var trailKeys = Set<UInt64>()
    var trailUses: [(key: UInt64, use: PresignedUse)] = []
    let merged = PerWorker<Set<UInt64>>(threads: threads) { [] }
    for table in [1, 0] where !tables[table].0.isEmpty {
      let (files, fields, predicate, time, use) = tables[table]
      let columns = fields.scanned(only: only)
      let positions = fields.positions(in: columns)
      let (id, at, akid) = (positions[.id]!, positions[.time]!, positions[.akid])
      let knownTrail = trailKeys
      statistics.add(
        try Scanner.scan(request(files, columns, predicate, time: time)) { (batch: RowBatch) in
          let wanted = keep.map { k in
            (0..<batch.count).filter {
              k(
                UseProbe(
                  batch: batch, row: $0, timeColumn: at, akid: akid, positions: positions, encodedKeys: table == 0))
            }
          }
          if wanted?.isEmpty == true { return }
          let fresh = seen.firstSeen(batch, id: id, time: at, table: UInt64(table), among: wanted)
          guard !fresh.isEmpty else { return }
          if table == 1 {
            trailFound.update(batch.worker) { out in
              for i in fresh { out.append((Self.requestKey(batch, i, positions), use(batch, i, positions))) }
            }
            return
          }
          var also: [UInt64] = []
          found.update(batch.worker) { out in
            for i in fresh {
              let key = knownTrail.isEmpty ? 0 : Self.requestKey(batch, i, positions)
              if key != 0 && knownTrail.contains(key) {
                also.append(key)
                continue
              }
              let u = use(batch, i, positions)
              if let v = transform(u) {
                out.append(OrderedUse(time: u.time, cloudTrail: false, id: u.id, value: v))
              }
            }
          }
          if !also.isEmpty { merged.update(batch.worker) { $0.formUnion(also) } }
        })
      if table == 1 {
        trailUses = trailFound.joined()
        trailKeys = Set(trailUses.lazy.map(\.key).filter { $0 != 0 })
      }
    }
    let both = merged.all.reduce(into: Set<UInt64>()) { $0.formUnion($1) }
    var keyed = found.joined()
    for var entry in trailUses {
      if both.contains(entry.key) {
        entry.use.source = "\(ShardTable.cloudtrail.rawValue) \(ShardTable.s3Access.rawValue)"
      }
      if let v = transform(entry.use) {
        keyed.append(OrderedUse(time: entry.use.time, cloudTrail: true, id: entry.use.id, value: v))
      }
    }
    return OrderedUse.values(inOrder: keyed)
  }

  /// Every presigned URL matching the filters, aggregated while scanning (see `URLSummary`).
  /// `ledger`, when given, also notes each counted use (see `UseLedger`), judged against `allow`,
  /// and the uses the `denied` hunt reads, unsigned favicon requests included: the report's one
  /// scan (distinct user agents are not counted then). `only`, when given, names the columns to
  /// read (as for `presignedUses`).
  mutating func presignedSummary(
    accessFilter: Predicate = .always, trailFilter: Predicate = .always, ledger: PerWorker<UseLedger>? = nil,
    allow: [CIDR] = [], only: Set<String>? = nil
  ) throws -> URLSummary {
    let partial = PerWorker(threads: threads) { URLSummary(countsAgents: ledger == nil) }
    let seen = SeenUses()
    let tables: [([String], UseColumns, Predicate, String, Bool)] = [
      (accessLogFiles, .access, accessFilter, ColumnName.requestTime, false),
      (cloudTrailFiles, .trail, trailFilter, ColumnName.eventTime, true),
    ]
    // CloudTrail first: an access-log row of a request it logged too is not a second use.
    var trailKeys = Set<UInt64>()
    for table in [1, 0] where !tables[table].0.isEmpty {
      let (files, fields, filter, time, cloudTrail) = tables[table]
      var predicate = Predicate.all([.not(.isNull(ColumnName.presignVersion)), filter])
      if ledger != nil && !cloudTrail { predicate = .or([predicate, Hunts.deniedFavicon]) }
      let columns = fields.scanned(only: only)
      let positions = fields.positions(in: columns)
      let keys = PerWorker<[UInt64]>(threads: threads) { [] }
      let knownTrail = trailKeys
      statistics.add(
        try Scanner.scan(request(files, columns, predicate, time: time)) { (batch: RowBatch) in
          let fresh = seen.firstSeen(batch, id: positions[.id]!, time: positions[.time]!, table: UInt64(table))
          guard !fresh.isEmpty else { return }
          var found: [UInt64] = []
          var noted: [(row: Int, url: UInt64, counted: Bool)] = []
          var favicons: [Int] = []
          partial.update(batch.worker) { summary in
            for i in fresh {
              if ledger != nil && batch.hash(i, positions[.version]!) == 0 {
                favicons.append(i)
              } else if cloudTrail {
                let url = summary.add(batch, i, positions, cloudTrail: true)
                found.append(Self.requestKey(batch, i, positions))
                if ledger != nil { noted.append((i, url, true)) }
              } else {
                let key = knownTrail.isEmpty ? 0 : Self.requestKey(batch, i, positions)
                let isNew = key == 0 || !knownTrail.contains(key)
                let url = summary.add(batch, i, positions, cloudTrail: false, counted: isNew)
                if ledger != nil { noted.append((i, url, isNew)) }
              }
            }
          }
          ledger?.update(batch.worker) { ledger in
            let file = ledger.file(batch.path)
            for i in favicons { ledger.noteDenied(Self.accessUse(batch, i, positions), cloudTrail: false) }
            for (i, url, counted) in noted {
              if counted {
                ledger.add(batch, i, positions, url: url, file: file, cloudTrail: cloudTrail, allow: allow)
                if Self.isDenied(batch, i, positions, cloudTrail: cloudTrail) {
                  let use = cloudTrail ? Self.trailUse(batch, i, positions) : Self.accessUse(batch, i, positions)
                  ledger.noteDenied(use, cloudTrail: cloudTrail)
                }
              } else {
                ledger.twins.append(UseLedger.Twin(url: url, file: file))
              }
            }
          }
          if cloudTrail { keys.update(batch.worker) { $0 += found } }
        })
      if cloudTrail { trailKeys = Set(keys.joined().filter { $0 != 0 }) }
    }
    // Taken, not copied: the first summary's states must be the only reference to their buffer,
    // or growing it while merging copies (and retains) every state.
    var summaries = partial.take { URLSummary() }
    var merged = summaries.removeFirst()
    for s in summaries { merged.merge(s) }
    return merged
  }

  /// Whether row `i` is a use the `denied` hunt lists: an access-log 403, a CloudTrail
  /// `AccessDenied`.
  static func isDenied(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions, cloudTrail: Bool) -> Bool {
    if cloudTrail {
      guard let error = p[.errorCode] else { return false }
      return b.withBytes(i, error) { $0.map { $0.elementsEqual("AccessDenied".utf8) } ?? false }
    }
    return p[.status].map { b.integer(i, $0) == 403 } ?? false
  }

  /// Signing keys of URLs used from at least `minimumIPs` addresses (or `minimumAgents`
  /// agents), found from hashes of the stored bytes.
  ///
  /// Radix-partitioned: the scan threads only hash each use and append it to one of
  /// `SpreadUses.partitions` buffers by its URL's top bits; each partition is then counted on
  /// its own, with a table that stays in cache. One table for every URL (hundreds of
  /// thousands) missed the cache twice per use and was most of the hunt's time.
  mutating func spreadCandidates(minimumIPs: Int, minimumAgents: Int) throws -> [String] {
    var w = 0
    let partial = PerWorker(threads: threads) {
      defer { w += 1 }
      return SpreadUses(worker: w, countsAgents: minimumAgents > 0)
    }
    // A URL's identity (see `URLSummary.urlHash`), its address and agent, and its signer.
    let url: [UseColumns.Field] = [.akid, .signedAt, .expiresSeconds, .bucket, .key, .expiresAt]
    let tables: [([String], UseColumns, String, Bool)] = [
      (accessLogFiles, .access, ColumnName.requestTime, true),
      (cloudTrailFiles, .trail, ColumnName.eventTime, false),
    ]
    for (files, fields, time, encodedKeys) in tables where !files.isEmpty {
      let columns = (url + [.ip, .userAgent]).compactMap { fields[$0] }
      let p = fields.positions(in: columns)
      statistics.add(
        try Scanner.scan(request(files, columns, .not(.isNull(ColumnName.presignVersion)), time: time)) {
          (b: RowBatch) in
          // Column at a time: each column's hashes in one pass, then combined.
          let akids = b.hashes(p[.akid]!)
          var urls = akids
          for field in url.dropFirst() {
            let h = b.hashes(p[field]!, percentDecoded: field == .key && encodedKeys)
            for i in urls.indices { urls[i] = RowHash.combine(urls[i], h[i]) }
          }
          let ips = b.hashes(p[.ip]!)
          let agents = minimumAgents > 0 ? b.hashes(p[.userAgent]!) : Array(repeating: 0, count: b.count)
          partial.update(b.worker) { uses in
            for i in 0..<b.count {
              let signer = uses.signer(akids[i]) { b.value(i, p[.akid]!) }
              uses.append(url: urls[i], ip: ips[i], agent: agents[i], signer: signer)
            }
          }
        })
    }
    var workers = partial.take { SpreadUses(worker: 0, countsAgents: false) }
    let parts = workers.indices.map { w in workers[w].takeParts() }
    let qualifying = PerWorker<[SpreadUses.Signer]>(threads: SpreadUses.partitions) { [] }
    DispatchQueue.concurrentPerform(iterations: SpreadUses.partitions) { p in
      let found = SpreadUses.qualifying(
        parts.map { $0.uses[p] }, agents: parts.map { $0.agents.isEmpty ? [] : $0.agents[p] },
        minimumIPs: minimumIPs, minimumAgents: minimumAgents)
      qualifying.update(p) { $0 = found }
    }
    var akids = Set<String>()
    for signer in Set(qualifying.all.joined()) {
      if case .string(let akid) = workers[signer.worker].signers[signer.index] { akids.insert(akid) }
    }
    return akids.sorted()
  }

  /// Credentials CloudTrail saw issued (AssumeRole, GetSessionToken, ...), whatever the window;
  /// `filter` narrows the issuing events (say, to some instances' sessions).
  public mutating func issuedKeys(_ filter: Predicate = .always) throws -> [IssuedKey] {
    guard !cloudTrailFiles.isEmpty else { return [] }
    if filter == .always, let known = currentLineage().issued { return known }
    let keys = try readIssuedKeys(filter)
    if filter == .always { lineage.issued = keys }
    return keys
  }

  private mutating func readIssuedKeys(_ filter: Predicate) throws -> [IssuedKey] {
    let columns = [
      ColumnName.issuedAccessKeyID, ColumnName.eventTime, ColumnName.issuedExpiration, ColumnName.eventName,
      ColumnName.roleARN, ColumnName.roleSessionName,
      ColumnName.instanceID, ColumnName.invokedBy,
    ]
    // Whatever the hunt's window: a key issued before it can be used inside it.
    let request = request(
      cloudTrailFiles, columns, .all([.not(.isNull(ColumnName.issuedAccessKeyID)), filter]), time: nil)
    let found = PerWorker<[IssuedKey]>(threads: threads) { [] }
    statistics.add(
      try Scanner.scan(request) { (b: RowBatch) in
        found.update(b.worker) { keys in
          for i in 0..<b.count {
            keys.append(
              IssuedKey(
                akid: b.value(i, 0).text, issuedAt: b.integer(i, 1) ?? 0, expiresAt: b.integer(i, 2),
                eventName: b.value(i, 3).text, roleARN: b.value(i, 4).text, sessionName: b.value(i, 5).text,
                instanceID: b.value(i, 6).text, invokedBy: b.value(i, 7).text))
          }
        }
      })
    // One entry per key (CloudTrail delivers some events twice): the earliest issue (the least
    // event name at a tie), whichever thread read it.
    let all = found.joined()
    // Positions, not keys, move through the table and the sort: a key is six strings.
    var earliest: [String: Int] = [:]
    earliest.reserveCapacity(all.count)
    for (i, k) in all.enumerated() {
      if let known = earliest[k.akid], !Self.issued(k, before: all[known]) { continue }
      earliest[k.akid] = i
    }
    var order = Array(earliest.values)
    order.sort { a, b in
      let (x, y) = (all[a].issuedAt, all[b].issuedAt)
      return x != y ? x < y : all[a].akid.utf8.lexicographicallyPrecedes(all[b].akid.utf8)
    }
    return order.map { all[$0] }
  }

  static func issued(_ a: IssuedKey, before b: IssuedKey) -> Bool {
    a.issuedAt != b.issuedAt ? a.issuedAt < b.issuedAt : a.eventName.utf8.lexicographicallyPrecedes(b.eventName.utf8)
  }

  /// Successful StopInstances and TerminateInstances, per instance.
  public mutating func instanceEnds() throws -> [InstanceEnd] {
    guard !cloudTrailFiles.isEmpty else { return [] }
    if let known = currentLineage().ends { return known }
    let ends = try readInstanceEnds()
    lineage.ends = ends
    return ends
  }

  private mutating func readInstanceEnds() throws -> [InstanceEnd] {
    let ended = Predicate.and([
      .isIn(ColumnName.eventName, ["TerminateInstances", "StopInstances"]), .isNull(ColumnName.errorCode),
      .not(.isNull(ColumnName.targetInstanceIDs)),
    ])
    let request = request(
      cloudTrailFiles, [ColumnName.eventTime, ColumnName.eventName, ColumnName.targetInstanceIDs], ended, time: nil)
    let found = Mutex<[InstanceEnd]>([])
    statistics.add(
      try Scanner.scan(request) { rows in
        var ends: [InstanceEnd] = []
        for r in rows {
          for id in r[2].text.split(separator: ",") {
            ends.append(InstanceEnd(instanceID: String(id), time: Self.micros(r[0]) ?? 0, eventName: r[1].text))
          }
        }
        found.withLock { $0 += ends }
      })
    return found.withLock { $0.sorted { ($0.time, $0.instanceID) < ($1.time, $1.instanceID) } }
  }

  /// Every revocation the `cloudtrail` table holds, once each (a second delivery of the same
  /// event is the same revocation), in time order: inline policies put on a role or user, and
  /// managed policies denying on `aws:TokenIssueTime` attached to one (in either order: the
  /// revocation starts when both are in place).
  public mutating func revocations() throws -> [Revocation] {
    guard !cloudTrailFiles.isEmpty else { return [] }
    if let known = currentLineage().revocations { return known }
    let found = try readRevocations()
    lineage.revocations = found
    return found
  }

  private mutating func readRevocations() throws -> [Revocation] {
    let request = request(
      cloudTrailFiles,
      [
        ColumnName.eventTime, ColumnName.revokedPrincipal, ColumnName.revokeBefore, ColumnName.identityARN,
        ColumnName.eventID, ColumnName.requestParameters,
      ],
      .not(.isNull(ColumnName.revokedPrincipal)), time: nil)
    let found = Mutex<[String: (Revocation, String)]>([:])
    statistics.add(
      try Scanner.scan(request) { rows in
        var batch: [(Revocation, String)] = []
        for r in rows {
          guard let time = Self.micros(r[0]) else { continue }
          batch.append(
            (
              Revocation(
                time: time, principal: r[1].text, before: Self.micros(r[2]) ?? Int64.min, by: r[3].text,
                eventID: r[4].text), r[5].text
            ))
        }
        found.withLock { all in for v in batch { all[v.0.eventID] = v } }
      })
    let events = found.withLock { $0.values.sorted { ($0.0.time, $0.0.eventID) < ($1.0.time, $1.0.eventID) } }
    var out: [Revocation] = []
    var policies: [String: [Revocation]] = [:]
    for (event, _) in events where event.before != .min {
      if event.principal.contains(":policy/") {
        policies[event.principal, default: []].append(event)
      } else {
        out.append(event)
      }
    }
    for (attach, parameters) in events where attach.before == .min {
      guard let policy = Self.jsonField("policyArn", in: parameters) else { continue }
      for version in policies[policy] ?? [] {
        var r = attach
        r.time = max(attach.time, version.time)
        r.before = version.before
        if version.time > attach.time { r.by = version.by }
        r.eventID = attach.eventID + "+" + version.eventID
        out.append(r)
      }
    }
    return out.sorted { ($0.time, $0.principal) < ($1.time, $1.principal) }
  }

  /// A string member of a JSON object's text (`request_parameters` as stored), blanks allowed
  /// around the colon; escapes are not decoded (ARNs hold none).
  static func jsonField(_ name: String, in json: String) -> String? {
    let key = Array("\"\(name)\"".utf8)
    let bytes = Array(json.utf8)
    var i = 0
    func blanks() { while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A) { i += 1 } }
    while i + key.count <= bytes.count {
      guard bytes[i..<(i + key.count)].elementsEqual(key) else {
        i += 1
        continue
      }
      i += key.count
      blanks()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { continue }
      i += 1
      blanks()
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { continue }
      let from = i + 1
      guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
      return String(decoding: bytes[from..<end], as: UTF8.self)
    }
    return nil
  }

  static func micros(_ v: Value) -> Int64? {
    if case .timestamp(let t) = v { return t }
    return nil
  }

  static func int(_ v: Value) -> Int64? {
    if case .int(let i) = v { return i }
    return nil
  }

  static func accessUse(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions) -> PresignedUse {
    func r(_ f: UseColumns.Field) -> Value { p.value(b, i, f) }
    return PresignedUse(
      source: ShardTable.s3Access.rawValue, id: r(.id).text, time: micros(r(.time)) ?? 0, ip: r(.ip).text,
      principal: r(.principal).text, userAgent: r(.userAgent).text, operation: r(.operation).text,
      method: r(.method).text, bucket: r(.bucket).text, key: percentDecoded(r(.key).text), status: int(r(.status)),
      errorCode: r(.errorCode).text, bytes: int(r(.bytes)) ?? 0, akid: r(.akid).text, keyKind: r(.keyKind).text,
      version: r(.version).text, signedAt: micros(r(.signedAt)), expiresSeconds: int(r(.expiresSeconds)),
      expiresAt: micros(r(.expiresAt)), signature: r(.signature).text,
      urlHash: URLSummary.urlHash(b, i, p, encoded: true))
  }

  static func trailUse(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions) -> PresignedUse {
    func r(_ f: UseColumns.Field) -> Value { p.value(b, i, f) }
    let error = r(.errorCode).text
    let name = r(.operation).text
    return PresignedUse(
      source: ShardTable.cloudtrail.rawValue, id: r(.id).text, time: micros(r(.time)) ?? 0, ip: r(.ip).text,
      principal: r(.principal).text, userAgent: r(.userAgent).text, operation: name, method: method(ofEvent: name),
      bucket: r(.bucket).text, key: r(.key).text, status: error.isEmpty ? 200 : error == "AccessDenied" ? 403 : nil,
      errorCode: error, bytes: (int(r(.bytes)) ?? 0) + (int(r(.bytesIn)) ?? 0), akid: r(.akid).text,
      keyKind: r(.keyKind).text, version: r(.version).text, signedAt: micros(r(.signedAt)),
      expiresSeconds: int(r(.expiresSeconds)), expiresAt: micros(r(.expiresAt)), signature: "",
      urlHash: URLSummary.urlHash(b, i, p, encoded: false))
  }

  /// The HTTP method behind an S3 data event name.
  static func method(ofEvent name: String) -> String {
    if name.hasPrefix("Put") || name == "UploadPart" || name == "CopyObject" || name == "UploadPartCopy" {
      return "PUT"
    }
    if name.hasPrefix("Delete") { return name == "DeleteObjects" ? "POST" : "DELETE" }
    if name == "PostObject" || name == "CreateMultipartUpload" || name == "CompleteMultipartUpload"
      || name == "RestoreObject" || name == "SelectObjectContent"
    {
      return "POST"
    }
    if name.hasPrefix("Head") { return "HEAD" }
    return "GET"
  }

  static func percentDecoded(_ s: String) -> String {
    guard s.utf8.contains(0x25) else { return s }
    var out: [UInt8] = []
    var text = s
    text.withUTF8 { PercentDecoding.decode(UnsafeRawBufferPointer($0), appendingTo: &out) }
    return String(decoding: out, as: UTF8.self)
  }
}
