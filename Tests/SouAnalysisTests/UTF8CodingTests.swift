import Testing
@testable import SouAnalysis

@Suite("UTF-8 decoding and encoding")
struct UTF8CodingTests {
    struct DecodeCase: Sendable, CustomTestStringConvertible {
        var bytes: [UInt8]
        var scalar: UInt32      // CharacterTable.invalid for an invalid sequence
        var length: Int
        var testDescription: String { bytes.map { String($0, radix: 16) }.joined(separator: " ") }
    }

    static let invalid = CharacterTable.invalid
    static let cases: [DecodeCase] = [
        .init(bytes: [0x41], scalar: 0x41, length: 1),
        .init(bytes: [0xC3, 0xA4], scalar: 0xE4, length: 2),
        .init(bytes: [0xE4, 0xB8, 0xAD], scalar: 0x4E2D, length: 3),
        .init(bytes: [0xED, 0x9F, 0xBF], scalar: 0xD7FF, length: 3),
        .init(bytes: [0xEF, 0xBF, 0xBD], scalar: 0xFFFD, length: 3),
        .init(bytes: [0xF0, 0xA0, 0x80, 0x80], scalar: 0x20000, length: 4),
        .init(bytes: [0xF4, 0x8F, 0xBF, 0xBF], scalar: 0x10FFFF, length: 4),
        .init(bytes: [0x80], scalar: invalid, length: 1),
        .init(bytes: [0xC1, 0xBF], scalar: invalid, length: 1),            // overlong
        .init(bytes: [0xE0, 0x9F, 0xBF], scalar: invalid, length: 1),      // overlong
        .init(bytes: [0xED, 0xA0, 0x80], scalar: invalid, length: 1),      // surrogate
        .init(bytes: [0xE4, 0xB8], scalar: invalid, length: 2),            // truncated
        .init(bytes: [0xE4, 0x41, 0x41], scalar: invalid, length: 1),
        .init(bytes: [0xF0, 0x8F, 0xBF, 0xBF], scalar: invalid, length: 1), // overlong
        .init(bytes: [0xF0, 0xA0, 0x80], scalar: invalid, length: 3),      // truncated
        .init(bytes: [0xF5, 0x80, 0x80, 0x80], scalar: invalid, length: 1), // above U+10FFFF
        .init(bytes: [0xFF], scalar: invalid, length: 1),
    ]

    @Test("decoding yields the scalar or an invalid maximal subpart", arguments: cases)
    func decode(_ row: DecodeCase) {
        let (scalar, length) = row.bytes.withUnsafeBufferPointer { UTF8Scanning.decode($0, at: 0) }
        #expect(scalar == row.scalar)
        #expect(length == row.length)
    }

    @Test("encoding round-trips scalar values (every boundary, a sample of the rest)")
    func encodeRoundTrip() {
        let boundaries: [UInt32] = [0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF]
        for value in boundaries + Array(stride(from: UInt32(0), through: 0x10FFFF, by: 97))
        where !(0xD800...0xDFFF).contains(value) {
            let (bytes, count) = UTF8Encoding.encode(value)
            let expected = Array(String(Unicode.Scalar(value)!).utf8)
            let actual = (0..<count).map { UInt8(truncatingIfNeeded: bytes >> (8 * $0)) }
            if actual != expected {
                Issue.record("U+\(String(value, radix: 16)) encodes as \(actual), expected \(expected)")
                return
            }
        }
    }
}
