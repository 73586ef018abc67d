import LogBytes
import Manifest
import S3Store

#if canImport(Glibc)
  import Glibc
#endif

/// An output directory that lives in S3 (`--out s3://bucket/prefix/`), worked on through a local
/// copy (the staging directory): `pull` brings the manifest and the parts it names that the copy
/// lacks, the run works locally as on any output directory, and `publish` uploads the committed
/// parts S3 lacks, then the manifest segments, then removes from S3 the parts no commit names any
/// more (replaced by a retraction or compaction). A reader of S3 therefore never sees a
/// half-written part (a PUT or a completed multipart upload is atomic), and a part appears
/// before the manifest segment that names it. Only parts a commit replaced are removed: a part
/// no commit this copy has read names may be another writer's, published since.
public struct S3Output: Sendable {
  public let url: S3URL
  public let staging: String
  let client: S3Client
  /// Parts larger than this are uploaded in parts of this size.
  public var partBytes = 64 << 20
  public var concurrency = 8
  /// How long replaced parts stay for readers that listed them (see `RetainedParts`).
  public var retainNanos = IndexOptions.defaultRetainNanos

  public init(url: S3URL, staging: String, client: S3Client) {
    var url = url
    if !url.key.isEmpty && !url.key.hasSuffix("/") { url.key += "/" }
    self.url = url
    self.staging = staging
    self.client = client
  }

  public var leaseKey: String { url.key + "_sigtrail.lease" }
  var manifestPrefix: String { url.key + "_manifest/" }

  public struct Transfer: Sendable, Codable {
    public var segments = 0
    public var parts = 0
    public var bytes: Int64 = 0
    public var removed = 0
  }

  /// Brings the staging directory up to S3's state: segments it lacks, then the parts those
  /// segments name that it lacks (a part S3 lacks too is left for `index` to heal).
  public func pull() throws -> Transfer {
    try makeDirectories(staging + "/_manifest")
    let this = self
    return try Blocking.run { try await this.pullAsync() }
  }

  /// Brings only the manifest segments the staging directory lacks (what a reader needs first).
  public func pullSegments() throws -> Transfer {
    try makeDirectories(staging + "/_manifest")
    let this = self
    return try Blocking.run {
      var transfer = Transfer()
      try await this.pullSegmentsAsync(
        try await this.client.listAll(bucket: this.url.bucket, prefix: this.manifestPrefix), &transfer)
      return transfer
    }
  }

  private func pullSegmentsAsync(_ listed: [S3Object], _ transfer: inout Transfer) async throws {
    for object in listed where object.key.hasPrefix(manifestPrefix) {
      let name = String(object.key.dropFirst(manifestPrefix.count))
      guard name.hasSuffix(".tsv"), !name.hasPrefix("."), !name.contains("/") else { continue }
      let local = staging + "/_manifest/" + name
      if access(local, F_OK) == 0 { continue }
      try await client.download(object, to: local)
      transfer.segments += 1
    }
  }

  func pullAsync() async throws -> Transfer {
    var transfer = Transfer()
    let remote = try await client.listAll(bucket: url.bucket, prefix: url.key)
    let byKey = Dictionary(remote.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    try await pullSegmentsAsync(remote, &transfer)
    let state = try ManifestStore(outputDirectory: staging).load()
    let wanted = state.parts.keys.sorted().compactMap { path -> S3Object? in
      access(staging + "/" + path, F_OK) == 0 ? nil : byKey[url.key + path]
    }
    try await forEach(wanted) { object in
      let path = self.staging + "/" + object.key.dropFirst(self.url.key.count)
      try makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
      try await self.client.download(object, to: path)
    }
    transfer.parts = wanted.count
    transfer.bytes = wanted.reduce(0) { $0 + $1.size }
    return transfer
  }

  /// Uploads what S3 lacks of the staging directory's committed state, then removes what that
  /// state no longer names.
  public func publish() throws -> Transfer {
    let this = self
    return try Blocking.run { try await this.publishAsync() }
  }

  func publishAsync() async throws -> Transfer {
    var transfer = Transfer()
    let store = ManifestStore(outputDirectory: staging)
    let state = try store.load()
    let remote = try await client.listAll(bucket: url.bucket, prefix: url.key)
    let sizes = Dictionary(remote.map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
    let parts = state.parts.values.filter { sizes[url.key + $0.path] != $0.bytes }.sorted { $0.path < $1.path }
    try await forEach(parts) { part in
      try await self.client.upload(
        file: self.staging + "/" + part.path, bucket: self.url.bucket, key: self.url.key + part.path,
        partBytes: self.partBytes)
    }
    transfer.parts = parts.count
    transfer.bytes = parts.reduce(0) { $0 + $1.bytes }
    // Segments after their parts, in commit order.
    for name in try store.segmentNames() where sizes[manifestPrefix + name] == nil {
      let path = staging + "/_manifest/" + name
      _ = try await client.put(bucket: url.bucket, key: manifestPrefix + name, body: try readAll(path))
      transfer.segments += 1
    }
    // The list of retained parts follows the segments, for readers that list the bucket.
    let list = "_manifest/" + ManifestStore.retainedListName
    if access(staging + "/" + list, F_OK) == 0 {
      _ = try await client.put(bucket: url.bucket, key: url.key + list, body: try readAll(staging + "/" + list))
    }
    let now = ManifestStore.nowNanos()
    let stale = remote.filter { object in
      let relative = String(object.key.dropFirst(url.key.count))
      guard object.key.hasPrefix(url.key), state.parts[relative] == nil, let at = state.replaced[relative] else {
        return false
      }
      return now - at >= retainNanos
    }
    try await forEach(stale) { try await self.client.delete(bucket: $0.bucket, key: $0.key) }
    transfer.removed = stale.count
    return transfer
  }

  /// Runs `body` on every element, `concurrency` at a time; the first error is thrown.
  func forEach<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      var running = 0
      for item in items {
        if running >= concurrency {
          try await group.next()
          running -= 1
        }
        group.addTask { try await body(item) }
        running += 1
      }
      try await group.waitForAll()
    }
  }

  func readAll(_ path: String) throws -> [UInt8] {
    guard let bytes = FileBytes.read(path) else {
      throw S3Error.config("cannot read \(path): \(String(cString: strerror(errno)))")
    }
    return bytes
  }

}

/// `mkdir -p`.
func makeDirectories(_ path: String) throws {
  var current = path.hasPrefix("/") ? "" : "."
  for component in path.split(separator: "/") {
    current += "/" + component
    if mkdir(current, 0o750) != 0 && errno != EEXIST {
      throw S3Error.config("cannot create \(current): \(String(cString: strerror(errno)))")
    }
  }
}
