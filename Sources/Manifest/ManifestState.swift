/// What the manifest says now: the replay of every committed segment in order.
public struct ManifestState: Sendable {
  public struct Input: Sendable {
    public var size: Int64
    public var modifiedNanos: Int64
    public var pieces: [InputPiece]
    /// The links (see `ManifestState.parts(of:)`) naming the parts that hold this input's rows
    /// (and its rejects).
    var links: [Int]

    /// The pieces cover the whole file as it was when they were read.
    public var isComplete: Bool { missingRanges().isEmpty }

    /// Byte ranges of the file not yet covered by a piece.
    public func missingRanges() -> [Range<Int64>] {
      var missing: [Range<Int64>] = []
      var at: Int64 = 0
      for r in pieces.map(\.range).sorted(by: { $0.lowerBound < $1.lowerBound }) {
        if r.lowerBound > at { missing.append(at..<r.lowerBound) }
        at = max(at, r.upperBound)
      }
      if at < size || (size == 0 && pieces.isEmpty) { missing.append(at..<max(at, size)) }
      return missing
    }

    /// The S3 ETag of an object read whole.
    public var etag: String? { pieces.count == 1 ? pieces[0].etag : nil }

    /// The hash of the whole file, when one piece covered it.
    public var contentHash: String? {
      pieces.count == 1 && pieces[0].range == 0..<size ? pieces[0].contentHash : nil
    }
  }

  public private(set) var inputs: [String: Input] = [:]
  public private(set) var parts: [String: PartRecord] = [:]
  /// Each segment's parts, once: every input the segment read may have rows in any of them. An
  /// input names the links of the segments that read it, where a set of part names per input
  /// cost inputs × parts per segment (a run of 2,550 files writing 600 parts: 1.5 M names, half
  /// of a point lookup's time spent loading the manifest).
  private var links: [Set<String>] = []
  private var linksOfPart: [String: [Int]] = [:]
  public private(set) var segments = 0
  /// Parts a commit replaced (rewritten by a retraction or compaction, or dropped), with the
  /// time of that commit (nanoseconds since the epoch): no reader should see them any more, and
  /// they are deleted once readers that listed them before have had time to finish.
  public private(set) var replaced: [String: Int64] = [:]
  /// Runs that announced themselves before writing parts.
  public private(set) var runs: Set<String> = []

  public init() {}

  /// The parts holding the rows (and rejects) of the input at `path`.
  public func parts(of path: String) -> Set<String> {
    var out = Set<String>()
    for link in inputs[path]?.links ?? [] { out.formUnion(links[link]) }
    return out
  }

  /// Replays one segment, committed at `committedAt` (nanoseconds since the epoch).
  public mutating func apply(_ segment: [ManifestEntry], committedAt: Int64 = 0) {
    segments += 1
    var touchedInputs: Set<String> = []
    var newParts: [String] = []
    for entry in segment {
      switch entry {
      case .input(let piece):
        var input =
          inputs[piece.path] ?? Input(size: piece.size, modifiedNanos: piece.modifiedNanos, pieces: [], links: [])
        if input.size != piece.size || input.modifiedNanos != piece.modifiedNanos {
          // Pieces of another version of the file are stale.
          input = Input(size: piece.size, modifiedNanos: piece.modifiedNanos, pieces: [], links: input.links)
        }
        input.pieces.removeAll { $0.range == piece.range }
        input.pieces.append(piece)
        inputs[piece.path] = input
        touchedInputs.insert(piece.path)
      case .part(let part):
        parts[part.path] = part
        newParts.append(part.path)
      case .replace(let old, let new):
        parts.removeValue(forKey: old)
        replaced[old] = committedAt
        // Whoever had rows in the old part has them in the new one.
        for link in linksOfPart.removeValue(forKey: old) ?? [] {
          links[link].remove(old)
          guard let new else { continue }
          if links[link].insert(new).inserted { linksOfPart[new, default: []].append(link) }
        }
      case .retract(let path):
        inputs.removeValue(forKey: path)
      case .begin(let run):
        runs.insert(run)
      case .touch(let path, let size, let mtime):
        inputs[path]?.size = size
        inputs[path]?.modifiedNanos = mtime
        if let pieces = inputs[path]?.pieces {
          inputs[path]?.pieces = pieces.map {
            var p = $0
            p.size = size
            p.modifiedNanos = mtime
            return p
          }
        }
      }
    }
    guard !touchedInputs.isEmpty, !newParts.isEmpty else { return }
    let link = links.count
    links.append(Set(newParts))
    for part in Set(newParts) { linksOfPart[part, default: []].append(link) }
    for path in touchedInputs { inputs[path]?.links.append(link) }
  }
}
