/// Percent-encoding as SigV4 wants it: every byte but `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (uppercase hex), and `/` too unless `keepSlash` (an S3 key in a path keeps its slashes).
public enum URIEncoding {
  public static func encode(_ text: String, keepSlash: Bool = false) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    let hex = Array("0123456789ABCDEF".utf8)
    for b in text.utf8 {
      if isUnreserved(b) || (keepSlash && b == UInt8(ascii: "/")) {
        out.append(b)
      } else {
        out.append(UInt8(ascii: "%"))
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 15)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func isUnreserved(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
      UInt8(ascii: "~"):
      return true
    default:
      return false
    }
  }
}
