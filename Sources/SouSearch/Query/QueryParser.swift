/// Parses the query language into a ``Query``.
///
/// Grammar (whitespace separates clauses; `OR` is an operator only in upper case and standing alone):
///
///     query       := alternatives
///     alternatives:= conjunction ( "OR" conjunction )*
///     conjunction := clause+                      -- all must match (AND)
///     conjunction := clause ( "AND"? clause )*    -- all must match (AND)
///     clause      := ("-" | "NOT") primary | primary   -- "-" and NOT exclude
///     primary     := "(" alternatives ")" | '"' text '"' | field | prefix | word
///     field       := ("title" | "key" | "path") ":" (word | '"' text '"')
///     prefix      := word "*"                     -- words starting with it
///     word        := a run of characters other than whitespace, '(', ')' and '"'
///
/// `OR`, `AND` and `NOT` are operators only in upper case and standing alone. `title:X` keeps
/// documents whose title contains the phrase X; `key:X` / `path:X` those whose key matches the
/// glob X (with `*`, `?` or `[`) or starts with X. Syntax of other tools that would otherwise be
/// searched as text is an error naming it (never a silent reinterpretation): `^` boosts, `~`
/// fuzzy or proximity, `*` other than at a word's end, `?` inside a word, a leading `+`, `&&`,
/// `||`, and `name:` for an unknown field. Quoted text is always searched literally.
///
/// A word or a quoted text is one phrase clause (see ``Query/phrase(_:)``): `集体协商`, `iPhone手机`
/// and `"iPhone 手机"` are each one exact phrase. Every conjunction needs at least one clause that
/// is not excluded. Groups nest at most ``maxNesting`` deep (the parser is recursive: a deeper
/// query is an error, not a stack overflow). Errors carry the `Character` offset of what is wrong.
public enum QueryParser {
    /// The most groups that may be open at once: `((a))` is 2 deep. A `(` beyond it is a
    /// ``QueryError/Kind/nestingTooDeep`` error at that parenthesis.
    public static let maxNesting = 100

    /// Parses `text`; throws ``QueryError`` with the position of the first problem.
    public static func parse(_ text: String) throws(QueryError) -> Query {
        if isSingleWord(text) { return Query(.phrase(text), sourcePosition: 0) }
        var parser = Parser(tokens: try lex(text))
        guard !parser.tokens.isEmpty else { throw QueryError(.emptyQuery, at: 0) }
        let query = try parser.parseAlternatives()
        if parser.index < parser.tokens.count {
            // Only a ")" can stop the top-level parse early.
            throw QueryError(.unexpectedClosingParenthesis, at: parser.tokens[parser.index].position)
        }
        return query
    }

    /// True when `text` is one plain word (the common query): not empty, no whitespace, no
    /// parenthesis or quote anywhere, no leading `-`, not `OR`. Such a text parses to one phrase
    /// at position 0 without splitting it into characters. Checked on Unicode scalars, as the
    /// lexer reads the syntax, so anything it accepts the lexer reads as that single word.
    static func isSingleWord(_ text: String) -> Bool {
        var scalars = text.unicodeScalars.makeIterator()
        guard let first = scalars.next(), first != "-", first != "+" else { return false }
        var next: Unicode.Scalar? = first
        while let c = next {
            switch c {
            case "(", ")", "\"", ":", "*", "^", "~", "?", "&", "|": return false
            default: if c.properties.isWhitespace { return false }
            }
            next = scalars.next()
        }
        return text != "OR" && text != "AND" && text != "NOT"
    }

    /// The fields of `name:value` clauses, by lower-cased name.
    static let fields: [String: Field] = ["title": .title, "key": .key, "path": .key]

    enum Field: Equatable { case title, key }

