/// The bytes a document arrives in, as UTF-8: what the JSON decoder Pontoon used before (Swift's
/// Foundation) accepted, so no runtime's input changes meaning. A leading byte order mark names
/// the encoding (UTF-8 only from four bytes on), else the pattern of zero bytes in the first four
/// (UTF-16 or UTF-32, either order), else it is UTF-8. Text in another encoding must transcode
/// cleanly; a trailing part of a code unit is dropped.
enum JSONInput {
    /// nil when the text does not transcode.
    static func utf8(_ bytes: [UInt8]) -> [UInt8]? {
        let count = bytes.count
        if count >= 4 {
            if bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { return Array(bytes[3...]) }
            if bytes[0] == 0, bytes[1] == 0, bytes[2] == 0xFE, bytes[3] == 0xFF { return utf32(bytes[4...], bigEndian: true) }
            if bytes[0] == 0xFF, bytes[1] == 0xFE, bytes[2] == 0, bytes[3] == 0 { return utf32(bytes[4...], bigEndian: false) }
            if bytes[0] == 0xFF, bytes[1] == 0xFE { return utf16(bytes[2...], bigEndian: false) }
            if bytes[0] == 0xFE, bytes[1] == 0xFF { return utf16(bytes[2...], bigEndian: true) }
            switch (bytes[0] == 0, bytes[1] == 0, bytes[2] == 0, bytes[3] == 0) {
            case (true, true, true, _): return utf32(bytes[...], bigEndian: true)
            case (_, true, true, true): return utf32(bytes[...], bigEndian: false)
            case (true, _, true, _): return utf16(bytes[...], bigEndian: true)
            case (_, true, _, true): return utf16(bytes[...], bigEndian: false)
            default: return bytes
            }
        }
        if count >= 2 {
            if bytes[0] == 0 { return utf16(bytes[...], bigEndian: true) }
            if bytes[1] == 0 { return utf16(bytes[...], bigEndian: false) }
        }
        return bytes
    }

    private static func utf16(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt8]? {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            let first = UInt16(bytes[index]), second = UInt16(bytes[index + 1])
            units.append(bigEndian ? first << 8 | second : second << 8 | first)
            index += 2
        }
        return transcode(units, from: UTF16.self)
    }

    private static func utf32(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt8]? {
        var units: [UInt32] = []
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            var unit: UInt32 = 0
            for offset in 0..<4 {
                let byte = UInt32(bytes[index + (bigEndian ? offset : 3 - offset)])
                unit = unit << 8 | byte
            }
            units.append(unit)
            index += 4
        }
        return transcode(units, from: UTF32.self)
    }

    private static func transcode<Codec: UnicodeCodec>(_ units: [Codec.CodeUnit], from codec: Codec.Type) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(units.count)
        var decoder = Codec()
        var iterator = units.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): UTF8.encode(scalar) { output.append($0) }
            case .emptyInput: return output
            case .error: return nil
            }
        }
    }
}
