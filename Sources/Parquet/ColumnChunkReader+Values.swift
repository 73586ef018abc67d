/// Decoded values appended in row order: PLAIN values, dictionary codes, byte arrays.
extension ColumnChunkReader {
  /// Appends values for the rows from `firstRow` on: present values in order, `filler` at nulls.
  func spread<T>(_ present: [T], into out: inout [T], filler: T, firstRow: Int) {
    let n = isNull.count - firstRow
    if present.count == n {
      out.append(contentsOf: present)
      return
    }
    let start = out.count
    out.append(contentsOf: repeatElement(filler, count: n))
    guard !present.isEmpty else { return }
    // Without a branch per row (nulls fall anywhere): a null row takes the filler, a present
    // one the next value; a page with fewer values than present rows repeats its last one.
    out.withUnsafeMutableBufferPointer { o in
      isNull.withUnsafeBufferPointer { nulls in
        present.withUnsafeBufferPointer { p in
          let last = p.count - 1
          var k = 0
          for row in 0..<n {
            let null = nulls[firstRow + row]
            let v = p[min(k, last)]
            o[start + row] = null ? filler : v
            k &+= null ? 0 : 1
          }
        }
      }
    }
  }

  /// `spread(codes.map { dictionary[$0] }, ...)` without the intermediate array; the codes were
  /// checked against the dictionary's size.
  func spread<T>(_ codes: [UInt32], through dictionary: [T], into out: inout [T], filler: T, firstRow: Int) {
    let n = isNull.count - firstRow
    let start = out.count
    out.append(contentsOf: repeatElement(filler, count: n))
    guard !codes.isEmpty, !dictionary.isEmpty else { return }
    out.withUnsafeMutableBufferPointer { o in
      isNull.withUnsafeBufferPointer { nulls in
        codes.withUnsafeBufferPointer { c in
          dictionary.withUnsafeBufferPointer { d in
            let (last, top) = (c.count - 1, UInt32(d.count - 1))
            var k = 0
            for row in 0..<n {
              let null = nulls[firstRow + row]
              let v = d[Int(min(c[min(k, last)], top))]
              o[start + row] = null ? filler : v
              k &+= null ? 0 : 1
            }
          }
        }
      }
    }
  }

  /// `spread(dense, into: &codes, filler: 0, ...)` for the hottest case, dictionary codes of
  /// a column with nulls anywhere: the null flag masks the code arithmetically, since a branch
  /// per row mispredicts on scattered nulls.
  mutating func spreadCodes(_ dense: [UInt32], firstRow: Int) {
    let n = isNull.count - firstRow
    if dense.count == n || dense.isEmpty {
      codes.append(contentsOf: dense.isEmpty ? Array(repeating: 0, count: n) : dense)
      return
    }
    let start = codes.count
    codes.append(contentsOf: repeatElement(0, count: n))
    codes.withUnsafeMutableBufferPointer { o in
      isNull.withUnsafeBytes { nulls in
        dense.withUnsafeBufferPointer { c in
          let last = c.count - 1
          var k = 0
          for row in 0..<n {
            let present = UInt32(1 &- nulls[firstRow &+ row])
            o[start &+ row] = c[min(k, last)] & (0 &- present)
            k &+= Int(present)
          }
        }
      }
    }
  }

  mutating func appendCodes(_ dense: [UInt32], dictionary: DictionaryValues, firstRow: Int) throws(ParquetError) {
    switch dictionary {
    case .bools(let d): spread(dense, through: d, into: &bools, filler: false, firstRow: firstRow)
    case .int32s(let d): spread(dense, through: d, into: &int32s, filler: 0, firstRow: firstRow)
    case .int64s(let d): spread(dense, through: d, into: &int64s, filler: 0, firstRow: firstRow)
    case .doubles(let d): spread(dense, through: d, into: &doubles, filler: 0, firstRow: firstRow)
    case .bytes(let d):
      if bytes.count > 0 {
        // PLAIN pages came first: keep materializing.
        var k = 0
        d.bytes.withUnsafeBytes { raw in
          for row in firstRow..<isNull.count {
            if isNull[row] {
              bytes.appendNull()
            } else {
              bytes.append(UnsafeRawBufferPointer(rebasing: raw[d.range(Int(dense[k]))]))
              k += 1
            }
          }
        }
      } else {
        if codes.capacity < rows { codes.reserveCapacity(rows) }
        spreadCodes(dense, firstRow: firstRow)
      }
    }
  }

