import Query

/// Every counted presigned use in a few words, written while the `presigned` summary is scanned:
/// what a report decides its use-level findings from, in memory, instead of one scan per hunt.
/// Strings are kept once per distinct principal, not per use.
struct UseLedger {
  struct Use {
    var time: Int64
    var url: UInt64
    /// `RowHash` of the signing key's and of the use id's stored bytes (0 for none).
    var akid: UInt64
    var id: UInt64
    var principal: UInt64
    /// From outside the report's allowed networks (an unparsable or missing address counts as
    /// outside, as in the `outside` hunt).
    var outside: Bool
    var write: Bool
  }

  var uses: [Use] = []
  var principals: [UInt64: String] = [:]
  /// Whether an HTTP method's or an event name's hash is a write, decided once per distinct value.
  private var writes: [UInt64: Bool] = [:]

  /// Notes row `i` of a use scan whose fields are at `p`, a use of the URL hashed `url`.
  mutating func add(_ b: RowBatch, _ i: Int, _ p: UseColumns.Positions, url: UInt64, cloudTrail: Bool, allow: [CIDR]) {
    let principal = b.hash(i, p[.principal]!)
    if principals[principal] == nil { principals[principal] = b.value(i, p[.principal]!).text }
    let verb = cloudTrail ? p[.operation]! : p[.method]!
    let verbHash = b.hash(i, verb)
    var write = writes[verbHash]
    if write == nil {
      let text = b.value(i, verb).text
      write = cloudTrail ? Hunts.isWriteEvent(text) : Hunts.writeMethods.contains(text)
      writes[verbHash] = write
    }
    let outside = b.withBytes(i, p[.ip]!) { bytes in
      guard let bytes, let address = IPAddress.parse(bytes) else { return true }
      return !allow.contains { $0.contains(address) }
    }
    uses.append(
      Use(
        time: b.integer(i, p[.time]!) ?? 0, url: url, akid: b.hash(i, p[.akid]!), id: b.hash(i, p[.id]!),
        principal: principal, outside: outside, write: write!))
  }

  /// Another thread's uses (other uses: duplicates were dropped before either saw them).
  mutating func merge(_ other: UseLedger) {
    uses += other.uses
    principals.merge(other.principals) { a, _ in a }
  }
}
