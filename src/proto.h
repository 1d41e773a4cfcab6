/*
 * proto.h -- pure checks and parsers of what a frontend and a toolstack
 * hand us: MAC addresses, interface names, XenStore numbers, and guest TX
 * packets read off the ring.  No I/O, no allocation, no logging: callers
 * get a verdict and a reason string and decide what to do.
 */
#ifndef XVIF_PROTO_H
#define XVIF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen_ring.h"

#define PROTO_ETH_ALEN		6
#define PROTO_ETH_HLEN		14
#define PROTO_MAC_STRLEN	18	/* "xx:xx:xx:xx:xx:xx" + NUL */
#define PROTO_IFNAMSIZ		16	/* Linux IFNAMSIZ, NUL included */
/*
 * The least GSO size a guest may ask for: Linux's least MSS
 * (tcp_min_snd_mss, 48) less the 40 bytes of TCP options it may carry.
 */
#define PROTO_GSO_SIZE_MIN	8

/*
 * Data slots per guest TX packet (reference/netback.md 3.4), extras not
 * counted: up to XEN_NETIF_NR_SLOTS_MIN (18) are accepted, which every
 * frontend may assume; 19 and 20 are dropped with error responses, as
 * Linux drops what lies between XEN_NETBK_LEGACY_SLOTS_MAX (18) and
 * fatal_skb_slots (20); PROTO_TX_FATAL_SLOTS or more is taken as a broken
 * ring and fails the vif.  XXX: Linux compares both limits with the
 * slots after the first, before reading the next one, so it accepts 19,
 * drops 20 and 21 and fails at 22; ours are one lower, which no frontend
 * notices (netfront linearizes anything over 18).
 */
#define PROTO_TX_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN
#define PROTO_TX_DROP_SLOTS	20	/* the longest packet not fatal */
#define PROTO_TX_FATAL_SLOTS	(PROTO_TX_DROP_SLOTS + 1)

/*
 * Untrusted: "xx:xx:xx:xx:xx:xx", exactly, hex digits of either case.
 * 0 or -EINVAL.  Multicast and all-zero addresses are refused too: a NIC
 * cannot have them.
 */
int	proto_mac_parse(const char *s, uint8_t mac[PROTO_ETH_ALEN]);
/* Lower-case, colon separated, as the man page's diagnostics print it. */
void	proto_mac_format(const uint8_t mac[PROTO_ETH_ALEN],
	    char buf[PROTO_MAC_STRLEN]);
/*
 * The backend interface's MAC from the frontend's (xvif(4), NetBSD's
 * xni_enaddr[3]++): octet index 3 incremented modulo 256, no carry, so
 * the OUI is kept.  00:16:3e:12:34:56 -> 00:16:3e:13:34:56.  0, or
 * -EINVAL when the result is all zeros (from 00:00:00:ff:00:00), which
 * no interface can have.
 */
int	proto_mac_backend(const uint8_t fe[PROTO_ETH_ALEN],
	    uint8_t be[PROTO_ETH_ALEN]);

/* "xvif<domid>i<handle>" into buf; -ENAMETOOLONG if it does not fit. */
int	proto_ifname_default(char *buf, size_t len, unsigned int domid,
	    unsigned int handle);
/*
 * Is name one a vif has by right: "xvif<domid>i<handle>" as
 * proto_ifname_default writes it, or libxl's "vif<domid>.<handle>", its
 * name until a hotplug script renames it (no leading zeros)?  Then
 * true, and *domid, *handle set.
 */
bool	proto_ifname_owner(const char *name, unsigned int *domid,
	    unsigned int *handle);
/*
 * Untrusted (toolstack): a name Linux accepts for a network interface:
 * 1..15 bytes, no '/', ':', whitespace or control characters, not "." or
 * "..".  NULL if usable, else why not.
 */
const char *proto_ifname_check(const char *name);

/*
 * Untrusted: a XenStore number in decimal, no sign, no blanks, no
 * leading zeros but "0" itself, at most max.  0 or -EINVAL / -ERANGE.
 */
int	proto_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* One hex digit's value, either case; -1 if c is not one. */
int	proto_hexval(char c);

/* What a guest TX packet turned out to be. */
enum proto_verdict {
	PROTO_TX_OK,		/* deliver it */
	PROTO_TX_DROP,		/* answer every slot NETIF_RSP_ERROR */
	PROTO_TX_FATAL,		/* the ring is broken: fail the vif */
};

