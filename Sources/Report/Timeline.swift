import Query

/// A story drawn on one time axis as inline SVG: the moments that explain it as vertical
/// lines, and every use as a mark in the lane of its source address and user agent, green when
/// it succeeded and red when denied, with its details as a hover title. A lane of more than
/// `maxMarks` uses is drawn as bins, so a story of 100,000 uses stays a few kilobytes.
struct Timeline {
  static let width = 960.0
  static let labelWidth = 230.0
  static let laneHeight = 22.0
  static let top = 56.0
  static let maxLanes = 8
  static let maxMarks = 200
  static let bins = 120

  let story: Story

  /// Lanes of uses by (address, user agent), busiest first; the rest share the last lane.
  func lanes() -> [(label: String, uses: [Use])] {
    var byKey: [String: [Use]] = [:]
    var order: [String] = []
    for u in story.uses {
      let key = "\(u.ip.isEmpty ? "-" : u.ip) · \(u.userAgent.isEmpty ? "-" : u.userAgent)"
      if byKey[key] == nil { order.append(key) }
      byKey[key, default: []].append(u)
    }
    order.sort { (byKey[$0]!.count, $1) > (byKey[$1]!.count, $0) }
    var lanes = order.prefix(Self.maxLanes - 1).map { ($0, byKey[$0]!) }
    let rest = order.dropFirst(Self.maxLanes - 1)
    if rest.count == 1 {
      lanes.append((rest.first!, byKey[rest.first!]!))
    } else if !rest.isEmpty {
      lanes.append(("\(rest.count) other sources", rest.flatMap { byKey[$0]! }.sorted { $0.time < $1.time }))
    }
    return lanes
  }

  func svg() -> String {
    let lanes = lanes()
    // The axis covers the uses and the moments among them; a moment far outside (a URL valid for
    // a week, a session issued days before) is drawn at the edge with its date, not by
    // squeezing the story into a sliver.
    let core = story.uses.map(\.time) + story.events.map(\.time)
    let inner =
      story.uses.isEmpty ? core : story.uses.map(\.time) + story.events.filter { $0.kind != .expires }.map(\.time)
    var t0 = inner.min() ?? 0
    var t1 = inner.max() ?? 0
    let reach = max((t1 - t0) / 2, 1_800_000_000)
    t0 = max(core.min() ?? t0, t0 - reach)
    t1 = min(core.max() ?? t1, t1 + reach)
    let pad = max((t1 - t0) / 40, 60_000_000)
    t0 -= pad
    t1 += pad
    let plot = Self.width - Self.labelWidth - 16
    func x(_ t: Int64) -> Double { Self.labelWidth + Double(t - t0) / Double(t1 - t0) * plot }
    let height = Self.top + Double(max(lanes.count, 1)) * Self.laneHeight + 30
    var marks = 0
    var body = ""
    // Lanes and their labels.
    for (i, lane) in lanes.enumerated() {
      let y = Self.top + Double(i) * Self.laneHeight
      body += "<rect class=\"lane\" x=\"\(Self.labelWidth)\" y=\"\(f(y))\" width=\"\(f(plot))\" "
      body += "height=\"\(f(Self.laneHeight - 2))\"/>"
      body += "<text class=\"lane-label\" x=\"\(f(Self.labelWidth - 6))\" y=\"\(f(y + 15))\" text-anchor=\"end\">"
      body +=
        "<title>\(HTML.escape(lane.label)) (\(lane.uses.count) uses)</title>\(HTML.escape(clip(lane.label, 36)))</text>"
      if lane.uses.count <= Self.maxMarks {
        for u in lane.uses {
          let state = u.succeeded ? "ok" : "denied"
          body += "<circle class=\"use \(state)\(u.flagged ? " flagged" : "")\" cx=\"\(f(x(u.time)))\" "
          body += "cy=\"\(f(y + Self.laneHeight / 2 - 1))\" r=\"4.5\"><title>\(HTML.escape(title(u)))</title></circle>"
          marks += 1
        }
      } else {
        body += bins(lane.uses, y: y, x: x, t0: t0, t1: t1, marks: &marks)
      }
    }
    // The moments, over the lanes.
    let bottom = Self.top + Double(max(lanes.count, 1)) * Self.laneHeight
    for (i, e) in story.events.enumerated() {
      let outside = e.time < t0 ? "← " : e.time > t1 ? " →" : ""
      let ex = x(min(max(e.time, t0), t1))
      let label =
        outside.isEmpty
        ? e.label : outside == "← " ? "← \(e.label) \(shortTime(e.time))" : "\(e.label) \(shortTime(e.time)) →"
      let ly = 14.0 + Double(i % 3) * 13
      body += "<line class=\"event \(e.kind.rawValue)\" x1=\"\(f(ex))\" x2=\"\(f(ex))\" y1=\"\(f(ly + 3))\" "
      body += "y2=\"\(f(bottom))\"><title>\(HTML.escape(e.label)): \(Value.iso8601(e.time))</title></line>"
      let anchor = ex > Self.width - 160 ? "end" : "start"
      body += "<text class=\"event-label \(e.kind.rawValue)\" x=\"\(f(ex + (anchor == "end" ? -3 : 3)))\" "
      body += "y=\"\(f(ly))\" text-anchor=\"\(anchor)\">\(HTML.escape(label))</text>"
    }
    // The axis.
    for k in 0...4 {
      let t = t0 + (t1 - t0) * Int64(k) / 4
      let ax = x(t)
      body += "<line class=\"tick\" x1=\"\(f(ax))\" x2=\"\(f(ax))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom + 5))\"/>"
      body += "<text class=\"axis\" x=\"\(f(ax))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">"
      body += "\(axisLabel(t, span: t1 - t0))</text>"
    }
    return "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(Self.width)) \(f(height))\" "
      + "width=\"100%\" role=\"img\" data-uses=\"\(story.uses.count)\" data-marks=\"\(marks)\" "
      + "data-events=\"\(story.events.count)\"><title>Timeline: \(HTML.escape(story.title))</title>\(body)</svg>"
  }

