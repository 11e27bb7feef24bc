import Foundation
import Testing
@testable import PontoonCtl

@Suite("pontoonctl interface statistics from iproute2")
struct InterfaceStatisticsTests {
    @Test("ip -s -j link: stats64 of every interface but loopback, sorted; missing counters are zero")
    func parse() throws {
        let json = """
            [{"ifindex":1,"ifname":"lo","stats64":{"rx":{"bytes":9,"packets":1},"tx":{"bytes":9,"packets":1}}},
             {"ifindex":3,"ifname":"eth1","stats64":{"rx":{"bytes":10,"packets":2,"errors":0,"dropped":1},"tx":{"bytes":20,"packets":3}}},
             {"ifindex":2,"ifname":"eth0","stats64":{"rx":{"bytes":5000000000,"packets":4,"errors":1,"dropped":0},
              "tx":{"bytes":70,"packets":5,"errors":2,"dropped":3,"carrier_errors":0}}}]
            """
        let entries = try InterfaceStatistics.parse(iproute2: Data(json.utf8))
        #expect(entries.map(\.interface) == ["eth0", "eth1"])
        var eth0 = InterfaceStatistics(interface: "eth0")
        eth0.rxBytes = 5_000_000_000; eth0.rxPackets = 4; eth0.rxErrors = 1
        eth0.txBytes = 70; eth0.txPackets = 5; eth0.txErrors = 2; eth0.txDropped = 3
        #expect(entries.first == eth0)
        #expect(InterfaceStatistics.sum(entries).rxDropped == 1)
    }

    @Test("an answer that is not ip's JSON is a failure naming it")
    func notJSON() {
        #expect(throws: CtlError.self) { try InterfaceStatistics.parse(iproute2: Data("Cannot open netlink socket".utf8)) }
    }
}
