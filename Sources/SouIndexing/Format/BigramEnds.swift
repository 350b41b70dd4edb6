/// The bigrams that end a CJK run, by their second character (FORMAT.md "Section 8:
/// BigramEnds"): how a single-character query finds the occurrences of a character that ends a
/// run, which no bigram starts.
///
/// A character occurs in a run of two or more characters either where a bigram starts (the
/// bigram is in the dictionary's contiguous range of terms starting with it) or as the run's last
/// character, one slot after the bigram that ends the run. Up to format version 6 the writer
/// indexed a unigram there (a *run-end unigram*: 8–9% of a CJK index's bytes). Since version 7
/// it records instead, for each character, the dictionary ordinals of the bigrams ending with it
/// that end a run somewhere in the segment: a few percent of the bigrams (15% on manpages-zh),
/// coded as varint gaps.
enum BigramEnds {
    /// Characters per block of the block index.
    static let charactersPerBlock = 16
    /// Bytes before the block index: CharacterCount u32, OrdinalCount u32.
    static let headerSize = 8
    /// Bytes of a block index entry: the block's first character u32, its offset u32.
    static let indexEntrySize = 8

    /// Collects the run-ending bigrams of a segment's dictionary, in dictionary order, and writes
    /// the section.
    struct Writer {
        /// Every run-ending bigram added, as second character << 32 | ordinal (sorted as plain
        /// integers: by character, then ordinal).
        private var ends: [UInt64] = []

        /// Records that the term with dictionary ordinal `ordinal`, a bigram whose second
        /// scalar is `character`, ends a run in some document of the segment. Ordinals come in
        /// increasing order (the dictionary's).
        mutating func add(ordinal: Int, character: UInt32) {
            ends.append(UInt64(character) << 32 | UInt64(UInt32(ordinal)))
        }

        /// The section's bytes: characters in increasing order, each with its ordinals in
        /// increasing order.
        func finish() -> [UInt8] {
            let sorted = Self.sortedByCharacter(ends)
            func character(_ k: Int) -> UInt32 { UInt32(truncatingIfNeeded: sorted[k] >> 32) }
            var groups = ByteWriter()
            var index = ByteWriter()
            var characters = 0
            var i = 0
            var previous: UInt32 = 0
            while i < sorted.count {
                let c = character(i)
                var j = i
                while j < sorted.count, character(j) == c { j += 1 }
                if characters % BigramEnds.charactersPerBlock == 0 {
                    index.u32(c)
                    index.u32(UInt32(groups.count))
                    groups.varint(Int(c))
                } else {
                    groups.varint(Int(c - previous - 1))
                }
                groups.varint(j - i)
                var last = -1
                for k in i..<j {
                    let o = Int(UInt32(truncatingIfNeeded: sorted[k]))
                    groups.varint(o - last - 1)
                    last = o
                }
                previous = c
                characters += 1
                i = j
            }
            var out = ByteWriter()
            out.u32(UInt32(characters))
            out.u32(UInt32(sorted.count))
            out.append(contentsOf: index.bytes)
            out.append(contentsOf: groups.bytes)
            return out.bytes
        }

        /// `ends` sorted as integers (by character, then ordinal) when their ordinals increase, as
        /// ``add(ordinal:character:)`` receives them: then a stable sort by character alone is
        /// that order, and a least significant digit radix sort of the 21-bit characters (two
        /// passes of 11 bits, a pass skipped when all share its digit) makes it in linear time.
        /// (The library's comparison sort took 1.9 ms of a dev-all build's serial end, for
        /// 52,000 entries.)
        static func sortedByCharacter(_ ends: [UInt64]) -> [UInt64] {
            let n = ends.count
            guard n >= 1024 else { return ends.sorted() }
            var source = ends
            var target = [UInt64](repeating: 0, count: n)
            var counts = [Int](repeating: 0, count: 1 << 11)
            for shift: UInt64 in [32, 43] {
                let moved = source.withUnsafeBufferPointer { from in
                    target.withUnsafeMutableBufferPointer { to in
                        counts.withUnsafeMutableBufferPointer { counts in
                            // in bounds: a digit is < 2^11, the counts' size; a place is < n (the
                            // running counts of n values)
                            func digit(_ v: UInt64) -> Int { Int(truncatingIfNeeded: (v &>> shift) & 0x7FF) }
                            for b in counts.indices { counts[b] = 0 }
                            for v in from { counts[digit(v)] += 1 }
                            if counts[digit(from[0])] == n { return false }   // one digit: nothing to order
                            var sum = 0
                            for b in counts.indices { let c = counts[b]; counts[b] = sum; sum += c }
                            for v in from {
                                let d = digit(v)
                                to[counts[d]] = v
                                counts[d] += 1
                            }
                            return true
                        }
                    }
                }
                if moved { swap(&source, &target) }
            }
            return source
        }
    }
}

extension BigramEnds {
    /// Reads the section in place: the block index is binary-searched for a character, its
    /// block scanned; every read is bounds-checked (damaged bytes throw).
    struct Reader: Sendable {
        let bytes: IndexBytes
        let range: Range<Int>
        /// Characters with run-ending bigrams, and the ordinals listed in all.
        let characterCount: Int, ordinalCount: Int
        let indexStart: Int, groupsStart: Int
        let termCount: Int

