import AccessLog

/// libFuzzer entry: any bytes as one access-log line. Tokenizing must never crash, and a line it
/// accepts must have spans inside the line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let line = UnsafeRawBufferPointer(start: data, count: size)
  var record = AccessLogRecord()
  if AccessLogTokenizer.parse(line, into: &record) == nil {
    for span in [
      record.bucket, record.requester, record.requestURI, record.referer, record.userAgent, record.hostID,
      record.extraFields,
    ] where !span.isNull {
      precondition(span.start >= 0 && span.end <= size, "span outside the line")
    }
    precondition(record.fieldCount >= 17)
  }
  return 0
}

// SwiftPM links an executable target's entry point as `FuzzAccessLog_main`; it hands control to
// libFuzzer's driver, whose own `main` is then never pulled in.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<Int32>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("FuzzAccessLog_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments, fuzz)
}
