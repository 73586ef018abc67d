import CZstd

/// One reusable zstd compression context; each page becomes one complete zstd frame, as the
/// Parquet spec requires ("fed as-is, without any additional framing").
final class ZstdCompressor {
  private let context: OpaquePointer
  let level: Int32
  private var scratch: [UInt8] = []

  init(level: Int32) {
    guard let ctx = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx failed: out of memory") }
    context = ctx
    self.level = level
  }

  deinit { ZSTD_freeCCtx(context) }

  /// Compresses `input` into the compressor's own buffer and hands the frame to `body`; the
  /// view is valid only during the call (no copy, no allocation once the buffer is large enough).
  func compress<R>(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) throws -> R {
    let bound = ZSTD_compressBound(input.count)
    if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
    return try scratch.withUnsafeMutableBytes { dst in
      let written = ZSTD_compressCCtx(context, dst.baseAddress, bound, input.baseAddress, input.count, level)
      if ZSTD_isError(written) != 0 {
        throw ParquetError.corrupt("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
      }
      return body(UnsafeRawBufferPointer(rebasing: dst[0..<written]))
    }
  }
}
