import Testing

@testable import Pipeline

@Suite struct WorkPlanTests {
  static func file(_ i: Int, cost: Int64) -> WorkPlan.Entry {
    WorkPlan.Entry(item: IndexJob.Item(file: i, range: nil), cost: cost, isShare: false)
  }

  static func share(_ i: Int, _ range: Range<Int64>) -> WorkPlan.Entry {
    WorkPlan.Entry(item: IndexJob.Item(file: i, range: range), cost: range.upperBound - range.lowerBound, isShare: true)
  }

  static func files(_ plan: WorkPlan) -> [[Int]] { plan.units.map { $0.map(\.file) } }

  @Test func smallFilesGroupUpToAThirtySecondOfEachWorkersShare() {
    // 64 files of 1 MiB for 2 threads: 64 MiB / 64 = 1 MiB, so every file is a unit; with
    // 256 of them the target is 4 MiB, four files a unit.
    let mib: Int64 = 1 << 20
    let few = WorkPlan((0..<64).map { Self.file($0, cost: mib) }, threads: 2, unitBytes: 16 * mib)
    #expect(few.units.count == 64)
    let many = WorkPlan((0..<256).map { Self.file($0, cost: mib) }, threads: 2, unitBytes: 16 * mib)
    #expect(many.units.count == 64)
    #expect(Self.files(many).first == [0, 1, 2, 3])
    // Never above unitBytes, and never more files than a unit may hold.
    let huge = WorkPlan((0..<4096).map { Self.file($0, cost: mib) }, threads: 2, unitBytes: 16 * mib)
    #expect(huge.units.allSatisfy { $0.count == 16 })
    let tiny = WorkPlan(
      (0..<10).map { Self.file($0, cost: 10) }, threads: 2, unitBytes: 16 * mib, maxFilesPerUnit: 4)
    #expect(Self.files(tiny) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
  }

  @Test func unitsKeepTheOrderOfTheInputs() {
    let mib: Int64 = 1 << 20
    let plan = WorkPlan(
      [
        Self.file(0, cost: mib / 2), Self.share(1, 0..<(8 * mib)), Self.share(1, (8 * mib)..<(11 * mib)),
        Self.file(2, cost: 20 * mib), Self.file(3, cost: mib / 2), Self.share(4, 0..<(8 * mib)),
      ], threads: 1, unitBytes: 16 * mib)
    // Target 40 MiB / 32 = 1.25 MiB: a share closes the group before it and stands alone, so
    // file 0 goes out before file 1's shares, and file 3 before file 4's.
    #expect(Self.files(plan) == [[0], [1], [1], [2], [3], [4]])
    #expect(plan.units[1][0].range == 0..<(8 * mib))
    #expect(plan.units[2][0].range == (8 * mib)..<(11 * mib))
  }

  @Test func compressedFilesCostWhatTheyExpandTo() {
    #expect(WorkPlan.cost(storedBytes: 100, path: "/a/b.json.gz") == 500)
    #expect(WorkPlan.cost(storedBytes: 100, path: "/a/b.zst") == 500)
    #expect(WorkPlan.cost(storedBytes: 100, path: "/a/2023-11-16-04-27-09-4F21EE27674F1B6F") == 100)
  }
}
