import CZlib
import CZstd

/// Pages inflated by their chunk's codec.
extension ColumnChunkReader {
  /// Inflates a zstd page into exactly `target`; a short or corrupt frame is an error.
  func unzstd(_ body: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer)
    throws(ParquetError)
  {
    let n = ZSTD_decompress(target.baseAddress, target.count, body.baseAddress, body.count)
    guard ZSTD_isError(n) == 0 else { throw fail("corrupt zstd page (\(String(cString: ZSTD_getErrorName(n))))") }
    guard n == target.count else { throw fail("zstd page holds \(n) bytes, header says \(target.count)") }
  }

  func decompress(_ body: UnsafeRawBufferPointer, size: Int) throws(ParquetError) -> [UInt8] {
    switch chunk.codec {
    case .uncompressed?:
      guard body.count == size else { throw fail("uncompressed page size mismatch") }
      return Array(body)
    case .snappy?:
      return try SnappyDecompressor.decompress(body, expectedSize: size)
    case .zstd?:
      // No zero-filling: zstd writes every byte it reports, and a short result is an error.
      var failure: ParquetError?
      let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        do throws(ParquetError) {
          try unzstd(body, into: UnsafeMutableRawBufferPointer(buffer))
          initialized = size
        } catch {
          failure = error
          initialized = 0
        }
      }
      if let failure { throw failure }
      return out
    case .gzip?:
      return try inflate(body, size: size)
    case .lzo?, .brotli?, .lz4?, .lz4Raw?, nil:
      throw fail(
        "compression codec \(chunk.codec?.name ?? "unknown") is not supported (uncompressed, snappy, gzip, "
          + "zstd are)")
    }
  }

  func inflate(_ body: UnsafeRawBufferPointer, size: Int) throws(ParquetError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: size)
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw fail("zlib initialisation failed")
    }
    defer { inflateEnd(&stream) }
    let rc = out.withUnsafeMutableBytes { dst in
      stream.next_in = UnsafeMutablePointer(mutating: body.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(body.count)
      stream.next_out = dst.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(size)
      return CZlib.inflate(&stream, Z_FINISH)
    }
    guard rc == Z_STREAM_END, Int(stream.total_out) == size else { throw fail("corrupt gzip page") }
    return out
  }
}
