import Query
import ShardSchema

/// The canned hunts. Each reads only what it needs (presigned rows, credential lineage,
/// instance stops) and joins in memory; every use is counted once however often it was delivered.
public enum Hunts {
  // MARK: 1. presigned

  /// Every presigned URL with its signer, validity, first and last use, and who used it how.
  public static func presigned(_ data: inout HuntData) throws -> HuntResult {
    HuntResult(header: urlHeader, rows: try data.presignedSummary().rows(minimumIPs: 0, minimumAgents: 0))
  }

  static let urlHeader = [
    "url_id", "signer_akid", "key_kind", "principal", "signed_at", "expires_at", "first_use", "last_use", "uses",
    "distinct_ips", "distinct_user_agents", "objects", "bytes", "operations", "sources", "signature_sha256",
  ]

  // MARK: 2. outside

  /// Presigned uses from outside the allowed networks (a non-address source, such as an AWS
  /// service name, counts as outside).
  public static func outside(_ data: inout HuntData, allow: [CIDR]) throws -> HuntResult {
    let rows = try data.presignedUses(
      accessFilter: .not(.within(ColumnName.remoteIP, allow)), trailFilter: .not(.within(ColumnName.sourceIP, allow)),
      only: HuntData.useRowColumns, HuntResult.useRow)
    return HuntResult(header: HuntResult.useHeader, rows: rows)
  }

  // MARK: 3. after-termination

  /// Presigned uses after the signing instance was stopped or terminated: the signing key is
  /// joined to the instance-profile session CloudTrail saw issue it, and that instance's end.
  /// The manual form takes the instance and the time, and matches uses whose principal is that
  /// instance's role session (`.../i-…`) or whose key CloudTrail saw issued to it.
  public static func afterTermination(
    _ data: inout HuntData, instance: String? = nil, at: Int64? = nil
  ) throws -> HuntResult {
    var ends: [String: InstanceEnd] = [:]
    if let instance, let at {
      ends[instance] = InstanceEnd(instanceID: instance, time: at, eventName: "given")
    } else {
      for e in try data.instanceEnds() where ends[e.instanceID] == nil { ends[e.instanceID] = e }
    }
    // Only the sessions of instances that ended matter.
    let issued = ends.isEmpty ? [] : try data.issuedKeys(.isIn(ColumnName.instanceID, ends.keys.sorted()))
    var keyInstance: [String: String] = [:]
    var keyEnd: [UInt64: Int64] = [:]
    for k in issued where !k.instanceID.isEmpty {
      guard let end = ends[k.instanceID] else { continue }
      keyInstance[k.akid] = k.instanceID
      let hash = RowHash.text(k.akid)
      keyEnd[hash] = min(keyEnd[hash] ?? .max, end.time)
    }
    // Only the signing keys of instances that ended (and the instance's session, in the manual
    // form) are read: the bloom filters on the key columns skip the rest.
    let keys = keyInstance.keys.sorted()
    var accessFilter: [Predicate] = keys.isEmpty ? [] : [.isIn(ColumnName.credentialAKID, keys)]
    var trailFilter = accessFilter
    if let instance {
      accessFilter.append(.endsWith(ColumnName.requester, "/" + instance))
      trailFilter.append(.endsWith(ColumnName.identityARN, "/" + instance))
    }
    // A use before its instance's end is dropped on its time and key alone, before the rest of
    // its row is decoded; the transform below decides exactly.
    let manualEnd = instance == nil ? nil : at
    let (owners, endOf, endByKey) = (keyInstance, ends, keyEnd)
    let keep: @Sendable (UseProbe) -> Bool = { probe in
      if let manualEnd { return probe.time > manualEnd }
      guard let hash = probe.akidHash, let end = endByKey[hash] else { return true }
      return probe.time > end
    }
    let rows =
      accessFilter.isEmpty
      ? []
      : try data.presignedUses(
        accessFilter: .or(accessFilter), trailFilter: .or(trailFilter), only: HuntData.useRowColumns,
        keep: keep
      ) { (u: PresignedUse) -> [Value]? in
        var owner = owners[u.akid]
        if owner == nil, let instance, u.principal.hasSuffix("/" + instance) { owner = instance }
        guard let id = owner, let end = endOf[id], u.time > end.time else { return nil }
        return HuntResult.useRow(u) + [
          .string(id), .string(end.eventName), .timestamp(end.time), .int((u.time - end.time) / 1_000_000),
        ]
      }
    var notes: [String] = []
    if instance == nil && ends.isEmpty {
      notes.append(
        "no StopInstances or TerminateInstances events in the CloudTrail shards; give --instance and --at instead")
    }
    return HuntResult(
      header: HuntResult.useHeader + ["instance_id", "ended_by", "ended_at", "seconds_after_end"], rows: rows,
      notes: notes)
  }

