import LogBytes

/// Reads one record object into `CloudTrailRecord`, one pass over each object it cares about.
public enum CloudTrailRecordReader {
  public static func read(_ object: JSONValue, scanner s: JSONScanner, into r: inout CloudTrailRecord) throws(JSONError)
  {
    r.reset()
    r.source = object
    let b = s.buffer
    var timestamp = JSONValue.missing
    try s.forEachMember(of: object) { k, v throws(JSONError) in
      guard k.kind == .string, !k.escaped, k.end > k.start else { return }
      switch b[Int(k.start)] {
      case UInt8(ascii: "a"):
        if JSONStrings.equals(k, "awsRegion", in: b) {
          r.awsRegion = v
        } else if JSONStrings.equals(k, "additionalEventData", in: b) {
          r.additionalEventData = v
          try readAdditionalEventData(v, s, &r)
        }
      case UInt8(ascii: "e"):
        if JSONStrings.equals(k, "eventTime", in: b) {
          r.eventTime = v
        } else if JSONStrings.equals(k, "eventID", in: b) {
          r.eventID = v
        } else if JSONStrings.equals(k, "eventVersion", in: b) {
          r.eventVersion = v
        } else if JSONStrings.equals(k, "eventSource", in: b) {
          r.eventSource = v
        } else if JSONStrings.equals(k, "eventName", in: b) {
          r.eventName = v
        } else if JSONStrings.equals(k, "eventType", in: b) {
          r.eventType = v
        } else if JSONStrings.equals(k, "eventCategory", in: b) {
          r.eventCategory = v
        } else if JSONStrings.equals(k, "errorCode", in: b) {
          r.errorCode = v
        } else if JSONStrings.equals(k, "errorMessage", in: b) {
          r.errorMessage = v
        }
      case UInt8(ascii: "s"):
        if JSONStrings.equals(k, "sourceIPAddress", in: b) {
          r.sourceIPAddress = v
        } else if JSONStrings.equals(k, "sharedEventID", in: b) {
          r.sharedEventID = v
        }
      case UInt8(ascii: "u"):
        if JSONStrings.equals(k, "userAgent", in: b) {
          r.userAgent = v
        } else if JSONStrings.equals(k, "userIdentity", in: b) {
          try readUserIdentity(v, s, &r)
        }
      case UInt8(ascii: "r"):
        if JSONStrings.equals(k, "requestID", in: b) {
          r.requestID = v
        } else if JSONStrings.equals(k, "readOnly", in: b) {
          r.readOnly = boolean(v, b)
        } else if JSONStrings.equals(k, "recipientAccountId", in: b) {
          r.recipientAccountID = v
        } else if JSONStrings.equals(k, "requestParameters", in: b) {
          r.requestParameters = v
          try readRequestParameters(v, s, &r)
        } else if JSONStrings.equals(k, "responseElements", in: b) {
          r.responseElements = v
          try readResponseElements(v, s, &r)
        } else if JSONStrings.equals(k, "resources", in: b) {
          r.resources = v
        }
      case UInt8(ascii: "m"):
        if JSONStrings.equals(k, "managementEvent", in: b) { r.managementEvent = boolean(v, b) }
      case UInt8(ascii: "v"):
        if JSONStrings.equals(k, "vpcEndpointId", in: b) { r.vpcEndpointID = v }
      case UInt8(ascii: "t"):
        if JSONStrings.equals(k, "tlsDetails", in: b) {
          try s.forEachMember(of: v) { k2, v2 throws(JSONError) in
            if JSONStrings.equals(k2, "tlsVersion", in: b) {
              r.tlsVersion = v2
            } else if JSONStrings.equals(k2, "cipherSuite", in: b) {
              r.cipherSuite = v2
            } else if JSONStrings.equals(k2, "clientProvidedHostHeader", in: b) {
              r.clientProvidedHostHeader = v2
            }
          }
        }
      case UInt8(ascii: "@"):
        // Logstash exports (OTRF) carry the time only here.
        if JSONStrings.equals(k, "@timestamp", in: b) { timestamp = v }
      default:
        break
      }
    }
    if r.eventTime.isString {
      r.eventTimeMicros = time(r.eventTime, b)
    }
    if r.eventTimeMicros == nil && timestamp.isString {
      r.eventTime = timestamp
      r.eventTimeMicros = time(timestamp, b)
    }
  }

