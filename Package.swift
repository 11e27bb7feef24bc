// swift-tools-version:6.0
import PackageDescription

// Arrows point down only: pontoon -> CNI -> Pontoon (engine) -> Netlink -> CNetlink.
// NetAddress is the shared vocabulary (IP, prefix, MAC) that every layer speaks.
let package = Package(
    name: "pontoon",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pontoon", targets: ["pontoon"]),
    ],
    targets: [
        // Thin C shim: only what Swift cannot import from libmnl, libnftnl and glibc (macros, setns).
        .target(
            name: "CNetlink",
            linkerSettings: [.linkedLibrary("mnl"), .linkedLibrary("nftnl")]
        ),
        .target(name: "NetAddress"),
        .target(name: "Netlink", dependencies: ["CNetlink", "NetAddress"]),
        // The engine: attachment model, bridge driver, IPAM, attachment records.
        .target(name: "Pontoon", dependencies: ["Netlink", "NetAddress"]),
        // Pure CNI protocol: env, network config, results per version, errors.
        .target(name: "CNI", dependencies: ["Pontoon", "NetAddress"]),
        .executableTarget(name: "pontoon", dependencies: ["CNI", "Pontoon"]),

        // Shared by the test targets: locating built binaries, running them, temporary dirs, namespaces.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NetAddressTests", dependencies: ["NetAddress"]),
        .testTarget(name: "CNITests", dependencies: ["CNI", "Pontoon", "NetAddress", "TestSupport", "pontoon"]),
        .testTarget(name: "IPAMTests", dependencies: ["Pontoon", "NetAddress", "TestSupport", "pontoon"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "CNetlink", "NetAddress"]),
        // Root only: real namespaces, real traffic, the plugin run as a child process.
        .testTarget(name: "IntegrationTests", dependencies: ["TestSupport", "pontoon"]),
    ]
)
