import Foundation
import Sou

/// An independent reference for the searcher: scores queries by recounting over the raw
/// analyzer output of every document text (never reading the index), with the BM25 formula
/// written out again. Slow and simple on purpose.
struct BruteForceScorer {
    struct Document {
        var key: String
        /// Analyzer tokens' terms by slot.
        var terms: [Int: [String]] = [:]
        /// The CJK character at each slot (from bigrams' two characters and unigrams).
        var characters: [Int: String] = [:]
        var length: Int
    }

    let analyzer: Analyzer
    var documents: [Document] = []
    let bm25: BM25

    init(texts: [(key: String, text: String)], analyzer: Analyzer, bm25: BM25 = .standard) {
        self.analyzer = analyzer
        self.bm25 = bm25
        for (key, text) in texts {
            let tokens = analyzer.analyzeRecordingIssues(text)
            var document = Document(key: key, length: tokens.count)
            for token in tokens {
                document.terms[token.position, default: []].append(token.term)
                let chars = token.term.map(String.init)
                if token.kind == .bigram, chars.count == 2 {
                    document.characters[token.position] = chars[0]
                    document.characters[token.position + 1] = chars[1]
                } else if token.kind == .unigram {
                    document.characters[token.position] = token.term
                }
            }
            documents.append(document)
        }
    }

    var averageLength: Double {
        documents.isEmpty ? 0 : Double(documents.reduce(0) { $0 + $1.length }) / Double(documents.count)
    }

    /// (term or character, slot offset, is a lone character) for a phrase text.
    func phrase(_ text: String) -> [(String, Int, Bool)] {
        let tokens = analyzer.analyzeRecordingIssues(text)
        guard let first = tokens.first else { return [] }
        return tokens.map { ($0.term, $0.position - first.position, $0.kind == .unigram) }
    }

    func occurs(_ element: (String, Int, Bool), in d: Document, at slot: Int) -> Bool {
        element.2 ? d.characters[slot] == element.0 : (d.terms[slot]?.contains(element.0) ?? false)
    }

    func frequency(_ phrase: [(String, Int, Bool)], in d: Document) -> Int {
        guard !phrase.isEmpty else { return 0 }
        let slots = Set(d.terms.keys).union(d.characters.keys)
        return slots.filter { p in phrase.allSatisfy { occurs($0, in: d, at: p + $0.1) } }.count
    }

    func idf(_ phrase: [(String, Int, Bool)]) -> Double {
        phrase.reduce(0.0) { sum, element in
            let n = documents.filter { d in
                element.2 ? d.characters.values.contains(element.0) : d.terms.values.contains { $0.contains(element.0) }
            }.count
            return sum + log(1 + (Double(documents.count) - Double(n) + 0.5) / (Double(n) + 0.5))
        }
    }

    /// Score of every matching document (nil: no match), by the query's tree.
    func score(_ query: Query, _ d: Document) -> Double? {
        switch query.node {
        case .phrase(let text):
            let p = phrase(text)
            let f = frequency(p, in: d)
            guard f > 0 else { return nil }
            let k = bm25.k1 * (1 - bm25.b + bm25.b * Double(d.length) / averageLength)
            return idf(p) * Double(f) / (Double(f) + k)
        case .and(let clauses):
            var total = 0.0
            for clause in clauses {
                if case .not(let inner) = clause.node {
                    if score(inner, d) != nil { return nil }
                } else {
                    guard let s = score(clause, d) else { return nil }
                    total += s
                }
            }
            return total
        case .or(let clauses):
            let scores = clauses.compactMap { score($0, d) }
            return scores.isEmpty ? nil : scores.reduce(0, +)
        case .not:
            return nil
        case .title, .key, .prefix:
            preconditionFailure("field and prefix queries are checked against their own oracles (FieldQueryTests)")
        }
    }

    /// All matches, by key, with scores.
    func search(_ query: Query) -> [String: Double] {
        var out: [String: Double] = [:]
        for d in documents { if let s = score(query, d) { out[d.key] = s } }
        return out
    }
}

/// The exactness oracle: documents whose text contains the query as a substring after NFKC,
/// lower-casing and joining soft line breaks between Han/Kana characters.
enum SubstringOracle {
    static func isHanKana(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3005, 0x3007, 0x3021...0x3029, 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xF900...0xFAFF, 0x20000...0x3FFFF: true
        default: false
        }
    }

    static func normalize(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased().precomposedStringWithCompatibilityMapping
        var scalars = Array(folded.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "\n" || s == "\r", let previous = out.last, isHanKana(previous) {
                var j = i
                while j < scalars.count, scalars[j] == "\n" || scalars[j] == "\r" { j += 1 }
                if j < scalars.count, isHanKana(scalars[j]) { i = j; continue }
            }
            out.append(s)
            i += 1
        }
        scalars = []
        return String(out)
    }

}

/// ``SubstringOracle`` over a fixed set of texts (normalized once).
struct OracleCorpus {
    let keys: [String]
    let normalized: [String]

    init(_ texts: [(key: String, text: String)]) {
        keys = texts.map(\.key)
        normalized = texts.map { SubstringOracle.normalize($0.text) }
    }

    /// Keys of the documents containing `query` (normalized the same way).
    func matches(_ query: String) -> Set<String> {
        let q = SubstringOracle.normalize(query)
        var out = Set<String>()
        for i in keys.indices where normalized[i].range(of: q) != nil { out.insert(keys[i]) }
        return out
    }
}
