/// The changes of one operation, applied by `NetfilterSocket.apply` as one nftables transaction:
/// all of them or none. Every command names its table (and chain, set, element): there is no way
/// to express "every table" here.
public struct NftTransaction: Sendable {
    public enum Command: Sendable {
        case addTable(NftTable)
        case addChain(NftTable, NftChain)
        /// Remove every rule of one chain.
        case flushChain(NftTable, chain: String)
        case deleteChain(NftTable, chain: String)
        case addSet(NftTable, NftSet)
        case addRule(NftTable, NftRule)
        /// `exclusive`: an element whose key exists fails the transaction (EEXIST or EBUSY).
        case addElements(NftTable, set: String, [NftElement], exclusive: Bool, what: String)
        case deleteElements(NftTable, set: String, [NftElement], what: String)

        /// What an error names: the request that failed.
        public var operation: String {
            switch self {
            case .addTable(let table): "add table \(table.description)"
            case .addChain(let table, let chain): "add chain \(chain.name) to table \(table.description)"
            case .flushChain(let table, let chain): "flush chain \(chain) of table \(table.description)"
            case .deleteChain(let table, let chain): "delete chain \(chain) of table \(table.description)"
            case .addSet(let table, let set): "add set \(set.name) to table \(table.description)"
            case .addRule(let table, let rule): "add rule to chain \(rule.chain) of table \(table.description)"
            case .addElements(let table, let set, _, _, let what): "add \(what) to set \(set) of table \(table.description)"
            case .deleteElements(let table, let set, _, let what): "delete \(what) from set \(set) of table \(table.description)"
            }
        }
    }

    public private(set) var commands: [Command] = []

    public init() {}

    public var isEmpty: Bool { commands.isEmpty }

    public mutating func add(_ command: Command) { commands.append(command) }

    public mutating func append(_ other: NftTransaction) { commands += other.commands }
}

extension NftTable: CustomStringConvertible {
    public var description: String {
        let family = switch self.family { case .inet: "inet"; case .ipv4: "ip"; case .ipv6: "ip6"; case .bridge: "bridge" }
        return "\(family) \(name)"
    }
}
