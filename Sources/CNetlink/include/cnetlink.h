#ifndef CNETLINK_H
#define CNETLINK_H
// <netinet/in.h> must come before any <linux/...> header, or clean builds fail at random.
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#endif
