/// Host-side veth names: `veth` and 8 random hex digits, as the reference plugin names them, so
/// tools and operators recognise them; collisions are retried by the caller.
enum InterfaceNames {
    static func randomHostVeth() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return "veth" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
