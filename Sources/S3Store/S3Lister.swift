import LogBytes

/// Lists the objects under `s3://` inputs. Each prefix is listed one level at a time (delimiter
/// `/`) and its sub-prefixes in parallel, so the layouts AWS writes — CloudTrail's
/// `AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` and access logs' date-based
/// `prefix/ACCOUNT/REGION/BUCKET/YYYY/MM/DD/` — are listed by many requests at once, and a
/// `YYYY/`, `YYYY/MM/` or `YYYY/MM/DD/` level outside the time window is not listed at all.
public struct S3Lister: Sendable {
  let client: S3Client
  /// Days (since the epoch) to keep, with a day of margin each side; nil: everything.
  let days: ClosedRange<Int64>?
  let concurrency: Int

  public init(client: S3Client, sinceMicros: Int64?, untilMicros: Int64?, concurrency: Int = 16) {
    self.client = client
    self.concurrency = concurrency
    if sinceMicros == nil && untilMicros == nil {
      days = nil
    } else {
      let day = TimeParser.microsPerDay
      let low = sinceMicros.map { $0 / day - 1 } ?? Int64.min / 2
      let high = untilMicros.map { $0 / day + 1 } ?? Int64.max / 2
      days = low...max(low, high)
    }
  }

  /// A prefix that could not be listed (access denied, ...); the run goes on without it.
  public struct Problem: Sendable {
    public var url: String
    public var reason: String
  }

  /// Objects under every input, each once, sorted by URL; and the prefixes that failed.
  public func list(_ inputs: [S3URL]) async -> (objects: [S3Object], problems: [Problem], pruned: Int) {
    var objects: [S3Object] = []
    var problems: [Problem] = []
    var pruned = 0
    for input in inputs {
      // An exact key names one object; anything else is a prefix.
      if !input.key.isEmpty && !input.key.hasSuffix("/") {
        do {
          let page = try await client.listPage(bucket: input.bucket, prefix: input.key, maxKeys: 1)
          if let first = page.objects.first, first.key == input.key {
            objects.append(first)
            continue
          }
        } catch {
          problems.append(Problem(url: input.description, reason: Self.reason(error)))
          continue
        }
      }
      let result = await walk(bucket: input.bucket, prefix: input.key)
      objects += result.objects
      problems += result.problems
      pruned += result.pruned
    }
    var seen = Set<String>()
    objects = objects.filter { seen.insert($0.url).inserted }
    objects.sort { ($0.bucket, $0.key) < ($1.bucket, $1.key) }
    return (objects, problems, pruned)
  }

  func walk(bucket: String, prefix: String) async -> (objects: [S3Object], problems: [Problem], pruned: Int) {
    var objects: [S3Object] = []
    var problems: [Problem] = []
    var pruned = 0
    var pending = [prefix]
    while !pending.isEmpty {
      let batch = Array(pending.prefix(concurrency))
      pending.removeFirst(batch.count)
      await withTaskGroup(of: (String, Result<([S3Object], [String]), any Error>).self) { group in
        for p in batch {
          group.addTask { (p, await Result { try await self.level(bucket: bucket, prefix: p) }) }
        }
        for await (p, result) in group {
          switch result {
          case .success(let (found, below)):
            objects += found
            for sub in below {
              if let days, let span = Self.daySpan(sub), !span.overlaps(days) {
                pruned += 1
              } else {
                pending.append(sub)
              }
            }
          case .failure(let error):
            problems.append(Problem(url: "s3://\(bucket)/\(p)", reason: Self.reason(error)))
          }
        }
      }
    }
    return (objects, problems, pruned)
  }

  static func reason(_ error: any Error) -> String {
    (error as? S3Error)?.reasonWithoutURL ?? "\(error)"
  }

  /// Every page of one level: its objects and its sub-prefixes.
  func level(bucket: String, prefix: String) async throws -> ([S3Object], [String]) {
    var objects: [S3Object] = []
    var prefixes: [String] = []
    var token: String?
    repeat {
      let page = try await client.listPage(bucket: bucket, prefix: prefix, delimiter: "/", continuationToken: token)
      objects += page.objects
      prefixes += page.prefixes
      token = page.nextToken
    } while token != nil
    return (objects, prefixes)
  }

  /// The days a prefix ending `YYYY/`, `YYYY/MM/` or `YYYY/MM/DD/` covers; nil for any other.
  static func daySpan(_ prefix: String) -> ClosedRange<Int64>? {
    let parts = prefix.split(separator: "/").suffix(3).map { Int($0) }
    func year(_ y: Int?) -> Int? { y.flatMap { (1990...2200).contains($0) ? $0 : nil } }
    let n = parts.count
    if n >= 3, let y = year(parts[n - 3]), let m = parts[n - 2], (1...12).contains(m), let d = parts[n - 1],
      (1...31).contains(d), prefix.split(separator: "/").last?.count == 2
    {
      let day = TimeParser.daysFromCivil(year: y, month: m, day: d)
      return day...day
    }
    if n >= 2, let y = year(parts[n - 2]), let m = parts[n - 1], (1...12).contains(m),
      prefix.split(separator: "/").last?.count == 2
    {
      let first = TimeParser.daysFromCivil(year: y, month: m, day: 1)
      let next =
        m == 12
        ? TimeParser.daysFromCivil(year: y + 1, month: 1, day: 1)
        : TimeParser.daysFromCivil(year: y, month: m + 1, day: 1)
      return first...(next - 1)
    }
    if n >= 1, let y = year(parts[n - 1]), prefix.split(separator: "/").last?.count == 4 {
      return TimeParser.daysFromCivil(
        year: y, month: 1, day: 1)...(TimeParser.daysFromCivil(year: y + 1, month: 1, day: 1) - 1)
    }
    return nil
  }
}

extension Result where Failure == any Error {
  init(catching body: () async throws -> Success) async {
    do {
      self = .success(try await body())
    } catch {
      self = .failure(error)
    }
  }
}
