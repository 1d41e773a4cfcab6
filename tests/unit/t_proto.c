/*
 * t_proto.c -- the pure checks of frontend and toolstack input: MAC rule,
 * interface names, XenStore numbers, and guest TX packet validation with
 * the XSA edge cases of reference/netback.md 3.4.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "t.h"

static void
t_mac(struct t_ctx *t)
{
	uint8_t m[6], be[6];
	char s[PROTO_MAC_STRLEN];

	T_EQ(t, proto_mac_parse("00:16:3e:12:34:56", m), 0);
	proto_mac_backend(m, be);
	proto_mac_format(be, s);
	T_STREQ(t, s, "00:16:3e:13:34:56");
	/* Modulo 256, no carry into the OUI. */
	T_EQ(t, proto_mac_parse("00:16:3E:FF:00:01", m), 0);
	proto_mac_backend(m, be);
	proto_mac_format(be, s);
	T_STREQ(t, s, "00:16:3e:00:00:01");
	/* The frontend's own MAC is untouched. */
	proto_mac_format(m, s);
	T_STREQ(t, s, "00:16:3e:ff:00:01");
}

static void
t_mac_invalid(struct t_ctx *t)
{
	static const char *const bad[] = {
		"", "00:16:3e:12:34", "00:16:3e:12:34:56:", "00:16:3e:12:34:5",
		"00-16-3e-12-34-56", "00:16:3e:12:34:5g", " 00:16:3e:12:34:56",
		"00:16:3e:12:34:56 ", "0:16:3e:12:34:56", "01:16:3e:12:34:56",
		"ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "00:16:3e:12:34:567",
	};
	uint8_t m[6] = { 9, 9, 9, 9, 9, 9 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!T_EQ(t, proto_mac_parse(bad[i], m), -EINVAL))
			t_check(t, false, __FILE__, __LINE__, "accepted '%s'",
			    bad[i]);
	T_EQ(t, m[0], 9);	/* nothing written on failure */
}

static void
t_ifname(struct t_ctx *t)
{
	char b[PROTO_IFNAMSIZ];

	T_EQ(t, proto_ifname_default(b, sizeof(b), 3, 0), 0);
	T_STREQ(t, b, "xvif3i0");
	T_EQ(t, proto_ifname_default(b, sizeof(b), 32751, 65535), 0);
	T_STREQ(t, b, "xvif32751i65535");
	T_EQ(t, proto_ifname_default(b, sizeof(b), 4294967295u, 1), -ENAMETOOLONG);
	T_TRUE(t, proto_ifname_check("xvif3i0") == NULL);
	T_TRUE(t, proto_ifname_check("vif3.0") == NULL);
	T_TRUE(t, proto_ifname_check("") != NULL);
	T_TRUE(t, proto_ifname_check("0123456789abcdef") != NULL);
	T_TRUE(t, proto_ifname_check("a/b") != NULL);
	T_TRUE(t, proto_ifname_check("a b") != NULL);
	T_TRUE(t, proto_ifname_check("a:1") != NULL);
	T_TRUE(t, proto_ifname_check("..") != NULL);
	T_TRUE(t, proto_ifname_check("a\nb") != NULL);
}

static void
t_uint(struct t_ctx *t)
{
	unsigned long v = 77;

	T_EQ(t, proto_parse_uint("0", 10, &v), 0);
	T_EQ(t, v, 0);
	T_EQ(t, proto_parse_uint("4294967295", 4294967295ul, &v), 0);
	T_EQ(t, v, 4294967295ul);
	T_EQ(t, proto_parse_uint("4294967296", 4294967295ul, &v), -ERANGE);
	T_EQ(t, proto_parse_uint("256", 255, &v), -ERANGE);
	T_EQ(t, proto_parse_uint("99999999999999999999999", ~0ul, &v), -ERANGE);
	T_EQ(t, proto_parse_uint("", 10, &v), -EINVAL);
	T_EQ(t, proto_parse_uint("-1", 10, &v), -EINVAL);
	T_EQ(t, proto_parse_uint("+1", 10, &v), -EINVAL);
	T_EQ(t, proto_parse_uint(" 1", 10, &v), -EINVAL);
	T_EQ(t, proto_parse_uint("1 ", 10, &v), -EINVAL);
	T_EQ(t, proto_parse_uint("01", 10, &v), -EINVAL);
	T_EQ(t, proto_parse_uint("0x1", 10, &v), -EINVAL);
	T_EQ(t, v, 4294967295ul);	/* untouched by failures */
}

/* A fake ring of private requests; counts fetches to catch double reads. */
struct fring {
	netif_tx_request_t	r[256];
	unsigned int		fetched[256];
};

static void
fring_fetch(void *arg, RING_IDX idx, netif_tx_request_t *out)
{
	struct fring *f = arg;

	f->fetched[idx % 256]++;
	*out = f->r[idx % 256];
}

static void
fring_slot(struct fring *f, unsigned int i, uint16_t off, uint16_t size,
    uint16_t flags)
{
	f->r[i] = (netif_tx_request_t){ .gref = 100 + i, .offset = off,
		.flags = flags, .id = (uint16_t)(1000 + i), .size = size };
}

