extension ColumnChunkReader {
  /// A PLAIN or DELTA_LENGTH byte-array chunk of zstd pages (what writers produce for high-cardinality text:
  /// ids, keys, addresses) can be decompressed straight into the array that holds its values,
  /// instead of into a page buffer that is then copied there; the footer's uncompressed size
  /// (pages and headers) bounds it. nil when the chunk is not of that kind, or its footer
  /// claims more than its pages could plausibly hold (the page-by-page path then decides).
  var arenaCapacity: Int? {
    guard type == .byteArray || type == .fixedLenByteArray, !nullsOnly, chunk.codec == .zstd,
      chunk.dictionaryPageOffset == nil, !chunk.encodings.contains(where: \.isDictionary),
      chunk.uncompressedBytes > 0, chunk.uncompressedBytes <= Int64(UInt32.max),
      chunk.uncompressedBytes <= chunk.compressedBytes * 1024 + Int64(Self.maxPageBytes)
    else { return nil }
    return Int(chunk.uncompressedBytes)
  }

  /// The chunk read with every page decompressed into one arena; nil (with `self` in an
  /// unspecified state) if a page turns out not to fit the plan: not PLAIN, or larger than the
  /// footer said.
  mutating func readIntoArena(capacity: Int) throws(ParquetError) -> DecodedColumn? {
    let pages = try pageRange()
    isNull.reserveCapacity(rows)
    var declined = false
    var failure: ParquetError?
    let arena = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
      let raw = UnsafeMutableRawBufferPointer(buffer)
      var used = 0
      var position = pages.lowerBound
      defer { initialized = used }
      do throws(ParquetError) {
        while decoded < rows {
          let at = position
          let (header, body, next) = try page(at: position, end: pages.upperBound)
          position = next
          guard header.type == .dataPage || header.type == .dataPageV2 else { continue }
          guard header.encoding == .plain || (header.encoding == .deltaLengthByteArray && type == .byteArray) else {
            declined = true
            return
          }
          // v1 pages compress their levels with the values; v2 pages keep the levels apart.
          var levels = UnsafeRawBufferPointer(start: nil, count: 0)
          var compressed = body
          var size = header.uncompressedSize
          var v2Compressed = true
          if header.type == .dataPageV2 {
            (levels, compressed) = try v2Levels(header, body, at: at)
            guard levels.count <= size else { throw fail("page at byte \(at): level sizes overrun") }
            size -= levels.count
            v2Compressed = header.isCompressed
          }
          guard size <= raw.count - used else {
            declined = true
            return
          }
          let target = UnsafeMutableRawBufferPointer(rebasing: raw[used..<used + size])
          if v2Compressed && size > 0 {
            try unzstd(compressed, into: target)
          } else if size > 0 {
            guard compressed.count == size else { throw fail("uncompressed page size mismatch") }
            target.copyMemory(from: compressed)
          }
          var values = UnsafeRawBufferPointer(target)
          if header.type == .dataPage { (levels, values) = try v1Levels(values, at: at) }
          arenaOffset = used + (size - values.count)
          try readDataPage(levels: levels, values: values, count: header.valueCount, encoding: header.encodingCode)
          used += size
        }
      } catch {
        failure = error
      }
    }
    arenaOffset = nil
    if declined { return nil }
    if let failure { throw failure }
    bytes.bytes = arena
    return finish()
  }
}