  /// Fills what `detail` lacked from its EventBridge envelope — `time` for `eventTime`,
  /// `region` for `awsRegion`, `account` for `recipientAccountId` — and notes each one taken.
  public static func applyEnvelope(_ envelope: JSONValue, scanner s: JSONScanner, to r: inout CloudTrailRecord) {
    guard envelope.isObject else { return }
    let b = s.buffer
    if r.eventTimeMicros == nil {
      let time = s.member("time", of: envelope)
      if time.isString, let micros = Self.time(time, b) {
        r.eventTime = time
        r.eventTimeMicros = micros
        r.envelopeFields |= EnvelopeField.time.rawValue
      }
    }
    if !r.awsRegion.isString {
      let region = s.member("region", of: envelope)
      if region.isString {
        r.awsRegion = region
        r.envelopeFields |= EnvelopeField.region.rawValue
      }
    }
    if !r.recipientAccountID.isString {
      let account = s.member("account", of: envelope)
      if account.isString {
        r.recipientAccountID = account
        r.envelopeFields |= EnvelopeField.account.rawValue
      }
    }
  }

  static func readUserIdentity(_ v: JSONValue, _ s: JSONScanner, _ r: inout CloudTrailRecord) throws(JSONError) {
    let b = s.buffer
    try s.forEachMember(of: v) { k, v throws(JSONError) in
      if JSONStrings.equals(k, "type", in: b) {
        r.identityType = v
      } else if JSONStrings.equals(k, "principalId", in: b) {
        r.principalID = v
      } else if JSONStrings.equals(k, "arn", in: b) {
        r.identityARN = v
      } else if JSONStrings.equals(k, "accountId", in: b) {
        r.identityAccountID = v
      } else if JSONStrings.equals(k, "accessKeyId", in: b) {
        r.accessKeyID = v
      } else if JSONStrings.equals(k, "userName", in: b) {
        r.userName = v
      } else if JSONStrings.equals(k, "invokedBy", in: b) {
        r.invokedBy = v
      } else if JSONStrings.equals(k, "sessionContext", in: b) {
        try s.forEachMember(of: v) { k2, v2 throws(JSONError) in
          if JSONStrings.equals(k2, "attributes", in: b) {
            try s.forEachMember(of: v2) { k3, v3 throws(JSONError) in
              if JSONStrings.equals(k3, "creationDate", in: b) {
                r.sessionCreatedMicros = time(v3, b)
              } else if JSONStrings.equals(k3, "mfaAuthenticated", in: b) {
                r.mfaAuthenticated = boolean(v3, b)
              }
            }
          } else if JSONStrings.equals(k2, "sessionIssuer", in: b) {
            try s.forEachMember(of: v2) { k3, v3 throws(JSONError) in
              if JSONStrings.equals(k3, "type", in: b) {
                r.sessionIssuerType = v3
              } else if JSONStrings.equals(k3, "arn", in: b) {
                r.sessionIssuerARN = v3
              } else if JSONStrings.equals(k3, "userName", in: b) {
                r.sessionIssuerName = v3
              }
            }
          } else if JSONStrings.equals(k2, "ec2RoleDelivery", in: b) {
            r.ec2RoleDelivery = v2
          } else if JSONStrings.equals(k2, "sourceIdentity", in: b) {
            r.sourceIdentity = v2
          }
        }
      }
    }
  }

