/*
 * antispoof.c -- the anti-spoofing rules of antispoof.h: the `ip` key's
 * parser and the check of one guest TX frame.  Owns no state; the rules
 * are the caller's (struct antispoof), and so are counting and logging.
 * Every length is checked before the byte it guards is read.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "antispoof.h"

#define AS_ETHERTYPE_IP		0x0800
#define AS_ETHERTYPE_ARP	0x0806
#define AS_ETHERTYPE_IPV6	0x86dd
#define AS_ETHERTYPE_8021Q	0x8100
#define AS_ETHERTYPE_8021AD	0x88a8
/* Below: an IEEE 802.3 length, the frame LLC (802.2) after it. */
#define AS_ETHERTYPE_MIN	0x0600
/* LLC/SNAP: DSAP AA, SSAP AA, UI (03), an OUI and an EtherType. */
#define AS_SNAP_HLEN		8
/* As proto_l4_find: a tag, or QinQ; a third is not walked. */
#define AS_VLAN_MAX_TAGS	2
/* As proto.c: twice what RFC 8200 4.1 orders, before the upper layer. */
#define AS_IPV6_MAX_EXTHDRS	8
#define AS_IPPROTO_UDP		17
#define AS_IPPROTO_ICMPV6	58
/* ICMPv6 types (RFC 4443, 4861, 2710, 3810). */
#define AS_MLD_REPORT		131
#define AS_ND_RS		133
#define AS_ND_RA		134
#define AS_ND_NS		135
#define AS_ND_NA		136
#define AS_MLD2_REPORT		143
/* NDP options: source and target link-layer address (RFC 4861 4.6.1). */
#define AS_ND_OPT_SLLA		1
#define AS_ND_OPT_TLLA		2
/* An Ethernet link-layer address option: 8 bytes (RFC 2464 6). */
#define AS_ND_OPT_LLA_LEN	8
/* Longest word of `ip`: an IPv4-mapped IPv6 address and "/128". */
#define AS_WORD_MAX		(INET6_ADDRSTRLEN + 4)

static const uint8_t as_zero[16];

static uint16_t
as_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void
antispoof_init(struct antispoof *as, const uint8_t mac[PROTO_ETH_ALEN])
{
	memset(as, 0, sizeof(*as));
	memcpy(as->as_mac, mac, PROTO_ETH_ALEN);
	/* RFC 4291 appendix A: the U/L bit flipped, ff:fe in the middle. */
	as->as_ll6[0] = 0xfe;
	as->as_ll6[1] = 0x80;
	as->as_ll6[8] = mac[0] ^ 0x02;
	as->as_ll6[9] = mac[1];
	as->as_ll6[10] = mac[2];
	as->as_ll6[11] = 0xff;
	as->as_ll6[12] = 0xfe;
	as->as_ll6[13] = mac[3];
	as->as_ll6[14] = mac[4];
	as->as_ll6[15] = mac[5];
}

/* The word at w[0..n) into bad, for the caller's diagnostic. */
static void
as_bad_word(const char *w, size_t n, char *bad, size_t badlen)
{
	size_t i;

	if (badlen == 0)
		return;
	if (n > badlen - 1)
		n = badlen - 1;
	for (i = 0; i < n; i++)
		bad[i] = w[i] > ' ' && w[i] < 0x7f ? w[i] : '?';
	bad[n] = '\0';
}

