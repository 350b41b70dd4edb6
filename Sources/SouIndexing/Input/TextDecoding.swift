import CICUShim
import Glibc

/// How a file's bytes become text (UTF-8): by their byte order mark, as UTF-8, or converted from
/// the charset ICU's detector recognizes (GB18030/GBK, Big5, Shift_JIS, EUC-JP, EUC-KR, UTF-16,
/// …), or from a charset the user forces. What cannot be read as text is refused with a reason.
enum TextDecoding {
    /// Bytes the detector looks at (the start of the file): enough for a confident guess,
    /// bounded work for large files.
    static let detectionSample = 64 << 10
    /// The lowest detector confidence (0–100) at which a file is converted from the detected
    /// charset. ICU gives CJK multi-byte charsets 100 for a few dozen characters of real text
    /// and low scores to guesses about very short or mixed input.
    static let minimumConfidence = 50
    /// Invalid sequences tolerated (as U+FFFD) in a file converted, or read as UTF-8 without
    /// the multi-byte characters of ``damagedUTF8Ratio``: one in 20 bytes. Beyond that it is not
    /// text in that charset.
    static let tolerance = 20
    /// Valid multi-byte characters needed per invalid sequence for text to be read as damaged
    /// UTF-8 (invalid sequences replaced) before the detector is asked, however short the text
    /// and however close its invalid sequences. Legacy CJK double bytes are rarely valid UTF-8:
    /// GBK, Big5, Shift_JIS, EUC-JP and EUC-KR text has one valid multi-byte character per
    /// three to six invalid sequences. (Asked first, the detector read `集体协商\xFF\xFE\x80工资`
    /// as windows-1252, and its words were lost.)
    static let damagedUTF8Ratio = 2

    /// The outcome of decoding one file.
    enum Outcome {
        /// The text (without a byte order mark), the charset it was read in, what to say in
        /// `--verbose` (how the charset was chosen, replaced sequences), and the number of
        /// sequences replaced by U+FFFD.
        case text(String, charset: String, how: String, replaced: Int)
        /// Not text: NUL bytes (and no UTF-16/32 recognized).
        case binary(String)
        /// Not UTF-8 and in no charset recognized with enough confidence.
        case undecodable(String)
    }

