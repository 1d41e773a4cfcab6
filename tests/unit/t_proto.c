/*
 * t_proto.c -- the pure checks of frontend and toolstack input: MAC rule,
 * interface names, XenStore numbers, guest TX packet validation with the
 * XSA edge cases of reference/netback.md 3.4 and Linux's slot and extra
 * limits, and the checksum fill (VLAN tags, IPv6 extension headers).
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
	T_EQ(t, proto_mac_backend(m, be), 0);
	proto_mac_format(be, s);
	T_STREQ(t, s, "00:16:3e:13:34:56");
	/* Modulo 256, no carry into the OUI. */
	T_EQ(t, proto_mac_parse("00:16:3E:FF:00:01", m), 0);
	T_EQ(t, proto_mac_backend(m, be), 0);
	proto_mac_format(be, s);
	T_STREQ(t, s, "00:16:3e:00:00:01");
	/* The frontend's own MAC is untouched. */
	proto_mac_format(m, s);
	T_STREQ(t, s, "00:16:3e:ff:00:01");
	/* A valid MAC whose backend MAC would be all zeros. */
	T_EQ(t, proto_mac_parse("00:00:00:ff:00:00", m), 0);
	T_EQ(t, proto_mac_backend(m, be), -EINVAL);
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
	T_TRUE(t, proto_ifname_check("x%d") != NULL);	/* a template */
	/* Outside ASCII: refused the same on every CPU (char's sign). */
	T_TRUE(t, proto_ifname_check("vif\xc3\xa9") != NULL);
	T_TRUE(t, proto_ifname_check("vif\x7f") != NULL);
	T_TRUE(t, proto_ifname_check("vif~0") == NULL);
	T_TRUE(t, proto_ifname_check("x%") != NULL);
	{
		/* Whose name by right: xvif<D>i<H>, or libxl's vif<D>.<H>. */
		static const char *const not[] = { "xvif", "xvifi0", "xvif3i",
		    "xvif03i0", "xvif3i00", "xvif3i0x", "xvif3j0", "Xvif3i0",
		    "xvif-3i0", "xvif3i+0", "xvif3.0", "xvif3i0i1", "vif3",
		    "vif.0", "vif03.0", "vif3.", "vif3.0.1", "vif3i0",
		    "vif3.0-emu", "myvif3.0" };
		unsigned int d = 7, h = 7, i;

		T_TRUE(t, proto_ifname_owner("xvif3i0", &d, &h));
		T_EQ(t, d, 3);
		T_EQ(t, h, 0);
		T_TRUE(t, proto_ifname_owner("xvif32751i65535", &d, &h));
		T_EQ(t, d, 32751);
		T_EQ(t, h, 65535);
		T_TRUE(t, proto_ifname_owner("xvif0i12", &d, &h));
		T_EQ(t, d, 0);
		T_EQ(t, h, 12);
		T_TRUE(t, proto_ifname_owner("vif5.1", &d, &h));
		T_EQ(t, d, 5);
		T_EQ(t, h, 1);
		for (i = 0; i < sizeof(not) / sizeof(not[0]); i++)
			t_check(t, !proto_ifname_owner(not[i], &d, &h),
			    __FILE__, __LINE__, "\"%s\" is no vif's by right",
			    not[i]);
	}
}

static void
t_uint(struct t_ctx *t)
{
	unsigned long v = 77;

	/* A single digit above a max under 9 (fz_xsvals found it: a
	 * frontend state "9" passed a max of 8). */
	T_EQ(t, proto_parse_uint("9", 8, &v), -ERANGE);
	T_EQ(t, proto_parse_uint("1", 0, &v), -ERANGE);
	T_EQ(t, proto_parse_uint("8", 8, &v), 0);
	T_EQ(t, v, 8);
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

/* A chain of n data slots of 1 byte after a 14-byte slot 0, from ring 0. */
static void
fring_chain(struct fring *f, unsigned int n)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	fring_slot(f, 0, 0, (uint16_t)(14 + n - 1), NETTXF_more_data);
	for (i = 1; i < n; i++)
		fring_slot(f, i, 0, 1, i < n - 1 ? NETTXF_more_data : 0);
}

