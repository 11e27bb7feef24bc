import Foundation
import Testing
@testable import PontoonCtl

/// `--format` templates over the JSON pontoonctl prints, as podman users write them.
@Suite("--format Go templates: paths, json, index, pipes, refusals")
struct GoTemplateTests {
    /// An inspect-shaped value: what `inspect --format json` prints for a container on two networks.
    let inspected: TemplateValue = {
        let json = #"""
        {"Id": "4f1c", "Name": "web", "State": {"Status": "running"},
         "NetworkSettings": {"IPAddress": "", "Ports": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
           "Networks": {"front": {"IPAddress": "10.89.0.5", "IPPrefixLen": 24, "Aliases": ["www", "4f1c"]},
                        "back-end": {"IPAddress": "10.89.1.7", "IPPrefixLen": 24, "Aliases": []}}},
         "network": {"network_interface": "pontoon3", "dns_enabled": true, "id": "ab12"}}
        """#
        return try! JSONDecoder().decode(TemplateValue.self, from: Data(json.utf8))
    }()

    func render(_ template: String) throws(CtlError) -> String { try GoTemplate(template).render(inspected) }

    @Test("field paths, literal text around actions, a newline added as podman ends each item")
    func paths() throws {
        #expect(try render("{{.Name}}") == "web\n")
        #expect(try render("name={{.Name}} state={{.State.Status}}!") == "name=web state=running!\n")
        #expect(try render("{{.NetworkSettings.Networks.front.IPAddress}}/{{.NetworkSettings.Networks.front.IPPrefixLen}}") == "10.89.0.5/24\n")
        #expect(try render("[{{.NetworkSettings.IPAddress}}]") == "[]\n")
        #expect(try render("{{ .Name }}") == "web\n")
        #expect(try render("{{.NetworkSettings.Networks.front.Aliases}}") == "[www 4f1c]\n")
        #expect(try render("{{.State}}") == "map[Status:running]\n")
        #expect(try render("{{.network.dns_enabled}}") == "true\n")
        #expect(try render("plain text") == "plain text\n")
    }

    @Test("\\n and \\t typed literally are a newline and a tab; a template ending in a newline gets no second one")
    func escapes() throws {
        #expect(try render(#"{{.Name}}\t{{.State.Status}}\n"#) == "web\trunning\n")
        #expect(try render(#"a\nb"#) == "a\nb\n")
    }

    @Test("json of a map, a list, a string; pipes into json; index of maps (names with dashes) and lists")
    func functions() throws {
        #expect(try render("{{json .State}}") == #"{"Status":"running"}"# + "\n")
        #expect(try render("{{.State | json}}") == #"{"Status":"running"}"# + "\n")
        #expect(try render("{{json .NetworkSettings.Networks.front.Aliases}}") == #"["www","4f1c"]"# + "\n")
        #expect(try render("{{json .Name}}") == #""web""# + "\n")
        #expect(try render(#"{{index .NetworkSettings.Networks "back-end"}}"#) == "map[Aliases:[] IPAddress:10.89.1.7 IPPrefixLen:24]\n")
        #expect(try render(#"{{index .NetworkSettings.Networks "front" | json}}"#).hasPrefix(#"{"Aliases":["www","4f1c"],"#))
        #expect(try render(#"{{index .NetworkSettings.Ports "80/tcp" 0 "HostPort"}}"#) == "8080\n")
        #expect(try render(#"{{index .NetworkSettings.Networks.front.Aliases 1}}"#) == "4f1c\n")
        #expect(try render(#"{{index .NetworkSettings.Networks "missing"}}"#) == "<no value>\n")
        #expect(TemplateValue.string("a<b>&\"c\"\n").json == #""a\u003cb\u003e\u0026\"c\"\n""#)
    }

    @Test("Go field names find the JSON keys they stand for (podman's templates name struct fields)")
    func goFieldNames() throws {
        #expect(try render("{{.Network.NetworkInterface}}") == "pontoon3\n")
        #expect(try render("{{.Network.DNSEnabled}} {{.Network.ID}}") == "true ab12\n")
        // Lower case is a map key, matched exactly as Go does.
        #expect(throws: CtlError.self) { _ = try render("{{.name}}") }
    }

    @Test("what it does not support is refused by name, exit 125, before anything is printed")
    func refusals() throws {
        for (template, named) in [("{{range .Networks}}x{{end}}", "{{range}}"), ("{{if .Name}}x{{end}}", "{{if}}"),
                                  ("{{printf \"%s\" .Name}}", "printf"), ("{{$x := .Name}}", "variables"),
                                  ("{{json (.Name)}}", "parentheses"), ("{{upper .Name}}", "upper")] {
            let error = #expect(throws: CtlError.self) { _ = try render(template) }
            #expect(error?.kind == .usage && error?.exitStatus == 125)
            #expect(error?.description.contains(named) == true, "\(template): \(error?.description ?? "")")
            #expect(error?.description.contains("\n") == false)
        }
        let missing = #expect(throws: CtlError.self) { _ = try render("{{.NetworkSettings.Nope}}") }
        #expect(missing?.description.contains(".NetworkSettings.Nope") == true)
        #expect(throws: CtlError.self) { _ = try render("{{.Name") }
        #expect(throws: CtlError.self) { _ = try render("{{.Name.First}}") }
        #expect(throws: CtlError.self) { _ = try render(#"{{index .NetworkSettings.Networks.front.Aliases 5}}"#) }
        #expect(throws: CtlError.self) { _ = try render("table {{.Name}}") }
        #expect(GoTemplate.isTemplate("{{.Name}}") && !GoTemplate.isTemplate("json"))
    }
}
