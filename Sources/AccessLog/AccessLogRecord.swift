/// One S3 server access log line, tokenized: every field is a `Span` into the line; numbers and
/// the request time are already parsed. Reused across lines, so tokenizing allocates nothing.
public struct AccessLogRecord: Sendable {
  public var bucketOwner = Span.null
  public var bucket = Span.null
  /// Request time, microseconds since the Unix epoch, UTC (the log's offset applied).
  public var requestTimeMicros: Int64 = 0
  public var remoteIP = Span.null
  public var requester = Span.null
  public var requestID = Span.null
  public var operation = Span.null
  public var key = Span.null
  /// The Request-URI between its quotes (`METHOD target PROTOCOL`), raw bytes.
  public var requestURI = Span.null
  public var httpStatus: Int32? = nil
  public var errorCode = Span.null
  public var bytesSent: Int64? = nil
  public var objectSize: Int64? = nil
  public var totalTimeMs: Int64? = nil
  public var turnAroundTimeMs: Int64? = nil
  public var referer = Span.null
  public var userAgent = Span.null
  public var versionID = Span.null
  public var hostID = Span.null
  public var signatureVersion = Span.null
  public var cipherSuite = Span.null
  public var authenticationType = Span.null
  public var hostHeader = Span.null
  public var tlsVersion = Span.null
  public var accessPointARN = Span.null
  /// `Yes` → true, `-` → false, field absent (older formats) → nil.
  public var aclRequired: Bool? = nil
  public var sourceRegion = Span.null
  /// Everything after the last known field (fields S3 may add in future), space-separated as logged.
  public var extraFields = Span.null
  /// How many fields the line had, counting Time and each quoted field as one.
  public var fieldCount = 0

  public init() {}
}

/// Why a line was not turned into a row. The raw value is a stable code for reports and tables.
public enum AccessLogRejection: String, Error, Sendable, CaseIterable {
  case emptyLine = "empty_line"
  case tooFewFields = "too_few_fields"
  case badTime = "bad_time"
  case noRequestIDAfterRequester = "no_request_id_after_requester"
  case badRequestURI = "bad_request_uri"
  case badHTTPStatus = "bad_http_status"
  case badNumber = "bad_number"
  case badReferer = "bad_referer"
  case badUserAgent = "bad_user_agent"
  case lineTooLong = "line_too_long"

  public var explanation: String {
    switch self {
    case .emptyLine: return "empty line"
    case .tooFewFields: return "line ends before the User-Agent field (fewer than 17 fields)"
    case .badTime: return "Time is not [dd/Mon/yyyy:HH:MM:SS +hhmm]"
    case .noRequestIDAfterRequester:
      return "no Request ID and Operation found after the Requester (spliced or truncated record?)"
    case .badRequestURI: return "Request-URI is neither '-' nor a quoted request followed by a valid status"
    case .badHTTPStatus: return "HTTP status is neither '-' nor three digits"
    case .badNumber: return "a byte count or time field is neither '-' nor a decimal integer"
    case .badReferer: return "Referer is neither '-' nor a quoted value"
    case .badUserAgent: return "User-Agent is neither '-' nor a quoted value"
    case .lineTooLong: return "line is longer than the line-length limit"
    }
  }
}
