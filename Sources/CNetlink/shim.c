#define _GNU_SOURCE
#include <sched.h>
#include "cnetlink.h"

int cnl_enter_network_namespace(int fd) {
    return setns(fd, CLONE_NEWNET);
}

int cnl_unshare_network_namespace(void) {
    return unshare(CLONE_NEWNET);
}
