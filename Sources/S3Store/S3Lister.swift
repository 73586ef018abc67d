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

  /// Every page of one level: its objects and its sub-prefixes. A level of access-log deliveries
  /// in the simple form (`prefixYYYY-MM-DD-hh-mm-ss-ID`, keys sorted by time) is read from the
  /// first day of the window on, and no further than its last day, once its first page shows
  /// that every key there has that form.
  func level(bucket: String, prefix: String) async throws -> ([S3Object], [String]) {
    var objects: [S3Object] = []
    var prefixes: [String] = []
    var token: String?
    var startAfter: String?
    var first = true
    repeat {
      let page = try await client.listPage(
        bucket: bucket, prefix: prefix, delimiter: "/", continuationToken: token, startAfter: startAfter)
      startAfter = nil
      let dated =
        days != nil && page.prefixes.isEmpty && prefixes.isEmpty
        && page.objects.allSatisfy { Self.deliveryDay($0.key.dropFirst(prefix.count)) != nil }
      if dated, let days {
        objects += page.objects.filter { days.contains(Self.deliveryDay($0.key.dropFirst(prefix.count))!) }
        if let last = page.objects.last, Self.deliveryDay(last.key.dropFirst(prefix.count))! > days.upperBound {
          break
        }
      } else {
        objects += page.objects
      }
      prefixes += page.prefixes
      token = page.nextToken
      if first, dated, token != nil, let days, let last = page.objects.last?.key {
        // Jump to the window: keys sort by delivery time.
        let (y, m, d) = TimeParser.civilFromDays(days.lowerBound)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let from = "\(prefix)\(y)-\(two(m))-\(two(d))"
        if from > last {
          token = nil
          startAfter = from
        }
      }
      first = false
    } while token != nil || startAfter != nil
    return (objects, prefixes)
  }

  /// The day of a simple-form access-log key (`YYYY-MM-DD-hh-mm-ss-` then an ID), or nil.
  static func deliveryDay(_ name: Substring) -> Int64? {
    let b = Array(name.utf8.prefix(20))
    guard b.count == 20 else { return nil }
    for (i, c) in b.enumerated() {
      let dash = [4, 7, 10, 13, 16, 19].contains(i)
      if dash ? c != UInt8(ascii: "-") : !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { return nil }
    }
    func n(_ r: Range<Int>) -> Int { b[r].reduce(0) { $0 * 10 + Int($1 - 48) } }
    let (y, m, d) = (n(0..<4), n(5..<7), n(8..<10))
    guard (1...12).contains(m), (1...31).contains(d) else { return nil }
    return TimeParser.daysFromCivil(year: y, month: m, day: d)
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
