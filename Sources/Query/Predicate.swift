/// A `--where` filter, parsed. Atoms compare one column with literals; literals are typed by the
/// column they meet (a time column reads `2024-03-01T07:10:27Z` or `7d` as a time).
///
/// Nulls: an atom is false on a null value (`x != 'a'` does not match nulls), and `not` inverts
/// that, so `not (x = 'a')` does.
public indirect enum Predicate: Sendable, Equatable {
  case and([Predicate])
  case or([Predicate])
  case not(Predicate)
  case compare(String, CompareOp, String)
  case isIn(String, [String])
  case startsWith(String, String)
  case endsWith(String, String)
  case contains(String, String)
  case within(String, [CIDR])
  case isNull(String)
  case always

  public enum CompareOp: String, Sendable {
    case eq = "="
    case ne = "!="
    case lt = "<"
    case le = "<="
    case gt = ">"
    case ge = ">="
  }

  /// Every column the predicate reads.
  public var columns: Set<String> {
    switch self {
    case .and(let ps), .or(let ps): return ps.reduce(into: Set()) { $0.formUnion($1.columns) }
    case .not(let p): return p.columns
    case .compare(let c, _, _), .isIn(let c, _), .startsWith(let c, _), .endsWith(let c, _), .contains(let c, _),
      .within(let c, _), .isNull(let c):
      return [c]
    case .always: return []
    }
  }

  public static func all(_ ps: [Predicate]) -> Predicate {
    let real = ps.filter { $0 != .always }
    return real.isEmpty ? .always : real.count == 1 ? real[0] : .and(real)
  }
}

public struct QueryError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// Parses `--where` text:
///
///     expr   := term ('or' term)*
///     term   := factor ('and' factor)*
///     factor := 'not' factor | '(' expr ')' | atom
///     atom   := COL op LIT | COL [not] in (LIT, ...) | COL within CIDR[, CIDR...]
///             | COL startswith|endswith|contains LIT | COL is [not] null
///     op     := = | == | != | <> | < | <= | > | >=
///
/// Literals are 'quoted', "quoted" or bare words (numbers, times, addresses, CIDRs).
public struct PredicateParser {
  enum Token: Equatable {
    case word(String)
    case quoted(String)
    case op(String)
    case open, close, comma
  }

  private var tokens: [Token]
  private var i = 0
  /// Parentheses and `not`s open at the current token: bounded, since parsing, compiling and
  /// evaluating all recurse on them.
  private var depth = 0
  static let maxDepth = 100

  public static func parse(_ text: String) throws -> Predicate {
    var p = PredicateParser(tokens: try tokenize(text))
    if p.tokens.isEmpty { return .always }
    let e = try p.expr()
    guard p.i == p.tokens.count else { throw QueryError("--where: unexpected \(p.describe(p.tokens[p.i]))") }
    return e
  }

  private init(tokens: [Token]) { self.tokens = tokens }

  static func tokenize(_ text: String) throws -> [Token] {
    var out: [Token] = []
    let chars = Array(text.unicodeScalars)
    var k = 0
    while k < chars.count {
      let c = chars[k]
      if c == " " || c == "\t" || c == "\n" {
        k += 1
      } else if c == "(" {
        out.append(.open)
        k += 1
      } else if c == ")" {
        out.append(.close)
        k += 1
      } else if c == "," {
        out.append(.comma)
        k += 1
      } else if c == "'" || c == "\"" {
        var s = String.UnicodeScalarView()
        k += 1
        var closed = false
        while k < chars.count {
          if chars[k] == c {
            if k + 1 < chars.count && chars[k + 1] == c {
              s.append(c)
              k += 2
              continue
            }
            closed = true
            k += 1
            break
          }
          s.append(chars[k])
          k += 1
        }
        guard closed else { throw QueryError("--where: unterminated quote") }
        out.append(.quoted(String(s)))
      } else if "=!<>".unicodeScalars.contains(c) {
        var op = String(c)
        if k + 1 < chars.count, "=>".unicodeScalars.contains(chars[k + 1]) {
          op.unicodeScalars.append(chars[k + 1])
          k += 1
        }
        k += 1
        guard ["=", "==", "!=", "<>", "<", "<=", ">", ">="].contains(op) else {
          throw QueryError("--where: unknown operator \(op)")
        }
        out.append(.op(op))
      } else {
        var s = String.UnicodeScalarView()
        while k < chars.count, !" \t\n(),'\"=!<>".unicodeScalars.contains(chars[k]) {
          s.append(chars[k])
          k += 1
        }
        out.append(.word(String(s)))
      }
    }
    return out
  }