static void
fring_extra(struct fring *f, unsigned int i, uint8_t type, uint8_t flags,
    uint16_t gso_size, uint8_t gso_type)
{
	struct netif_extra_info ex;

	memset(&f->r[i], 0xa5, sizeof(f->r[i]));
	memset(&ex, 0, sizeof(ex));
	ex.type = type;
	ex.flags = flags;
	ex.u.gso.size = gso_size;
	ex.u.gso.type = gso_type;
	memcpy(&f->r[i], &ex, sizeof(ex));
}

static bool
fetched_once(struct fring *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < 256; i++)
		if (f->fetched[i] != (i < n ? 1u : 0u))
			return false;
	return true;
}

static void
t_tx_single(struct t_ctx *t)
{
	struct fring f = { 0 };
	struct proto_txpkt pk;

	fring_slot(&f, 0, 100, 1514, NETTXF_csum_blank);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 1, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_consumed, 1);
	T_EQ(t, pk.pk_nslots, 1);
	T_EQ(t, pk.pk_len, 1514);
	T_EQ(t, pk.pk_len0, 1514);
	T_EQ(t, pk.pk_flags, NETTXF_csum_blank);
	T_EQ(t, pk.pk_slot[0].id, 1000);
	T_TRUE(t, pk.pk_why == NULL);
	T_TRUE(t, fetched_once(&f, 1));
}

static void
t_tx_chain(struct t_ctx *t)
{
	struct fring f = { 0 };
	struct proto_txpkt pk;
	unsigned int i;

	/* 18 slots: 1 + 17 fragments of 100 bytes, one of them empty. */
	fring_slot(&f, 0, 0, 14 + 16 * 100, NETTXF_more_data);
	for (i = 1; i < 18; i++)	/* each ends exactly at the page end */
		fring_slot(&f, i, 3996, i == 5 ? 0 : 100,
		    i < 17 ? NETTXF_more_data : 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 18, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_nslots, 18);
	T_EQ(t, pk.pk_consumed, 18);
	T_EQ(t, pk.pk_len0, 14);
	T_TRUE(t, fetched_once(&f, 18));
	/* Wraps around the 32-bit index space like any other place. */
	memset(f.fetched, 0, sizeof(f.fetched));
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0xffffff00u, 0xffffff00u + 18,
	    0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_nslots, 18);
}

static void
t_tx_slot_limits(struct t_ctx *t)
{
	struct fring f = { 0 };
	struct proto_txpkt pk;
	unsigned int i, n;

	for (n = 19; n <= 21; n++) {
		fring_slot(&f, 0, 0, 14 + (uint16_t)(n - 1), NETTXF_more_data);
		for (i = 1; i < n; i++)
			fring_slot(&f, i, 0, 1, i < n - 1 ? NETTXF_more_data : 0);
		memset(f.fetched, 0, sizeof(f.fetched));
		enum proto_verdict v = proto_tx_parse(fring_fetch, &f, 0, 64, 0,
		    &pk);
		if (n == 19) {
			T_EQ(t, v, PROTO_TX_DROP);
			T_EQ(t, pk.pk_consumed, 19);	/* all answered */
			T_EQ(t, pk.pk_nslots, 19);
			T_STREQ(t, pk.pk_why, "more than 18 slots");
		} else {
			T_EQ(t, v, PROTO_TX_FATAL);
			T_STREQ(t, pk.pk_why, "packet of 20 slots or more");
		}
	}
}

static void
t_tx_drops(struct t_ctx *t)
{
	struct fring f = { 0 };
	struct proto_txpkt pk;

	fring_slot(&f, 0, 0, 13, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 1, 0, &pk), PROTO_TX_DROP);
	T_STREQ(t, pk.pk_why, "shorter than an Ethernet header");

	fring_slot(&f, 0, 4000, 97, 0);		/* 4097: one past the page */
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 1, 0, &pk), PROTO_TX_DROP);
	T_STREQ(t, pk.pk_why, "first slot runs past its page");
	fring_slot(&f, 0, 4000, 96, 0);		/* 4096: fits exactly */
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 1, 0, &pk), PROTO_TX_OK);

	fring_slot(&f, 0, 0, 100, NETTXF_more_data);
	fring_slot(&f, 1, 4095, 2, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 2, 0, &pk), PROTO_TX_DROP);
	T_STREQ(t, pk.pk_why, "fragment runs past its page");
	T_EQ(t, pk.pk_consumed, 2);

	/* A fragment bigger than what is left of the packet (size underflow). */
	fring_slot(&f, 0, 0, 100, NETTXF_more_data);
	fring_slot(&f, 1, 0, 60, NETTXF_more_data);
	fring_slot(&f, 2, 0, 60, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, 0, &pk), PROTO_TX_DROP);
	T_STREQ(t, pk.pk_why, "fragments larger than the packet");
	T_EQ(t, pk.pk_consumed, 3);
	T_EQ(t, pk.pk_len0, 40);
}