    /// What a word means beyond plain text, or an error for syntax that is not supported.
    static func classify(_ word: String, at position: Int) throws(QueryError) -> LexKind {
        switch word {
        case "OR": return .or
        case "AND": return .and
        case "NOT": return .not
        case "&&": throw QueryError(.unsupportedSyntax("&&", advice: "clauses separated by spaces must all match (or write AND)"), at: position)
        case "||": throw QueryError(.unsupportedSyntax("||", advice: "write OR"), at: position)
        default: break
        }
        let chars = Array(word)
        if chars.count > 1, chars[0] == "+" {
            throw QueryError(.unsupportedSyntax("+ (required clause)", advice: "every clause is required already; drop the +"), at: position)
        }
        if let colon = chars.firstIndex(of: ":"), colon > 0,
           chars[..<colon].allSatisfy({ $0.isASCII && $0.isLetter }) {
            let name = String(chars[..<colon])
            guard let field = fields[name.lowercased()] else { throw QueryError(.unknownField(name), at: position) }
            let value = String(chars[(colon + 1)...])
            if value.isEmpty { throw QueryError(.emptyField(name), at: position) }
            if field == .title { try checkPlain(value, word: word, at: position) }
            return .field(field, value)
        }
        try checkPlain(word, word: word, at: position, allowTrailingStar: true)
        if chars.last == "*" { return .prefix(String(chars.dropLast())) }
        return .word(word)
    }

    /// Throws for `^`, `~`, `*` (other than a trailing one when allowed) and `?` between letters
    /// or digits in `text`, a part of `word`.
    static func checkPlain(_ text: String, word: String, at position: Int, allowTrailingStar: Bool = false) throws(QueryError) {
        let chars = Array(text)
        let advice = "quote the text to search for it as it is: \"\(word)\""
        for (i, c) in chars.enumerated() {
            switch c {
            case "^": throw QueryError(.unsupportedSyntax("^ (boost)", advice: advice), at: position)
            case "~": throw QueryError(.unsupportedSyntax("~ (fuzzy or proximity search)", advice: advice), at: position)
            case "*":
                if allowTrailingStar, i == chars.count - 1, i > 0 { continue }
                throw QueryError(.unsupportedSyntax("* (wildcard) other than at the end of a word",
                                                    advice: "write a word prefix as libre*, or " + advice), at: position)
            case "?":
                if i > 0, i + 1 < chars.count, chars[i - 1].isLetter || chars[i - 1].isNumber,
                   chars[i + 1].isLetter || chars[i + 1].isNumber {
                    throw QueryError(.unsupportedSyntax("? (single-character wildcard)", advice: advice), at: position)
                }
            default: continue
            }
        }
    }

    enum LexKind: Equatable {
        case open, close, minus, or, and, not
        case word(String)
        case quoted(String)
        case field(Field, String)
        case prefix(String)
    }

    struct Lexeme {
        var kind: LexKind
        var position: Int
    }

