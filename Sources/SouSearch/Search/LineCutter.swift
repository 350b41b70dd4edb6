import SouAnalysis

/// Cuts a line of text to a number of terminal columns (``DisplayWidth``: a CJK character takes
/// two) around an anchor, marking each cut with "…" (one column). Work is bounded by the columns
/// kept, not by the line's length: a 50 MB line is not measured to the end.
public enum LineCutter {
    /// `line` (UTF-8) as it is when it fits in `maxColumns` columns; otherwise the part around
    /// the first highlight (about a third of the columns before it; the line's start when there
    /// is no highlight), with "…" where cut, the whole at most `maxColumns` wide. Highlights are
    /// byte ranges into `line` and come back as byte ranges into the text returned (clipped to
    /// the part kept; those outside it are dropped). `maxColumns` below 3 counts as 3.
    ///
    /// - Complexity: O(bytes kept), plus the bytes of `maxColumns` columns measured to find the
    ///   line too wide (the scan stops there), whatever the line's length.
    public static func cut(_ line: [UInt8], highlights: [Range<Int>], maxColumns: Int) -> (text: String, highlights: [Range<Int>]) {
        let limit = max(3, maxColumns)
        let n = line.count
        // Does the whole line fit? Stop measuring as soon as it does not.
        var width = 0, i = 0
        while i < n, width <= limit {
            let (scalar, length) = decode(line, at: i)
            width += DisplayWidth.columns(scalar)
            i += length
        }
        if width <= limit { return (String(decoding: line, as: UTF8.self), highlights) }

        let anchor = min(n, max(0, highlights.first?.lowerBound ?? 0))
        // Back from the anchor by up to a third of the columns.
        var lower = anchor, used = 0
        while lower > 0 {
            let start = previousBoundary(line, before: lower)
            let w = DisplayWidth.columns(decode(line, at: start).scalar)
            if used + w > (limit - 2) / 3 { break }
            used += w
            lower = start
        }
        // Forward from the anchor, keeping a column for each "…" (zero-width marks stay with
        // their base).
        let ellipsisBefore = lower > 0 ? 1 : 0
        var upper = anchor
        while upper < n {
            let (scalar, length) = decode(line, at: upper)
            let w = DisplayWidth.columns(scalar)
            if ellipsisBefore + used + w + 1 > limit { break }
            used += w
            upper += length
        }
        // At the line's end (no "…" after): give the unused columns to the text before.
        if upper == n {
            while lower > 0 {
                let start = previousBoundary(line, before: lower)
                let w = DisplayWidth.columns(decode(line, at: start).scalar)
                if used + w + (start > 0 ? 1 : 0) > limit { break }
                used += w
                lower = start
            }
        }
        // Never start on a mark that belongs to a character cut off.
        while lower < upper, lower > 0 {
            let (scalar, length) = decode(line, at: lower)
            guard DisplayWidth.columns(scalar) == 0 else { break }
            lower += length
        }
        let prefix = lower > 0 ? "…" : "", suffix = upper < n ? "…" : ""
        let shift = prefix.utf8.count - lower
        let text = prefix + String(decoding: line[lower..<upper], as: UTF8.self) + suffix
        let clipped = highlights.compactMap { r -> Range<Int>? in
            let lo = max(r.lowerBound, lower), hi = min(r.upperBound, upper)
            return lo < hi ? (lo + shift)..<(hi + shift) : nil
        }
        return (text, clipped)
    }

    /// `text` cut to `maxColumns` from its start, "…" at the end when cut.
    public static func cut(_ text: String, maxColumns: Int) -> String {
        cut(Array(text.utf8), highlights: [], maxColumns: maxColumns).text
    }

    /// The scalar at byte `i` and its length; a byte that does not start a valid sequence is
    /// U+FFFD of length 1 (the text comes from a String, so this does not happen in practice).
    static func decode(_ line: [UInt8], at i: Int) -> (scalar: Unicode.Scalar, length: Int) {
        let b0 = line[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        let length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1
        guard length > 1, i + length <= line.count else { return ("\u{FFFD}", 1) }
        var value = UInt32(b0) & (0xFF >> UInt32(length + 1))
        for k in 1..<length {
            let b = line[i + k]
            guard b & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// The start of the scalar before byte `i` (> 0): back over continuation bytes, at most 3.
    static func previousBoundary(_ line: [UInt8], before i: Int) -> Int {
        var j = i - 1
        while j > 0, i - j < 4, line[j] & 0xC0 == 0x80 { j -= 1 }
        return j
    }
}
