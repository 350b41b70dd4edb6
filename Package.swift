// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top (each module only imports the ones above it in this list):
//   CICUShim, CZlib  – the only C code: ICU, zlib and libdeflate behind plain C functions
//   CSystemShim      – C the CLI needs (allocator tuning, signal handlers removing temporary
//                      files) and the folder listing of the walk (readdir, fstatat on two threads)
//   SouAnalysis      – text → tokens (normalization, script runs, bigrams, positions)
//   SouIndexing      – in-memory inverted index, binary file format, memory-mapped reader
//   SouSearch        – query language, BM25, phrase matching, snippets
//   Sou              – the public library (`import Sou`), re-exports the three layers
//   SouCLI           – the `sou` command-line tool, a thin shell over `Sou`
// `SOU_SHARED_SWIFT_RUNTIME=1` in the environment of `swift build`/`swift test` links the Swift
// runtime shared instead (scripts/sanitize.sh thread sets it): ThreadSanitizer's interceptors of
// libdispatch find the real functions through the dynamic linker, and with libdispatch linked into
// the executable they call a null pointer (SEGV at pc 0 in dispatch_apply).
let staticSwiftRuntime = Context.environment["SOU_SHARED_SWIFT_RUNTIME"] == nil
let staticSwiftRuntimeFlags = ["-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
                               "-lswift_RegexParser", "-lswift_StringProcessing", "-lswift_Concurrency",
                               // libstdc++ static too: Sources/SouCLI/Linking/libstdc++.so says why and how
                               "-L" + Context.packageDirectory + "/Sources/SouCLI/Linking"]

let package = Package(
    name: "Sou",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Sou", targets: ["Sou"]),
        .executable(name: "sou", targets: ["SouCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // ICU is not linked: CICUShim loads it with dlopen on first use (icuload.c), so that
        // commands that analyze no text do not load and relocate its three libraries.
        .target(name: "CICUShim"),
        .target(
            name: "CZlib",
            linkerSettings: [.linkedLibrary("z"), .linkedLibrary("deflate")]
        ),
        .target(name: "CSystemShim"),
        .target(name: "SouAnalysis", dependencies: ["CICUShim"]),
        .target(name: "SouIndexing", dependencies: ["SouAnalysis", "CICUShim", "CZlib", "CSystemShim"]),
        .target(name: "SouSearch", dependencies: ["SouAnalysis", "SouIndexing"]),
        .target(name: "Sou", dependencies: ["SouAnalysis", "SouIndexing", "SouSearch"]),
        .executableTarget(
            name: "SouCLI",
            dependencies: ["Sou", "CSystemShim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["Linking"],
            // The Swift runtime, FoundationEssentials and libstdc++ linked into `sou` statically
            // (as `swift build --static-swift-stdlib` does, and libstdc++ through a linker script;
            // ICU, zlib, libdeflate and the C library stay shared): no relocation of the Swift libraries and
            // libstdc++ at every start. `sou search QUERY -i dev-all.sou`: 25.8 → 19.2 M
            // instructions; the executable is 32 MB (11 MB shared). libstdc++ static:
            // `sou search 設定 -i debref-ja.sou -c` 3.79 → 2.13 M instructions.
            // The modules are compiled for the shared libraries, so the static libraries their
            // autolink entries name are listed here.
            // Linked by lld with packed relative relocations (DT_RELR, glibc ≥ 2.36): the ~40,000
            // relative relocations of the Swift metadata take ~40 KB instead of 960 KB of
            // .rela.dyn, read and applied faster at every start (gold, the default, has no RELR).
            linkerSettings: [.unsafeFlags((staticSwiftRuntime ? staticSwiftRuntimeFlags : [])
                                              + ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
                                          .when(platforms: [.linux]))]
        ),
        .target(name: "SouTestSupport", path: "Tests/SouTestSupport"),
        .testTarget(name: "SouAnalysisTests", dependencies: ["SouAnalysis", "SouTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SouIndexingTests", dependencies: ["SouIndexing", "SouAnalysis", "SouTestSupport"], resources: [.copy("Golden")]),
        .testTarget(name: "SouSearchTests", dependencies: ["Sou", "SouTestSupport"], resources: [.copy("Fixtures")]),
    ]
)
