import Sou

/// The query parser on arbitrary text; a query that parses is printed and parsed again (the
/// documented round trip: an equal query, unless a phrase holds `"` or the fully parenthesized
/// form nests too deep), then searched in a small index with snippets and explanations. Checked:
/// errors point inside the text; the round trip; results are at most the limit, no more than
/// the total, best first; highlights lie inside their line, increasing, not overlapping.
enum QueryTarget {
    static let index: IndexReader = try! IndexReader(bytes: Seeds.containerBytes())

    static func hasQuote(_ q: Query) -> Bool {
        switch q.node {
        case .phrase(let text): text.contains("\"")
        case .and(let c), .or(let c): c.contains(where: hasQuote)
        case .not(let c): hasQuote(c)
        case .title(let text), .key(let text), .prefix(let text): text.contains("\"")
        }
    }

    static func run(_ data: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: data, as: UTF8.self)
        let query: Query
        do {
            query = try QueryParser.parse(text)
        } catch {
            if let p = error.position { require(p >= 0 && p <= text.count, "error \(error) at \(p) in a text of \(text.count) characters") }
            return
        }
        if !hasQuote(query) {
            do {
                let again = try QueryParser.parse(query.description)
                require(again == query, "\(text.debugDescription) parses to \(query), which parses to \(again)")
            } catch {
                require(error.kind == .nestingTooDeep, "\(text.debugDescription) parses to \(query), which does not parse: \(error)")
            }
        }
        let limit = Int(data.count % 4) + 1
        let results: SearchResults
        do {
            results = try index.search(query, options: SearchOptions(limit: limit, explains: true))
        } catch {
            return      // a query clause without searchable text, for instance
        }
        require(results.hits.count <= limit && results.hits.count <= results.total,
                "\(results.hits.count) hits for a limit of \(limit) and a total of \(results.total)")
        for (a, b) in zip(results.hits, results.hits.dropFirst()) {
            require(a.score >= b.score, "hit \(a.rank) scores \(a.score) before hit \(b.rank) with \(b.score)")
        }
        for hit in results.hits {
            for s in hit.snippets {
                let n = s.text.utf8.count
                var end = -1     // touching highlights are merged: each starts after the last one's end
                for h in s.highlights {
                    require(h.lowerBound > end && h.lowerBound < h.upperBound && h.upperBound <= n,
                            "highlight \(h) after \(end) in a line of \(n) bytes: \(s.text.debugDescription)")
                    end = h.upperBound
                }
            }
        }
    }
}