  private func describe(_ t: Token) -> String {
    switch t {
    case .word(let w): return "'\(w)'"
    case .quoted(let q): return "'\(q)'"
    case .op(let o): return o
    case .open: return "("
    case .close: return ")"
    case .comma: return ","
    }
  }

  private func peekKeyword(_ k: String) -> Bool {
    if i < tokens.count, case .word(let w) = tokens[i], w.lowercased() == k { return true }
    return false
  }

  private mutating func expr() throws -> Predicate {
    var terms = [try term()]
    while peekKeyword("or") {
      i += 1
      terms.append(try term())
    }
    return terms.count == 1 ? terms[0] : .or(terms)
  }

  private mutating func term() throws -> Predicate {
    var factors = [try factor()]
    while peekKeyword("and") {
      i += 1
      factors.append(try factor())
    }
    return factors.count == 1 ? factors[0] : .and(factors)
  }

  private mutating func factor() throws -> Predicate {
    guard i < tokens.count else { throw QueryError("--where: expression ends too early") }
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maxDepth else {
      throw QueryError("--where: nested more than \(Self.maxDepth) deep (parentheses and 'not')")
    }
    if peekKeyword("not") {
      i += 1
      return .not(try factor())
    }
    if tokens[i] == .open {
      i += 1
      let e = try expr()
      guard i < tokens.count, tokens[i] == .close else { throw QueryError("--where: missing )") }
      i += 1
      return e
    }
    return try atom()
  }

  private mutating func literal() throws -> String {
    guard i < tokens.count else { throw QueryError("--where: a value is missing at the end") }
    defer { i += 1 }
    switch tokens[i] {
    case .word(let w): return w
    case .quoted(let q): return q
    default: throw QueryError("--where: expected a value, found \(describe(tokens[i]))")
    }
  }

  private mutating func literalList() throws -> [String] {
    if i < tokens.count, tokens[i] == .open {
      i += 1
      var values = [try literal()]
      while i < tokens.count, tokens[i] == .comma {
        i += 1
        values.append(try literal())
      }
      guard i < tokens.count, tokens[i] == .close else { throw QueryError("--where: missing ) after a list") }
      i += 1
      return values
    }
    var values = [try literal()]
    while i < tokens.count, tokens[i] == .comma {
      i += 1
      values.append(try literal())
    }
    return values
  }

  private mutating func atom() throws -> Predicate {
    guard case .word(let column) = tokens[i] else {
      throw QueryError("--where: expected a column name, found \(describe(tokens[i]))")
    }
    i += 1
    guard i < tokens.count else { throw QueryError("--where: '\(column)' needs a condition") }
    if case .op(let op) = tokens[i] {
      i += 1
      let value = try literal()
      switch op {
      case "=", "==": return .compare(column, .eq, value)
      case "!=", "<>": return .compare(column, .ne, value)
      case "<": return .compare(column, .lt, value)
      case "<=": return .compare(column, .le, value)
      case ">": return .compare(column, .gt, value)
      default: return .compare(column, .ge, value)
      }
    }
    guard case .word(let keyword) = tokens[i] else {
      throw QueryError("--where: expected an operator after '\(column)'")
    }
    i += 1
    switch keyword.lowercased() {
    case "in": return .isIn(column, try literalList())
    case "not":
      guard peekKeyword("in") else { throw QueryError("--where: expected 'in' after '\(column) not'") }
      i += 1
      return .not(.isIn(column, try literalList()))
    case "startswith": return .startsWith(column, try literal())
    case "endswith": return .endsWith(column, try literal())
    case "contains": return .contains(column, try literal())
    case "within":
      return .within(
        column,
        try literalList().map { text in
          guard let c = CIDR(text) else { throw QueryError("--where: '\(text)' is not an address or CIDR") }
          return c
        })
    case "is":
      if peekKeyword("not") {
        i += 1
        guard peekKeyword("null") else { throw QueryError("--where: expected 'null'") }
        i += 1
        return .not(.isNull(column))
      }
      guard peekKeyword("null") else { throw QueryError("--where: expected 'null' after 'is'") }
      i += 1
      return .isNull(column)
    default:
      throw QueryError("--where: unknown condition '\(keyword)' after '\(column)'")
    }
  }
}
