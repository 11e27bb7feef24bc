import Foundation

/// A worker's figures and failures, printed as lines its parent aggregates:
/// `FAIL <text>`, `NOTE <text>`, and at the end `COUNT <value> <name>`.
final class Report {
    private(set) var counts: [String: Int] = [:]
    private var order: [String] = []

    func count(_ name: String, _ amount: Int = 1) {
        if counts[name] == nil { order.append(name) }
        counts[name, default: 0] += amount
    }

    func fail(_ text: String) {
        count("failures")
        emit("FAIL " + text.replacingOccurrences(of: "\n", with: "\\n"))
    }

    func note(_ text: String) { emit("NOTE " + text.replacingOccurrences(of: "\n", with: "\\n")) }

    func finish() {
        for name in order { emit("COUNT \(counts[name]!) \(name)") }
    }

    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// The parent's view: figures summed over workers, failures listed.
struct Summary {
    var counts: [String: Int] = [:]
    var order: [String] = []
    var failures: [String] = []
    var notes: [String] = []
    var brokenWorkers: [String] = []

    mutating func absorb(_ output: String, worker: String, status: Int32) {
        var finished = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("FAIL ") { failures.append(String(line.dropFirst(5))) }
            else if line.hasPrefix("NOTE ") { notes.append(String(line.dropFirst(5))) }
            else if line.hasPrefix("COUNT ") {
                finished = true
                let parts = line.dropFirst(6).split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let value = Int(parts[0]) else { continue }
                let name = String(parts[1])
                if counts[name] == nil { order.append(name) }
                counts[name, default: 0] += value
            } else {
                notes.append("\(worker): \(line)")
            }
        }
        if status != 0 || !finished {
            brokenWorkers.append("\(worker) ended with status \(status) \(finished ? "" : "before reporting its figures")")
        }
    }
}
