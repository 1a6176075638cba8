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
#endif