  // MARK: 4. after-revocation

  /// For every revocation CloudTrail recorded, the uses after it by sessions issued before it
  /// (as `afterRevocation`), each row led by the revocation it belongs to.
  public static func afterRevocations(_ data: inout HuntData) throws -> HuntResult {
    let found = try data.revocations()
    var rows: [[Value]] = []
    var notes: [String] = []
    var header = ["revoked_principal", "revoke_before"]
    for revocation in found {
      let result = try afterRevocation(
        &data, role: revocation.principal, at: revocation.time, issuedBefore: revocation.before)
      rows += result.rows.map { [.string(revocation.principal), .timestamp(revocation.before)] + $0 }
      notes += result.notes
      header = ["revoked_principal", "revoke_before"] + result.header
    }
    if found.isEmpty {
      notes.append(
        "no revocation in the CloudTrail shards (a PutRolePolicy or PutUserPolicy denying on aws:TokenIssueTime); "
          + "give --role and --at instead")
      header += ["outcome"] + HuntResult.useHeader + ["session_issued_at"]
    }
    return HuntResult(header: header, rows: rows, notes: notes)
  }

  /// Each revocation CloudTrail recorded, and whether it worked: the uses after it by sessions
  /// issued before it, denied (it worked) or succeeded (it did not: another principal, a long-term
  /// key, a URL signed before it with credentials it does not cover, eventual consistency).
  public static func revocations(_ data: inout HuntData) throws -> HuntResult {
    var rows: [[Value]] = []
    for revocation in try data.revocations() {
      let uses = try afterRevocation(
        &data, role: revocation.principal, at: revocation.time, issuedBefore: revocation.before
      ).rows
      let succeeded = uses.filter { $0[0] == .string("succeeded") }
      let denied = uses.count - succeeded.count
      let signers = Set(uses.map { $0[HuntResult.useHeader.firstIndex(of: "signer_akid")! + 1] }).count
      rows.append([
        .timestamp(revocation.time), .string(revocation.principal), .timestamp(revocation.before),
        HuntResult.text(revocation.by), .int(Int64(denied)), .int(Int64(succeeded.count)), .int(Int64(signers)),
        succeeded.map { $0[1] }.max() ?? .null,
        .string(
          uses.isEmpty
            ? "no use after it" : succeeded.isEmpty ? "worked: every later use denied" : "did not stop every use"),
      ])
    }
    return HuntResult(
      header: [
        "revoked_at", "revoked_principal", "revoke_before", "revoked_by", "denied", "succeeded", "signers",
        "last_succeeded", "verdict",
      ], rows: rows,
      notes: rows.isEmpty
        ? ["no revocation in the CloudTrail shards (a PutRolePolicy or PutUserPolicy denying on aws:TokenIssueTime)"]
        : [])
  }

