import FoundationEssentials
import Glibc
import SouAnalysis

/// Reads the term dictionary section in place: binary search over the fixed-width block index
/// (8 key-prefix bytes per block: a CJK bigram, 6 UTF-8 bytes, is decided there without touching
/// the block), then a front-coded scan inside one block.
struct TermDictionaryReader {
    let index: SegmentReader
    var bytes: IndexBytes { index.bytes }

    /// Compares block `i`'s first term with `key`, whose first 8 bytes (zero-padded) read as a
    /// big-endian number are `keyPrefix` (``prefix(of:)``): one comparison of numbers decides
    /// unless the 8 bytes tie.
    func compareFirstTerm(ofBlock i: Int, with key: [UInt8], keyPrefix: UInt64) throws -> Int {
        let blockPrefix = self.keyPrefix(ofBlock: i)
        if blockPrefix != keyPrefix { return blockPrefix < keyPrefix ? -1 : 1 }
        // the first 8 bytes agree: compare the whole first term, in place
        var r = try blockReader(i)
        _ = try r.varint(); _ = try r.varint()
        let header = try r.u8()
        var suffixLength = Int(header >> 5)
        if Int(header >> 2) & 7 == 7 { _ = try r.varint() }
        if suffixLength == 7 { suffixLength = try r.varint(max: 1 << 20) }
        let first = bytes.slice(try r.bytes(suffixLength))
        return key.withUnsafeBytes { SegmentReader.compareBytes(first, $0) }
    }

    /// Block `i`'s KeyPrefix (its index entry's first 8 bytes) as a big-endian number, as
    /// ``prefix(of:)`` makes one of a key. Bounds: the block index lies inside the Terms section
    /// (checked when the segment was opened); `i` is below the block count.
    @inline(__always)
    func keyPrefix(ofBlock i: Int) -> UInt64 {
        UInt64(bigEndian: bytes.base.loadUnaligned(fromByteOffset: index.blockIndexStart &+ i &* FileLayout.blockIndexEntrySize, as: UInt64.self))
    }

    /// The first 8 bytes of `key`, zero-padded, as a big-endian number (what a block index
    /// entry's KeyPrefix is compared with).
    static func prefix(of key: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for j in 0..<8 { v = v << 8 | UInt64(j < key.count ? key[j] : 0) }
        return v
    }

    /// A reader positioned at the start of block `i`.
    func blockReader(_ i: Int) throws -> ByteReader {
        let e = index.blockIndexStart + i * FileLayout.blockIndexEntrySize
        let offset = Int(bytes.u32(at: e + 8))
        guard offset < index.termsRange.upperBound - index.blocksStart else {
            throw IndexError.corrupt("terms: block \(i) offset out of range")
        }
        return ByteReader(bytes, range: (index.blocksStart + offset)..<index.termsRange.upperBound, context: "terms")
    }

    /// The last block whose first term is ≤ `key` (0 when `key` precedes every term).
    /// `keyPrefix`: ``prefix(of:)`` of `key` (a ``TermKey`` carries it), computed here when nil.
    ///
    /// A branch-free binary search over the block index's 8-byte key prefixes finds the last
    /// block whose prefix is ≤ the key's (its steps do not depend on the comparisons' outcomes,
    /// so none is mispredicted); only when that block's prefix ties with the key's is a whole
    /// first term compared, and only when the key precedes that term (a run of blocks sharing
    /// 8 bytes) does ``blockForByComparisons(_:keyPrefix:)`` decide.
    func blockFor(_ key: [UInt8], keyPrefix known: UInt64? = nil) throws -> Int {
        let keyPrefix = known ?? Self.prefix(of: key)
        guard index.blockCount > 0 else { return 0 }
        // the answer lies in first..<first + n; prefixes ≤ keyPrefix come first (every block
        // read below is in 0..<blockCount, as keyPrefix(ofBlock:) asks)
        var first = 0, n = index.blockCount
        while n > 1 {
            let half = n >> 1
            first = self.keyPrefix(ofBlock: first &+ half) <= keyPrefix ? first &+ half : first
            n &-= half
        }
        // first: the last block whose prefix ≤ keyPrefix, or 0 when there is none
        if self.keyPrefix(ofBlock: first) == keyPrefix, try compareFirstTerm(ofBlock: first, with: key, keyPrefix: keyPrefix) > 0 {
            return try blockForByComparisons(key, keyPrefix: keyPrefix)
        }
        return first
    }

