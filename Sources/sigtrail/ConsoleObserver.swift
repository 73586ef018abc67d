import Foundation
import Pipeline
import Synchronization

/// Reports an indexing run on standard error: rejections and file notes as they happen (up to a
/// limit for rejections), and a progress line on a terminal, redrawn at most five times a second.
final class ConsoleObserver: IndexObserver {
  private let showRejections: Int
  private let showProgress: Bool
  private let state = Mutex(State())

  private let started = DispatchTime.now().uptimeNanoseconds

  private struct State {
    var listed = 0
    var lastDraw: UInt64 = 0
    var drawn = false
  }

  init(showRejections: Int, showProgress: Bool) {
    self.showRejections = showRejections
    self.showProgress = showProgress
  }

  var listed: Int { state.withLock { $0.listed } }

  func rejected(_ r: Rejection) {
    let show = state.withLock { s in
      guard showRejections < 0 || s.listed < showRejections else { return false }
      s.listed += 1
      return true
    }
    if show { write("\(r.path):\(r.offset): rejected: \(r.reason): \(r.explanation)\n") }
  }

  func fileNote(_ note: IndexSummary.FileNote, skipped: Bool) {
    let location = note.offset.map { "\(note.path):\($0)" } ?? note.path
    write("\(location): \(skipped ? "skipped" : "problem"): \(note.reason)\n")
  }

  func progress(_ p: IndexProgress) {
    guard showProgress else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    let draw = state.withLock { s in
      guard now - s.lastDraw > 200_000_000 || p.filesDone == p.filesTotal else { return false }
      s.lastDraw = now
      s.drawn = true
      return true
    }
    guard draw else { return }
    let mb = Double(p.contentBytes) / 1_048_576
    let seconds = max(0.001, Double(now - started) / 1e9)
    var eta = ""
    if p.storedBytes > 0 && p.storedBytesTotal > p.storedBytes {
      let left = Double(p.storedBytesTotal - p.storedBytes) / (Double(p.storedBytes) / seconds)
      eta = left >= 60 ? ", ETA \(Int(left) / 60) min \(Int(left) % 60) s" : ", ETA \(Int(left.rounded(.up))) s"
    }
    write(
      "\r\(p.filesDone)/\(p.filesTotal) files, \(String(format: "%.1f", mb)) MB (\(String(format: "%.0f", mb / seconds)) MB/s), \(p.rows) rows, \(p.rejected) rejected\(eta)\u{1B}[K"
    )
  }

  /// Ends the progress line so the summary starts on a fresh one.
  func endProgress() {
    if state.withLock({ $0.drawn }) { write("\n") }
  }

  private func write(_ text: String) {
    Streams.error(text)
  }
}