  /// Uses at or after a revocation time by sessions of `role` issued before it (the
  /// `aws:TokenIssueTime` test a revocation policy applies), split into succeeded and denied.
  /// `issuedBefore` is the policy's time when it differs from when the policy was put.
  public static func afterRevocation(_ data: inout HuntData, role: String, at: Int64, issuedBefore: Int64? = nil)
    throws -> HuntResult
  {
    let cutoff = issuedBefore ?? at
    let issued = try data.issuedKeys()
    var issueTime: [String: IssuedKey] = [:]
    for k in issued where k.roleARN == role { issueTime[k.akid] = k }
    let (isUser, sessionPrefix) = sessionPrincipal(role)
    let isSession = sessionMatcher(role)
    func byPrincipal(_ column: String) -> Predicate {
      isUser ? .compare(column, .eq, role) : .startsWith(column, sessionPrefix)
    }
    let keys = issueTime.keys.sorted()
    let uses = try data.presignedUses(
      accessFilter: .and([
        .compare(ColumnName.requestTime, .ge, Value.iso8601(at)),
        .or([.isIn(ColumnName.credentialAKID, keys.isEmpty ? [""] : keys), byPrincipal(ColumnName.requester)]),
      ]),
      trailFilter: .and([
        .compare(ColumnName.eventTime, .ge, Value.iso8601(at)),
        .or([.isIn(ColumnName.credentialAKID, keys.isEmpty ? [""] : keys), byPrincipal(ColumnName.identityARN)]),
      ]), only: HuntData.useRowColumns)
    var rows: [[Value]] = []
    var unknown = 0
    for u in uses
    where issueTime[u.akid] != nil || isSession(u.principal) {
      let key = issueTime[u.akid]
      if let key, key.issuedAt >= cutoff { continue }
      if key == nil { unknown += 1 }
      rows.append(
        [.string(u.succeeded ? "succeeded" : "denied")] + HuntResult.useRow(u) + [
          key.map { .timestamp($0.issuedAt) } ?? .null
        ])
    }
    rows.sort { ($0[0], $0[1]) < ($1[0], $1[1]) }
    var notes: [String] = []
    if unknown > 0 {
      notes.append(
        "\(unknown) uses are by sessions of the role whose issue CloudTrail did not show; they are listed as issued before"
      )
    }
    return HuntResult(header: ["outcome"] + HuntResult.useHeader + ["session_issued_at"], rows: rows, notes: notes)
  }

  /// How `role`'s sessions sign: a role's as `…:assumed-role/NAME/SESSION` (the prefix given),
  /// a user as its own ARN.
  static func sessionPrincipal(_ role: String) -> (isUser: Bool, prefix: String) {
    let roleName = role.split(separator: "/").last.map(String.init) ?? role
    let account = role.split(separator: ":").dropFirst(4).first.map(String.init) ?? ""
    let isUser = role.contains(":user/")
    return (isUser, isUser ? role : "arn:aws:sts::\(account):assumed-role/\(roleName)/")
  }

  /// Whether a principal is a session of `role` (see `sessionPrincipal`).
  static func sessionMatcher(_ role: String) -> (String) -> Bool {
    let (isUser, prefix) = sessionPrincipal(role)
    return { isUser ? $0 == role : $0.hasPrefix(prefix) }
  }

  // MARK: 5. long-lived

