// Sou (搜): full-text search for Chinese, Japanese and Korean text. `import Sou` gives the
// whole library: analysis (SouAnalysis), indexing (SouIndexing) and search (SouSearch).
//
// Build an index file, search it, update it:
//
//     import Sou
//
//     let writer = try IndexWriter(path: "notes.sou")
//     try writer.add(key: "a", title: "工会", text: "职工代表参加集体协商会议。")
//     try writer.add(key: "b", text: "iPhone 手机的价格是6.84元")
//     try writer.commit()
//     let index = try IndexReader(path: "notes.sou")
//     let results = try index.search("集体协商", limit: 10)
//     for hit in results.hits { print(hit.key, hit.score, hit.snippets.map(\.text)) }
//     try writer.delete(key: "a"); try writer.commit()
//     print(try index.reopen().documentCount)     // 1
//
// The layers, bottom to top:
// - `Analyzer` (SouAnalysis) turns text into tokens: CJK runs into overlapping bigrams at
//   per-character slots, other scripts into NFKC-casefolded words and numbers.
// - `IndexWriter` keeps one index file of immutable segments and commits (add, replace and
//   delete by key, merge); `IndexReader` memory-maps one commit and is `Sendable`: search it
//   from many threads at once.
// - `Query`/`QueryParser` (the query language: exact phrases, AND by whitespace, `OR`, `-`,
//   parentheses, quotes), `Searcher`/`IndexReader.search` (phrase matching on slots, `BM25`
//   ranking in Lucene's form, a bounded top-k heap, exact totals, `Snippet`s with merged
//   highlights, `Explanation`s of scores).
@_exported import SouAnalysis
@_exported import SouIndexing
@_exported import SouSearch
