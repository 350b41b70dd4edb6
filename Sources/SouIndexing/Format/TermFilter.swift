/// The term filter of a segment that an update adds beside others (FORMAT.md "Section 7:
/// TermFilter"): a split-block Bloom filter over the segment's terms, which answers "this segment
/// has no such term" without touching the dictionary.
///
/// Every query term is looked up in every segment of an index; in the small segments updates add,
/// most of those look-ups are for terms the segment does not have (77% on fortunes-zh cut in ten),
/// and each costs a binary search of the block index and a block scan. The filter answers them
/// with one 32-byte block of memory.
///
/// The layout is the split-block Bloom filter of Apache Parquet's specification (blocks of eight
/// 32-bit words, one bit set in each word per key, the word's bit chosen by multiplying the low
/// 32 bits of the key's hash by that word's odd constant): a key touches one cache line, and the
/// constants are the specification's. The hash is Sou's own (FNV-1a 64 over the key's bytes,
/// then MurmurHash3's 64-bit finalizer), so the format depends on nothing outside FORMAT.md.
///
/// Keys: every term's bytes, and for every term of two or more Unicode scalars, its first
/// scalar's bytes followed by 0xFF (a *prefix key*; 0xFF never occurs in UTF-8, so no term has
/// those bytes): a single-character query, which reads every term that starts with the character,
/// asks for the character as a term and as a prefix key.
enum TermFilter {
    /// Filter bits per key: a false-positive rate of about 1% (a false positive costs the
    /// dictionary look-up the filter would have saved, never a wrong answer).
    static let bitsPerKey = 10
    /// Bytes of a filter block: eight 32-bit words.
    static let blockSize = 32
    /// Bytes before the blocks: BlockCount u32, Reserved u32.
    static let headerSize = 8
    /// The multipliers choosing a key's bit in each word of its block (Parquet's constants).
    static let salts: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x47B6_137B, 0x4497_4D91, 0x8824_AD5B, 0xA2B7_289D, 0x7054_95C7, 0x2DF1_424B, 0x9EFC_4947, 0x5C6B_FB31)

    /// The hash of a key's bytes: FNV-1a 64, then MurmurHash3's fmix64 (FNV alone leaves the
    /// high bits, which choose the block, poorly mixed for short keys).
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, prefixKey: Bool = false) -> UInt64 {
        var h = fnv(key, from: fnvBasis)
        if prefixKey { h = (h ^ 0xFF) &* fnvPrime }
        return finalized(h)
    }

    /// The block of a hash among `blockCount`: the high 32 bits scaled to the count.
    @inline(__always)
    static func block(of hash: UInt64, blockCount: Int) -> Int {
        Int(((hash >> 32) &* UInt64(blockCount)) >> 32)
    }

    /// The mask of word `i` (0–7) for a hash: one bit, chosen by the top 5 bits of the low 32
    /// bits of the hash times the word's salt.
    @inline(__always)
    static func mask(_ hash: UInt64, word i: Int) -> UInt32 {
        let salt: UInt32
        switch i {
        case 0: salt = salts.0
        case 1: salt = salts.1
        case 2: salt = salts.2
        case 3: salt = salts.3
        case 4: salt = salts.4
        case 5: salt = salts.5
        case 6: salt = salts.6
        default: salt = salts.7
        }
        return 1 << ((UInt32(truncatingIfNeeded: hash) &* salt) >> 27)
    }

    /// Blocks of a filter for `keys` keys (at least one).
    static func blockCount(keys: Int) -> Int {
        max(1, (keys * bitsPerKey + blockSize * 8 - 1) / (blockSize * 8))
    }

    /// The hashes of a term's keys: its bytes, and its prefix key when it has two or more
    /// Unicode scalars (nil otherwise). What the writer adds and `sou check` requires.
    @inline(__always)
    static func keyHashes(of term: UnsafeRawBufferPointer) -> (term: UInt64, prefix: UInt64?) {
        guard let first = TermCoding.scalar(term, at: 0), first.length < term.count else { return (hash(term), nil) }
        // one FNV pass: the state after the first scalar's bytes is the prefix key's before its
        // 0xFF (the same values as hash(_:prefixKey:) of each key)
        var h = fnv(UnsafeRawBufferPointer(rebasing: term[..<first.length]), from: fnvBasis)
        let prefix = finalized((h ^ 0xFF) &* fnvPrime)
        h = fnv(UnsafeRawBufferPointer(rebasing: term[first.length...]), from: h)
        return (finalized(h), prefix)
    }

    private static let fnvBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    /// FNV-1a 64 over `bytes`, from state `h`.
    @inline(__always)
    private static func fnv(_ bytes: UnsafeRawBufferPointer, from h: UInt64) -> UInt64 {
        var h = h
        for b in bytes {
            h ^= UInt64(b)
            h &*= fnvPrime
        }
        return h
    }

    /// MurmurHash3's fmix64.
    @inline(__always)
    private static func finalized(_ h: UInt64) -> UInt64 {
        var h = h
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    /// Whether the filter whose blocks start at `blocks` (`blockCount` of them, in bounds) may
    /// hold the key of `hash`: false means the key was never added.
    @inline(__always)
    static func mayContain(_ hash: UInt64, blocks: UnsafeRawPointer, blockCount: Int) -> Bool {
        // the block is < blockCount: (hash >> 32) · blockCount < 2^32 · blockCount
        let b = blocks + block(of: hash, blockCount: blockCount) * blockSize
        for i in 0..<8 {
            let word = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            if word & mask(hash, word: i) == 0 { return false }
        }
        return true
    }

    /// Collects the keys of a segment's terms as the dictionary writer adds them, then writes the
    /// section.
    struct Writer {
        private var hashes: [UInt64] = []
        /// The previous prefix key's hash (terms come sorted, so a prefix key repeats in a run;
        /// a key added twice sets the same bits, so equal hashes need not be told apart).
        private var previousPrefix: UInt64? = nil

        /// Adds a term (terms come in dictionary order).
        mutating func add(term: UnsafeBufferPointer<UInt8>) {
            let keys = TermFilter.keyHashes(of: UnsafeRawBufferPointer(term))
            hashes.append(keys.term)
            if let prefix = keys.prefix, prefix != previousPrefix {
                previousPrefix = prefix
                hashes.append(prefix)
            }
        }

        /// The section's bytes: BlockCount, Reserved 0, the blocks.
        func finish() -> ByteWriter {
            let count = TermFilter.blockCount(keys: hashes.count)
            var out = ByteWriter()
            out.u32(UInt32(count))
            out.u32(0)
            // the blocks' words set in place, little-endian (a segment's keys number in the
            // hundreds of thousands: the loop runs once a key)
            let start = out.count
            out.bytes.append(contentsOf: repeatElement(0, count: count * blockSize))
            out.bytes.withUnsafeMutableBytes { bytes in
                // in bounds: block(of:blockCount:) < count, so b + 4 · 7 + 4 ≤ start + count · 32
                let words = bytes.baseAddress! + start
                for h in hashes {
                    let b = TermFilter.block(of: h, blockCount: count) &* blockSize
                    for i in 0..<8 {
                        let at = b &+ 4 &* i
                        let w = UInt32(littleEndian: words.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                        words.storeBytes(of: (w | TermFilter.mask(h, word: i)).littleEndian, toByteOffset: at, as: UInt32.self)
                    }
                }
            }
            return out
        }
    }
}
