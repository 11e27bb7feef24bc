// gocni-client drives CNI plugins through containerd's own library, github.com/containerd/go-cni,
// the way containerd's CRI plugin (and so Kubernetes) does: the separate cni-loopback network plus
// the first config of a conf dir, K8S_* labels with IgnoreUnknown=1 as CNI_ARGS, port mappings and
// DNS as capability arguments (go-cni's Go types, so the keys arrive as "HostPort", "Servers", …).
//
// One invocation is one CRI step, so a test can act between steps (send traffic, delete the pod's
// namespace):
//
//	gocni-client [flags] setup|check|remove <sandbox-id> <netns-path>
//
// It prints one JSON document on stdout: for setup {"ip": <first address of the pod interface>,
// "interfaces": {name: [addresses]}}, {} for check and remove, and {"error": …, "code": …} with
// exit status 1 when go-cni fails (code is the plugin's CNI error code, 0 when there is none).
//
// Built by the Swift integration test (Tests/IntegrationTests/GoCNITests.swift) offline, in GOPATH
// mode, against Debian's golang-github-containerd-go-cni-dev.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	gocni "github.com/containerd/go-cni"
	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	confDir := flag.String("confdir", "", "CNI config directory (its first config is the pod network)")
	binDirs := flag.String("bindirs", "", "plugin directories, colon-separated")
	cacheDir := flag.String("cachedir", "", "libcni's result cache (default /var/lib/cni)")
	podNamespace := flag.String("pod-namespace", "default", "K8S_POD_NAMESPACE")
	podName := flag.String("pod-name", "", "K8S_POD_NAME")
	podUID := flag.String("pod-uid", "", "K8S_POD_UID")
	var ports, dnsServers, dnsSearches, dnsOptions list
	flag.Var(&ports, "port", "hostPort:containerPort/protocol[@hostIP], repeatable")
	flag.Var(&dnsServers, "dns-server", "DNS server, repeatable")
	flag.Var(&dnsSearches, "dns-search", "DNS search domain, repeatable")
	flag.Var(&dnsOptions, "dns-option", "DNS option, repeatable")
	flag.Parse()
	if flag.NArg() != 3 {
		fail(fmt.Errorf("usage: gocni-client [flags] setup|check|remove <sandbox-id> <netns-path>"))
	}
	step, id, netns := flag.Arg(0), flag.Arg(1), flag.Arg(2)

	// libcni keeps each attachment's result under this directory; a test points it at a temp dir.
	if *cacheDir != "" {
		libcni.CacheDir = *cacheDir
	}

	// What containerd's CRI plugin loads: loopback first, then the default network as eth0, and
	// it is ready only once both are there. CHECK is the exception: go-cni's loopback network is
	// cniVersion 0.3.1, which has no CHECK, so go-cni's Check fails on it whatever the plugins do;
	// the check step checks the pod network alone.
	load := []gocni.Opt{gocni.WithLoNetwork, gocni.WithDefaultConf}
	networks := 2
	if step == "check" {
		load, networks = []gocni.Opt{gocni.WithDefaultConf}, 1
	}
	cni, err := gocni.New(gocni.WithMinNetworkCount(networks), gocni.WithPluginConfDir(*confDir),
		gocni.WithPluginDir(strings.Split(*binDirs, ":")), gocni.WithInterfacePrefix("eth"))
	if err == nil {
		err = cni.Load(load...)
	}
	if err != nil {
		fail(err)
	}

	// The namespace options CRI passes to Setup, Check and Remove alike.
	mappings, err := portMappings(ports)
	if err != nil {
		fail(err)
	}
	opts := []gocni.NamespaceOpts{
		gocni.WithLabels(map[string]string{
			"IgnoreUnknown":              "1",
			"K8S_POD_NAMESPACE":          *podNamespace,
			"K8S_POD_NAME":               *podName,
			"K8S_POD_INFRA_CONTAINER_ID": id,
			"K8S_POD_UID":                *podUID,
		}),
		gocni.WithCapabilityPortMap(mappings),
	}
	if len(dnsServers)+len(dnsSearches)+len(dnsOptions) > 0 {
		opts = append(opts, gocni.WithCapabilityDNS(gocni.DNS{Servers: dnsServers, Searches: dnsSearches, Options: dnsOptions}))
	}

	ctx := context.Background()
	switch step {
	case "setup":
		result, err := cni.Setup(ctx, id, netns, opts...)
		if err != nil {
			fail(err)
		}
		// CRI reads the pod IP from the default interface (eth0), as go-cni indexes it.
		interfaces := map[string][]string{}
		for name, config := range result.Interfaces {
			interfaces[name] = []string{}
			for _, ip := range config.IPConfigs {
				interfaces[name] = append(interfaces[name], ip.IP.String())
			}
		}
		podIP := ""
		if ips := interfaces["eth0"]; len(ips) > 0 {
			podIP = ips[0]
		}
		print(map[string]interface{}{"ip": podIP, "interfaces": interfaces})
	case "check":
		if err := cni.Check(ctx, id, netns, opts...); err != nil {
			fail(err)
		}
		print(map[string]interface{}{})
	case "remove":
		if err := cni.Remove(ctx, id, netns, opts...); err != nil {
			fail(err)
		}
		print(map[string]interface{}{})
	default:
		fail(fmt.Errorf("unknown step %q", step))
	}
}

// portMappings parses "8080:80/tcp@10.0.0.1" into go-cni's PortMapping (HostIP empty: all addresses).
func portMappings(specs []string) ([]gocni.PortMapping, error) {
	var mappings []gocni.PortMapping
	for _, spec := range specs {
		rest, hostIP, _ := strings.Cut(spec, "@")
		ports, protocol, _ := strings.Cut(rest, "/")
		host, container, ok := strings.Cut(ports, ":")
		hostPort, err1 := strconv.ParseInt(host, 10, 32)
		containerPort, err2 := strconv.ParseInt(container, 10, 32)
		if !ok || err1 != nil || err2 != nil || protocol == "" {
			return nil, fmt.Errorf("bad -port %q: want hostPort:containerPort/protocol[@hostIP]", spec)
		}
		mappings = append(mappings, gocni.PortMapping{HostPort: int32(hostPort), ContainerPort: int32(containerPort),
			Protocol: protocol, HostIP: hostIP})
	}
	return mappings, nil
}

func print(document interface{}) {
	_ = json.NewEncoder(os.Stdout).Encode(document)
}

// fail reports go-cni's error with the plugin's CNI error code, when a plugin answered one.
func fail(err error) {
	code := 0
	var cniErr *types.Error
	if errors.As(err, &cniErr) {
		code = int(cniErr.Code)
	}
	print(map[string]interface{}{"error": err.Error(), "code": code})
	os.Exit(1)
}
