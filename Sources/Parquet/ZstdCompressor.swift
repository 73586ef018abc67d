import CZstd

public struct ParquetError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

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

  /// Compresses `input` and appends the frame to `out`; returns the compressed length.
  func compress(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws -> Int {
    let bound = ZSTD_compressBound(input.count)
    if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
    let written = scratch.withUnsafeMutableBytes { dst in
      ZSTD_compressCCtx(context, dst.baseAddress, bound, input.baseAddress, input.count, level)
    }
    if ZSTD_isError(written) != 0 {
      throw ParquetError("zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
    }
    out.append(contentsOf: scratch[0..<written])
    return written
  }
}
