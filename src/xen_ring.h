/*
 * xen_ring.h -- <xen/io/netif.h> and its ring macros for userspace.  The
 * public headers leave the memory barriers to the includer: the ring is
 * shared with another domain (or, in the simulator, another process), so
 * they are real fences, not compiler barriers.
 */
#ifndef XVIF_XEN_RING_H
#define XVIF_XEN_RING_H

#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

/* ring.h maps these to kernel barriers for old interface versions. */
#undef xen_mb
#undef xen_rmb
#undef xen_wmb
#define xen_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define XVIF_PAGE_SIZE	4096u
#define XVIF_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, XVIF_PAGE_SIZE)
#define XVIF_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, XVIF_PAGE_SIZE)

_Static_assert(sizeof(struct netif_tx_request) == 12, "netif.h ABI");
_Static_assert(sizeof(struct netif_extra_info) == 8, "netif.h ABI");
_Static_assert(sizeof(struct netif_rx_response) == 8, "netif.h ABI");
_Static_assert(XVIF_TX_RING_SIZE == 256 && XVIF_RX_RING_SIZE == 256,
    "one-page rings hold 256 entries");

#endif
