/// A search query: exact phrases, word prefixes and field filters combined with AND, OR and NOT.
///
/// Parse one from the query language with ``init(parsing:)``, or build one in code:
///
/// ```swift
/// let q = Query.and([.phrase("集体协商"), .or([.phrase("工会"), .phrase("职工")]), .not(.phrase("草案"))])
/// ```
///
/// A phrase's text goes through the index's analyzer when the query runs: a CJK run becomes its
/// bigrams at their slots, a Latin word or number one whole-word term, several tokens an exact
/// phrase of those tokens at their analyzer slots, and a lone CJK character matches that
/// character wherever it occurs (see the module documentation of `SouSearch`).
public struct Query: Sendable, Hashable, CustomStringConvertible {
    /// The shape of a query.
    public indirect enum Node: Sendable, Hashable {
        /// Text matched as one exact phrase (after analysis).
        case phrase(String)
        /// Every clause must match; excluded (``not(_:)``) clauses must not.
        case and([Query])
        /// At least one clause must match.
        case or([Query])
        /// The clause must not match. Only valid as a clause of ``and(_:)`` next to at least
        /// one clause that is not excluded.
        case not(Query)
        /// Documents whose title contains the text as an exact phrase (matched like
        /// ``phrase(_:)``, but in the title alone). A filter: it adds nothing to the score.
        case title(String)
        /// Documents whose key matches: a glob when the text has `*`, `?` or `[` (`*` also
        /// matches `/`), else a prefix of the key. A filter: it adds nothing to the score.
        case key(String)
        /// Any word (or number) of the index that starts with the text, which must analyze to
        /// one word or number: scored as an `OR` of those words. At most
        /// ``Searcher/maxPrefixExpansion`` words; more is an error, never a truncation.
        case prefix(String)
    }

    /// The shape of this query.
    public var node: Node
    /// Where this clause starts in the text it was parsed from (a `Character` offset, 0-based),
    /// or `nil` for a query built in code. Used to point errors at the clause; ignored by `==`.
    public var sourcePosition: Int?

    /// Creates a query from its shape.
    public init(_ node: Node, sourcePosition: Int? = nil) {
        self.node = node
        self.sourcePosition = sourcePosition
    }

    /// Parses the query language (see ``QueryParser``); throws ``QueryError`` naming the position
    /// of the problem.
    public init(parsing text: String) throws(QueryError) {
        self = try QueryParser.parse(text)
    }

    /// An exact phrase: `text` is analyzed and its tokens must appear at their relative slots.
    public static func phrase(_ text: String) -> Query { Query(.phrase(text)) }
    /// All of `clauses` must match (clauses made with ``not(_:)`` must not).
    public static func and(_ clauses: [Query]) -> Query { Query(.and(clauses)) }
    /// At least one of `clauses` must match.
    public static func or(_ clauses: [Query]) -> Query { Query(.or(clauses)) }
    /// `clause` must not match (use inside ``and(_:)``).
    public static func not(_ clause: Query) -> Query { Query(.not(clause)) }
    /// Documents whose title contains `text` (a filter).
    public static func title(_ text: String) -> Query { Query(.title(text)) }
    /// Documents whose key matches the glob or prefix `text` (a filter).
    public static func key(_ text: String) -> Query { Query(.key(text)) }
    /// Words starting with `text`.
    public static func prefix(_ text: String) -> Query { Query(.prefix(text)) }

    /// Equality of shape (source positions are ignored).
    public static func == (lhs: Query, rhs: Query) -> Bool { lhs.node == rhs.node }
    /// Hashes the shape (source positions are ignored).
    public func hash(into hasher: inout Hasher) { hasher.combine(node) }

    /// The query in the query language, fully parenthesized; parsing it gives an equal query
    /// (phrases are quoted, so a phrase containing `"` cannot round-trip).
    public var description: String {
        switch node {
        case .phrase(let text): "\"\(text)\""
        case .and(let clauses): "(" + clauses.map(\.description).joined(separator: " ") + ")"
        case .or(let clauses): "(" + clauses.map(\.description).joined(separator: " OR ") + ")"
        case .not(let clause): "-" + clause.description
        case .title(let text): "title:\"\(text)\""
        case .key(let text): "key:\"\(text)\""
        case .prefix(let text): "\(text)*"
        }
    }
}
