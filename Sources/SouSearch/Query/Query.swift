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
///
/// Depth: a query built in code may nest to any depth. Its ``description``, `==`, hashing and
/// its release when the last copy goes away walk it with stacks of their own (a 100,000-deep
/// query is fine on a thread's 512 KiB stack): they do not recurse. A search takes queries up to
/// ``Searcher/maxQueryDepth`` deep and refuses deeper ones with
/// ``QueryError/Kind/queryTooDeep(limit:)``; the parser builds at most that. Reflection
/// (`dump(_:)`, `Mirror`) descends one level per clause, as it does into any nested value.
public struct Query: Sendable, Hashable, CustomStringConvertible {
    /// The shape of a query.
    public enum Node: Sendable, Hashable {
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
    public var node: Node {
        get { storage.node }
        set { storage = Storage(newValue) }
    }
    /// Where this clause starts in the text it was parsed from (a `Character` offset, 0-based),
    /// or `nil` for a query built in code. Used to point errors at the clause; ignored by `==`.
    public var sourcePosition: Int?
    /// The node, in a box of this type's own (shared by copies, never changed once shared): its
    /// `deinit` releases the clauses below it without recursing.
    private var storage: Storage

    /// Creates a query from its shape.
    public init(_ node: Node, sourcePosition: Int? = nil) {
        self.storage = Storage(node)
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

    /// Equality of shape (source positions are ignored). Compares clause by clause with a
    /// stack of its own, whatever the depth.
    public static func == (lhs: Query, rhs: Query) -> Bool {
        var pairs = [(lhs, rhs)]
        while let (a, b) = pairs.popLast() {
            if a.storage === b.storage { continue }
            switch (a.node, b.node) {
            case (.phrase(let x), .phrase(let y)), (.title(let x), .title(let y)), (.key(let x), .key(let y)),
                 (.prefix(let x), .prefix(let y)):
                guard x == y else { return false }
            case (.and(let x), .and(let y)), (.or(let x), .or(let y)):
                guard x.count == y.count else { return false }
                // (reversed: the first clauses are compared first)
                for k in x.indices.reversed() { pairs.append((x[k], y[k])) }
            case (.not(let x), .not(let y)):
                pairs.append((x, y))
            default:
                return false
            }
        }
        return true
    }

    /// Hashes the shape (source positions are ignored): each node's kind, then its text or
    /// number of clauses, in prefix order, with a stack of its own.
    public func hash(into hasher: inout Hasher) {
        var pending = [self]
        while let q = pending.popLast() {
            switch q.node {
            case .phrase(let text): hasher.combine(0 as UInt8); hasher.combine(text)
            case .title(let text): hasher.combine(1 as UInt8); hasher.combine(text)
            case .key(let text): hasher.combine(2 as UInt8); hasher.combine(text)
            case .prefix(let text): hasher.combine(3 as UInt8); hasher.combine(text)
            case .and(let clauses): hasher.combine(4 as UInt8); hasher.combine(clauses.count); pending += clauses.reversed()
            case .or(let clauses): hasher.combine(5 as UInt8); hasher.combine(clauses.count); pending += clauses.reversed()
            case .not(let clause): hasher.combine(6 as UInt8); pending.append(clause)
            }
        }
    }

    /// The query in the query language, fully parenthesized; parsing it gives an equal query
    /// (phrases are quoted, so a phrase containing `"` cannot round-trip). Written with a stack
    /// of its own, whatever the depth.
    public var description: String {
        enum Piece { case query(Query), text(String) }
        var out = ""
        var pending: [Piece] = [.query(self)]   // what is still to write, the next last
        func group(_ clauses: [Query], separator: String) {
            out += "("
            pending.append(.text(")"))
            for k in clauses.indices.reversed() {
                pending.append(.query(clauses[k]))
                if k > 0 { pending.append(.text(separator)) }
            }
        }
        while let piece = pending.popLast() {
            switch piece {
            case .text(let text): out += text
            case .query(let q):
                switch q.node {
                case .phrase(let text): out += "\"\(text)\""
                case .and(let clauses): group(clauses, separator: " ")
                case .or(let clauses): group(clauses, separator: " OR ")
                case .not(let clause): out += "-"; pending.append(.query(clause))
                case .title(let text): out += "title:\"\(text)\""
                case .key(let text): out += "key:\"\(text)\""
                case .prefix(let text): out += "\(text)*"
                }
            }
        }
        return out
    }

    /// A query's node, shared by the copies of the query. Released, it takes the clauses below
    /// it apart with a stack of its own: the nodes no other query shares are emptied before they
    /// go, so that no release recurses (a 100,000-deep query released by Swift's default, box
    /// after box, overflowed a thread's stack).
    private final class Storage: @unchecked Sendable {
        // (@unchecked: `node` is written only by `deinit`, to a box no other value holds)
        var node: Node

        init(_ node: Node) { self.node = node }

        deinit {
            var pending: [Query]
            switch node {
            case .and(let clauses), .or(let clauses): pending = clauses
            case .not(let clause): pending = [clause]
            case .phrase, .title, .key, .prefix: return
            }
            node = .phrase("")
            while var q = pending.popLast() {
                // a box shared with another query stays as it is: only the reference goes
                guard isKnownUniquelyReferenced(&q.storage) else { continue }
                switch q.storage.node {
                case .and(let clauses), .or(let clauses): pending += clauses
                case .not(let clause): pending.append(clause)
                case .phrase, .title, .key, .prefix: continue
                }
                // `q` goes with nothing below it: its deinit returns at once
                q.storage.node = .phrase("")
            }
        }
    }
}

extension Query.Node: CustomStringConvertible {
    /// The node in the query language (as ``Query/description``, without recursing).
    public var description: String { Query(self).description }
}
