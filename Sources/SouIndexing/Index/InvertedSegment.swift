import CSystemShim
import Dispatch
import FoundationEssentials
import Glibc
import SouAnalysis

/// The in-memory inverted index: a term table (open-addressing hash map over term bytes, no
/// String per token) and, per term, two byte streams in a ``ByteSlicePool``: documents
/// (varint delta << 1 | frequency == 1, then the frequency when not 1) and positions (per
/// document: first slot, then deltas), all varints.
///
/// The term table lives in manually managed buffers, so the per-token loop pays no Swift
/// exclusivity or uniqueness checks. Filled by one thread at a time (a parallel build hands it from
/// thread to thread under ``BatchPipeline``'s lock), in increasing document order.
final class InvertedSegment {
    /// Everything the writer keeps per term: 64 bytes, one cache line (the table is allocated
    /// 64-byte aligned), since the per-token loop touches one random term each time. The field
    /// order is chosen for that size. (The key's hash lives in the hash slots.)
    struct TermState {
        /// The key's bytes packed little-endian when it is at most 8 bytes long (bigrams of
        /// BMP characters are 6), else 0: short keys compare as one integer, not with memcmp.
        var packed: UInt64
        var doc: ByteSlicePool.Cursor
        var kind: TokenKind
        /// A bigram that ends a CJK run in some document (FORMAT.md "BigramEnds").
        var endsRun: Bool
        var pos: ByteSlicePool.Cursor
        var docStart: UInt32
        var posStart: UInt32
        var keyStart: UInt32
        var keyLength: UInt32
        /// Last document that touched the term, and the last one written to its doc stream.
        var currentDoc: Int32
        var previousDoc: Int32
        /// Occurrences in `currentDoc`, and the last position there.
        var frequency: Int32
        var lastPosition: Int32
    }

    let pool = ByteSlicePool()
    // The term table, key bytes and hash slots start at the sizes of about 10,000 terms (a 1% update
    // of dev-all has 11,261) instead of growing to them by doubling: a growth copies the table to
    // new memory, and each new page costs a page fault (about 2 µs on the 2-core VMs measured), on
    // the one thread that inverts. The pages of the first allocation that no term reaches are never
    // touched and hold no memory (the slots come zeroed from calloc, not from a fill).
    private(set) var states: UnsafeMutablePointer<TermState>
    private var stateCapacity = 1 << 14
    /// Per term (capacity ``stateCapacity``), the first 8 bytes of its key as a big-endian integer,
    /// zero-padded: what ``sortedTermIDs(jobs:)`` sorts by, read from 8 bytes a term instead of
    /// from the 64 of its entry (the sort is the start of a build's serial commit, and reading
    /// every entry took most of its time: 2.4 of 6.4 ms on dev-all, as long on two threads).
    private var prefixes: UnsafeMutablePointer<UInt64>
    private(set) var termCount = 0
    private var keys: UnsafeMutablePointer<UInt8>
    private var keyCount = 0
    private var keyCapacity = 1 << 17
    /// Open-addressing hash slots: hash << 32 | (term id + 1); 0 is empty. From calloc (freed by
    /// free), so that a table starts zeroed without a fill that touches all of it.
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotCount = 1 << 15
    /// Terms touched by the current document (manual storage, like the term table: the per-token
    /// loop appends here without Swift's exclusivity checks of a class's array property).
    private var touched: UnsafeMutablePointer<Int32>
    private var touchedCount = 0
    private var touchedCapacity = 1 << 10
    /// Tokens left out for being longer than ``FileLayout/maxTermBytes``, and the longest of them.
    private(set) var skippedTokens = 0
    private(set) var longestSkippedToken = 0
    /// Per token of the piece being inverted: its key packed (``packedKey(_:_:)``) and its hash,
    /// computed in a first pass so that the main loop can prefetch the hash slot, then the term
    /// entry, of a token some tokens ahead (the table outgrows the caches: each lookup would
    /// otherwise wait for memory twice, in turn). Scratch for a window of ``aheadCapacity`` tokens.
    private var aheadPacked: UnsafeMutablePointer<UInt64>
    private var aheadHashes: UnsafeMutablePointer<UInt32>
    private static let aheadCapacity = 1 << 12