/* proto.h: 18 data slots delivered, 19 and 20 dropped, 21 or more fatal. */
static void
t_tx_slot_limits(struct t_ctx *t)
{
	static struct fring f;
	struct proto_txpkt pk;
	enum proto_verdict v;

	fring_chain(&f, 18);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 64, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_nslots, 18);
	T_EQ(t, pk.pk_consumed, 18);
	T_EQ(t, pk.pk_len0, 14);
	T_TRUE(t, pk.pk_why == NULL);
	T_TRUE(t, fetched_once(&f, 18));

	fring_chain(&f, 19);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 64, 0, &pk), PROTO_TX_DROP);
	T_EQ(t, pk.pk_nslots, 19);
	T_EQ(t, pk.pk_consumed, 19);	/* all answered */
	T_EQ(t, pk.pk_slot[18].id, 1018);
	T_STREQ(t, pk.pk_why, "more than 18 slots");
	T_TRUE(t, fetched_once(&f, 19));

	fring_chain(&f, 20);
	v = proto_tx_parse(fring_fetch, &f, 0, 64, 0, &pk);
	T_EQ(t, v, PROTO_TX_DROP);
	T_EQ(t, pk.pk_nslots, 20);
	T_EQ(t, pk.pk_consumed, 20);
	T_EQ(t, pk.pk_slot[19].id, 1019);	/* each gets its response */
	T_STREQ(t, pk.pk_why, "more than 18 slots");
	T_TRUE(t, fetched_once(&f, 20));

	/* The 21st data slot is never read: the ring is broken before it. */
	fring_chain(&f, 21);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 64, 0, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "packet of more than 20 slots");
	T_EQ(t, pk.pk_consumed, 20);
	T_TRUE(t, fetched_once(&f, 20));

	/* A dropped packet leaves the next one where it was. */
	fring_chain(&f, 20);
	fring_slot(&f, 20, 0, 60, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 64, 0, &pk), PROTO_TX_DROP);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 20, 64, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_slot[0].id, 1020);
	T_EQ(t, pk.pk_len, 60);
}

/* A fatal slot count is found without reading at or past req_prod. */
static void
t_tx_fatal_prod(struct t_ctx *t)
{
	static struct fring f;
	struct proto_txpkt pk;
	RING_IDX cons = 0xfffffff0u;	/* and across the index wrap */
	unsigned int i;

	/* prod right after the 20th slot, which asks for more. */
	fring_chain(&f, 21);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 20, 0, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "packet runs past req_prod");
	T_TRUE(t, fetched_once(&f, 20));
	/* prod right after the 21st: there, but not read. */
	memset(f.fetched, 0, sizeof(f.fetched));
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 21, 0, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "packet of more than 20 slots");
	T_TRUE(t, fetched_once(&f, 20));

	/* Extras do not count as data slots, but are consumed before them. */
	memset(&f, 0, sizeof(f));
	fring_slot(&f, cons % 256, 0, 14 + 20, NETTXF_extra_info |
	    NETTXF_more_data);
	for (i = 1; i <= 3; i++)
		fring_extra(&f, (cons + i) % 256, XEN_NETIF_EXTRA_TYPE_HASH,
		    i < 3 ? XEN_NETIF_EXTRA_FLAG_MORE : 0, 0, 0);
	for (i = 4; i < 4 + 20; i++)
		fring_slot(&f, (cons + i) % 256, 0, 1, NETTXF_more_data);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, cons, cons + 24, 0, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "packet of more than 20 slots");
	T_EQ(t, pk.pk_consumed, 23);
	T_EQ(t, pk.pk_nextras, 3);
	for (i = 0; i < 256; i++)
		if (!T_EQ(t, f.fetched[i], (i - cons % 256) % 256 < 23 ? 1 : 0))
			break;
	/* The 20th data slot ends the packet: dropped, all 23 answered. */
	memset(f.fetched, 0, sizeof(f.fetched));
	fring_slot(&f, (cons + 22) % 256, 0, 1, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, cons, cons + 24, 0, &pk),
	    PROTO_TX_DROP);
	T_EQ(t, pk.pk_consumed, 23);
	T_EQ(t, pk.pk_nslots, 20);
	T_EQ(t, pk.pk_len0, 15);
	T_STREQ(t, pk.pk_why, "more than 18 slots");
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
	/* A size no TCP sends: that frame dropped (65535 segments of 1). */
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1,
	    XEN_NETIF_GSO_TYPE_TCPV4);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_DROP);
	T_STREQ(t, pk.pk_why, "GSO of segments under 8 bytes");
	T_EQ(t, pk.pk_consumed, 3);
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, 0, 7,
	    XEN_NETIF_GSO_TYPE_TCPV6);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_DROP);
	/* 48, Linux's least MSS, less 40 bytes of options (timestamps, SACK). */
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, 0, 8,
	    XEN_NETIF_GSO_TYPE_TCPV4);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 3, PROTO_TXF_GSO, &pk),
	    PROTO_TX_OK);
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

	/* An endless chain of extras is a broken ring, found at req_prod. */
	memset(&f, 0, sizeof(f));
	fring_slot(&f, 0, 0, 100, NETTXF_extra_info);
	for (unsigned int i = 1; i < 10; i++)
		fring_extra(&f, i, XEN_NETIF_EXTRA_TYPE_HASH,
		    XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 10, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "extra info runs past req_prod");
	T_TRUE(t, fetched_once(&f, 10));
}

/*
 * Repeated extras are legal (Linux's xenvif_get_extras keeps the last of
 * each type); only the ring bounds them.
 */
