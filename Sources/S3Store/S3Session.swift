import Dispatch
import Synchronization

/// How to reach S3, as the AWS CLI takes it: `--profile`, `--endpoint-url`, `--region`, and the
/// environment (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, ...).
public struct S3Settings: Sendable {
  public var profile: String?
  public var endpointURL: String?
  public var region: String?
  /// Bucket in the path; also on with the profile's `s3 = addressing_style = path`.
  public var forcePathStyle = false
  /// GET requests in flight at once.
  public var concurrency = 32
  public var environment: [String: String]

  public init(environment: [String: String]) { self.environment = environment }
}

/// One run's connection to S3: the transport, credentials and client, made once.
public final class S3Session: Sendable {
  public let client: S3Client
  public let settings: S3Settings
  let retries = Counter()

  public init(settings: S3Settings) throws {
    self.settings = settings
    let env = settings.environment
    let files = AWSConfigFiles.load(environment: env)
    let transport = HTTPTransport(connections: settings.concurrency + 8)
    let chain = CredentialChain(
      environment: env, files: files, explicitProfile: settings.profile, transport: transport)
    let profile = files.profiles[chain.profileName] ?? [:]
    let endpointText =
      settings.endpointURL ?? env["AWS_ENDPOINT_URL_S3"] ?? env["AWS_ENDPOINT_URL"] ?? profile["s3.endpoint_url"]
      ?? profile["endpoint_url"]
    let endpoint = try endpointText.map(Endpoint.init)
    let pathStyle = settings.forcePathStyle || profile["s3.addressing_style"] == "path"
    let box = retries
    client = S3Client(
      transport: transport, credentials: CredentialProvider(chain: chain),
      addressing: S3Addressing(endpoint: endpoint, forcePathStyle: pathStyle),
      region: settings.region ?? chain.region ?? "us-east-1",
      onRetry: { _ in box.add(1) })
  }

  /// Requests retried so far (throttling, server errors, resets).
  public var retryCount: Int { retries.value }

  public func shutdown() { Blocking.run { await self.client.transport.shutdown() } }
}

/// Runs async work from a plain thread (the indexing run is threads, the network is tasks).
public enum Blocking {
  public static func run<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
      let value = await body()
      result.withLock { $0 = value }
      done.signal()
    }
    done.wait()
    return result.withLock { $0! }
  }

  /// `run` for work that throws: its error is rethrown here.
  public static func run<T: Sendable>(throwing body: @escaping @Sendable () async throws -> T) throws -> T {
    try run { () -> Result<T, any Error> in
      do {
        return .success(try await body())
      } catch {
        return .failure(error)
      }
    }.get()
  }
}

/// A count shared between tasks and threads.
public final class Counter: Sendable {
  private let count = Mutex(0)
  public init() {}
  public func add(_ n: Int) { count.withLock { $0 += n } }
  public var value: Int { count.withLock { $0 } }
}
