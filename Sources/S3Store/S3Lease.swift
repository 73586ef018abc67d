import Synchronization

/// Who may write an S3 output: one object created with `If-None-Match: *` (S3 refuses a second
/// creation), holding the holder's name and when the lease expires. The holder renews it while
/// it works; if the holder dies, the lease expires and the next run takes it over.
public final class S3Lease: Sendable {
  public let client: S3Client
  public let bucket: String
  public let key: String
  public let holder: String
  public let seconds: Int
  private let etag = Mutex("")
  private let renewal = Mutex<Task<Void, Never>?>(nil)

  /// Someone else holds the lease.
  public struct Held: Error, CustomStringConvertible {
    public var url: String
    public var holder: String
    public var expires: Int64
    public var description: String {
      "\(url) is held by \(holder) until \(expires) (seconds since the epoch); another run is writing this output"
    }

    public init(url: String, holder: String, expires: Int64) {
      self.url = url
      self.holder = holder
      self.expires = expires
    }
  }

  init(client: S3Client, bucket: String, key: String, holder: String, seconds: Int) {
    self.client = client
    self.bucket = bucket
    self.key = key
    self.holder = holder
    self.seconds = seconds
  }

  func body(now: Double) -> [UInt8] {
    Array("sigtrail-lease 1\nholder \(holder)\nexpires \(Int64(now) + Int64(seconds))\n".utf8)
  }

  static func parse(_ body: [UInt8]) -> (holder: String, expires: Int64)? {
    var holder: String?
    var expires: Int64?
    for line in String(decoding: body, as: UTF8.self).split(separator: "\n") {
      if line.hasPrefix("holder ") { holder = String(line.dropFirst(7)) }
      if line.hasPrefix("expires ") { expires = Int64(line.dropFirst(8)) }
    }
    guard let holder, let expires else { return nil }
    return (holder, expires)
  }

  /// Takes the lease (a lapsed one is taken over) and renews it every third of its length
  /// until `release`.
  public static func acquire(client: S3Client, bucket: String, key: String, holder: String, seconds: Int = 900)
    async throws -> S3Lease
  {
    let lease = S3Lease(client: client, bucket: bucket, key: key, holder: holder, seconds: seconds)
    for attempt in 0..<2 {
      do {
        let reply = try await client.put(
          bucket: bucket, key: key, body: lease.body(now: S3Client.now()), headers: [("if-none-match", "*")])
        lease.etag.withLock { $0 = reply.header("etag") ?? "" }
        lease.startRenewing()
        return lease
      } catch let error as S3Error where error.code == "PreconditionFailed" {
        guard let current = try await client.getSmall(bucket: bucket, key: key) else { continue }
        let parsed = parse(current.body) ?? ("an unreadable lease", 0)
        if parsed.expires > Int64(S3Client.now()) || attempt > 0 {
          throw Held(url: "s3://\(bucket)/\(key)", holder: parsed.holder, expires: parsed.expires)
        }
        // Lapsed: its holder died. Remove it and create ours (S3 refuses ours if another run
        // got there first).
        try await client.delete(bucket: bucket, key: key)
      }
    }
    throw Held(url: "s3://\(bucket)/\(key)", holder: "another run", expires: 0)
  }

  private func startRenewing() {
    let task = Task { [self] in
      while !Task.isCancelled {
        try? await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000 / 3)
        if Task.isCancelled { break }
        let current = etag.withLock { $0 }
        var headers: [(String, String)] = []
        if !current.isEmpty { headers.append(("if-match", current)) }
        if let reply = try? await client.put(
          bucket: bucket, key: key, body: body(now: S3Client.now()), headers: headers)
        {
          etag.withLock { $0 = reply.header("etag") ?? "" }
        }
      }
    }
    renewal.withLock { $0 = task }
  }

  /// The unexpired leases under `prefix` other than `except`, with their holders: a fleet
  /// worker holds `LEASE.sIofN`, a whole run `LEASE`, and each checks the others after taking
  /// its own (each writes before it reads, so of two runs starting together at least one sees
  /// the other).
  public static func live(client: S3Client, bucket: String, prefix: String, except: String) async throws -> [(
    key: String, holder: String, expires: Int64
  )] {
    var out: [(String, String, Int64)] = []
    for object in try await client.listAll(bucket: bucket, prefix: prefix) where object.key != except {
      guard let current = try await client.getSmall(bucket: bucket, key: object.key),
        let parsed = parse(current.body), parsed.expires > Int64(S3Client.now())
      else { continue }
      out.append((object.key, parsed.holder, parsed.expires))
    }
    return out
  }

  /// Stops renewing and removes the lease, if it is still ours.
  public func release() async {
    renewal.withLock { $0?.cancel() }
    if let current = try? await client.getSmall(bucket: bucket, key: key),
      Self.parse(current.body)?.holder == holder
    {
      try? await client.delete(bucket: bucket, key: key)
    }
  }
}
