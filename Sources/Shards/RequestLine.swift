import AccessLog
import LogBytes

/// The parts of a Request-URI field (`GET /bucket/key?query HTTP/1.1`), as spans into it.
struct RequestLine {
  var method = Span.null
  var path = Span.null
  var query = Span.null
  var protocolVersion = Span.null

  static func split(_ uri: UnsafeRawBufferPointer) -> RequestLine {
    var parts = RequestLine()
    let n = uri.count
    guard n > 0 else { return parts }
    let firstSpace = ByteSearch.first(UInt8(ascii: " "), in: uri, from: 0, end: n)
    guard firstSpace < n else {
      parts.method = Span(start: 0, end: n)
      return parts
    }
    parts.method = Span(start: 0, end: firstSpace)
    var targetEnd = n
    // The protocol is the last token when it looks like one; the docs show URIs without it.
    if let lastSpace = ByteSearch.last(UInt8(ascii: " "), in: uri, from: 0, end: n), lastSpace > firstSpace,
      n - lastSpace > 5, uri[lastSpace + 1] == UInt8(ascii: "H"), uri[lastSpace + 2] == UInt8(ascii: "T"),
      uri[lastSpace + 3] == UInt8(ascii: "T"), uri[lastSpace + 4] == UInt8(ascii: "P"),
      uri[lastSpace + 5] == UInt8(ascii: "/")
    {
      parts.protocolVersion = Span(start: lastSpace + 1, end: n)
      targetEnd = lastSpace
    }
    let targetStart = firstSpace + 1
    guard targetStart <= targetEnd else { return parts }
    let q = ByteSearch.first(UInt8(ascii: "?"), in: uri, from: targetStart, end: targetEnd)
    parts.path = Span(start: targetStart, end: q)
    if q < targetEnd { parts.query = Span(start: q + 1, end: targetEnd) }
    return parts
  }
}