    /// The canonical ICU name of charset `name`, or nil when ICU has no converter for it.
    static func canonicalName(_ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 128)
        guard sou_charset_exists(name, &buffer, buffer.count) == 1 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// ICU's best guess for the start of `bytes`: charset name and confidence.
    static func detect(_ bytes: [UInt8]) -> (name: String, confidence: Int)? {
        var buffer = [CChar](repeating: 0, count: 128)
        var confidence: Int32 = 0
        let n = min(bytes.count, detectionSample)
        let status = bytes.withUnsafeBufferPointer { sou_charset_detect($0.baseAddress, Int32(n), &buffer, buffer.count, &confidence) }
        guard status == 0 else { return nil }
        return (String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), Int(confidence))
    }

    /// `bytes` converted from `charset` to UTF-8 (invalid sequences as U+FFFD, counted); nil when
    /// ICU cannot convert.
    static func convert(_ bytes: ArraySlice<UInt8>, from charset: String) -> (text: String, substitutions: Int)? {
        var capacity = bytes.count * 3 + 16
        while true {
            var output = [UInt8](repeating: 0, count: capacity)
            var substitutions: Int64 = 0
            var error: Int32 = 0
            let n = bytes.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    sou_charset_to_utf8(charset, input.baseAddress, Int64(input.count), out.baseAddress, Int64(out.count),
                                        &substitutions, &error)
                }
            }
            guard n >= 0 else { return nil }
            if Int(n) <= capacity {
                var text = String(decoding: output[0..<Int(n)], as: UTF8.self)
                if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
                return (text, Int(substitutions))
            }
            capacity = Int(n)
        }
    }

    /// Invalid UTF-8 sequences in `bytes` (each maximal invalid subpart counts once), and valid
    /// multi-byte characters (scalars from U+0080 up).
    static func utf8Sequences(_ bytes: ArraySlice<UInt8>) -> (invalid: Int, multiByte: Int) {
        var invalid = 0, multiByte = 0
        var it = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): if s.value >= 0x80 { multiByte += 1 }
            case .emptyInput: break loop
            case .error: invalid += 1
            }
        }
        return (invalid, multiByte)
    }

    /// Whether the start of a file is binary: NUL bytes, and neither a UTF-16/32 byte order mark
    /// nor UTF-16 text (``wideCharset(_:)``).
    static func isBinary(_ head: ArraySlice<UInt8>) -> Bool {
        hasNUL(head) && !isWideText(head)
    }

    /// Whether the start of a file is UTF-16/32 text, whose NUL bytes are text: a UTF-16/32 byte
    /// order mark, or UTF-16 text recognized by ``wideCharset(_:)``.
    static func isWideText(_ head: ArraySlice<UInt8>) -> Bool {
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            return true
        }
        // (the head may end inside a code unit: the whole file's length is checked when decoding)
        return wideCharset(head) != nil || cjkWideCharset(head, isWhole: false) != nil
    }

    /// UTF-16 without a byte order mark, recognized in the start of a file with NUL bytes by the
    /// pattern of UTF-16 text, not by a NUL byte alone:
    /// - every NUL byte has the same parity (odd offsets: little-endian, even: big-endian; the
    ///   high byte of ASCII characters and of line breaks). Binary data has NUL bytes at both
    ///   parities (and is refused without asking ICU: a folder of images costs one read each);
    /// - and either NUL bytes in at least one code unit in ``wideNULShare`` (two at least: text
    ///   in Latin letters, every ASCII character of which has one, the code units ICU's UTF-16
    ///   recognizer counts), or bytes that are not UTF-8 text: more than one in ``tolerance``
    ///   bytes an invalid sequence or a control byte other than NUL, tab, line feed, form feed,
    ///   carriage return and escape (``notUTF8Text(_:)``: CJK text in UTF-16 has NUL bytes only
    ///   in its line breaks and spaces, and read as UTF-8 it is nearly all invalid sequences;
    ///   Cyrillic, Greek, Arabic… have a control byte, their high byte, in every letter). UTF-8
    ///   text with a NUL byte in it has neither: it is binary, as ripgrep has it (before, one NUL
    ///   byte in CJK UTF-8 made it "UTF-16BE" garbage);
    /// - and the sample's code units read as text (``wideText(_:bigEndian:cut:)``): at least
    ///   ``wideMinimumUnits`` of them, no unpaired surrogate, control, noncharacter, private-use
    ///   or unassigned character, ASCII words and spaces in the NUL-byte units, the other
    ///   characters of one script. (Before, NUL bytes of one parity and a decoding without
    ///   controls sufficed: tiny random binary files were "UTF-16" as often as not, and were
    ///   indexed as garbage.)
    /// `isWhole`: `head` is the whole file (a high surrogate may not end it).
    /// UTF-32 needs its byte order mark.
    static func wideCharset(_ head: ArraySlice<UInt8>, isWhole: Bool = false) -> String? {
        let sample = head.prefix(detectionSample)
        var even = 0, odd = 0
        for (i, b) in sample.enumerated() where b == 0 {
            if i & 1 == 0 { even += 1 } else { odd += 1 }
            if even > 0, odd > 0 { return nil }
        }
        let nuls = even + odd
        guard nuls > 0 else { return nil }
        // a sample cut in the middle of a character: decode whole code units only
        let whole = sample.prefix(sample.count - sample.count % 2)
        let latin = nuls >= 2 && nuls * wideNULShare >= whole.count / 2
        guard latin || notUTF8Text(sample) else { return nil }
        let bigEndian = even > 0
        // (a head may stop inside a surrogate pair; a whole file may not)
        guard wideText(whole, bigEndian: bigEndian, cut: whole.count < head.count || !isWhole) else { return nil }
        return bigEndian ? "UTF-16BE" : "UTF-16LE"
    }

    /// The fewest code units ``wideCharset(_:isWhole:)`` decides on: a shorter text with NUL
    /// bytes and no byte order mark is binary (before, eight random bytes with NUL bytes at odd
    /// offsets only were "UTF-16LE" two times in three).
    static let wideMinimumUnits = 16

    /// Whether `sample`'s code units, in that byte order, read as text (``wideCharset(_:isWhole:)``),
    /// by what text is made of; random units (binary data) fail one rule or another:
    /// - at least ``wideMinimumUnits`` of them;
    /// - no unpaired surrogate (`cut`: a high surrogate as the last unit is the sample's cut);
    /// - no character text does not hold: a control other than tab, line feed, form feed and
    ///   carriage return (C0, DEL, C1), a noncharacter, a private-use or unassigned code point
    ///   (the general category Swift's standard library knows);
    /// - the units with a NUL byte (U+0000–U+00FF) ASCII letters, digits and white space in at
    ///   least two of three when they are half the units or more (text in Latin letters), half
    ///   otherwise (the spaces, line breaks, digits and punctuation of text in another script),
    ///   and one white space at least (a space or a line break);
    /// - the other characters of one script in nine of ten (``wideScript(_:)``): text is written
    ///   in one, while random units scatter over the BMP (where the common Han characters take
    ///   a third, Hangul a sixth). Common punctuation and symbols count for none.
    static func wideText(_ sample: ArraySlice<UInt8>, bigEndian: Bool, cut: Bool) -> Bool {
        let units = sample.count / 2
        guard units >= wideMinimumUnits else { return false }
        var latin1 = 0, alphanumeric = 0, spaces = 0
        var scripts: [Int: Int] = [:]
        var i = sample.startIndex
        var k = 0
        scan: while k < units {
            let a = UInt32(sample[i]), b = UInt32(sample[i + 1])
            var u = bigEndian ? a << 8 | b : b << 8 | a
            i += 2
            k += 1
            if u >= 0xD800, u <= 0xDFFF {
                guard u <= 0xDBFF else { return false }
                if k == units {
                    // the sample's last unit: the pair's other half is past the cut
                    guard cut else { return false }
                    break scan
                }
                let c = UInt32(sample[i]), d = UInt32(sample[i + 1])
                let low = bigEndian ? c << 8 | d : d << 8 | c
                guard low >= 0xDC00, low <= 0xDFFF else { return false }
                u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                i += 2
                k += 1
            }
            if u < 0x100 {
                latin1 += 1
                switch u {
                case 0x09, 0x0A, 0x0C, 0x0D, 0x20: spaces += 1
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: alphanumeric += 1
                case 0x21...0x7E, 0xA0...0xFF: break
                default: return false    // controls
                }
                continue
            }
            guard let scalar = Unicode.Scalar(u), !scalar.properties.isNoncharacterCodePoint else { return false }
            switch scalar.properties.generalCategory {
            case .unassigned, .privateUse, .surrogate, .control: return false
            default: break
            }
            if let script = wideScript(u) { scripts[script, default: 0] += 1 }
        }
        // (text in Latin letters: its NUL-byte units are the most of it, and nearly all words)
        let wordShare = latin1 * 2 >= units ? 3 : 2
        guard spaces > 0, (alphanumeric + spaces) * wordShare >= latin1 * (wordShare - 1) else { return false }
        let grouped = scripts.values.reduce(0, +)
        return (scripts.values.max() ?? 0) * 10 >= grouped * 9
    }

    /// The script of a character outside Latin-1 for ``wideText(_:bigEndian:cut:)``, or nil for
    /// the punctuation and symbols text in any script uses (general punctuation, currency,
    /// letterlike symbols, arrows, mathematical operators, enclosed alphanumerics, box drawing,
    /// shapes, miscellaneous symbols, CJK and fullwidth punctuation, enclosed and compatibility
    /// CJK forms, fullwidth letters and digits, combining diacritics, emoji). Han with kana and
    /// Bopomofo (Chinese, Japanese) is one script, Hangul another, Latin's extensions one,
    /// Greek, Cyrillic and Arabic one each; any other character is taken by its block of 128
    /// code points (so are the rare Han of Extension A, the compatibility ideographs and the
    /// radicals, which random units hit more often than text does).
    static func wideScript(_ u: UInt32) -> Int? {
        switch u {
        case 0x0300...0x036F, 0x2000...0x206F, 0x20A0...0x20CF, 0x2100...0x27BF, 0x3000...0x303F, 0x3200...0x33FF,
             0xFE10...0xFE1F, 0xFE30...0xFE4F, 0xFEFF, 0xFF01...0xFF65, 0xFFE0...0xFFEF, 0xFFFD, 0x1F000...0x1FAFF:
            return nil
        case 0x3040...0x312F, 0x31A0...0x31BF, 0x4E00...0x9FFF, 0xFF66...0xFF9F, 0x20000...0x3FFFF:
            return -1
        case 0x1100...0x11FF, 0x3130...0x318F, 0xA960...0xA97F, 0xAC00...0xD7FF, 0xFFA0...0xFFDF:
            return -2
        case 0x0100...0x024F, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xAB30...0xAB6F:
            return -3
        case 0x0370...0x03FF, 0x1F00...0x1FFF:
            return -4
        case 0x0400...0x052F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F:
            return -5
        case 0x0600...0x06FF, 0x0750...0x077F, 0x08A0...0x08FF, 0xFB50...0xFDFF, 0xFE70...0xFEFE:
            return -6
        default:
            return Int(u >> 7)
        }
    }

    /// UTF-16 without a byte order mark whose text is mostly CJK, recognized by what its code
    /// units are, not by its NUL bytes: CJK code units have none (集 is 96C6), and those that do
    /// (一 U+4E00, 最 U+6700, 대 U+B300) put NUL bytes at both parities, which
    /// ``wideCharset(_:)`` takes for binary data. In one byte order, and not in the other:
    /// - at least ``cjkMinimumUnits`` code units (a few dozen characters), and an even length
    ///   when `bytes` is the whole file (`isWhole`; a head may stop inside a unit);
    /// - no unpaired surrogate (a high surrogate cut at the end of a sample excepted);
    /// - at least ``cjkInRangePercent`` percent of the code units in the ranges CJK text uses
    ///   (``isCJKTextUnit(_:)``: ASCII without controls, Latin-1, punctuation and symbols, CJK
    ///   punctuation, kana, Bopomofo, Hangul, CJK ideographs and Extension A, fullwidth forms,
    ///   supplementary ideographs as surrogate pairs), at least one in ``cjkProperShare``
    ///   ideographs, kana or Hangul, and at most one in ``cjkLowZeroShare`` with a zero low byte.
    /// Random bytes make code units in those ranges about 65% of the time: 61 of 64 in range
    /// happens about once in 10^8 random buffers, and more units make it rarer still. Legacy
    /// double-byte text can look like it in one byte order (Shift_JIS kanji and kana lead bytes
    /// 0x81–0x9F are the high bytes of CJK ideographs, EUC-KR Hangul lead bytes those of Hangul
    /// syllables): ``decode(_:forced:)`` asks ICU's detector first when there is no NUL byte,
    /// and ICU recognizes such text with confidence.
    static func cjkWideCharset(_ bytes: ArraySlice<UInt8>, isWhole: Bool) -> String? {
        if isWhole, bytes.count % 2 != 0 { return nil }
        let sample = bytes.prefix(detectionSample)
        guard sample.count / 2 >= cjkMinimumUnits else { return nil }
        let cut = sample.count < bytes.count || !isWhole
        let little = cjkTextUnits(sample, bigEndian: false, cut: cut)
        let big = cjkTextUnits(sample, bigEndian: true, cut: cut)
        if little, !big { return "UTF-16LE" }
        if big, !little { return "UTF-16BE" }
        return nil
    }

    /// The fewest code units ``cjkWideCharset(_:isWhole:)`` decides on.
    static let cjkMinimumUnits = 64
    /// The share of code units, in percent, that must be in ranges CJK text uses.
    static let cjkInRangePercent = 95
    /// At least one code unit in this many must be an ideograph, kana or Hangul.
    static let cjkProperShare = 4
    /// At most one code unit in this many may have a zero low byte. Text in Latin, Cyrillic or
    /// Greek letters read in the wrong byte order is ideographs and Hangul to the ranges (`a`
    /// U+0061 becomes U+6100, `α` U+03B1 becomes U+B103), but each of its ASCII characters, its
    /// spaces at least, becomes such a unit (U+2000); in CJK text they are rare (一 U+4E00,
    /// 最 U+6700 and 대 U+B300 are the common ones: one or two characters in a hundred).
    static let cjkLowZeroShare = 16
    /// At most this many code units in ten may be two printable ASCII bytes. ASCII text read
    /// as UTF-16 is ideographs and symbols to the ranges (`ab` is U+6261), and where it has
    /// little punctuation, as in the symbol names and debug strings of a program, NUL bytes
    /// between them included, everything else passes too: in Sou's debug build, a quarter
    /// of the 64 KiB pieces did in both byte orders, and in CI one in one order only. Such pieces
    /// have 88–99% of these units; CJK text at most 72% in any window of 64 units of the
    /// shared corpora (kana and ideographs up to U+7E7E are printable bytes), 10–21% overall.
    static let cjkASCIIPairTenths = 8

    /// Whether `sample`'s whole code units, in that byte order, are CJK text: no unpaired
    /// surrogate (`cut`: a high surrogate as the last unit is the sample's cut, not an error),
    /// at least ``cjkInRangePercent``% of them in ``isCJKTextUnit(_:)``, at least one in
    /// ``cjkProperShare`` ideographs, kana or Hangul, at most one in ``cjkLowZeroShare`` with a
    /// zero low byte, at most ``cjkASCIIPairTenths`` in ten two printable ASCII bytes.
    static func cjkTextUnits(_ sample: ArraySlice<UInt8>, bigEndian: Bool, cut: Bool) -> Bool {
        var units = sample.count / 2
        var inRange = 0, proper = 0, lowZero = 0, asciiPairs = 0
        var i = sample.startIndex
        var k = 0
        while k < units {
            let a = UInt16(sample[i]), b = UInt16(sample[i + 1])
            let u = bigEndian ? a << 8 | b : b << 8 | a
            if u >= 0xD800, u <= 0xDFFF {
                // a surrogate pair: a low surrogate must follow a high one
                guard u <= 0xDBFF else { return false }
                guard k + 1 < units else {
                    // the sample's last unit: the pair's other half is past the cut
                    guard cut else { return false }
                    units -= 1
                    break
                }
                let c = UInt16(sample[i + 2]), d = UInt16(sample[i + 3])
                let low = bigEndian ? c << 8 | d : d << 8 | c
                guard low >= 0xDC00, low <= 0xDFFF else { return false }
                // planes 2 and 3 (U+20000–U+3FFFF: CJK Extensions B to H) are ideographs
                if u >= 0xD840, u <= 0xD8BF { inRange += 2; proper += 2 }
                i += 4
                k += 2
                continue
            }
            switch isCJKTextUnit(u) {
            case .ideographic: inRange += 1; proper += 1
            case .other: inRange += 1
            case .no: break
            }
            if u & 0xFF == 0 { lowZero += 1 }
            if u & 0x8080 == 0, u & 0xFF >= 0x20, u & 0xFF != 0x7F, u >= 0x2000, u >> 8 != 0x7F { asciiPairs += 1 }
            i += 2
            k += 1
        }
        return inRange * 100 >= units * cjkInRangePercent && proper * cjkProperShare >= units && lowZero * cjkLowZeroShare <= units
            && asciiPairs * 10 <= units * cjkASCIIPairTenths
    }

    /// What a UTF-16 code unit (not a surrogate) is to CJK text.
    enum CJKUnit { case ideographic, other, no }

    /// Whether code unit `u` is one CJK text uses: `.ideographic` for ideographs, kana and
    /// Hangul, `.other` for what surrounds them (ASCII without controls other than tab, line
    /// feed, form feed and carriage return; Latin-1; general punctuation, letterlike symbols,
    /// number forms, arrows, mathematical operators, enclosed alphanumerics, box drawing,
    /// geometric shapes, miscellaneous symbols; CJK punctuation, Bopomofo, enclosed CJK letters,
    /// CJK compatibility, vertical and compatibility forms; fullwidth and halfwidth forms).
    static func isCJKTextUnit(_ u: UInt16) -> CJKUnit {
        switch u {
        case 0x3040...0x30FF, 0x3130...0x318F, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0x1100...0x11FF,
             0xAC00...0xD7A3, 0xF900...0xFAFF:
            return .ideographic
        case 0x09, 0x0A, 0x0C, 0x0D, 0x20...0x7E, 0xA0...0xFF, 0x2000...0x26FF, 0x3000...0x303F, 0x3100...0x312F,
             0x3190...0x31EF, 0x3200...0x33FF, 0xFE10...0xFE1F, 0xFE30...0xFE4F, 0xFF00...0xFFEF:
            return .other
        default:
            return .no
        }
    }

    /// UTF-16 text without a byte order mark that reads as UTF-8 text has a NUL byte in at
    /// least one code unit in this many (``wideCharset(_:)``): ASCII text has one in every unit.
    static let wideNULShare = 4

    /// Whether `bytes`, read as UTF-8, are not text: more than one in ``tolerance`` bytes an
    /// invalid sequence or a control byte other than NUL (counted apart), tab, line feed, form
    /// feed, carriage return and escape (colored logs). A sequence cut at the end counts: only
    /// one in a sample of ``detectionSample`` bytes.
    static func notUTF8Text(_ bytes: ArraySlice<UInt8>) -> Bool {
        var controls = 0
        for b in bytes where b < 0x20 && b != 0 && b != 0x09 && b != 0x0A && b != 0x0C && b != 0x0D && b != 0x1B {
            controls += 1
        }
        let (invalid, _) = utf8Sequences(bytes)
        return (invalid + controls) * tolerance > bytes.count
    }

    /// Decodes a file's bytes. `forced`: a canonical ICU charset name the user chose
    /// (`--encoding`), used whatever the bytes look like.
    static func decode(_ bytes: [UInt8], forced: String? = nil) -> Outcome {
        if let forced {
            guard let (text, substitutions) = convert(bytes[...], from: forced) else {
                return .undecodable("cannot convert from \(forced)")
            }
            return .text(text, charset: forced, how: "--encoding" + replaced(substitutions), replaced: substitutions)
        }
        // a byte order mark decides
        for (bom, charset) in byteOrderMarks where bytes.starts(with: bom) {
            guard let (text, substitutions) = convert(bytes[bom.count...], from: charset) else {
                return .undecodable("cannot convert from \(charset)")
            }
            return .text(text, charset: charset, how: "byte order mark" + replaced(substitutions), replaced: substitutions)
        }
        let utf8BOM = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        let body = utf8BOM ? bytes[3...] : bytes[...]
        if !hasNUL(body) {
            // the common case, valid UTF-8: validated and copied in one pass
            if let text = String(validating: body, as: UTF8.self) {
                return .text(text, charset: "UTF-8", how: utf8BOM ? "byte order mark" : "valid UTF-8", replaced: 0)
            }
            let (invalid, multiByte) = utf8Sequences(body)
            if utf8BOM {
                return .text(String(decoding: body, as: UTF8.self), charset: "UTF-8", how: "byte order mark" + replaced(invalid), replaced: invalid)
            }
            // UTF-8 damaged in places (invalid sequences among more valid multi-byte characters)
            // is read as UTF-8 before the detector is asked: the detector read repetitive CJK
            // UTF-8 with one stray byte, and short CJK UTF-8 with a few, as windows-1252. Legacy
            // CJK text has more invalid sequences than valid multi-byte characters and still
            // goes to the detector.
            if multiByte >= invalid * damagedUTF8Ratio {
                return .text(String(decoding: body, as: UTF8.self), charset: "UTF-8", how: "mostly UTF-8" + replaced(invalid), replaced: invalid)
            }
            let sparse = invalid * tolerance <= body.count
            let guess = detect(bytes)
            var conversion: (text: String, substitutions: Int)? = nil
            if let guess, guess.name != "UTF-8", guess.confidence >= minimumConfidence {
                conversion = convert(body, from: guess.name)
                if let (text, substitutions) = conversion, substitutions * tolerance <= body.count {
                    return .text(text, charset: guess.name, how: "detected, confidence \(guess.confidence)" + replaced(substitutions),
                                 replaced: substitutions)
                }
            }
            // CJK text in UTF-16 without a byte order mark and without a NUL byte (no ASCII, no
            // line break), which ICU's detector does not recognize (its UTF-16 recognizers need a
            // byte order mark or NUL bytes): asked after the detector, which recognizes the
            // legacy double-byte text that can look like it (``cjkWideCharset(_:isWhole:)``)
            if let wide = decodeCJKWide(body) { return wide }
            if sparse {
                return .text(String(decoding: body, as: UTF8.self), charset: "UTF-8", how: "mostly UTF-8" + replaced(invalid), replaced: invalid)
            }
            // what was tried, and why it did not fit
            var why = "not UTF-8 (\(invalid) invalid \(invalid == 1 ? "sequence" : "sequences") in \(body.count) bytes)"
            switch guess {
            case nil:
                why += " and no charset recognized"
            case let g? where g.name == "UTF-8":
                // ICU's UTF-8 recognizer does not check overlong forms and surrogates
                why += " and no other charset recognized (the detector guessed UTF-8, whose rules these bytes break)"
            case let g? where g.confidence < minimumConfidence:
                why += " and no charset recognized (best guess \(g.name) at confidence \(g.confidence), below the \(minimumConfidence) needed)"
            case let g?:
                if let conversion {
                    why += " and not \(g.name) either (detected at confidence \(g.confidence), but \(conversion.substitutions) of its sequences are invalid)"
                } else {
                    why += " and not \(g.name) either (detected at confidence \(g.confidence), but ICU cannot convert it)"
                }
            }
            return .undecodable(why + "; --encoding NAME reads it")
        }
        // NUL bytes: UTF-16 without a byte order mark, or binary. Mostly CJK UTF-16 first: its
        // NUL bytes may be at both parities (一 U+4E00 and a line break), which the NUL-byte
        // evidence takes for binary, or only those of 一 and 最, which it takes for the other
        // byte order; text in other scripts is not mostly CJK in either order
        if let wide = decodeCJKWide(body) { return wide }
        if let charset = wideCharset(body, isWhole: true),
           let (text, substitutions) = convert(body, from: charset), substitutions * tolerance <= body.count {
            return .text(text, charset: charset, how: "detected" + replaced(substitutions), replaced: substitutions)
        }
        return .binary("binary file (NUL bytes)")
    }

    /// `body` as mostly-CJK UTF-16 without a byte order mark (``cjkWideCharset(_:isWhole:)``),
    /// converted, when it is that and converts with at most one invalid sequence in
    /// ``tolerance`` bytes (past the sample); nil otherwise.
    static func decodeCJKWide(_ body: ArraySlice<UInt8>) -> Outcome? {
        guard let charset = cjkWideCharset(body, isWhole: true),
              let (text, substitutions) = convert(body, from: charset), substitutions * tolerance <= body.count else { return nil }
        return .text(text, charset: charset, how: "detected" + replaced(substitutions), replaced: substitutions)
    }

    /// Whether `bytes` hold a NUL byte (memchr: a generic `contains(0)` took ~5 instructions a byte).
    static func hasNUL(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { b in b.baseAddress.map { memchr($0, 0, b.count) != nil } ?? false }
    }

    /// The index (in `bytes`' indices) of the first NUL byte in `bytes`, or nil (memchr).
    static func firstNUL(_ bytes: ArraySlice<UInt8>) -> Int? {
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, let hit = memchr(base, 0, b.count) else { return nil }
            // bounds: memchr found the byte among the b.count bytes from base
            return bytes.startIndex + UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
        }
    }

    /// Byte order marks and their charsets, longest first (FF FE 00 00 before FF FE).
    private static let byteOrderMarks: [([UInt8], String)] = [
        ([0xFF, 0xFE, 0x00, 0x00], "UTF-32LE"), ([0x00, 0x00, 0xFE, 0xFF], "UTF-32BE"),
        ([0xFF, 0xFE], "UTF-16LE"), ([0xFE, 0xFF], "UTF-16BE"),
    ]

    private static func replaced(_ n: Int) -> String {
        n == 0 ? "" : ", \(n) invalid \(n == 1 ? "sequence" : "sequences") replaced by U+FFFD"
    }
}
