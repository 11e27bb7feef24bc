import Foundation

/// Where the plugin was allowed to write for one input: the directories its config (or env) names,
/// or the defaults when it names none.
struct AllowedPaths {
    var directories: [String] = []
    var files: [String] = []

    func permits(_ path: String, isDirectory: Bool) -> Bool {
        for directory in directories where !directory.isEmpty {
            if path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/") { return true }
            // mkdir -p of a configured directory makes its missing ancestors.
            if isDirectory, directory.hasPrefix(path + "/") { return true }
        }
        for file in files where !file.isEmpty {
            if path == file || (isDirectory && file.hasPrefix(path + "/")) { return true }
        }
        return false
    }
}

extension PrivateWorld {
    /// Everything an operation left that it should not have, compared with the base snapshot:
    /// links in the private host (new ones, or base ones that vanished), interfaces in container
    /// namespaces beyond what they had, leases, records and temporary files, and any file outside
    /// the allowed directories. `newBridges`: bridges a successful ADD made may stay (a network's
    /// bridge outlives its attachments, as with the reference plugin).
    func findings(allowed: AllowedPaths, newBridges: Bool, containers: [String: Set<String>],
                  ignoreFiles: Set<String> = []) -> [String] {
        var found: [String] = []
        let now = Set(hostLinks())
        for link in baseLinks.subtracting(now) {
            found.append("host link \(String(decoding: link, as: UTF8.self)) was deleted")
        }
        for link in now.subtracting(baseLinks) where !(newBridges && isBridge(link)) {
            found.append("host link \(String(decoding: link, as: UTF8.self)) left behind")
        }
        for (namespace, expected) in containers.sorted(by: { $0.key < $1.key }) {
            let links = Set(containerLinks(namespace))
            if links != expected {
                found.append("container \(namespace) has interfaces \(links.sorted()) instead of \(expected.sorted())")
            }
        }
        let current = files()
        for path in baseFiles where current[path] == nil && !path.hasPrefix("/run/netns") {
            found.append("file \(path) was deleted")
        }
        for (path, isDirectory) in current.sorted(by: { $0.key < $1.key }) where !baseFiles.contains(path) && !ignoreFiles.contains(path) {
            if !allowed.permits(path, isDirectory: isDirectory) {
                found.append("\(isDirectory ? "directory" : "file") \(path.debugDescription) written outside the configured directories")
                continue
            }
            if isDirectory || allowed.files.contains(path) { continue }
            let name = String(path.split(separator: "/").last ?? "")
            if name == "lock" || name.hasPrefix("last_reserved_ip.") { continue }
            found.append("\(kind(of: name)) \(path.debugDescription) left behind")
        }
        return found
    }

    private func kind(of name: String) -> String {
        if name.contains(".tmp") { return "temporary file" }
        if name.hasSuffix(".json") { return "attachment record" }
        return "lease (or other file)"
    }

    /// Back to the base snapshot after a finding: new links deleted, files removed, namespaces made anew.
    func reset(containers: [String]) {
        for link in Set(hostLinks()).subtracting(baseLinks) { deleteLink(link) }
        for namespace in containers {
            deleteNamespace(namespace)
            addNamespace(namespace)
        }
        removeNewFiles()
    }
}