  /// URLs whose effective validity exceeds `over` (microseconds): X-Amz-Expires, capped by how
  /// long the signing credential lives (its expiration when CloudTrail saw it issued, else the
  /// longest its kind allows); SigV2 URLs by their absolute Expires.
  public static func longLived(_ data: inout HuntData, over: Int64) throws -> HuntResult {
    // Effective validity never exceeds X-Amz-Expires: only longer URLs, and SigV2 ones, are read.
    let seconds = String(over / 1_000_000)
    let candidates = try data.presignedUses(
      accessFilter: .or([
        .compare(ColumnName.expiresSeconds, .gt, seconds), .compare(ColumnName.presignVersion, .eq, "SigV2"),
      ]),
      trailFilter: .or([
        .compare(ColumnName.expiresSeconds, .gt, seconds), .compare(ColumnName.presignVersion, .eq, "SigV2"),
      ]),
      // What a URL's identity and validity need: addresses, agents and the like stay undecoded.
      only: [
        ColumnName.credentialAKID, ColumnName.keyKind, ColumnName.presignVersion, ColumnName.signedAt,
        ColumnName.expiresSeconds, ColumnName.expiresAt, ColumnName.bucket, ColumnName.key, ColumnName.objectKey,
      ])
    // Each URL's first use (uses come in time order) and last, by hash: no id string per use.
    var first: [UInt64: Int] = [:]
    var lastUse: [UInt64: Int64] = [:]
    for (k, u) in candidates.enumerated() {
      if first[u.urlHash] == nil { first[u.urlHash] = k }
      lastUse[u.urlHash] = u.time
    }
    // The sessions of the signers found only.
    let signers = Set(first.values.map { candidates[$0].akid })
    var keys: [String: IssuedKey] = [:]
    for k in try data.issuedKeys() where signers.contains(k.akid) { keys[k.akid] = k }
    var found: [(validity: Int64, url: UInt64, row: [Value])] = []
    for (url, k) in first {
      let u = candidates[k]
      guard
        let (validity, basis) = effectiveValidity(
          version: u.version, issued: keys[u.akid], keyKind: u.keyKind, signedAt: u.signedAt,
          expiresSeconds: u.expiresSeconds, expiresAt: u.expiresAt, firstUse: u.time),
        validity > over
      else { continue }
      found.append(
        (
          validity / 1_000_000, url,
          [
            .string(u.urlID), HuntResult.text(u.akid), HuntResult.text(u.keyKind), HuntResult.text(u.version),
            u.signedAt.map(Value.timestamp) ?? .null, u.expiresSeconds.map(Value.int) ?? .null,
            u.expiresAt.map(Value.timestamp) ?? .null, .int(validity / 1_000_000), .string(basis), .string(u.object),
            .timestamp(lastUse[url]!),
          ]
        ))
    }
    // Longest first; the hash orders as the URL id does.
    found.sort { ($0.validity, $0.url) > ($1.validity, $1.url) }
    return HuntResult(
      header: [
        "url_id", "signer_akid", "key_kind", "version", "signed_at", "expires_seconds", "expires_at",
        "effective_validity_seconds", "basis", "object", "last_use",
      ], rows: found.map(\.row))
  }

  /// How long a URL works (microseconds) and what bounds it: X-Amz-Expires, capped by how long
  /// the signing credential lives (its expiration when CloudTrail saw it issued, else the longest
  /// its kind allows); SigV2 by its absolute Expires, counted from the first use. Nil when the
  /// URL lacks what that needs. `issued` is the signing key's issue, if CloudTrail saw it.
  static func effectiveValidity(
    version: String, issued: IssuedKey?, keyKind: String, signedAt: Int64?, expiresSeconds: Int64?,
    expiresAt: Int64?, firstUse: Int64
  ) -> (Int64, String)? {
    if version == "SigV2" {
      guard let expiresAt else { return nil }
      return (expiresAt - firstUse, "SigV2 Expires, counted from first use")
    }
    guard let signed = signedAt, let seconds = expiresSeconds else { return nil }
    var validity = seconds * 1_000_000
    var basis = "X-Amz-Expires"
    if let key = issued, let credentialEnd = key.expiresAt {
      if credentialEnd - signed < validity {
        validity = max(0, credentialEnd - signed)
        basis = "credential expiration (\(key.eventName))"
      }
    } else if keyKind == "ASIA" {
      // Unknown session: the longest any temporary credential lives (36 h, GetSessionToken).
      let cap: Int64 = 36 * 3_600_000_000
      if cap < validity {
        validity = cap
        basis = "temporary credential, session unknown (36 h at most)"
      }
    }
    return (validity, basis)
  }

  // MARK: 6. writes

