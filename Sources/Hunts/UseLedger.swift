import Query

/// Every counted presigned use in a few words, written while the `presigned` summary is scanned:
/// what a report decides its use-level findings from, in memory, instead of one scan per hunt.
struct UseLedger {
  struct Use {
    var time: Int64
    var url: UInt64
    /// `RowHash` of the signing key's and of the use id's stored bytes (0 for none).
    var akid: UInt64
    var id: UInt64
    /// From outside the report's allowed networks (an unparsable or missing address counts as
    /// outside, as in the `outside` hunt).
    var outside: Bool
    var write: Bool
    /// Where the row is, in `files`.
    var file: UInt32
    /// The URL's position among the merged summary's states (set once they are merged).
    var state: Int32 = -1
  }

  var uses: [Use] = []
  var files: [String] = []
  private var fileIDs: [String: UInt32] = [:]
  /// The files of the access-log rows of requests CloudTrail logged too (not uses of their own),
  /// by URL: a later read of a URL's uses needs them to name both sources.
  var twins: [Twin] = []
  /// The uses the `denied` hunt reads (see `HuntData.isDenied`), with unsigned favicon requests.
  var denied: [OrderedUse<PresignedUse>] = []

  mutating func noteDenied(_ use: PresignedUse, cloudTrail: Bool) {
    denied.append(OrderedUse(time: use.time, cloudTrail: cloudTrail, id: use.id, value: use))
  }

  struct Twin {
    var url: UInt64
    var file: UInt32
  }
  /// Whether an HTTP method's or an event name's hash is a write, decided once per distinct value.
  private var writes: [UInt64: Bool] = [:]

  /// The number of a file in `files`.
  mutating func file(_ path: String) -> UInt32 {
    if let id = fileIDs[path] { return id }
    let id = UInt32(files.count)
    files.append(path)
    fileIDs[path] = id
    return id
  }

  /// Notes row `i` of a use scan whose fields are at `p`, a use of the URL hashed `url`, in file
  /// number `file`.
  mutating func add(
    _ b: RowBatch, _ i: Int, _ p: UseColumns.Positions, url: UInt64, file: UInt32, cloudTrail: Bool, allow: [CIDR]
  ) {
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
        outside: outside, write: write!, file: file))
  }

  /// Another thread's uses (other uses: duplicates were dropped before either saw them).
  mutating func merge(_ other: UseLedger) {
    let renumbered = other.files.map { file($0) }
    uses.reserveCapacity(uses.count + other.uses.count)
    for var u in other.uses {
      u.file = renumbered[Int(u.file)]
      uses.append(u)
    }
    denied += other.denied
    twins += other.twins.map { Twin(url: $0.url, file: renumbered[Int($0.file)]) }
  }
}
