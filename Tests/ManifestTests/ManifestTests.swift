import Foundation
import Testing

@testable import Manifest

@Suite struct ManifestTests {
  static func piece(_ path: String, _ range: Range<Int64>, size: Int64 = 100, mtime: Int64 = 7) -> InputPiece {
    InputPiece(
      path: path, size: size, modifiedNanos: mtime, range: range, contentHash: "sha256:ab", status: "indexed",
      lines: 3, rows: 2, rejected: 1)
  }

  @Test func entriesRoundTripWithAwkwardPaths() throws {
    let weird = "logs/a\tb\nc\\d\r\n-é.gz"
    let entries: [ManifestEntry] = [
      .input(Self.piece(weird, 0..<100)),
      .input(
        InputPiece(
          path: "-", size: 0, modifiedNanos: 1, range: 0..<0, contentHash: nil, status: "skipped", note: "not a log")),
      .part(
        PartRecord(
          table: "s3_access", partition: "dt=2024-01-01", path: "s3_access/dt=2024-01-01/p.parquet", rows: 5, bytes: 900
        )),
      .replace(old: "a.parquet", new: nil), .replace(old: "b.parquet", new: "c.parquet"), .retract(path: weird),
      .touch(path: weird, size: 9, modifiedNanos: 10), .begin(run: "20260101T000000Z-42-s1of3"),
    ]
    let text = ManifestFormat.encode(entries)
    #expect(text.split(separator: "\n").count == entries.count + 2)
    #expect(try ManifestFormat.decode(text, name: "t") == entries)
    #expect(throws: ManifestError.self) { _ = try ManifestFormat.decode("garbage\n", name: "t") }
    #expect(throws: ManifestError.self) {
      _ = try ManifestFormat.decode(ManifestFormat.header + "\ninput\tx\n", name: "t")
    }
  }

  /// A segment cut at any line boundary, or with a byte changed, is refused by name rather than
  /// read as the commit it no longer is; a segment of the first version (no end line) is read.
  @Test func segmentsCutShortOrAlteredAreRefused() throws {
    let entries = (0..<5).map {
      ManifestEntry.part(
        PartRecord(table: "t", partition: "dt=x", path: "t/dt=x/p\($0).parquet", rows: Int64($0), bytes: 1))
    }
    let text = ManifestFormat.encode(entries)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for keep in 1..<(lines.count - 1) {
      let cut = lines.prefix(keep).joined(separator: "\n") + "\n"
      #expect(throws: ManifestError.self, "\(keep) lines") { _ = try ManifestFormat.decode(cut, name: "t") }
    }
    let altered = text.replacingOccurrences(of: "\t3\t", with: "\t4\t")
    #expect(altered != text)
    #expect(throws: ManifestError.self) { _ = try ManifestFormat.decode(altered, name: "t") }
    let firstVersion = "sigtrail-manifest 1\n" + lines.dropFirst().dropLast(2).joined(separator: "\n") + "\n"
    #expect(try ManifestFormat.decode(firstVersion, name: "t") == entries)
  }

  /// Every part path a segment names stays inside the output directory.
  @Test func partPathsOutsideTheOutputAreRefused() {
    for bad in ["../../elsewhere/x.parquet", "/etc/passwd", "t/../../x.parquet", "t//x.parquet", "./x", ""] {
      let segment = ManifestFormat.encode([
        .part(PartRecord(table: "t", partition: "dt=x", path: bad, rows: 1, bytes: 1))
      ])
      #expect(throws: ManifestError.self, "\(bad)") { _ = try ManifestFormat.decode(segment, name: "t") }
      let replace = ManifestFormat.encode([.replace(old: "t/dt=x/a.parquet", new: bad)])
      #expect(throws: ManifestError.self, "\(bad)") { _ = try ManifestFormat.decode(replace, name: "t") }
    }
    #expect(ManifestFormat.isInsideOutput("s3_access/dt=2024-01-01/part-1.parquet"))
  }

  @Test func replayTracksPiecesPartsRewritesAndRetractions() {
    var s = ManifestState()
    let part = { (p: String) in
      ManifestEntry.part(PartRecord(table: "t", partition: "dt=x", path: p, rows: 1, bytes: 1))
    }
    s.apply([.input(Self.piece("a", 0..<40)), .input(Self.piece("b", 0..<100)), part("p1"), part("p2")])
    #expect(s.inputs["a"]?.missingRanges() == [40..<100])
    #expect(s.inputs["b"]?.isComplete == true)
    #expect(s.parts(of: "a") == ["p1", "p2"])
    s.apply([.input(Self.piece("a", 40..<100)), part("p3")])
    #expect(s.inputs["a"]?.isComplete == true)
    #expect(s.parts(of: "a") == ["p1", "p2", "p3"])
    #expect(s.parts(of: "b") == ["p1", "p2"])
    // Compaction of p1 and p2 into p4; p3 emptied by a retraction of "a".
    s.apply([.replace(old: "p1", new: "p4"), .replace(old: "p2", new: "p4"), part("p4")])
    #expect(s.parts(of: "b") == ["p4"])
    #expect(Set(s.parts.keys) == ["p3", "p4"])
    s.apply([.replace(old: "p3", new: nil), .retract(path: "a")], committedAt: 42)
    #expect(s.inputs["a"] == nil)
    #expect(Set(s.parts.keys) == ["p4"])
    // Each replaced part with the time of the commit that replaced it, for `--retain`.
    #expect(s.replaced == ["p1": 0, "p2": 0, "p3": 42])
    #expect(ManifestStore.commitTime(ofSegment: "01764842061123456789-run-compact-1.tsv") == 1_764_842_061_123_456_789)
    // A new version of a file starts over.
    s.apply([.input(Self.piece("b", 0..<50, size: 200, mtime: 9))])
    #expect(s.inputs["b"]?.pieces.count == 1)
    #expect(s.inputs["b"]?.missingRanges() == [50..<200])
    s.apply([.touch(path: "b", size: 200, modifiedNanos: 11)])
    #expect(s.inputs["b"]?.modifiedNanos == 11)
  }

  @Test func commitsAreAtomicFilesReplayedInOrder() throws {
    let dir = NSTemporaryDirectory() + "sigtrail-manifest-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let store = ManifestStore(outputDirectory: dir)
    #expect(try store.load().inputs.isEmpty)
    try store.commit([.input(Self.piece("a", 0..<100))], tag: "run1-w0-1")
    try store.commit([.retract(path: "a")], tag: "run1-w0-2")
    try store.commit([.input(Self.piece("c", 0..<100))], tag: "run1-w1-1")
    FileManager.default.createFile(atPath: store.directory + "/.leftover.tsv.tmp", contents: Data("x".utf8))
    let state = try store.load()
    #expect(state.segments == 3)
    #expect(state.inputs.keys.sorted() == ["c"])
    store.removeTemporaries()
    #expect(!FileManager.default.fileExists(atPath: store.directory + "/.leftover.tsv.tmp"))
  }

  @Test func contentHashIsSHA256OfTheBytes() throws {
    let path = NSTemporaryDirectory() + "sigtrail-hash-\(getpid())"
    defer { unlink(path) }
    FileManager.default.createFile(atPath: path, contents: Data("abc".utf8))
    #expect(
      ContentHasher.hash(path: path, range: 0..<3)
        == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(ContentHasher.hash(path: path, range: 0..<4) == nil)
  }
}