    init() {
        aheadPacked = .allocate(capacity: Self.aheadCapacity)
        aheadHashes = .allocate(capacity: Self.aheadCapacity)
        states = Self.allocateStates(stateCapacity)
        prefixes = .allocate(capacity: stateCapacity)
        keys = .allocate(capacity: keyCapacity)
        slots = Self.zeroedSlots(slotCount)
        touched = .allocate(capacity: touchedCapacity)
    }

    /// `count` empty hash slots (zero bits): calloc's, which for a large table are fresh zero pages
    /// from the system, touched only where a term lands. Stops the build when memory is refused, as
    /// Swift's own allocations do.
    private static func zeroedSlots(_ count: Int) -> UnsafeMutablePointer<UInt64> {
        guard let raw = calloc(count, MemoryLayout<UInt64>.stride) else { fatalError("out of memory: \(count) hash slots") }
        return raw.bindMemory(to: UInt64.self, capacity: count)
    }

    /// A term table of `capacity` entries, cache-line aligned.
    private static func allocateStates(_ capacity: Int) -> UnsafeMutablePointer<TermState> {
        UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<TermState>.stride, alignment: 64)
            .bindMemory(to: TermState.self, capacity: capacity)
    }

    deinit {
        states.deinitialize(count: termCount)
        UnsafeMutableRawPointer(states).deallocate()
        prefixes.deallocate()
        keys.deallocate()
        free(slots)
        touched.deallocate()
        aheadPacked.deallocate()
        aheadHashes.deallocate()
    }

    /// Bytes held (pool pages, term table, key bytes, hash slots), what the writer's memory budget
    /// counts: the table, keys and slots at the sizes that doubling from 1,024 terms, 16 KiB of
    /// keys and 4,096 slots gives for what they hold (the pages of their larger first allocation
    /// that nothing reached hold no memory; and a budget flushes at the same documents as before).
    var memoryBytes: Int {
        func doubled(_ start: Int, toHold n: Int) -> Int {
            var c = start
            while c < n { c *= 2 }
            return c
        }
        return pool.allocatedBytes + doubled(1 << 10, toHold: termCount) * (MemoryLayout<TermState>.stride + 8)
            + doubled(1 << 14, toHold: keyCount) + doubled(1 << 12, toHold: 2 * termCount) * 8 + touchedCapacity * 4
    }

    /// The bytes of a key of at most 8 bytes packed into an integer, first byte lowest.
    @inline(__always)
    private static func pack(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        for b in p { v |= UInt64(b) << shift; shift &+= 8 }
        return v
    }

    /// ``pack(_:)`` of `all[range]` (0 when longer than 8 bytes), with one unaligned 8-byte load
    /// when 8 bytes from the range's start lie inside `all` (the bytes past the range are masked
    /// off), else byte by byte.
    @inline(__always)
    private static func packedKey(_ all: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64 {
        let n = range.count
        guard n <= 8 else { return 0 }
        if range.lowerBound + 8 <= all.count, let base = all.baseAddress {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + range.lowerBound).loadUnaligned(as: UInt64.self))
            return n == 8 ? word : word & ((1 << UInt64(8 * n)) - 1)
        }
        return pack(UnsafeBufferPointer(rebasing: all[range]))
    }

    @inline(__always)
    private static func hash(_ p: UnsafeBufferPointer<UInt8>, packed: UInt64) -> UInt32 {
        var h: UInt64
        if p.count <= 8 {
            h = (packed ^ UInt64(p.count) << 60) &* 0x9E37_79B9_7F4A_7C15
        } else {
            h = 0xcbf2_9ce4_8422_2325
            for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }

    /// The id of the term with bytes `p`, added when new.
    @inline(__always)
    private func termID(_ p: UnsafeBufferPointer<UInt8>, packed: UInt64, hash h: UInt32, kind: TokenKind) throws -> Int {
        let short = p.count <= 8
        let mask = slotCount - 1
        var s = Int(h) & mask
        let slots = self.slots, states = self.states, keys = self.keys
        let tag = UInt64(h) << 32
        while true {
            let slot = slots[s]
            if slot == 0 { break }
            if slot & 0xFFFF_FFFF_0000_0000 == tag {
                let id = Int(slot & 0xFFFF_FFFF) - 1
                let st = states + id
                if Int(st.pointee.keyLength) == p.count,
                   short ? st.pointee.packed == packed
                         : memcmp(keys + Int(st.pointee.keyStart), p.baseAddress!, p.count) == 0 {
                    return id
                }
            }
            s = (s + 1) & mask
        }
        return try insert(p, kind: kind, hash: h, packed: packed, slot: s)
    }

    private func insert(_ p: UnsafeBufferPointer<UInt8>, kind: TokenKind, hash h: UInt32, packed: UInt64,
                        slot s: Int) throws -> Int {
        guard keyCount + p.count < Int(UInt32.max) else { throw IndexError.io("too many distinct terms for one index") }
        if termCount == stateCapacity {
            let bigger = Self.allocateStates(stateCapacity * 2)
            bigger.moveInitialize(from: states, count: termCount)
            UnsafeMutableRawPointer(states).deallocate()
            states = bigger
            let biggerPrefixes = UnsafeMutablePointer<UInt64>.allocate(capacity: stateCapacity * 2)
            biggerPrefixes.moveInitialize(from: prefixes, count: termCount)
            prefixes.deallocate()
            prefixes = biggerPrefixes
            stateCapacity *= 2
        }
        if keyCount + p.count > keyCapacity {
            var capacity = keyCapacity * 2
            while keyCount + p.count > capacity { capacity *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            bigger.update(from: keys, count: keyCount)
            keys.deallocate()
            keys = bigger
            keyCapacity = capacity
        }
        if let base = p.baseAddress { (keys + keyCount).update(from: base, count: p.count) }
        let d = try pool.newStream()
        let q = try pool.newStream()
        let id = termCount
        (states + id).initialize(to: TermState(
            packed: packed, doc: d, kind: kind, endsRun: false, pos: q, docStart: d.write, posStart: q.write,
            keyStart: UInt32(keyCount), keyLength: UInt32(p.count), currentDoc: -1, previousDoc: -1,
            frequency: 0, lastPosition: 0))
        // (a key of at most 8 bytes: its packed form byte-swapped, first byte highest; a longer
        // one: its first 8 bytes, inside it, read as one big-endian word)
        (prefixes + id).initialize(to: p.count <= 8 ? packed.byteSwapped
                                       : UInt64(bigEndian: UnsafeRawPointer(p.baseAddress!).loadUnaligned(as: UInt64.self)))
        keyCount += p.count
        termCount += 1
        slots[s] = UInt64(h) << 32 | UInt64(id + 1)
        if termCount * 2 > slotCount { grow() }
        return id
    }

    private func grow() {
        let count = slotCount * 2
        let bigger = Self.zeroedSlots(count)
        let mask = count - 1
        for old in 0..<slotCount where slots[old] != 0 {
            var s = Int(slots[old] >> 32) & mask
            while bigger[s] != 0 { s = (s + 1) & mask }
            bigger[s] = slots[old]
        }
        free(slots)
        slots = bigger
        slotCount = count
    }

    private func growTouched() {
        let bigger = UnsafeMutablePointer<Int32>.allocate(capacity: touchedCapacity * 2)
        bigger.update(from: touched, count: touchedCount)
        touched.deallocate()
        touched = bigger
        touchedCapacity *= 2
    }

    /// Adds an occurrence of the term at `position` of `document`; returns the term's id.
    @inline(__always)
    private func add(_ p: UnsafeBufferPointer<UInt8>, packed: UInt64, hash: UInt32, kind: TokenKind, position: Int,
                     document: Int32) throws -> Int {
        let t = try termID(p, packed: packed, hash: hash, kind: kind)
        let st = states + t
        if st.pointee.currentDoc != document {
            st.pointee.currentDoc = document
            st.pointee.frequency = 0
            st.pointee.lastPosition = 0
            if touchedCount == touchedCapacity { growTouched() }
            // in bounds: touchedCount < touchedCapacity (grown just above when full)
            touched[touchedCount] = Int32(t)
            touchedCount += 1
        }
        let delta = Int32(truncatingIfNeeded: position) &- st.pointee.lastPosition
        st.pointee.lastPosition = Int32(truncatingIfNeeded: position)
        st.pointee.frequency += 1
        try pool.appendVarint(UInt32(bitPattern: delta), to: &st.pointee.pos)
        return t
    }

    /// Inverts the tokens of document `document` (ids increase from call to call), marking the
    /// bigrams that end a CJK run (``endsRun(_:)``).
    func invert(document: Int, tokens: TokenBuffer) throws {
        _ = try invert(document: document, tokens: tokens, range: 0..<tokens.count)
    }

    /// Inverts the tokens `range` of `tokens` as document `document`; returns the document's slot
    /// count (its last occupied slot + 1, a run's last character included; 0 when it has no
    /// token). `keys`: the tokens' ``TokenKeys`` when computed already (by the analyzing thread),
    /// else computed here.
    @discardableResult
    func invert(document: Int, tokens: TokenBuffer, range: Range<Int>, keys: TokenKeys? = nil) throws -> Int {
        beginDocument(document)
        try invertPiece(tokens: tokens, range: range, isLast: true, keys: keys)
        return try endDocument()
    }

    /// Every token's key packed (``packedKey(_:_:)``, 0 for a token too long to be a term) and
    /// its hash in the term table: the part of inverting a token that does not depend on the
    /// table, computed on the analyzing threads of a parallel build (``BatchAnalyzer``).
    struct TokenKeys: @unchecked Sendable {
        var packed: [UInt64] = []
        var hashes: [UInt32] = []

        /// The keys of all of `tokens`.
        init(of tokens: TokenBuffer) {
            packed = [UInt64](repeating: 0, count: tokens.count)
            hashes = [UInt32](repeating: 0, count: tokens.count)
            packed.withUnsafeMutableBufferPointer { p in
                hashes.withUnsafeMutableBufferPointer { h in
                    tokens.termBytes.withUnsafeBufferPointer { bytes in
                        // in bounds: p and h have tokens.count elements
                        InvertedSegment.computeKeys(tokens: tokens, bytes: bytes, range: 0..<tokens.count,
                                                    packed: p.baseAddress!, hashes: h.baseAddress!)
                    }
                }
            }
        }

        init() {}
    }

    /// Writes the packed key and hash of token `i` of `range` at `packed[i - range.lowerBound]`
    /// and `hashes[i - range.lowerBound]` (both hold `range.count` values).
    @inline(__always)
    static func computeKeys(tokens: TokenBuffer, bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>,
                            packed: UnsafeMutablePointer<UInt64>, hashes: UnsafeMutablePointer<UInt32>) {
        let lo = range.lowerBound
        for i in range {
            let r = tokens.termRange(i)
            let k = i - lo
            if r.count <= FileLayout.maxTermBytes {
                let key = packedKey(bytes, r)
                packed[k] = key
                hashes[k] = hash(UnsafeBufferPointer(rebasing: bytes[r]), packed: key)
            } else {
                packed[k] = 0
                hashes[k] = 0
            }
        }
    }

    /// The document being inverted (``beginDocument(_:)`` to ``endDocument()``), its slot count
    /// so far, and a piece's last bigram, which ends its run (or not) once the next token is
    /// known: its term id and the slot of its second character.
    private var document: Int32 = -1
    private var documentSlots = 0
    private var pendingRunEnd: (term: Int, position: Int)? = nil

    /// Starts document `document` (ids increase from call to call); its tokens follow in one or
    /// more ``invertPiece(tokens:range:isLast:)`` calls, then ``endDocument()``. A document
    /// too long to analyze at once is inverted piece by piece in bounded memory; the postings are
    /// the same as for one call with all its tokens.
    func beginDocument(_ document: Int) {
        self.document = Int32(document)
        documentSlots = 0
        pendingRunEnd = nil
    }

    /// Inverts the tokens `range` of `tokens`, the next ones of the current document, marking the
    /// bigrams that end a CJK run (``endsRun(_:)``: a bigram whose next token is not a bigram
    /// one slot on).
    /// `isLast`: no token of the document follows.
    /// `keys`: the tokens' ``TokenKeys`` (all of `tokens`), or nil to compute them here.
    func invertPiece(tokens: TokenBuffer, range: Range<Int>, isLast: Bool, keys: TokenKeys? = nil) throws {
        let doc = document
        let n = range.upperBound
        var slots = documentSlots
        if pendingRunEnd != nil { slots = try resolvePendingRunEnd(tokens: tokens, range: range, isLast: isLast, slots: slots) }
        precondition(keys == nil || keys!.hashes.count == tokens.count && keys!.packed.count == tokens.count,
                     "token keys of another buffer")
        let given = keys ?? TokenKeys()
        try given.packed.withUnsafeBufferPointer { givenPacked in
            try given.hashes.withUnsafeBufferPointer { givenHashes in
                try tokens.termBytes.withUnsafeBufferPointer { bytes in
                    var lo = range.lowerBound
                    while lo < n {
                        // a window of tokens: every token's packed key and hash (given, or computed into the
                        // scratch: k < window ≤ aheadCapacity), then the tokens inverted with prefetches
                        // ahead; token i's key is at aheadPacked[i - base], its hash at aheadHashes[i - base]
                        let hi: Int, base: Int
                        let aheadPacked: UnsafePointer<UInt64>, aheadHashes: UnsafePointer<UInt32>
                        if keys != nil, let p = givenPacked.baseAddress, let h = givenHashes.baseAddress {
                            // in bounds: both hold tokens.count values, and range lies in 0..<tokens.count
                            hi = n
                            base = 0
                            aheadPacked = p
                            aheadHashes = h
                        } else {
                            hi = min(n, lo + Self.aheadCapacity)
                            base = lo
                            Self.computeKeys(tokens: tokens, bytes: bytes, range: lo..<hi, packed: self.aheadPacked, hashes: self.aheadHashes)
                            aheadPacked = UnsafePointer(self.aheadPacked)
                            aheadHashes = UnsafePointer(self.aheadHashes)
                        }
                        for i in lo..<hi {
                            prefetch(ahead: i - base, count: hi - base, hashes: aheadHashes)
                            let r = tokens.termRange(i)
                            let term = UnsafeBufferPointer(rebasing: bytes[r])
                            let kind = tokens.kind(i)
                            let position = tokens.position(i)
                            slots = max(slots, position + 1)
                            guard term.count <= FileLayout.maxTermBytes else {
                                // too long to be a term: its slot stays empty (no phrase matches across it)
                                skippedTokens += 1
                                longestSkippedToken = max(longestSkippedToken, term.count)
                                continue
                            }
                            let t = try add(term, packed: aheadPacked[i - base], hash: aheadHashes[i - base], kind: kind, position: position, document: doc)
                            if kind == .bigram {
                                if i + 1 == n && !isLast {
                                    // the next token is in the next piece
                                    pendingRunEnd = (t, position + 1)
                                    continue
                                }
                                let continues = i + 1 < n && tokens.kind(i + 1) == .bigram && tokens.position(i + 1) == position + 1
                                if !continues {
                                    // the run's last character, at the slot after the bigram's
                                    states[t].endsRun = true
                                    slots = max(slots, position + 2)
                                }
                            }
                        }
                        lo = hi
                    }
                }
            }
        }
        documentSlots = slots
    }

    /// Tokens between a hash slot's prefetch and its use, and between a term entry's prefetch
    /// (found through its slot, by then in the cache) and its use.
    static let slotDistance = 16
    static let entryDistance = 8
    /// Tokens between the prefetch of the byte its position stream writes next (found through
    /// its term entry, by then in the cache) and its use.
    static let streamDistance = 4

    /// Prefetches the hash slot of token `k + slotDistance` of the window, the term entry of
    /// token `k + entryDistance` and the next byte of the position stream of token
    /// `k + streamDistance` (when the first probe of its slots holds its hash: almost always, at
    /// a load factor ≤ 1/2). Hints only: what is inverted does not depend on them.
    @inline(__always)
    private func prefetch(ahead k: Int, count: Int, hashes aheadHashes: UnsafePointer<UInt32>) {
        let slots = self.slots, mask = slotCount - 1
        if k + Self.slotDistance < count {
            sou_prefetch_write(slots + (Int(aheadHashes[k + Self.slotDistance]) & mask))
        }
        if k + Self.entryDistance < count {
            let h = aheadHashes[k + Self.entryDistance]
            let slot = slots[Int(h) & mask]   // in bounds: masked by slotCount - 1
            if slot != 0 && slot >> 32 == UInt64(h) {
                sou_prefetch_write(states + Int(slot & 0xFFFF_FFFF) - 1)
            }
        }
        if k + Self.streamDistance < count {
            let h = aheadHashes[k + Self.streamDistance]
            let slot = slots[Int(h) & mask]
            if slot != 0 && slot >> 32 == UInt64(h) {
                // in bounds: a slot holds id + 1 of an existing term; its cursor an address the pool handed out
                let write = states[Int(slot & 0xFFFF_FFFF) - 1].pos.write
                sou_prefetch_write(pool.page(write) + Int(write & 0xFFFF))
            }
        }
    }

    /// The previous piece ended with a bigram: its run ends (the bigram is marked) unless this
    /// piece goes on with it. Returns the slot count so far. (Out of line: rare, and the
    /// per-token loop stays as small as for a document inverted at once.)
    @inline(never)
    private func resolvePendingRunEnd(tokens: TokenBuffer, range: Range<Int>, isLast: Bool, slots: Int) throws -> Int {
        guard let pending = pendingRunEnd else { return slots }
        let continues = !range.isEmpty && tokens.kind(range.lowerBound) == .bigram
            && tokens.position(range.lowerBound) == pending.position
        if continues {
            pendingRunEnd = nil
            return slots
        }
        guard !range.isEmpty || isLast else { return slots }   // an empty piece: still unknown
        pendingRunEnd = nil
        states[pending.term].endsRun = true
        return max(slots, pending.position + 1)
    }

    /// Ends the current document: writes its entry in the document stream of every term it
    /// holds. Returns its slot count (its last occupied slot + 1, a run's last character
    /// included; 0 when it has no token).
    func endDocument() throws -> Int {
        let doc = document
        let ahead = Self.streamDistance
        for k in 0..<touchedCount {
            if k + ahead < touchedCount {
                // the next byte of the document stream of the term `ahead` further (a hint)
                let write = states[Int(touched[k + ahead])].doc.write
                sou_prefetch_write(pool.page(write) + Int(write & 0xFFFF))
            }
            let st = states + Int(touched[k])
            // (delta << 1 | 1) when the frequency is 1, else (delta << 1) then the frequency
            let delta = UInt32(doc - st.pointee.previousDoc)
            if st.pointee.frequency == 1 {
                try pool.appendVarint(delta << 1 | 1, to: &st.pointee.doc)
            } else {
                try pool.appendVarint(delta << 1, to: &st.pointee.doc)
                try pool.appendVarint(UInt32(st.pointee.frequency), to: &st.pointee.doc)
            }
            st.pointee.previousDoc = doc
        }
        touchedCount = 0
        return documentSlots
    }

    /// The kind of term `id`.
    func kind(_ id: Int) -> TokenKind { states[id].kind }

    /// Whether term `id` is a bigram that ends a CJK run in some document.
    func endsRun(_ id: Int) -> Bool { states[id].endsRun }

    /// The bytes of term `id`.
    func withKey<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: keys + Int(states[id].keyStart), count: Int(states[id].keyLength)))
    }

    /// Term ids sorted by their bytes: by the first 8 bytes as one big-endian integer (which
    /// decides almost every comparison: CJK bigrams are 6 bytes), then by the rest. Keys are
    /// distinct, so the order is strict and does not depend on the sorting method: a least
    /// significant digit radix sort of the 8-byte prefixes (four passes of 16 bits), then a
    /// comparison sort of each run of equal prefixes (rare). With `jobs` > 1 and many terms, the
    /// even and the odd ids are sorted on two threads, then merged: the same order.
    func sortedTermIDs(jobs: Int = 1) -> [Int32] {
        let n = termCount
        guard jobs > 1, n >= Self.parallelSortTerms else { return sortedRun(from: 0, by: 1).ids }
        nonisolated(unsafe) var even: (prefixes: [UInt64], ids: [Int32]) = ([], [])
        nonisolated(unsafe) var odd: (prefixes: [UInt64], ids: [Int32]) = ([], [])
        // (the two read the segment's keys, states and prefixes only, and write their own result)
        nonisolated(unsafe) let segment = self
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            if i == 0 { even = segment.sortedRun(from: 0, by: 2) } else { odd = segment.sortedRun(from: 1, by: 2) }
        }
        let keys = self.keys, states = self.states
        var out = [Int32](repeating: 0, count: n)
        let (ep, ei, op, oi) = (even.prefixes, even.ids, odd.prefixes, odd.ids)
        ep.withUnsafeBufferPointer { ep in ei.withUnsafeBufferPointer { ei in
            op.withUnsafeBufferPointer { op in oi.withUnsafeBufferPointer { oi in
                out.withUnsafeMutableBufferPointer { out in
                    // in bounds: a < ei.count, b < oi.count, and a + b < n = ei.count + oi.count
                    var a = 0, b = 0
                    while a < ei.count, b < oi.count {
                        let pa = ep[a], pb = op[b]
                        if pa < pb || (pa == pb && Self.restPrecedes(ei[a], oi[b], keys: keys, states: states)) {
                            out[a + b] = ei[a]; a += 1
                        } else {
                            out[a + b] = oi[b]; b += 1
                        }
                    }
                    while a < ei.count { out[a + b] = ei[a]; a += 1 }
                    while b < oi.count { out[a + b] = oi[b]; b += 1 }
                }
            } }
        } }
        return out
    }

    /// Terms from which ``sortedTermIDs(jobs:)`` sorts on two threads (below, a thread's start
    /// and the merge cost about what half a sort saves).
    static let parallelSortTerms = 1 << 15

    /// The ids `first`, `first + step`, ... below ``termCount`` sorted by their bytes, with their
    /// 8-byte prefixes in the same order.
    private func sortedRun(from first: Int, by step: Int) -> (prefixes: [UInt64], ids: [Int32]) {
        let keys = self.keys, states = self.states, all = self.prefixes
        let n = first < termCount ? (termCount - first + step - 1) / step : 0
        var prefixes = [UInt64](unsafeUninitializedCapacity: n) { buffer, count in
            for k in 0..<n { buffer.initializeElement(at: k, to: all[first + k * step]) }
            count = n
        }
        var ids = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for k in 0..<n { buffer.initializeElement(at: k, to: Int32(truncatingIfNeeded: first + k * step)) }
            count = n
        }
        if n < 2048 {
            var items = Array(zip(prefixes, ids))
            items.sort { x, y in x.0 != y.0 ? x.0 < y.0 : Self.restPrecedes(x.1, y.1, keys: keys, states: states) }
            return (items.map(\.0), items.map(\.1))
        }
        Self.radixSort(&prefixes, &ids)
        // runs of equal prefixes: by the rest of the bytes, then by length
        var i = 0
        while i < n {
            var j = i + 1
            while j < n, prefixes[j] == prefixes[i] { j += 1 }
            if j - i > 1 {
                ids[i..<j].sort { Self.restPrecedes($0, $1, keys: keys, states: states) }
            }
            i = j
        }
        return (prefixes, ids)
    }

    /// Whether term `a` precedes term `b` when their first 8 bytes (zero-padded) are equal.
    private static func restPrecedes(_ a: Int32, _ b: Int32, keys: UnsafeMutablePointer<UInt8>,
                                     states: UnsafeMutablePointer<TermState>) -> Bool {
        let sa = states[Int(a)], sb = states[Int(b)]
        let la = Int(sa.keyLength), lb = Int(sb.keyLength)
        let m = min(la, lb)
        if m > 8 {
            let c = memcmp(keys + Int(sa.keyStart) + 8, keys + Int(sb.keyStart) + 8, m - 8)
            if c != 0 { return c < 0 }
        }
        return la < lb
    }

    /// Sorts `prefixes` ascending (stable), moving `ids` along: counting passes of 16-bit digits
    /// (four), or of 8-bit digits (eight) below 2^16 values, where the 2 MB of counts that
    /// 16-bit digits need would cost more to clear than the passes they save (a small update's
    /// segment); a pass is skipped when all values share its digit.
    private static func radixSort(_ prefixes: inout [UInt64], _ ids: inout [Int32]) {
        let n = prefixes.count
        let bits = n < 1 << 16 ? 8 : 16, passes = 64 / bits, radix = 1 << bits, mask = UInt64(radix - 1)
        // (counts of n < 2^31 values fit in Int32; wrapping arithmetic and raw pointers: the
        // loops run once or passes + 1 times per value, the whole cost of the sort)
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: passes << bits)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: passes << bits)
        let other = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        defer { other.deallocate() }
        let otherIDs = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { otherIDs.deallocate() }
        prefixes.withUnsafeMutableBufferPointer { keys in
            ids.withUnsafeMutableBufferPointer { keyIDs in
                // in bounds: every index below is a digit (< radix) plus d << bits with d < passes,
                // or a place < n given by the running counts of a pass's n values
                var src = keys.baseAddress!, srcIDs = keyIDs.baseAddress!
                var dst = other, dstIDs = otherIDs
                if bits == 8 {
                    for k in 0..<n {
                        let v = src[k]
                        counts[Int(truncatingIfNeeded: v & 0xFF)] &+= 1
                        counts[256 | Int(truncatingIfNeeded: (v &>> 8) & 0xFF)] &+= 1
                        counts[512 | Int(truncatingIfNeeded: (v &>> 16) & 0xFF)] &+= 1
                        counts[768 | Int(truncatingIfNeeded: (v &>> 24) & 0xFF)] &+= 1
                        counts[1024 | Int(truncatingIfNeeded: (v &>> 32) & 0xFF)] &+= 1
                        counts[1280 | Int(truncatingIfNeeded: (v &>> 40) & 0xFF)] &+= 1
                        counts[1536 | Int(truncatingIfNeeded: (v &>> 48) & 0xFF)] &+= 1
                        counts[1792 | Int(truncatingIfNeeded: v &>> 56)] &+= 1
                    }
                } else {
                    for k in 0..<n {
                        let v = src[k]
                        counts[Int(truncatingIfNeeded: v & 0xFFFF)] &+= 1
                        counts[65536 | Int(truncatingIfNeeded: (v &>> 16) & 0xFFFF)] &+= 1
                        counts[131072 | Int(truncatingIfNeeded: (v &>> 32) & 0xFFFF)] &+= 1
                        counts[196608 | Int(truncatingIfNeeded: v &>> 48)] &+= 1
                    }
                }
                for d in 0..<passes {
                    let start = counts + d << bits, shift = UInt64(bits * d)
                    // all in one bucket: this digit orders nothing
                    if start[Int(truncatingIfNeeded: (src[0] &>> shift) & mask)] == Int32(n) { continue }
                    var sum: Int32 = 0
                    for b in 0..<radix {
                        let c = start[b]
                        start[b] = sum
                        sum &+= c
                    }
                    for k in 0..<n {
                        let v = src[k]
                        let slot = Int(truncatingIfNeeded: (v &>> shift) & mask)
                        let to = Int(truncatingIfNeeded: start[slot])
                        start[slot] = Int32(truncatingIfNeeded: to &+ 1)
                        dst[to] = v
                        dstIDs[to] = srcIDs[k]
                    }
                    swap(&src, &dst)
                    swap(&srcIDs, &dstIDs)
                }
                // an odd number of passes ended in the scratch buffers
                if src != keys.baseAddress! {
                    keys.baseAddress!.update(from: src, count: n)
                    keyIDs.baseAddress!.update(from: srcIDs, count: n)
                }
            }
        }
    }

    /// A reader of term `id`'s document stream.
    func documentStream(_ id: Int) -> ByteSlicePool.Reader {
        ByteSlicePool.Reader(pool: pool, start: states[id].docStart, end: states[id].doc.write)
    }

    /// A reader of term `id`'s position stream.
    func positionStream(_ id: Int) -> ByteSlicePool.Reader {
        ByteSlicePool.Reader(pool: pool, start: states[id].posStart, end: states[id].pos.write)
    }
}