  /// Uses binned over the axis: per bin, a bar of the succeeded and one of the denied.
  func bins(
    _ uses: [Use], y: Double, x: (Int64) -> Double, t0: Int64, t1: Int64, marks: inout Int
  ) -> String {
    var ok = [Int](repeating: 0, count: Self.bins)
    var denied = [Int](repeating: 0, count: Self.bins)
    let span = max(t1 - t0, 1)
    for u in uses {
      let b = min(Self.bins - 1, max(0, Int((u.time - t0) * Int64(Self.bins) / span)))
      if u.succeeded { ok[b] += 1 } else { denied[b] += 1 }
    }
    let peak = Double(max(ok.max() ?? 1, denied.max() ?? 1, 1))
    var out = ""
    for b in 0..<Self.bins where ok[b] + denied[b] > 0 {
      let from = t0 + span * Int64(b) / Int64(Self.bins)
      let to = t0 + span * Int64(b + 1) / Int64(Self.bins)
      let bx = x(from)
      let w = max(x(to) - bx - 0.5, 1)
      let h = Self.laneHeight - 4
      let title =
        "\(ok[b] + denied[b]) uses (\(ok[b]) succeeded, \(denied[b]) denied) "
        + "\(Value.iso8601(from)) to \(Value.iso8601(to))"
      out += "<g class=\"bin\"><title>\(HTML.escape(title))</title>"
      if ok[b] > 0 {
        let bh = max(2, h * Double(ok[b]) / peak)
        out += "<rect class=\"ok\" x=\"\(f(bx))\" y=\"\(f(y + 1 + h - bh))\" width=\"\(f(w))\" height=\"\(f(bh))\"/>"
      }
      if denied[b] > 0 {
        let bh = max(2, h * Double(denied[b]) / peak)
        out += "<rect class=\"denied\" x=\"\(f(bx))\" y=\"\(f(y + 1 + h - bh))\" width=\"\(f(w))\" "
        out += "height=\"\(f(bh))\" opacity=\"0.8\"/>"
      }
      out += "</g>"
      marks += 1
    }
    return out
  }

  func title(_ u: Use) -> String {
    let status = u.status.map(String.init) ?? "-"
    return "\(Value.iso8601(u.time)) \(u.ip) \(u.operation) \(u.object) → \(status)"
      + (u.errorCode.isEmpty ? "" : " \(u.errorCode)") + " · \(u.userAgent) · \(u.source) \(u.id)"
  }

  func axisLabel(_ t: Int64, span: Int64) -> String {
    let iso = Value.iso8601(t)
    // Within two days the hour says more; past that, the day.
    return span < 172_800_000_000
      ? String(iso.dropFirst(5).prefix(11).map { $0 == "T" ? " " : $0 })
      : String(iso.prefix(10))
  }

  func shortTime(_ t: Int64) -> String { String(Value.iso8601(t).prefix(16).map { $0 == "T" ? " " : $0 }) }

  func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

  func f(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
  }
}
