import Testing

@testable import Presign

/// The derivations both sources share: one answer for the same parameters, from either path.
@Suite struct PresignDerivationTests {
  @Test func keyKindsAndCredentials() {
    #expect(PresignDerivation.keyKind(ofAccessKeyID: Array("AKIAIOSFODNN7EXAMPLE".utf8)) == "AKIA")
    #expect(PresignDerivation.keyKind(ofAccessKeyID: Array("ASIAXXXXXXXXXXXXXXXX".utf8)) == "ASIA")
    #expect(PresignDerivation.keyKind(ofAccessKeyID: Array("AKI".utf8)) == "other")
    #expect(PresignDerivation.keyKind(ofAccessKeyID: [UInt8]()) == "other")
    let credential = Array("AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/s3/aws4_request".utf8)
    #expect(PresignDerivation.accessKeyIDLength(ofCredential: credential) == 20)
    #expect(PresignDerivation.accessKeyIDLength(ofCredential: Array("NOSLASH".utf8)) == 7)
  }

  @Test func timingOfSigV4AndSigV2() {
    let signed: Int64 = 1_709_251_200_000_000  // 2024-03-01T00:00:00Z
    let v4 = PresignDerivation.timing(usedAt: signed + 7_200_000_000, signedAt: signed, expiresSeconds: 3600)
    #expect(v4 == .init(expiresAt: signed + 3_600_000_000, urlAgeSeconds: 7200, usedAfterExpiry: true))
    let inTime = PresignDerivation.timing(usedAt: signed + 60_000_000, signedAt: signed, expiresSeconds: 3600)
    #expect(inTime.usedAfterExpiry == false && inTime.urlAgeSeconds == 60)
    let v2 = PresignDerivation.timing(usedAt: signed, signedAt: nil, expiresSeconds: nil, expiresAt: signed + 1)
    #expect(v2 == .init(expiresAt: signed + 1, urlAgeSeconds: nil, usedAfterExpiry: false))
    #expect(PresignDerivation.timing(usedAt: signed, signedAt: nil, expiresSeconds: 60) == .init())
  }
}
