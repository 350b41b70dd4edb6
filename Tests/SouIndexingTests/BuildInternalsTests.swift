import Foundation
import SouAnalysis
import SouTestSupport
import Testing
@testable import SouIndexing

/// The codes of FORMAT.md written one bit at a time, as the format states them: the oracle of
/// ``BitWriter``'s word-at-a-time writes.
private struct ReferenceBits {
    var bits: [Bool] = []

    mutating func raw(_ v: UInt64, _ n: Int) { for i in 0..<n { bits.append(v >> UInt64(i) & 1 == 1) } }

    mutating func rice(_ v: UInt32, _ k: Int) {
        let q = Int(v >> UInt32(k))
        if q >= 32 {
            raw(UInt64(UInt32.max), 32)
            raw(UInt64(v), 32)
        } else {
            for _ in 0..<q { bits.append(true) }
            bits.append(false)
            raw(UInt64(v), k)
        }
    }

    mutating func gamma(_ v: UInt32) {
        let n = 31 - v.leadingZeroBitCount
        for _ in 0..<n { bits.append(true) }
        bits.append(false)
        raw(UInt64(v), n)
    }

    mutating func truncated(_ v: UInt32, below n: Int) {
        guard n > 1 else { return }
        var b = 0
        while (1 << b) < n { b += 1 }   // bit length of n − 1
        let u = (1 << b) - n
        if Int(v) < u {
            raw(UInt64(v), b - 1)
        } else {
            let w = Int(v) + u
            raw(UInt64(w >> 1), b - 1)
            raw(UInt64(w & 1), 1)
        }
    }

    /// Bytes, least significant bit first, the last one zero-padded.
    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            var byte: UInt8 = 0
            for i in start..<min(start + 8, bits.count) where bits[i] { byte |= 1 << UInt8(i - start) }
            return byte
        }
    }
}

@Suite("Building an index: the inverter's and the encoder's internals")
struct BuildInternalsTests {
    @Test("Rice, gamma and truncated binary codes are the bits FORMAT.md states, and read back", arguments: [1, 2, 3])
    func bitCodes(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var writer = BitWriter()
        var reference = ReferenceBits()
        enum Code { case rice(UInt32, Int), gamma(UInt32), truncated(UInt32, Int) }
        var codes: [Code] = []
        for _ in 0..<5000 {
            // values of every size: small ones most often, some past the Rice escape
            let magnitude = Int(rng.next() % 33)
            let v = magnitude == 32 ? UInt32(truncatingIfNeeded: rng.next()) : UInt32(rng.next() % (1 << UInt64(magnitude)))
            switch rng.next() % 3 {
            case 0:
                let k = Int(rng.next() % 25)
                codes.append(.rice(v, k)); writer.rice(v, k); reference.rice(v, k)
            case 1:
                let g = max(1, v)
                codes.append(.gamma(g)); writer.gamma(g); reference.gamma(g)
            default:
                let n = Int(rng.next() % 3 == 0 ? rng.next() % 5 + 1 : rng.next() % UInt64(Int32.max) + 1)
                let t = UInt32(Int(v) % n)
                codes.append(.truncated(t, n)); writer.truncated(t, below: n); reference.truncated(t, below: n)
            }
        }
        let bytes = writer.finish()
        #expect(bytes == reference.bytes)
        let storage = IndexStorage(copying: bytes)
        var reader = BitReader(storage.bytes, from: 0, end: bytes.count, context: "test")
        for code in codes {
            switch code {
            case .rice(let v, let k): #expect(try reader.rice(k) == v)
            case .gamma(let v): #expect(try reader.gamma() == v)
            case .truncated(let v, let n): #expect(try reader.truncated(below: n) == v)
            }
        }
    }

    /// Found by fuzz/index: a damaged slot-count field (its bit width in the document table's
    /// header) gave a slot count of 2^40, and decoding a first position below it trapped
    /// converting a 40-bit value to UInt32 in `sou check` and in every search.
    @Test("a truncated binary code below a slot count beyond Int32 throws as damage, never traps (found by fuzz/index)")
    func truncatedBelowHugeSlotCount() throws {
        let storage = IndexStorage(copying: [UInt8](repeating: 0xFF, count: 16))
        for n in [Int(Int32.max) + 1, 1 << 32, 1 << 40, Int.max] {
            var reader = BitReader(storage.bytes, from: 0, end: 16, context: "test")
            #expect(throws: IndexError.self, "n = \(n)") { _ = try reader.truncated(below: n) }
        }
        var reader = BitReader(storage.bytes, from: 0, end: 16, context: "test")
        #expect(try reader.truncated(below: Int(Int32.max)) == UInt32(Int32.max) - 1)
    }

