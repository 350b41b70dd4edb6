// swift-tools-version:6.1
import PackageDescription

// Benchmarks of Sou, kept out of the main package so that `swift test` there never builds them.
// Run: cd Benchmarks && swift package benchmark
let package = Package(
    name: "SouBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Sou", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AnalyzerBenchmark",
            dependencies: [
                .product(name: "Sou", package: "Sou"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AnalyzerBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PathologicalBenchmark",
            dependencies: [
                .product(name: "Sou", package: "Sou"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PathologicalBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "IndexBenchmark",
            dependencies: [
                .product(name: "Sou", package: "Sou"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/IndexBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
