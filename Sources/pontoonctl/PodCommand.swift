import ArgumentParser
import Foundation
import PontoonCtl

/// `pod create|rm|ls`: a pod's network namespace, held by its infra container, shared by its members.
struct PodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod", abstract: "Pods: one network namespace (the infra container's) shared by every member.",
        discussion: "Example: pontoonctl pod create shop --network front && pontoonctl run cart --pod shop",
        subcommands: [PodCreate.self, PodRemove.self, PodList.self])
}

struct PodCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make the pod's namespace: its infra container (NAME-infra) runs with these networks and ports.",
        discussion: "Example: pontoonctl pod create shop --network front -p 8080:80 && pontoonctl run web --pod shop")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup var container: ContainerOptions

    func run() throws {
        let pod = try perform { () throws(CtlError) in try global.containers.createPod(try container.request()) }
        print(pod.id)
    }
}

struct PodRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a pod and its infra container; refused while it has members unless --force.",
        discussion: "Example: pontoonctl pod rm --force shop")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @Argument(help: "The pods' names.") var names: [String]
    @Flag(help: "Remove the pod's members too (they are stopped with it); teardown failures are warnings.") var force = false

    func run() throws {
        var failed = false
        for name in names {
            do {
                let failures = try perform { () throws(CtlError) in try global.containers.removePod(name, force: force) }
                for failure in failures { Output.warn("pod rm \(name): \(failure)") }
                print(name)
            } catch { failed = true }
        }
        if failed { throw ExitCode(1) }
    }
}

struct PodList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "Pods, their infra container and members.",
                                                    discussion: "Example: pontoonctl pod ls --format json")
    @OptionGroup(visibility: .hidden) var global: GlobalOptions
    @OptionGroup var format: FormatOption

    /// podman's `pod ps --format json` keys: Id, Name, Status (a pod's: Running, Exited, Created),
    /// InfraId, Containers (the infra first, with its members), Networks.
    struct Row: Encodable {
        struct Member: Encodable { var Id: String, Names: String, Status: String }
        var Id: String, Name: String, Status: String, InfraId: String, Containers: [Member], Networks: [String]
    }

    func run() throws {
        let rows = try perform { () throws(CtlError) -> [Row] in
            let containers = global.containers
            return try global.store.pods().map { pod throws(CtlError) in
                let infra = try? global.store.container(pod.infra)
                let members = try containers.members(of: pod)
                let status = infra?.state.podmanStatus ?? "missing"
                return Row(Id: pod.id, Name: pod.name, Status: status.prefix(1).uppercased() + status.dropFirst(), InfraId: infra?.id ?? "",
                           Containers: (infra.map { [$0] } ?? []).map { Row.Member(Id: $0.id, Names: $0.name, Status: $0.state.podmanStatus) }
                               + members.map { Row.Member(Id: $0.id, Names: $0.name, Status: $0.state.podmanStatus) },
                           Networks: infra.map { $0.networkMode.map { ["\($0)"] } ?? $0.networks.map(\.network) } ?? [])
            }
        }
        Output.list(rows, format.format, header: ["POD ID", "NAME", "STATUS", "INFRA ID", "# OF CONTAINERS", "NETWORKS"]) { row in
            [String(row.Id.prefix(12)), row.Name, row.Status, String(row.InfraId.prefix(12)), String(row.Containers.count), row.Networks.joined(separator: ",")]
        }
    }
}
