import FuzzSupport
import Presign

/// libFuzzer entry: any bytes as a query string, a URL and free text. Presign extraction,
/// redaction and scrubbing must never crash; redaction must never grow a secret-free text,
/// scrubbing twice must find nothing the second time, and
/// extraction that redacts on the way must write exactly what the redactor writes (the shard
/// writer stores the former as `request_query`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = UnsafeRawBufferPointer(start: data, count: size)
  var extractor = PresignExtractor()
  var cache = FingerprintCache()
  _ = extractor.extract(query: text, requestTimeMicros: 1_600_000_000_000_000, cache: &cache)
  var out: [UInt8] = []
  let replaced = QueryRedactor.redact(text, appendingTo: &out, cache: &cache)
  if !replaced { precondition(out.count == size && out.elementsEqual(text), "redaction changed secret-free text") }
  var together: [UInt8] = []
  _ = extractor.extract(query: text, requestTimeMicros: 1_600_000_000_000_000, cache: &cache, redactingInto: &together)
  precondition(together == out, "extraction redacted differently from the redactor")
  var scrubber = SecretScrubber()
  if scrubber.scrub(text) {
    let once = scrubber.output
    precondition(!once.withUnsafeBytes { scrubber.scrub($0) }, "a scrubbed text still holds a secret")
  }
  return 0
}

/// SwiftPM's entry point for this executable: libFuzzer's driver with `fuzz` as the target.
@_cdecl("FuzzQueryString_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  runFuzzer(argc, argv, fuzz)
}
