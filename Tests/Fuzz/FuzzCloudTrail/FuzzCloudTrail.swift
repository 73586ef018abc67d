import CloudTrail
import FuzzSupport

/// libFuzzer entry: any bytes as a CloudTrail document. Scanning, reading every record and
/// redacting its raw sections must never crash, hang or read outside the buffer; and the
/// document's scanner, which jumps over nested objects by the ends its validation noted, must
/// read and redact exactly what a scanner without that table reads and redacts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let buffer = UnsafeRawBufferPointer(start: data, count: size)
  let document = CloudTrailDocument(buffer)
  let plain = JSONScanner(buffer)
  var record = CloudTrailRecord()
  var plainRecord = CloudTrailRecord()
  var redactor = JSONRedactor()
  var out: [UInt8] = []
  var plainOut: [UInt8] = []
  _ = document.scan(
    onRecord: { value in
      precondition(Int(value.start) >= 0 && Int(value.end) <= size)
      let read = (try? CloudTrailRecordReader.read(value, scanner: document.scanner, into: &record)) != nil
      let plainRead = (try? CloudTrailRecordReader.read(value, scanner: plain, into: &plainRecord)) != nil
      precondition(read == plainRead)
      guard read else { return }
      precondition(record == plainRecord)
      out.removeAll(keepingCapacity: true)
      plainOut.removeAll(keepingCapacity: true)
      redactor.append(record.requestParameters, scanner: document.scanner, to: &out)
      redactor.append(record.responseElements, scanner: document.scanner, to: &out)
      redactor.append(record.requestParameters, scanner: plain, to: &plainOut)
      redactor.append(record.responseElements, scanner: plain, to: &plainOut)
      precondition(out == plainOut)
    },
    onReject: { offset, _ in precondition(offset >= 0 && offset <= size) })
  return 0
}

/// SwiftPM's entry point for this executable: libFuzzer's driver with `fuzz` as the target.
@_cdecl("FuzzCloudTrail_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  runFuzzer(argc, argv, fuzz)
}