    /// ``blockFor(_:keyPrefix:)`` by a binary search that compares whole first terms where the
    /// prefixes tie (the oracle of the branch-free search in the tests).
    func blockForByComparisons(_ key: [UInt8], keyPrefix known: UInt64? = nil) throws -> Int {
        let keyPrefix = known ?? Self.prefix(of: key)
        var lo = 0, hi = index.blockCount - 1, found = 0
        while lo <= hi {
            let mid = (lo + hi) / 2
            let blockPrefix = self.keyPrefix(ofBlock: mid)
            let c = blockPrefix != keyPrefix ? (blockPrefix < keyPrefix ? -1 : 1)
                : try compareFirstTerm(ofBlock: mid, with: key, keyPrefix: keyPrefix)
            if c <= 0 { found = mid; lo = mid + 1 } else { hi = mid - 1 }
        }
        return found
    }

    /// Visits terms in order, starting at the first term ≥ `key`, while `visit` returns true.
    /// `visit` gets the term bytes and a closure making its ``TermInfo``.
    func forEach(from key: [UInt8], _ visit: ([UInt8], () -> TermInfo) throws -> Bool) throws {
        guard index.termCount > 0 else { return }
        var terms = try Terms(index: index, block: try blockFor(key))
        var matched = 0, reached = false
        while try terms.next() {
            if !reached {
                // below key until the first term ≥ key (see `find`); every term after it is visited
                if terms.shared > matched { continue }
                let (c, m) = Self.compare(terms.term, key, knownEqual: terms.shared)
                if c < 0 { matched = m; continue }
                reached = true
            }
            let t = terms
            if !(try visit(terms.term) { t.info }) { return }
        }
    }

    /// A forward iterator over the dictionary's entries (FORMAT.md "Terms"), from the first term
    /// of a block to the end: the one decoder of dictionary entries, used by lookups, prefix
    /// scans, `sou check` and the segment merger (which walks several dictionaries in step).
    struct Terms {
        let index: SegmentReader
        /// The current term's bytes (valid after ``next()`` returned true).
        private(set) var term: [UInt8] = []
        private(set) var kind: TokenKind = .bigram
        private(set) var documentFrequency = 0
        private(set) var totalFrequency = 0
        /// How many leading bytes the current term shares with the previous one as its entry
        /// codes it (0 for a block's first term): those bytes were not rewritten by ``next()``.
        private(set) var shared = 0
        /// Offsets into Postings and Positions; for a singleton −1 − document and its position.
        var postingsOffset: Int { singletonCode < 0 ? postings : -1 - Int(UInt64(singletonCode) % UInt64(index.documentCount)) }
        var positionsOffset: Int { singletonCode < 0 ? positions : Int(UInt64(singletonCode) / UInt64(index.documentCount)) }
        /// For a singleton, its entry's document × position code (decoded on demand: the
        /// division is skipped for the terms a lookup scans past); −1 for a regular term.
        private var singletonCode = -1

        private var block: Int
        private var reader: ByteReader
        /// Terms left in the current block.
        private var left = 0
        /// The current term's rank in the dictionary.
        private(set) var ordinal = -1
        private var postings = 0, positions = 0
        private var previousHadGaps: Bool? = nil
        /// For a current term of two scalars whose second was delta-coded: the byte length of
        /// its first scalar and the second's code point (saves re-decoding the term for the
        /// next delta, the common case in a run of bigrams sharing a first character).
        private var bigram: (firstLength: Int, second: UInt32)? = nil

        /// An iterator before the first term of block `block`.
        init(index: SegmentReader, block: Int = 0) throws {
            self.index = index
            self.block = block
            reader = ByteReader(index.bytes, range: 0..<0, context: "terms")
        }

