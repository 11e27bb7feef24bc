#if canImport(Glibc)
import Glibc
#endif

/// The process boundary: environment, stdin, stdout. Nothing here ever writes to stderr.
enum ProcessIO {
    static func environment() -> [String: String] {
        var variables: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return variables
    }

    static func readStandardInput() -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 {
                data += buffer[0..<n]
            } else if n == 0 || errno != EINTR {
                return data
            }
        }
    }

    /// Writes all of `bytes`; false when stdout refused them (closed, full, a reader gone).
    static func writeStandardOutput(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 {
                offset += n
            } else if n < 0 && errno != EINTR {
                return false
            }
        }
        return true
    }
}
