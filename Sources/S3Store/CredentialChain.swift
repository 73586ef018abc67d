import Crypto
import FoundationEssentials
import LogBytes
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Why no credentials could be found or fetched; never holds a secret.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

/// The AWS SDKs' default credential chain: environment variables (unless a profile was named on
/// the command line), the named or default profile (static keys, `role_arn` with
/// `source_profile` or `credential_source`, `web_identity_token_file`, `credential_process`),
/// web identity from the environment (EKS), container credentials (ECS, EKS Pod Identity) and
/// the EC2 instance metadata service, version 2.
public struct CredentialChain: Sendable {
  public var environment: [String: String]
  public var files: AWSConfigFiles
  /// The profile named by `--profile` (skips environment keys, as the AWS CLI does).
  public var explicitProfile: String?
  let transport: HTTPTransport

  public init(
    environment: [String: String], files: AWSConfigFiles, explicitProfile: String?, transport: HTTPTransport
  ) {
    self.environment = environment
    self.files = files
    self.explicitProfile = explicitProfile
    self.transport = transport
  }

  public var profileName: String { explicitProfile ?? environment["AWS_PROFILE"] ?? "default" }

  /// Region from `AWS_REGION`, `AWS_DEFAULT_REGION`, or the profile.
  public var region: String? {
    environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? files.profiles[profileName]?["region"]
  }

