import Query
import ShardSchema

/// What a report needs of every hunt from one scan of the presigned uses: each URL as the
/// `presigned` hunt sums it, and each use in a few words (`UseLedger`), from which the use-level
/// findings (after-termination, after-revocation, outside, writes), the URL-level ones (spread,
/// long-lived) and the denied bursts are decided in memory. Each hunt alone scans for what it
/// needs; the report, running all of them, would otherwise read the same columns seven times.
public struct SharedScan: Sendable {
  /// A presigned URL, as the `presigned` hunt lists it.
  public struct URL: Sendable {
    public var hash: UInt64
    public var signer: String
    public var keyKind: String
    public var principal: String
    public var version: String
    public var object: String
    public var signedAt: Int64?
    public var expiresSeconds: Int64?
    public var expiresAt: Int64?
    public var firstUse: Int64
    public var lastUse: Int64
    public var uses: Int64
    public var distinctIPs: Int

    /// The id the hunts print.
    public var id: String { PresignedUse.urlID(hash) }
  }

  /// The URLs' states, and their positions in first-use order: a URL is made (five strings)
  /// only when asked for, and a report draws a few of hundreds of thousands.
  private let states: [URLSummary.State]
  /// Where each URL's state is, by hash.
  private let index: HashIndex<UInt64>
  private let order: [Int]
  /// Each signing key's URLs (by `RowHash.text` of the key), as positions in `order`.
  private let bySigner: [UInt64: [Int]]
  public let useCount: Int64
  public let firstUse: Int64?
  public let lastUse: Int64?
  private let uses: [UseLedger.Use]
  private let files: [String]
  private let twins: [UseLedger.Twin]
  /// What the `denied` hunt reads, in its order.
  private let deniedUses: [PresignedUse]

  /// Scans `data`'s presigned uses once; `allow` are the networks a use from outside of is flagged.
  public init(_ data: inout HuntData, allow: [CIDR]) throws {
    let ledger = PerWorker(threads: data.threads) { UseLedger() }
    let summary = try data.presignedSummary(ledger: ledger, allow: allow, only: Self.columns)
    var parts = ledger.take { UseLedger() }
    // Taken, not copied: a use is a dozen strings.
    var gathered: [OrderedUse<PresignedUse>] = []
    for k in parts.indices {
      var mine: [OrderedUse<PresignedUse>] = []
      swap(&mine, &parts[k].denied)
      if gathered.isEmpty { gathered = mine } else { gathered += mine }
    }
    let denied = gathered
    // The uses and the URLs are put in order on two threads: neither needs the other.
    let states = summary.states
    let (all, urls) = Alongside.run {
      var all = parts.removeFirst()
      for part in parts { all.merge(part) }
      // Time order, as each hunt lists its rows; the id breaks ties whichever thread read them.
      all.uses.sort { ($0.time, $0.id) < ($1.time, $1.id) }
      for k in all.uses.indices { all.uses[k].state = Int32(summary.index.position(of: all.uses[k].url) ?? -1) }
      return all
    } side: {
      Self.ordered(states, denied: denied)
    }
    uses = all.uses
    files = all.files
    twins = all.twins
    self.states = states
    index = summary.index
    (order, bySigner, deniedUses) = (urls.order, urls.bySigner, urls.denied)
    (useCount, lastUse) = (urls.useCount, urls.lastUse)
    firstUse = order.first.map { states[$0].first }
  }

  /// `states` in first-use order, each signer's among them, and the denied uses in the order the
  /// `denied` hunt reads them.
  private static func ordered(_ states: [URLSummary.State], denied: [OrderedUse<PresignedUse>]) -> (
    order: [Int], bySigner: [UInt64: [Int]], useCount: Int64, lastUse: Int64?, denied: [PresignedUse]
  ) {
    // Sorted by keys laid side by side: comparing through the states (a few hundred bytes
    // each) missed the cache on every comparison.
    var keys = states.indices.map { (first: states[$0].first, hash: states[$0].hash, k: $0) }
    keys.sort { ($0.first, $0.hash) < ($1.first, $1.hash) }
    let order = keys.map(\.k)
    var bySigner: [UInt64: [Int]] = [:]
    var useCount: Int64 = 0
    var lastUse: Int64?
    for (position, k) in order.enumerated() {
      useCount += states[k].uses
      lastUse = max(lastUse ?? states[k].last, states[k].last)
      guard states[k].akidHash != 0 else { continue }
      bySigner[states[k].akidHash, default: []].append(position)
    }
    return (order, bySigner, useCount, lastUse, OrderedUse.values(inOrder: denied))
  }

