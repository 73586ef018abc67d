/// Identity of this build, written into every shard's `created_by`.
public enum BuildInfo {
  public static let version = "0.1.0"
  /// The commit is not known to the compiler; `unknown` keeps `created_by` parseable.
  public static let commit = "unknown"
}