        /// The current term's statistics and location.
        var info: TermInfo {
            TermInfo(term: String(decoding: term, as: UTF8.self), documentFrequency: documentFrequency,
                     totalTermFrequency: totalFrequency, kind: kind, location: location, ordinal: ordinal,
                     segment: ObjectIdentifier(index))
        }

        /// Whether the current term is a singleton (its posting lives in its entry).
        var isSingleton: Bool { singletonCode >= 0 }
        /// Where the current term's postings are.
        var location: TermInfo.Location {
            isSingleton ? .singleton(document: -1 - postingsOffset, position: positionsOffset)
                : .postings(offset: postingsOffset, positionsOffset: positionsOffset)
        }

        /// Makes the term its first `shared` bytes (at most its length) followed by `suffix`.
        @inline(__always)
        private mutating func setTerm(keeping shared: Int, suffix: UnsafeRawBufferPointer) {
            if shared + suffix.count == term.count {
                // same length (the common case among bigrams): overwrite the tail in place;
                // shared + suffix.count == t.count keeps the copy inside t
                guard suffix.count > 0, let from = suffix.baseAddress else { return }
                term.withUnsafeMutableBytes { t in (t.baseAddress! + shared).copyMemory(from: from, byteCount: suffix.count) }
            } else {
                term.replaceSubrange(shared..<term.count, with: suffix)
            }
        }

        /// Moves to the next term; false after the last.
        mutating func next() throws -> Bool {
            if left == 0 {
                guard block < index.blockCount else { return false }
                reader = try TermDictionaryReader(index: index).blockReader(block)
                postings = try reader.varint(max: index.postingsRange.count)
                positions = try reader.varint(max: index.positionsRange.count)
                left = min(index.termsPerBlock, index.termCount - block * index.termsPerBlock)
                ordinal = block * index.termsPerBlock - 1
                term.removeAll(keepingCapacity: true)
                previousHadGaps = nil
                bigram = nil
                block += 1
            }
            left -= 1
            ordinal += 1
            var r = reader
            defer { reader = r }
            let header = try r.u8()
            if header >> 5 == 0 {
                // same first character and kind as the previous two-character term: code point
                // distance, its low 4 bits in the header, the rest in a vint when bit 4 is set
                guard let p = bigram ?? TermCoding.twoScalars(term) else { throw r.fail("character delta without a previous bigram") }
                var delta = Int(header & 15)
                if header & 16 != 0 {
                    let high = try r.varint(max: 0x10FFFF >> 4)
                    guard high > 0 else { throw r.fail("character delta with an empty high part") }
                    delta |= high << 4
                }
                // p.second ≤ 0x10FFFF and delta ≤ 0x10FFFF: the sum does not overflow UInt32
                guard let c = Unicode.Scalar(p.second + UInt32(delta) + 1) else { throw r.fail("invalid character") }
                let v = c.value, (packed, width) = TermCoding.packedUTF8(v)
                withUnsafeBytes(of: packed.littleEndian) { setTerm(keeping: p.firstLength, suffix: UnsafeRawBufferPointer(rebasing: $0[..<width])) }
                bigram = (p.firstLength, v)
                self.shared = p.firstLength
            } else {
                guard let kind = TokenKind(rawValue: header & 3) else { throw r.fail("bad term kind") }
                self.kind = kind
                bigram = nil
                var shared = Int(header >> 2) & 7
                var suffixLength = Int(header >> 5)
                if shared == 7 { shared = try r.varint(max: 1 << 20) }
                if suffixLength == 7 { suffixLength = try r.varint(max: 1 << 20) }
                guard shared <= term.count else { throw r.fail("shared prefix longer than the previous term") }
                let suffix = try r.bytes(suffixLength)
                setTerm(keeping: shared, suffix: index.bytes.slice(suffix))
                self.shared = shared
            }
            let code = try r.varint()
            if code & 1 == 1 {
                // singleton: document and position inline, encoded as negative offsets
                documentFrequency = 1
                totalFrequency = 1
                guard index.documentCount > 0 else { throw r.fail("a singleton term in an index without documents") }
                let combined = code >> 1
                // position = combined / documentCount ≤ Int32.max, checked without dividing
                // (documentCount ≤ UInt32.max, so the product stays below 2^63)
                guard combined < (UInt64(Int32.max) + 1) * UInt64(index.documentCount) else {
                    throw r.fail("singleton position out of range")
                }
                singletonCode = Int(combined)
            } else {
                singletonCode = -1
                let stats = code >> 1
                guard stats <= UInt64(2 * index.documentCount + 1) else { throw r.fail("document frequency out of range") }
                let df = Int(stats >> 1)
                let extra = stats & 1 == 1 ? 0 : 1 + (try r.varint(max: index.positionCount))
                guard df >= 1, df + extra > 1 else { throw r.fail("a singleton coded as a regular term") }
                if let hadGaps = previousHadGaps {
                    postings += try r.varint(max: index.postingsRange.count)
                    if hadGaps { positions += try r.varint(max: index.positionsRange.count) }
                }
                guard postings <= index.postingsRange.count, positions <= index.positionsRange.count else {
                    throw r.fail("postings offset out of range")
                }
                previousHadGaps = extra > 0 && !FileLayout.gapsAreInline(documentFrequency: df, totalFrequency: df + extra)
                documentFrequency = df
                totalFrequency = df + extra
            }
            return true
        }
    }