  public func resolve(now: Double) async throws -> AWSCredentials {
    if explicitProfile == nil, let keys = fromEnvironment() { return keys }
    if let profile = files.profiles[profileName] {
      if let credentials = try await fromProfile(profileName, profile, depth: 0, now: now) { return credentials }
    } else if explicitProfile != nil {
      throw CredentialError("profile '\(profileName)' is not in the AWS config or credentials file")
    }
    if let file = environment["AWS_WEB_IDENTITY_TOKEN_FILE"], let role = environment["AWS_ROLE_ARN"] {
      return try await webIdentity(
        tokenFile: file, role: role, session: environment["AWS_ROLE_SESSION_NAME"], now: now)
    }
    if let credentials = try await fromContainer() { return credentials }
    if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true", let credentials = try await fromIMDS() {
      return credentials
    }
    throw CredentialError(
      "no AWS credentials found (looked in the environment, profile '\(profileName)', web identity, "
        + "container and instance metadata); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or use --profile")
  }

  func fromEnvironment() -> AWSCredentials? {
    guard let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"],
      !id.isEmpty, !secret.isEmpty
    else { return nil }
    return AWSCredentials(
      accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"],
      source: "environment")
  }

  func fromProfile(_ name: String, _ p: [String: String], depth: Int, now: Double) async throws -> AWSCredentials? {
    guard depth < 8 else { throw CredentialError("profile '\(name)': source_profile chain too long (a loop?)") }
    if let role = p["role_arn"] {
      if let file = p["web_identity_token_file"] {
        return try await webIdentity(tokenFile: file, role: role, session: p["role_session_name"], now: now)
      }
      let source: AWSCredentials
      if let sourceName = p["source_profile"] {
        guard let sourceProfile = files.profiles[sourceName] else {
          throw CredentialError("profile '\(name)': source_profile '\(sourceName)' not found")
        }
        // A source profile's own keys, even when it names a role itself (the CLI's rule).
        if sourceName == name || sourceProfile["role_arn"] == nil, let keys = staticKeys(sourceName, sourceProfile) {
          source = keys
        } else if let chained = try await fromProfile(sourceName, sourceProfile, depth: depth + 1, now: now) {
          source = chained
        } else {
          throw CredentialError("profile '\(name)': source_profile '\(sourceName)' has no credentials")
        }
      } else if let kind = p["credential_source"] {
        switch kind {
        case "Environment":
          guard let keys = fromEnvironment() else { throw CredentialError("profile '\(name)': no keys in environment") }
          source = keys
        case "EcsContainer":
          guard let c = try await fromContainer() else {
            throw CredentialError("profile '\(name)': no container credentials")
          }
          source = c
        case "Ec2InstanceMetadata":
          guard let c = try await fromIMDS() else { throw CredentialError("profile '\(name)': no instance metadata") }
          source = c
        default:
          throw CredentialError("profile '\(name)': unknown credential_source '\(kind)'")
        }
      } else {
        throw CredentialError("profile '\(name)': role_arn needs source_profile or credential_source")
      }
      return try await assumeRole(
        role, session: p["role_session_name"], externalID: p["external_id"], with: source, now: now,
        profile: name)
    }
    if let keys = staticKeys(name, p) { return keys }
    if let command = p["credential_process"] { return try credentialProcess(command, profile: name) }
    return nil
  }

  func staticKeys(_ name: String, _ p: [String: String]) -> AWSCredentials? {
    guard let id = p["aws_access_key_id"], let secret = p["aws_secret_access_key"] else { return nil }
    return AWSCredentials(
      accessKeyID: id, secretAccessKey: secret, sessionToken: p["aws_session_token"], source: "profile \(name)")
  }

  // MARK: STS

  var stsEndpoint: String {
    if let url = environment["AWS_ENDPOINT_URL_STS"] ?? environment["AWS_ENDPOINT_URL"] { return url }
    return "https://sts.\(region ?? "us-east-1").amazonaws.com"
  }

  func assumeRole(
    _ role: String, session: String?, externalID: String?, with source: AWSCredentials, now: Double, profile: String
  ) async throws -> AWSCredentials {
    var form = [
      ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", role),
      ("RoleSessionName", session ?? "sigtrail-\(Int(now))"),
    ]
    if let externalID { form.append(("ExternalId", externalID)) }
    let body = Array(SigV4Signer.canonicalQuery(form).utf8)
    let endpoint = try Endpoint(stsEndpoint)
    let signer = SigV4Signer(credentials: source, region: region ?? "us-east-1", service: "sts")
    let request = SigV4Signer.Request(
      method: "POST", host: endpoint.hostHeader, path: "/",
      headers: [("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
      payloadHash: Hex.string(SHA256.hash(data: body)))
    let headers = signer.sign(request, now: now)
    let reply = try await transport.send("POST", endpoint.base + "/", headers: headers, body: body)
    return try Self.stsCredentials(reply, action: "AssumeRole \(role) (profile \(profile))", source: "role \(role)")
  }

  func webIdentity(tokenFile: String, role: String, session: String?, now: Double) async throws -> AWSCredentials {
    guard let token = AWSConfigFiles.readText(tokenFile)?.trimmingBlanks(), !token.isEmpty else {
      throw CredentialError("web identity token file \(tokenFile) cannot be read")
    }
    let form = [
      ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", role),
      ("RoleSessionName", session ?? "sigtrail-\(Int(now))"), ("WebIdentityToken", token),
    ]
    let endpoint = try Endpoint(stsEndpoint)
    let reply = try await transport.send(
      "POST", endpoint.base + "/", headers: [("content-type", "application/x-www-form-urlencoded")],
      body: Array(SigV4Signer.canonicalQuery(form).utf8))
    return try Self.stsCredentials(
      reply, action: "AssumeRoleWithWebIdentity \(role)", source: "web identity role \(role)")
  }

  static func stsCredentials(_ reply: HTTPReply, action: String, source: String) throws -> AWSCredentials {
    let xml = reply.text[...]
    guard reply.status == 200, let id = XMLText.first("AccessKeyId", in: xml),
      let secret = XMLText.first("SecretAccessKey", in: xml)
    else {
      let code = XMLText.first("Code", in: xml) ?? "HTTP \(reply.status)"
      throw CredentialError("\(action) failed: \(code)")
    }
    return AWSCredentials(
      accessKeyID: id, secretAccessKey: secret, sessionToken: XMLText.first("SessionToken", in: xml),
      expiration: XMLText.first("Expiration", in: xml).flatMap(Self.epochSeconds), source: source)
  }

  // MARK: container, instance metadata, process

  /// The JSON every credential endpoint and `credential_process` answers with.
  struct CredentialDocument: Decodable {
    var accessKeyID: String
    var secretAccessKey: String
    var token: String?
    var sessionToken: String?
    var expiration: String?

    enum CodingKeys: String, CodingKey {
      case accessKeyID = "AccessKeyId"
      case secretAccessKey = "SecretAccessKey"
      case token = "Token"
      case sessionToken = "SessionToken"
      case expiration = "Expiration"
    }
  }

  static func decodeDocument(_ bytes: [UInt8], source: String) throws -> AWSCredentials {
    guard let doc = try? JSONDecoder().decode(CredentialDocument.self, from: Data(bytes)) else {
      throw CredentialError("\(source): not a credentials document")
    }
    return AWSCredentials(
      accessKeyID: doc.accessKeyID, secretAccessKey: doc.secretAccessKey, sessionToken: doc.token ?? doc.sessionToken,
      expiration: doc.expiration.flatMap(epochSeconds), source: source)
  }

  func fromContainer() async throws -> AWSCredentials? {
    let url: String
    if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
      url = "http://169.254.170.2" + relative
    } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
      url = full
    } else {
      return nil
    }
    var headers: [(String, String)] = []
    if let file = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] {
      guard let token = AWSConfigFiles.readText(file)?.trimmingBlanks() else {
        throw CredentialError("container authorization token file \(file) cannot be read")
      }
      headers.append(("Authorization", token))
    } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] {
      headers.append(("Authorization", token))
    }
    let reply = try await transport.send("GET", url, headers: headers, timeoutSeconds: 5)
    guard reply.status == 200 else { throw CredentialError("container credentials endpoint: HTTP \(reply.status)") }
    return try Self.decodeDocument(reply.body, source: "container credentials")
  }

  func fromIMDS() async throws -> AWSCredentials? {
    let base = (environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254").trimmingSuffix("/")
    // Version 2: a session token first; a host without the service answers nothing (1 s).
    guard
      let tokenReply = try? await transport.send(
        "PUT", base + "/latest/api/token", headers: [("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
        timeoutSeconds: 1),
      tokenReply.status == 200
    else { return nil }
    let auth = [("x-aws-ec2-metadata-token", tokenReply.text)]
    let path = base + "/latest/meta-data/iam/security-credentials/"
    let roles = try await transport.send("GET", path, headers: auth, timeoutSeconds: 2)
    guard roles.status == 200, let role = roles.text.split(separator: "\n").first.map(String.init) else {
      return nil
    }
    let reply = try await transport.send("GET", path + role, headers: auth, timeoutSeconds: 2)
    guard reply.status == 200 else { throw CredentialError("instance metadata credentials: HTTP \(reply.status)") }
    return try Self.decodeDocument(reply.body, source: "instance metadata role \(role)")
  }

  func credentialProcess(_ command: String, profile: String) throws -> AWSCredentials {
    guard let pipe = popen(command, "r") else {
      throw CredentialError("profile '\(profile)': credential_process cannot be started")
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = fread(&chunk, 1, chunk.count, pipe)
      if n <= 0 { break }
      bytes += chunk[0..<n]
    }
    let status = pclose(pipe)
    guard status == 0 else {
      throw CredentialError("profile '\(profile)': credential_process exited with status \(status >> 8)")
    }
    return try Self.decodeDocument(bytes, source: "credential_process of profile \(profile)")
  }

  static func epochSeconds(_ iso: String) -> Double? {
    let micros = Array(iso.utf8).withUnsafeBytes { TimeParser.parseISO8601($0) }
    return micros.map { Double($0) / 1e6 }
  }
}

/// Credentials for a whole run: resolved once, and again shortly before temporary ones expire,
/// so a run of many hours keeps working.
public final class CredentialProvider: Sendable {
  let chain: CredentialChain
  private let cached = Mutex<AWSCredentials?>(nil)
  /// Refresh this long before expiry (the SDKs use 5 to 15 minutes).
  static let refreshMargin = 300.0

  public init(chain: CredentialChain) { self.chain = chain }

  public func current(now: Double) async throws -> AWSCredentials {
    if let c = cached.withLock({ $0 }), (c.expiration ?? .infinity) - Self.refreshMargin > now { return c }
    let fresh = try await chain.resolve(now: now)
    cached.withLock { $0 = fresh }
    return fresh
  }

  /// Forgets the credentials, so the next request resolves them again (after an expired token).
  public func invalidate() { cached.withLock { $0 = nil } }
}

extension String {
  func trimmingSuffix(_ suffix: String) -> String {
    var s = self
    while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
    return s
  }
}
