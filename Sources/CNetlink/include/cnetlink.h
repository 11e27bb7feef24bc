#ifndef CNETLINK_H
#define CNETLINK_H

// <netinet/in.h> must come before any <linux/...> header: the uapi headers then leave glibc's
// definitions alone (libc-compat), otherwise clean builds fail at random on redefinitions.
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/netconf.h>
#include <linux/if_bridge.h>
#include <linux/veth.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>
// libnftnl builds nftables messages (tables, chains, sets, rules, elements); Swift calls it directly.
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/set.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

// Everything else (attribute walking, message splitting) is done in Swift over copied bytes, so
// parsing is unit-testable without a kernel; only macros and _GNU_SOURCE functions live here.

/// MNL_SOCKET_BUFFER_SIZE is a macro (it depends on the page size): Swift cannot import it.
static inline size_t cnl_socket_buffer_size(void) { return MNL_SOCKET_BUFFER_SIZE; }

/// setns(2) for network namespaces; it needs _GNU_SOURCE, which the Swift importer does not set.
int cnl_enter_network_namespace(int fd);
/* Moves the calling thread into a new, empty network namespace (pontoonctl makes containers' namespaces). */
int cnl_unshare_network_namespace(void);

#endif
