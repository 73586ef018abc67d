import LogBytes
import Manifest
import Parquet
import S3Store
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// An `s3://` output read in place by `query`, `hunt` and `report`: its manifest segments are
/// brought to a local reader copy, each committed part there is a sparse file of the part's size,
/// and the byte ranges a scan touches (footers, the column chunks of the row groups it reads,
/// bloom filters) are fetched by ranged GETs when first read and kept, so the next command reads
/// them from disk. Nothing else of a part is downloaded.
public struct S3OutputReader: Sendable {
  public let output: S3Output
  /// The reader copy: not the staging copy `index` works in, whose parts must be whole.
  public var directory: String { output.staging }
  /// Fetched ranges are widened to this alignment: fewer, larger GETs.
  public var alignment = 64 << 10
  /// The staging copy `index` keeps of the same output, if any: a part it holds whole is linked
  /// into the reader copy instead of fetched.
  public var wholeCopy: String?

  public init(output: S3Output, wholeCopy: String? = nil) {
    self.output = output
    self.wholeCopy = wholeCopy
  }

  /// Brings the segments the copy lacks, and makes a sparse file for every part the manifest
  /// names that the copy lacks (a part of another size is started again; a part no commit names
  /// any more is removed).
  public func refresh() throws -> S3Output.Transfer {
    var transfer = try output.pullSegments()
    let state = try ManifestStore(outputDirectory: directory).load()
    for part in state.parts.values {
      let path = directory + "/" + part.path
      var st = stat()
      if stat(path, &st) == 0 && Int64(st.st_size) == part.bytes { continue }
      unlink(Self.rangesPath(path))
      try makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
      if let whole = wholeCopy.map({ $0 + "/" + part.path }), stat(whole, &st) == 0, Int64(st.st_size) == part.bytes {
        // Parts are never rewritten in place, so a link to the staging copy's stays right.
        unlink(path)
        if link(whole, path) == 0 {
          Self.noteWhole(path, bytes: part.bytes)
          continue
        }
      }
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
      guard fd >= 0, ftruncate(fd, off_t(part.bytes)) == 0 else {
        let message = String(cString: strerror(errno))
        if fd >= 0 { close(fd) }
        throw S3Error.config("cannot create \(path): \(message)")
      }
      close(fd)
      transfer.parts += 1
    }
    for gone in state.replaced.keys where state.parts[gone] == nil {
      unlink(directory + "/" + gone)
      unlink(Self.rangesPath(directory + "/" + gone))
    }
    return transfer
  }

  /// How the bytes of a file of the reader copy are brought; nil for any other file.
  public func loader(for path: String) -> ByteRangeLoader? {
    guard path.hasPrefix(directory + "/") else { return nil }
    let relative = String(path.dropFirst(directory.count + 1))
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return S3PartLoader(
      object: S3Object(
        bucket: output.url.bucket, key: output.url.key + relative, size: Int64(st.st_size), etag: "",
        lastModifiedNanos: 0),
      path: path, client: output.client, alignment: alignment)
  }

  /// Notes that a part is all there.
  static func noteWhole(_ path: String, bytes: Int64) {
    let fd = open(rangesPath(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { return }
    defer { close(fd) }
    _ = "0 \(bytes)\n".withCString { write(fd, $0, strlen($0)) }
  }

  /// Beside each sparse part, the ranges it holds (`.NAME.ranges`, one `start end` per line).
  static func rangesPath(_ path: String) -> String {
    let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    return String(path[..<slash]) + "." + path[slash...] + ".ranges"
  }
}

/// Fills a sparse local copy of one S3 object on demand (see `S3OutputReader`).
final class S3PartLoader: ByteRangeLoader, Sendable {
  let object: S3Object
  let path: String
  let client: S3Client
  let alignment: Int
  /// What the file holds; also a lock, so that threads reading one part fetch each range once.
  private let held: Mutex<[Range<Int>]>

  init(object: S3Object, path: String, client: S3Client, alignment: Int) {
    self.object = object
    self.path = path
    self.client = client
    self.alignment = alignment
    held = Mutex(Self.readRanges(S3OutputReader.rangesPath(path)))
  }

  func load(_ range: Range<Int>) throws(ParquetError) {
    guard !range.isEmpty else { return }
    let size = Int(object.size)
    let failure: ParquetError? = held.withLock { held in
      let missing = Self.missing(range, in: held)
      guard !missing.isEmpty else { return nil }
      // Widened to the alignment and merged: the next chunk read is often already there.
      var wanted: [Range<Int>] = []
      for r in missing {
        let lo = r.lowerBound / alignment * alignment
        let hi = min(size, (r.upperBound + alignment - 1) / alignment * alignment)
        for piece in Self.missing(lo..<hi, in: held) {
          if let last = wanted.last, last.upperBound >= piece.lowerBound {
            wanted[wanted.count - 1] = last.lowerBound..<max(last.upperBound, piece.upperBound)
          } else {
            wanted.append(piece)
          }
        }
      }
      do {
        try fetch(wanted)
      } catch let error as ParquetError {
        return error
      } catch {
        return ParquetError.io("\(object.url): \(error)")
      }
      held = Self.merged(held + wanted)
      return nil
    }
    if let failure { throw failure }
  }

  /// GETs `ranges` into the file, then notes them beside it (after the bytes are on disk).
  private func fetch(_ ranges: [Range<Int>]) throws {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ParquetError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let (client, object) = (client, object)
    for r in ranges {
      do {
        try Blocking.run(throwing: {
          try await client.read(object, range: Int64(r.lowerBound)..<Int64(r.upperBound)) { offset, buffer in
            try buffer.withUnsafeReadableBytes { raw in
              guard pwrite(fd, raw.baseAddress, raw.count, off_t(offset)) == raw.count else {
                throw S3Error.config("cannot write \(object.url) to its copy: \(String(cString: strerror(errno)))")
              }
            }
          }
        })
      } catch S3Error.changed(let url, let reason) where reason.contains("vanished") {
        // Replaced by a commit since the manifest was read: the reader starts on a new snapshot.
        throw ParquetError.io("\(url): No such file or directory (replaced since the manifest named it)")
      }
    }
    _ = fdatasync(fd)
    let note = ranges.map { "\($0.lowerBound) \($0.upperBound)\n" }.joined()
    let sidecar = open(S3OutputReader.rangesPath(path), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    guard sidecar >= 0 else { return }
    defer { close(sidecar) }
    _ = note.withCString { write(sidecar, $0, strlen($0)) }
  }

  static func readRanges(_ path: String) -> [Range<Int>] {
    guard let bytes = FileBytes.read(path, limit: 16 << 20) else { return [] }
    var out: [Range<Int>] = []
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let f = line.split(separator: " ")
      if f.count == 2, let a = Int(f[0]), let b = Int(f[1]), a < b { out.append(a..<b) }
    }
    return merged(out)
  }

  /// Sorted and merged.
  static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
      if let last = out.last, last.upperBound >= r.lowerBound {
        out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
      } else {
        out.append(r)
      }
    }
    return out
  }

  /// The parts of `range` that `held` (sorted, merged) does not cover.
  static func missing(_ range: Range<Int>, in held: [Range<Int>]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var at = range.lowerBound
    for h in held where h.upperBound > at && h.lowerBound < range.upperBound {
      if h.lowerBound > at { out.append(at..<h.lowerBound) }
      at = max(at, h.upperBound)
    }
    if at < range.upperBound { out.append(at..<range.upperBound) }
    return out
  }
}
