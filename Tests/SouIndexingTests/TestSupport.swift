import Foundation
import SouAnalysis
import SouTestSupport
@testable import SouIndexing

/// The postings an index must hold, recomputed from the analyzer's raw output (not from the index).
struct ExpectedIndex {
    var postings: [String: [(doc: Int, positions: [Int])]] = [:]
    var kinds: [String: TokenKind] = [:]
    var lengths: [Int] = []
    /// The bigrams that end a run in some document (FORMAT.md "BigramEnds").
    var endingRuns: Set<String> = []

    init(texts: [String], configuration: AnalyzerConfiguration = AnalyzerConfiguration()) throws {
        let analyzer = try Analyzer(configuration: configuration)
        for (doc, text) in texts.enumerated() {
            let tokens = try analyzer.analyze(text)
            lengths.append(tokens.count)
            var occurrences: [String: [Int]] = [:]
            for (i, t) in tokens.enumerated() {
                occurrences[t.term, default: []].append(t.position)
                if kinds[t.term] == nil { kinds[t.term] = t.kind }
                if t.kind == .bigram {
                    let next = i + 1 < tokens.count ? tokens[i + 1] : nil
                    if !(next?.kind == .bigram && next?.position == t.position + 1) { endingRuns.insert(t.term) }
                }
            }
            for (term, positions) in occurrences {
                postings[term, default: []].append((doc, positions.sorted()))
            }
        }
    }

    var sortedTerms: [String] {
        postings.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}

/// Reads every posting of `term` from `index`.
func readPostings(_ index: SegmentReader, _ term: TermInfo) throws -> [(doc: Int, positions: [Int])] {
    var cursor = try index.postings(term)
    var result: [(doc: Int, positions: [Int])] = []
    while let d = try cursor.next() {
        result.append((d, try cursor.positions()))
    }
    return result
}

func makeIndex(_ texts: [String], storesText: Bool = true, keys: [String]? = nil) throws -> SegmentReader {
    let writer = try SegmentWriter(storesText: storesText)
    for (i, t) in texts.enumerated() {
        try writer.addDocument(key: keys?[i] ?? "doc\(i)", title: "title \(i)", text: t)
    }
    return try writer.makeIndex()
}

/// A suite that runs the `sou` executable on files of a folder of its own.
protocol ExecutableFolder {
    var sou: URL { get }
    var folder: URL { get }
}

extension ExecutableFolder {
    /// `name`'s path in the folder.
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the folder; returns its path.
    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        try write(text, to: path(name))
        return path(name)
    }
}

/// A fresh temporary folder, removed by the caller.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sou-index-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Pseudo-random CJK/Latin text.
func randomText(_ rng: inout SplitMix64, length: Int) -> String {
    let han = Array("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切胡"); let latin = ["the", "index", "swift", "2024", "6.84", "apple", "Zebra"]
    var s = ""
    for _ in 0..<length {
        switch rng.next() % 10 {
        case 0: s += " " + latin[Int(rng.next() % UInt64(latin.count))] + " "
        case 1: s += "。"
        case 2: s += "\n"
        default: s.append(han[Int(rng.next() % UInt64(han.count))])
        }
    }
    return s
}

/// Writes an index file holding `documents` (one commit, one segment) through ``IndexWriter``.
func writeIndexFile(_ documents: [(key: String, title: String, text: String)], to url: URL, storesText: Bool = true) throws {
    var options = IndexWriterOptions()
    options.storesText = storesText
    let writer = try IndexWriter(path: url.path, mode: .rebuild, options: options)
    for d in documents { try writer.add(key: d.key, title: d.title, text: d.text) }
    try writer.commit()
}

/// The one segment of the index file at `url`.
func openSingleSegment(_ url: URL) throws -> SegmentReader {
    let reader = try IndexReader(contentsOf: url)
    guard reader.segments.count == 1 else { throw IndexError.corrupt("expected one segment, found \(reader.segments.count)") }
    return reader.segments[0].reader
}

/// An index file holding `segment` (the bytes of one segment, as `SegmentWriter.serialize()`
/// makes them) as its only segment, in one commit: the segment starts at byte
/// ``segmentOffsetInFile``.
func containerBytes(segment: [UInt8]) throws -> [UInt8] {
    let reader = try SegmentReader(bytes: segment)
    let entry = CommitRecord.Segment(id: 0, offset: segmentOffsetInFile, length: segment.count, documentCount: reader.documentCount,
                                     deletedCount: 0, liveLength: reader.totalDocumentLength,
                                     deletionsOffset: 0, deletionsLength: 0, deletionsCRC: 0)
    let commit = CommitRecord(generation: 1, previousOffset: 0, configuration: reader.configuration,
                              storesText: reader.storesText, nextSegmentID: 1, segments: [entry]).encoded()
    var header = IndexWriter.emptyHeader()
    let slot = CommitSlot(generation: 1, offset: segmentOffsetInFile + segment.count, length: commit.count).encoded()
    header.replaceSubrange(40..<64, with: slot)
    return header + segment + commit
}

/// Where ``containerBytes(segment:)`` puts the segment.
let segmentOffsetInFile = 64

/// Runs `body` on a thread of its own. For blocking pipe I/O of child processes: on Dispatch's
/// global queue, whose width is the number of cores, a few blocked reads of other tests' children
/// starve the queue, and a child waiting for its stdin waits until it is killed.
func onOwnThread(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread { body() }
    thread.start()
}

/// Makes the index file at `path` claim the format version before this sou's (bytes 8–11 of
/// the header), as a file an older sou wrote.
func makeOlderFormatVersion(_ path: String) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[8] = UInt8(FileLayout.formatVersion - 1)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
