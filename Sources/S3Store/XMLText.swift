/// The few XML shapes S3 and STS answer with, read without a DOM: element texts by tag name,
/// with the five predefined entities and numeric character references decoded.
public enum XMLText {
  /// Text of the first `<tag>` element in `xml`, or nil.
  public static func first(_ tag: String, in xml: Substring) -> String? {
    elements(tag, in: xml).first.map { decode($0) }
  }

  /// Raw (undecoded) contents of every `<tag>...</tag>` in `xml`, in order.
  public static func elements(_ tag: String, in xml: Substring) -> [Substring] {
    var out: [Substring] = []
    let open = "<\(tag)>"
    let close = "</\(tag)>"
    var rest = xml[...]
    while let start = rest.range(of: open) {
      guard let end = rest[start.upperBound...].range(of: close) else { break }
      out.append(rest[start.upperBound..<end.lowerBound])
      rest = rest[end.upperBound...]
    }
    return out
  }

  public static func decode(_ text: Substring) -> String {
    guard text.contains("&") else { return String(text) }
    var out = ""
    var rest = text[...]
    while let amp = rest.firstIndex(of: "&") {
      out += rest[..<amp]
      guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
        out += "&"
        rest = rest[rest.index(after: amp)...]
        continue
      }
      let name = rest[rest.index(after: amp)..<semi]
      switch name {
      case "amp": out += "&"
      case "lt": out += "<"
      case "gt": out += ">"
      case "quot": out += "\""
      case "apos": out += "'"
      default:
        let scalar: UInt32? =
          name.hasPrefix("#x")
          ? UInt32(name.dropFirst(2), radix: 16) : name.hasPrefix("#") ? UInt32(name.dropFirst(1)) : nil
        if let s = scalar.flatMap(Unicode.Scalar.init) {
          out.unicodeScalars.append(s)
        } else {
          out += "&\(name);"
        }
      }
      rest = rest[rest.index(after: semi)...]
    }
    return out + rest
  }
}

extension Substring {
  func range(of needle: String) -> Range<Substring.Index>? {
    let n = Array(needle.utf8)
    guard let first = n.first else { return nil }
    var i = startIndex
    let u = utf8
    while let at = u[i...].firstIndex(of: first) {
      if u[at...].starts(with: n) { return at..<u.index(at, offsetBy: n.count) }
      i = u.index(after: at)
    }
    return nil
  }
}
