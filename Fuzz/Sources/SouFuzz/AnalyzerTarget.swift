import Sou
@testable import SouAnalysis

/// The analyzer on arbitrary bytes. The first byte picks the configuration (bit 0: joins soft
/// line breaks; bit 1: folds Traditional to Simplified) and the first position (the other bits);
/// the rest is the input. Checked: every token's byte range lies inside the input and is not
/// empty, terms are not empty, positions never go back and start at the first position, the
/// summary counts the tokens, the next field starts after the last token, and the invalid UTF-8
/// sequences counted are those Swift's own decoder replaces (both replace maximal subparts).
/// And for valid UTF-8 of fewer than 32 scalars (below the analyzer's cut of a long run of
/// combining marks), without variant folding: the terms, positions and kinds equal those of ICU's
/// NFKC_Casefold of the whole text, analyzed (the analyzer normalizes a segment at a time, from
/// its table or through ICU).
enum AnalyzerTarget {
    static let analyzers: [Analyzer] = (0..<4).map { flags in
        try! Analyzer(configuration: AnalyzerConfiguration(joinsSoftLineBreaks: flags & 1 != 0,
                                                           foldsTraditionalToSimplified: flags & 2 != 0))
    }

    static func run(_ data: UnsafeBufferPointer<UInt8>) {
        guard let first = data.first else { return }
        let analyzer = analyzers[Int(first & 3)]
        let firstPosition = Int(first >> 2)
        let input = UnsafeBufferPointer(rebasing: data[1...])
        var buffer = TokenBuffer()
        let summary: AnalysisSummary
        do {
            summary = try analyzer.analyze(utf8: input, into: &buffer, firstPosition: firstPosition)
        } catch {
            // (a first position of at most 63 and an input far below 2 GiB always fit)
            require(false, "the analyzer refused \(input.count) bytes from position \(firstPosition): \(error)")
            return
        }
        require(summary.tokenCount == buffer.count, "summary counts \(summary.tokenCount) tokens, the buffer holds \(buffer.count)")
        var last = firstPosition
        for i in 0..<buffer.count {
            let r = buffer.byteRange(i)
            require(r.lowerBound >= 0 && r.lowerBound < r.upperBound && r.upperBound <= input.count,
                    "token \(i) has byte range \(r) in an input of \(input.count) bytes")
            require(!buffer.termRange(i).isEmpty, "token \(i) has an empty term")
            let p = buffer.position(i)
            require(p >= last, "token \(i) at position \(p) after a token at \(last)")
            last = p
        }
        if buffer.isEmpty {
            require(summary.nextPosition == firstPosition, "no token, but the next field starts at \(summary.nextPosition), not \(firstPosition)")
        } else {
            require(summary.nextPosition > last, "the next field starts at \(summary.nextPosition), not after the last token at \(last)")
        }
        var invalid = 0
        var decoder = UTF8()
        var it = input.makeIterator()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: break loop
            case .error: invalid += 1
            }
        }
        require(summary.invalidSequences == invalid, "\(summary.invalidSequences) invalid sequences counted, Swift's decoder finds \(invalid)")
        guard invalid == 0, first & 2 == 0, let text = String(validating: input, as: UTF8.self), text.unicodeScalars.count < 32,
              let normalized = try? ICUReference.nfkcCasefold(text: text.unicodeScalars.map(\.value)) else { return }
        let reference = Array(String(String.UnicodeScalarView(normalized.compactMap(Unicode.Scalar.init))).utf8)
        var expected = TokenBuffer()
        guard (try? reference.withUnsafeBufferPointer({ try analyzer.analyze(utf8: $0, into: &expected, firstPosition: firstPosition) })) != nil else {
            require(false, "the analyzer refused ICU's normalization of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
            return
        }
        let got = buffer.tokens, want = expected.tokens
        require(got.map(\.term) == want.map(\.term) && got.map(\.position) == want.map(\.position) && got.map(\.kind) == want.map(\.kind),
                "\(text.unicodeScalars.map { String($0.value, radix: 16) }): tokens \(got.map(\.term)) at \(got.map(\.position)), ICU's normalization gives \(want.map(\.term)) at \(want.map(\.position))")
    }
}
