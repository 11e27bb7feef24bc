// swift-tools-version:6.0
import PackageDescription

// Arrows point down only: pontoon -> doors (CNIDoor, NetavarkDoor) -> Pontoon (engine) -> Netlink
// -> CNetlink. The wire modules (CNI, Netavark, over WireCoding) are pure: they know the protocol,
// never the engine, so pontoonctl can speak it too. NetAddress is the vocabulary every layer speaks,
// HostSystem the file locks and child processes the engine and pontoonctl share.
// scripts/check-layering holds these arrows (scripts/test runs it first); ARCHITECTURE.md says
// where a new door, driver or pontoonctl verb goes.
let package = Package(
    name: "pontoon",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pontoon", targets: ["pontoon"]),
        .executable(name: "pontoonctl", targets: ["pontoonctl"]),
    ],
    dependencies: [
        // pontoonctl's command line only; the plugin never links it.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // pontoonctl's network IDs of files written without one (SHA-256 of the name, as podman
        // derives its default network's); the plugin never links it.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Thin C shim: only what Swift cannot import from libmnl, libnftnl and glibc (macros, setns).
        .target(
            name: "CNetlink",
            linkerSettings: [.linkedLibrary("mnl"), .linkedLibrary("nftnl")]
        ),
        .target(name: "NetAddress"),
        // Pure system helpers over Glibc (file locks, child processes): imports nothing of ours.
        .target(name: "HostSystem"),
        .target(name: "Netlink", dependencies: ["CNetlink", "NetAddress"]),
        // The engine: one entry point (Engine), bridge driver, IPAM, firewall drivers, DNS, records.
        .target(name: "Pontoon", dependencies: ["Netlink", "NetAddress", "HostSystem", "WireCoding"]),
        // JSON as both doors read and write it, with a reader and writer of our own (no Foundation):
        // Go's key rule (what the reference plugins accept), error paths. WireCodingTests proves it
        // equal to the Foundation coding it replaced, and the hand-coded paths the plugin uses
        // (WireDecodable, WireEncodable: no Codable at run time) equal to the Codable ones.
        .target(name: "WireCoding"),
        // Pure CNI protocol: env, network config, CNI_ARGS, results per version, errors, versions.
        .target(name: "CNI", dependencies: ["NetAddress", "WireCoding"]),
        // The CNI plugin (and host-local) served by the engine: the mapping and the invocation.
        .target(name: "CNIDoor", dependencies: ["CNI", "Pontoon", "NetAddress"]),
        // Pure netavark protocol: NetworkOptions in, StatusBlock out.
        .target(name: "Netavark", dependencies: ["WireCoding"]),
        // podman's netavark command line served by the engine: the mapping and the verbs.
        .target(name: "NetavarkDoor", dependencies: ["Netavark", "Pontoon", "NetAddress"]),
        // The plugin's argv for the Swift runtime, kept by a constructor of its own instead of the
        // runtime's, which reads /proc/self/maps and searches the stack before main (commandline.c).
        .target(name: "CCommandLine"),
        .executableTarget(name: "pontoon", dependencies: ["CNIDoor", "NetavarkDoor", "Pontoon", "CCommandLine"]),
        // The container engine's side (libpod's caller side): namespaces, plugin runs as child
        // processes through either protocol, container state. Protocol types only, never a door.
        .target(name: "PontoonCtl", dependencies: [
            "CNI", "Netavark", "NetAddress", "Netlink", "HostSystem", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "pontoonctl", dependencies: [
            "PontoonCtl", "HostSystem", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the test targets: locating built binaries, running them, temporary dirs, namespaces.
        .target(name: "TestSupport", dependencies: ["HostSystem"], path: "Tests/TestSupport"),
        .testTarget(name: "NetAddressTests", dependencies: ["NetAddress"]),
        .testTarget(name: "HostSystemTests", dependencies: ["HostSystem"]),
        .testTarget(name: "CNITests", dependencies: ["CNI", "CNIDoor", "Pontoon", "NetAddress", "TestSupport", "pontoon"]),
        .testTarget(name: "IPAMTests", dependencies: ["Pontoon", "NetAddress", "TestSupport", "pontoon"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "CNetlink", "NetAddress"]),
        // The engine's policy without root: a recording fake firewall, allocator and network driver.
        .testTarget(name: "EngineTests", dependencies: ["Pontoon", "NetAddress"]),
        // The plugin's JSON reader and writer against the Foundation coding they replaced (kept here
        // only): goldens, podman's captures, the fuzz's inputs (from pontoon-faults) and edge cases.
        .testTarget(name: "WireCodingTests", dependencies: ["WireCoding", "CNI", "Netavark", "Pontoon", "TestSupport", "pontoon-faults"]),
        .testTarget(name: "NetavarkTests", dependencies: ["Netavark", "NetavarkDoor", "TestSupport", "pontoon"]),
        // Root only: real namespaces, real traffic, the plugin run as a child process.
        .testTarget(name: "IntegrationTests", dependencies: ["TestSupport", "HostSystem", "pontoon", "pontoonctl"]),
        .testTarget(name: "PontoonCtlTests", dependencies: ["PontoonCtl", "CNI", "Netavark", "NetAddress", "HostSystem"]),
        // The fault tier (root): fuzzing, kill -9, syscall fault injection and concurrency, each part
        // run by `pontoon-faults` inside throwaway network+mount namespaces. Tests may use Foundation.
        // Optimised even in debug builds: the fuzzer's own work must stay small beside 20,000 plugin runs.
        .executableTarget(name: "pontoon-faults", path: "Tests/FaultTier", swiftSettings: [.unsafeFlags(["-O"])]),
        // The benchmark's in-process floor (scripts/bench): the kernel work of ADD and DEL in a loop.
        .executableTarget(name: "pontoon-bench-floor", dependencies: ["Netlink", "NetAddress"], path: "Tests/BenchFloor"),
        .testTarget(name: "FaultTierTests", dependencies: ["TestSupport", "pontoon", "pontoon-faults"]),
    ]
)
