// The libFuzzer entry points. One executable holds every target; SOU_FUZZ_TARGET names the one
// this process runs (scripts/fuzz.sh sets it). libFuzzer (linked by -sanitize=fuzzer) provides
// `main`, calls LLVMFuzzerInitialize once, then LLVMFuzzerTestOneInput for every input.
//
// A target returns normally for any input; a crash, a trap, an AddressSanitizer report, a unit
// slower than -timeout or a process above -rss_limit_mb is a finding. Targets also check a few
// properties an independent oracle gives (``require(_:_:)``): a violation aborts like a crash.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Sou

/// One fuzz target: a name (`scripts/fuzz.sh NAME`), what it exercises, and its body.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable (UnsafeBufferPointer<UInt8>) -> Void
}

let allTargets: [FuzzTarget] = [
    FuzzTarget(name: "analyzer", summary: "Analyzer.analyze(utf8:) on arbitrary bytes, both configurations",
               run: AnalyzerTarget.run),
    FuzzTarget(name: "query", summary: "QueryParser.parse on arbitrary text, the printed query parsed again, then searched with snippets and explanations",
               run: QueryTarget.run),
    FuzzTarget(name: "jsonl", summary: "a JSON Lines file read by DocumentSource; each line parsed by JSONLineParser against JSONSerialization",
               run: JSONLinesTarget.run),
    FuzzTarget(name: "html", summary: "HTMLText.extract on arbitrary text, and an .html file read by DocumentSource",
               run: HTMLTarget.run),
    FuzzTarget(name: "gzip", summary: "a .gz file read by FileContents.read and streamed as .jsonl.gz by DocumentSource",
               run: GzipTarget.run),
    FuzzTarget(name: "index", summary: "IndexReader/SegmentReader opened on arbitrary or mutated (optionally resealed) index bytes: open, verify, search, read everything",
               run: IndexTarget.run),
]

nonisolated(unsafe) var selectedTarget: FuzzTarget?

/// Writes `text` to standard error.
func printError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

/// Stops the process like a crash when a property does not hold (libFuzzer saves the input).
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        let text = "sou-fuzz: property violated at \(file):\(line): \(message())\n"
        printError(text)
        abort()
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>,
                             _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    if let folder = environment["SOU_FUZZ_WRITE_SEEDS"] {
        // Regenerates the seed corpora that cannot be written by hand (index files, gzip).
        do {
            try Seeds.write(to: folder)
            exit(0)
        } catch {
            printError("sou-fuzz: cannot write seeds: \(error)\n")
            exit(1)
        }
    }
    let name = environment["SOU_FUZZ_TARGET"] ?? ""
    guard let target = allTargets.first(where: { $0.name == name }) else {
        printError("sou-fuzz: set SOU_FUZZ_TARGET to one of:\n")
        for t in allTargets { printError("  \(t.name)\t\(t.summary)\n") }
        exit(2)
    }
    // What is built once (ICU's character table for 1.1 M code points, the transliterator, the
    // query target's index) is built here, so that the first input's time is its own.
    _ = try? Analyzer(configuration: AnalyzerConfiguration(foldsTraditionalToSimplified: true))
    if name == "query" { _ = QueryTarget.index }
    selectedTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let target = selectedTarget else { return 0 }
    target.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
