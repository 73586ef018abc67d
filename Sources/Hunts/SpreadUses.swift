import Query

/// The uses one scan thread saw, for `HuntData.spreadCandidates`: a URL's, address's and
/// agent's hashes, partitioned by the URL hash's top bits so that each partition can be
/// counted with a table that fits in cache.
struct SpreadUses {
  static let partitionBits = 6
  static let partitions = 1 << partitionBits
  /// Uses per block (128 KiB).
  static let blockSize = 8192

  /// 16 bytes a use. Addresses (and agents, kept apart) are told apart by 32 bits of their
  /// hash: two of one URL's few addresses collide once in billions. `signer` is a `Signer`.
  struct Use {
    var url: UInt64
    var ip: UInt32
    var signer: UInt32
  }

  /// A signing key seen by one thread: the thread in the top byte, its position in that
  /// thread's `signers` below.
  struct Signer: Hashable {
    var raw: UInt32

    init(worker: Int, index: Int) { raw = UInt32(worker) << 24 | UInt32(index) }
    init(raw: UInt32) { self.raw = raw }

    var worker: Int { Int(raw >> 24) }
    var index: Int { Int(raw & 0xFF_FFFF) }
  }

  /// Blocks of uses per partition, each filled before the next is made: one growing array per
  /// partition was copied as it grew and touched fresh memory twice.
  private(set) var parts: [[[Use]]] = Array(repeating: [], count: partitions)
  /// The agents' hashes, block for block with `parts`, when agents are counted.
  private(set) var agentParts: [[[UInt32]]] = Array(repeating: [], count: partitions)
  let worker: Int
  let countsAgents: Bool
  /// Signing keys in first-seen order, to name the qualifying URLs' signers.
  private(set) var signers: [Value] = []
  private var signerIndex = HashIndex<UInt64>(placeholder: 0)
  private var last: (hash: UInt64, index: Int) = (0, -1)

  init(worker: Int, countsAgents: Bool) {
    self.worker = worker
    self.countsAgents = countsAgents
  }

  @inline(__always)
  mutating func append(url: UInt64, ip: UInt64, agent: UInt64, signer: Int) {
    let p = Int(truncatingIfNeeded: url >> UInt64(64 - Self.partitionBits))
    if parts[p].isEmpty || parts[p][parts[p].count - 1].count == Self.blockSize {
      parts[p].append([])
      parts[p][parts[p].count - 1].reserveCapacity(Self.blockSize)
      if countsAgents {
        agentParts[p].append([])
        agentParts[p][agentParts[p].count - 1].reserveCapacity(Self.blockSize)
      }
    }
    let signer = Signer(worker: worker, index: signer)
    parts[p][parts[p].count - 1].append(
      Use(url: url, ip: UInt32(truncatingIfNeeded: ip), signer: signer.raw))
    if countsAgents { agentParts[p][agentParts[p].count - 1].append(UInt32(truncatingIfNeeded: agent)) }
  }

  /// The position in `signers` of the key behind `hash` (`value` is made only the first time
  /// it is seen).
  @inline(__always)
  mutating func signer(_ hash: UInt64, _ value: () -> Value) -> Int {
    if hash == last.hash && last.index >= 0 { return last.index }
    var index = signers.count
    if let known = signerIndex.position(of: hash, orInsert: index) {
      index = known
    } else {
      signers.append(value())
    }
    last = (hash, index)
    return index
  }

  /// The partitions, handed over (not copied: they are most of the hunt's memory).
  mutating func takeParts() -> (uses: [[[Use]]], agents: [[[UInt32]]]) {
    defer { (parts, agentParts) = ([], []) }
    return (parts, agentParts)
  }

  /// The signers of the URLs, among one partition's uses from every thread (blocks of uses,
  /// and of agents when counted), used from at least `minimumIPs` addresses or (when positive)
  /// `minimumAgents` agents.
  static func qualifying(
    _ uses: [[[Use]]], agents: [[[UInt32]]], minimumIPs: Int, minimumAgents: Int
  ) -> [Signer] {
    struct Counted {
      var signer: UInt32
      var ips: SmallSet<UInt32>
      var agents: SmallSet<UInt32>
    }
    let total = uses.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
    var index = HashIndex<UInt64>(placeholder: 0, capacity: max(16, total / 4))
    var urls: [Counted] = []
    for (w, blocks) in uses.enumerated() {
      for (b, block) in blocks.enumerated() {
        let agentBlock = minimumAgents > 0 ? agents[w][b] : []
        for (k, u) in block.enumerated() {
          let agent = minimumAgents > 0 ? agentBlock[k] : 0
          if let i = index.position(of: u.url, orInsert: urls.count) {
            urls[i].ips.insert(u.ip)
            if minimumAgents > 0 { urls[i].agents.insert(agent) }
          } else {
            urls.append(Counted(signer: u.signer, ips: SmallSet(u.ip), agents: SmallSet(agent)))
          }
        }
      }
    }
    return urls.filter { $0.ips.count >= minimumIPs || (minimumAgents > 0 && $0.agents.count >= minimumAgents) }
      .map { Signer(raw: $0.signer) }
  }
}