    /// Splits `text` into lexemes. The syntax (whitespace, `(`, `)`, `"`, a leading `-`) is read
    /// on Unicode scalars, not on `Character`s: a quote or a parenthesis followed by a combining
    /// mark (`"` U+0301) is one `Character` but still a quote, and whitespace before a mark still
    /// separates. Positions are `Character` offsets (of the character holding the scalar).
    static func lex(_ text: String) throws(QueryError) -> [Lexeme] {
        var chars: [Unicode.Scalar] = []
        var offsets: [Int] = []         // the Character offset of each scalar
        for (k, c) in text.enumerated() {
            for s in c.unicodeScalars { chars.append(s); offsets.append(k) }
        }
        func word(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(chars[r])) }
        var out: [Lexeme] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace { i += 1; continue }
            switch c {
            case "(": out.append(Lexeme(kind: .open, position: offsets[i])); i += 1
            case ")": out.append(Lexeme(kind: .close, position: offsets[i])); i += 1
            case "\"":
                var j = i + 1
                while j < chars.count, chars[j] != "\"" { j += 1 }
                guard j < chars.count else { throw QueryError(.unclosedQuote, at: offsets[i]) }
                if chars[(i + 1)..<j].allSatisfy(\.properties.isWhitespace) { throw QueryError(.emptyPhrase, at: offsets[i]) }
                out.append(Lexeme(kind: .quoted(word((i + 1)..<j)), position: offsets[i]))
                i = j + 1
            case "-":
                if i + 1 == chars.count || chars[i + 1].properties.isWhitespace { throw QueryError(.loneMinus, at: offsets[i]) }
                out.append(Lexeme(kind: .minus, position: offsets[i])); i += 1
            default:
                var j = i
                while j < chars.count, !chars[j].properties.isWhitespace, chars[j] != "(", chars[j] != ")", chars[j] != "\"" { j += 1 }
                let w = word(i..<j)
                if w.last == ":", j < chars.count, chars[j] == "\"",
                   let field = fields[String(w.dropLast()).lowercased()] {
                    // title:"several words": the quoted text is the value, taken as it is
                    var k = j + 1
                    while k < chars.count, chars[k] != "\"" { k += 1 }
                    guard k < chars.count else { throw QueryError(.unclosedQuote, at: offsets[j]) }
                    let inner = word((j + 1)..<k)
                    if inner.allSatisfy(\.isWhitespace) { throw QueryError(.emptyField(String(w.dropLast())), at: offsets[i]) }
                    out.append(Lexeme(kind: .field(field, inner), position: offsets[i]))
                    i = k + 1
                    continue
                }
                out.append(Lexeme(kind: try classify(w, at: offsets[i]), position: offsets[i]))
                i = j
            }
        }
        return out
    }

    struct Parser {
        var tokens: [Lexeme]
        var index = 0
        /// Groups open around the current token.
        var depth = 0

        var current: Lexeme? { index < tokens.count ? tokens[index] : nil }

        mutating func parseAlternatives() throws(QueryError) -> Query {
            var alternatives: [[Query]] = []
            var conjunction: [Query] = []
            var lastOr: Int? = nil
            loop: while let token = current {
                switch token.kind {
                case .close: break loop
                case .and:
                    // explicit AND: clauses on both sides (AND binds like juxtaposition)
                    let next = index + 1 < tokens.count ? tokens[index + 1].kind : nil
                    if conjunction.isEmpty || next == nil || next == .close || next == .or || next == .and {
                        throw QueryError(.misplacedAnd, at: token.position)
                    }
                    index += 1
                case .or:
                    if conjunction.isEmpty { throw QueryError(.misplacedOr, at: token.position) }
                    alternatives.append(conjunction)
                    conjunction = []
                    lastOr = token.position
                    index += 1
                default:
                    conjunction.append(try parseClause())
                }
            }
            if conjunction.isEmpty {
                if let lastOr { throw QueryError(.misplacedOr, at: lastOr) }
                return Query(.and([]))   // empty: the caller reports it with its own position
            }
            alternatives.append(conjunction)
            let groups = try alternatives.map { (clauses) throws(QueryError) -> Query in
                if clauses.allSatisfy({ if case .not = $0.node { true } else { false } }) {
                    throw QueryError(.onlyExclusions, at: clauses[0].sourcePosition)
                }
                return clauses.count == 1 ? clauses[0] : Query(.and(clauses), sourcePosition: clauses[0].sourcePosition)
            }
            return groups.count == 1 ? groups[0] : Query(.or(groups), sourcePosition: groups[0].sourcePosition)
        }

        mutating func parseClause() throws(QueryError) -> Query {
            guard let token = current else { throw QueryError(.emptyQuery, at: 0) }
            if token.kind == .minus || token.kind == .not {
                index += 1
                guard let next = current, next.kind != .close, next.kind != .or, next.kind != .minus,
                      next.kind != .not, next.kind != .and else {
                    throw QueryError(.loneMinus, at: token.position)
                }
                return Query(.not(try parsePrimary()), sourcePosition: token.position)
            }
            return try parsePrimary()
        }

        mutating func parsePrimary() throws(QueryError) -> Query {
            guard let token = current else { throw QueryError(.emptyQuery, at: 0) }
            index += 1
            switch token.kind {
            case .word(let text), .quoted(let text):
                return Query(.phrase(text), sourcePosition: token.position)
            case .field(.title, let text):
                return Query(.title(text), sourcePosition: token.position)
            case .field(.key, let text):
                return Query(.key(text), sourcePosition: token.position)
            case .prefix(let text):
                return Query(.prefix(text), sourcePosition: token.position)
            case .open:
                guard depth < QueryParser.maxNesting else { throw QueryError(.nestingTooDeep, at: token.position) }
                depth += 1
                let inner = try parseAlternatives()
                depth -= 1
                guard let close = current, close.kind == .close else {
                    throw QueryError(.unclosedParenthesis, at: token.position)
                }
                index += 1
                _ = close
                if case .and(let clauses) = inner.node, clauses.isEmpty {
                    throw QueryError(.emptyGroup, at: token.position)
                }
                var grouped = inner
                grouped.sourcePosition = token.position
                return grouped
            case .close: throw QueryError(.unexpectedClosingParenthesis, at: token.position)
            case .or: throw QueryError(.misplacedOr, at: token.position)
            case .minus, .not: throw QueryError(.loneMinus, at: token.position)
            case .and: throw QueryError(.misplacedAnd, at: token.position)
            }
        }
    }
}