    @Test("a run of Rice codes decoded at once, in pieces, skipped or summed gives the values of one-by-one decoding, escapes, stream ends and damage included",
          arguments: [4, 5, 6])
    func riceRuns(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for trial in 0..<400 {
            let k = Int(rng.next() % 25)
            let n = Int(rng.next() % 140) + 1
            // values around 2^k (long and short unary parts), some escaping, some long codes near
            // the 57-bit window's edge
            var values: [UInt32] = []
            for _ in 0..<n {
                switch rng.next() % 10 {
                case 0: values.append(UInt32(truncatingIfNeeded: rng.next()))
                case 1: values.append(UInt32(min(UInt64(UInt32.max), (rng.next() % 40) << UInt64(k))))
                default: values.append(UInt32(rng.next() % (UInt64(4) << UInt64(k))))
                }
            }
            // the run starts inside a byte, after 0...7 bits of something else
            let prefix = Int(rng.next() % 8)
            var writer = BitWriter()
            writer.write(rng.next(), bits: prefix)
            for v in values { writer.rice(v, k) }
            let bytes = writer.finish()
            // whole stream, and cut short by 1...3 bytes (then both decoders must throw)
            for cut in [0, 1, 3] where cut < bytes.count {
                let storage = IndexStorage(copying: bytes)
                var one = BitReader(storage.bytes, from: 0, end: bytes.count - cut, context: "test")
                var run = one
                _ = try one.read(bits: prefix)
                _ = try run.read(bits: prefix)
                var expected: [UInt32] = []
                var oneFailed = false
                for _ in 0..<n {
                    do { expected.append(try one.rice(k)) } catch { oneFailed = true; break }
                }
                var out = [UInt32](repeating: 0, count: n)
                var runFailed = false
                do {
                    try out.withUnsafeMutableBufferPointer { try run.rice(k, count: n, into: $0.baseAddress!) }
                } catch { runFailed = true }
                // in pieces of 1...20 values, one run after the other from where the last stopped
                // (how a block of position gaps is decoded as far as the gaps read)
                var pieces = BitReader(storage.bytes, from: 0, end: bytes.count - cut, context: "test")
                _ = try pieces.read(bits: prefix)
                var piecewise = [UInt32](repeating: 0, count: n)
                var piecesFailed = false
                var done = 0
                while done < n {
                    let m = min(n - done, Int(rng.next() % 20) + 1)
                    do {
                        try piecewise.withUnsafeMutableBufferPointer { try pieces.rice(k, count: m, into: $0.baseAddress! + done) }
                    } catch { piecesFailed = true; break }
                    done += m
                }
                #expect(runFailed == oneFailed, "trial \(trial) k \(k) cut \(cut)")
                #expect(piecesFailed == oneFailed, "trial \(trial) k \(k) cut \(cut)")
                if !oneFailed {
                    #expect(out == expected, "trial \(trial) k \(k)")
                    #expect(out == values, "trial \(trial) k \(k)")
                    #expect(piecewise == values, "trial \(trial) k \(k)")
                    #expect(run.byteOffset == one.byteOffset)
                    #expect(pieces.byteOffset == one.byteOffset)
                }
                // skipping s codes, then reading the others one by one: the values after the
                // first s, or an error exactly when one-by-one decoding fails
                let s = Int(rng.next() % UInt64(n + 1))
                var skipper = BitReader(storage.bytes, from: 0, end: bytes.count - cut, context: "test")
                _ = try skipper.read(bits: prefix)
                var rest: [UInt32] = []
                var skipFailed = false
                do {
                    try skipper.skipRice(k, count: s)
                    for _ in s..<n { rest.append(try skipper.rice(k)) }
                } catch { skipFailed = true }
                #expect(skipFailed == oneFailed, "trial \(trial) k \(k) cut \(cut) skip \(s)")
                if !oneFailed {
                    #expect(rest == Array(values[s...]), "trial \(trial) k \(k) skip \(s)")
                    #expect(skipper.byteOffset == one.byteOffset)
                }
                // the summing fast path: the codes it reads (it stops before an escape or the
                // stream's last 8 bytes) are the first values, their running sums (+1 each) after
                // p, and one-by-one decoding goes on from where it stopped
                var summer = BitReader(storage.bytes, from: 0, end: bytes.count - cut, context: "test")
                _ = try summer.read(bits: prefix)
                var gaps = [UInt32](repeating: 0, count: n)
                var sums = [Int](repeating: 0, count: n)
                var p = 1000
                let read = gaps.withUnsafeMutableBufferPointer { g in
                    sums.withUnsafeMutableBufferPointer { summer.riceWords(k, count: n, into: g.baseAddress!, sums: $0.baseAddress!, after: &p) }
                }
                #expect(read <= n)
                var running = 1000
                for i in 0..<min(read, values.count) {
                    running += Int(values[i]) + 1
                    #expect(gaps[i] == values[i] && sums[i] == running, "trial \(trial) k \(k) cut \(cut) code \(i)")
                }
                #expect(p == running)
                var after: [UInt32] = []
                var afterFailed = false
                do { for _ in read..<n { after.append(try summer.rice(k)) } } catch { afterFailed = true }
                #expect(afterFailed == oneFailed, "trial \(trial) k \(k) cut \(cut)")
                if !oneFailed { #expect(Array(values[0..<read]) + after == values, "trial \(trial) k \(k)") }
            }
        }
    }

    @Test("the Rice parameter chosen over contiguous values is the one chosen value by value, escapes or not, and its cost is the values' bits")
    func riceParameter() {
        var rng = SplitMix64(seed: 9)
        for trial in 0..<3000 {
            let n = Int(rng.next() % 200) + 1
            // mostly geometric-like gaps; every third array has a few huge values (escapes)
            let scale = UInt64(1) << (rng.next() % 20)
            var values = (0..<n).map { _ in UInt32(rng.next() % scale) }
            if trial % 3 == 0 { values[Int(rng.next() % UInt64(n))] = UInt32(truncatingIfNeeded: rng.next()) }
            let fast = values.withUnsafeBufferPointer { RiceCoding.bestParameter(buffer: $0) }
            let slow = RiceCoding.bestParameter(generic: values)
            #expect(fast == slow, "\(values)")
            // the cost handed back with the parameter is the values' total bits under it
            let sum = values.reduce(UInt64(0)) { $0 + UInt64($1) }
            let withCost = values.withUnsafeBufferPointer {
                RiceCoding.bestParameterAndCost(buffer: $0, sum: sum, largest: values.max()!)
            }
            #expect(withCost.parameter == slow, "\(values)")
            #expect(withCost.cost == values.reduce(0) { $0 + RiceCoding.cost($1, slow) }, "\(values)")
        }
    }

    @Test("the pool's streams read back varint by varint give the values written and the bytes of byte-by-byte reading, across slices and pages")
    func poolStreamsReadBack() throws {
        var rng = SplitMix64(seed: 41)
        let pool = ByteSlicePool()
        // many streams written interleaved, so that their slices lie apart and pages fill up;
        // values of 1 to 5 varint bytes, so that varints straddle slice ends at every offset
        let streamCount = 300
        var cursors = try (0..<streamCount).map { _ in try pool.newStream() }
        let starts = cursors.map(\.write)
        var values = [[UInt32]](repeating: [], count: streamCount)
        var bytes = [[UInt8]](repeating: [], count: streamCount)
        for _ in 0..<60_000 {
            let s = Int(rng.next() % UInt64(streamCount)) % (1 + Int(rng.next() % UInt64(streamCount)))
            let width = [1, 1, 1, 2, 3, 4, 5][Int(rng.next() % 7)]
            let v = width == 5 ? UInt32(truncatingIfNeeded: rng.next()) | 1 << 28 : UInt32(rng.next() % (1 << (7 * UInt64(width))))
            try pool.appendVarint(v, to: &cursors[s])
            values[s].append(v)
            var w = v
            while w >= 0x80 { bytes[s].append(UInt8(truncatingIfNeeded: w) | 0x80); w >>= 7 }
            bytes[s].append(UInt8(w))
        }
        #expect(pool.pageCount > 1)
        // readers borrow the pool: it lives until they are done
        withExtendedLifetime(pool) {
        for s in 0..<streamCount {
            var fast = ByteSlicePool.Reader(pool: pool, start: starts[s], end: cursors[s].write)
            var slow = fast, raw = fast
            var gotFast: [UInt32] = [], gotSlow: [UInt32] = [], gotBytes: [UInt8] = []
            while !fast.isAtEnd { gotFast.append(fast.varint()) }
            while !slow.isAtEnd { gotSlow.append(slow.varintByBytes()) }
            while !raw.isAtEnd { gotBytes.append(raw.byte()) }
            #expect(gotFast == values[s])
            #expect(gotSlow == values[s])
            #expect(gotBytes == bytes[s])
        }
        }
    }

    @Test("terms come out in bytewise order, also among thousands sharing their first 8 bytes (comparison sort, 8-bit and 16-bit radix sorts; on one thread and, from 32,768 terms, merged from two)", arguments: [100, 5000, 40_000, 70_000])
    func sortedTerms(count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count))
        // words over a tiny alphabet with long shared prefixes, some with zero bytes and some a
        // prefix of others, and CJK bigrams (6 bytes)
        var words = Set<[UInt8]>()
        let prefixes: [[UInt8]] = [Array("abcdefgh".utf8), Array("abcdefg".utf8), [0x61, 0x00, 0x00], Array("集体".utf8), []]
        while words.count < count {
            var w = prefixes[Int(rng.next() % UInt64(prefixes.count))]
            for _ in 0..<Int(rng.next() % 12) { w.append([0x00, 0x61, 0x62, 0x7A, 0xE4][Int(rng.next() % 5)]) }
            if !w.isEmpty, w.count <= FileLayout.maxTermBytes { words.insert(w) }
        }
        let list = Array(words)
        var tokens = TokenBuffer()
        for (i, w) in list.enumerated() { try tokens.append(term: w, position: i, byteRange: 0..<1, kind: .word) }
        let segment = InvertedSegment()
        try segment.invert(document: 0, tokens: tokens)
        let expected = list.sorted { $0.lexicographicallyPrecedes($1) }
        for jobs in [1, 2] {
            let sorted = segment.sortedTermIDs(jobs: jobs).map { id in segment.withKey(Int(id)) { Array($0) } }
            #expect(sorted == expected, "jobs \(jobs)")
        }
    }

    @Test("the run-ending bigrams come out by character, then ordinal, as a full sort orders them (radix passes over the characters, one skipped when all share its digit)", arguments: [10, 5000, 70_000])
    func bigramEndsSortedByCharacter(count: Int) {
        var rng = SplitMix64(seed: UInt64(count) &+ 7)
        for characters in [[UInt32(0x4E00)], [0x4E00, 0x4E01, 0x30A2], [0x41, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF, 0x9FA5, 0xAC00]] {
            var ends: [UInt64] = []
            var ordinal = 0
            for _ in 0..<count {
                ordinal += 1 + Int(rng.next() % 3)
                let c = characters[Int(rng.next() % UInt64(characters.count))] &+ UInt32(rng.next() % 64)
                ends.append(UInt64(min(c, 0x10FFFF)) << 32 | UInt64(ordinal))
            }
            #expect(BigramEnds.Writer.sortedByCharacter(ends) == ends.sorted())
        }
    }

    @Test("the in-memory postings are a plain inversion of the tokens (over-long tokens left out), and exactly the bigrams that end a run somewhere are marked, whether the keys were hashed by the analyzing thread or by the inverter, across windows of 4,096 tokens")
    func inversionIsPlainInversion() throws {
        let analyzer = try Analyzer()
        var rng = SplitMix64(seed: 9)
        // documents of no token to more than two windows of tokens; Latin words, runs, one token
        // longer than any term may be, one key over 8 bytes
        var texts = (0..<40).map { _ in randomText(&rng, length: Int(rng.next() % 300)) }
        texts.append(randomText(&rng, length: 20_000))
        texts.append("")
        texts.append(String(repeating: "z", count: FileLayout.maxTermBytes + 1) + " 集体协商 encyclopaedia 集体")
        texts.append(randomText(&rng, length: 9_000))
        for given in [false, true] {
            let segment = InvertedSegment()
            // the oracle: term → document → positions, in token order; the bigrams ending a run
            var oracle: [[UInt8]: [Int: [Int]]] = [:]
            var endingRuns: Set<[UInt8]> = []
            var windows = 0
            for (d, text) in texts.enumerated() {
                var tokens = TokenBuffer()
                var t = text
                _ = try t.withUTF8 { try analyzer.analyze(utf8: $0, into: &tokens, firstPosition: 0) }
                windows = max(windows, (tokens.count + 4095) / 4096)
                let keys = given ? InvertedSegment.TokenKeys(of: tokens) : nil
                try segment.invert(document: d, tokens: tokens, range: 0..<tokens.count, keys: keys)
                for i in 0..<tokens.count {
                    let term = Array(tokens.termBytes[tokens.termRange(i)])
                    guard term.count <= FileLayout.maxTermBytes else { continue }
                    oracle[term, default: [:]][d, default: []].append(tokens.position(i))
                    let continues = i + 1 < tokens.count && tokens.kind(i + 1) == .bigram
                        && tokens.position(i + 1) == tokens.position(i) + 1
                    if tokens.kind(i) == .bigram && !continues { endingRuns.insert(term) }
                }
            }
            #expect(windows >= 3)
            #expect(segment.skippedTokens == 1)
            #expect(segment.termCount == oracle.count)
            var postings = DecodedPostings()
            for id in 0..<segment.termCount {
                let key = segment.withKey(id) { Array($0) }
                postings.decode(documents: segment.documentStream(id), positions: segment.positionStream(id))
                let view = postings.view
                var got: [Int: [Int]] = [:]
                var g = 0
                for j in 0..<view.documents.count {
                    var p = Int(view.firstPositions[j])
                    var list = [p]
                    for _ in 1..<Int(view.frequencies[j]) {
                        p += Int(view.positionGaps[g]) + 1
                        g += 1
                        list.append(p)
                    }
                    got[Int(view.documents[j])] = list
                }
                #expect(got == oracle[key], "term \(String(decoding: key, as: UTF8.self)), keys given: \(given)")
                #expect(segment.endsRun(id) == endingRuns.contains(key), "term \(String(decoding: key, as: UTF8.self)), keys given: \(given)")
            }
        }
    }

    @Test("the next batch in order goes to inversion before any batch is analyzed, to one worker at a time; the others analyze meanwhile")
    func pipelineTurns() throws {
        let analyzer = try Analyzer()
        let batchAnalyzer = BatchAnalyzer(analyzer: analyzer, storesText: false)
        var batches: [DocumentBatch] = []
        for n in 0..<4 {
            var b = DocumentBatch(firstDocument: 10 * n)
            b.append(SourceDocument(key: "k\(n)", title: "", text: "集体协商 \(n)"))
            batches.append(b)
        }
        let pipeline = BatchPipeline(capacity: 8)
        func analyzed() -> Int? {
            if case .analyze(let n, let b)? = pipeline.next() { #expect(b.firstDocument == 10 * n); return n }
            return nil
        }
        func inverted() -> Int? {
            if case .invert(let a)? = pipeline.next() { return a.batch.firstDocument / 10 }
            return nil
        }
        for n in 0..<3 { try pipeline.push(n, batches[n]) }
        #expect(analyzed() == 0)
        #expect(analyzed() == 1)
        pipeline.finish(1, try batchAnalyzer.analyze(batches[1]))
        // batch 1 is ready, but batch 0 is not: 1 waits
        #expect(analyzed() == 2)
        pipeline.finish(0, try batchAnalyzer.analyze(batches[0]))
        pipeline.finish(2, try batchAnalyzer.analyze(batches[2]))
        try pipeline.push(3, batches[3])
        // batch 0 first, though batch 3 waits to be analyzed
        #expect(inverted() == 0)
        // the turn is taken: batch 1 waits for it, batch 3 is analyzed meanwhile
        #expect(analyzed() == 3)
        pipeline.inverted()
        #expect(inverted() == 1)
        pipeline.inverted()
        #expect(inverted() == 2)
        pipeline.inverted()
        pipeline.finish(3, try batchAnalyzer.analyze(batches[3]))
        #expect(inverted() == 3)
        pipeline.inverted()
        #expect(pipeline.invertedCount == 4)
        pipeline.closeAndWait()
        #expect(pipeline.next() == nil)
    }

    @Test("the reader waits while the window holds its batches, or its minimum and text beyond the limit; an inverted batch makes room")
    func pipelineWindow() throws {
        let batchAnalyzer = BatchAnalyzer(analyzer: try Analyzer(), storesText: false)
        func batch(_ n: Int, bytes: Int) -> DocumentBatch {
            var b = DocumentBatch(firstDocument: n)
            b.append(SourceDocument(key: "k\(n)", title: "", text: String(repeating: "a", count: bytes)))
            return b
        }
        // Pushes `b` on another thread: whether it is still waiting after 50 ms, then (once
        // `release` made room) that it got in.
        func pushWaits(_ pipeline: BatchPipeline, _ n: Int, _ b: DocumentBatch, release: () throws -> Void) throws -> Bool {
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async { try? pipeline.push(n, b); done.signal() }
            let waited = done.wait(timeout: .now() + .milliseconds(50)) == .timedOut
            try release()
            if waited { #expect(done.wait(timeout: .now() + .seconds(30)) == .success) }
            return waited
        }
        /// Whether pushing `b` returns with nothing released: it got in without waiting for room
        /// (a push that waits would wait for good). Not timed against a short limit: a loaded
        /// machine may start the pushing thread late.
        func pushCompletes(_ pipeline: BatchPipeline, _ n: Int, _ b: DocumentBatch) -> Bool {
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async { try? pipeline.push(n, b); done.signal() }
            return done.wait(timeout: .now() + .seconds(30)) == .success
        }
        func analyzeAndInvert(_ pipeline: BatchPipeline, _ b: DocumentBatch) throws {
            guard case .analyze(let n, let batch)? = pipeline.next() else { Issue.record("no batch to analyze"); return }
            #expect(batch.firstDocument == b.firstDocument)
            pipeline.finish(n, try batchAnalyzer.analyze(batch))
            guard case .invert? = pipeline.next() else { Issue.record("no batch to invert"); return }
            pipeline.inverted()
        }

        // by count: two batches, whatever their text
        let counted = BatchPipeline(capacity: 2)
        let small = (0..<3).map { batch($0, bytes: 10) }
        try counted.push(0, small[0])
        try counted.push(1, small[1])
        #expect(try pushWaits(counted, 2, small[2]) { try analyzeAndInvert(counted, small[0]) })

        // by bytes (text + 256 a document): the minimum (one batch) gets in over the limit, the
        // next waits for room, a batch that fits gets in at once
        let sized = BatchPipeline(capacity: 8, minimum: 1, byteLimit: 700)
        let b = [batch(0, bytes: 300), batch(1, bytes: 10), batch(2, bytes: 10), batch(3, bytes: 10)]
        #expect(BatchPipeline.footprint(of: b[0]) == 256 + 300)
        try sized.push(0, b[0])                                                   // 556 held
        #expect(try pushWaits(sized, 1, b[1]) { try analyzeAndInvert(sized, b[0]) })   // 556 + 266 > 700
        #expect(pushCompletes(sized, 2, b[2]))                                     // 266 + 266 ≤ 700
        #expect(try pushWaits(sized, 3, b[3]) { try analyzeAndInvert(sized, b[1]) })   // 532 + 266 > 700
        sized.closeAndWait()
        counted.closeAndWait()
    }

    @Test("a parallel build inverts every batch once, in order, one at a time, on the analyzing threads", arguments: [1, 2, 3])
    func pipelineInvertsInOrder(jobs: Int) throws {
        let analyzer = try Analyzer()
        var rng = SplitMix64(seed: UInt64(jobs))
        let lock = Lock()
        nonisolated(unsafe) var firsts: [Int] = []
        nonisolated(unsafe) var inside = 0, overlaps = 0
        nonisolated(unsafe) var threads = Set<UInt>()
        let caller = UInt(bitPattern: Int(bitPattern: pthread_self()))
        let texts = (0..<400).map { _ in randomText(&rng, length: 100 + Int(rng.next() % 900)) }
        try InversionPipeline.run(jobs: jobs, analyzer: analyzer, storesText: true, firstDocument: 5, invert: { a in
            lock.lock(); inside += 1; if inside > 1 { overlaps += 1 }; firsts.append(a.batch.firstDocument)
            threads.insert(UInt(bitPattern: Int(bitPattern: pthread_self()))); lock.unlock()
            usleep(UInt32(a.batch.count % 3) * 200)
            lock.lock(); inside -= 1; lock.unlock()
        }, produce: { add in
            for (i, t) in texts.enumerated() { try add(SourceDocument(key: "d\(i)", title: "", text: t)) }
        })
        #expect(overlaps == 0)
        #expect(firsts.count > 3)
        #expect(firsts.first == 5)
        #expect(firsts == firsts.sorted() && Set(firsts).count == firsts.count)
        #expect(!threads.contains(caller))
        #expect(threads.count <= jobs)
    }
}