  mutating func readPlain(_ page: UnsafeRawBufferPointer, present: Int, firstRow: Int) throws(ParquetError) {
    var cursor = PlainCursor(bytes: page)
    switch type {
    case .boolean: spread(try cursor.bools(present), into: &bools, filler: false, firstRow: firstRow)
    case .int32:
      spread(
        try cursor.fixed(present, width: 4).map { Int32(truncatingIfNeeded: $0) }, into: &int32s, filler: 0,
        firstRow: firstRow)
    case .int64:
      spread(
        try cursor.fixed(present, width: 8).map { Int64(bitPattern: $0) }, into: &int64s, filler: 0,
        firstRow: firstRow)
    case .float:
      spread(
        try cursor.fixed(present, width: 4).map { Double(Float(bitPattern: UInt32($0))) }, into: &doubles,
        filler: 0, firstRow: firstRow)
    case .double:
      spread(
        try cursor.fixed(present, width: 8).map { Double(bitPattern: $0) }, into: &doubles, filler: 0,
        firstRow: firstRow)
    case .int96, .byteArray, .fixedLenByteArray:
      try readByteArrays(page, present: present, firstRow: firstRow, deltaLengths: false)
    }
  }

  /// PLAIN byte arrays, or DELTA_LENGTH_BYTE_ARRAY ones (`deltaLengths`: the lengths packed
  /// first, then the values back to back): the page joins the arena whole (one copy) and each
  /// value is known by where it starts and ends in it, length prefixes left in place, instead of
  /// a copy call per value; every length is checked before it is used. `bytes.isNull` is not
  /// kept up: `finish()` sets it from the chunk's nulls.
  mutating func readByteArrays(
    _ page: UnsafeRawBufferPointer, present: Int, firstRow: Int, deltaLengths: Bool
  ) throws(ParquetError) {
    if !codes.isEmpty, case .bytes(let d)? = dictionary {
      // A writer fell back from the dictionary mid-chunk: expand what came before.
      let expanded = DecodedColumn.dictionary(d, codes: codes, isNull: Array(isNull[0..<codes.count]))
      if case .byteArray(let b) = expanded.materialized() { bytes = b }
      codes = []
    }
    let fixed = type == .fixedLenByteArray ? Int(leaf.typeLength) : nil
    var lengths: [Int64] = []
    var dataStart = 0
    if deltaLengths {
      do {
        (lengths, dataStart) = try DeltaBinaryPackedDecoder.decode(page, count: present, exact: true)
      } catch {
        throw fail("value lengths: \(error.description)")
      }
    }
    bytes.unpack()
    let base = arenaOffset ?? bytes.bytes.count
    guard base + page.count <= Int(UInt32.max) else { throw fail("column chunk holds more than 4 GiB of values") }
    if arenaOffset == nil {
      // Grow geometrically: reserving exactly page after page would copy the arena every page.
      if bytes.bytes.capacity < base + page.count {
        bytes.bytes.reserveCapacity(max(base + page.count, bytes.bytes.capacity * 2))
      }
      bytes.bytes.append(contentsOf: page)
    }
    // One pass over the values, checking each length as its start and end are written; a
    // page that fails leaves junk in the arena, but the whole column fails with it.
    let rowCount = isNull.count - firstRow
    if bytes.starts.capacity < rows { bytes.starts.reserveCapacity(rows) }
    if bytes.ends.capacity < rows { bytes.ends.reserveCapacity(rows) }
    let first = bytes.ends.count
    bytes.starts.append(contentsOf: repeatElement(0, count: rowCount))
    bytes.ends.append(contentsOf: repeatElement(0, count: rowCount))
    var failure: String?
    bytes.starts.withUnsafeMutableBufferPointer { starts in
      bytes.ends.withUnsafeMutableBufferPointer { ends in
        isNull.withUnsafeBufferPointer { nulls in
          var q = dataStart
          var taken = 0
          for row in 0..<rowCount {
            if !nulls[firstRow + row] {
              guard taken < present else {
                failure = "page holds fewer values than its levels say"
                return
              }
              var n = fixed ?? 0
              if deltaLengths {
                n = Int(lengths[taken])
              } else if fixed == nil {
                guard page.count - q >= 4 else {
                  failure = "value length cut short"
                  return
                }
                n = Int(page.loadUnaligned(fromByteOffset: q, as: UInt32.self).littleEndian)
                q += 4
              }
              guard n >= 0, n <= page.count - q else {
                failure = "value overruns the page"
                return
              }
              starts[first + row] = UInt32(truncatingIfNeeded: base + q)
              q += n
              taken += 1
            } else {
              starts[first + row] = UInt32(truncatingIfNeeded: base + q)
            }
            ends[first + row] = UInt32(truncatingIfNeeded: base + q)
          }
        }
      }
    }
    if let failure { throw fail(failure) }
  }
}
