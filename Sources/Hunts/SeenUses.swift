import Query
import Synchronization

/// Requests and events already taken, across a scan's threads. CloudTrail (and, rarely, S3)
/// delivers some records twice; a duplicate has the same table, id and time, so a use is known
/// by its time and a hash of its table and id. Dropping duplicates before anything is built
/// from them means a repeated delivery costs one set lookup, and the batch's other columns are
/// never decoded when all of its rows were seen before.
///
/// Two different uses collide only if they share the microsecond and a 64-bit hash of the id.
final class SeenUses: Sendable {
  private struct Key: HashIndexKey {
    var time: Int64
    var id: UInt64

    var spread: UInt64 { (id ^ UInt64(bitPattern: time) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x9E37_79B9_7F4A_7C15 }
  }

  private let seen = Mutex(HashIndex(placeholder: Key(time: 0, id: 0), capacity: 1 << 16))

  /// Positions (in `b`) of the rows (of all, or of those `among`) whose use was not taken
  /// before; `id` and `time` are the batch's columns holding them, `table` tells the tables apart.
  func firstSeen(_ b: RowBatch, id: Int, time: Int, table: UInt64, among: [Int]? = nil) -> [Int] {
    let rows = among ?? Array(0..<b.count)
    var keys: [Key] = []
    keys.reserveCapacity(rows.count)
    for i in rows {
      keys.append(Key(time: b.integer(i, time) ?? 0, id: RowHash.combine(b.hash(i, id), table)))
    }
    return seen.withLock { set in
      keys.indices.filter { set.position(of: keys[$0], orInsert: 0) == nil }.map { rows[$0] }
    }
  }
}
