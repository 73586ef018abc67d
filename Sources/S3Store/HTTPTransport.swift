import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A response read whole (listings, errors, credential documents; never an object's body).
public struct HTTPReply: Sendable {
  public var status: Int
  public var headers: [(String, String)]
  public var body: [UInt8]

  public func header(_ name: String) -> String? {
    headers.first { $0.0.lowercased() == name.lowercased() }?.1
  }

  public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A failure below HTTP (refused, reset, timed out): worth retrying.
public struct TransportError: Error, Sendable, CustomStringConvertible {
  public var description: String
}

/// HTTP/1.1 and HTTPS through async-http-client, one connection pool shared by every request
/// of a run. Redirects are not followed (S3's 301 names a region, handled by the caller) and
/// bodies are not decompressed (an object's stored bytes are what is indexed and hashed).
public final class HTTPTransport: Sendable {
  let client: HTTPClient
  public let timeoutSeconds: Int64

  public init(connections: Int, timeoutSeconds: Int64 = 60) {
    var configuration = HTTPClient.Configuration(
      redirectConfiguration: .disallow,
      timeout: .init(connect: .seconds(10), read: .seconds(timeoutSeconds)))
    configuration.connectionPool = .init(
      idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections))
    configuration.decompression = .disabled
    client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    self.timeoutSeconds = timeoutSeconds
  }

  public func shutdown() async { try? await client.shutdown() }

  func request(_ method: String, _ url: String, _ headers: [(String, String)], _ body: [UInt8]?)
    -> HTTPClientRequest
  {
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    return request
  }

  /// Sends a request and reads the whole reply (up to `maxBody` bytes).
  public func send(
    _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
    timeoutSeconds: Int64? = nil, maxBody: Int = 64 << 20
  ) async throws -> HTTPReply {
    let response: HTTPClientResponse
    do {
      response = try await client.execute(
        request(method, url, headers, body), timeout: .seconds(timeoutSeconds ?? self.timeoutSeconds))
    } catch {
      throw TransportError(description: Self.describe(error))
    }
    var bytes: [UInt8] = []
    do {
      for try await part in response.body {
        bytes += part.readableBytesView
        guard bytes.count <= maxBody else { throw TransportError(description: "reply larger than \(maxBody) bytes") }
      }
    } catch let error as TransportError {
      throw error
    } catch {
      throw TransportError(description: Self.describe(error))
    }
    return HTTPReply(
      status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: bytes)
  }

  /// Sends a request and hands the body to `onBody` part by part when `accept` takes the head
  /// (status and headers); otherwise reads the body as the reply. Returns the reply (its body
  /// empty when streamed). An error thrown after some parts were handed over leaves them handed.
  public func stream(
    _ method: String, _ url: String, headers: [(String, String)],
    accept: (Int, [(String, String)]) -> Bool, onBody: (ByteBuffer) throws -> Void
  ) async throws -> HTTPReply {
    let response: HTTPClientResponse
    do {
      response = try await client.execute(request(method, url, headers, nil), timeout: .seconds(timeoutSeconds))
    } catch {
      throw TransportError(description: Self.describe(error))
    }
    let status = Int(response.status.code)
    let headers = response.headers.map { ($0.name, $0.value) }
    let streaming = accept(status, headers)
    var bytes: [UInt8] = []
    // Errors of `onBody` are the caller's and pass through; the others are the connection's.
    var handlerError: (any Error)?
    do {
      for try await part in response.body {
        if streaming {
          do {
            try onBody(part)
          } catch {
            handlerError = error
            break
          }
        } else if bytes.count < 1 << 20 {
          bytes += part.readableBytesView
        }
      }
    } catch {
      throw TransportError(description: Self.describe(error))
    }
    if let handlerError { throw handlerError }
    return HTTPReply(status: status, headers: headers, body: bytes)
  }

  static func describe(_ error: any Error) -> String {
    let text = "\(error)"
    for (needle, plain) in [
      ("Connection refused", "connection refused"), ("Connection reset", "connection reset"),
      ("Broken pipe", "connection broken"), ("No address associated", "host name not found"),
      ("Name or service not known", "host name not found"),
    ] where text.contains(needle) {
      return plain
    }
    if let e = error as? HTTPClientError {
      switch e {
      case .readTimeout, .deadlineExceeded: return "timed out"
      case .connectTimeout: return "connect timed out"
      case .remoteConnectionClosed: return "connection closed by the server"
      default: return "\(e)"
      }
    }
    return "\(error)"
  }
}
