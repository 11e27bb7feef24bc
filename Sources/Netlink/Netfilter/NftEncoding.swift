import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// nftables messages built by libnftnl into a `NetlinkBatch`. libnftnl objects live only while one
/// message is built; everything Pontoon keeps is the Swift description (`NftObjects.swift`).
enum NftEncoding {
    /// Elements per message: keeps each message far below the batch's per-message buffer.
    static let elementsPerMessage = 64

    static func add(_ command: NftTransaction.Command, to batch: NetlinkBatch) {
        let create = UInt16(NLM_F_CREATE | NLM_F_ACK)
        switch command {
        case .addTable(let table):
            message(batch, command, type: NFT_MSG_NEWTABLE, family: table.family, flags: create) { header in
                let object = nftnl_table_alloc()!
                defer { nftnl_table_free(object) }
                nftnl_table_set_str(object, UInt16(NFTNL_TABLE_NAME.rawValue), table.name)
                nftnl_table_nlmsg_build_payload(header, object)
            }
        case .addChain(let table, let chain):
            message(batch, command, type: NFT_MSG_NEWCHAIN, family: table.family, flags: create) { header in
                withChain(table, chain.name) { object in
                    if let hook = chain.hook {
                        nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_HOOKNUM.rawValue), hook.point.rawValue)
                        nftnl_chain_set_s32(object, UInt16(NFTNL_CHAIN_PRIO.rawValue), hook.priority)
                        nftnl_chain_set_str(object, UInt16(NFTNL_CHAIN_TYPE.rawValue), hook.type)
                        nftnl_chain_set_u32(object, UInt16(NFTNL_CHAIN_POLICY.rawValue), UInt32(NF_ACCEPT))
                    }
                    nftnl_chain_nlmsg_build_payload(header, object)
                }
            }
        case .deleteChain(let table, let chain):
            message(batch, command, type: NFT_MSG_DELCHAIN, family: table.family, flags: UInt16(NLM_F_ACK)) { header in
                withChain(table, chain) { nftnl_chain_nlmsg_build_payload(header, $0) }
            }
        case .flushChain(let table, let chain):
            // DELRULE naming a table and a chain but no rule handle removes that chain's rules.
            message(batch, command, type: NFT_MSG_DELRULE, family: table.family, flags: UInt16(NLM_F_ACK)) { header in
                withRule(table, chain) { nftnl_rule_nlmsg_build_payload(header, $0) }
            }
        case .addSet(let table, let set):
            message(batch, command, type: NFT_MSG_NEWSET, family: table.family, flags: create) { header in
                withSet(table, set) { nftnl_set_nlmsg_build_payload(header, $0) }
            }
        case .addRule(let table, let rule):
            message(batch, command, type: NFT_MSG_NEWRULE, family: table.family,
                    flags: UInt16(NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK)) { header in
                withRule(table, rule.chain) { object in
                    for expression in rule.expressions { nftnl_rule_add_expr(object, encode(expression)) }
                    nftnl_rule_nlmsg_build_payload(header, object)
                }
            }
        case .addElements(let table, let set, let elements, let exclusive, _):
            let flags = UInt16(NLM_F_CREATE | NLM_F_ACK | (exclusive ? NLM_F_EXCL : 0))
            for chunk in chunks(elements) {
                message(batch, command, type: NFT_MSG_NEWSETELEM, family: table.family, flags: flags) { header in
                    withElements(table, set, chunk) { nftnl_set_elems_nlmsg_build_payload(header, $0) }
                }
            }
        case .deleteElements(let table, let set, let elements, _):
            for chunk in chunks(elements) {
                message(batch, command, type: NFT_MSG_DELSETELEM, family: table.family, flags: UInt16(NLM_F_ACK)) { header in
                    withElements(table, set, chunk) { nftnl_set_elems_nlmsg_build_payload(header, $0) }
                }
            }
        }
    }

    /// GETSETELEM for one key (answered with the element, or ENOENT).
    static func getElement(_ table: NftTable, set: String, key: [UInt8], into batch: NetlinkBatch) {
        batch.addEncoded("get element of set \(set) of table \(table.description)", acknowledged: false) { buffer, sequence in
            let header = nftnl_nlmsg_build_hdr(buffer, UInt16(NFT_MSG_GETSETELEM.rawValue), table.family.rawValue, 0, sequence)!
            withElements(table, set, [NftElement(key: key)][...]) { nftnl_set_elems_nlmsg_build_payload(header, $0) }
            return header
        }
    }

    static func begin(_ batch: NetlinkBatch) {
        batch.addEncoded("begin nftables transaction", acknowledged: false) { nftnl_batch_begin($0, $1) }
    }

    static func end(_ batch: NetlinkBatch) {
        batch.addEncoded("commit nftables transaction", acknowledged: false) { nftnl_batch_end($0, $1) }
    }

    private static func chunks(_ elements: [NftElement]) -> [ArraySlice<NftElement>] {
        stride(from: 0, to: elements.count, by: elementsPerMessage).map {
            elements[$0..<min($0 + elementsPerMessage, elements.count)]
        }
    }

    private static func message(_ batch: NetlinkBatch, _ command: NftTransaction.Command, type: nf_tables_msg_types,
                                family: NftFamily, flags: UInt16, payload: (UnsafeMutablePointer<nlmsghdr>) -> Void) {
        batch.addEncoded(command.operation, acknowledged: true) { buffer, sequence in
            let header = nftnl_nlmsg_build_hdr(buffer, UInt16(type.rawValue), family.rawValue, flags, sequence)!
            payload(header)
            return header
        }
    }

    /// One libnftnl object for the length of `body`: allocated, its table and name (or chain)
    /// attributes set, freed afterwards. Chains, rules and sets differ only in which functions do it.
    private static func withObject(_ alloc: () -> OpaquePointer?, _ free: (OpaquePointer?) -> Void,
                                   _ setString: (OpaquePointer?, UInt16, UnsafePointer<CChar>?) -> Int32,
                                   _ strings: [(attribute: UInt32, value: String)], _ body: (OpaquePointer) -> Void) {
        let object = alloc()!
        defer { free(object) }
        for string in strings { _ = setString(object, UInt16(string.attribute), string.value) }
        body(object)
    }

    private static func withChain(_ table: NftTable, _ name: String, _ body: (OpaquePointer) -> Void) {
        withObject(nftnl_chain_alloc, nftnl_chain_free, nftnl_chain_set_str,
                   [(NFTNL_CHAIN_TABLE.rawValue, table.name), (NFTNL_CHAIN_NAME.rawValue, name)], body)
    }

    private static func withRule(_ table: NftTable, _ chain: String, _ body: (OpaquePointer) -> Void) {
        withObject(nftnl_rule_alloc, nftnl_rule_free, nftnl_rule_set_str,
                   [(NFTNL_RULE_TABLE.rawValue, table.name), (NFTNL_RULE_CHAIN.rawValue, chain)], body)
    }

    private static func withSet(_ table: NftTable, _ set: NftSet, _ body: (OpaquePointer) -> Void) {
        withObject(nftnl_set_alloc, nftnl_set_free, nftnl_set_set_str,
                   [(NFTNL_SET_TABLE.rawValue, table.name), (NFTNL_SET_NAME.rawValue, set.name)]) { object in
            describe(set, in: table, object)
            body(object)
        }
    }

    /// A set's family, key and data types and flags.
    private static func describe(_ set: NftSet, in table: NftTable, _ object: OpaquePointer) {
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_FAMILY.rawValue), UInt32(table.family.rawValue))
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_TYPE.rawValue), set.keyType)
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_KEY_LEN.rawValue), set.keyLength)
        var flags: UInt32 = 0
        if set.interval { flags |= UInt32(NFT_SET_INTERVAL.rawValue) }
        if let dataType = set.dataType {
            flags |= UInt32(NFT_SET_MAP.rawValue)
            nftnl_set_set_u32(object, UInt16(NFTNL_SET_DATA_TYPE.rawValue), dataType)
            nftnl_set_set_u32(object, UInt16(NFTNL_SET_DATA_LEN.rawValue),
                              dataType == NftSet.verdictType ? UInt32(MemoryLayout<Int32>.size) : set.dataLength ?? 0)
        }
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_FLAGS.rawValue), flags)
        describeForNft(set, object)
        // The kernel requires a transaction-local set ID (rules of the same batch may refer to it);
        // derived from the name, so it differs between the sets of one transaction.
        nftnl_set_set_u32(object, UInt16(NFTNL_SET_ID.rawValue), set.name.utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 })
    }

    /// The set's userdata in nft's layout (the kernel keeps it and ignores it): the byte order of
    /// the key and of a map's data, which `nft list` needs to print the elements (without it an
    /// interface name is read backwards and shows as `""`), and the data-interval flag nft writes
    /// for every map.
    private static func describeForNft(_ set: NftSet, _ object: OpaquePointer) {
        let userdata = nftnl_udata_buf_alloc(64)!
        defer { nftnl_udata_buf_free(userdata) }
        _ = nftnl_udata_put_u32(userdata, UInt8(NFTNL_UDATA_SET_KEYBYTEORDER.rawValue), set.keyByteOrder.rawValue)
        if set.dataType != nil {
            _ = nftnl_udata_put_u32(userdata, UInt8(NFTNL_UDATA_SET_DATABYTEORDER.rawValue), set.dataByteOrder.rawValue)
            _ = nftnl_udata_put_u32(userdata, UInt8(NFTNL_UDATA_SET_DATA_INTERVAL.rawValue), 0)
        }
        _ = nftnl_set_set_data(object, UInt16(NFTNL_SET_USERDATA.rawValue), nftnl_udata_buf_data(userdata), nftnl_udata_buf_len(userdata))
    }

    private static func withElements(_ table: NftTable, _ set: String, _ elements: ArraySlice<NftElement>, _ body: (OpaquePointer) -> Void) {
        let object = nftnl_set_alloc()!
        defer { nftnl_set_free(object) }
        nftnl_set_set_str(object, UInt16(NFTNL_SET_TABLE.rawValue), table.name)
        nftnl_set_set_str(object, UInt16(NFTNL_SET_NAME.rawValue), set)
        for element in elements {
            let item = nftnl_set_elem_alloc()!
            element.key.withUnsafeBytes { _ = nftnl_set_elem_set(item, UInt16(NFTNL_SET_ELEM_KEY), $0.baseAddress, UInt32($0.count)) }
            if element.intervalEnd {
                nftnl_set_elem_set_u32(item, UInt16(NFTNL_SET_ELEM_FLAGS), UInt32(NFT_SET_ELEM_INTERVAL_END.rawValue))
            }
            switch element.value {
            case .none: break
            case .data(let bytes):
                bytes.withUnsafeBytes { _ = nftnl_set_elem_set(item, UInt16(NFTNL_SET_ELEM_DATA), $0.baseAddress, UInt32($0.count)) }
            case .jump(let chain):
                nftnl_set_elem_set_u32(item, UInt16(NFTNL_SET_ELEM_VERDICT), UInt32(bitPattern: NFT_JUMP.rawValue))
                nftnl_set_elem_set_str(item, UInt16(NFTNL_SET_ELEM_CHAIN), chain)
            }
            if let comment = element.comment {
                // nft's own layout for element comments, so `nft list` shows them.
                let userdata = nftnl_udata_buf_alloc(UInt32(comment.utf8.count + 16))!
                defer { nftnl_udata_buf_free(userdata) }
                _ = nftnl_udata_put_strz(userdata, UInt8(NFTNL_UDATA_SET_ELEM_COMMENT.rawValue), comment)
                _ = nftnl_set_elem_set(item, UInt16(NFTNL_SET_ELEM_USERDATA), nftnl_udata_buf_data(userdata),
                                       nftnl_udata_buf_len(userdata))
            }
            nftnl_set_elem_add(object, item)
        }
        body(object)
    }

    private static func encode(_ expression: NftExpression) -> OpaquePointer {
        func make(_ name: String, _ fill: (OpaquePointer) -> Void) -> OpaquePointer {
            let object = nftnl_expr_alloc(name)!
            fill(object)
            return object
        }
        func set(_ object: OpaquePointer, _ attribute: some BinaryInteger, _ value: UInt32) {
            nftnl_expr_set_u32(object, UInt16(truncatingIfNeeded: attribute), value)
        }
        func set(_ object: OpaquePointer, _ attribute: some BinaryInteger, bytes: [UInt8]) {
            bytes.withUnsafeBytes { _ = nftnl_expr_set(object, UInt16(truncatingIfNeeded: attribute), $0.baseAddress, UInt32($0.count)) }
        }
        func verdict(_ code: Int32, chain: String? = nil) -> OpaquePointer {
            make("immediate") { object in
                set(object, NFTNL_EXPR_IMM_DREG, UInt32(NFT_REG_VERDICT.rawValue))
                set(object, NFTNL_EXPR_IMM_VERDICT, UInt32(bitPattern: code))
                if let chain { nftnl_expr_set_str(object, UInt16(NFTNL_EXPR_IMM_CHAIN), chain) }
            }
        }
        switch expression {
        case .meta(let key, let register):
            let code = switch key {
            case .nfproto: NFT_META_NFPROTO.rawValue
            case .l4proto: NFT_META_L4PROTO.rawValue
            case .inputInterfaceName: NFT_META_IIFNAME.rawValue
            case .outputInterfaceName: NFT_META_OIFNAME.rawValue
            }
            return make("meta") { set($0, NFTNL_EXPR_META_KEY, UInt32(code)); set($0, NFTNL_EXPR_META_DREG, register) }
        case .payload(let base, let offset, let length, let register):
            return make("payload") {
                set($0, NFTNL_EXPR_PAYLOAD_BASE, base.rawValue)
                set($0, NFTNL_EXPR_PAYLOAD_OFFSET, offset)
                set($0, NFTNL_EXPR_PAYLOAD_LEN, length)
                set($0, NFTNL_EXPR_PAYLOAD_DREG, register)
            }
        case .compare(let register, let op, let bytes):
            return make("cmp") {
                set($0, NFTNL_EXPR_CMP_SREG, register)
                set($0, NFTNL_EXPR_CMP_OP, op.rawValue)
                set($0, NFTNL_EXPR_CMP_DATA, bytes: bytes)
            }
        case .mask(let register, let mask):
            return make("bitwise") {
                set($0, NFTNL_EXPR_BITWISE_SREG, register)
                set($0, NFTNL_EXPR_BITWISE_DREG, register)
                set($0, NFTNL_EXPR_BITWISE_LEN, UInt32(mask.count))
                set($0, NFTNL_EXPR_BITWISE_MASK, bytes: mask)
                set($0, NFTNL_EXPR_BITWISE_XOR, bytes: [UInt8](repeating: 0, count: mask.count))
            }
        case .lookup(let name, let register, let into, let inverted):
            return make("lookup") {
                nftnl_expr_set_str($0, UInt16(NFTNL_EXPR_LOOKUP_SET), name)
                set($0, NFTNL_EXPR_LOOKUP_SREG, register)
                if let into { set($0, NFTNL_EXPR_LOOKUP_DREG, into) }
                if inverted { set($0, NFTNL_EXPR_LOOKUP_FLAGS, UInt32(NFT_LOOKUP_F_INV.rawValue)) }
            }
        case .conntrack(let key, let register):
            let code = switch key { case .state: NFT_CT_STATE.rawValue; case .status: NFT_CT_STATUS.rawValue }
            return make("ct") { set($0, NFTNL_EXPR_CT_KEY, UInt32(code)); set($0, NFTNL_EXPR_CT_DREG, register) }
        case .destinationAddressType(let register):
            return make("fib") {
                set($0, NFTNL_EXPR_FIB_FLAGS, UInt32(NFTA_FIB_F_DADDR.rawValue))
                set($0, NFTNL_EXPR_FIB_RESULT, UInt32(NFT_FIB_RESULT_ADDRTYPE.rawValue))
                set($0, NFTNL_EXPR_FIB_DREG, register)
            }
        case .destinationNAT(let family, let addressRegister, let portRegister):
            return make("nat") {
                set($0, NFTNL_EXPR_NAT_TYPE, UInt32(NFT_NAT_DNAT.rawValue))
                set($0, NFTNL_EXPR_NAT_FAMILY, UInt32(family.rawValue))
                set($0, NFTNL_EXPR_NAT_REG_ADDR_MIN, addressRegister)
                set($0, NFTNL_EXPR_NAT_REG_PROTO_MIN, portRegister)
            }
        case .masquerade:
            return make("masq") { _ in }
        case .accept:
            return verdict(Int32(NF_ACCEPT))
        case .drop:
            return verdict(Int32(NF_DROP))
        case .return:
            return verdict(NFT_RETURN.rawValue)
        case .jump(let chain):
            return verdict(NFT_JUMP.rawValue, chain: chain)
        }
    }
}
