/// What went wrong with a bucket or an object, named by its `s3://` URL; never holds a signature,
/// token or key secret (S3's own error messages do not either).
public enum S3Error: Error, Sendable, CustomStringConvertible, Equatable {
  /// Settings that cannot work (an endpoint without scheme, no region).
  case config(String)
  /// The server answered with an error: `code` is S3's (`AccessDenied`, `NoSuchKey`, ...).
  case service(url: String, status: Int, code: String, message: String)
  /// No answer after every retry.
  case transport(url: String, reason: String, attempts: Int)
  /// The object's ETag changed (or it vanished) while it was read: it is not indexed.
  case changed(url: String, reason: String)

  public var description: String {
    switch self {
    case .config(let m): return m
    case .service(let url, let status, let code, let message):
      return "\(url): \(code) (HTTP \(status))\(message.isEmpty ? "" : ": \(message)")"
    case .transport(let url, let reason, let attempts):
      return "\(url): \(reason) (gave up after \(attempts) attempts)"
    case .changed(let url, let reason): return "\(url): \(reason)"
    }
  }

  /// The description without the leading `s3://...: ` (for notes that name the object already).
  public var reasonWithoutURL: String {
    let text = description
    guard text.hasPrefix("s3://"), let sep = text.range(of: ": ") else { return text }
    return String(text[sep.upperBound...])
  }

  public var code: String? {
    if case .service(_, _, let code, _) = self { return code }
    return nil
  }
}