/* Untrusted: one word of `ip` into *an.  NULL, or why not. */
static const char *
as_parse_net(const char *w, size_t n, struct antispoof_net *an)
{
	char addr[AS_WORD_MAX + 1];
	char *slash;
	unsigned long plen;
	unsigned int i, max;

	if (n > AS_WORD_MAX)
		return "is too long for an address";
	memcpy(addr, w, n);
	addr[n] = '\0';
	memset(an, 0, sizeof(*an));
	if ((slash = strchr(addr, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, addr, an->an_addr) == 1)
		max = 32;
	else if (inet_pton(AF_INET6, addr, an->an_addr) == 1) {
		max = 128;
		an->an_v6 = true;
	} else
		return "is not an IPv4 or IPv6 address";
	plen = max;
	if (slash != NULL && proto_parse_uint(slash + 1, max, &plen) < 0)
		return max == 32 ? "has no prefix length of 0 to 32" :
		    "has no prefix length of 0 to 128";
	an->an_plen = (uint8_t)plen;
	for (i = 0; i < max / 8; i++)
		if (i * 8 >= plen)
			an->an_addr[i] = 0;
		else if (i * 8 + 8 > plen)
			an->an_addr[i] &= (uint8_t)(0xff << (i * 8 + 8 - plen));
	return NULL;
}

const char *
antispoof_parse_ip(struct antispoof *as, const char *ip, char *bad,
    size_t badlen)
{
	static const char blanks[] = " \t\n";
	const char *why;
	size_t n;

	as->as_nnets = 0;
	as->as_ip = false;
	bad[0] = '\0';
	if (*ip == '\0')
		return NULL;		/* vif-common.sh: "" is no ip */
	for (;;) {
		ip += strspn(ip, blanks);
		if (*ip == '\0')
			break;
		n = strcspn(ip, blanks);
		if (as->as_nnets == ANTISPOOF_NETS_MAX)
			why = "is one address too many (at most 64)";
		else
			why = as_parse_net(ip, n, &as->as_nets[as->as_nnets]);
		if (why != NULL) {
			as_bad_word(ip, n, bad, badlen);
			return why;
		}
		as->as_nnets++;
		ip += n;
	}
	if (as->as_nnets == 0) {
		as_bad_word(ip, 0, bad, badlen);
		return "has blanks and no address";
	}
	as->as_ip = true;
	return NULL;
}

bool
antispoof_equal(const struct antispoof *a, const struct antispoof *b)
{
	unsigned int i;

	if (memcmp(a->as_mac, b->as_mac, sizeof(a->as_mac)) != 0 ||
	    a->as_ip != b->as_ip || a->as_nnets != b->as_nnets)
		return false;
	for (i = 0; i < a->as_nnets; i++)
		if (a->as_nets[i].an_v6 != b->as_nets[i].an_v6 ||
		    a->as_nets[i].an_plen != b->as_nets[i].an_plen ||
		    memcmp(a->as_nets[i].an_addr, b->as_nets[i].an_addr,
		    sizeof(a->as_nets[i].an_addr)) != 0)
			return false;
	return true;
}

size_t
antispoof_format_nets(const struct antispoof *as, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN], word[INET6_ADDRSTRLEN + 8];
	const struct antispoof_net *an;
	size_t used = 0, need = 0, n;
	unsigned int i;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; as->as_ip && i < as->as_nnets; i++) {
		an = &as->as_nets[i];
		if (inet_ntop(an->an_v6 ? AF_INET6 : AF_INET, an->an_addr, addr,
		    sizeof(addr)) == NULL)
			continue;	/* not with these buffers */
		n = (size_t)snprintf(word, sizeof(word), "%s%s/%u",
		    i > 0 ? " " : "", addr, (unsigned int)an->an_plen);
		need += n;
		if (used == need - n && used + n < len) {
			memcpy(buf + used, word, n + 1);
			used += n;
		}
	}
	return need;
}

