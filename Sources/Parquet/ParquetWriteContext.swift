/// What one thread reuses from file to file: the zstd context and the page, value scratch,
/// chunk and output buffers.
///
/// A part holds one row group of ~60 column chunks; created per file, the context's tables and a
/// megabyte of page buffer per chunk were allocated, faulted in and freed again for every part
/// (CloudTrail spread over months writes hundreds of small parts). Not thread-safe: one per thread.
public final class ParquetWriteContext {
  private var compressors: [Int32: ZstdCompressor] = [:]
  var buffers = EncoderBuffers()
  private var outputBuffer: [UInt8] = []
  /// A chunk buffer grown past this (the text of a quarter-million-row part) is freed rather
  /// than kept: memory held outside the writers' budget stays small.
  static let keptChunkCapacity = 4 << 20

  public init() {}

  func compressor(level: Int32) -> ZstdCompressor {
    if let c = compressors[level] { return c }
    let c = ZstdCompressor(level: level)
    compressors[level] = c
    return c
  }

  func takeOutputBuffer() -> [UInt8] {
    var b: [UInt8] = []
    swap(&b, &outputBuffer)
    return b
  }

  func recycle(outputBuffer used: inout [UInt8]) {
    used.removeAll(keepingCapacity: true)
    swap(&outputBuffer, &used)
  }

  /// Takes back a written chunk's buffer, emptied, for the next chunk.
  func recycle(chunkBytes: inout [UInt8]) {
    if chunkBytes.capacity > Self.keptChunkCapacity {
      chunkBytes = []
      return
    }
    chunkBytes.removeAll(keepingCapacity: true)
    swap(&buffers.chunk, &chunkBytes)
  }
}
