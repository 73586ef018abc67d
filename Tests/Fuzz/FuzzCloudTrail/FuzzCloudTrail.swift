import FuzzSupport

// Testable (fuzz builds are debug builds): a scanner with a tape of a few entries.
@testable import CloudTrail

/// libFuzzer entry: any bytes as a CloudTrail document. Scanning, reading every record and
/// redacting its raw sections must never crash, hang or read outside the buffer; and the
/// document's scanner, which walks records by the tape its validation wrote, must read and
/// redact exactly what a scanner that never validated them (and so scans the text) does, and
/// so must a scanner whose tape is too short for the record (it walks part of it by the tape).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let buffer = UnsafeRawBufferPointer(start: data, count: size)
  let document = CloudTrailDocument(buffer)
  let plain = JSONScanner(buffer)
  let short = JSONScanner(buffer, tapeEntries: size % 13)
  var record = CloudTrailRecord()
  var plainRecord = CloudTrailRecord()
  var shortRecord = CloudTrailRecord()
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
      // The record is valid JSON whatever its shape (walked member by member at the top).
      let (shortValue, _) = try! short.value(at: Int(value.start))
      precondition((try? CloudTrailRecordReader.read(shortValue, scanner: short, into: &shortRecord)) != nil)
      precondition(shortRecord == record)
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
