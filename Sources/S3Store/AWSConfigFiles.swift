import LogBytes

/// The shared `~/.aws/config` and `~/.aws/credentials` files, as the AWS CLI reads them:
/// `[profile NAME]` sections in config (`[default]` for the default), `[NAME]` in credentials,
/// `key = value` lines, `#`/`;` comments, and indented lines continuing a nested section
/// (`s3 =` followed by `  addressing_style = path`, read as `s3.addressing_style`).
public struct AWSConfigFiles: Sendable {
  /// Settings by profile name; credentials-file values win over config-file values.
  public var profiles: [String: [String: String]] = [:]

  public init(profiles: [String: [String: String]] = [:]) { self.profiles = profiles }

  /// Reads the files named by `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, or the defaults
  /// under `$HOME/.aws`; missing files are empty.
  public static func load(environment: [String: String]) -> AWSConfigFiles {
    let home = environment["HOME"] ?? ""
    let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
    let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
    var files = AWSConfigFiles()
    if let text = readText(configPath) { files.merge(parse(text, isConfig: true)) }
    if let text = readText(credentialsPath) { files.merge(parse(text, isConfig: false)) }
    return files
  }

  mutating func merge(_ other: [String: [String: String]]) {
    for (name, settings) in other { profiles[name, default: [:]].merge(settings) { _, new in new } }
  }

  static func parse(_ text: String, isConfig: Bool) -> [String: [String: String]] {
    var out: [String: [String: String]] = [:]
    var current: String?
    var nested: String?
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let line = raw.trimmingBlanks()
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") && line.hasSuffix("]") {
        var name = String(line.dropFirst().dropLast()).trimmingBlanks()
        if isConfig && name.hasPrefix("profile ") { name = String(name.dropFirst(8)).trimmingBlanks() }
        // Other config sections ([sso-session x], [services x]) are not profiles.
        current = isConfig && name.contains(" ") ? nil : name
        nested = nil
        continue
      }
      guard let profile = current, let eq = line.firstIndex(of: "=") else { continue }
      let key = line[..<eq].trimmingBlanks().lowercased()
      let value = line[line.index(after: eq)...].trimmingBlanks()
      let indented = raw.first == " " || raw.first == "\t"
      if indented, let parent = nested {
        out[profile, default: [:]]["\(parent).\(key)"] = value
      } else if value.isEmpty {
        nested = key
      } else {
        nested = nil
        out[profile, default: [:]][key] = value
      }
    }
    return out
  }

  static func readText(_ path: String) -> String? {
    FileBytes.read(path, limit: 16 << 20).map { String(decoding: $0, as: UTF8.self) }
  }

}
