import CloudTrail
import Crypto
import FoundationEssentials
import LogBytes
import LogInput
import S3Store
import _CryptoExtras

#if canImport(Glibc)
  import Glibc
#endif

/// CloudTrail log file integrity validation, as `aws cloudtrail validate-logs` does it, offline:
/// the run's digest files (`…/CloudTrail-Digest/…`) are read before any log, each log file a
/// digest names is checked against its `hashValue` (SHA-256 of the uncompressed content) while it
/// is indexed, and digests are chained through `previousDigestHashValue` (SHA-256 of the previous
/// digest's uncompressed content). Files are matched by their key from `AWSLogs/` on, so a local
/// copy of a bucket validates like the bucket. A digest's own RSA signature lives in its S3
/// object's metadata: it is verified when the digest was read from `s3://` and the public keys
/// (`aws cloudtrail list-public-keys`) are given, and said to be unchecked otherwise.
struct DigestCatalog: Sendable {
  struct Digest: Sendable {
    var path: String
    var key: String
    /// SHA-256 of the digest's own uncompressed content.
    var sha256: String
    var previousKey: String?
    var previousHash: String?
    var previousSignature: String?
    var signature: String?
    var signatureState: SignatureState
  }

  enum SignatureState: Sendable {
    case verified
    case invalid(String)
    case notChecked(String)
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

  /// A local copy keeps a digest's S3 metadata beside it, as `aws s3api head-object --bucket B
  /// --key K > DIGEST.head.json` writes it (`{"Metadata": {"signature": …}}`).
  static let headSuffix = ".head.json"

  static func savedMetadata(_ path: String) -> [String: String]? {
    guard !S3URL.isS3(path), let bytes = FileBytes.read(path + headSuffix, limit: 1 << 20) else { return nil }
    return bytes.withUnsafeBytes { b -> [String: String]? in
      let s = JSONScanner(b)
      guard let (root, _) = try? s.value(at: s.skipWhitespace(0)) else { return nil }
      var out: [String: String] = [:]
      try? s.forEachMember(of: s.member("Metadata", of: root)) { k, v throws(JSONError) in
        if let name = JSONStrings.string(k, in: b), let value = JSONStrings.string(v, in: b) {
          out[name.lowercased()] = value
        }
      }
      return out
    }
  }

  /// Reads every digest among `files` (`open` gives an S3 object's buffer and metadata; local
  /// files are opened by path), checking signatures with `publicKeys` (fingerprint → DER).
  static func load(
    _ files: [InputFile], reader: LineReader, publicKeys: [String: [UInt8]]?,
    open: (InputFile) -> (fd: Int32, metadata: [String: String])?
  ) -> DigestCatalog {
    var catalog = DigestCatalog()
    for file in files where isDigest(file.path) && !file.path.hasSuffix(headSuffix) {
      guard let key = key(file.path) else { continue }
      let opened = open(file)
      let fd = opened?.fd
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
      let sha = Hex.string(SHA256.hash(data: content))
      let signature = opened?.metadata["signature"] ?? savedMetadata(file.path)?["signature"]
      let state: SignatureState
      if let signature, let publicKeys {
        state = verify(parsed, digestSHA256: sha, signature: signature, keys: publicKeys)
      } else if signature == nil {
        state = .notChecked(
          S3URL.isS3(file.path)
            ? "the object has no signature metadata" : "a local copy without \(headSuffix) has no S3 metadata")
      } else {
        state = .notChecked("no --cloudtrail-public-keys given")
      }
      catalog.digests.append(
        Digest(
          path: file.path, key: key, sha256: sha, previousKey: parsed.previousKey, previousHash: parsed.previousHash,
          previousSignature: parsed.previousSignature, signature: signature, signatureState: state))
      if case .invalid(let reason) = state {
        catalog.problems.append(InputProblem(path: file.path, reason: "digest signature invalid: \(reason)"))
      }
      for (logKey, hash) in parsed.logFiles { catalog.expected[logKey] = (hash.lowercased(), key) }
    }
    catalog.signedDigests = Set(
      catalog.digests.compactMap { d in
        if case .verified = d.signatureState { return d.key }
        return nil
      })
    return catalog
  }

