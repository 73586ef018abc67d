import CLinux
import LogInput
import S3Store

#if canImport(Glibc)
  import Glibc
#endif

/// The `s3://` inputs of a run: listed once at the start, then fetched ahead of the workers in
/// the order the work plan hands them out.
struct RemoteInputs {
  let session: S3Session
  /// One per object, named by its `s3://` URL, with its size and last-modified time.
  let files: [InputFile]
  let objects: [String: S3Object]
  let problems: [InputProblem]
  let pruned: Int

  /// nil when no input is an `s3://` URL.
  init?(options: IndexOptions) throws {
    let urls = options.inputs.filter(S3URL.isS3)
    guard !urls.isEmpty else { return nil }
    var parsed: [S3URL] = []
    for text in urls {
      guard let url = S3URL(text) else { throw S3Error.config("'\(text)' is not an s3://bucket/prefix URL") }
      parsed.append(url)
    }
    var settings = options.s3 ?? S3Settings(environment: Self.environment())
    if settings.environment.isEmpty { settings.environment = Self.environment() }
    session = try S3Session(settings: settings)
    let lister = S3Lister(
      client: session.client, sinceMicros: options.listSinceMicros, untilMicros: options.listUntilMicros)
    let listing = Blocking.run { [parsed] in await lister.list(parsed) }
    files = listing.objects.map {
      var file = InputFile(path: $0.url, size: $0.size, modifiedNanos: $0.lastModifiedNanos)
      file.etag = $0.etag
      return file
    }
    var objects: [String: S3Object] = [:]
    for o in listing.objects { objects[o.url] = o }
    self.objects = objects
    problems = listing.problems.map { InputProblem(path: $0.url, reason: "cannot list: \($0.reason)") }
    pruned = listing.pruned
  }

  /// A prefetcher for the S3 files of `plan`, in the order workers take them.
  func prefetcher(files: [InputFile], plan: [[IndexJob.Item]], options: IndexOptions) -> ObjectPrefetcher {
    var order: [(key: Int, object: S3Object)] = []
    var seen = Set<Int>()
    for item in plan.joined() where seen.insert(item.file).inserted {
      if let object = objects[files[item.file].path] { order.append((item.file, object)) }
    }
    var fetch = ObjectPrefetcher.Options()
    fetch.concurrency = session.settings.concurrency
    fetch.budgetBytes = options.s3BufferBytes
    fetch.spoolDirectory = Self.environment()["TMPDIR"] ?? "/tmp"
    return ObjectPrefetcher(client: session.client, order: order, options: fetch)
  }

  /// An object fetched whole into an in-memory file, for reading before the run (digests), and
  /// its user metadata (`x-amz-meta-*`, names without the prefix: a digest's signature).
  func openObject(_ path: String) -> (fd: Int32, metadata: [String: String])? {
    guard let object = objects[path] else { return nil }
    let fd = sigtrail_memfd("sigtrail-digest")
    guard fd >= 0 else { return nil }
    let client = session.client
    let result = Blocking.run { () -> [String: String]? in
      var metadata: [String: String] = [:]
      do {
        try await client.read(
          object,
          onHeaders: { headers in
            for (name, value) in headers where name.lowercased().hasPrefix("x-amz-meta-") {
              metadata[String(name.lowercased().dropFirst(11))] = value
            }
          },
          write: { offset, buffer in
            _ = buffer.withUnsafeReadableBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
          })
        return metadata
      } catch {
        return nil
      }
    }
    guard let metadata = result else {
      close(fd)
      return nil
    }
    return (fd, metadata)
  }

  static func environment() -> [String: String] {
    var env: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") { env[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
      p += 1
    }
    return env
  }
}
