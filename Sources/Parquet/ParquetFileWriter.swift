#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes one Parquet file: `PAR1`, row groups streamed to disk one at a time, then the footer.
///
/// The writer only ever appends; it knows nothing about temporary names or partitions (the caller
/// writes to a temporary path and renames), and nothing about logs.
public final class ParquetFileWriter {
  public let schema: Schema
  public let options: WriterOptions
  public let path: String
  private var fd: Int32
  private var offset = 0
  /// Bytes not yet written: chunks of small parts are a few kilobytes, and one `write` each
  /// (sixty per part) had cost CloudTrail runs, with hundreds of daily parts, 6% of their time.
  private var pending: [UInt8]
  private var rowGroups: [RowGroupRecord] = []
  private var totalRows = 0
  private let context: ParquetWriteContext
  private let compressor: ZstdCompressor

  private struct ChunkRecord {
    var descriptor: ColumnDescriptor
    var fileOffset: Int
    var chunk: EncodedColumnChunk
    var bloomFilter: (offset: Int, length: Int)?
  }

  private struct RowGroupRecord {
    var chunks: [ChunkRecord]
    var rows: Int
    var sortedByColumn: Int?
  }

  /// Creates (truncating) `path` with the given permission bits. A thread writing many files
  /// passes the same `context` to each.
  public init(
    path: String, schema: Schema, options: WriterOptions = WriterOptions(), mode: UInt32 = 0o640,
    context: ParquetWriteContext = ParquetWriteContext()
  ) throws {
    self.path = path
    self.schema = schema
    self.options = options
    self.context = context
    self.compressor = context.compressor(level: options.zstdLevel)
    pending = context.takeOutputBuffer()
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
    if fd < 0 { throw ParquetError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
    try writeAll(Array("PAR1".utf8))
  }

  deinit {
    if fd >= 0 { close(fd) }
  }

  public var rowCount: Int { totalRows }
  public var bytesWritten: Int { offset }

  /// Writes one row group. `order`, when given, is the output order of the rows (for example a
  /// sort by time); `sortedByColumn` records that order in `RowGroup.sorting_columns`.
  public func writeRowGroup(_ columns: [ColumnValues], order: [Int32]? = nil, sortedByColumn: Int? = nil)
    throws
  {
    try writeRowGroup(columns.map { ColumnInput.values($0) }, order: order, sortedByColumn: sortedByColumn)
  }

  /// The same, for columns that may borrow the caller's memory (see `ColumnInput`).
  public func writeRowGroup(_ columns: [ColumnInput], order: [Int32]? = nil, sortedByColumn: Int? = nil)
    throws
  {
    precondition(columns.count == schema.columns.count, "one column per schema column")
    let rows = order?.count ?? columns.first?.count ?? 0
    guard rows > 0 else { return }
    var records: [ChunkRecord] = []
    records.reserveCapacity(columns.count)
    for (i, values) in columns.enumerated() {
      precondition(values.count == columns[0].count, "columns of one row group differ in length")
      var buffers = EncoderBuffers()
      swap(&buffers, &context.buffers)
      var encoder = ColumnChunkEncoder(
        descriptor: schema.columns[i], options: options, compressor: compressor, buffers: consume buffers)
      var chunk = try encoder.encode(values, order: order)
      let used = encoder.takeBuffers()
      context.buffers.page = used.page
      context.buffers.values = used.values
      let start = offset
      try writeAll(chunk.bytes)
      // The footer needs the chunk's description only; its bytes are on disk.
      context.recycle(chunkBytes: &chunk.bytes)
      records.append(ChunkRecord(descriptor: schema.columns[i], fileOffset: start, chunk: chunk))
    }
    // Bloom filters follow their row group (arrow-rs's AfterRowGroup): readers seek by offset.
    for i in records.indices {
      guard let filter = records[i].chunk.bloomFilter else { continue }
      let bytes = filter.serialized()
      records[i].bloomFilter = (offset, bytes.count)
      records[i].chunk.bloomFilter = nil
      try writeAll(bytes)
    }
    rowGroups.append(RowGroupRecord(chunks: records, rows: rows, sortedByColumn: sortedByColumn))
    totalRows += rows
  }

  /// Writes the footer, fsyncs (unless the caller makes the file durable itself: `durable`
  /// false) and closes the file.
  public func finish(keyValueMetadata: [(String, String)] = [], durable: Bool = true) throws {
    let footer = FooterEncoder.encode(
      schema: schema,
      rowGroups: rowGroups.map { group in
        FooterEncoder.RowGroupInfo(
          rows: group.rows, sortedByColumn: group.sortedByColumn,
          chunks: group.chunks.map {
            FooterEncoder.ChunkInfo(
              descriptor: $0.descriptor, fileOffset: $0.fileOffset, chunk: $0.chunk, bloomFilter: $0.bloomFilter)
          })
      }, totalRows: totalRows, keyValueMetadata: keyValueMetadata, createdBy: options.createdBy)
    try writeAll(footer)
    var length = UInt32(footer.count).littleEndian
    try writeAll(withUnsafeBytes(of: &length) { Array($0) })
    try writeAll(Array("PAR1".utf8))
    try flush()
    context.recycle(outputBuffer: &pending)
    if durable && fsync(fd) != 0 { throw ParquetError.io("fsync \(path): \(String(cString: strerror(errno)))") }
    if close(fd) != 0 { throw ParquetError.io("close \(path): \(String(cString: strerror(errno)))") }
    fd = -1
  }

  /// Small pieces are gathered in `pending` up to about `Self.writeSize`; large ones go out as
  /// they are.
  private func writeAll(_ bytes: [UInt8]) throws {
    if bytes.count >= Self.writeSize {
      try flush()
      try writeOut(bytes)
    } else {
      pending.append(contentsOf: bytes)
      if pending.count >= Self.writeSize { try flush() }
    }
    offset += bytes.count
  }

  static let writeSize = 1 << 20

  private func flush() throws {
    guard !pending.isEmpty else { return }
    try writeOut(pending)
    pending.removeAll(keepingCapacity: true)
  }

  private func writeOut(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { buf in
      var done = 0
      while done < buf.count {
        let n = write(fd, buf.baseAddress! + done, buf.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          throw ParquetError.io("write \(path): \(String(cString: strerror(errno)))")
        }
        done += n
      }
    }
  }
}
