import Foundation

/// `pontoon-faults corpus --door cni|netavark --seed HEX --inputs N`: writes the documents the fuzz
/// would send (stdin, and a netavark `--file`), each as a 4-byte big-endian length and the bytes,
/// without running anything and without root. WireCodingTests' differential test reads them, so
/// the JSON reader is proven against the fuzz's own inputs, not a copy of its generator.
enum Corpus {
    static func dump(_ options: Options) -> Never {
        let seed = options.seed() ?? 0x5EED_0000_CAFE
        let count = options.int("inputs", 2_000)
        var output: [UInt8] = []
        func emit(_ bytes: [UInt8]) {
            let length = UInt32(bytes.count)
            output += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + bytes
        }
        switch options.values["door"] ?? "cni" {
        case "netavark":
            let generator = NetavarkFuzzGenerator(worker: 0, seed: seed, containers: NetavarkDoor().fuzzContainers, captures: NetavarkCaptures.load())
            for index in 0..<count {
                let call = generator.make(index).call
                emit(call.stdin)
                if let file = call.inputFile { emit(file) }
            }
        default:
            let generator = FuzzGenerator(worker: 0, seed: seed, containers: CNIDoor().fuzzContainers)
            for index in 0..<count { emit(generator.make(index).call.stdin) }
        }
        FileHandle.standardOutput.write(Data(output))
        exit(0)
    }
}
