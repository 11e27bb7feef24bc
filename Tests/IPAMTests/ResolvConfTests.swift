import Pontoon
import Testing

@Suite("host-local resolvConf")
struct ResolvConfTests {
    @Test("parsed like the reference: comments, repeated keys, extra words, keywords without a value")
    func parse() {
        let text = """
        # generated
        nameserver 1.1.1.1
        nameserver 8.8.8.8 extra
        \tdomain a.b
        search x y
        search z
        options ndots:5 rotate\r
         ; comment
        nameserver
        sortlist 10.0.0.0
        domain c.d
        """
        #expect(ResolvConf.parse(text) == DNS(nameservers: ["1.1.1.1", "8.8.8.8"], domain: "c.d",
                                             search: ["x", "y", "z"], options: ["ndots:5", "rotate"]))
    }

    @Test("an empty file gives empty DNS")
    func empty() {
        #expect(ResolvConf.parse("").isEmpty)
        #expect(ResolvConf.parse("\n\n# only comments\n").isEmpty)
    }

    @Test("a missing file is an I/O error naming it")
    func missing() {
        let error = #expect(throws: PontoonError.self) { try ResolvConf.read("/nonexistent/resolv.conf") }
        #expect(error?.kind == .io)
        #expect(error?.message == "cannot read resolvConf /nonexistent/resolv.conf: No such file or directory")
    }
}
