#ifndef KVMNET_CNETLINK_SHIM_H
#define KVMNET_CNETLINK_SHIM_H
// libnl-3 and libnl-route-3 headers used by KVMNetNetlink.
// No `link` lines in module.modulemap: the libraries come from pkg-config
// (libnl-route-3.0), so a release build can link them statically through
// packaging/pkgconfig instead.
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/rtnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
#include <linux/if_bridge.h>

// For KVMNetNetlink's monitor thread: its stop signal and its name in `ps -L`/`top -H`.
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/// Names the calling thread (at most 15 bytes are kept).
static inline int kvmnet_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

/// setns(2) for the calling thread; glibc declares it only under _GNU_SOURCE.
static inline int kvmnet_setns(int fd, int nstype) {
    return (int)syscall(SYS_setns, fd, nstype);
}
#endif
