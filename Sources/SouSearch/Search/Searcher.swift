import FoundationEssentials
import SouAnalysis
import SouIndexing

/// Runs queries against one index: compiles a ``Query`` (analyzing its phrases with the index's
/// own analyzer configuration), finds every matching document, ranks them with ``BM25`` and
/// returns the best with snippets.
///
/// Evaluation: each phrase clause yields its matching documents (leapfrogging the tokens'
/// postings cursors, rarest first, then checking slots) with its occurrence count; AND
/// intersects, OR unites, `-` subtracts these sorted lists, summing the clause scores; a bounded
/// heap keeps the best `limit`.
public struct Searcher: Sendable {
    /// The index searched (one commit of it: its segments and deletions).
    public let index: IndexReader
    /// The analyzer queries go through (built with the index's configuration).
    public let analyzer: Analyzer
    /// The most words a prefix query (`libre*`) may expand to (as Lucene's 1024 clauses): a
    /// prefix that more words of the index start with is an error, not a truncated answer.
    public static let maxPrefixExpansion = 1024
    /// The deepest query a search takes, counting every node from the root to a clause
    /// (`.and([.phrase("a")])` is 2 deep): compiling, evaluating and explaining are recursive,
    /// and a query built in code thousands deep would overflow the stack. Every query the
    /// parser accepts fits: the top level and each of its ``QueryParser/maxNesting`` nested
    /// groups nest at most three nodes (an OR of ANDs of NOTs, the innermost an OR of ANDs of
    /// clauses). A deeper one is a ``QueryError/Kind/queryTooDeep(limit:)``.
    public static let maxQueryDepth = 3 * (QueryParser.maxNesting + 1)
    /// The titles of the documents, as an index of its own (built by the first `title:` query).
    private let titles = TitleIndex()

    /// Creates a searcher for `index`, with an analyzer of the index's configuration.
    public init(index: IndexReader) throws {
        self.index = index
        self.analyzer = try AnalyzerCache.shared.analyzer(for: index.configuration)
    }

    /// Creates a searcher for one segment on its own (a segment built in memory).
    public init(index segment: SegmentReader) throws {
        try self.init(index: IndexReader(segment: segment))
    }

    /// Parses `text` (the query language, see ``QueryParser``) and runs it.
    public func search(_ text: String, options: SearchOptions = SearchOptions()) throws -> SearchResults {
        try search(try QueryParser.parse(text), options: options)
    }

