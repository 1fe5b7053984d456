// swift-tools-version:6.1
import PackageDescription

/// Swift 6 mode plus the two upcoming features every target opts into (docs/STYLE: package hygiene).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Sekisho",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Milter", targets: ["Milter"]),
        .library(name: "MailMessage", targets: ["MailMessage"]),
        .library(name: "Outbound", targets: ["Outbound"]),
        .library(name: "Policy", targets: ["Policy"]),
        .library(name: "ZipArchive", targets: ["ZipArchive"]),
        .library(name: "Links", targets: ["Links"]),
        .library(name: "Archive", targets: ["Archive"]),
        .executable(name: "sekishod", targets: ["sekishod"]),
        .executable(name: "sekisho", targets: ["sekisho"]),
        .executable(name: "example-milter", targets: ["example-milter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Swift tasks run on a NIO event loop (a session and its channel share a thread): used by
        // the milter server and the SMTP client.
        .target(
            name: "EventLoopExecutors",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The Milter protocol: wire codec, pure session state machine, async server and MTA-side client.
        .target(
            name: "Milter",
            dependencies: [
                "EventLoopExecutors",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // RFC 5322 + MIME: parse, decode (RFC 2047/2231, glibc iconv charsets), rewrite, serialize. No networking.
        .target(
            name: "MailMessage",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Sending mail: an SMTP client on SwiftNIO and a durable, retrying outbound queue (SQLite via GRDB).
        .target(
            name: "Outbound",
            dependencies: [
                "EventLoopExecutors",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The policy: address tables with SaMMA's precedence, networks, direction, rules decided
        // per recipient. Pure: no sockets, no MIME.
        .target(
            name: "Policy",
            swiftSettings: strictSettings
        ),
        // System zlib (raw deflate, CRC-32) and libcrypto (hardware AES) for the ZIP writer.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Writing ZIP archives: deflate, WinZip AES-256 (AE-2) or ZipCrypto, ZIP64, UTF-8 or CP932
        // names; streamed, memory flat in file size.
        .target(
            name: "ZipArchive",
            dependencies: [
                "CZlib",
                "CLibCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Download links: encrypted attachment store, link records and audit (SQLite), the
        // download server (Hummingbird, HTTPS-capable) and the expiry janitor.
        .target(
            name: "Links",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The mail archive: Maildir++ store with envelopes, SQLite FTS5 (trigram) index, the
        // search language, retention and legal hold, export. No sockets.
        .target(
            name: "Archive",
            dependencies: [
                "MailMessage",
                "Links",
                "ZipArchive",
                "CZlib",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The archive's web UI: login, roles and scopes, search, message view, downloads, audit.
        .target(
            name: "ArchiveWeb",
            dependencies: [
                "Archive",
                "Links",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: strictSettings
        ),
        // The gateway's composition root: typed configuration and buildServices(configuration:logger:).
        .target(
            name: "Daemon",
            dependencies: [
                "Milter",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                "Policy",
                "MailMessage",
                "Outbound",
                "ZipArchive",
                "Links",
                "Archive",
                "ArchiveWeb",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sekishod",
            dependencies: [
                "Daemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sekisho",
            dependencies: [
                "Milter",
                "MailMessage",
                "Outbound",
                "Policy",
                "Daemon",
                "ZipArchive",
                "Links",
                "Archive",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "example-milter",
            dependencies: [
                "Milter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // What the fuzz executables share: libFuzzer's driver, or replaying inputs.
        .target(
            name: "FuzzSupport",
            swiftSettings: strictSettings
        ),
        // libFuzzer entry point for the frame and command decoders (docs/fuzzing.md).
        .executableTarget(
            name: "milter-fuzz",
            dependencies: [
                "Milter",
                "FuzzSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // libFuzzer entry point for the MIME parser, decoders and rewrites (docs/fuzzing.md).
        .executableTarget(
            name: "mime-fuzz",
            dependencies: ["MailMessage", "FuzzSupport"],
            swiftSettings: strictSettings
        ),
        // Helpers the integration tests share: a private Postfix, an SMTP client, log capture, processes.
        .target(
            name: "TestSupport",
            dependencies: [
                "Milter",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MilterTests",
            dependencies: [
                "Milter",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Lua"), .copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MailMessageTests",
            dependencies: [
                "MailMessage",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PolicyTests",
            dependencies: ["Policy"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "OutboundTests",
            dependencies: [
                "Outbound",
                "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LinksTests",
            dependencies: [
                "Links",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArchiveTests",
            dependencies: [
                "Archive",
                "ArchiveWeb",
                "MailMessage",
                "TestSupport",
                "Links",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ZipArchiveTests",
            dependencies: [
                "ZipArchive",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon",
                "ZipArchive",
                "Links",
                "Archive",
                "ArchiveWeb",
                "Policy",
                "MailMessage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                "Milter",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
    ]
)