  /// How many URLs.
  public var urlCount: Int { order.count }

  /// How many keys signed a URL.
  public var signerCount: Int { bySigner.count }

  /// The keys that signed a URL, sorted.
  public var signers: [String] { bySigner.values.map { states[order[$0[0]]].akid.text }.sorted() }

  /// Whether `akid` signed a URL.
  public func signed(_ akid: String) -> Bool { bySigner[RowHash.text(akid)] != nil }

  /// The URL at `position` in first-use order.
  public func url(_ position: Int) -> URL { url(state: order[position]) }

  private func url(state k: Int) -> URL {
    let s = states[k]
    return URL(
      hash: s.hash, signer: s.akid.text, keyKind: s.keyKind.text, principal: s.principal.text,
      version: s.version.text, object: s.object, signedAt: HuntData.micros(s.signedAt),
      expiresSeconds: HuntData.int(s.expiresSeconds), expiresAt: HuntData.micros(s.expiresAt), firstUse: s.first,
      lastUse: s.last, uses: s.uses, distinctIPs: s.ips.count)
  }

  /// The URLs of `hashes` there are, by hash.
  public func urls(_ hashes: Set<UInt64>) -> [UInt64: URL] {
    var out: [UInt64: URL] = [:]
    for hash in hashes {
      if let k = index.position(of: hash) { out[hash] = url(state: k) }
    }
    return out
  }

  /// The first `n` URLs `akid` signed, by first use, and how many it signed.
  public func urls(signedBy akid: String, first n: Int) -> (first: [URL], count: Int) {
    let positions = bySigner[RowHash.text(akid)] ?? []
    return (positions.prefix(n).map { url($0) }, positions.count)
  }

  /// What the findings need of a use: its URL, who signed and made it, from where, whether it
  /// wrote or was denied (and a denied one's agent and operation, read only where there is one);
  /// not the signature or bytes the `presigned` hunt lists.
  static let columns: Set<String> = [
    ColumnName.operation, ColumnName.credentialAKID, ColumnName.keyKind, ColumnName.presignVersion, ColumnName.signedAt,
    ColumnName.expiresSeconds, ColumnName.expiresAt, ColumnName.bucket, ColumnName.key, ColumnName.objectKey,
    ColumnName.requester, ColumnName.identityARN, ColumnName.remoteIP, ColumnName.sourceIP, ColumnName.httpMethod,
    ColumnName.eventName, ColumnName.httpStatus, ColumnName.errorCode, ColumnName.userAgent,
  ]

  /// When the uses of `urls` happened: a cheap first test for a later scan that wants only them.
  public func useTimes(of urls: Set<UInt64>) -> Set<Int64> {
    var times = Set<Int64>()
    for u in uses where urls.contains(u.url) { times.insert(u.time) }
    return times
  }

  /// The files holding the uses of `urls`: all a later scan for them needs to open.
  public func files(of urls: Set<UInt64>) -> Set<String> {
    var wanted = Set<UInt32>()
    for u in uses where urls.contains(u.url) { wanted.insert(u.file) }
    for t in twins where urls.contains(t.url) { wanted.insert(t.file) }
    return Set(wanted.map { files[Int($0)] })
  }

  /// Bursts of denied requests, as the `denied` hunt finds them, with their uses.
  public func denied(gap: Int64 = 300_000_000) -> DeniedBursts {
    DeniedBursts(groups: Hunts.burstGroups(deniedUses, gap: gap), uses: deniedUses)
  }

  /// Presigned uses from outside the allowed networks, as the `outside` hunt finds them.
  public func outside() -> Flagged { flag { $0.outside } }

  /// Writes through presigned URLs, as the `writes` hunt finds them.
  public func writes() -> Flagged { flag { $0.write } }

