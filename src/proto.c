/*
 * proto.c -- pure checks of frontend and toolstack input (see proto.h).
 * Everything here is Untrusted input handling; it is fuzzed and unit
 * tested, and owns no state.
 */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

int
proto_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
proto_mac_zero(const uint8_t m[PROTO_ETH_ALEN])
{
	return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

int
proto_mac_parse(const char *s, uint8_t mac[PROTO_ETH_ALEN])
{
	uint8_t m[PROTO_ETH_ALEN];
	int i, hi, lo;

	/*
	 * Stricter than NetBSD's parser, which accepts any separator and
	 * trailing junk: a MAC we cannot read exactly is not a MAC.
	 */
	for (i = 0; i < PROTO_ETH_ALEN; i++, s += 3) {
		if ((hi = proto_hexval(s[0])) < 0 ||
		    (lo = proto_hexval(s[1])) < 0)
			return -EINVAL;
		if (s[2] != (i == PROTO_ETH_ALEN - 1 ? '\0' : ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	if (m[0] & 0x01)		/* group bit: multicast/broadcast */
		return -EINVAL;
	if (proto_mac_zero(m))
		return -EINVAL;
	memcpy(mac, m, sizeof(m));
	return 0;
}

void
proto_mac_format(const uint8_t mac[PROTO_ETH_ALEN], char buf[PROTO_MAC_STRLEN])
{
	snprintf(buf, PROTO_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int
proto_mac_backend(const uint8_t fe[PROTO_ETH_ALEN], uint8_t be[PROTO_ETH_ALEN])
{
	memcpy(be, fe, PROTO_ETH_ALEN);
	be[3] = (uint8_t)(be[3] + 1);	/* modulo 256: no carry into the OUI */
	/* 00:00:00:ff:00:00 -> all zeros: no interface can have that. */
	return proto_mac_zero(be) ? -EINVAL : 0;
}

int
proto_ifname_default(char *buf, size_t len, unsigned int domid,
    unsigned int handle)
{
	int n = snprintf(buf, len, "xvif%ui%u", domid, handle);

	if (n < 0 || (size_t)n >= len || n >= PROTO_IFNAMSIZ)
		return -ENAMETOOLONG;
	return 0;
}

bool
proto_ifname_owner(const char *name, unsigned int *domid,
    unsigned int *handle)
{
	char d[PROTO_IFNAMSIZ];
	const char *p, *sep;
	unsigned long dv, hv;
	size_t n;
	char c;

	if (strncmp(name, "xvif", 4) == 0)
		p = name + 4, c = 'i';
	else if (strncmp(name, "vif", 3) == 0)
		p = name + 3, c = '.';
	else
		return false;
	if ((sep = strchr(p, c)) == NULL || (n = (size_t)(sep - p)) >=
	    sizeof(d))
		return false;
	memcpy(d, p, n);
	d[n] = '\0';
	if (proto_parse_uint(d, UINT_MAX, &dv) < 0 ||
	    proto_parse_uint(sep + 1, UINT_MAX, &hv) < 0)
		return false;
	*domid = (unsigned int)dv;
	*handle = (unsigned int)hv;
	return true;
}

const char *
proto_ifname_check(const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (n == 0)
		return "is empty";
	if (n >= PROTO_IFNAMSIZ)
		return "is longer than 15 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is not a name";
	/*
	 * Printable ASCII only, as the control socket's requests (ctl_proto.c)
	 * and JSON's readers take them.  Compared unsigned: on a plain char
	 * that is signed (x86) a byte of 0x80 or more was refused as a
	 * control character, and where it is unsigned (arm64) the vif was
	 * made with a name no xvifctl request could name.
	 */
	for (p = name; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p <= ' ' ||
		    (unsigned char)*p >= 0x7f)
			return "contains '/', ':', a blank, a control character "
			    "or a byte outside ASCII";
	/* The kernel makes "x%d" a template (x0, x1...): not the name asked. */
	if (strchr(name, '%') != NULL)
		return "contains '%', which the kernel reads as a template";
	return NULL;
}

int
proto_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if ((unsigned long)(*p - '0') > max ||
		    v > (max - (unsigned long)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return 0;
}

/* Record the first reason to drop; later ones add nothing. */
static void
proto_drop(struct proto_txpkt *pk, const char *why)
{
	if (pk->pk_why == NULL)
		pk->pk_why = why;
}

static enum proto_verdict
proto_fatal(struct proto_txpkt *pk, const char *why)
{
	pk->pk_why = why;
	return PROTO_TX_FATAL;
}

/*
 * The extra-info slots after slot 0 (netif.h: chained by FLAG_MORE).  As
 * Linux's xenvif_get_extras: any number, bounded only by req_prod, a
 * repeated type replacing the earlier one; the GSO extra is checked once
 * the chain is read, so the last one counts (xenvif_set_skb_gso).
 */
static enum proto_verdict
proto_tx_extras(proto_fetch_fn *fetch, void *arg, RING_IDX cons,
    RING_IDX avail, unsigned int features, struct proto_txpkt *pk)
{
	struct netif_extra_info ex;
	netif_tx_request_t raw;
	unsigned int seen = 0;		/* 1 << type of every extra read */

	_Static_assert(XEN_NETIF_EXTRA_TYPE_MAX <= 32, "seen has every type");

	do {
		if (pk->pk_consumed >= avail)
			return proto_fatal(pk, "extra info runs past req_prod");
		fetch(arg, cons + pk->pk_consumed, &raw);
		pk->pk_consumed++;
		pk->pk_nextras++;
		_Static_assert(sizeof(ex) <= sizeof(raw), "extra fits a slot");
		memcpy(&ex, &raw, sizeof(ex));
		if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE ||
		    ex.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return proto_fatal(pk, "extra info of an invalid type");
		seen |= 1u << ex.type;
		if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO)
			pk->pk_gso = ex;
		/* A HASH extra is a hint we may ignore (netif.h). */
	} while (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE);

	if (seen & 1u << XEN_NETIF_EXTRA_TYPE_GSO) {
		if (pk->pk_gso.u.gso.size == 0)
			return proto_fatal(pk, "GSO size is 0");
		if (pk->pk_gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV4 &&
		    pk->pk_gso.u.gso.type != XEN_NETIF_GSO_TYPE_TCPV6)
			return proto_fatal(pk, "unknown GSO type");
		if (!(features & PROTO_TXF_GSO))
			proto_drop(pk, "GSO that was not offered");
		/*
		 * Netback takes any size but 0; one byte a segment would
		 * make 65535 segments of one request wherever the host
		 * segments in software.  Linux's TCP sends no segment of
		 * less (its least MSS less a full 40 bytes of options).
		 */
		if (pk->pk_gso.u.gso.size < PROTO_GSO_SIZE_MIN)
			proto_drop(pk, "GSO of segments under 8 bytes");
		pk->pk_has_gso = true;
	}
	if (seen & (1u << XEN_NETIF_EXTRA_TYPE_MCAST_ADD |
	    1u << XEN_NETIF_EXTRA_TYPE_MCAST_DEL))
		proto_drop(pk, "multicast control that was not offered");
	return PROTO_TX_OK;
}

enum proto_verdict
proto_tx_parse(proto_fetch_fn *fetch, void *arg, RING_IDX cons, RING_IDX prod,
    unsigned int features, struct proto_txpkt *pk)
{
	const RING_IDX avail = prod - cons;
	netif_tx_request_t *s;
	uint32_t rest = 0;	/* bytes in slots 1.. */
	enum proto_verdict v;

	assert(avail > 0 && avail <= XVIF_TX_RING_SIZE);
	memset(pk, 0, sizeof(*pk));
	fetch(arg, cons, &pk->pk_slot[0]);
	pk->pk_nslots = pk->pk_consumed = 1;
	pk->pk_flags = pk->pk_slot[0].flags;
	pk->pk_len = pk->pk_slot[0].size;

	if (pk->pk_flags & NETTXF_extra_info) {
		v = proto_tx_extras(fetch, arg, cons, avail, features, pk);
		if (v != PROTO_TX_OK)
			return v;
	}
	s = &pk->pk_slot[0];
	while (s->flags & NETTXF_more_data) {
		if (pk->pk_consumed >= avail)
			return proto_fatal(pk, "packet runs past req_prod");
		/* A 21st data slot: never read, the ring is broken. */
		if (pk->pk_nslots == PROTO_TX_DROP_SLOTS)
			return proto_fatal(pk, "packet of more than 20 slots");
		s = &pk->pk_slot[pk->pk_nslots++];
		fetch(arg, cons + pk->pk_consumed, s);
		pk->pk_consumed++;
		/* Zero-length fragments are legal (XSA-448). */
		if (s->size > pk->pk_len - rest)
			proto_drop(pk, "fragments larger than the packet");
		else
			rest += s->size;
		if ((uint32_t)s->offset + s->size > XVIF_PAGE_SIZE)
			proto_drop(pk, "fragment runs past its page");
	}
	if (pk->pk_nslots > PROTO_TX_MAX_SLOTS)
		proto_drop(pk, "more than 18 slots");
	if (pk->pk_len < PROTO_ETH_HLEN)
		proto_drop(pk, "shorter than an Ethernet header");
	pk->pk_len0 = (uint16_t)(pk->pk_len >= rest ? pk->pk_len - rest : 0);
	if ((uint32_t)pk->pk_slot[0].offset + pk->pk_len0 > XVIF_PAGE_SIZE)
		proto_drop(pk, "first slot runs past its page");
	return pk->pk_why != NULL ? PROTO_TX_DROP : PROTO_TX_OK;
}

/*
 * One's complement sum of len bytes, added to sum (RFC 1071).  Four bytes
 * at a time into 64 bits: 2^16 is 1 modulo 0xffff, so a big-endian 32-bit
 * word adds what its two 16-bit halves add, and the end-around fold keeps
 * both the residue and "not zero" (RFC 1071 2(B) and (C)).  A quarter of
 * the loads of a walk by byte pairs (40% of fz_rxpost's time went to that
 * walk over its frames of up to 64 KiB).  The result is folded to 16
 * bits, so callers may add a few sums to it.
 */
static uint32_t
proto_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum;
	uint32_t w;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, sizeof(w));	/* p has any alignment */
		acc += be32toh(w);
	}
	for (; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

static uint16_t
proto_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t
proto_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * IPv6 extension headers walked to find the upper layer.  RFC 8200 4.1
 * orders at most four of the kinds we walk (hop-by-hop, destination
 * options, routing, destination options); twice that bounds the walk
 * without refusing anything a real stack sends.
 */
#define PROTO_IPV6_MAX_EXTHDRS	8

/*
 * Untrusted: from the IPv6 header at f[l3], with f[0..len) in the frame,
 * find the upper-layer header: *l4 its offset, *l4len its length (the
 * payload length less the extension headers, which is also the length in
 * the pseudo-header, RFC 8200 8.1), *proto its protocol.
 */
static const char *
proto_ipv6_walk(const uint8_t *f, size_t len, size_t l3, size_t *l4,
    size_t *l4len, uint8_t *proto)
{
	size_t off = l3 + 40, end, hlen;
	unsigned int n;
	uint8_t nh;

	if (len < l3 + 40 || (f[l3] >> 4) != 6)
		return "bad IPv6 header";
	end = off + proto_be16(f + l3 + 4);
	if (end > len)
		return "bad IPv6 header";
	nh = f[l3 + 6];
	for (n = 0;; n++) {
		if (nh == 44)
			return "IPv6 fragment";
		if (nh != 0 && nh != 43 && nh != 60)
			break;
		if (n == PROTO_IPV6_MAX_EXTHDRS)
			return "too many IPv6 extension headers";
		/* Next header, then the length in 8-byte units after 8. */
		if (end - off < 8)
			return "IPv6 extension header truncated";
		hlen = (size_t)(f[off + 1] + 1) * 8;
		if (hlen > end - off)
			return "IPv6 extension header truncated";
		/*
		 * XXX: with segments left the pseudo-header wants the final
		 * destination, which sits in the routing header (RFC 8200
		 * 8.1): refused rather than filled wrong.  Mobile IPv6's home
		 * address option (RFC 6275) is not looked for.
		 */
		if (nh == 43 && f[off + 3] != 0)
			return "IPv6 routing header with segments left";
		nh = f[off];
		off += hlen;
	}
	*l4 = off;
	*l4len = end - off;
	*proto = nh;
	return NULL;
}

/*
 * At most two VLAN tags: an 802.1Q tag, or QinQ (802.1ad 0x88a8 outside
 * 0x8100, or the older 0x8100 twice).  A third is refused, not walked.
 */
#define PROTO_VLAN_MAX_TAGS	2

const char *
proto_l4_find(const uint8_t *f, size_t len, struct proto_l4 *l4)
{
	size_t l3 = PROTO_ETH_HLEN;
	const char *why;
	unsigned int ntags;
	uint16_t etype;

	if (len < PROTO_ETH_HLEN)
		return "too short";
	etype = proto_be16(f + 12);
	for (ntags = 0; etype == 0x8100 || etype == 0x88a8; ntags++) {
		if (ntags == PROTO_VLAN_MAX_TAGS)
			return "more than two VLAN tags";
		/* The tag's TCI at f[l3], then the next EtherType. */
		if (len < l3 + 4)
			return "too short";
		etype = proto_be16(f + l3 + 2);
		l3 += 4;
	}
	l4->l4_l3 = l3;
	if (etype == 0x0800) {
		size_t ihl, tot;

		if (len < l3 + 20 || (f[l3] >> 4) != 4)
			return "bad IPv4 header";
		ihl = (size_t)(f[l3] & 0x0f) * 4;
		tot = proto_be16(f + l3 + 2);
		if (ihl < 20 || tot < ihl || l3 + tot > len)
			return "bad IPv4 header";
		if ((f[l3 + 6] & 0x3f) != 0 || f[l3 + 7] != 0)
			return "IPv4 fragment";
		l4->l4_proto = f[l3 + 9];
		l4->l4_off = l3 + ihl;
		l4->l4_len = tot - ihl;
		l4->l4_ipv6 = false;
		l4->l4_pseudo = proto_csum_add(0, f + l3 + 12, 8);
	} else if (etype == 0x86dd) {
		if ((why = proto_ipv6_walk(f, len, l3, &l4->l4_off,
		    &l4->l4_len, &l4->l4_proto)) != NULL)
			return why;
		l4->l4_ipv6 = true;
		l4->l4_pseudo = proto_csum_add(0, f + l3 + 8, 32);
	} else
		return "not IP";
	if (l4->l4_proto == 6) {
		l4->l4_csum_off = 16;
		/* The data offset, in 32-bit words, bounds the header. */
		if (l4->l4_len < 20 ||
		    (size_t)(f[l4->l4_off + 12] >> 4) * 4 < 20 ||
		    (size_t)(f[l4->l4_off + 12] >> 4) * 4 > l4->l4_len)
			return "transport header truncated";
		l4->l4_hlen = (size_t)(f[l4->l4_off + 12] >> 4) * 4;
	} else if (l4->l4_proto == 17) {
		l4->l4_csum_off = 6;
		l4->l4_hlen = 8;
		if (l4->l4_len < 8)
			return "transport header truncated";
	} else
		return "not TCP or UDP";
	l4->l4_pseudo += l4->l4_proto + (uint32_t)l4->l4_len;
	return NULL;
}

/* The checksum of f[start..len) stored at f[start + off], sum preloaded. */
static void
proto_csum_store(uint8_t *f, size_t len, size_t start, size_t off,
    uint32_t sum, bool udp)
{
	uint16_t csum;

	csum = proto_csum_fold(proto_csum_add(sum, f + start, len - start));
	if (udp && csum == 0)
		csum = 0xffff;		/* 0 means "no checksum" in UDP */
	f[start + off] = (uint8_t)(csum >> 8);
	f[start + off + 1] = (uint8_t)csum;
}

const char *
proto_csum_fill(uint8_t *f, size_t len)
{
	struct proto_l4 l4;
	const char *why;

	if ((why = proto_l4_find(f, len, &l4)) != NULL)
		return why;
	f[l4.l4_off + l4.l4_csum_off] = f[l4.l4_off + l4.l4_csum_off + 1] = 0;
	proto_csum_store(f, l4.l4_off + l4.l4_len, l4.l4_off, l4.l4_csum_off,
	    l4.l4_pseudo, l4.l4_proto == 17);
	return NULL;
}

void
proto_csum_pseudo(uint8_t *f, const struct proto_l4 *l4)
{
	/* Folded, not inverted: what CHECKSUM_PARTIAL wants in the field. */
	uint16_t sum = (uint16_t)~proto_csum_fold(l4->l4_pseudo);

	f[l4->l4_off + l4->l4_csum_off] = (uint8_t)(sum >> 8);
	f[l4->l4_off + l4->l4_csum_off + 1] = (uint8_t)sum;
}

const char *
proto_csum_finish(uint8_t *f, size_t len, size_t start, size_t off)
{
	uint32_t sum;

	if (start > len || off > len - start || len - start - off < 2)
		return "checksum field outside the frame";
	/*
	 * The field holds the pseudo-header sum, not inverted (the kernel's
	 * CHECKSUM_PARTIAL): it is summed with the rest, and a result of 0
	 * is sent as 0xffff, both as skb_checksum_help does (for TCP the
	 * two are the same number in one's complement).
	 */
	sum = proto_be16(f + start + off);
	f[start + off] = f[start + off + 1] = 0;
	proto_csum_store(f, len, start, off, sum, true);
	return NULL;
}
