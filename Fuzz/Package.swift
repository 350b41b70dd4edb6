// swift-tools-version:6.0
import PackageDescription

// The libFuzzer targets of Sou, kept out of the main package so that `swift build` and
// `swift test` there never build them (they only link with -sanitize=fuzzer, whose libFuzzer
// provides `main`). Build and run one with `scripts/fuzz.sh TARGET SECONDS`; the build is
//
//     swift build -c release --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
//         -Xswiftc -enable-testing -Xswiftc -parse-as-library
//
// (-enable-testing so that the targets can `@testable import` the parsers that are internal).
// One executable, `sou-fuzz`, holds every target; SOU_FUZZ_TARGET picks one.
let package = Package(
    name: "SouFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Sou", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "sou-fuzz",
            dependencies: [.product(name: "Sou", package: "Sou")],
            path: "Sources/SouFuzz"
        ),
    ]
)
