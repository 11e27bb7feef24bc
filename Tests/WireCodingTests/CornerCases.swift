/// Hand-made documents at the edges the old reader drew (found by running it): values a type reads
/// and the same values under a key nobody reads (scalars were checked only when read), numbers at
/// every range edge, strings with every escape and bad byte, nesting at the depth limit, byte order
/// marks, UTF-16 and UTF-32, trailing commas and garbage.
enum CornerCases {
    static let values: [[UInt8]] = {
        let texts = [
            "0", "-0", "1", "-1", "1.0", "1.5", "1e2", "1E+2", "1e-2", "1e-400", "1e400", "-1e400", "01", "-01", "1.", ".5", "+1", "-",
            "1e", "1e+", "1-2", "--1", "1.2.3", "1ee2", "00", "-0.0e-0", "0.0000001e7", "2.0000000000000001", "255", "256", "255.0",
            "-0.0", "-1.0", "65535", "65536", "4294967295", "4294967296", "2147483647", "2147483648", "-2147483648", "-2147483649",
            "9007199254740992", "9007199254740993", "9007199254740993.0", "9007199254740993.5", "1e16", "9223372036854775807",
            "9223372036854775808", "9223372036854775807.0", "9223372036854775295.0", "-9223372036854775808", "-9223372036854775808.0",
            "-9223372036854775809", "18446744073709551615", "18446744073709551616", "18446744073709549568.0", "1e20",
            "123456789012345678901234567890", "123456789012345678901234567890.5", "100000000000000000000000e-23",
            "99999999999999999999999999999999999999999", "5e-324", "1.7976931348623157e308", "0.1", "1e-7", "0x1", "NaN", "Infinity",
            "true", "false", "null", "tru", "nul", "True", "truex", "[]", "{}", "[1,2,]", "[,]", "[1,,2]", "{\"x\":1,}", "{,}",
            "\"\"", "\"x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ude00\"", "\"\\uD83D\\u0041\"", "\"\\ud800\\udbff\"",
            "\"\\uDBFF\\uDFFF\"", "\"\\u00e9\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\x\"", "\"a\tb\"", "\"\\u0000\"", "\"\\u12\"",
            "\"\\u12g4\"", "\"\\u1234\"", "\"\\u12345\"", "\"\u{7f}\"", "\"\u{1}\"", "\"\u{2028}\"", "\"e\u{301}\"", "\"10.0.0.1/24\"",
            "\"/run/netns/x\"", "\"true\"", "\"1\"", "[\"a\",null]", "[null]", "{\"\\ud800\":1}", "{\"x\\ty\":1}", "{\"\\u0061\":1}",
        ]
        var values = texts.map { Array($0.utf8) }
        for bad: [UInt8] in [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0x80], [0xc3]] {
            values.append([0x22, 0x61] + bad + [0x62, 0x22])
        }
        return values
    }()

    /// Each value where types read it, and where nobody does.
    static let documents: [Corpus.Document] = {
        var documents: [Corpus.Document] = []
        func add(_ label: String, _ bytes: [UInt8]) { documents.append(Corpus.Document(label: label, bytes: bytes)) }
        func text(_ value: String) -> [UInt8] { Array(value.utf8) }
        for value in values {
            let label = String(decoding: value, as: UTF8.self)
            add("\(label) alone", value)
            add("\(label) as a", text("{\"a\":") + value + text("}"))
            add("\(label) unread", text("{\"unread\":") + value + text(",\"a\":1}"))
            add("\(label) in an array", text("[") + value + text("]"))
            add("\(label) as a key", text("{") + (value.first == 0x22 ? value : text("\"k\"")) + text(":1,\"a\":2}"))
            for key in ["mtu", "cniVersion", "name", "isGateway", "vlan"] {
                add("\(label) as \(key)", text("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\",\"\(key)\":") + value + text("}"))
            }
            add("\(label) in runtimeConfig", text("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":")
                + value + text(",\"containerPort\":80,\"protocol\":\"tcp\"}]}}"))
            add("\(label) in NetworkOptions", text("{\"container_id\":\"a\",\"container_name\":\"c\",\"networks\":{\"n\":{\"interface_name\":")
                + value + text("}},\"network_info\":{}}"))
        }
        // Fields spelled in other casings, alone and beside the exact spelling, with letters whose
        // lower-case form is ASCII though they are not (the Kelvin sign), and keys of every
        // length near the fields' (the reader rules out absent fields by length and first letter).
        for key in ["MTU", "Mtu", "mtU", "MT", "mtuu", "ISGATEWAY", "IsGateway", "isgateway", "macspoofch\u{212A}", "MACSPOOFCHK",
                    "\u{212A}", "IPMASQ", "ipmasq", "BRIDGE", "bridgE", "b", "", "Name", "NAME", "nAmE", "CNIVERSION", "Type"] {
            for value in ["true", "1500", "\"pb0\"", "null"] {
                let body = "\"\(key)\":\(value)"
                add("\(key) = \(value)", text("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\",\(body)}"))
                add("\(key) = \(value) before the exact spellings", text("{\(body),\"mtu\":1400,\"isGateway\":false,\"bridge\":\"x\",\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"}"))
            }
        }
        // Keys a pass-through object is written back with, in sorted order: digits, cases, and
        // characters whose canonical form is another (Kelvin sign, a composed and a decomposed é).
        let keys = ["a10", "a9", "A9", "b", "K", "k", "\u{212A}", "\u{e9}", "e\u{301}", "\u{FB01}", "z", "\u{1F600}", "_", "0"]
        for (index, key) in keys.enumerated() {
            let rotated = keys[index...] + keys[..<index]
            let members = rotated.enumerated().map { "\"\($0.element)\":\($0.offset)" }.joined(separator: ",")
            add("keys from \(key)", text("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\",\"args\":{\(members)},\(members)}"))
        }
        let object = text("{\"a\":1}")
        add("empty", [])
        add("spaces", text(" \n\t\r "))
        add("byte order mark", [0xEF, 0xBB, 0xBF] + object)
        add("byte order mark alone", [0xEF, 0xBB, 0xBF])
        add("byte order mark and one byte", [0xEF, 0xBB, 0xBF, 0x31])
        add("two byte order marks", [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + object)
        add("trailing byte order mark", object + [0xEF, 0xBB, 0xBF])
        add("trailing NUL", object + [0])
        add("trailing garbage", object + text("}{,"))
        add("two documents", object + object)
        add("form feed", object + [0x0C])
        add("vertical tab", object + [0x0B])
        let utf16 = Array(String(decoding: object, as: UTF8.self).utf16)
        add("UTF-16LE with mark", [0xFF, 0xFE] + utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        add("UTF-16BE with mark", [0xFE, 0xFF] + utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        add("UTF-16LE", utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        add("UTF-16BE", utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        add("UTF-16LE odd", [0xFF, 0xFE] + utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0x20])
        add("UTF-16LE lone surrogate", [0xFF, 0xFE, 0x7B, 0, 0x00, 0xD8, 0x7D, 0])
        add("UTF-32LE", utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8), 0, 0] })
        add("UTF-32BE with mark", [0, 0, 0xFE, 0xFF] + utf16.flatMap { [0, 0, UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        add("two bytes, second zero", [0x31, 0])
        add("three bytes, second zero", [0x7B, 0, 0x7D])
        for depth in [510, 511, 512, 513, 600] {
            add("arrays ×\(depth)", [UInt8](repeating: 0x5B, count: depth) + [UInt8](repeating: 0x5D, count: depth))
            add("arrays ×\(depth) under a", text("{\"a\":1,\"b\":") + [UInt8](repeating: 0x5B, count: depth) + [UInt8](repeating: 0x5D, count: depth) + text("}"))
            add("objects ×\(depth)", Array([[UInt8]](repeating: text("{\"a\":"), count: depth).joined()) + text("1") + [UInt8](repeating: 0x7D, count: depth))
        }
        add("duplicate keys", text("{\"a\":1,\"a\":2}"))
        add("duplicate keys, first bad", text("{\"a\":\"x\",\"a\":1}"))
        add("casings", text("{\"A\":1,\"a\":2}"))
        add("casings only", text("{\"MTU\":1,\"Mtu\":2,\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"}"))
        add("port mappings in Go's casing", text("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\",\"runtimeConfig\":{\"PortMappings\":[{\"HostPort\":8080,\"ContainerPort\":80,\"Protocol\":\"tcp\",\"HostIP\":\"\"}]}}"))
        return documents
    }()
}