  struct Parsed {
    var previousKey: String?
    var previousHash: String?
    var previousSignature: String?
    var endTime = ""
    var bucket = ""
    var object = ""
    var fingerprint = ""
    var logFiles: [(String, String)] = []
  }

  /// RSA PKCS#1 v1.5 with SHA-256 over the string AWS signs: the digest's end time, its
  /// `bucket/key`, the SHA-256 of its uncompressed content and the previous digest's signature
  /// (`null` for the first), one per line.
  static func verify(_ p: Parsed, digestSHA256: String, signature: String, keys: [String: [UInt8]])
    -> SignatureState
  {
    guard let der = keys[p.fingerprint] else {
      return .invalid("no public key with fingerprint \(p.fingerprint) in --cloudtrail-public-keys")
    }
    guard let bytes = Self.bytes(hex: signature) else { return .invalid("signature metadata is not hex") }
    let toSign = "\(p.endTime)\n\(p.bucket)/\(p.object)\n\(digestSHA256)\n\(p.previousSignature ?? "null")"
    do {
      let key = try _RSA.Signing.PublicKey(unsafeDERRepresentation: der)
      let valid = key.isValidSignature(
        _RSA.Signing.RSASignature(rawRepresentation: bytes), for: Array(toSign.utf8), padding: .insecurePKCS1v1_5)
      return valid ? .verified : .invalid("RSA signature does not match (altered, moved or re-signed)")
    } catch {
      return .invalid("public key \(p.fingerprint) unusable: \(error)")
    }
  }

  static func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
      guard let hi = PercentDecoding.hexValue(digits[i]), let lo = PercentDecoding.hexValue(digits[i + 1]) else {
        return nil
      }
      out.append(hi << 4 | lo)
      i += 2
    }
    return out
  }

  /// `aws cloudtrail list-public-keys` output: `{"PublicKeyList":[{"Value":<base64 DER>,
  /// "Fingerprint":<hex>, …}]}`; fingerprint → DER.
  static func publicKeys(json: [UInt8]) -> [String: [UInt8]]? {
    json.withUnsafeBytes { b -> [String: [UInt8]]? in
      let s = JSONScanner(b)
      guard let (root, _) = try? s.value(at: s.skipWhitespace(0)), root.isObject else { return nil }
      var keys: [String: [UInt8]] = [:]
      try? s.forEachElement(of: s.member("PublicKeyList", of: root)) { entry throws(JSONError) in
        if let fingerprint = JSONStrings.string(s.member("Fingerprint", of: entry), in: b),
          let value = JSONStrings.string(s.member("Value", of: entry), in: b),
          let der = Data(base64Encoded: value)
        {
          keys[fingerprint.lowercased()] = Array(der)
        }
      }
      return keys
    }
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
      p.previousSignature = JSONStrings.string(s.member("previousDigestSignature", of: root), in: b)
      p.endTime = JSONStrings.string(s.member("digestEndTime", of: root), in: b) ?? ""
      p.bucket = JSONStrings.string(s.member("digestS3Bucket", of: root), in: b) ?? ""
      p.object = JSONStrings.string(s.member("digestS3Object", of: root), in: b) ?? ""
      p.fingerprint = JSONStrings.string(s.member("digestPublicKeyFingerprint", of: root), in: b)?.lowercased() ?? ""
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
    guard Hex.string(SHA256.hash(data: content)) == want.hash else { return .mismatch }
    return signedDigests.contains(want.digest) ? .signed : .verified
  }

  /// Keys of the digests whose signature was verified (computed once, at load).
  var signedDigests: Set<String> = []

  /// How many of `paths` a digest names.
  func named(_ paths: [String]) -> Int {
    paths.filter { path in Self.key(path).map { expected[$0] != nil } ?? false }.count
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
        if let signature = earlier.signature, let expected = d.previousSignature, signature != expected {
          out.append(
            InputProblem(
              path: earlier.path, reason: "digest chain broken: \(d.key) names another signature for this digest"))
        } else if earlier.sha256 != previousHash {
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
}