/* Is a (4 or 16 bytes) in the prefix n? */
static bool
as_net_has(const struct antispoof_net *n, const uint8_t *a)
{
	unsigned int full = n->an_plen / 8, rest = n->an_plen % 8;

	if (memcmp(n->an_addr, a, full) != 0)
		return false;
	return rest == 0 ||
	    ((a[full] ^ n->an_addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* May the guest use source address a?  Yes if no `ip` key says. */
static bool
as_allowed(const struct antispoof *as, const uint8_t *a, bool v6)
{
	unsigned int i;

	if (!as->as_ip)
		return true;
	if (v6 && memcmp(a, as->as_ll6, 16) == 0)
		return true;
	for (i = 0; i < as->as_nnets; i++)
		if (as->as_nets[i].an_v6 == v6 &&
		    as_net_has(&as->as_nets[i], a))
			return true;
	return false;
}

/*
 * A DHCP client's message: UDP 68 -> 67, unfragmented, header here.  It
 * must be for the guest's own MAC: its chaddr (RFC 2131: hardware type
 * 1, 6 bytes, at byte 28 of the BOOTP message) the frontend's, as an ARP
 * sender's must be, whatever its source address -- with another chaddr
 * a guest could release or decline a neighbour's lease, or empty a DHCP
 * server's pool with clients it made up.  From 0.0.0.0, that is what it
 * is let through for.
 */
#define AS_BOOTP_CHADDR	28
static bool
as_dhcp_client(const uint8_t *p, size_t ihl, size_t tot)
{
	return p[9] == AS_IPPROTO_UDP && (as_be16(p + 6) & 0x3fff) == 0 &&
	    tot >= ihl + 8 && as_be16(p + ihl) == 68 &&
	    as_be16(p + ihl + 2) == 67;
}

static bool
as_dhcp_own(const struct antispoof *as, const uint8_t *p, size_t ihl,
    size_t tot)
{
	const uint8_t *b = p + ihl + 8;

	return tot >= ihl + 8 + AS_BOOTP_CHADDR + PROTO_ETH_ALEN &&
	    b[1] == 1 && b[2] == PROTO_ETH_ALEN &&
	    memcmp(b + AS_BOOTP_CHADDR, as->as_mac, PROTO_ETH_ALEN) == 0;
}

/* Untrusted: the IPv4 packet p[0..n) (RFC 791). */
static enum antispoof_verdict
as_ipv4(const struct antispoof *as, const uint8_t *p, size_t n)
{
	size_t ihl, tot;

	if (n < 20 || (p[0] >> 4) != 4)
		return ANTISPOOF_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = as_be16(p + 2);
	if (ihl < 20 || tot < ihl || tot > n)
		return ANTISPOOF_MALFORMED;
	if (as_dhcp_client(p, ihl, tot)) {
		if (!as_dhcp_own(as, p, ihl, tot))
			return ANTISPOOF_DHCP_CHADDR;
		if (memcmp(p + 12, as_zero, 4) == 0)
			return ANTISPOOF_OK;
	}
	if (as_allowed(as, p + 12, false))
		return ANTISPOOF_OK;
	return ANTISPOOF_IP4_SRC;
}

/*
 * Untrusted: the ARP packet p[0..n) (RFC 826).  Linux takes hardware
 * type 1 (Ethernet) and 6 (IEEE 802) alike on an Ethernet device, so
 * both are checked; anything but IPv4 over a 6-byte address is not ARP
 * a guest on Ethernet sends.
 */
static enum antispoof_verdict
as_arp(const struct antispoof *as, const uint8_t *p, size_t n)
{
	uint16_t hrd;

	if (n < 28)
		return ANTISPOOF_MALFORMED;
	hrd = as_be16(p);
	if ((hrd != 1 && hrd != 6) || as_be16(p + 2) != AS_ETHERTYPE_IP ||
	    p[4] != PROTO_ETH_ALEN || p[5] != 4)
		return ANTISPOOF_MALFORMED;
	if (memcmp(p + 8, as->as_mac, PROTO_ETH_ALEN) != 0)
		return ANTISPOOF_ARP_SHA;
	if (as_allowed(as, p + 14, false))
		return ANTISPOOF_OK;
	/* An ARP probe (RFC 5227 2.1.1): a request from 0.0.0.0. */
	if (as_be16(p + 6) == 1 && memcmp(p + 14, as_zero, 4) == 0)
		return ANTISPOOF_OK;
	return ANTISPOOF_ARP_SPA;
}

/*
 * Untrusted: the options of an NDP message, o[0..n).  Every option is
 * at least 8 bytes (a length of 0 makes receivers drop the message, RFC
 * 4861 4.6); a link-layer address option must be Ethernet's and name the
 * frontend's MAC.
 */
static enum antispoof_verdict
as_nd_opts(const struct antispoof *as, const uint8_t *o, size_t n)
{
	size_t l;

	while (n > 0) {
		if (n < 2)
			return ANTISPOOF_MALFORMED;
		l = (size_t)o[1] * 8;
		if (l == 0 || l > n)
			return ANTISPOOF_MALFORMED;
		if (o[0] == AS_ND_OPT_SLLA || o[0] == AS_ND_OPT_TLLA) {
			if (l != AS_ND_OPT_LLA_LEN)
				return ANTISPOOF_MALFORMED;
			if (memcmp(o + 2, as->as_mac, PROTO_ETH_ALEN) != 0)
				return ANTISPOOF_ND_LLADDR;
		}
		o += l;
		n -= l;
	}
	return ANTISPOOF_OK;
}

/*
 * Untrusted: the ICMPv6 message at p[off..end) of an IPv6 packet whose
 * source is allowed (src_ok) or not, or the unspecified address.
 */
static enum antispoof_verdict
as_icmp6(const struct antispoof *as, const uint8_t *p, size_t off,
    size_t end, bool src_ok, bool unspec)
{
	enum antispoof_verdict v;
	size_t fixed;
	uint8_t type;

	if (end - off < 4)
		return ANTISPOOF_MALFORMED;
	type = p[off];
	if (!src_ok && !(unspec && (type == AS_ND_NS || type == AS_ND_RS ||
	    type == AS_MLD_REPORT || type == AS_MLD2_REPORT)))
		return ANTISPOOF_IP6_SRC;
	/* The fixed part before the options (RFC 4861 4.1-4.4). */
	switch (type) {
	case AS_ND_RS:
		fixed = 8;
		break;
	case AS_ND_RA:
		fixed = 16;
		break;
	case AS_ND_NS:
	case AS_ND_NA:
		fixed = 24;
		break;
	default:
		return ANTISPOOF_OK;
	}
	if (end - off < fixed)
		return ANTISPOOF_MALFORMED;
	if ((v = as_nd_opts(as, p + off + fixed, end - off - fixed)) !=
	    ANTISPOOF_OK)
		return v;
	/* What an NA claims, or a DAD probe is about to (RFC 4862 5.4). */
	if ((type == AS_ND_NA || (type == AS_ND_NS && unspec)) &&
	    !as_allowed(as, p + off + 8, true))
		return ANTISPOOF_ND_TARGET;
	return ANTISPOOF_OK;
}

/*
 * Untrusted: the IPv6 packet p[0..n) (RFC 8200).  The extension headers
 * are walked to find ICMPv6 (NDP and MLD); a fragment header ends the
 * walk: receivers drop fragmented NDP (RFC 6980), so only the source is
 * checked then.
 */
static enum antispoof_verdict
as_ipv6(const struct antispoof *as, const uint8_t *p, size_t n)
{
	size_t end, off = 40, hlen;
	unsigned int i;
	bool src_ok;
	uint8_t nh;

	if (n < 40 || (p[0] >> 4) != 6)
		return ANTISPOOF_MALFORMED;
	end = 40 + (size_t)as_be16(p + 4);
	if (end > n)
		return ANTISPOOF_MALFORMED;
	nh = p[6];
	for (i = 0; nh == 0 || nh == 43 || nh == 60; i++) {
		/* Hop-by-hop, routing, destination options: 8-byte units. */
		if (i == AS_IPV6_MAX_EXTHDRS || end - off < 8)
			return ANTISPOOF_MALFORMED;
		hlen = ((size_t)p[off + 1] + 1) * 8;
		if (hlen > end - off)
			return ANTISPOOF_MALFORMED;
		nh = p[off];
		off += hlen;
	}
	src_ok = as_allowed(as, p + 8, true);
	if (nh == AS_IPPROTO_ICMPV6)
		return as_icmp6(as, p, off, end, src_ok,
		    memcmp(p + 8, as_zero, 16) == 0);
	return src_ok ? ANTISPOOF_OK : ANTISPOOF_IP6_SRC;
}

enum antispoof_verdict
antispoof_check(const struct antispoof *as, const uint8_t *f, size_t len)
{
	size_t l3 = PROTO_ETH_HLEN;
	unsigned int ntags;
	uint16_t etype;

	if (len < PROTO_ETH_HLEN)
		return ANTISPOOF_MALFORMED;
	if (memcmp(f + PROTO_ETH_ALEN, as->as_mac, PROTO_ETH_ALEN) != 0)
		return ANTISPOOF_ETH_SRC;
	etype = as_be16(f + 12);
	for (ntags = 0; etype == AS_ETHERTYPE_8021Q ||
	    etype == AS_ETHERTYPE_8021AD; ntags++) {
		/* The tag's TCI at f[l3], then the next EtherType. */
		if (ntags == AS_VLAN_MAX_TAGS || len < l3 + 4)
			return ANTISPOOF_MALFORMED;
		etype = as_be16(f + l3 + 2);
		l3 += 4;
	}
	/*
	 * IP, ARP or IPv6 in LLC/SNAP (RFC 1042's OUI 0, 802.1H's 00-00-f8):
	 * receivers that take both framings (Windows does) would be told an
	 * ARP or a source the DIX one is not allowed to tell.  Other LLC
	 * (spanning tree, ...) carries no address of the `ip` key.
	 */
	if (etype < AS_ETHERTYPE_MIN && len >= l3 + AS_SNAP_HLEN &&
	    f[l3] == 0xaa && f[l3 + 1] == 0xaa && f[l3 + 2] == 0x03 &&
	    f[l3 + 3] == 0 && f[l3 + 4] == 0 &&
	    (f[l3 + 5] == 0 || f[l3 + 5] == 0xf8)) {
		etype = as_be16(f + l3 + 6);
		l3 += AS_SNAP_HLEN;
	}
	switch (etype) {
	case AS_ETHERTYPE_IP:
		return as_ipv4(as, f + l3, len - l3);
	case AS_ETHERTYPE_ARP:
		return as_arp(as, f + l3, len - l3);
	case AS_ETHERTYPE_IPV6:
		return as_ipv6(as, f + l3, len - l3);
	default:
		return ANTISPOOF_OK;
	}
}

const char *
antispoof_why(enum antispoof_verdict v)
{
	switch (v) {
	case ANTISPOOF_OK:
		return "not spoofed";
	case ANTISPOOF_ETH_SRC:
		return "source MAC is not the frontend's";
	case ANTISPOOF_ARP_SHA:
		return "ARP sender MAC is not the frontend's";
	case ANTISPOOF_ND_LLADDR:
		return "NDP link-layer address is not the frontend's MAC";
	case ANTISPOOF_DHCP_CHADDR:
		return "DHCP client MAC (chaddr) is not the frontend's";
	case ANTISPOOF_IP4_SRC:
		return "IPv4 source is not in the ip key";
	case ANTISPOOF_IP6_SRC:
		return "IPv6 source is not in the ip key";
	case ANTISPOOF_ARP_SPA:
		return "ARP sender address is not in the ip key";
	case ANTISPOOF_ND_TARGET:
		return "NDP target address is not in the ip key";
	case ANTISPOOF_MALFORMED:
		break;
	}
	return "malformed headers, which anti-spoofing cannot check";
}

enum antispoof_rule
antispoof_rule(enum antispoof_verdict v)
{
	switch (v) {
	case ANTISPOOF_OK:
	case ANTISPOOF_ETH_SRC:
	case ANTISPOOF_ARP_SHA:
	case ANTISPOOF_ND_LLADDR:
	case ANTISPOOF_DHCP_CHADDR:
		return ANTISPOOF_RULE_MAC;
	case ANTISPOOF_IP4_SRC:
	case ANTISPOOF_IP6_SRC:
	case ANTISPOOF_ARP_SPA:
	case ANTISPOOF_ND_TARGET:
		return ANTISPOOF_RULE_IP;
	case ANTISPOOF_MALFORMED:
		break;
	}
	return ANTISPOOF_RULE_MALFORMED;
}
