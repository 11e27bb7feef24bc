import Foundation

/// 16 ADDs at once on a network whose bridge does not exist yet, then 16 DELs at once, several rounds.
struct Concurrency {
    let world: PrivateWorld
    let report: Report
    let plugin: String
    let rounds: Int
    let width = 16

    func run() {
        let containers = (0..<width).map { "cc\($0)" }
        for container in containers { world.addNamespace(container) }
        world.snapshotBase()
        for round in 0..<rounds {
            // Odd rounds are dual-stack: two allocators and IPv6 addresses in the same race.
            let subnets = round % 2 == 0 ? ["10.250.0.0/24"] : ["10.250.0.0/24", "fd00:250::/64"]
            let network = TestNetwork(name: "cc", bridge: "ccbr", subnets: subnets, plugin: plugin)
            var problems: [String] = []
            if world.hostLinks().contains(Array("ccbr".utf8)) { problems.append("the bridge exists before the round") }
            let ids = containers.map { "r\(round)-\($0)" }
            let adds = world.spawner.runAll(zip(ids, containers).map { network.call("ADD", id: $0, container: $1).invocation(plugin: plugin) })
            var addresses: [String] = []
            for (index, outcome) in adds.enumerated() {
                report.count("ADDs")
                switch CNICall.judge(outcome, verb: "ADD") {
                case .success(.success(let result as [String: Any])):
                    let ips = (result["ips"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
                    if ips.count != subnets.count { problems.append("ADD \(ids[index]) returned \(ips) for \(subnets.count) subnets") }
                    addresses += ips
                default:
                    report.count("failed ADDs")
                    problems.append("ADD \(ids[index]): \(outcome.summary)")
                }
            }
            let duplicates = Dictionary(grouping: addresses, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            report.count("duplicate addresses", duplicates.count)
            if !duplicates.isEmpty { problems.append("duplicate addresses \(duplicates)") }
            let veths = Set(world.hostLinks()).subtracting(world.baseLinks).filter { $0 != Array("ccbr".utf8) }
            if veths.count != adds.filter({ $0.exitedZero }).count { problems.append("\(veths.count) host veths for \(adds.filter({ $0.exitedZero }).count) successful ADDs") }

            let dels = world.spawner.runAll(zip(ids, containers).map { network.call("DEL", id: $0, container: $1).invocation(plugin: plugin) })
            for (index, outcome) in dels.enumerated() {
                report.count("DELs")
                if case .success(.success) = CNICall.judge(outcome, verb: "DEL") { continue }
                report.count("failed DELs")
                problems.append("DEL \(ids[index]): \(outcome.summary)")
            }
            let left = world.findings(allowed: network.allowed, newBridges: true,
                                      containers: Dictionary(uniqueKeysWithValues: containers.map { ($0, ["lo"]) }))
            report.count("leftovers found", left.count)
            problems += left
            report.count("rounds")
            if !problems.isEmpty {
                report.fail("concurrency round \(round) (\(subnets.joined(separator: " + "))): \(problems.joined(separator: "; "))")
                world.reset(containers: containers)
            }
            world.deleteLink(Array("ccbr".utf8))
            world.removeNewFiles()
        }
    }
}
