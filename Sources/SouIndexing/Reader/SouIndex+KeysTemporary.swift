// TEMPORARY until the KeyOrder section lands from the `merge` branch (linear scan).
extension SouIndex {
    func documents(withKey key: String) throws -> [Int] {
        (0..<documentCount).filter { documentKey($0) == key }
    }
    func withKeyBytes<R>(_ id: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var k = Array(documentKey(id).utf8)
        return try k.withUnsafeMutableBytes { try body(UnsafeRawBufferPointer($0)) }
    }
}
extension SouIndex {
    func documentSource(_ id: Int) throws -> Int { 0 }
}