    /// The term equal to `key`, if any: ``scan(_:for:)`` of the one block that can hold it, or,
    /// when that scan is unsure, ``find(_:fromBlock:)``.
    /// `term`: the key as a String, given to the entry found (nil: decoded from its bytes).
    /// `keyPrefix`: ``prefix(of:)`` of `key`, when known.
    func find(_ key: [UInt8], term: String? = nil, keyPrefix: UInt64? = nil) throws -> TermInfo? {
        guard index.termCount > 0 else { return nil }
        let block = try blockFor(key, keyPrefix: keyPrefix)
        switch scan(block, for: key, term: term) {
        case .found(let info): return info
        case .absent: return nil
        case .pastBlock:
            // every term of the block is below key; the iterator would go on to the next block's
            // first term (above key unless the dictionary is out of order): let it
            return block + 1 < index.blockCount ? try find(key, fromBlock: block + 1) : nil
        case .unsure: return try find(key, fromBlock: block)
        }
    }

    /// The term equal to `key`, if any, scanning with the ``Terms`` iterator from the first term of
    /// `block` (the block ``blockFor(_:)`` gives, or one after it) to the first term ≥ key.
    func find(_ key: [UInt8], fromBlock block: Int) throws -> TermInfo? {
        guard index.termCount > 0 else { return nil }
        var terms = try Terms(index: index, block: block)
        // `matched`: how many leading bytes the current term (below key) shares with key. A
        // next term that keeps more than `matched` bytes of it agrees with it at the byte where
        // it is below key, so it is below key too and is passed without comparing; one that
        // keeps at most `matched` bytes equals key on those and is compared from there.
        var matched = 0
        while try terms.next() {
            if terms.shared > matched { continue }
            let (c, m) = Self.compare(terms.term, key, knownEqual: terms.shared)
            if c < 0 { matched = m; continue }
            return c == 0 ? terms.info : nil
        }
        return nil
    }

    /// What ``scan(_:for:)`` found in its block.
    enum Scan {
        /// The entry of the key.
        case found(TermInfo)
        /// A term above the key: the key is absent.
        case absent
        /// Every term of the block is below the key.
        case pastBlock
        /// Bytes the ``Terms`` iterator would reject (it throws the error), or a term longer than
        /// the scan's buffer: decide with the iterator.
        case unsure
    }

    /// The longest term ``scan(_:for:)`` decodes (longer ones are left to the ``Terms`` iterator).
    static let scanCapacity = 256