    /// Runs `query`: the exact total and the best `options.limit` hits.
    public func search(_ query: Query, options: SearchOptions = SearchOptions()) throws -> SearchResults {
        try Self.checkDepth(query)
        var compiler = Compiler(searcher: self, bm25: options.bm25)
        let plan = try compiler.compile(query)
        // (taken out of the compiler: settling a clause's document frequency below then changes
        // the only copy instead of copying every clause)
        var leaves = compiler.leaves
        compiler.leaves = []
        let avgdl = index.averageDocumentLength
        let reader = index
        let skipped = max(0, options.offset)
        let kept = options.limit <= 0 ? 0 : options.limit > Int.max - skipped ? Int.max : options.limit + skipped
        var top = TopHits(capacity: kept, precedes: { try reader.precedes($0, $1) })
        // One clause: its documents go straight to the best hits (no score list). A phrase of
        // terms is ranked while it is matched, so that a document that cannot enter the best is
        // only checked for one occurrence (TopPruner); another clause's documents are ranked
        // after matching, the same way.
        var single: (leaf: Int, ranking: TopPruner)? = nil
        if case .leaf(let i) = plan, leaves[i].checksExistence {
            single = (i, TopPruner(top: top, idf: leaves[i].idf, bm25: options.bm25, averageDocumentLength: avgdl, index: index))
        }
        var results = try leaves.indices.map { i in
            try leaves[i].matches(in: index, pruner: single?.leaf == i ? single?.ranking : nil)
        }
        // a one-token clause's document frequency is the number of documents it matched (such
        // a clause is ranked after matching, with the idf this gives)
        for i in leaves.indices where leaves[i].documentFrequencyFromMatches {
            leaves[i].settleDocumentFrequency(matchedDocuments: results[i].documents.count, documentCount: index.documentCount,
                                              bm25: options.bm25)
        }
        if single == nil, case .leaf(let i) = plan {
            single = (i, TopPruner(top: top, idf: leaves[i].idf, bm25: options.bm25, averageDocumentLength: avgdl, index: index))
        }
        // filters are appended as leaves' results with frequency 0 (they add no score)
        for documents in compiler.filters { results.append((documents, [])) }
        let total: Int
        if let single {
            let i = single.leaf, ranking = single.ranking
            let (documents, frequencies) = results[i]
            total = documents.count
            // (none are scored when no hit is asked for)
            if !leaves[i].checksExistence, kept > 0 {
                for j in documents.indices { try ranking.insert(documents[j], frequency: frequencies[j]) }
            }
            top = ranking.top
        } else {
            let scored = try evaluate(plan, results, leaves, options.bm25, avgdl)
            total = scored.documents.count
            for i in scored.documents.indices { try top.insert(score: scored.scores[i], document: scored.documents[i]) }
        }

        let best = try top.sorted()
        var hits: [SearchHit] = []
        // (`skipped`, not `options.offset`: a negative offset counts as 0, and Int.min would
        // overflow the subtraction)
        hits.reserveCapacity(max(0, best.count - skipped))
        var phrases: [[[PhraseToken]]] = []
        let storesText = index.storesText
        let makesSnippets = options.snippets.isEnabled && storesText
        for (rank, entry) in best.enumerated() where rank >= skipped {
            let d = entry.document
            let contributing = Self.contributions(plan, d, results, filterBase: leaves.count) ?? []
            var matches = 0
            for c in contributing { matches += c.frequency }
            var hit = SearchHit(rank: rank + 1, document: d, key: try index.documentKey(d), title: options.includesTitles ? try index.documentTitle(d) : "",
                                score: entry.score, matches: matches, snippets: [], explanation: nil)
            if options.explains {
                let dl = try index.documentLength(d)
                let clauses = contributing.map { leaf, f in
                    let clause = leaves[leaf]
                    return Explanation.Clause(
                        text: clause.text,
                        terms: clause.tokens.map { ($0.isCharacter ? $0.term + "*" : $0.term, $0.documentFrequency, $0.idf) },
                        idf: clause.idf, frequency: f, documentLength: dl, averageDocumentLength: avgdl,
                        score: options.bm25.score(idf: clause.idf, frequency: f, documentLength: dl, averageDocumentLength: avgdl))
                }
                hit.explanation = Explanation(bm25: options.bm25, documentCount: index.documentCount,
                                              clauses: clauses, score: clauses.reduce(0) { $0 + $1.score })
            }
            hits.append(hit)
            if makesSnippets { phrases.append(contributing.map { leaves[$0.leaf].tokens }) }
        }
        // snippets in document order: hits of one stored-text block inflate it once
        if makesSnippets {
            for h in hits.indices.sorted(by: { hits[$0].document < hits[$1].document }) {
                if let bytes = try index.storedTextBytes(hits[h].document) {
                    hits[h].snippets = SnippetBuilder(bytes: bytes, analyzer: analyzer).snippets(for: phrases[h], options: options.snippets)
                }
            }
        }
        return SearchResults(query: query, total: total, hits: hits)
    }

    /// Throws ``QueryError/Kind/queryTooDeep(limit:)`` for a query deeper than
    /// ``maxQueryDepth``: a walk with a stack of its own, since the query may be too deep for
    /// the recursion this check protects.
    static func checkDepth(_ query: Query) throws {
        var stack: [(query: Query, depth: Int)] = [(query, 1)]
        while let (q, depth) = stack.popLast() {
            guard depth <= maxQueryDepth else { throw QueryError(.queryTooDeep(limit: maxQueryDepth), at: q.sourcePosition) }
            switch q.node {
            case .and(let clauses), .or(let clauses):
                for c in clauses { stack.append((c, depth + 1)) }
            case .not(let clause):
                stack.append((clause, depth + 1))
            case .phrase, .title, .key, .prefix:
                break
            }
        }
    }

    // MARK: - Plan

    indirect enum Plan {
        case leaf(Int)
        /// A filter (`title:`, `key:`): its documents are `results[i]`, scoring 0.
        case filter(Int)
        case and([Plan], excluded: [Plan])
        case or([Plan])
    }

    struct Compiler {
        let searcher: Searcher
        let bm25: BM25
        var leaves: [PhraseClause] = []
        /// The documents of each filter (global numbers, increasing, live); filter i is
        /// `results[leaves.count + i]` at evaluation.
        var filters: [[Int]] = []

