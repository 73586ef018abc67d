import LogBytes
import Query
import Synchronization

/// Every presigned URL's usage, aggregated while scanning: one state per URL, keyed by the same
/// FNV-1a as `PresignedUse.urlHash` but computed from the stored bytes, so a use costs a few
/// hashes and only a URL's first use makes strings.
struct URLSummary {
  struct State {
    var hash: UInt64
    var uses: Int64 = 0
    var first: Int64
    var last: Int64
    var akid: Value
    var keyKind: Value
    var principal: Value
    var signedAt: Value
    var expiresAt: Value
    var object: String
    var signature: String
    var operations: [String]
    var sources: UInt8
    var bytes: Int64 = 0
    var ips: SmallSet
    var agents: SmallSet
    /// Requests and events already counted (a delivery can come twice).
    var seen: SmallSet
  }

  /// A set of hashes that holds its first member inline: most URLs are used once, and three
  /// heap sets per URL would cost more than everything else.
  struct SmallSet {
    var first: UInt64
    var more: Set<UInt64>?

    init(_ v: UInt64) { first = v }

    var count: Int { (more?.count ?? 0) + 1 }

    /// Inserts `v`; false if it was there.
    @discardableResult
    mutating func insert(_ v: UInt64) -> Bool {
      if v == first { return false }
      if more == nil { more = [] }
      return more!.insert(v).inserted
    }

    func contains(_ v: UInt64) -> Bool { v == first || (more?.contains(v) ?? false) }

    var members: [UInt64] { [first] + (more.map(Array.init) ?? []) }

    mutating func formUnion(_ o: SmallSet) { for v in o.members { insert(v) } }

    func isDisjoint(with o: SmallSet) -> Bool { !o.members.contains { contains($0) } }
  }

  var states: [UInt64: State] = [:]

