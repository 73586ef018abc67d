import Presign

/// libFuzzer entry: any bytes as a query string, a URL and free text. Presign extraction,
/// redaction and scrubbing must never crash; redaction must never grow a secret-free text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = UnsafeRawBufferPointer(start: data, count: size)
  var extractor = PresignExtractor()
  var cache = FingerprintCache()
  _ = extractor.extract(query: text, requestTimeMicros: 1_600_000_000_000_000, cache: &cache)
  var out: [UInt8] = []
  let replaced = QueryRedactor.redact(text, appendingTo: &out, cache: &cache)
  if !replaced { precondition(out.count == size && out.elementsEqual(text), "redaction changed secret-free text") }
  out.removeAll()
  SecretScrubber.scrub(text, appendingTo: &out, cache: &cache)
  return 0
}

// SwiftPM links an executable target's entry point as `FuzzQueryString_main`; it hands control to
// libFuzzer's driver, whose own `main` is then never pulled in.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("FuzzQueryString_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments, fuzz)
}
