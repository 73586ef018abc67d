import Query

/// The uses one scan thread saw, for `HuntData.spreadCandidates`: a URL's, address's and
/// agent's hashes, partitioned by the URL hash's top bits so that each partition can be
/// counted with a table that fits in cache.
struct SpreadUses {
  static let partitionBits = 6
  static let partitions = 1 << partitionBits

  /// 24 bytes a use. Addresses and agents are told apart by 32 bits of their hash: two of one
  /// URL's few addresses collide once in billions.
  struct Use {
    var url: UInt64
    var akid: UInt64
    var ip: UInt32
    var agent: UInt32
  }

  private(set) var parts: [[Use]] = Array(repeating: [], count: partitions)
  /// Signing keys by hash, in first-seen order, to name the qualifying URLs' signers.
  private(set) var akidHashes: [UInt64] = []
  private(set) var akidValues: [Value] = []
  private var akidIndex = HashIndex<UInt64>(placeholder: 0)
  private var lastAkid: UInt64 = 0

  @inline(__always)
  mutating func append(_ use: Use) {
    parts[Int(truncatingIfNeeded: use.url >> UInt64(64 - Self.partitionBits))].append(use)
  }

  /// The partitions, handed over (not copied: they are most of the hunt's memory).
  mutating func takeParts() -> [[Use]] {
    defer { parts = [] }
    return parts
  }

  /// Remembers the key behind `hash` (`value` is made only the first time it is seen).
  @inline(__always)
  mutating func name(_ hash: UInt64, _ value: () -> Value) {
    guard hash != lastAkid else { return }
    lastAkid = hash
    if akidIndex.position(of: hash, orInsert: akidHashes.count) == nil {
      akidHashes.append(hash)
      akidValues.append(value())
    }
  }

  /// The signing-key hashes of the URLs, among one partition's uses from every thread, used
  /// from at least `minimumIPs` addresses or (when positive) `minimumAgents` agents.
  static func qualifying(_ uses: [[Use]], minimumIPs: Int, minimumAgents: Int) -> [UInt64] {
    struct Counted {
      var akid: UInt64
      var ips: Distinct
      var agents: Distinct
    }
    let total = uses.reduce(0) { $0 + $1.count }
    var index = HashIndex<UInt64>(placeholder: 0, capacity: max(16, total / 4))
    var urls: [Counted] = []
    for part in uses {
      for u in part {
        if let k = index.position(of: u.url, orInsert: urls.count) {
          urls[k].ips.insert(u.ip)
          if minimumAgents > 0 { urls[k].agents.insert(u.agent) }
        } else {
          urls.append(Counted(akid: u.akid, ips: Distinct(u.ip), agents: Distinct(u.agent)))
        }
      }
    }
    return urls.filter { $0.ips.count >= minimumIPs || (minimumAgents > 0 && $0.agents.count >= minimumAgents) }
      .map(\.akid)
  }

  /// Distinct 32-bit values, the common single one without an allocation.
  struct Distinct {
    var first: UInt32
    var more: Set<UInt32>?

    init(_ v: UInt32) { first = v }

    var count: Int { (more?.count ?? 0) + 1 }

    mutating func insert(_ v: UInt32) {
      guard v != first else { return }
      if more == nil { more = [] }
      more!.insert(v)
    }
  }
}
