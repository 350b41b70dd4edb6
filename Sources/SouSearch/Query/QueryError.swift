/// Why a query cannot run: a syntax error or a clause with nothing to search for.
/// ``position`` is the `Character` offset (0-based) in the query text of what is wrong.
public struct QueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of query errors.
    public enum Kind: Sendable, Hashable {
        /// The query is empty or only whitespace.
        case emptyQuery
        /// A `"` is never closed.
        case unclosedQuote
        /// `""`: a phrase with no text.
        case emptyPhrase
        /// A `(` is never closed.
        case unclosedParenthesis
        /// A `)` closes nothing.
        case unexpectedClosingParenthesis
        /// `()`: a group with no clause.
        case emptyGroup
        /// A `(` opening a group inside ``QueryParser/maxNesting`` others.
        case nestingTooDeep
        /// A `-` not followed by a clause.
        case loneMinus
        /// `OR` without a clause on each side.
        case misplacedOr
        /// A group of AND-ed clauses where every clause is excluded (would mean "everything").
        case onlyExclusions
        /// A `-` clause used where nothing can be excluded from (inside `OR`, or in code).
        case misplacedNot
        /// A clause whose text analyzes to no token (only punctuation or symbols).
        case noSearchableText(String)
        /// `AND` without a clause on each side.
        case misplacedAnd
        /// `name:value` with a name that is not a field (`title:`, `key:`, `path:`).
        case unknownField(String)
        /// `title:` (or another field) with nothing after the colon.
        case emptyField(String)
        /// Syntax of other search tools that Sou does not support (boosts `^`, fuzzy and
        /// proximity `~`, wildcards other than a trailing `*`, `+`, `&&`, `||`): what it is, and
        /// what to write instead.
        case unsupportedSyntax(String, advice: String)
        /// `X*` where X is not one Latin word or number.
        case prefixNotAWord(String)
        /// `X*` where more than `limit` words of the index start with X.
        case prefixTooBroad(String, count: Int, limit: Int)
        /// A query built in code whose clauses nest deeper than `limit` (``Searcher/maxQueryDepth``):
        /// the search is recursive, so it refuses such a query instead of overflowing its stack.
        case queryTooDeep(limit: Int)
        /// `path:GLOB` (or `key:`) whose glob is malformed (an unclosed `[`, a reversed range, an
        /// unknown `[:class:]`, a trailing `\`): what is wrong with it.
        case invalidGlob(String, problem: String)
    }

    /// What is wrong.
    public var kind: Kind
    /// Where (a `Character` offset, 0-based, into the query text); `nil` for queries built in code.
    public var position: Int?

    /// Creates an error.
    public init(_ kind: Kind, at position: Int?) {
        self.kind = kind
        self.position = position
    }

    /// The message without the position.
    public var message: String {
        switch kind {
        case .emptyQuery: "empty query"
        case .unclosedQuote: "unbalanced quote: this \" is never closed"
        case .emptyPhrase: "empty phrase \"\""
        case .unclosedParenthesis: "unbalanced parenthesis: this ( is never closed"
        case .unexpectedClosingParenthesis: "unbalanced parenthesis: this ) closes nothing"
        case .emptyGroup: "empty group ()"
        case .nestingTooDeep: "nesting too deep: at most \(QueryParser.maxNesting) groups ( ) may be open at once"
        case .loneMinus: "a - or NOT must be followed by a clause to exclude"
        case .misplacedOr: "OR needs a clause on each side"
        case .onlyExclusions: "only excluded clauses: add at least one clause to search for"
        case .misplacedNot: "an excluded clause must stand next to a clause to search for"
        case .noSearchableText(let text): "\"\(text)\" has no searchable text (only punctuation or symbols)"
        case .misplacedAnd: "AND needs a clause on each side"
        case .unknownField(let name):
            "unknown field \"\(name):\" (fields: title:, key:, path:); to search for the text itself, quote it"
        case .emptyField(let name): "\"\(name):\" needs a value: \(name):TEXT or \(name):\"TEXT\""
        case .unsupportedSyntax(let what, let advice): "\(what) is not supported: \(advice)"
        case .prefixNotAWord(let text):
            "\"\(text)*\": a trailing * makes a prefix query of one Latin word or number; a CJK phrase already matches inside longer words (drop the *)"
        case .prefixTooBroad(let text, let count, let limit):
            "\"\(text)*\" expands to \(count) words, more than \(limit): make the prefix longer"
        case .queryTooDeep(let limit):
            "query nested too deep: at most \(limit) levels of and/or/not clauses (a parsed query nests at most \(QueryParser.maxNesting) groups)"
        case .invalidGlob(let glob, let problem): "invalid glob \"\(glob)\" (a path:/key: filter): \(problem)"
        }
    }

    /// "unbalanced quote: this \" is never closed (at position 4)".
    public var description: String {
        if let position { return "\(message) (at position \(position))" }
        return message
    }
}
