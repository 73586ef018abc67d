import LogBytes
import Query
import ShardSchema

/// Every presigned URL's usage, aggregated while scanning: one state per URL, keyed by its
/// `urlHash` computed from the stored bytes, so a use costs a few hashes and only a URL's first
/// use makes strings. Uses arrive de-duplicated (`SeenUses`).
struct URLSummary {
  struct State: Sendable {
    var hash: UInt64
    /// `RowHash` of the signing key's stored bytes.
    var akidHash: UInt64
    var uses: Int64 = 0
    var first: Int64
    var last: Int64
    var akid: Value
    var keyKind: Value
    var principal: Value
    var signedAt: Value
    var expiresAt: Value
    var expiresSeconds: Value
    var version: Value
    var object: String
    var signature: String
    /// When the use that gave `signature` happened: the earliest access-log use's is kept (the
    /// least at a tie), whichever thread saw it first.
    var signatureTime: Int64
    var operations: [String]
    /// Hashes of `operations`, so that a use's operation is checked without making its string.
    var operationHashes: [UInt64]
    var sources: UInt8
    var bytes: Int64 = 0
    var ips: SmallSet<UInt64>
    var agents: SmallSet<UInt64>
  }

  /// States in first-seen order, and where each URL's is: updating a state in an array is in
  /// place, where a dictionary's value would be looked up once per field.
  var states: [State] = []
  var index = HashIndex<UInt64>(placeholder: 0)
  /// Whether distinct user agents are counted (the report does not show them).
  var countsAgents = true

  init(countsAgents: Bool = true) { self.countsAgents = countsAgents }

  /// A URL's identity, the one every hunt uses: FNV-1a over `akid \n signedAtSeconds \n
  /// expiresSeconds \n bucket \n decoded key` (SigV2: `@expiresAtSeconds` for the missing
  /// X-Amz-Expires), from the stored bytes.
  /// 0 when the scan did not read one of the fields.
  static func urlHash(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions, encoded: Bool) -> UInt64 {
    guard let akid = p[.akid], let signedAt = p[.signedAt], let expires = p[.expiresSeconds],
      let expiresAt = p[.expiresAt], let bucket = p[.bucket], let key = p[.key]
    else { return 0 }
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
    if let seconds = b.integer(i, expires) {
      feedNumber(seconds)
    } else if let at = b.integer(i, expiresAt) {
      feed(UInt8(ascii: "@"))
      feedNumber(at / 1_000_000)
    }
    feed(0x0A)
    feedText(bucket, decode: false)
    feed(0x0A)
    feedText(key, decode: encoded)
    return h
  }