  /// Uses after the signing instance ended, as `Hunts.afterTermination` finds them from the
  /// instance ends and issued keys CloudTrail holds.
  public func afterTermination(ends found: [InstanceEnd], issued: [IssuedKey]) -> Flagged {
    var ends: [String: InstanceEnd] = [:]
    for e in found where ends[e.instanceID] == nil { ends[e.instanceID] = e }
    var owner: [UInt64: InstanceEnd] = [:]
    for k in issued where !k.instanceID.isEmpty {
      guard let end = ends[k.instanceID] else { continue }
      owner[RowHash.text(k.akid)] = end
    }
    var flagged = flag { u in
      owner[u.akid].map { u.time > $0.time } ?? false
    } note: { u in
      .ended(owner[u.akid]!)
    }
    if ends.isEmpty {
      flagged.notes.append(
        "no StopInstances or TerminateInstances events in the CloudTrail shards; give --instance and --at instead")
    }
    return flagged
  }

  /// Uses after each revocation by sessions issued before it, as `Hunts.afterRevocation` finds
  /// them; a URL is kept with the first revocation that flags it.
  public func afterRevocation(_ revocations: [(principal: String, at: Int64, before: Int64)], issued: [IssuedKey])
    -> Flagged
  {
    var all = Flagged()
    var seen = Set<UInt64>()
    for r in revocations {
      // The role's sessions CloudTrail saw issued: flagged when issued before the cut-off.
      var known: [UInt64: Bool] = [:]
      for k in issued where k.roleARN == r.principal { known[RowHash.text(k.akid)] = k.issuedAt < r.before }
      let sessions = Hunts.sessionMatcher(r.principal)
      var unknown = 0
      let found = flag { u in
        guard u.time >= r.at else { return false }
        if let before = known[u.akid] { return before }
        // A URL's principal is its signer's, the same in every use of it.
        guard sessions(states[Int(u.state)].principal.text) else { return false }
        unknown += 1
        return true
      } note: { _ in
        .revokedBefore(r.before)
      }
      let fresh = Set(found.urls.lazy.map(\.url).filter { seen.insert($0).inserted })
      all.urls += found.urls.filter { fresh.contains($0.url) }
      all.uses += found.uses.filter { fresh.contains($0.url) }
      if unknown > 0 {
        all.notes.append(
          "\(unknown) uses are by sessions of the role whose issue CloudTrail did not show; they are listed as issued before"
        )
      }
    }
    return all
  }

  /// URLs used from at least `minimumIPs` addresses, as the `spread` hunt finds them.
  public func spread(minimumIPs: Int) -> Flagged {
    Flagged(
      urls: order.filter { states[$0].ips.count >= minimumIPs }.map {
        Flagged.URL(url: states[$0].hash, weight: Int(states[$0].uses), everyUse: true)
      })
  }

  /// URLs valid longer than `over`, as the `long-lived` hunt finds them, longest first.
  public func longLived(over: Int64, issued: [IssuedKey]) -> Flagged {
    // By the hash of the key, as the states hold it: no key is spelled out per URL.
    var keys: [UInt64: IssuedKey] = [:]
    keys.reserveCapacity(issued.count)
    for k in issued { keys[RowHash.text(k.akid)] = k }
    var found: [(validity: Int64, hash: UInt64, k: Int)] = []
    // Effective validity never exceeds X-Amz-Expires: only longer URLs, and SigV2 ones, can be.
    let seconds = over / 1_000_000
    for k in states.indices {
      // Most URLs are SigV4 ones valid no longer than `over`: dismissed on one integer.
      let expires = HuntData.int(states[k].expiresSeconds)
      if let expires, expires <= seconds { continue }
      let version = states[k].version.text
      guard (expires ?? 0) > seconds || version == "SigV2",
        let (validity, _) = Hunts.effectiveValidity(
          version: version, issued: keys[states[k].akidHash], keyKind: states[k].keyKind.text,
          signedAt: HuntData.micros(states[k].signedAt), expiresSeconds: expires,
          expiresAt: HuntData.micros(states[k].expiresAt), firstUse: states[k].first),
        validity > over
      else { continue }
      found.append((validity, states[k].hash, k))
    }
    // The hash orders as its id (16 hex digits) does, without making the ids.
    found.sort { ($0.validity, $0.hash) > ($1.validity, $1.hash) }
    return Flagged(
      urls: found.map {
        Flagged.URL(
          url: states[$0.k].hash, weight: Int(states[$0.k].uses), everyUse: true,
          note: .validFor(seconds: $0.validity / 1_000_000))
      })
  }

