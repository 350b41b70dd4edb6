import Testing
@testable import SouIndexing

@Suite("CRC-32C")
struct ChecksumTests {
    @Test("matches the standard check values", arguments: [
        ("", UInt32(0)),
        ("123456789", UInt32(0xE306_9283)),
        ("The quick brown fox jumps over the lazy dog", UInt32(0x2262_0404)),
    ])
    func checkValues(input: String, crc: UInt32) {
        #expect(CRC32C.checksum(Array(input.utf8)) == crc)
    }

    @Test("update continues a checksum across any split")
    func incremental() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = CRC32C.checksum(bytes)
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let a = CRC32C.checksum(bytes[..<split])
            let c = bytes[split...].withUnsafeBytes { CRC32C.update(a, $0) }
            #expect(c == whole, "split \(split)")
        }
    }
}
