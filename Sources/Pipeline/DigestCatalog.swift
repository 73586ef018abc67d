import CloudTrail
import Crypto
import LogBytes
import LogInput

#if canImport(Glibc)
  import Glibc
#endif

/// CloudTrail log file integrity validation, as `aws cloudtrail validate-logs` does it, offline:
/// the run's digest files (`…/CloudTrail-Digest/…`) are read before any log, each log file a
/// digest names is checked against its `hashValue` (SHA-256 of the uncompressed content) while it
/// is indexed, and digests are chained through `previousDigestHashValue` (SHA-256 of the previous
/// digest's uncompressed content). Files are matched by their key from `AWSLogs/` on, so a local
/// copy of a bucket validates like the bucket. Digest signatures (S3 object metadata) are not
/// checked.
struct DigestCatalog: Sendable {
  struct Digest: Sendable {
    var path: String
    var key: String
    /// SHA-256 of the digest's own uncompressed content.
    var sha256: String
    var previousKey: String?
    var previousHash: String?
  }

  var digests: [Digest] = []
  /// Log file key → the hash a digest gives it, and that digest's key.
  var expected: [String: (hash: String, digest: String)] = [:]
  var problems: [InputProblem] = []

  var isEmpty: Bool { digests.isEmpty }

  /// The key of a file in an `AWSLogs/` tree: its path from the last `AWSLogs/` on (a copy may
  /// sit under another `AWSLogs/`); nil elsewhere.
  static func key(_ path: String) -> String? {
    guard let range = path.range(of: "AWSLogs/", options: .backwards) else { return nil }
    return String(path[range.lowerBound...])
  }

  static func isDigest(_ path: String) -> Bool { path.contains("/CloudTrail-Digest/") }

  /// Reads every digest among `files` (`open` gives an S3 object's buffer; local files are opened
  /// by path).
  static func load(_ files: [InputFile], reader: LineReader, open: (InputFile) -> Int32?) -> DigestCatalog {
    var catalog = DigestCatalog()
    for file in files where isDigest(file.path) {
      guard let key = key(file.path) else { continue }
      let fd = open(file)
      defer { if let fd { close(fd) } }
      var content: [UInt8] = []
      let result = reader.read(
        fd: fd, path: file.path, decide: { _ in .whole }, onLine: { _, _ in }, onOverlong: { _ in },
        onWhole: { content = Array($0) })
      if let problem = result.problem {
        catalog.problems.append(InputProblem(path: file.path, reason: "digest unreadable: \(problem.reason)"))
        continue
      }
      guard let parsed = parse(content) else {
        catalog.problems.append(InputProblem(path: file.path, reason: "digest file is not a CloudTrail digest"))
        continue
      }
      let sha = hex(SHA256.hash(data: content))
      catalog.digests.append(
        Digest(
          path: file.path, key: key, sha256: sha, previousKey: parsed.previousKey, previousHash: parsed.previousHash))
      for (logKey, hash) in parsed.logFiles { catalog.expected[logKey] = (hash.lowercased(), key) }
    }
    return catalog
  }

  struct Parsed {
    var previousKey: String?
    var previousHash: String?
    var logFiles: [(String, String)] = []
  }

  static func parse(_ content: [UInt8]) -> Parsed? {
    content.withUnsafeBytes { b -> Parsed? in
      let s = JSONScanner(b)
      guard let (root, _) = try? s.value(at: s.skipWhitespace(0)), root.isObject,
        !s.member("digestEndTime", of: root).isMissing
      else { return nil }
      var p = Parsed()
      p.previousKey = JSONStrings.string(s.member("previousDigestS3Object", of: root), in: b)
      p.previousHash = JSONStrings.string(s.member("previousDigestHashValue", of: root), in: b)?.lowercased()
      try? s.forEachElement(of: s.member("logFiles", of: root)) { entry throws(JSONError) in
        if let object = JSONStrings.string(s.member("s3Object", of: entry), in: b),
          let hash = JSONStrings.string(s.member("hashValue", of: entry), in: b), let key = key(object)
        {
          p.logFiles.append((key, hash))
        }
      }
      return p
    }
  }

  /// The state of a log file whose uncompressed content is `content`.
  func validate(path: String, content: UnsafeRawBufferPointer) -> LogValidation {
    guard !isEmpty else { return .notChecked }
    guard let key = Self.key(path), let want = expected[key] else { return .noDigest }
    return Self.hex(SHA256.hash(data: content)) == want.hash ? .verified : .mismatch
  }

  func needsHash(_ path: String) -> Bool {
    guard !isEmpty, let key = Self.key(path) else { return false }
    return expected[key] != nil
  }

  /// Files digests name that the run did not find, and breaks in the chain of digests.
  func chainAndMissing(found: Set<String>) -> [InputProblem] {
    var out: [InputProblem] = []
    let foundKeys = Set(found.compactMap(Self.key))
    for (key, want) in expected.sorted(by: { $0.key < $1.key }) where !foundKeys.contains(key) {
      out.append(InputProblem(path: key, reason: "named by digest \(want.digest) but not among the inputs: missing"))
    }
    let byKey = Dictionary(digests.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    for d in digests {
      guard let previous = d.previousKey, let previousHash = d.previousHash, let key = Self.key(previous) else {
        continue
      }
      if let earlier = byKey[key] {
        if earlier.sha256 != previousHash {
          out.append(
            InputProblem(
              path: earlier.path,
              reason: "digest chain broken: \(d.key) expects this digest with another hash (it was altered)"))
        }
      } else if foundKeys.contains(key) == false {
        out.append(
          InputProblem(path: d.path, reason: "digest chain: the previous digest \(key) is not among the inputs"))
      }
    }
    return out
  }

  static func hex(_ digest: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    Array(digest).withUnsafeBytes { Hex.append($0, to: &out) }
    return String(decoding: out, as: UTF8.self)
  }
}
