import CICUShim
import Foundation
import Testing
@testable import SouAnalysis

/// The character data file (written once from ICU, read by later processes instead of ICU)
/// against the lazily derived table and ICU's own answers.
@Suite("Character data file")
struct CharacterDataFileTests {
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "sou-chars-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func written() throws -> (folder: String, path: String) {
        let folder = try folder()
        let path = folder + "/" + CharacterDataFile.fileName
        #expect(sou_char_cache_write(path) == 0)
        return (folder, path)
    }

    @Test("a written file holds every class byte, mapping and display width ICU derives, for all code points")
    func fileEqualsDerivation() throws {
        let (folder, path) = try Self.written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = try #require(CharacterTable(file: path))
        let derived = try CharacterTable()
        var mismatches: [String] = []
        for c in 0...UInt32(0x110000) {
            let a = file.flags(c), b = derived.flags(c)
            if a != b { mismatches.append("U+\(String(c, radix: 16, uppercase: true)): \(a) vs \(b)") }
            if a & CharacterClass.mapped != 0, Array(file.mapping(c)) != Array(derived.mapping(c)) {
                mismatches.append("mapping of U+\(String(c, radix: 16, uppercase: true))")
            }
            if c <= 0x10FFFF, file.fileWidth(c) != Int(sou_display_width_derived(c)) {
                mismatches.append("width of U+\(String(c, radix: 16, uppercase: true))")
            }
            if mismatches.count > 20 { break }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(derived.fileWidth(0x4E2D) == nil)
    }

    @Test("the file is named for the ICU version and derivation rules, and a rewrite replaces it whole")
    func nameAndRewrite() throws {
        #expect(CharacterDataFile.fileName == "characters-icu\(String(cString: sou_icu_header_version()))-\(SOU_CHAR_DERIVATION).bin")
        let (folder, path) = try Self.written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(sou_char_cache_write(path) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == first)
        // no temporary file is left beside it
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [CharacterDataFile.fileName])
    }

    @Test("a damaged, truncated or foreign file is not read", arguments: [
        "body byte", "last byte", "truncated", "extended", "format", "derivation", "ICU version", "page count", "empty",
    ])
    func damagedFileIsIgnored(damage: String) throws {
        let (folder, path) = try Self.written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(CharacterTable(file: path) != nil)
        switch damage {
        case "body byte": bytes[64 + 8 * 4353 + 17] ^= 0x40
        case "last byte": bytes[bytes.count - 1] ^= 1
        case "truncated": bytes = bytes.prefix(bytes.count - 4)
        case "extended": bytes.append(0)
        case "format": bytes[8] &+= 1
        case "derivation": bytes[12] &+= 1
        case "ICU version": bytes[16] = UInt8(ascii: "9")
        case "page count": bytes[32] &+= 1
        default: bytes = Data()
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(CharacterTable(file: path) == nil, "\(damage)")
    }

    @Test("a missing file or folder opens nothing, and a folder that cannot take the file is reported")
    func missingFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(CharacterTable(file: folder + "/absent.bin") == nil)
        #expect(CharacterTable(file: folder) == nil)
        // a regular file where the folder should be
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/plain"))
        #expect(sou_char_cache_write(folder + "/plain/" + CharacterDataFile.fileName) != 0)
        // missing folders are created
        let nested = folder + "/a/b/" + CharacterDataFile.fileName
        #expect(sou_char_cache_write(nested) == 0)
        #expect(CharacterTable(file: nested) != nil)
    }
}
