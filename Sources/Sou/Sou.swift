// Sou (搜): full-text search for Chinese, Japanese and Korean text. `import Sou` gives the
// whole library: analysis (SouAnalysis), indexing (SouIndexing) and search (SouSearch).
//
// Build an index from strings and search it:
//
//     import Sou
//
//     let writer = try IndexWriter()
//     try writer.addDocument(key: "a", title: "工会", text: "职工代表参加集体协商会议。")
//     try writer.addDocument(key: "b", text: "iPhone 手机的价格是6.84元")
//     let index = try writer.makeIndex()         // or writer.write(to: url), then SouIndex(contentsOf: url)
//     let results = try index.search("集体协商", limit: 10)
//     for hit in results.hits { print(hit.key, hit.score, hit.snippets.map(\.text)) }
//     let query = Query.and([.phrase("手机"), .not(.phrase("集体"))])
//     print(try index.search(query).total)     // 1
//
// The layers, bottom to top:
// - `Analyzer` (SouAnalysis) turns text into tokens: CJK runs into overlapping bigrams at
//   per-character slots, other scripts into NFKC-casefolded words and numbers.
// - `IndexWriter` builds an inverted index with positions and writes one checksummed file;
//   `SouIndex` memory-maps it and is `Sendable`: search it from many threads at once.
// - `Query`/`QueryParser` (the query language: exact phrases, AND by whitespace, `OR`, `-`,
//   parentheses, quotes), `Searcher`/`SouIndex.search` (phrase matching on slots, `BM25`
//   ranking in Lucene's form, a bounded top-k heap, exact totals, `Snippet`s with merged
//   highlights, `Explanation`s of scores).
@_exported import SouAnalysis
@_exported import SouIndexing
@_exported import SouSearch