static void
t_tx_extras_repeat(struct t_ctx *t)
{
	static struct fring f;
	struct proto_txpkt pk;
	unsigned int i;

	/* Three GSO extras: the last one is the packet's. */
	fring_slot(&f, 0, 0, 3000, NETTXF_extra_info | NETTXF_more_data |
	    NETTXF_csum_blank);
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE,
	    1448, XEN_NETIF_GSO_TYPE_TCPV4);
	fring_extra(&f, 2, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE,
	    536, XEN_NETIF_GSO_TYPE_TCPV4);
	fring_extra(&f, 3, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1220,
	    XEN_NETIF_GSO_TYPE_TCPV6);
	fring_slot(&f, 4, 0, 1000, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 5, PROTO_TXF_GSO, &pk),
	    PROTO_TX_OK);
	T_EQ(t, pk.pk_consumed, 5);
	T_EQ(t, pk.pk_nextras, 3);
	T_EQ(t, pk.pk_nslots, 2);
	T_EQ(t, pk.pk_slot[1].id, 1004);
	T_EQ(t, pk.pk_len0, 2000);
	T_TRUE(t, pk.pk_has_gso);
	T_EQ(t, pk.pk_gso.u.gso.size, 1220);
	T_EQ(t, pk.pk_gso.u.gso.type, XEN_NETIF_GSO_TYPE_TCPV6);
	T_TRUE(t, fetched_once(&f, 5));

	/* Only the last GSO extra is checked, as only it is used. */
	fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_GSO, XEN_NETIF_EXTRA_FLAG_MORE,
	    0, 9);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 5, PROTO_TXF_GSO, &pk),
	    PROTO_TX_OK);
	T_EQ(t, pk.pk_gso.u.gso.size, 1220);
	fring_extra(&f, 3, XEN_NETIF_EXTRA_TYPE_GSO, 0, 0,
	    XEN_NETIF_GSO_TYPE_TCPV4);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 5, PROTO_TXF_GSO, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "GSO size is 0");
	T_EQ(t, pk.pk_consumed, 4);

	/* Several HASH extras. */
	memset(&f, 0, sizeof(f));
	fring_slot(&f, 0, 0, 60, NETTXF_extra_info);
	for (i = 1; i <= 4; i++)
		fring_extra(&f, i, XEN_NETIF_EXTRA_TYPE_HASH,
		    i < 4 ? XEN_NETIF_EXTRA_FLAG_MORE : 0, 0, 0);
	fring_slot(&f, 5, 0, 77, 0);		/* the next packet */
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 6, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_consumed, 5);
	T_EQ(t, pk.pk_nextras, 4);
	T_EQ(t, pk.pk_nslots, 1);
	T_TRUE(t, !pk.pk_has_gso);
	T_TRUE(t, fetched_once(&f, 5));
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 5, 6, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_len, 77);

	/* Ten extras, GSO and HASH mixed, then two data slots. */
	memset(&f, 0, sizeof(f));
	fring_slot(&f, 0, 0, 1514, NETTXF_extra_info | NETTXF_more_data);
	for (i = 1; i <= 10; i++) {
		uint8_t type = i % 2 ? XEN_NETIF_EXTRA_TYPE_GSO :
		    XEN_NETIF_EXTRA_TYPE_HASH;

		fring_extra(&f, i, type, i < 10 ? XEN_NETIF_EXTRA_FLAG_MORE : 0,
		    (uint16_t)(1000 + i), XEN_NETIF_GSO_TYPE_TCPV4);
	}
	fring_slot(&f, 11, 0, 500, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 12, PROTO_TXF_GSO, &pk),
	    PROTO_TX_OK);
	T_EQ(t, pk.pk_consumed, 12);
	T_EQ(t, pk.pk_nextras, 10);
	T_EQ(t, pk.pk_nslots, 2);
	T_EQ(t, pk.pk_slot[1].id, 1011);
	T_EQ(t, pk.pk_len0, 1014);
	T_EQ(t, pk.pk_gso.u.gso.size, 1009);	/* extra 9, the last GSO */
	T_TRUE(t, fetched_once(&f, 12));
	/* Not offered: dropped, every slot still answered. */
	memset(f.fetched, 0, sizeof(f.fetched));
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 12, 0, &pk), PROTO_TX_DROP);
	T_EQ(t, pk.pk_consumed, 12);
	T_STREQ(t, pk.pk_why, "GSO that was not offered");

	/* As many as the ring holds: 255 extras after slot 0. */
	memset(&f, 0, sizeof(f));
	fring_slot(&f, 0, 0, 60, NETTXF_extra_info);
	for (i = 1; i < 256; i++)
		fring_extra(&f, i, XEN_NETIF_EXTRA_TYPE_HASH,
		    i < 255 ? XEN_NETIF_EXTRA_FLAG_MORE : 0, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 256, 0, &pk), PROTO_TX_OK);
	T_EQ(t, pk.pk_consumed, 256);
	T_EQ(t, pk.pk_nextras, 255);
	T_TRUE(t, fetched_once(&f, 256));
	/* One more asked for: past req_prod, with the whole ring read once. */
	memset(f.fetched, 0, sizeof(f.fetched));
	fring_extra(&f, 255, XEN_NETIF_EXTRA_TYPE_HASH,
	    XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
	T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 256, 0, &pk),
	    PROTO_TX_FATAL);
	T_STREQ(t, pk.pk_why, "extra info runs past req_prod");
	T_EQ(t, pk.pk_consumed, 256);
	T_TRUE(t, fetched_once(&f, 256));
}

