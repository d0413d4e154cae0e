#ifndef ZTAGENT_CSOCKDIAG_SHIM_H
#define ZTAGENT_CSOCKDIAG_SHIM_H
// Kernel socket diagnostics (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, inet_diag_req_v2 and
// inet_diag_msg), which Glibc's module does not bring in. Headers only: nothing is linked.
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#endif