  /// Adds row `i` of a use scan whose fields are at `p`, and gives its URL's hash.
  /// A row not `counted` is a request the other source already counted: it names its source
  /// (and gives its signature) without being a second use.
  @discardableResult
  mutating func add(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions, cloudTrail: Bool, counted: Bool = true)
    -> UInt64
  {
    func at(_ field: UseColumns.Field) -> Int { p[field]! }
    // Agents, operations, bytes and signatures are left out of a scan that does not read them.
    let c = (
      time: at(.time), ip: at(.ip), principal: at(.principal), agent: countsAgents ? p[.userAgent] : nil,
      op: p[.operation],
      bucket: at(.bucket), key: at(.key), bytes: p[.bytes], akid: at(.akid), kind: at(.keyKind),
      signed: at(.signedAt), expiresAt: at(.expiresAt), signature: p[.signature]
    )
    let hash = Self.urlHash(b, i, p, encoded: !cloudTrail)
    let time = b.integer(i, c.time) ?? 0
    var bytes: Int64 = 0
    if counted, let column = c.bytes {
      bytes = (b.integer(i, column) ?? 0) + (p[.bytesIn].flatMap { b.integer(i, $0) } ?? 0)
    }
    let op = c.op.map { b.hash(i, $0) }
    if let k = index.position(of: hash, orInsert: states.count) {
      if counted { states[k].uses += 1 }
      if time <= states[k].first {
        // The first use's principal; between uses of the same instant, the least, so that the
        // answer does not depend on which thread read which use.
        let principal = b.value(i, c.principal)
        if time < states[k].first || principal < states[k].principal { states[k].principal = principal }
        states[k].first = time
      }
      states[k].last = max(states[k].last, time)
      states[k].ips.insert(b.hash(i, c.ip))
      if let agent = c.agent { states[k].agents.insert(b.hash(i, agent)) }
      states[k].bytes += bytes
      states[k].sources |= cloudTrail ? 2 : 1
      if let op, !states[k].operationHashes.contains(op) {
        states[k].operationHashes.append(op)
        states[k].operations.append(b.value(i, c.op!).text)
      }
      if !cloudTrail && c.signature != nil && time <= states[k].signatureTime {
        let signature = p.value(b, i, .signature).text
        if time < states[k].signatureTime || signature < states[k].signature {
          states[k].signature = signature
          states[k].signatureTime = time
        }
      }
      return hash
    }
    let bucket = b.value(i, c.bucket).text
    let key = b.value(i, c.key).text
    states.append(
      State(
        hash: hash, akidHash: b.hash(i, c.akid), uses: counted ? 1 : 0, first: time, last: time,
        akid: b.value(i, c.akid),
        keyKind: b.value(i, c.kind),
        principal: b.value(i, c.principal), signedAt: b.value(i, c.signed), expiresAt: b.value(i, c.expiresAt),
        expiresSeconds: p.value(b, i, .expiresSeconds), version: p.value(b, i, .version),
        object: bucket + "/" + (cloudTrail ? key : HuntData.percentDecoded(key)),
        signature: p.value(b, i, .signature).text, signatureTime: cloudTrail ? .max : time,
        operations: c.op.map { [b.value(i, $0).text] } ?? [], operationHashes: op.map { [$0] } ?? [],
        sources: cloudTrail ? 2 : 1, bytes: bytes, ips: SmallSet(b.hash(i, c.ip)),
        agents: SmallSet(c.agent.map { b.hash(i, $0) } ?? 0)))
    return hash
  }

  /// Adds another thread's summary (of other uses: duplicates were dropped before either saw them).
  mutating func merge(_ other: URLSummary) {
    // Fields are read in place: a state bound to a variable would retain its dozen references,
    // once per URL, and both threads have seen most URLs.
    states.reserveCapacity(states.count + other.states.count)
    other.states.withUnsafeBufferPointer { theirs in
      for j in theirs.indices {
        guard let k = index.position(of: theirs[j].hash, orInsert: states.count) else {
          states.append(theirs[j])
          continue
        }
        states[k].uses += theirs[j].uses
        states[k].bytes += theirs[j].bytes
        if theirs[j].first < states[k].first
          || (theirs[j].first == states[k].first && theirs[j].principal < states[k].principal)
        {
          states[k].first = theirs[j].first
          states[k].principal = theirs[j].principal
        }
        states[k].last = max(states[k].last, theirs[j].last)
        states[k].ips.formUnion(theirs[j].ips)
        states[k].agents.formUnion(theirs[j].agents)
        states[k].sources |= theirs[j].sources
        for (h, op) in zip(theirs[j].operationHashes, theirs[j].operations)
        where !states[k].operationHashes.contains(h) {
          states[k].operationHashes.append(h)
          states[k].operations.append(op)
        }
        if theirs[j].signatureTime < states[k].signatureTime
          || (theirs[j].signatureTime == states[k].signatureTime && theirs[j].signature < states[k].signature)
        {
          states[k].signature = theirs[j].signature
          states[k].signatureTime = theirs[j].signatureTime
        }
      }
    }
  }

  func rows(minimumIPs: Int, minimumAgents: Int) -> [[Value]] {
    var keyed: [(first: Int64, url: String, row: [Value])] = []
    keyed.reserveCapacity(states.count)
    for s in states {
      guard s.ips.count >= minimumIPs || (minimumAgents > 0 && s.agents.count >= minimumAgents) else { continue }
      let url = PresignedUse.urlID(s.hash)
      let sources =
        (s.sources & 2 != 0 ? [ShardTable.cloudtrail.rawValue] : [])
        + (s.sources & 1 != 0 ? [ShardTable.s3Access.rawValue] : [])
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