  /// The uses `rule` flags, by URL in the order of each URL's first flagged use; `note` says
  /// what the finding says of a URL, from its first flagged use.
  private func flag(
    _ rule: (UseLedger.Use) -> Bool, note: (UseLedger.Use) -> Flagged.Note = { _ in .none }
  ) -> Flagged {
    // Where each URL (by state) is among those flagged: an array, where a table keyed by hash
    // grew and rehashed for every finding.
    var position = [Int32](repeating: -1, count: states.count)
    var out = Flagged()
    for u in uses where u.state >= 0 && rule(u) {
      let s = Int(u.state)
      if position[s] >= 0 {
        out.urls[Int(position[s])].weight += 1
      } else {
        position[s] = Int32(out.urls.count)
        out.urls.append(Flagged.URL(url: u.url, weight: 1, everyUse: false, note: note(u)))
      }
      out.uses.append((u.url, u.id))
    }
    return out
  }
}

/// The `denied` hunt's bursts, and the uses of each. A burst's row is made when asked for: most
/// are one request, and a report draws a few of tens of thousands.
public struct DeniedBursts: Sendable {
  fileprivate let groups: [[Int]]
  fileprivate let uses: [PresignedUse]

  public var count: Int { groups.count }
  /// The requests of each burst, in the hunt's order.
  public var requests: [Int] { groups.map(\.count) }
  public var header: [String] { Hunts.burstHeader }
  /// Burst `k`'s row, as the hunt lists it.
  public func row(_ k: Int) -> [Value] { Hunts.burstRow(uses, groups[k]) }
  /// The hunt's result: every burst's row.
  public var result: HuntResult { Hunts.bursts(uses, groups: groups) }
  /// The uses of burst `k`, in time order.
  public func uses(ofBurst k: Int) -> [PresignedUse] { groups[k].map { uses[$0] } }
}

/// One finding's URLs, as `SharedScan` decides them.
public struct Flagged: Sendable {
  public struct URL: Sendable {
    public var url: UInt64
    /// The uses it flags.
    public var weight: Int
    /// The finding is about the URL: it flags every use of it.
    public var everyUse: Bool
    public var note: Note = .none

    /// What the finding says of the URL, by the column names its hunt prints.
    public var detail: [String: Value] {
      switch note {
      case .none: return [:]
      case .ended(let end):
        return [
          "instance_id": .string(end.instanceID), "ended_by": .string(end.eventName), "ended_at": .timestamp(end.time),
        ]
      case .revokedBefore(let time): return ["revoke_before": .timestamp(time)]
      case .validFor(let seconds): return ["effective_validity_seconds": .int(seconds)]
      }
    }

    /// The URL's id, as the hunts print it.
    public var id: String { PresignedUse.urlID(url) }
  }

  /// What a finding says of a URL, in a word or two: a finding can flag every URL in the
  /// shards, and a dictionary each cost more than deciding them.
  public enum Note: Sendable {
    case none
    /// The signing instance's end.
    case ended(InstanceEnd)
    /// The revocation's `aws:TokenIssueTime`.
    case revokedBefore(Int64)
    /// The URL's effective validity.
    case validFor(seconds: Int64)
  }
  public var urls: [URL] = []
  /// Each use flagged: its URL and the hash of its id (`RowHash.text`).
  public var uses: [(url: UInt64, id: UInt64)] = []
  public var notes: [String] = []

  /// The uses flagged of each of `urls`.
  public func uses(of urls: Set<UInt64>) -> [UInt64: Set<UInt64>] {
    var out: [UInt64: Set<UInt64>] = [:]
    for u in uses where urls.contains(u.url) { out[u.url, default: []].insert(u.id) }
    return out
  }
}
