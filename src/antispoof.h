/*
 * antispoof.h -- anti-spoofing of guest TX frames: the rules, and the
 * parser of the toolstack's `ip` key they use.  Pure: no I/O, no
 * allocation, no logging, no daemon state; xbus_keys.c builds a struct
 * antispoof at connect, vif_tx.c asks about each frame and counts and
 * logs what it drops.
 *
 * With anti-spoofing on for a vif (xvifd --antispoof, or the vif's own
 * `antispoof` key), a guest frame must come from the guest:
 *   - its Ethernet source is the frontend's MAC (the `mac` key), and so
 *     are an ARP sender hardware address and an NDP source or target
 *     link-layer address option (of RS, RA, NS and NA);
 *   - if the `ip` key is set, an IPv4 or IPv6 source, an ARP sender
 *     address and an NDP advertisement's target (or a duplicate address
 *     detection probe's) is one of its addresses or prefixes, or:
 *       0.0.0.0 for DHCP (UDP 68 -> 67, unfragmented) and ARP probes
 *       (requests, RFC 5227);
 *       :: for what RFC 4861 and RFC 3590 let a host send before it
 *       has an address: neighbour solicitations (duplicate address
 *       detection), router solicitations, MLD reports;
 *       the link-local address the frontend's MAC gives (fe80::/64 and
 *       the modified EUI-64, RFC 4291 appendix A), always.
 *     With `ip` set both families are held to it: a key that lists IPv4
 *     addresses only leaves the guest no IPv6 source but that link-local
 *     one.  Write fe80::/64 to allow any link-local source (a guest with
 *     RFC 7217 stable-privacy addresses), a prefix for SLAAC.
 *   - without `ip`, sources are not checked (the MAC rules still hold).
 * Up to two VLAN tags (802.1Q, 802.1ad) are walked and the same rules
 * apply to what they carry: a guest may run VLANs on its vif, and a tag
 * must not be a way around the check.  Other EtherTypes are held to the
 * MAC rule only: they carry no address the `ip` key speaks of.  A frame
 * too short or too odd to check (a truncated header, a third tag, ARP
 * that is not IPv4 over Ethernet, an NDP option of length 0) is dropped
 * as malformed: what cannot be checked is not passed.
 */
#ifndef XVIF_ANTISPOOF_H
#define XVIF_ANTISPOOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Addresses and prefixes an `ip` key may list. */
#define ANTISPOOF_NETS_MAX	64

struct antispoof_net {
	uint8_t		an_addr[16];	/* masked to an_plen; IPv4: [0..4) */
	uint8_t		an_plen;	/* 0..32 or 0..128 */
	bool		an_v6;
};

/* A vif's rules: immutable while it is connected. */
struct antispoof {
	uint8_t			as_mac[PROTO_ETH_ALEN];	/* the frontend's */
	uint8_t			as_ll6[16];	/* fe80:: + EUI-64 of as_mac */
	bool			as_ip;		/* `ip` set: sources checked */
	unsigned int		as_nnets;
	struct antispoof_net	as_nets[ANTISPOOF_NETS_MAX];
};

/* What a frame is, as anti-spoofing sees it. */
enum antispoof_verdict {
	ANTISPOOF_OK,
	ANTISPOOF_ETH_SRC,	/* Ethernet source is not the frontend's */
	ANTISPOOF_ARP_SHA,	/* ARP sender hardware address, likewise */
	ANTISPOOF_ND_LLADDR,	/* NDP link-layer address option, likewise */
	ANTISPOOF_DHCP_CHADDR,	/* a DHCP client's chaddr, likewise */
	ANTISPOOF_IP4_SRC,	/* IPv4 source not in `ip` */
	ANTISPOOF_IP6_SRC,	/* IPv6 source not in `ip` */
	ANTISPOOF_ARP_SPA,	/* ARP sender address not in `ip` */
	ANTISPOOF_ND_TARGET,	/* NA (or DAD NS) target not in `ip` */
	ANTISPOOF_MALFORMED,	/* cannot be checked */
};

/* Which rule a frame broke: what it is counted as. */
enum antispoof_rule {
	ANTISPOOF_RULE_MAC,
	ANTISPOOF_RULE_IP,
	ANTISPOOF_RULE_MALFORMED,
};

/* Rules for a frontend with this MAC, and no `ip` key (yet). */
void	antispoof_init(struct antispoof *, const uint8_t mac[PROTO_ETH_ALEN]);

/*
 * Untrusted (toolstack): the `ip` key, as libxl writes it and Xen's
 * vif-common.sh reads it: addresses separated by blanks (spaces, tabs,
 * newlines), each an IPv4 or IPv6 address (inet_pton(3)'s forms) with an
 * optional /prefix-length (decimal, no leading zero; host bits are
 * masked off, as iptables -s does).  An empty value is no key, as in
 * vif-common.sh.  NULL if every word was taken, else why not, with the
 * word it stopped at in bad (badlen > 0: cut to fit, unprintable bytes
 * as '?'); as is then unusable.
 */
const char *antispoof_parse_ip(struct antispoof *, const char *ip, char *bad,
	    size_t badlen);

/* The same rules (the same MAC, and nets in the same order)? */
bool	antispoof_equal(const struct antispoof *, const struct antispoof *);

/*
 * The addresses and prefixes the rules hold sources to, as
 * "a.b.c.d/len x::y/len ..." (masked, as enforced) into buf, cut to fit
 * at a word; "" when sources are not checked.  The length it needed.
 */
size_t	antispoof_format_nets(const struct antispoof *, char *buf, size_t len);

/* Untrusted: the frame f[0..len), never read past len. */
enum antispoof_verdict antispoof_check(const struct antispoof *,
	    const uint8_t *f, size_t len);

/* Lower case, for "<vif>: tx id N: dropped: <why>". */
const char *antispoof_why(enum antispoof_verdict);
enum antispoof_rule antispoof_rule(enum antispoof_verdict);

#endif
