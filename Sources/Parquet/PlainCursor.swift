/// Reads PLAIN-encoded values with bounds checks.
struct PlainCursor {
  let bytes: UnsafeRawBufferPointer
  var position = 0

  mutating func fixed(_ count: Int, width: Int) throws(ParquetError) -> [UInt64] {
    guard count >= 0, count <= (bytes.count - position) / width else {
      throw ParquetError.corrupt("corrupt page: \(count) values of \(width) bytes overrun the page")
    }
    var out = [UInt64](repeating: 0, count: count)
    let base = position
    if width == 8 {
      for i in 0..<count { out[i] = bytes.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self).littleEndian }
    } else if width == 4 {
      for i in 0..<count {
        out[i] = UInt64(bytes.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self).littleEndian)
      }
    } else {
      for i in 0..<count {
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(bytes[base + width * i + k]) << (8 * UInt64(k)) }
        out[i] = v
      }
    }
    position += count * width
    return out
  }

  mutating func bools(_ count: Int) throws(ParquetError) -> [Bool] {
    guard count >= 0, (count + 7) / 8 <= bytes.count - position else {
      throw ParquetError.corrupt("corrupt page: booleans overrun the page")
    }
    var out = [Bool](repeating: false, count: count)
    for i in 0..<count { out[i] = bytes[position + i >> 3] >> UInt8(i & 7) & 1 == 1 }
    position += (count + 7) / 8
    return out
  }

  mutating func byteArray(fixedLength: Int?) throws(ParquetError) -> UnsafeRawBufferPointer {
    var n: Int
    if let fixedLength {
      n = fixedLength
    } else {
      guard bytes.count - position >= 4 else { throw ParquetError.corrupt("corrupt page: value length cut short") }
      n =
        Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16
        | Int(bytes[position + 3]) << 24
      position += 4
    }
    guard n >= 0, n <= bytes.count - position else {
      throw ParquetError.corrupt("corrupt page: value overruns the page")
    }
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
  }
}

/// `Array.withUnsafeBytes` for closures with typed throws.
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParquetError) -> R) throws(ParquetError)
  -> R
{
  let result: Result<R, ParquetError> = array.withUnsafeBytes { raw in
    do throws(ParquetError) { return .success(try body(raw)) } catch { return .failure(error) }
  }
  return try result.get()
}
