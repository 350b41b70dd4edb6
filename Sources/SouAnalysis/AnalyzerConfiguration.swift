/// Everything that changes how text becomes terms. Stored in every index file: a query is
/// analyzed with the configuration its index was built with, never another.
public struct AnalyzerConfiguration: Sendable, Hashable, Codable {
    /// The version of the analysis rules themselves. Bumped whenever the analyzer's output for
    /// some input changes, so that an index built by older rules is refused, not misread.
    public static let rulesVersion: UInt16 = 1

    /// Join CJK runs across line breaks (any mix of `\n`/`\r`, blank lines included, nothing
    /// else) between two Han/Kana characters, as PDF extraction leaves them mid-sentence.
    public var joinsSoftLineBreaks: Bool
    /// Fold Traditional Chinese to Simplified (ICU's `Traditional-Simplified` transform): 系統 → 系统.
    public var foldsTraditionalToSimplified: Bool

    /// The default configuration: soft line-break joining on, no variant folding.
    public init(joinsSoftLineBreaks: Bool = true, foldsTraditionalToSimplified: Bool = false) {
        self.joinsSoftLineBreaks = joinsSoftLineBreaks
        self.foldsTraditionalToSimplified = foldsTraditionalToSimplified
    }

    /// The configuration as flag bits, as stored in an index file (bit 0: joins soft line
    /// breaks, bit 1: folds Traditional to Simplified; other bits are zero).
    public var flags: UInt32 {
        (joinsSoftLineBreaks ? 1 : 0) | (foldsTraditionalToSimplified ? 2 : 0)
    }

    /// Decodes ``flags``; nil when a bit this version does not know is set.
    public init?(flags: UInt32) {
        guard flags & ~3 == 0 else { return nil }
        self.init(joinsSoftLineBreaks: flags & 1 != 0, foldsTraditionalToSimplified: flags & 2 != 0)
    }
}

extension AnalyzerConfiguration: CustomStringConvertible {
    /// "join-lines=on, fold-variants=off".
    public var description: String {
        "join-lines=\(joinsSoftLineBreaks ? "on" : "off"), fold-variants=\(foldsTraditionalToSimplified ? "on" : "off")"
    }
}
