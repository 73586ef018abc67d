import FuzzSupport
import Parquet

/// libFuzzer entry: any bytes as a Parquet file. Decoding the footer, every column chunk of every
/// row group (in full and for its nulls only) and every bloom filter must end in a value or a `ParquetError`: never a crash, a
/// hang or an allocation beyond the reader's caps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? ParquetFile(bytes: bytes) else { return 0 }
  for g in 0..<file.metadata.rowGroups.count {
    for c in 0..<file.metadata.columns.count {
      let rows = Int(file.metadata.rowGroups[g].rows)
      if let column = try? file.read(rowGroup: g, column: c) {
        precondition(column.count == rows)
        if case .values(.byteArray(let b)) = column {
          // Every value's range lies inside the arena (PLAIN pages are kept whole).
          for i in 0..<b.count { precondition(b.range(i).lowerBound >= 0 && b.range(i).upperBound <= b.bytes.count) }
        }
        _ = column.materialized()
      }
      if let nulls = try? file.readNulls(rowGroup: g, column: c) { precondition(nulls.count == rows) }
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
