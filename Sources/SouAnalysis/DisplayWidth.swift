import CICUShim

/// How many terminal columns text takes: the one width helper of Sou (snippet cuts, the
/// query-error caret, `sou tokenize`'s table). East Asian Wide and Fullwidth characters take 2
/// columns, combining marks, format characters and controls 0, everything else 1 (Ambiguous
/// counts as 1, as wcwidth does outside CJK locales). The properties are ICU's
/// (`u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH)` and `u_charType`), through
/// `sou_display_width` in CICUShim.
public enum DisplayWidth {
    /// Columns of one scalar: 0, 1 or 2.
    @inline(__always)
    public static func columns(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v >= 0x20, v < 0x7F { return 1 }
        return Int(sou_display_width(v))
    }

    /// Columns of a string: the sum over its scalars.
    public static func columns(_ text: some StringProtocol) -> Int {
        text.unicodeScalars.reduce(0) { $0 + columns($1) }
    }
}
