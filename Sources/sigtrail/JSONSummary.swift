import Foundation

/// Prints a run's summary as the `--json` of `index`, `compact`, `verify` and `inspect` do:
/// pretty, keys sorted, so schedulers and diffs read it the same way every time.
func printJSONSummary<T: Encodable>(_ value: T) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
