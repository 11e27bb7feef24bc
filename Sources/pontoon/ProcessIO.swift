#if canImport(Glibc)
import Glibc
#endif

/// The process boundary: environment, stdin, stdout. Nothing here ever writes to stderr.
enum ProcessIO {
    static func environment() -> [String: String] {
        // Sized first: grown one variable at a time, the dictionary was rehashed ~6 times for a
        // typical environment (35 K instructions with 44 variables).
        var count = 0
        while environ[count] != nil { count += 1 }
        var variables: [String: String] = [:]
        variables.reserveCapacity(count)
        var cursor = environ
        while let entry = cursor.pointee {
            if let (name, value) = variable(entry) {
                variables[name] = value
            }
            cursor += 1
        }
        return variables
    }

    /// `NAME=value` split at its first "=" Character. Walking Characters (grapheme clusters) cost
    /// about 10,000 instructions per variable, so the split is found on the bytes instead wherever
    /// the first "=" byte has ASCII on both sides: no cluster can then join it to a neighbour, and
    /// the Character walk would stop at that same byte. Otherwise (a combining mark after it, a
    /// prepended mark before it) the Character walk decides, as before.
    static func variable(_ entry: UnsafeMutablePointer<CChar>) -> (String, String)? {
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry))
        if let equals = bytes.firstIndex(of: UInt8(ascii: "=")),
           equals == 0 || bytes[equals - 1] < 0x80, equals + 1 == bytes.count || bytes[equals + 1] < 0x80 {
            return (String(decoding: UnsafeBufferPointer(rebasing: bytes[..<equals]), as: UTF8.self),
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[(equals + 1)...]), as: UTF8.self))
        }
        let text = String(cString: entry)
        guard let equals = text.firstIndex(of: "=") else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
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