    /// The look-up's scan of one block, decoding the entries as ``Terms/next()`` does and making
    /// the same checks (a check that fails answers ``Scan/unsure``), without its costs: terms are
    /// kept in a stack buffer, bytes are read through a raw pointer, and no ``TermInfo`` is made
    /// but the key's. This is the inner loop of every query term in every segment.
    /// `term`: the key as a String, given to the entry found (nil: decoded from its bytes).
    func scan(_ block: Int, for key: [UInt8], term known: String? = nil) -> Scan {
        // 8 bytes of slack: a character is stored as 4 bytes, of which its width count, and a
        // short suffix as 8
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scanCapacity + 8) { term in
            key.withUnsafeBufferPointer { key in scan(block, for: key, term: known, buffer: term.baseAddress!) }
        }
    }

    /// What the scan loop ends with.
    private enum Outcome { case found, absent, pastBlock, unsure }

    private func scan(_ block: Int, for key: UnsafeBufferPointer<UInt8>, term known: String?,
                      buffer term: UnsafeMutablePointer<UInt8>) -> Scan {
        let index = self.index
        let base = index.bytes.base
        // Every read below is at an offset checked against `end` (the Terms section's end, inside
        // the segment's bytes), and `o` never passes `end`, so `o &+ n` for n ≤ end − o cannot
        // overflow; every write into `term` ends at most at scanCapacity + 8 (its capacity).
        let end = index.termsRange.upperBound
        let capacity = Self.scanCapacity
        let e = index.blockIndexStart + block * FileLayout.blockIndexEntrySize
        let start = Int(index.bytes.u32(at: e + 8))
        guard start < end - index.blocksStart else { return .unsure }
        var o = index.blocksStart + start
        let postingsLimit = index.postingsRange.count, positionsLimit = index.positionsRange.count
        let documents = index.documentCount
        let singletonLimit = (UInt64(Int32.max) + 1) * UInt64(documents)
        let statsLimit = UInt64(2 * documents + 1)
        guard var postings = Self.varint(base, &o, end, max: postingsLimit),
              var positions = Self.varint(base, &o, end, max: positionsLimit) else { return .unsure }
        var left = min(index.termsPerBlock, index.termCount - block * index.termsPerBlock)
        var length = 0              // the current term: term[0..<length]
        var matched = 0             // as in find(_:fromBlock:)
        var bigramFirst = -1        // after a character delta: its term's first scalar's length…
        var bigramSecond: UInt32 = 0    // … and second scalar (Terms.bigram)
        var previousHadGaps: Int8 = -1  // Terms.previousHadGaps: -1 nil, 0 false, 1 true
        // A key of two 3-byte scalars (a bigram of the Basic Multilingual Plane): its second. A
        // character-delta entry whose first scalar is the key's (its bytes all matched) is
        // ordered by its second scalar's value (UTF-8 keeps the scalars' order), and its bytes are
        // left unwritten until an entry or the result needs them: while `pending`, term[first...]
        // and `length` are stale, and `matched` is the key's bytes that the term's first scalar
        // matched at least (the rest is worked out with the bytes). Other keys (a bigram with a
        // supplementary-plane character among them) compare bytes.
        let keySecond = key.isEmpty ? nil : TermCoding.threeByteBigramSecond(key.baseAddress!, count: key.count)
        var pending = false
        // the entry found (outcome .found)
        var kind = TokenKind.bigram
        var code: UInt64 = 0, documentFrequency = 0, extra = 0
        var outcome = Outcome.pastBlock
        scan: while left > 0 {
            left &-= 1
            guard o < end else { outcome = .unsure; break }
            let header = base.load(fromByteOffset: o, as: UInt8.self)
            o &+= 1
            let shared: Int
            // -1: below key (passed, or compared); else the sign of term − key
            var order = -1
            var compared = false
            if header >> 5 == 0 {
                // (the previous entry's kind)
                var first = bigramFirst, second = bigramSecond
                if first < 0 {
                    guard let p = TermCoding.twoScalars(UnsafePointer(term), count: length) else { outcome = .unsure; break }
                    first = p.firstLength
                    second = p.second
                }
                var delta = Int(header & 15)
                if header & 16 != 0 {
                    guard let high = Self.varint(base, &o, end, max: 0x10FFFF >> 4), high > 0 else { outcome = .unsure; break }
                    delta |= high &<< 4
                }
                guard let c = Unicode.Scalar(second + UInt32(delta) + 1) else { outcome = .unsure; break }
                let v = c.value
                bigramFirst = first
                bigramSecond = v
                shared = first
                if let w = keySecond, first == 3, matched >= 3 {
                    // the key's first scalar (its 3 bytes), then v
                    pending = true
                    order = v < w ? -1 : v == w ? 0 : 1
                    compared = true
                } else {
                    // first ≤ length ≤ capacity: the 4 bytes stored fit in capacity + 4
                    length = first &+ Self.store(v, at: term + first)
                    pending = false
                    guard length <= capacity else { outcome = .unsure; break }
                }
            } else {
                if pending {
                    // the term before (below key) was ordered by its scalar: its bytes and how many
                    // of them match the key's, which this entry's comparison needs
                    // (bigramFirst ≤ 4, one scalar: the 4 bytes stored fit in capacity + 4)
                    length = bigramFirst &+ Self.store(bigramSecond, at: term + bigramFirst)
                    var i = bigramFirst
                    let n = min(length, key.count)
                    while i < n, term[i] == key[i] { i &+= 1 }
                    matched = i
                    pending = false
                }
                // 2 bits: every value is a kind
                kind = TokenKind(rawValue: header & 3) ?? .bigram
                bigramFirst = -1
                var s = Int(header >> 2) & 7, n = Int(header >> 5)
                if s == 7 { guard let x = Self.varint(base, &o, end, max: 1 << 20) else { outcome = .unsure; break }; s = x }
                if n == 7 { guard let x = Self.varint(base, &o, end, max: 1 << 20) else { outcome = .unsure; break }; n = x }
                guard s <= length, n <= end &- o, s &+ n <= capacity else { outcome = .unsure; break }
                if n <= 8, end &- o >= 8 {
                    // s ≤ capacity: 8 bytes fit; those after the suffix are not part of the term
                    UnsafeMutableRawPointer(term + s).storeBytes(of: base.loadUnaligned(fromByteOffset: o, as: UInt64.self), as: UInt64.self)
                } else if n > 0 {
                    (term + s).initialize(from: (base + o).assumingMemoryBound(to: UInt8.self), count: n)
                }
                o &+= n
                length = s &+ n
                shared = s
            }
            if !compared, shared <= matched {
                let n = min(length, key.count)
                var i = min(shared, n)
                while i < n, term[i] == key[i] { i &+= 1 }
                order = i < n ? (term[i] < key[i] ? -1 : 1) : (length - key.count).signum()
                if order < 0 { matched = i }
            }
            if order != 0, documents > 0, end &- o >= 8 {
                // A singleton's code is only checked to be below singletonLimit (2^31 × documents),
                // which one of at most 4 bytes (below 2^28) is: passed without decoding it.
                let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self))
                let stops = ~w & 0x8080_8080   // the last byte's high bit is 0
                if w & 1 == 1, stops != 0 {
                    o &+= (stops.trailingZeroBitCount &+ 1) >> 3
                    if order > 0 { outcome = .absent; break scan }
                    continue scan
                }
            }
            guard let entryCode = Self.varint(base, &o, end) else { outcome = .unsure; break }
            code = entryCode
            if code & 1 == 1 {
                // a singleton: Terms.next()'s checks
                guard documents > 0, code >> 1 < singletonLimit else { outcome = .unsure; break }
            } else {
                let stats = code >> 1
                guard stats <= statsLimit else { outcome = .unsure; break }
                let df = Int(stats >> 1)
                extra = 0
                if stats & 1 == 0 {
                    guard let x = Self.varint(base, &o, end, max: index.positionCount) else { outcome = .unsure; break }
                    extra = 1 + x
                }
                guard df >= 1, df + extra > 1 else { outcome = .unsure; break }
                if previousHadGaps >= 0 {
                    guard let d = Self.varint(base, &o, end, max: postingsLimit) else { outcome = .unsure; break }
                    postings += d
                    if previousHadGaps == 1 {
                        guard let d = Self.varint(base, &o, end, max: positionsLimit) else { outcome = .unsure; break }
                        positions += d
                    }
                }
                guard postings <= postingsLimit, positions <= positionsLimit else { outcome = .unsure; break }
                previousHadGaps = extra > 0 && !FileLayout.gapsAreInline(documentFrequency: df, totalFrequency: df + extra) ? 1 : 0
                documentFrequency = df
            }
            if order >= 0 { outcome = order == 0 ? .found : .absent; break scan }
        }
        switch outcome {
        case .absent: return .absent
        case .pastBlock: return .pastBlock
        case .unsure: return .unsure
        case .found:
            if pending, known == nil { length = bigramFirst &+ Self.store(bigramSecond, at: term + bigramFirst) }
            let location: TermInfo.Location, df: Int, total: Int
            if code & 1 == 1 {
                let combined = code >> 1
                location = .singleton(document: Int(combined % UInt64(documents)), position: Int(combined / UInt64(documents)))
                df = 1
                total = 1
            } else {
                location = .postings(offset: postings, positionsOffset: positions)
                df = documentFrequency
                total = documentFrequency + extra
            }
            // (found: the entry's bytes equal the key's, so the key's String is the term)
            return .found(TermInfo(term: known ?? String(decoding: UnsafeBufferPointer(start: term, count: length), as: UTF8.self),
                                   documentFrequency: df, totalTermFrequency: total, kind: kind,
                                   location: location, ordinal: ordinal(block: block, left: left), segment: ObjectIdentifier(index)))
        }
    }

    /// Writes scalar `v` in UTF-8 at `p` as one 4-byte store (4 bytes of room) and returns its
    /// byte length.
    @inline(__always)
    private static func store(_ v: UInt32, at p: UnsafeMutablePointer<UInt8>) -> Int {
        let (packed, width) = TermCoding.packedUTF8(v)
        UnsafeMutableRawPointer(p).storeBytes(of: packed.littleEndian, as: UInt32.self)
        return width
    }

    /// The dictionary ordinal of the entry of block `block` after which `left` entries of the
    /// block remain (worked out once a scan has found its entry, not counted entry by entry).
    private func ordinal(block: Int, left: Int) -> Int {
        let entries = min(index.termsPerBlock, index.termCount - block * index.termsPerBlock)
        return block * index.termsPerBlock + entries - left - 1
    }

    /// An unsigned LEB128 varint at `o` (before `end`), as ``ByteReader/varint()`` reads it; nil
    /// where that throws (the end reached, more than 63 bits).
    @inline(__always)
    static func varint(_ base: UnsafeRawPointer, _ o: inout Int, _ end: Int) -> UInt64? {
        if end - o >= 8 {
            // up to three bytes from one 8-byte load (a singleton's code is often three)
            let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self))
            if w & 0x80 == 0 { o += 1; return w & 0x7F }
            if w & 0x8000 == 0 { o += 2; return w & 0x7F | (w >> 8 & 0x7F) << 7 }
            if w & 0x80_0000 == 0 { o += 3; return w & 0x7F | (w >> 8 & 0x7F) << 7 | (w >> 16 & 0x7F) << 14 }
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard o < end else { return nil }
            let b = base.load(fromByteOffset: o, as: UInt8.self)
            o += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            guard shift < 63 else { return nil }
        }
    }

    /// A varint in `0...limit`, as ``ByteReader/varint(max:)`` reads it; nil where that throws.
    @inline(__always)
    static func varint(_ base: UnsafeRawPointer, _ o: inout Int, _ end: Int, max limit: Int) -> Int? {
        guard let v = varint(base, &o, end), v <= UInt64(limit) else { return nil }
        return Int(v)
    }

    /// Bytewise comparison of `a` and `b` whose first `known` bytes are equal (known ≤ both
    /// counts): the sign as ``compare(_:_:)``, and how many leading bytes they share.
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8], knownEqual known: Int) -> (order: Int, shared: Int) {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let n = min(x.count, y.count)
                var i = min(known, n)
                while i < n, x[i] == y[i] { i += 1 }
                if i < n { return (x[i] < y[i] ? -1 : 1, i) }
                return (x.count - y.count, i)
            }
        }
    }

    /// Bytewise comparison: negative, zero or positive as `a` precedes, equals or follows `b`.
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let n = min(x.count, y.count)
                let m = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return m != 0 ? Int(m) : x.count - y.count
            }
        }
    }
}
