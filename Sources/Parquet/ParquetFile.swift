#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Brings byte ranges of a file that is not all there yet (a sparse local copy of a remote
/// object) before they are read: the footer when the file is opened, then each column chunk and
/// bloom filter as it is read. Called from several threads at once.
public protocol ByteRangeLoader: Sendable {
  func load(_ range: Range<Int>) throws(ParquetError)
}

/// A Parquet file opened for reading: its footer decoded, its bytes memory-mapped.
///
/// Safe on untrusted input: the footer and every page are bounds-checked, sizes are capped, and
/// a problem is a `ParquetError` naming the file, never a crash. Reading columns of different row
/// groups from several threads at once is safe (the mapping is read-only).
public final class ParquetFile: @unchecked Sendable {
  public let path: String
  public let metadata: FileMetadata
  public let size: Int
  private let base: UnsafeRawPointer?
  private let owned: Bool
  private let loader: ByteRangeLoader?

  /// Largest footer accepted.
  static let maxFooterBytes = 64 << 20

  /// `loader`, when given, brings each byte range before it is read (see `ByteRangeLoader`).
  public init(path: String, loader: ByteRangeLoader? = nil) throws(ParquetError) {
    self.path = path
    self.loader = loader
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ParquetError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      throw ParquetError.io("\(path): cannot stat: \(String(cString: strerror(errno)))")
    }
    size = Int(st.st_size)
    guard size >= 12 else { throw ParquetError.corrupt("\(path): not a Parquet file (\(size) bytes)") }
    // Shared, so that what a loader writes into the file later is what the mapping shows.
    guard let map = mmap(nil, size, PROT_READ, loader == nil ? MAP_PRIVATE : MAP_SHARED, fd, 0), map != MAP_FAILED
    else {
      throw ParquetError.io("\(path): cannot map: \(String(cString: strerror(errno)))")
    }
    base = UnsafeRawPointer(map)
    owned = false
    do {
      if let loader {
        try loader.load(0..<4)
        try loader.load((size - 8)..<size)
        let length = Self.footerLength(UnsafeRawBufferPointer(start: base, count: size))
        if length > 0, length <= size - 12 { try loader.load((size - 8 - length)..<(size - 8)) }
      }
      metadata = try Self.footer(UnsafeRawBufferPointer(start: base, count: size))
    } catch {
      munmap(map, size)
      throw ParquetError.located("\(path)", error)
    }
  }

  /// Reads a file held in memory (tests and fuzzing); the bytes are copied.
  public init(bytes: [UInt8], name: String = "<memory>") throws(ParquetError) {
    path = name
    loader = nil
    size = bytes.count
    let copy = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
    bytes.withUnsafeBytes { if let b = $0.baseAddress { copy.copyMemory(from: b, byteCount: bytes.count) } }
    base = UnsafeRawPointer(copy)
    owned = true
    do throws(ParquetError) {
      guard size >= 12 else { throw ParquetError.corrupt("not a Parquet file (\(size) bytes)") }
      metadata = try Self.footer(UnsafeRawBufferPointer(start: base, count: size))
    } catch {
      copy.deallocate()
      throw ParquetError.located("\(name)", error)
    }
  }

  deinit {
    if owned {
      UnsafeMutableRawPointer(mutating: base)?.deallocate()
    } else if let base {
      munmap(UnsafeMutableRawPointer(mutating: base), size)
    }
  }

  private var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

  /// The footer's length, from the four bytes before the closing magic.
  private static func footerLength(_ b: UnsafeRawBufferPointer) -> Int {
    let n = b.count
    return Int(b[n - 8]) | Int(b[n - 7]) << 8 | Int(b[n - 6]) << 16 | Int(b[n - 5]) << 24
  }

  private static func footer(_ b: UnsafeRawBufferPointer) throws(ParquetError) -> FileMetadata {
    let n = b.count
    let tail = Array(b[(n - 4)...])
    if tail == Array("PARE".utf8) {
      throw ParquetError.unsupported("the file is encrypted; encrypted Parquet is not supported")
    }
    guard tail == Array("PAR1".utf8), Array(b[0..<4]) == Array("PAR1".utf8) else {
      throw ParquetError.corrupt("not a Parquet file (no PAR1 magic)")
    }
    let length = footerLength(b)
    guard length > 0, length <= n - 12, length <= maxFooterBytes else {
      throw ParquetError.corrupt("corrupt footer length \(length) in a file of \(n) bytes")
    }
    return try FileMetadata.decode(UnsafeRawBufferPointer(rebasing: b[(n - 8 - length)..<(n - 8)]))
  }

  /// Decodes column `column` of row group `rowGroup`.
  public func read(rowGroup: Int, column: Int) throws(ParquetError) -> DecodedColumn {
    try decode(rowGroup: rowGroup, column: column, nullsOnly: false)
  }

  /// Which rows of a column chunk are null, without decoding its values (nor its dictionary):
  /// a boolean column of all `false` values with the chunk's nulls.
  public func readNulls(rowGroup: Int, column: Int) throws(ParquetError) -> DecodedColumn {
    try decode(rowGroup: rowGroup, column: column, nullsOnly: true)
  }

  private func decode(rowGroup: Int, column: Int, nullsOnly: Bool) throws(ParquetError) -> DecodedColumn {
    guard rowGroup >= 0, rowGroup < metadata.rowGroups.count, column >= 0, column < metadata.columns.count else {
      throw ParquetError.io("\(path): no row group \(rowGroup) column \(column)")
    }
    let group = metadata.rowGroups[rowGroup]
    do {
      if let loader, let range = Self.chunkRange(group.columns[column], size: size) { try loader.load(range) }
      var reader = try ColumnChunkReader(
        file: bytes, leaf: metadata.columns[column], chunk: group.columns[column], rows: group.rows)
      reader.nullsOnly = nullsOnly
      return try reader.read()
    } catch {
      throw ParquetError.located("\(path): row group \(rowGroup)", error)
    }
  }

  /// Where a column chunk's pages lie, nil when the footer places them outside the file (the
  /// chunk reader reports that).
  static func chunkRange(_ chunk: ColumnChunkMetadata, size: Int) -> Range<Int>? {
    var start = chunk.dataPageOffset
    if let d = chunk.dictionaryPageOffset, d >= 4, d < start { start = d }
    guard start >= 4, chunk.compressedBytes >= 0, start <= Int64(size), chunk.compressedBytes <= Int64(size) - start
    else { return nil }
    return Int(start)..<Int(start + chunk.compressedBytes)
  }

  /// The Split Block Bloom Filter of a column chunk, if the writer stored one.
  public func bloomFilter(rowGroup: Int, column: Int) throws(ParquetError) -> SplitBlockBloomFilter? {
    guard rowGroup >= 0, rowGroup < metadata.rowGroups.count, column >= 0, column < metadata.columns.count else {
      return nil
    }
    let chunk = metadata.rowGroups[rowGroup].columns[column]
    guard let offset = chunk.bloomFilterOffset else { return nil }
    guard offset >= 4, offset < Int64(size) else {
      throw ParquetError.corrupt("\(path): bloom filter offset \(offset) outside the file")
    }
    do {
      if let loader {
        // Our writer records the length; for a file that does not, what a filter can hold.
        let length = Int(chunk.bloomFilterLength ?? Int32(SplitBlockBloomFilter.maxBytes + 64))
        try loader.load(Int(offset)..<min(size, Int(offset) + max(0, length)))
      }
      return try SplitBlockBloomFilter.read(bytes, at: Int(offset))
    } catch {
      throw ParquetError.located("\(path): row group \(rowGroup) column \(metadata.columns[column].name)", error)
    }
  }
}