        /// Checks the header against the section's length (`termCount`: the segment's terms).
        init(_ bytes: IndexBytes, range: Range<Int>, termCount: Int) throws {
            self.bytes = bytes
            self.range = range
            self.termCount = termCount
            guard range.count >= BigramEnds.headerSize else { throw IndexError.corrupt("bigram-ends: section too short") }
            characterCount = Int(bytes.u32(at: range.lowerBound))
            ordinalCount = Int(bytes.u32(at: range.lowerBound + 4))
            blockCount = (characterCount + BigramEnds.charactersPerBlock - 1) / BigramEnds.charactersPerBlock
            guard characterCount <= ordinalCount, ordinalCount <= termCount,
                  blockCount * BigramEnds.indexEntrySize <= range.count - BigramEnds.headerSize else {
                throw IndexError.corrupt("bigram-ends: \(characterCount) characters and \(ordinalCount) bigrams do not fit")
            }
            indexStart = range.lowerBound + BigramEnds.headerSize
            groupsStart = indexStart + blockCount * BigramEnds.indexEntrySize
        }

        /// Blocks of the block index: ceil(characterCount / charactersPerBlock).
        private let blockCount: Int

        /// The dictionary ordinals of the run-ending bigrams whose second character is
        /// `character`, increasing (empty when there are none).
        func ordinals(endingWith character: UInt32) throws -> [Int] {
            var result: [Int] = []
            try visitOrdinals(endingWith: character) { o in result.append(o); return true }
            return result
        }

        /// Whether the section lists the bigram with dictionary ordinal `ordinal` under
        /// `character` (its second character): whether that bigram ends a run somewhere in the
        /// segment. Reads the character's ordinals up to `ordinal`, allocating nothing.
        func lists(_ ordinal: Int, endingWith character: UInt32) throws -> Bool {
            var found = false
            try visitOrdinals(endingWith: character) { o in
                found = o == ordinal
                return o < ordinal
            }
            return found
        }

        /// Calls `visit` with the ordinals listed under `character`, increasing, while it
        /// returns true (none when the character has none).
        private func visitOrdinals(endingWith character: UInt32, _ visit: (Int) throws -> Bool) throws {
            // the last block whose first character is ≤ character
            var lo = 0, hi = blockCount - 1, found = -1
            while lo <= hi {
                let mid = (lo + hi) / 2
                if bytes.u32(at: indexStart + mid * BigramEnds.indexEntrySize) <= character { found = mid; lo = mid + 1 } else { hi = mid - 1 }
            }
            guard found >= 0 else { return }
            try walk(block: found) { c, ordinals in
                if c == character {
                    while let o = try ordinals.next() { if !(try visit(o)) { break } }
                    return false
                }
                return c < character
            }
        }

        /// The ordinals of one character of a block, read one by one (checked: increasing, below
        /// the term count); ``walk(block:_:)`` passes over those its visitor leaves unread
        /// without decoding them (`sou check` reads them all, through ``forEach(_:)``).
        struct Ordinals {
            fileprivate var reader: ByteReader
            fileprivate var left: Int
            fileprivate var last = -1
            fileprivate let termCount: Int

            /// Passes over the ordinals not read (unchecked: nobody reads them).
            mutating func skipRest() throws {
                try reader.skipVarints(left)
                left = 0
            }

            /// The next ordinal, nil after the last.
            mutating func next() throws -> Int? {
                guard left > 0 else { return nil }
                left -= 1
                let o = last + 1 + (try reader.varint(max: termCount))
                guard o < termCount else { throw reader.fail("ordinal out of range") }
                last = o
                return o
            }
        }

        /// Calls `visit` with each character of block `block` and its ordinals, in order, while it
        /// returns true; checks what it reads (characters increasing, ordinals increasing below
        /// the term count, counts within the section).
        func walk(block: Int, _ visit: (UInt32, inout Ordinals) throws -> Bool) throws {
            let offset = Int(bytes.u32(at: indexStart + block * BigramEnds.indexEntrySize + 4))
            guard offset <= range.upperBound - groupsStart else { throw IndexError.corrupt("bigram-ends: block offset out of range") }
            var r = ByteReader(bytes, range: (groupsStart + offset)..<range.upperBound, context: "bigram-ends")
            let first = bytes.u32(at: indexStart + block * BigramEnds.indexEntrySize)
            let n = min(BigramEnds.charactersPerBlock, characterCount - block * BigramEnds.charactersPerBlock)
            var c: UInt32 = 0
            for i in 0..<n {
                let v = try r.varint(max: 0x10FFFF)
                if i == 0 {
                    guard v == Int(first) else { throw r.fail("block's first character disagrees with its index entry") }
                    c = UInt32(v)
                } else {
                    guard Int(c) + v + 1 <= 0x10FFFF else { throw r.fail("character out of range") }
                    c += UInt32(v) + 1
                }
                let count = try r.varint(max: ordinalCount)
                guard count >= 1 else { throw r.fail("a character without bigrams") }
                var ordinals = Ordinals(reader: r, left: count, termCount: termCount)
                let goOn = try visit(c, &ordinals)
                if !goOn { return }
                try ordinals.skipRest()
                r = ordinals.reader
            }
        }

        /// Every character with its ordinals, in order (`sou check`, the segment merger).
        func forEach(_ visit: (UInt32, [Int]) throws -> Void) throws {
            var previous: Int64 = -1
            for b in 0..<blockCount {
                try walk(block: b) { c, reader in
                    guard Int64(c) > previous else { throw IndexError.corrupt("bigram-ends: characters out of order") }
                    previous = Int64(c)
                    var ordinals: [Int] = []
                    while let o = try reader.next() { ordinals.append(o) }
                    try visit(c, ordinals)
                    return true
                }
            }
        }
    }
}
