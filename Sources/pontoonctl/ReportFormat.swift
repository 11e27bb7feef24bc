import ArgumentParser
import Foundation
import PontoonCtl

/// `--format` of the commands podman gives templates to (inspect, network inspect, ps, network ls,
/// version): `table`, `json`, or a Go template (`{{.NetworkSettings.IPAddress}}`, see GoTemplate).
enum ReportFormat: ExpressibleByArgument, Equatable {
    case table, json
    case template(GoTemplate)

    init?(argument: String) {
        switch argument {
        case "table": self = .table
        case "json": self = .json
        default:
            // Not a template either: ArgumentParser's one-line "invalid value" says so.
            guard GoTemplate.isTemplate(argument) else { return nil }
            do { self = .template(try GoTemplate(argument)) } catch {
                // A template pontoonctl cannot evaluate: one line naming what, exit 125, before anything runs.
                FileHandle.standardError.write(Data(("Error: " + error.description + "\n").utf8))
                Foundation.exit(error.exitStatus)
            }
        }
    }

    static func == (lhs: ReportFormat, rhs: ReportFormat) -> Bool {
        switch (lhs, rhs) {
        case (.table, .table), (.json, .json): true
        default: false
        }
    }
}

struct ReportFormatOption: ParsableArguments {
    @Option(help: ArgumentHelp("table (default), json, or a Go template as podman takes: {{.Field.Path}}, {{json .X}}, {{index .Map \"key\"}}, "
                                   + "pipes into json; \\n and \\t are a newline and a tab.", valueName: "format"))
    var format: ReportFormat = .table
}

extension Output {
    /// One item as `--format` asks: JSON, the template, or the table (`table` prints it).
    static func report<T: Encodable>(_ item: T, _ format: ReportFormat, table: () -> Void) throws {
        switch format {
        case .json: json(item)
        case .table: table()
        case .template(let template): try render([item], template)
        }
    }

    /// A listing: a JSON array, the template once per item, or a table with a row an item.
    static func report<Item: Encodable>(_ items: [Item], _ format: ReportFormat, header: [String], row: (Item) -> [String]) throws {
        switch format {
        case .json: json(items)
        case .table: Output.table(header, items.map(row))
        case .template(let template): try render(items, template)
        }
    }

    private static func render<Item: Encodable>(_ items: [Item], _ template: GoTemplate) throws {
        let text = try perform { () throws(CtlError) in
            try items.map { item throws(CtlError) in try template.render(try TemplateValue.of(item)) }.joined()
        }
        print(text, terminator: "")
    }
}

/// What a network template reads, as podman's network templates see a network: its definition's
/// fields at the top (`{{.Name}}`, `{{.NetworkInterface}}`, `{{.Subnets}}`, `{{.DNSEnabled}}` find
/// `name`, `network_interface`, …) and pontoonctl's `backend` beside them.
struct ReportedNetwork: Encodable {
    let file: NetworkFile

    private enum CodingKeys: String, CodingKey { case backend }

    func encode(to encoder: any Encoder) throws {
        try file.network.encode(to: encoder)
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(file.backend, forKey: .backend)
    }
}