  /// PUT, POST and DELETE requests made through presigned URLs.
  public static func writes(_ data: inout HuntData) throws -> HuntResult {
    let rows = try data.presignedUses(
      accessFilter: .isIn(ColumnName.httpMethod, writeMethods.sorted()),
      trailFilter: .or([
        .startsWith(ColumnName.eventName, "Put"), .startsWith(ColumnName.eventName, "Delete"),
        .isIn(ColumnName.eventName, writeEventNames),
      ]), only: HuntData.useRowColumns.union([ColumnName.httpMethod])
    ) { writeMethods.contains($0.method.uppercased()) ? HuntResult.useRow($0) : nil }
    return HuntResult(header: HuntResult.useHeader, rows: rows)
  }

  /// The HTTP methods that write.
  static let writeMethods: Set<String> = ["PUT", "POST", "DELETE"]
  /// The data events that write, besides `Put…` and `Delete…` (CloudTrail logs no HTTP method).
  static let writeEventNames = [
    "PostObject", "CopyObject", "UploadPart", "UploadPartCopy", "CreateMultipartUpload", "CompleteMultipartUpload",
    "RestoreObject",
  ]

  static func isWriteEvent(_ name: String) -> Bool {
    name.hasPrefix("Put") || name.hasPrefix("Delete") || writeEventNames.contains(name)
  }

  // MARK: 7. spread

  /// URLs used from at least `minimumIPs` addresses (or `minimumAgents` user agents).
  ///
  /// Two passes: the first hashes each use's URL, address and agent from the stored bytes (no
  /// strings) to find the URLs that qualify; the second reads those URLs' signing keys in full.
  public static func spread(_ data: inout HuntData, minimumIPs: Int, minimumAgents: Int) throws -> HuntResult {
    let akids = try data.spreadCandidates(minimumIPs: minimumIPs, minimumAgents: minimumAgents)
    guard !akids.isEmpty else { return HuntResult(header: urlHeader, rows: []) }
    let filter = Predicate.isIn(ColumnName.credentialAKID, akids)
    let summary = try data.presignedSummary(accessFilter: filter, trailFilter: filter)
    return HuntResult(header: urlHeader, rows: summary.rows(minimumIPs: minimumIPs, minimumAgents: minimumAgents))
  }

  // MARK: 8. denied

  /// Bursts of denied presigned requests per address and signer (requests less than `gap`
  /// apart), with the browser's `favicon.ico` side request told apart: opening a presigned URL
  /// in a browser makes it ask the same host for /favicon.ico, unsigned, which S3 denies.
  public static func denied(_ data: inout HuntData, gap: Int64 = 300_000_000) throws -> HuntResult {
    let uses = try data.presignedUses(
      accessFilter: .compare(ColumnName.httpStatus, .eq, "403"), trailFilter: .not(.isNull(ColumnName.errorCode)),
      alsoAccess: deniedFavicon,
      only: [
        ColumnName.remoteIP, ColumnName.sourceIP, ColumnName.credentialAKID, ColumnName.bucket, ColumnName.key,
        ColumnName.objectKey, ColumnName.httpStatus, ColumnName.errorCode, ColumnName.userAgent,
        ColumnName.presignVersion,
      ]
    ) { $0.denied ? $0 : nil }
    return bursts(uses, gap: gap)
  }

  /// The unsigned `favicon.ico` requests S3 denied, which the `denied` hunt tells apart.
  static let deniedFavicon = Predicate.and([
    .endsWith(ColumnName.key, "favicon.ico"), .compare(ColumnName.httpStatus, .eq, "403"),
  ])

  /// Denied uses (in time order) grouped into bursts per address and signer, as `denied` lists them.
  static func bursts(_ uses: [PresignedUse], gap: Int64) -> HuntResult {
    bursts(uses, groups: burstGroups(uses, gap: gap))
  }

  static func isFavicon(_ u: PresignedUse) -> Bool { u.version.isEmpty && u.key.hasSuffix("favicon.ico") }

