import SouTestSupport
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

    @Test("the processor's CRC-32C equals the table-driven one at every length, offset and starting value")
    func hardwareEqualsSoftware() {
        var rng = SouTestSupport.SplitMix64(seed: 32)
        let bytes = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes.withUnsafeBytes { all in
            for _ in 0..<400 {
                let start = Int(rng.next() % 64), length = Int(rng.next() % 4000)
                let part = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                let seed = rng.next() % 3 == 0 ? 0 : UInt32(truncatingIfNeeded: rng.next())
                #expect(CRC32C.update(seed, part) == CRC32C.softwareUpdate(seed, part), "offset \(start), length \(length)")
            }
        }
        #if arch(x86_64)
        // every x86-64 this runs on has SSE 4.2 (x86-64-v2): the comparison above is not software with itself
        #expect(CRC32C.hardware)
        #endif
    }
}