/*
 * One guest TX packet, from private copies of its requests.  Ring order
 * is: data slot 0, its extras, then data slots 1..n-1; every one of them
 * gets exactly one response, the extras NETIF_RSP_NULL.  The extras are
 * not stored: as in Linux any number may come, a repeated type replacing
 * the earlier one, so only the ring bounds pk_nextras (< ring size).
 */
struct proto_txpkt {
	netif_tx_request_t	pk_slot[PROTO_TX_DROP_SLOTS];
	unsigned int		pk_nslots;	/* data slots in pk_slot */
	unsigned int		pk_nextras;	/* extra slots after slot 0 */
	unsigned int		pk_consumed;	/* ring slots: data + extras */
	uint32_t		pk_len;		/* frame length (slot 0's size) */
	uint16_t		pk_len0;	/* bytes in slot 0 itself */
	uint16_t		pk_flags;	/* slot 0's NETTXF_* */
	bool			pk_has_gso;
	struct netif_extra_info	pk_gso;		/* if pk_has_gso: the last */
	const char		*pk_why;	/* reason for DROP or FATAL */
};

/* Hands the caller a private copy of ring request idx (RING_COPY_REQUEST). */
typedef void proto_fetch_fn(void *arg, RING_IDX idx, netif_tx_request_t *out);

/* What we offered the frontend, which decides which extras are legal. */
#define PROTO_TXF_GSO	0x1u	/* feature-gso-tcpv4/v6 written */

/*
 * Untrusted: parse the packet starting at ring index cons, never reading
 * at or past prod, each request fetched exactly once.  On OK and DROP
 * pk_consumed slots were used and must each be answered; on FATAL the
 * vif must be failed (pk_consumed is how far it got).
 */
enum proto_verdict proto_tx_parse(proto_fetch_fn *fetch, void *arg,
	    RING_IDX cons, RING_IDX prod, unsigned int features,
	    struct proto_txpkt *pk);

/* Where a frame's TCP or UDP header is, found by proto_l4_find. */
struct proto_l4 {
	size_t		l4_l3;		/* the IP header: 14, more behind tags */
	size_t		l4_off;		/* transport header, from the frame start */
	size_t		l4_len;		/* header and payload (IP's own count) */
	size_t		l4_hlen;	/* the header: TCP's data offset, or 8 */
	uint8_t		l4_proto;	/* 6 TCP, 17 UDP */
	uint8_t		l4_csum_off;	/* its checksum field: 16 or 6 */
	bool		l4_ipv6;
	uint32_t	l4_pseudo;	/* pseudo-header sum, not folded */
};

/*
 * Untrusted: find the TCP or UDP header of an Ethernet frame, as a
 * checksum offload or GSO needs it (Linux's skb_checksum_setup).  IPv4
 * and IPv6, up to two VLAN tags (802.1Q 0x8100 or 802.1ad 0x88a8, so
 * QinQ), IPv6 hop-by-hop, routing and destination options headers.
 * Fragments are refused, and so is a transport header that the IP length
 * or TCP's data offset puts outside the frame.  Reads f[0..len) only.
 * NULL if found, else why not.
 */
const char *proto_l4_find(const uint8_t *f, size_t len, struct proto_l4 *);

/*
 * Untrusted: fill in the TCP or UDP checksum of a frame sent with
 * NETTXF_csum_blank (the frontend left it to "hardware"; netif.h), for a
 * host port that cannot take the offload.  Reads and writes only
 * f[0..len).  NULL if done, else why not (the frame is then left as it
 * was).
 */
const char *proto_csum_fill(uint8_t *frame, size_t len);

/*
 * Put the pseudo-header sum in the checksum field of a frame l4 was
 * found in, as a partial checksum wants it (Linux's
 * skb_checksum_setup with recalculate): for a GSO frame a guest sent
 * without NETTXF_csum_blank, whose field holds something else.
 */
void	proto_csum_pseudo(uint8_t *f, const struct proto_l4 *l4);

/*
 * Complete a checksum the kernel left partial (virtio's NEEDS_CSUM, from
 * csum_start and csum_offset) for a frontend that cannot take it: the
 * sum of f[start..len) at f[start + off].  NULL if done, else why not
 * (the field lies outside the frame).
 */
const char *proto_csum_finish(uint8_t *f, size_t len, size_t start,
	    size_t off);

#endif
