import ArgumentParser
import Pipeline
import Query
import ShardSchema

/// Parsers of option values, for `@Option(transform:)`: each value is checked once, when the
/// command line is parsed, and a bad one is a usage error (exit 64) that names the option.
enum OptionValue {
  /// ISO-8601, epoch seconds, `now`, or an age such as `7d` (that long before now).
  static func time(_ text: String) throws -> Int64 {
    guard let t = TimeLiteral.parse(text) else {
      throw ValidationError("'\(text)' is not a time or age (2024-03-01T07:10:27Z, 1709277027, 7d)")
    }
    return t
  }

  /// A duration such as `90m`, `12h`, `1h30m`, in microseconds.
  static func duration(_ text: String) throws -> Int64 {
    guard let d = Duration.parse(text) else { throw ValidationError("'\(text)' is not a duration like 12h or 1h30m") }
    return d
  }

  /// An address or a CIDR network, IPv4 or IPv6.
  static func network(_ text: String) throws -> CIDR {
    guard let c = CIDR(text) else { throw ValidationError("'\(text)' is not an address or CIDR") }
    return c
  }
}

/// The tables of an output directory, as `--table` takes them.
typealias TableName = ShardTable
extension ShardTable: ExpressibleByArgument {}

/// `--since` and `--until` of the commands that read uses (hunts, the report).
struct UseWindow: ParsableArguments {
  @Option(
    help: ArgumentHelp("Only uses at or after this time (ISO-8601 or an age like 30d).", valueName: "time"),
    transform: OptionValue.time)
  var since: Int64?

  @Option(help: ArgumentHelp("Only uses before this time.", valueName: "time"), transform: OptionValue.time)
  var until: Int64?
}

/// `--retain`, for the commands that replace parts (index, compact, verify --repair).
struct RetainOption: ParsableArguments {
  struct Value: ExpressibleByArgument {
    var nanos: Int64
    init(nanos: Int64) { self.nanos = nanos }
    init?(argument: String) {
      if argument == "0" {
        nanos = 0
      } else if let micros = Duration.parse(argument), micros <= Int64.max / 1000 {
        nanos = micros * 1000
      } else {
        return nil
      }
    }
    var defaultValueDescription: String { nanos == 0 ? "0" : "\(nanos / 1_000_000_000)s" }
  }

  @Option(
    help: ArgumentHelp(
      "How long parts a compaction or retraction replaced stay on disk (e.g. 1h), so queries that listed them before can finish; the first run after that removes them. Only for readers that leave them out: sigtrail's own and the DuckDB views of `sigtrail ddl`. A reader that globs the directory (Athena, Spark, read_parquet('out/...')) counts their rows twice meanwhile.",
      valueName: "duration"))
  var retain = Value(nanos: IndexOptions.defaultRetainNanos)
}