  /// FNV-1a over `akid \n signedAtSeconds \n expiresSeconds \n bucket \n decoded key`: the
  /// bytes `PresignedUse.urlHash` hashes.
  static func urlHash(
    _ b: RowBatch, _ i: Int, akid: Int, signedAt: Int, expires: Int, bucket: Int, key: Int, encoded: Bool
  )
    -> UInt64
  {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    @inline(__always) func feed(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    func feedText(_ column: Int, decode: Bool) {
      b.withBytes(i, column) { bytes in
        guard let bytes else { return }
        if decode, bytes.contains(0x25) {
          var out: [UInt8] = []
          PercentDecoding.decode(bytes, appendingTo: &out)
          for c in out { feed(c) }
        } else {
          for c in bytes { feed(c) }
        }
      }
    }
    func feedNumber(_ v: Int64?) {
      guard let v else { return }
      // Decimal digits, as String(v) would spell them, without making the string.
      if v < 0 { feed(UInt8(ascii: "-")) }
      var magnitude = v.magnitude
      var digits:
        (
          UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
          UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
      var n = 0
      withUnsafeMutableBytes(of: &digits) { d in
        repeat {
          d[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
          magnitude /= 10
          n += 1
        } while magnitude > 0
        for k in stride(from: n - 1, through: 0, by: -1) { feed(d[k]) }
      }
    }
    feedText(akid, decode: false)
    feed(0x0A)
    feedNumber(b.integer(i, signedAt).map { $0 / 1_000_000 })
    feed(0x0A)
    feedNumber(b.integer(i, expires))
    feed(0x0A)
    feedText(bucket, decode: false)
    feed(0x0A)
    feedText(key, decode: encoded)
    return h
  }

  /// Adds row `i` of a scan whose columns are `HuntData.accessColumns` (or `trailColumns`).
  mutating func add(_ b: RowBatch, _ i: Int, cloudTrail: Bool) {
    // Column positions in the two scans (see HuntData): id, time, ip, principal, agent,
    // operation, bucket, key, bytes, akid, key kind, signed_at, expires_seconds, expires_at.
    let c =
      cloudTrail
      ? (
        id: 0, time: 1, ip: 2, principal: 3, agent: 4, op: 5, bucket: 6, key: 7, bytes: 9, akid: 11, kind: 12,
        signed: 14, expires: 15, expiresAt: 16
      )
      : (
        id: 0, time: 1, ip: 2, principal: 3, agent: 4, op: 5, bucket: 7, key: 8, bytes: 11, akid: 12, kind: 13,
        signed: 15, expires: 16, expiresAt: 17
      )
    let hash = Self.urlHash(
      b, i, akid: c.akid, signedAt: c.signed, expires: c.expires, bucket: c.bucket, key: c.key, encoded: !cloudTrail)
    let time = b.integer(i, c.time) ?? 0
    let id = cloudTrail ? b.hash(i, c.id) : RowHash.combine(b.hash(i, c.id), RowHash.integer(time))
    let bytes = (b.integer(i, c.bytes) ?? 0) + (cloudTrail ? (b.integer(i, 10) ?? 0) : 0)
    if states[hash] != nil {
      guard states[hash]!.seen.insert(id) else { return }
      states[hash]!.uses += 1
      states[hash]!.first = min(states[hash]!.first, time)
      states[hash]!.last = max(states[hash]!.last, time)
      states[hash]!.ips.insert(b.hash(i, c.ip))
      states[hash]!.agents.insert(b.hash(i, c.agent))
      states[hash]!.bytes += bytes
      states[hash]!.sources |= cloudTrail ? 2 : 1
      let op = b.value(i, c.op).text
      if !states[hash]!.operations.contains(op) { states[hash]!.operations.append(op) }
      if states[hash]!.signature.isEmpty, !cloudTrail { states[hash]!.signature = b.value(i, 18).text }
      return
    }
    let bucket = b.value(i, c.bucket).text
    let key = b.value(i, c.key).text
    states[hash] = State(
      hash: hash, uses: 1, first: time, last: time, akid: b.value(i, c.akid), keyKind: b.value(i, c.kind),
      principal: b.value(i, c.principal), signedAt: b.value(i, c.signed), expiresAt: b.value(i, c.expiresAt),
      object: bucket + "/" + (cloudTrail ? key : HuntData.percentDecoded(key)),
      signature: cloudTrail ? "" : b.value(i, 18).text, operations: [b.value(i, c.op).text],
      sources: cloudTrail ? 2 : 1, bytes: bytes, ips: SmallSet(b.hash(i, c.ip)), agents: SmallSet(b.hash(i, c.agent)),
      seen: SmallSet(id))
  }

  mutating func merge(_ other: URLSummary) {
    for (hash, theirs) in other.states {
      guard var mine = states[hash] else {
        states[hash] = theirs
        continue
      }
      // A use counted on both sides (a delivery read twice by two threads) counts once; its
      // bytes are then left out rather than counted twice.
      if mine.seen.isDisjoint(with: theirs.seen) { mine.bytes += theirs.bytes }
      mine.seen.formUnion(theirs.seen)
      mine.uses = Int64(mine.seen.count)
      if theirs.first < mine.first {
        mine.first = theirs.first
        mine.principal = theirs.principal
      }
      mine.last = max(mine.last, theirs.last)
      mine.ips.formUnion(theirs.ips)
      mine.agents.formUnion(theirs.agents)
      mine.sources |= theirs.sources
      for op in theirs.operations where !mine.operations.contains(op) { mine.operations.append(op) }
      if mine.signature.isEmpty { mine.signature = theirs.signature }
      states[hash] = mine
    }
  }

  func rows(minimumIPs: Int, minimumAgents: Int) -> [[Value]] {
    var keyed: [(first: Int64, url: String, row: [Value])] = []
    keyed.reserveCapacity(states.count)
    for s in states.values {
      guard s.ips.count >= minimumIPs || (minimumAgents > 0 && s.agents.count >= minimumAgents) else { continue }
      let hex = String(s.hash, radix: 16)
      let url = String(repeating: "0", count: 16 - hex.count) + hex
      let sources = (s.sources & 2 != 0 ? ["cloudtrail"] : []) + (s.sources & 1 != 0 ? ["s3_access"] : [])
      keyed.append(
        (
          s.first, url,
          [
            .string(url), s.akid, s.keyKind, s.principal, s.signedAt, s.expiresAt, .timestamp(s.first),
            .timestamp(s.last), .int(s.uses), .int(Int64(s.ips.count)), .int(Int64(s.agents.count)), .string(s.object),
            .int(s.bytes), .string(s.operations.sorted().joined(separator: " ")),
            .string(sources.joined(separator: " ")), .string(s.signature),
          ]
        ))
    }
    keyed.sort { ($0.first, $0.url) < ($1.first, $1.url) }
    return keyed.map(\.row)
  }
}
