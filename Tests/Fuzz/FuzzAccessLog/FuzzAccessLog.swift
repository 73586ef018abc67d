import AccessLog
import FuzzSupport

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

/// SwiftPM's entry point for this executable: libFuzzer's driver with `fuzz` as the target.
@_cdecl("FuzzAccessLog_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  runFuzzer(argc, argv, fuzz)
}