static void
t_tx_past_prod(struct t_ctx *t)
{
	struct fring f = { 0 };
	struct proto_txpkt pk;

	fring_slot(&f, 0, 0, 100, NETTXF_more_data);
	fring_slot(&f, 1, 0, 10, NETTXF_more_data);
	fring_slot(&f, 2, 0, 10, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 2, 0, &pk), PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "packet runs past req_prod");
	T_TRUE(t, fetched_once(&f, 2));		/* slot 2 never read */

	memset(f.fetched, 0, sizeof(f.fetched));
	fring_slot(&f, 0, 0, 100, NETTXF_extra_info);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 1, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "extra info runs past req_prod");
	T_TRUE(t, fetched_once(&f, 1));
}

static void
t_tx_extras(struct t_ctx *t)
{
	struct fring f = { 0 };
	struct proto_txpkt pk;

	/* GSO offered: slot 0, its extra, then the fragment. */
	fring_slot(&f, 0, 0, 3000, NETTXF_extra_info | NETTXF_more_data |
	    NETTXF_csum_blank);
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448,
	    XEN_NETIF_GSO_TYPE_TCPV4);
	fring_slot(&f, 2, 0, 1000, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_OK);
	T_EQ(t, pk.pk_consumed, 3);
	T_EQ(t, pk.pk_nextras, 1);
	T_EQ(t, pk.pk_nslots, 2);
	T_EQ(t, pk.pk_slot[1].id, 1002);
	T_EQ(t, pk.pk_len0, 2000);
	T_TRUE(t, pk.pk_has_gso);
	T_EQ(t, pk.pk_gso.u.gso.size, 1448);

	/* Not offered: dropped, all three slots still answered. */
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, 0, &pk), PROTO_TX_DROP);
	T_EQ(t, pk.pk_consumed, 3);
	T_STREQ(t, pk.pk_why, "GSO that was not offered");

	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, 0, 0,
	    XEN_NETIF_GSO_TYPE_TCPV4);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "GSO size is 0");
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, 7);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "unknown GSO type");
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "extra info of an invalid type");
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_DROP);
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_HASH, 0, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_OK);

	/* An endless chain of extras is a broken ring. */
	fring_slot(&f, 0, 0, 100, NETTXF_extra_info);
	for (unsigned int i = 1; i < 10; i++)
		fring_extra(&f, i, XEN_NETIF_EXTRA_TYPE_HASH,
		    XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 10, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "more extra info slots than types");
}

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned int v;

	while (h[0] && h[1] && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* Expected checksums computed independently (RFC 1071, by another tool). */
static void
t_csum(struct t_ctx *t)
{
	uint8_t f[128];
	size_t n;

	n = unhex("00163e13345600163e12345608004500003a0001400040060000a9fe0101"
	    "a9fe01029c40145100000001000000005018ffff000000007876696620636865"
	    "636b73756d2074657374", f);
	T_EQ(t, n, 72);
	T_TRUE(t, proto_csum_fill(f, n) == NULL);
	T_EQ(t, f[14 + 20 + 16], 0x12);
	T_EQ(t, f[14 + 20 + 17], 0xa8);
	/* Idempotent: a filled checksum is recomputed to the same value. */
	T_TRUE(t, proto_csum_fill(f, n) == NULL);
	T_EQ(t, f[14 + 20 + 17], 0xa8);
	/* Truncated IP total length, fragments and non-IP are refused. */
	T_TRUE(t, proto_csum_fill(f, 60) != NULL);
	f[20] = 0x20;
	T_STREQ(t, proto_csum_fill(f, n), "IPv4 fragment");
	f[12] = 0x08, f[13] = 0x06;
	T_STREQ(t, proto_csum_fill(f, n), "not IP");

	n = unhex("00163e13345600163e12345686dd60000000001a1140fe80000000000000"
	    "02163efffe123456fe8000000000000002163efffe13345614e914e9001a0000"
	    "7876696620636865636b73756d2074657374", f);
	T_EQ(t, n, 80);
	T_TRUE(t, proto_csum_fill(f, n) == NULL);
	T_EQ(t, f[14 + 40 + 6], 0x5b);
	T_EQ(t, f[14 + 40 + 7], 0x68);
	f[14 + 6] = 58;		/* ICMPv6: not ours to fill */
	T_STREQ(t, proto_csum_fill(f, n), "not TCP or UDP");
}

const struct t_case t_cases[] = {
	{ "checksum fill: TCP/IPv4, UDP/IPv6, refusals", t_csum },
	{ "mac: backend rule (octet 3 + 1, modulo 256)", t_mac },
	{ "mac: invalid strings refused", t_mac_invalid },
	{ "interface names", t_ifname },
	{ "xenstore numbers", t_uint },
	{ "tx: single slot", t_tx_single },
	{ "tx: 18-slot chain with empty fragment, index wrap", t_tx_chain },
	{ "tx: 19 slots dropped, 20 and 21 fatal", t_tx_slot_limits },
	{ "tx: short, past page, size underflow dropped", t_tx_drops },
	{ "tx: chains past req_prod are fatal, never read", t_tx_past_prod },
	{ "tx: extras (GSO, invalid, multicast, hash)", t_tx_extras },
	{ NULL, NULL }
};