        mutating func compile(_ query: Query) throws -> Plan {
            switch query.node {
            case .title(let text):
                if text.allSatisfy(\.isWhitespace) { throw QueryError(.emptyPhrase, at: query.sourcePosition) }
                filters.append(try searcher.titleMatches(text, sourcePosition: query.sourcePosition, bm25: bm25))
                return .filter(filters.count - 1)
            case .key(let pattern):
                filters.append(try searcher.keyMatches(pattern, sourcePosition: query.sourcePosition))
                return .filter(filters.count - 1)
            case .prefix(let text):
                let terms = try searcher.prefixTerms(text, sourcePosition: query.sourcePosition)
                var alternatives: [Plan] = []
                for term in terms {
                    leaves.append(try PhraseClause(term: term, index: searcher.index, bm25: bm25))
                    alternatives.append(.leaf(leaves.count - 1))
                }
                return alternatives.count == 1 ? alternatives[0] : .or(alternatives)
            case .phrase(let text):
                if text.allSatisfy(\.isWhitespace) { throw QueryError(.emptyPhrase, at: query.sourcePosition) }
                leaves.append(try PhraseClause(text: text, sourcePosition: query.sourcePosition,
                                               analyzer: searcher.analyzer, index: searcher.index, bm25: bm25))
                return .leaf(leaves.count - 1)
            case .and(let clauses):
                if clauses.isEmpty { throw QueryError(.emptyGroup, at: query.sourcePosition) }
                var positive: [Plan] = []
                var excluded: [Plan] = []
                for clause in clauses {
                    if case .not(let inner) = clause.node {
                        excluded.append(try compile(inner))
                    } else {
                        positive.append(try compile(clause))
                    }
                }
                if positive.isEmpty { throw QueryError(.onlyExclusions, at: clauses[0].sourcePosition ?? query.sourcePosition) }
                if positive.count == 1, excluded.isEmpty { return positive[0] }
                return .and(positive, excluded: excluded)
            case .or(let clauses):
                if clauses.isEmpty { throw QueryError(.emptyGroup, at: query.sourcePosition) }
                var alternatives: [Plan] = []
                for clause in clauses {
                    if case .not = clause.node { throw QueryError(.misplacedNot, at: clause.sourcePosition) }
                    alternatives.append(try compile(clause))
                }
                return alternatives.count == 1 ? alternatives[0] : .or(alternatives)
            case .not:
                throw QueryError(.onlyExclusions, at: query.sourcePosition)
            }
        }
    }

    // MARK: - Evaluation over sorted document lists

    struct Scored {
        var documents: [Int] = []
        var scores: [Double] = []
    }

    func evaluate(_ plan: Plan, _ results: [(documents: [Int], frequencies: [Int])], _ leaves: [PhraseClause],
                  _ bm25: BM25, _ avgdl: Double) throws -> Scored {
        switch plan {
        case .filter(let i):
            let documents = results[leaves.count + i].documents
            return Scored(documents: documents, scores: [Double](repeating: 0, count: documents.count))
        case .leaf(let i):
            let (documents, frequencies) = results[i]
            let idf = leaves[i].idf
            var scores: [Double] = []
            scores.reserveCapacity(documents.count)
            for j in documents.indices {
                scores.append(bm25.score(idf: idf, frequency: frequencies[j],
                                         documentLength: try index.documentLength(documents[j]), averageDocumentLength: avgdl))
            }
            return Scored(documents: documents, scores: scores)
        case .and(let positive, let excluded):
            var parts = try positive.map { try evaluate($0, results, leaves, bm25, avgdl) }
            parts.sort { $0.documents.count < $1.documents.count }
            var acc = parts[0]
            for part in parts.dropFirst() { acc = Self.intersect(acc, part) }
            for plan in excluded { acc = Self.subtract(acc, try evaluate(plan, results, leaves, bm25, avgdl).documents) }
            return acc
        case .or(let alternatives):
            var acc = Scored()
            for plan in alternatives { acc = Self.unite(acc, try evaluate(plan, results, leaves, bm25, avgdl)) }
            return acc
        }
    }

    static func intersect(_ a: Scored, _ b: Scored) -> Scored {
        var out = Scored()
        var i = 0, j = 0
        while i < a.documents.count, j < b.documents.count {
            let x = a.documents[i], y = b.documents[j]
            if x < y { i += 1 } else if y < x { j += 1 } else {
                out.documents.append(x); out.scores.append(a.scores[i] + b.scores[j]); i += 1; j += 1
            }
        }
        return out
    }

