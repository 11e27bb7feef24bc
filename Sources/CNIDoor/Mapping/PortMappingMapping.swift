import CNI
import NetAddress
import Pontoon

extension CNIRequest {
    /// `runtimeConfig.portMappings` in engine terms, whichever casing the runtime used (podman's
    /// `hostPort`, go-cni's `HostPort`). As in the reference `portmap`: an empty or absent host IP
    /// means every host address, the protocol is case-insensitive (Kubernetes says `TCP`) and
    /// defaults to tcp.
    public func portMappings() throws(CNIError) -> [PortMapping] {
        try (config.runtimeConfig?.portMappings ?? []).enumerated().map { i, entry throws(CNIError) in
            let key = "runtimeConfig.portMappings[\(i)]"
            func port(_ value: Int, _ name: String) throws(CNIError) -> UInt16 {
                guard NetworkLimits.port.contains(value) else {
                    throw CNIError(.invalidNetworkConfig, "\(key).\(name) \(value) is out of range 1...65535")
                }
                return UInt16(value)
            }
            let name = (entry.protocol ?? "").lowercased()
            guard let transport = name.isEmpty ? .tcp : PortMapping.TransportProtocol(rawValue: name) else {
                throw CNIError(.invalidNetworkConfig, "\(key).protocol \"\(entry.protocol ?? "")\" is not tcp, udp or sctp")
            }
            var hostIP: IPAddress?
            if let text = entry.hostIP, !text.isEmpty {
                guard let parsed = IPAddress(text) else {
                    throw CNIError(.invalidNetworkConfig, "\(key).hostIP \"\(text)\" is not an IP address")
                }
                hostIP = parsed
            }
            return PortMapping(hostIP: hostIP, hostPort: try port(entry.hostPort, "hostPort"),
                               containerPort: try port(entry.containerPort, "containerPort"), transport: transport)
        }
    }
}
