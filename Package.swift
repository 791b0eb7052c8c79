// swift-tools-version:6.0
import PackageDescription

/// A system library reached through pkg-config, with the Debian package that provides it.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/C/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "ownerboot",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ownerboot", targets: ["ownerboot"]),
        .library(name: "Boot", targets: ["Boot"]),
        .library(name: "Flash", targets: ["Flash"]),
        .library(name: "Orchestrator", targets: ["Orchestrator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        systemLibrary("CFlashrom", pkgConfig: "flashrom", apt: "libflashrom-dev"),
        systemLibrary("CFtdi", pkgConfig: "libftdi1", apt: "libftdi1-dev"),
        systemLibrary("CUSB", pkgConfig: "libusb-1.0", apt: "libusb-1.0-0-dev"),
        systemLibrary("CElf", pkgConfig: "libelf", apt: "libelf-dev"),
        systemLibrary("CLZMA", pkgConfig: "liblzma", apt: "liblzma-dev"),
        systemLibrary("CLZ4", pkgConfig: "liblz4", apt: "liblz4-dev"),
        systemLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
        systemLibrary("CZstd", pkgConfig: "libzstd", apt: "libzstd-dev"),

        // Shared plumbing every layer may use: hashing, running external programs.
        .target(
            name: "Support",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Image formats only: bytes in, values out. Never imports Flash or Orchestrator.
        .target(
            name: "Boot",
            dependencies: ["Support", "CElf", "CLZMA", "CLZ4", "CZlib", "CZstd"]
        ),
        // Hardware access through libflashrom. Never imports Orchestrator.
        .target(
            name: "Flash",
            dependencies: [
                "Boot", "Support", "CFlashrom", "CFtdi", "CUSB",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Boards, derivations, store, sandbox, generations, inventory, QEMU tests.
        .target(
            name: "Orchestrator",
            dependencies: [
                "Boot", "Flash", "Support",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command line: parses and prints, holds no logic a test would want to call.
        .target(
            name: "OwnerbootCLI",
            dependencies: [
                "Boot", "Flash", "Orchestrator", "Support",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Swift runtime and Foundation are linked in on Linux: loading and relocating their
        // shared libraries (ICU above all) was most of a quick command's start-up, which
        // `inspect` of a whole chip dump is meant to be. main.swift is compiled against the
        // static runtime too, so it records the libraries static Foundation needs.
        .executableTarget(name: "ownerboot", dependencies: ["OwnerbootCLI"],
                          swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux]))]),

        .testTarget(name: "BootTests", dependencies: ["Boot", "Support"]),
        .testTarget(name: "FlashTests", dependencies: ["Flash", "Boot", "Support"]),
        .testTarget(name: "OrchestratorTests", dependencies: ["Orchestrator", "Boot", "Flash", "Support"]),
        .testTarget(name: "CLITests", dependencies: ["OwnerbootCLI", "Orchestrator", "Boot", "Support"]),
    ],
    swiftLanguageModes: [.v6]
)
