import CICUShim

/// ICU's own word break iterator (`ubrk_open(UBRK_WORD, "")`), kept as the reference the
/// analyzer's word rules are tested against. Not used on the analysis path (it runs at a
/// fraction of the analyzer's speed).
enum ICUWordBreaks {
    /// One segment ICU reports as a word: byte range and rule status (100..<200 number,
    /// 200..<300 letters, 300..<400 kana, 400..<500 ideographs).
    struct Segment: Hashable, Sendable {
        var byteRange: Range<Int>
        var status: Int
    }

    /// The word segments (rule status not "none") of UTF-8 `text`; empty when ICU fails.
    static func segments(_ text: [UInt8]) -> [Segment] {
        var capacity = 3 * (text.count / 2 + 4)
        while true {
            var output = [Int32](repeating: 0, count: capacity)
            let count = text.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    sou_icu_word_segments(source.baseAddress, Int32(source.count), target.baseAddress, Int32(target.count))
                }
            }
            guard count >= 0 else { return [] }
            if 3 * Int(count) <= capacity {
                var segments: [Segment] = []
                for k in 0..<Int(count) {
                    let start = Int(output[3 * k]), end = Int(output[3 * k + 1])
                    segments.append(Segment(byteRange: start..<end, status: Int(output[3 * k + 2])))
                }
                return segments
            }
            capacity = 3 * Int(count)
        }
    }
}
