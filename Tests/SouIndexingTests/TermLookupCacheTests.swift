import Foundation
import SouTestSupport
import Testing
@testable import SouIndexing

/// A snapshot's look-ups of a term across its segments (`IndexReader.entries(of:)`), whose answers
/// it keeps (TermLookupCache): what it answers, and that damaged bytes are never answered from it.
@Suite("Term look-ups kept by a snapshot")
struct TermLookupCacheTests {
    @Test("a snapshot of several segments answers each term with every segment's own entry (present in both, in one, in none), the same when asked again, and keeps the answers")
    func keptAnswersEqualTheDictionaries() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = try IndexReader(path: try TermFilterTests.twoSegments(in: folder))
        #expect(index.segments.count == 2)
        var terms = Set<String>()
        for segment in index.segments { for info in try segment.reader.terms(withPrefix: "") { terms.insert(info.term) } }
        // absent terms too: every term with a character appended that no text has
        let keys = terms.sorted() + terms.sorted().prefix(300).map { $0 + "\u{E000}" }
        var present = (both: 0, one: 0, none: 0)
        for round in 0..<2 {
            for term in keys {
                let got = try index.entries(of: TermKey(term))
                let want = try index.segments.map { try $0.reader.termInfo(term) }
                #expect(got.count == 2)
                #expect((0..<2).allSatisfy { Array(got[$0]) == (want[$0].map { [$0] } ?? []) }, "\(term), round \(round)")
                #expect(got.entries == want.compactMap { $0 })
                if round == 0 {
                    switch want.compactMap({ $0 }).count {
                    case 2: present.both += 1
                    case 1: present.one += 1
                    default: present.none += 1
                    }
                }
            }
        }
        #expect(present.both > 100 && present.one > 100 && present.none == 300, "the fixture covers each case: \(present)")
        #expect(index.lookups.count > 0 && index.lookups.count <= index.lookups.slotCount)
    }

    @Test("threads sharing one snapshot get each term's own entries while they fill and replace the kept answers")
    func sharedBetweenThreads() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = try IndexReader(path: try TermFilterTests.twoSegments(in: folder))
        var terms = Set<String>()
        for segment in index.segments { for info in try segment.reader.terms(withPrefix: "") { terms.insert(info.term) } }
        let keys = terms.sorted()
        #expect(keys.count > index.lookups.slotCount, "more terms than slots: answers are replaced")
        let want = try keys.map { term in try index.segments.compactMap { try $0.reader.termInfo(term) } }
        let wrong = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            // each thread in its own order, twice over
            for round in 0..<2 {
                for j in keys.indices {
                    let i = (j * (2 * t + 1) + round * 7) % keys.count
                    if (try? index.entries(of: TermKey(keys[i])).entries) != want[i] { wrong.add() }
                }
            }
        }
        #expect(wrong.value == 0)
    }

    /// A count shared between threads.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    @Test("the kept answers are bounded: at most a slot per term, fewer slots the more segments")
    func bounded() {
        #expect(TermLookupCache(segments: 1).slotCount == 4_096)
        #expect(TermLookupCache(segments: 10).slotCount == 4_096)
        #expect(TermLookupCache(segments: 100).slotCount == 512)
        #expect(TermLookupCache(segments: 100_000).slotCount == 64)
        for segments in [1, 2, 10, 16, 17, 100, 1_000] {
            let n = TermLookupCache(segments: segments).slotCount
            #expect(n & (n - 1) == 0 && n >= 64 && n <= 4_096)
            #expect(n <= 64 || n * segments <= 65_536)
        }
    }

    @Test("a look-up that meets damaged dictionary bytes throws every time it is asked, never a kept answer")
    func damageIsNotKept() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try TermFilterTests.twoSegments(in: folder)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let clean = try IndexReader(bytes: bytes)
        let update = clean.segments[1]
        let terms = try update.reader.terms(withPrefix: "").map(\.term)
        // the update segment's dictionary blocks, as offsets in the file
        let blocks = update.entry.offset + update.reader.blocksStart
        let end = update.entry.offset + update.reader.termsRange.upperBound
        var rng = SplitMix64(seed: 99)
        var thrown = 0, answered = 0, opened = 0
        for _ in 0..<30 {
            var damaged = bytes
            let at = blocks + Int(rng.next() % UInt64(end - blocks))
            damaged[at] ^= UInt8(1 + rng.next() % 255)
            guard let index = try? IndexReader(bytes: damaged) else { continue }
            opened += 1
            for term in terms {
                let key = TermKey(term)
                switch Result(catching: { try index.entries(of: key) }) {
                case .failure:
                    thrown += 1
                    #expect(throws: IndexError.self) { _ = try index.entries(of: key) }
                    #expect(throws: IndexError.self) { _ = try index.entries(of: key) }
                case .success(let first):
                    answered += 1
                    #expect(try index.entries(of: key).entries == first.entries)
                }
            }
        }
        #expect(opened > 0 && thrown > 0, "some damage was met (\(opened) damaged copies opened, \(thrown) look-ups threw)")
        #expect(answered > 0)
    }
}
