// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "sigtrail",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "sigtrail", targets: ["sigtrail"]),
    .library(name: "Parquet", targets: ["Parquet"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
  ],
  targets: [
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
    .systemLibrary(name: "CMalloc"),
    .target(name: "Parquet", dependencies: ["CZstd", "CZlib"]),
    .target(name: "LogInput", dependencies: ["LogBytes", "CLinux", "CZstd", "CZlib", "CDeflate"]),
    .target(name: "CByteScan"),
    .target(name: "CLinux"),
    .target(name: "LogBytes", dependencies: ["CByteScan"]),
    .target(name: "AccessLog", dependencies: ["LogBytes"]),
    .target(
      name: "Presign", dependencies: ["LogBytes", .product(name: "Crypto", package: "swift-crypto")]),
    .target(name: "CloudTrail", dependencies: ["LogBytes", "Presign"]),
    .target(name: "ShardSchema", dependencies: ["Parquet"]),
    .target(name: "Shards", dependencies: ["ShardSchema", "Parquet", "AccessLog", "CloudTrail", "Presign"]),
    .target(name: "Query", dependencies: ["Parquet", "LogBytes"]),
    .target(name: "Hunts", dependencies: ["ShardSchema", "Query", "LogBytes"]),
    .target(name: "Report", dependencies: ["ShardSchema", "Hunts", "Query"]),
    .target(name: "Manifest", dependencies: ["LogBytes", .product(name: "Crypto", package: "swift-crypto")]),
    .target(
      name: "S3Store",
      dependencies: [
        "LogBytes", "CLinux", .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ]),
    .target(
      name: "Pipeline",
      dependencies: [
        "S3Store", "CLinux", "LogInput", "AccessLog", "CloudTrail", "ShardSchema", "Shards", "Manifest", "Parquet",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
      ]),
    .executableTarget(
      name: "sigtrail",
      dependencies: [
        "Pipeline", "ShardSchema", "Shards", "Parquet", "Query", "Hunts", "Report", "Manifest", "LogBytes", "CMalloc",
        "S3Store",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "ParquetTests", dependencies: ["Parquet"]),
    .testTarget(name: "AccessLogTests", dependencies: ["AccessLog", "LogBytes"]),
    .testTarget(name: "PresignTests", dependencies: ["Presign"]),
    .testTarget(name: "CloudTrailTests", dependencies: ["CloudTrail", "LogBytes"]),
    .testTarget(name: "LogInputTests", dependencies: ["LogInput", "CZstd", "CZlib"]),
    .testTarget(
      name: "ShardsTests", dependencies: ["ShardSchema", "Shards", "AccessLog", "CloudTrail", "LogBytes", "Parquet"]),
    .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Manifest", "CZstd", "CZlib"]),
    .testTarget(name: "ManifestTests", dependencies: ["Manifest"]),
    .testTarget(name: "QueryTests", dependencies: ["Query", "Parquet"]),
    .testTarget(
      name: "HuntsTests",
      dependencies: ["ShardSchema", "Hunts", "Shards", "AccessLog", "CloudTrail", "LogBytes", "Query"]),
    .testTarget(name: "S3StoreTests", dependencies: ["S3Store", "LogBytes"], exclude: ["Fixtures"]),
  ]
)

// Benchmarks (ordo-one/benchmark) build only when asked for, so that `swift build` and
// `swift test` do not pay for the benchmark framework:
//   SIGTRAIL_BENCHMARKS=1 swift package benchmark
if Context.environment["SIGTRAIL_BENCHMARKS"] != nil {
  package.dependencies.append(
    .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
  package.targets.append(
    .executableTarget(
      name: "SigtrailBenchmarks",
      dependencies: [
        "AccessLog", "Presign", "CloudTrail", "LogInput", "Parquet", "LogBytes", "Query",
        .product(name: "Benchmark", package: "benchmark"),
      ],
      path: "Benchmarks/SigtrailBenchmarks",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]))
}

// Fuzz targets (libFuzzer) build only when asked for, with the sanitizer flags (see tools/fuzz):
//   SIGTRAIL_FUZZ=1 swift build --product FuzzAccessLog -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
if Context.environment["SIGTRAIL_FUZZ"] != nil {
  package.targets.append(.target(name: "FuzzSupport", path: "Tests/Fuzz/FuzzSupport"))
  for (name, dependencies) in [
    ("FuzzAccessLog", ["AccessLog"]), ("FuzzCloudTrail", ["CloudTrail"]), ("FuzzQueryString", ["Presign"]),
    ("FuzzParquet", ["Parquet"]),
  ] as [(String, [Target.Dependency])] {
    package.targets.append(
      .executableTarget(name: name, dependencies: dependencies + ["FuzzSupport"], path: "Tests/Fuzz/\(name)"))
  }
}