    static func unite(_ a: Scored, _ b: Scored) -> Scored {
        var out = Scored()
        out.documents.reserveCapacity(a.documents.count + b.documents.count)
        out.scores.reserveCapacity(a.documents.count + b.documents.count)
        var i = 0, j = 0
        while i < a.documents.count || j < b.documents.count {
            if j == b.documents.count || (i < a.documents.count && a.documents[i] < b.documents[j]) {
                out.documents.append(a.documents[i]); out.scores.append(a.scores[i]); i += 1
            } else if i == a.documents.count || b.documents[j] < a.documents[i] {
                out.documents.append(b.documents[j]); out.scores.append(b.scores[j]); j += 1
            } else {
                out.documents.append(a.documents[i]); out.scores.append(a.scores[i] + b.scores[j]); i += 1; j += 1
            }
        }
        return out
    }

    static func subtract(_ a: Scored, _ b: [Int]) -> Scored {
        var out = Scored()
        var j = 0
        for i in a.documents.indices {
            let x = a.documents[i]
            while j < b.count, b[j] < x { j += 1 }
            if j < b.count, b[j] == x { continue }
            out.documents.append(x); out.scores.append(a.scores[i])
        }
        return out
    }

    /// The leaves that contribute to document `d`'s score, in query order, each with its
    /// frequency in `d` (nil: `d` does not match). Filter i's documents are `results[filterBase + i]`.
    static func contributions(_ plan: Plan, _ d: Int, _ results: [(documents: [Int], frequencies: [Int])],
                              filterBase: Int) -> [(leaf: Int, frequency: Int)]? {
        switch plan {
        case .filter(let i):
            return contains(results[filterBase + i].documents, d) ? [] : nil
        case .leaf(let i):
            let f = frequency(results[i], d)
            return f > 0 ? [(i, f)] : nil
        case .and(let positive, let excluded):
            var out: [(leaf: Int, frequency: Int)] = []
            for p in positive {
                guard let c = contributions(p, d, results, filterBase: filterBase) else { return nil }
                out += c
            }
            for e in excluded where contributions(e, d, results, filterBase: filterBase) != nil { return nil }
            return out
        case .or(let alternatives):
            let matched = alternatives.compactMap { contributions($0, d, results, filterBase: filterBase) }
            return matched.isEmpty ? nil : matched.flatMap { $0 }
        }
    }

    /// Whether the increasing list `documents` holds `d` (binary search).
    static func contains(_ documents: [Int], _ d: Int) -> Bool {
        var lo = 0, hi = documents.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if documents[mid] < d { lo = mid + 1 } else { hi = mid }
        }
        return lo < documents.count && documents[lo] == d
    }

    // MARK: - Fields and prefixes

    /// The live documents whose title contains `text` as a phrase: the phrase is matched in an
    /// index of the titles alone (built once per searcher, with the index's analyzer
    /// configuration), so title matching follows exactly the rules of text matching.
    func titleMatches(_ text: String, sourcePosition: Int?, bm25: BM25) throws -> [Int] {
        let titleIndex = try titles.index(for: index)
        let clause = try PhraseClause(text: text, sourcePosition: sourcePosition, analyzer: analyzer,
                                      index: titleIndex, bm25: bm25)
        // the title index numbers documents as the searched index does (deleted ones included)
        return try clause.matches(in: titleIndex).documents.filter { !index.isDeleted($0) }
    }

    /// The live documents whose key matches `pattern`: a glob when it has `*`, `?` or `[` (`*`
    /// matches `/` too), else a prefix. A malformed glob is a ``QueryError`` (fnmatch would take
    /// it as matching nothing, or a `[` itself). Globs match the whole key, NUL bytes included
    /// (``KeyGlob``: fnmatch's rules on bytes; fnmatch itself stopped at a key's first NUL).
    func keyMatches(_ pattern: String, sourcePosition: Int? = nil) throws -> [Int] {
        let isGlob = GlobSyntax.isGlob(pattern)
        if isGlob, let problem = GlobSyntax.problem(pattern) {
            throw QueryError(.invalidGlob(pattern, problem: problem), at: sourcePosition)
        }
        let glob = KeyGlob(pattern)
        var out: [Int] = []
        for d in 0..<index.maxDocument where !index.isDeleted(d) {
            let key = try index.documentKey(d)
            if isGlob ? glob.matches(key) : key.hasPrefix(pattern) { out.append(d) }
        }
        return out
    }

    /// The words (and numbers) of the index's live documents that start with `text` once
    /// analyzed, in byte order; at most ``maxPrefixExpansion``, else an error.
    func prefixTerms(_ text: String, sourcePosition: Int?) throws -> [String] {
        let analyzed = try analyzer.analyze(text)
        guard analyzed.count == 1, analyzed[0].kind == .word || analyzed[0].kind == .number else {
            throw QueryError(.prefixNotAWord(text), at: sourcePosition)
        }
        let prefix = analyzed[0].term
        // per term: in some segment, a live document holds it (a fresh build of the live
        // documents would have exactly these terms)
        var live: [String: Bool] = [:]
        for segment in index.segments {
            for info in try segment.reader.terms(withPrefix: prefix) where info.kind == .word || info.kind == .number {
                if live[info.term] == true { continue }
                live[info.term] = segment.deletions.isEmpty ? true : try PhraseClause.countDocuments([info], in: segment) > 0
            }
        }
        let terms = live.filter(\.value).keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if terms.count > Self.maxPrefixExpansion {
            throw QueryError(.prefixTooBroad(text, count: terms.count, limit: Self.maxPrefixExpansion), at: sourcePosition)
        }
        return terms
    }

    /// The frequency of document `d` in a leaf's results (binary search), 0 when absent.
    static func frequency(_ result: (documents: [Int], frequencies: [Int]), _ d: Int) -> Int {
        var lo = 0, hi = result.documents.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if result.documents[mid] < d { lo = mid + 1 } else { hi = mid }
        }
        return lo < result.documents.count && result.documents[lo] == d ? result.frequencies[lo] : 0
    }
}

