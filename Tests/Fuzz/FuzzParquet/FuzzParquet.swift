import FuzzSupport
import Parquet

/// libFuzzer entry: any bytes as a Parquet file. Decoding the footer, every column chunk of every
/// row group and every bloom filter must end in a value or a `ParquetError`: never a crash, a
/// hang or an allocation beyond the reader's caps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? ParquetFile(bytes: bytes) else { return 0 }
  for g in 0..<file.metadata.rowGroups.count {
    for c in 0..<file.metadata.columns.count {
      if let column = try? file.read(rowGroup: g, column: c) {
        precondition(column.count == Int(file.metadata.rowGroups[g].rows))
        _ = column.materialized()
      }
      _ = try? file.bloomFilter(rowGroup: g, column: c)
    }
  }
  return 0
}

/// SwiftPM's entry point for this executable: libFuzzer's driver with `fuzz` as the target.
@_cdecl("FuzzParquet_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
  runFuzzer(argc, argv, fuzz)
}
