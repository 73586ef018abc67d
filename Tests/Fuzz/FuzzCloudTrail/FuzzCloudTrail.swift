import CloudTrail
import FuzzSupport

/// libFuzzer entry: any bytes as a CloudTrail document. Scanning, reading every record and
/// redacting its raw sections must never crash, hang or read outside the buffer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let buffer = UnsafeRawBufferPointer(start: data, count: size)
  let scanner = JSONScanner(buffer)
  var record = CloudTrailRecord()
  var redactor = JSONRedactor()
  var out: [UInt8] = []
  _ = CloudTrailDocument(buffer).scan(
    onRecord: { value in
      precondition(Int(value.start) >= 0 && Int(value.end) <= size)
      if (try? CloudTrailRecordReader.read(value, scanner: scanner, into: &record)) != nil {
        out.removeAll(keepingCapacity: true)
        redactor.append(record.requestParameters, scanner: scanner, to: &out)
        redactor.append(record.responseElements, scanner: scanner, to: &out)
      }
    },
    onReject: { offset, _ in precondition(offset >= 0 && offset <= size) })
  return 0
}

/// SwiftPM's entry point for this executable: libFuzzer's driver with `fuzz` as the target.
@_cdecl("FuzzCloudTrail_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  runFuzzer(argc, argv, fuzz)
}
