#ifndef ZTAGENT_CNETLINK_SHIM_H
#define ZTAGENT_CNETLINK_SHIM_H
// libnl-3 route socket, as the netlink watcher uses it (pkg-config: libnl-route-3.0).
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <linux/rtnetlink.h>
#include <linux/if.h>
#endif