  /// Each burst's uses, as positions in `uses` (a use is a dozen strings, not worth copying
  /// around), in the order `denied` lists them.
  static func burstGroups(_ uses: [PresignedUse], gap: Int64) -> [[Int]] {
    struct Source: Hashable {
      var ip: String
      var akid: String?
    }
    var bursts: [[Int]] = []
    var open: [Source: Int] = [:]
    for (k, u) in uses.enumerated() {
      let source = Source(ip: u.ip, akid: isFavicon(u) ? nil : u.akid)
      if let i = open[source], u.time - uses[bursts[i].last!].time <= gap {
        bursts[i].append(k)
      } else {
        open[source] = bursts.count
        bursts.append([k])
      }
    }
    return bursts
  }

  /// The `denied` hunt's rows of the bursts `groups` of `uses`.
  static func bursts(_ uses: [PresignedUse], groups: [[Int]]) -> HuntResult {
    HuntResult(header: burstHeader, rows: groups.map { burstRow(uses, $0) })
  }

  static let burstHeader = [
    "kind", "first", "last", "requests", "remote_ip", "signer_akid", "error_codes", "objects", "user_agent",
  ]

  /// The `denied` hunt's row of the burst `b` (positions in `uses`).
  static func burstRow(_ uses: [PresignedUse], _ b: [Int]) -> [Value] {
    let first = uses[b[0]]
    let favicon = b.allSatisfy { isFavicon(uses[$0]) }
    // Most bursts are one request: its fields as they are, no sets to build.
    let errors = b.count == 1 ? first.errorCode : Set(b.map { uses[$0].errorCode }).sorted().joined(separator: " ")
    let objects =
      b.count == 1 ? first.object : Set(b.map { uses[$0].object }).sorted().prefix(5).joined(separator: " ")
    let agent = b.count == 1 ? first.userAgent : Set(b.map { uses[$0].userAgent }).min() ?? ""
    return [
      .string(favicon ? "browser favicon.ico side request" : "denied presigned requests"),
      .timestamp(first.time), .timestamp(uses[b.last!].time), .int(Int64(b.count)), HuntResult.text(first.ip),
      HuntResult.text(favicon ? "" : first.akid), .string(errors), .string(objects), HuntResult.text(agent),
    ]
  }

  // MARK: 9. revoke-policy

  /// The deny policy AWS attaches to revoke a role's sessions ("Revoke active sessions"), with
  /// `aws:TokenIssueTime` before `before`, and the sessions the evidence shows it would cut off.
  public static func revokePolicy(_ data: inout HuntData, role: String, before: Int64) throws -> (
    policy: String, evidence: HuntResult
  ) {
    let issued = try data.issuedKeys().filter { $0.roleARN == role }
    let uses = try data.presignedUses()
    var rows: [[Value]] = []
    for k in issued {
      let mine = uses.filter { $0.akid == k.akid }
      rows.append([
        .string(k.akid), .timestamp(k.issuedAt), k.expiresAt.map(Value.timestamp) ?? .null,
        HuntResult.text(k.instanceID), .int(Int64(mine.count)), mine.last.map { .timestamp($0.time) } ?? .null,
        .string(k.issuedAt < before ? "revoked" : "kept (issued after the cut-off)"),
      ])
    }
    let policy = revokePolicyDocument(before: before)
    return (
      policy,
      HuntResult(
        header: ["session_akid", "issued_at", "expires_at", "instance_id", "presigned_uses", "last_use", "effect"],
        rows: rows)
    )
  }

  /// The deny policy of AWS's "Revoke active sessions": every session issued before `before`
  /// loses every permission.
  public static func revokePolicyDocument(before: Int64) -> String {
    """
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Sid": "RevokeSessionsIssuedBefore\(Value.iso8601(before).filter { $0.isNumber })",
          "Effect": "Deny",
          "Action": ["*"],
          "Resource": ["*"],
          "Condition": {
            "DateLessThan": {"aws:TokenIssueTime": "\(Value.iso8601(before))"}
          }
        }
      ]
    }
    """
  }
}
