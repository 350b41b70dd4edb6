/// How a search runs and what it returns.
public struct SearchOptions: Sendable, Hashable {
    /// The most hits returned (best first); the total count is exact whatever the limit (0 or
    /// less: no hit, the total alone).
    public var limit: Int
    /// How many of the best hits to skip before the `limit` returned (pagination: the hits ranked
    /// `offset + 1` to `offset + limit`; ranks stay those of the whole result list). A negative
    /// offset counts as 0.
    public var offset: Int = 0
    /// The ranking function's parameters.
    public var bm25: BM25
    /// How snippets are made (needs stored text; see ``SnippetOptions``).
    public var snippets: SnippetOptions
    /// When true, every hit carries an ``Explanation`` of its score.
    public var explains: Bool
    /// When false, hits carry no title (``SearchHit/title`` is "" and no title is read): for
    /// output that shows keys alone, such as `sou search --batch`.
    public var includesTitles: Bool = true

    /// Creates options: 10 hits, BM25 with k1 = 1.2 and b = 0.75, default snippets, no explanations.
    public init(limit: Int = 10, bm25: BM25 = .standard, snippets: SnippetOptions = SnippetOptions(),
                explains: Bool = false) {
        self.limit = limit
        self.bm25 = bm25
        self.snippets = snippets
        self.explains = explains
    }
}

/// How the snippets of a hit are made from its stored text: one snippet per matching line.
public struct SnippetOptions: Sendable, Hashable {
    /// False: hits carry no snippets (and no stored text is read).
    public var isEnabled: Bool
    /// The most snippets (matching lines) per hit; `nil` for all of them.
    public var maxLines: Int?
    /// Lines wider than this many terminal columns (``DisplayWidth``: a CJK character takes two)
    /// are cut around their first match, with "…" where cut; `Int.max` for no limit.
    public var maxLineLength: Int

    /// Creates snippet options: enabled, at most 3 lines per hit, lines cut at 120 columns (at
    /// least 8).
    public init(isEnabled: Bool = true, maxLines: Int? = 3, maxLineLength: Int = 120) {
        self.isEnabled = isEnabled
        self.maxLines = maxLines
        self.maxLineLength = max(maxLineLength, 8)
    }
}