/// An index of an index's titles (document i's text is document i's title), built on first use.
final class TitleIndex: @unchecked Sendable {
    private let lock = Lock()
    private var built: IndexReader?

    func index(for index: IndexReader) throws -> IndexReader {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let writer = try SegmentWriter(configuration: index.configuration, storesText: false)
        for d in 0..<index.maxDocument {
            try writer.addDocument(key: String(d), text: index.isDeleted(d) ? "" : try index.documentTitle(d))
        }
        let reader = try IndexReader(segment: try writer.makeIndex())
        built = reader
        return reader
    }
}

/// One analyzer per configuration, shared by all searchers (analyzers are immutable and Sendable).
final class AnalyzerCache: @unchecked Sendable {
    static let shared = AnalyzerCache()
    private let lock = Lock()
    /// A list, not a dictionary: a process meets one or two configurations, and the first use of
    /// a `Dictionary` keyed by a type costs a scan of every protocol-conformance record.
    private var analyzers: [(configuration: AnalyzerConfiguration, analyzer: Analyzer)] = []

    func analyzer(for configuration: AnalyzerConfiguration) throws -> Analyzer {
        lock.lock()
        defer { lock.unlock() }
        if let known = analyzers.first(where: { $0.configuration == configuration }) { return known.analyzer }
        let analyzer = try Analyzer(configuration: configuration)
        analyzers.append((configuration, analyzer))
        return analyzer
    }
}

extension IndexReader {
    /// Searches with the query language: `try index.search("集体协商", limit: 10)`.
    /// Throws ``QueryError`` for a malformed query, `IndexError` for a damaged index.
    public func search(_ text: String, limit: Int = 10) throws -> SearchResults {
        try Searcher(index: self).search(text, options: SearchOptions(limit: limit))
    }

    /// Searches with the query language and explicit options.
    public func search(_ text: String, options: SearchOptions) throws -> SearchResults {
        try Searcher(index: self).search(text, options: options)
    }

    /// Runs a query built in code: `try index.search(.and([.phrase("集体"), .not(.phrase("协商"))]))`.
    public func search(_ query: Query, options: SearchOptions = SearchOptions()) throws -> SearchResults {
        try Searcher(index: self).search(query, options: options)
    }
}

extension SegmentReader {
    /// Searches one segment on its own (a segment built in memory with ``SegmentWriter``).
    public func search(_ text: String, limit: Int = 10) throws -> SearchResults {
        try IndexReader(segment: self).search(text, limit: limit)
    }

    /// Searches one segment on its own with explicit options.
    public func search(_ text: String, options: SearchOptions) throws -> SearchResults {
        try IndexReader(segment: self).search(text, options: options)
    }

    /// Runs a query built in code against one segment.
    public func search(_ query: Query, options: SearchOptions = SearchOptions()) throws -> SearchResults {
        try IndexReader(segment: self).search(query, options: options)
    }
}
