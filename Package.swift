// swift-tools-version:6.0
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Numeric model code is optimised in debug builds too: ALS and k-means are 30x slower without it,
/// which made `swift run promo train` and the tests wait minutes.
let numericKernels: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "PromoEngine",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "promo", targets: ["promo"]),
        .library(name: "PromoDSL", targets: ["PromoDSL"]),
        .library(name: "PromoYAML", targets: ["PromoYAML"]),
        .library(name: "PromoCore", targets: ["PromoCore"]),
        .library(name: "PromoExplain", targets: ["PromoExplain"]),
        .library(name: "PromoPlugins", targets: ["PromoPlugins"]),
        .library(name: "PromoStore", targets: ["PromoStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "PromoYAML", dependencies: ["CLibYAML"], swiftSettings: upcoming),
        .target(name: "PromoDSL", dependencies: ["PromoYAML"], swiftSettings: upcoming),
        .target(
            name: "PromoCore",
            dependencies: ["PromoDSL", "PromoYAML", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: upcoming
        ),
        .target(name: "PromoExplain", dependencies: ["PromoCore", "PromoDSL"], swiftSettings: upcoming),
        .target(
            name: "PromoPlugins",
            dependencies: [
                "PromoCore", "PromoDSL", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "PromoStore",
            dependencies: [
                "PromoCore", "PromoDSL", "PromoYAML", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: upcoming
        ),
        // Built-in plugins: a SwiftPM target in the plugin's own folder, beside its manifest.
        .target(
            name: "SwiftMovingAverage",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/swift-moving-average",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming
        ),
        .target(
            name: "CustomerProfilerPlugin",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/customer-profiler",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming + numericKernels
        ),
        .target(
            name: "RecommenderPlugin",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/recommender",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming + numericKernels
        ),
        .target(
            name: "ItemFeaturesPlugin",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/item-features",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming
        ),
        .target(
            name: "UpliftPlugin",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/uplift-model",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming + numericKernels
        ),
        .target(
            name: "PricingPlugin",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/thompson-pricing",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming + numericKernels
        ),
        .target(
            name: "ForecastPlugin",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL"],
            path: "plugins/demand-forecast",
            exclude: ["plugin.yaml", "README.md"],
            swiftSettings: upcoming + numericKernels
        ),
        .target(
            name: "PromoTesting", dependencies: ["PromoCore", "PromoDSL", "PromoYAML", "PromoPlugins"],
            swiftSettings: upcoming),
        .executableTarget(
            name: "promo",
            dependencies: [
                "PromoDSL", "PromoCore", "PromoExplain", "PromoPlugins", "PromoStore", "SwiftMovingAverage",
                "CustomerProfilerPlugin", "RecommenderPlugin", "ItemFeaturesPlugin", "UpliftPlugin", "PricingPlugin",
                "ForecastPlugin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "promo-bench-validate",
            dependencies: ["PromoDSL", "PromoYAML", "PromoTesting"],
            path: "Benchmarks/ValidateBenchmark",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PromoYAMLTests",
            dependencies: ["PromoYAML", "PromoTesting"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PromoDSLTests",
            dependencies: ["PromoDSL", "PromoTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PromoCoreTests",
            dependencies: [
                "PromoCore", "PromoTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "promo-bench-decide",
            dependencies: ["PromoCore", "PromoDSL", "PromoTesting"],
            path: "Benchmarks/DecideBenchmark",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PromoExplainTests",
            dependencies: [
                "PromoExplain", "PromoCore", "PromoTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Golden"), .copy("Scripts")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PromoPluginsTests",
            dependencies: [
                "PromoPlugins", "PromoCore", "PromoDSL", "PromoTesting", "SwiftMovingAverage",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("FaultyPlugin")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "PromoStoreTests",
            dependencies: [
                "PromoStore", "PromoCore", "PromoTesting", "CustomerProfilerPlugin", "RecommenderPlugin",
                "PromoPlugins",
                "ItemFeaturesPlugin", "PromoDSL", "UpliftPlugin", "PricingPlugin", "ForecastPlugin",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "promo-bench-store",
            dependencies: ["PromoStore", "PromoCore"],
            path: "Benchmarks/StoreBenchmark",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "promo-bench-plugins",
            dependencies: ["PromoPlugins", "PromoCore", "PromoDSL", "SwiftMovingAverage"],
            path: "Benchmarks/PluginBenchmark",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["PromoTesting", "promo"],
            resources: [.copy("Scripts")],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