  static func readAdditionalEventData(_ v: JSONValue, _ s: JSONScanner, _ r: inout CloudTrailRecord)
    throws(JSONError)
  {
    let b = s.buffer
    try s.forEachMember(of: v) { k, v throws(JSONError) in
      if JSONStrings.equals(k, "AuthenticationMethod", in: b) {
        r.authenticationMethod = v
      } else if JSONStrings.equals(k, "SignatureVersion", in: b) {
        r.signatureVersion = v
      } else if JSONStrings.equals(k, "bytesTransferredIn", in: b) {
        r.bytesIn = JSONStrings.integer(v, in: b)
      } else if JSONStrings.equals(k, "bytesTransferredOut", in: b) {
        r.bytesOut = JSONStrings.integer(v, in: b)
      }
    }
  }

  static func readRequestParameters(_ v: JSONValue, _ s: JSONScanner, _ r: inout CloudTrailRecord)
    throws(JSONError)
  {
    let b = s.buffer
    try s.forEachMember(of: v) { k, v throws(JSONError) in
      if JSONStrings.equals(k, "bucketName", in: b) {
        r.bucketName = v
      } else if JSONStrings.equals(k, "key", in: b) {
        r.objectKey = v
      } else if JSONStrings.equals(k, "roleArn", in: b) {
        r.roleARN = v
      } else if JSONStrings.equals(k, "roleSessionName", in: b) {
        r.roleSessionName = v
      } else if JSONStrings.equalsIgnoringCase(k, "x-amz-date", in: b) {
        r.amzDate = v
      } else if JSONStrings.equalsIgnoringCase(k, "x-amz-expires", in: b) {
        r.amzExpires = v
      } else if JSONStrings.equalsIgnoringCase(k, "x-amz-signedheaders", in: b) {
        r.amzSignedHeaders = v
      } else if JSONStrings.equalsIgnoringCase(k, "x-amz-algorithm", in: b) {
        r.amzAlgorithm = v
      } else if JSONStrings.equalsIgnoringCase(k, "x-amz-credential", in: b) {
        r.amzCredential = v
      } else if JSONStrings.equals(k, "instancesSet", in: b) {
        let items = s.member("items", of: v)
        try s.forEachElement(of: items) { item throws(JSONError) in
          let id = s.member("instanceId", of: item)
          if id.isString { r.targetInstanceIDs.append(id) }
        }
      }
    }
  }

  static func readResponseElements(_ v: JSONValue, _ s: JSONScanner, _ r: inout CloudTrailRecord)
    throws(JSONError)
  {
    let b = s.buffer
    try s.forEachMember(of: v) { k, v throws(JSONError) in
      if JSONStrings.equals(k, "credentials", in: b) {
        try s.forEachMember(of: v) { k2, v2 throws(JSONError) in
          if JSONStrings.equals(k2, "accessKeyId", in: b) {
            r.issuedAccessKeyID = v2
          } else if JSONStrings.equals(k2, "expiration", in: b) {
            r.issuedExpirationMicros = time(v2, b)
          } else if JSONStrings.equals(k2, "sessionToken", in: b) {
            r.issuedSessionToken = v2
          }
        }
      } else if JSONStrings.equals(k, "assumedRoleUser", in: b) || JSONStrings.equals(k, "federatedUser", in: b) {
        let arn = s.member("arn", of: v)
        if arn.isString { r.assumedRoleARN = arn }
      } else if JSONStrings.equals(k, "accessKey", in: b) {
        // iam:CreateAccessKey: a long-term key, no expiry.
        let id = s.member("accessKeyId", of: v)
        if id.isString { r.issuedAccessKeyID = id }
      }
    }
  }

  /// Booleans arrive as JSON booleans or as the strings "true"/"false".
  static func boolean(_ v: JSONValue, _ b: UnsafeRawBufferPointer) -> Bool? {
    switch v.kind {
    case .boolTrue: return true
    case .boolFalse: return false
    case .string:
      if JSONStrings.equalsIgnoringCase(v, "true", in: b) { return true }
      if JSONStrings.equalsIgnoringCase(v, "false", in: b) { return false }
      return nil
    default: return nil
    }
  }

  static func time(_ v: JSONValue, _ b: UnsafeRawBufferPointer) -> Int64? {
    guard v.isString, !v.escaped else { return nil }
    return TimeParser.parseAnyTime(v.bytes(in: b))
  }
}
