import Crypto
import LogBytes
import NIOCore

#if canImport(Glibc)
  import Glibc
#endif

/// Writes: PUT (with S3's conditional headers), multipart uploads of files, DELETE, and whole
/// reads of small objects. Used to publish shards and to hold the output's lease.
extension S3Client {
  /// Sends one request with a body, retried like every other; a 412 (a conditional header not
  /// met) is returned as `.service` with code `PreconditionFailed`, never retried.
  public func send(
    _ method: String, bucket: String, key: String, query: [(String, String)] = [], headers: [(String, String)] = [],
    body: [UInt8] = []
  ) async throws -> HTTPReply {
    let url = "s3://\(bucket)/\(key)"
    let hash = Hex.string(SHA256.hash(data: body))
    return try await withRetries(url: url) { _ in
      let (address, signed, region) = try await prepare(
        method, bucket: bucket, key: key, query: query, headers: headers, payloadHash: hash)
      let reply: HTTPReply
      do {
        reply = try await transport.send(method, address, headers: signed, body: body.isEmpty ? nil : body)
      } catch let error as TransportError {
        throw RetryableFailure(kind: .transient, reason: error.description)
      }
      if reply.status == 412 {
        throw S3Error.service(url: url, status: 412, code: "PreconditionFailed", message: "")
      }
      if !(200..<300).contains(reply.status) { try check(reply, url: url, region: region, bucket: bucket) }
      return reply
    }
  }

  public func put(bucket: String, key: String, body: [UInt8], headers: [(String, String)] = []) async throws
    -> HTTPReply
  {
    try await send("PUT", bucket: bucket, key: key, headers: headers, body: body)
  }

  public func delete(bucket: String, key: String) async throws {
    _ = try await send("DELETE", bucket: bucket, key: key)
  }

  /// A small object whole (a manifest segment, the lease); nil when there is none.
  public func getSmall(bucket: String, key: String) async throws -> (body: [UInt8], etag: String)? {
    do {
      let reply = try await send("GET", bucket: bucket, key: key)
      return (reply.body, reply.header("etag") ?? "")
    } catch let error as S3Error where error.code == "NoSuchKey" {
      return nil
    }
  }

  /// Uploads a local file: one PUT up to `partBytes`, a multipart upload above (parts of
  /// `partBytes`, read one at a time, so memory stays at one part). The object appears only when
  /// complete: a PUT is atomic, and a multipart upload is visible only once completed (an
  /// interrupted one is aborted).
  public func upload(file path: String, bucket: String, key: String, partBytes: Int = 64 << 20) async throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw S3Error.config("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    fstat(fd, &st)
    let size = Int(st.st_size)
    func chunk(_ offset: Int, _ count: Int) throws -> [UInt8] {
      var bytes = [UInt8](repeating: 0, count: count)
      let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
      guard n == count else { throw S3Error.config("\(path): short read at \(offset)") }
      return bytes
    }
    if size <= partBytes {
      _ = try await put(bucket: bucket, key: key, body: try chunk(0, size))
      return
    }
    let created = try await send("POST", bucket: bucket, key: key, query: [("uploads", "")])
    guard let uploadID = XMLText.first("UploadId", in: created.text[...]) else {
      throw S3Error.service(url: "s3://\(bucket)/\(key)", status: created.status, code: "NoUploadId", message: "")
    }
    do {
      var etags: [String] = []
      var offset = 0
      while offset < size {
        let count = min(partBytes, size - offset)
        let reply = try await send(
          "PUT", bucket: bucket, key: key,
          query: [("partNumber", String(etags.count + 1)), ("uploadId", uploadID)], body: try chunk(offset, count))
        etags.append(reply.header("etag") ?? "")
        offset += count
      }
      let parts = etags.enumerated().map {
        "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>"
      }
      let body = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
      let done = try await send(
        "POST", bucket: bucket, key: key, query: [("uploadId", uploadID)], body: Array(body.utf8))
      // S3 can answer 200 with an error document when completing fails late.
      if done.text.contains("<Error>") {
        throw S3Error.service(
          url: "s3://\(bucket)/\(key)", status: done.status, code: XMLText.first("Code", in: done.text[...]) ?? "",
          message: XMLText.first("Message", in: done.text[...]) ?? "")
      }
    } catch {
      _ = try? await send("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadID)])
      throw error
    }
  }

  /// Every object under `prefix`, all levels (no delimiter).
  public func listAll(bucket: String, prefix: String) async throws -> [S3Object] {
    var out: [S3Object] = []
    var token: String?
    repeat {
      let page = try await listPage(bucket: bucket, prefix: prefix, continuationToken: token)
      out += page.objects
      token = page.nextToken
    } while token != nil
    return out
  }

  /// Downloads an object to `path` (written under a temporary name, then renamed).
  public func download(_ object: S3Object, to path: String) async throws {
    let temporary = path + ".sigtrail-download"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
    guard fd >= 0 else { throw S3Error.config("cannot create \(temporary): \(String(cString: strerror(errno)))") }
    do {
      defer { close(fd) }
      try await read(object) { offset, buffer in
        try buffer.withUnsafeReadableBytes { raw in
          guard pwrite(fd, raw.baseAddress, raw.count, off_t(offset)) == raw.count else {
            throw S3Error.config("cannot write \(temporary): \(String(cString: strerror(errno)))")
          }
        }
      }
      fsync(fd)
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      unlink(temporary)
      throw S3Error.config("cannot rename \(temporary): \(String(cString: strerror(errno)))")
    }
  }
}