/* Type 0 and types from XEN_NETIF_EXTRA_TYPE_MAX on break the ring. */
static void
t_tx_extras_invalid(struct t_ctx *t)
{
	static const uint8_t bad[] = { XEN_NETIF_EXTRA_TYPE_NONE,
		XEN_NETIF_EXTRA_TYPE_MAX, XEN_NETIF_EXTRA_TYPE_MAX + 1, 0xff };
	static struct fring f;
	struct proto_txpkt pk;
	unsigned int i, b;

	for (b = 0; b < sizeof(bad); b++) {
		/* Two good extras, then the bad one, which has MORE. */
		memset(&f, 0, sizeof(f));
		fring_slot(&f, 0, 0, 100, NETTXF_extra_info | NETTXF_more_data);
		fring_extra(&f, 1, XEN_NETIF_EXTRA_TYPE_HASH,
		    XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
		fring_extra(&f, 2, XEN_NETIF_EXTRA_TYPE_GSO,
		    XEN_NETIF_EXTRA_FLAG_MORE, 1448, XEN_NETIF_GSO_TYPE_TCPV4);
		fring_extra(&f, 3, bad[b], XEN_NETIF_EXTRA_FLAG_MORE, 1448,
		    XEN_NETIF_GSO_TYPE_TCPV4);
		for (i = 4; i < 8; i++)
			fring_extra(&f, i, XEN_NETIF_EXTRA_TYPE_HASH,
			    XEN_NETIF_EXTRA_FLAG_MORE, 0, 0);
		if (!T_EQ(t, proto_tx_parse(fring_fetch, &f, 0, 8,
		    PROTO_TXF_GSO, &pk), PROTO_TX_FATAL))
			t_check(t, false, __FILE__, __LINE__, "type %u",
			    bad[b]);
		T_STREQ(t, pk.pk_why, "extra info of an invalid type");
		T_EQ(t, pk.pk_consumed, 4);	/* stops at the bad one */
		T_TRUE(t, fetched_once(&f, 4));
	}
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

/*
 * Frames for the checksum fill, built field by field: Ethernet with its
 * tags, IPv4 or IPv6 with extension headers, TCP or UDP.  The expected
 * checksum is computed here over an explicit pseudo-header, from the
 * offsets the builder knows, not by parsing the frame.
 */
struct tfr {
	uint8_t	b[512];
	size_t	len;
	size_t	l3, l4;		/* IP header, TCP or UDP header */
	size_t	coff;		/* the checksum field */
	bool	v6;
	uint8_t	proto;		/* 6 or 17 */
};

static void
tfr_put(struct tfr *fr, const void *p, size_t n)
{
	if (n == 0)		/* p may be NULL then, which memcpy may not */
		return;
	memcpy(fr->b + fr->len, p, n);
	fr->len += n;
}

static void
tfr_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
tfr_eth(struct tfr *fr, const uint16_t *tpid, unsigned int ntags,
    uint16_t etype)
{
	static const uint8_t macs[12] = { 0x00, 0x16, 0x3e, 0x13, 0x34, 0x56,
		0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
	unsigned int i;

	memset(fr, 0, sizeof(*fr));
	tfr_put(fr, macs, sizeof(macs));
	for (i = 0; i < ntags; i++) {
		tfr_be16(fr->b + fr->len, tpid[i]);
		tfr_be16(fr->b + fr->len + 2, 100 + i);	/* VLAN id */
		fr->len += 4;
	}
	tfr_be16(fr->b + fr->len, etype);
	fr->len += 2;
	fr->l3 = fr->len;
}

/* IPv6 with next header nh, then ext (raw extension headers). */
static void
tfr_ip6(struct tfr *fr, uint8_t nh, const uint8_t *ext, size_t extlen)
{
	static const uint8_t addrs[32] = {
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x16, 0x3e, 0xff, 0xfe,
		0x12, 0x34, 0x56,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xee,
		0xdd, 0xcc };
	uint8_t h[8] = { 0x60, 0, 0, 0, 0, 0, nh, 64 };

	fr->v6 = true;
	tfr_put(fr, h, sizeof(h));
	tfr_put(fr, addrs, sizeof(addrs));
	tfr_put(fr, ext, extlen);
}

static void
tfr_ip4(struct tfr *fr, uint8_t proto)
{
	uint8_t h[20] = { 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0,
		169, 254, 1, 1, 10, 200, 0x80, 0x7f };

	fr->v6 = false;
	tfr_put(fr, h, sizeof(h));
}

/* TCP or UDP with a payload; sets the IP and UDP lengths. */
static void
tfr_l4(struct tfr *fr, uint8_t proto, const char *payload)
{
	static const uint8_t tcp[20] = { 0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1,
		0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0xde, 0xad, 0, 0 };
	static const uint8_t udp[8] = { 0x14, 0xe9, 0x14, 0xe9, 0, 0,
		0xde, 0xad };

	fr->proto = proto;
	fr->l4 = fr->len;
	if (proto == 6) {
		tfr_put(fr, tcp, sizeof(tcp));
		fr->coff = fr->l4 + 16;
	} else {
		tfr_put(fr, udp, sizeof(udp));
		fr->coff = fr->l4 + 6;
	}
	tfr_put(fr, payload, strlen(payload));
	if (proto == 17)
		tfr_be16(fr->b + fr->l4 + 4, fr->len - fr->l4);
	if (fr->v6)			/* payload length: after the 40 */
		tfr_be16(fr->b + fr->l3 + 4, fr->len - fr->l3 - 40);
	else
		tfr_be16(fr->b + fr->l3 + 2, fr->len - fr->l3);
}

/* RFC 768/793/8200: the sum over pseudo-header and segment, checksum 0. */
static uint16_t
tfr_expected(const struct tfr *fr)
{
	uint8_t buf[40 + sizeof(fr->b)];
	size_t n = 0, seg = fr->len - fr->l4, i;
	uint64_t sum = 0;
	uint16_t c;

	memset(buf, 0, sizeof(buf));
	if (fr->v6) {
		memcpy(buf, fr->b + fr->l3 + 8, 32);
		buf[34] = (uint8_t)(seg >> 8);	/* 32-bit upper-layer length */
		buf[35] = (uint8_t)seg;
		buf[39] = fr->proto;
		n = 40;
	} else {
		memcpy(buf, fr->b + fr->l3 + 12, 8);
		buf[9] = fr->proto;
		buf[10] = (uint8_t)(seg >> 8);
		buf[11] = (uint8_t)seg;
		n = 12;
	}
	memcpy(buf + n, fr->b + fr->l4, seg);
	buf[n + fr->coff - fr->l4] = buf[n + fr->coff - fr->l4 + 1] = 0;
	n += seg;
	for (i = 0; i < n; i += 2)	/* the odd tail pads with the 0 */
		sum += (uint64_t)(buf[i] << 8 | buf[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	return fr->proto == 17 && c == 0 ? 0xffff : c;
}

/*
 * The offload path on a copy of fr: proto_l4_find points at the field,
 * a partial checksum (proto_csum_pseudo) completed from csum_start and
 * csum_offset (proto_csum_finish) is the expected one -- with 0 sent as
 * 0xffff, the same number in one's complement, as the kernel does.
 */
static bool
tfr_offload_ok(struct t_ctx *t, const struct tfr *fr, uint16_t want)
{
	struct tfr c = *fr;
	struct proto_l4 l4;
	bool ok = true;

	ok &= T_TRUE(t, proto_l4_find(c.b, c.len, &l4) == NULL);
	if (!ok)
		return false;
	ok &= T_EQ(t, l4.l4_l3, fr->l3);
	ok &= T_EQ(t, l4.l4_off, fr->l4);
	ok &= T_EQ(t, l4.l4_off + l4.l4_csum_off, fr->coff);
	ok &= T_EQ(t, l4.l4_proto, fr->proto);
	ok &= T_EQ(t, l4.l4_ipv6, fr->v6);
	ok &= T_EQ(t, l4.l4_hlen, fr->proto == 6 ? 20u : 8u);
	c.b[fr->coff] = 0xde, c.b[fr->coff + 1] = 0xad;
	proto_csum_pseudo(c.b, &l4);
	ok &= T_TRUE(t, proto_csum_finish(c.b, c.len, l4.l4_off,
	    l4.l4_csum_off) == NULL);
	ok &= T_EQ(t, c.b[fr->coff] << 8 | c.b[fr->coff + 1],
	    want == 0 ? 0xffff : want);
	return ok;
}

/* Fill fr; check the checksum and that nothing else changed. */
static bool
tfr_fill_ok(struct t_ctx *t, struct tfr *fr, const char *what)
{
	struct tfr before = *fr;
	uint16_t want = tfr_expected(fr);
	bool ok = tfr_offload_ok(t, fr, want);
	const char *why = proto_csum_fill(fr->b, fr->len);

	ok &= T_TRUE(t, why == NULL);
	ok &= T_EQ(t, fr->b[fr->coff] << 8 | fr->b[fr->coff + 1], want);
	ok &= T_TRUE(t, want != 0xdead);	/* it was really written */
	before.b[fr->coff] = fr->b[fr->coff];
	before.b[fr->coff + 1] = fr->b[fr->coff + 1];
	ok &= T_TRUE(t, memcmp(before.b, fr->b, sizeof(fr->b)) == 0);
	if (!ok)
		t_check(t, false, __FILE__, __LINE__, "%s: %s", what,
		    why != NULL ? why : "filled wrong");
	return ok;
}

/* Refused with that reason, and the frame left as it was. */
static bool
tfr_refused(struct t_ctx *t, struct tfr *fr, const char *reason)
{
	struct tfr before = *fr;
	bool ok = true;

	ok &= T_STREQ(t, proto_csum_fill(fr->b, fr->len), reason);
	ok &= T_TRUE(t, memcmp(before.b, fr->b, sizeof(fr->b)) == 0);
	if (!ok)
		t_check(t, false, __FILE__, __LINE__, "expected '%s'", reason);
	return ok;
}

/* Hop-by-hop (PadN) and destination options (PadN), 8 and 16 bytes. */
static const uint8_t t_hbh_dst[] = {
	60, 0, 1, 4, 0, 0, 0, 0,
	0xff, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static void
t_csum_ipv6_ext(struct t_ctx *t)
{
	uint8_t ext[sizeof(t_hbh_dst)];
	struct tfr fr;

	memcpy(ext, t_hbh_dst, sizeof(ext));
	ext[8] = 6;				/* then TCP */
	tfr_eth(&fr, NULL, 0, 0x86dd);
	tfr_ip6(&fr, 0, ext, sizeof(ext));
	tfr_l4(&fr, 6, "xvif checksum test");
	T_EQ(t, fr.l4, 14 + 40 + 24);
	tfr_fill_ok(t, &fr, "TCP after hop-by-hop, destination options");
	/* Filling a filled frame changes nothing. */
	tfr_fill_ok(t, &fr, "TCP again");

	ext[8] = 17;				/* then UDP, odd length */
	tfr_eth(&fr, NULL, 0, 0x86dd);
	tfr_ip6(&fr, 0, ext, sizeof(ext));
	tfr_l4(&fr, 17, "xvif udp");
	tfr_fill_ok(t, &fr, "UDP after hop-by-hop, destination options");

	/* A routing header that has arrived (segments left 0) is walked. */
	{
		const uint8_t rh[] = { 17, 0, 0, 0, 0, 0, 0, 0 };

		tfr_eth(&fr, NULL, 0, 0x86dd);
		tfr_ip6(&fr, 43, rh, sizeof(rh));
		tfr_l4(&fr, 17, "routed");
		tfr_fill_ok(t, &fr, "UDP after a routing header");
	}
	/* Eight extension headers are walked; a ninth is refused. */
	{
		uint8_t many[9 * 8];
		unsigned int i;

		memset(many, 0, sizeof(many));
		for (i = 0; i < 9; i++)
			many[i * 8] = 60;
		many[7 * 8] = 6;
		tfr_eth(&fr, NULL, 0, 0x86dd);
		tfr_ip6(&fr, 60, many, 8 * 8);
		tfr_l4(&fr, 6, "eight");
		tfr_fill_ok(t, &fr, "TCP after eight headers");
		many[7 * 8] = 60;
		many[8 * 8] = 6;
		tfr_eth(&fr, NULL, 0, 0x86dd);
		tfr_ip6(&fr, 60, many, 9 * 8);
		tfr_l4(&fr, 6, "nine");
		tfr_refused(t, &fr, "too many IPv6 extension headers");
	}
}

static void
t_csum_ipv6_refused(struct t_ctx *t)
{
	uint8_t ext[sizeof(t_hbh_dst) + 8];
	struct tfr fr;

	/* A fragment header, after hop-by-hop and alone. */
	memcpy(ext, t_hbh_dst, sizeof(t_hbh_dst));
	ext[8] = 44;
	memcpy(ext + 24, (const uint8_t[]){ 6, 0, 0, 0, 0, 0, 0, 1 }, 8);
	tfr_eth(&fr, NULL, 0, 0x86dd);
	tfr_ip6(&fr, 0, ext, sizeof(ext));
	tfr_l4(&fr, 6, "fragment");
	tfr_refused(t, &fr, "IPv6 fragment");
	tfr_eth(&fr, NULL, 0, 0x86dd);
	tfr_ip6(&fr, 44, ext + 24, 8);
	tfr_l4(&fr, 17, "fragment");
	tfr_refused(t, &fr, "IPv6 fragment");

	/* A header whose length runs past the payload (and the frame). */
	memcpy(ext, t_hbh_dst, sizeof(t_hbh_dst));
	ext[8] = 6;
	ext[9] = 9;			/* 80 bytes, where 36 are left */
	tfr_eth(&fr, NULL, 0, 0x86dd);
	tfr_ip6(&fr, 0, ext, sizeof(t_hbh_dst));
	tfr_l4(&fr, 6, "");
	tfr_refused(t, &fr, "IPv6 extension header truncated");
	/* ... past the payload length, though not past the frame. */
	fr.b[fr.l3 + 40 + 8 + 1] = 1;	/* 16 bytes, where 12 are left */
	tfr_be16(fr.b + fr.l3 + 4, 8 + 12);
	tfr_refused(t, &fr, "IPv6 extension header truncated");
	/* Fewer than its first 8 bytes left. */
	tfr_be16(fr.b + fr.l3 + 4, 8 + 4);
	tfr_refused(t, &fr, "IPv6 extension header truncated");
	/* A payload length past the frame. */
	tfr_be16(fr.b + fr.l3 + 4, fr.len - fr.l3 - 40 + 1);
	tfr_refused(t, &fr, "bad IPv6 header");

	/* Routing with segments left: the pseudo-header is not ours. */
	{
		const uint8_t rh[] = { 17, 0, 0, 1, 0, 0, 0, 0 };

		tfr_eth(&fr, NULL, 0, 0x86dd);
		tfr_ip6(&fr, 43, rh, sizeof(rh));
		tfr_l4(&fr, 17, "routed");
		tfr_refused(t, &fr, "IPv6 routing header with segments left");
	}
	/* ICMPv6 or no next header after the options. */
	memcpy(ext, t_hbh_dst, sizeof(t_hbh_dst));
	ext[8] = 58;
	tfr_eth(&fr, NULL, 0, 0x86dd);
	tfr_ip6(&fr, 0, ext, sizeof(t_hbh_dst));
	tfr_l4(&fr, 6, "icmp");
	tfr_refused(t, &fr, "not TCP or UDP");
	fr.b[fr.l3 + 40 + 8] = 59;
	tfr_refused(t, &fr, "not TCP or UDP");
}

static void
t_csum_qinq(struct t_ctx *t)
{
	static const uint16_t adq[] = { 0x88a8, 0x8100 };
	static const uint16_t qq[] = { 0x8100, 0x8100, 0x8100 };
	static const uint16_t ad3[] = { 0x88a8, 0x8100, 0x8100 };
	struct tfr fr;

	tfr_eth(&fr, adq, 2, 0x0800);
	tfr_ip4(&fr, 17);
	tfr_l4(&fr, 17, "qinq udp over ipv4");
	T_EQ(t, fr.l3, 14 + 8);
	tfr_fill_ok(t, &fr, "802.1ad+802.1Q, UDP/IPv4");

	tfr_eth(&fr, adq, 2, 0x86dd);
	tfr_ip6(&fr, 6, NULL, 0);
	tfr_l4(&fr, 6, "qinq tcp over ipv6");
	tfr_fill_ok(t, &fr, "802.1ad+802.1Q, TCP/IPv6");

	tfr_eth(&fr, qq, 2, 0x0800);
	tfr_ip4(&fr, 6);
	tfr_l4(&fr, 6, "double 802.1Q");
	tfr_fill_ok(t, &fr, "802.1Q twice, TCP/IPv4");

	tfr_eth(&fr, adq, 1, 0x86dd);
	tfr_ip6(&fr, 17, NULL, 0);
	tfr_l4(&fr, 17, "one 802.1ad tag");
	tfr_fill_ok(t, &fr, "802.1ad, UDP/IPv6");

	tfr_eth(&fr, qq, 1, 0x0800);
	tfr_ip4(&fr, 17);
	tfr_l4(&fr, 17, "one 802.1Q tag");
	tfr_fill_ok(t, &fr, "802.1Q, UDP/IPv4");

	/* Three tags, either kind, are refused. */
	tfr_eth(&fr, qq, 3, 0x0800);
	tfr_ip4(&fr, 17);
	tfr_l4(&fr, 17, "three tags");
	tfr_refused(t, &fr, "more than two VLAN tags");
	tfr_eth(&fr, ad3, 3, 0x86dd);
	tfr_ip6(&fr, 6, NULL, 0);
	tfr_l4(&fr, 6, "three tags");
	tfr_refused(t, &fr, "more than two VLAN tags");

	/* A frame that ends inside the second tag. */
	tfr_eth(&fr, adq, 2, 0x0800);
	T_STREQ(t, proto_csum_fill(fr.b, 14 + 4 + 2), "too short");
}

/* TCP's data offset bounds the header; a partial checksum stays inside. */
static void
t_l4_bounds(struct t_ctx *t)
{
	struct proto_l4 l4;
	struct tfr fr;

	tfr_eth(&fr, NULL, 0, 0x0800);
	tfr_ip4(&fr, 6);
	tfr_l4(&fr, 6, "twelve bytes of options, then data");
	fr.b[fr.l4 + 12] = 8 << 4;		/* 32 bytes: 12 of options */
	T_TRUE(t, proto_l4_find(fr.b, fr.len, &l4) == NULL);
	T_EQ(t, l4.l4_hlen, 32);
	fr.b[fr.l4 + 12] = 4 << 4;		/* shorter than TCP's 20 */
	T_STREQ(t, proto_l4_find(fr.b, fr.len, &l4),
	    "transport header truncated");
	fr.b[fr.l4 + 12] = 15 << 4;		/* 60: past the segment */
	T_STREQ(t, proto_l4_find(fr.b, fr.len, &l4),
	    "transport header truncated");
	T_STREQ(t, proto_csum_finish(fr.b, fr.len, fr.len - 1, 0),
	    "checksum field outside the frame");
	T_STREQ(t, proto_csum_finish(fr.b, fr.len, fr.len + 1, 0),
	    "checksum field outside the frame");
	T_STREQ(t, proto_csum_finish(fr.b, fr.len, 14, (size_t)-1),
	    "checksum field outside the frame");
	T_TRUE(t, proto_csum_finish(fr.b, fr.len, fr.len - 2, 0) == NULL);
}

/*
 * Long frames at every alignment: proto_csum_finish over f[start, len)
 * against a sum by byte pairs written here (RFC 1071's definition), for
 * starts 0-7 (the 4-byte loads at each alignment) and lengths with every
 * remainder modulo 4, up to the 65535 of the largest frame.  The field
 * holds a preloaded sum, as the kernel's CHECKSUM_PARTIAL leaves it.
 */
static uint16_t
t_sum_pairs(const uint8_t *f, size_t start, size_t len, size_t field,
    uint16_t preload)
{
	uint64_t sum = preload;
	size_t i;

	for (i = start; i < len; i += 2) {
		uint8_t hi = i == field || i == field + 1 ? 0 : f[i];
		uint8_t lo = i + 1 >= len || i + 1 == field ||
		    i + 1 == field + 1 ? 0 : f[i + 1];

		sum += (uint32_t)hi << 8 | lo;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	return sum == 0 ? 0xffff : (uint16_t)sum;
}

static void
t_csum_long(struct t_ctx *t)
{
	static const size_t lens[] = { 64, 65, 66, 67, 1514, 4097, 9017,
		65533, 65534, 65535 };
	static uint8_t f[65535], g[65535];
	uint32_t x = 2463534242u;	/* xorshift32: the same bytes each run */
	size_t i, s, bad = 0, runs = 0;

	for (i = 0; i < sizeof(f); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		f[i] = (uint8_t)x;
	}
	f[100] = f[101] = 0xff;		/* 0xffff words: carries to fold */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (s = 0; s < 8; s++) {
			size_t field = s + 16;
			uint16_t want = t_sum_pairs(f, s, lens[i], field,
			    (uint16_t)(f[field] << 8 | f[field + 1]));

			memcpy(g, f, lens[i]);
			runs++;
			if (proto_csum_finish(g, lens[i], s, 16) != NULL ||
			    (g[field] << 8 | g[field + 1]) != want) {
				if (bad++ == 0)
					t_check(t, false, __FILE__, __LINE__,
					    "len %zu start %zu: %04x, want "
					    "%04x", lens[i], s, g[field] << 8 |
					    g[field + 1], want);
			}
		}
	}
	T_EQ(t, runs, 80);
	T_EQ(t, bad, 0);
	/* All 0xff: the largest sum per word; all 0: the smallest. */
	memset(g, 0xff, sizeof(g));
	T_TRUE(t, proto_csum_finish(g, sizeof(g), 1, 16) == NULL);
	memset(f, 0xff, sizeof(f));
	T_EQ(t, g[17] << 8 | g[18], t_sum_pairs(f, 1, sizeof(f), 17, 0xffff));
	memset(g, 0, sizeof(g));
	T_TRUE(t, proto_csum_finish(g, sizeof(g), 0, 16) == NULL);
	T_EQ(t, g[16] << 8 | g[17], 0xffff);
}

const struct t_case t_cases[] = {
	{ "checksum fill: TCP/IPv4, UDP/IPv6, refusals", t_csum },
	{ "mac: backend rule (octet 3 + 1, modulo 256)", t_mac },
	{ "mac: invalid strings refused", t_mac_invalid },
	{ "interface names", t_ifname },
	{ "xenstore numbers", t_uint },
	{ "tx: single slot", t_tx_single },
	{ "tx: 18-slot chain with empty fragment, index wrap", t_tx_chain },
	{ "tx: 18 slots ok, 19 and 20 dropped, 21 fatal", t_tx_slot_limits },
	{ "tx: short, past page, size underflow dropped", t_tx_drops },
	{ "tx: chains past req_prod are fatal, never read", t_tx_past_prod },
	{ "tx: extras (GSO, invalid, multicast, hash)", t_tx_extras },
	{ "tx: repeated extras (GSO, HASH, 10, a ring's worth)",
	    t_tx_extras_repeat },
	{ "tx: extra of type 0 or MAX and above is fatal",
	    t_tx_extras_invalid },
	{ "tx: a fatal slot count never reads at or past req_prod",
	    t_tx_fatal_prod },
	{ "checksum fill: IPv6 extension headers", t_csum_ipv6_ext },
	{ "checksum fill: IPv6 fragment, truncated, routed refused",
	    t_csum_ipv6_refused },
	{ "checksum fill: QinQ, three tags refused", t_csum_qinq },
	{ "offload: TCP data offset, partial checksum bounds", t_l4_bounds },
	{ "checksum: 64 KiB frames, every start alignment and tail",
	    t_csum_long },
	{ NULL, NULL }
};
