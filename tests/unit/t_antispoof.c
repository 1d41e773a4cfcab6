/*
 * t_antispoof.c -- the anti-spoofing rules of src/antispoof.c on
 * hand-built frames: the `ip` key's parser, the MAC rule, IPv4 with DHCP
 * from 0.0.0.0, ARP requests, replies and probes, IPv6 with the
 * link-local address a MAC gives, NDP (NS, NA, RS with options; DAD),
 * MLD from ::, VLAN tags, IP and ARP in 802.3 LLC/SNAP, and truncated
 * frames: every strict prefix of a good frame is dropped as malformed,
 * read from a buffer of exactly its length (which `make asan` would
 * catch any read past).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "antispoof.h"
#include "t.h"

static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x01, 0x00, 0x01 };
static const uint8_t forged[6] = { 0x00, 0x16, 0x3e, 0x99, 0x99, 0x99 };
/* What mac gives: fe80::216:3eff:fe01:1. */
#define LL6	"fe80::216:3eff:fe01:1"

/* A frame being built. */
struct fr {
	uint8_t		b[512];
	size_t		len;
};

static void
fr_u8(struct fr *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void
fr_u16(struct fr *f, uint16_t v)
{
	fr_u8(f, (uint8_t)(v >> 8));
	fr_u8(f, (uint8_t)v);
}

static void
fr_put(struct fr *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void
fr_addr(struct fr *f, int af, const char *s)
{
	uint8_t a[16];

	if (inet_pton(af, s, a) != 1)
		abort();		/* a typo in the test */
	fr_put(f, a, af == AF_INET ? 4 : 16);
}

/* Ethernet from src, behind ntags 802.1Q tags, of EtherType etype. */
static void
fr_eth(struct fr *f, const uint8_t src[6], unsigned int ntags,
    uint16_t etype)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	f->len = 0;
	fr_put(f, bcast, 6);
	fr_put(f, src, 6);
	while (ntags-- > 0) {
		fr_u16(f, 0x8100);
		fr_u16(f, 42);		/* TCI: VLAN 42 */
	}
	fr_u16(f, etype);
}

/* An IPv4 packet of proto from src with 8 bytes of payload p8. */
static void
fr_ipv4(struct fr *f, const uint8_t src[6], unsigned int ntags,
    const char *saddr, uint8_t proto, uint16_t frag, const uint8_t p8[8])
{
	fr_eth(f, src, ntags, 0x0800);
	fr_u8(f, 0x45);
	fr_u8(f, 0);
	fr_u16(f, 28);		/* 20 + 8 */
	fr_u16(f, 1);
	fr_u16(f, frag);
	fr_u8(f, 64);
	fr_u8(f, proto);
	fr_u16(f, 0);
	fr_addr(f, AF_INET, saddr);
	fr_addr(f, AF_INET, "255.255.255.255");
	fr_put(f, p8, 8);
}

/* UDP sport -> dport, from saddr. */
static void
fr_udp4(struct fr *f, unsigned int ntags, const char *saddr, uint16_t sport,
    uint16_t dport, uint16_t frag)
{
	uint8_t u[8] = { (uint8_t)(sport >> 8), (uint8_t)sport,
	    (uint8_t)(dport >> 8), (uint8_t)dport, 0, 8, 0, 0 };

	fr_ipv4(f, mac, ntags, saddr, 17, frag, u);
}

static void
fr_arp(struct fr *f, uint16_t hrd, uint16_t op, const uint8_t sha[6],
    const char *spa)
{
	static const uint8_t zero[6];

	fr_eth(f, mac, 0, 0x0806);
	fr_u16(f, hrd);
	fr_u16(f, 0x0800);
	fr_u8(f, 6);
	fr_u8(f, 4);
	fr_u16(f, op);
	fr_put(f, sha, 6);
	fr_addr(f, AF_INET, spa);
	fr_put(f, zero, 6);
	fr_addr(f, AF_INET, "169.254.1.1");
}

/*
 * An IPv6 packet from saddr to ff02::1 carrying body[0..n) as next
 * header nh, behind a hop-by-hop header if hbh.
 */
static void
fr_ipv6(struct fr *f, unsigned int ntags, const char *saddr, uint8_t nh,
    bool hbh, const uint8_t *body, size_t n)
{
	static const uint8_t ra[8] = { 58, 0, 5, 2, 0, 0, 1, 0 };

	fr_eth(f, mac, ntags, 0x86dd);
	fr_u8(f, 0x60);
	fr_u8(f, 0);
	fr_u16(f, 0);
	fr_u16(f, (uint16_t)(n + (hbh ? 8 : 0)));
	fr_u8(f, hbh ? 0 : nh);
	fr_u8(f, 255);
	fr_addr(f, AF_INET6, saddr);
	fr_addr(f, AF_INET6, "ff02::1");
	if (hbh) {
		fr_put(f, ra, 8);	/* router alert, next: body's */
		f->b[f->len - 8] = nh;
	}
	fr_put(f, body, n);
}

/*
 * An NDP message of type from saddr: target (NS, NA) and a link-layer
 * address option of type opt (0: none) naming lla, of optlen units.
 */
static void
fr_nd(struct fr *f, const char *saddr, uint8_t type, const char *target,
    uint8_t opt, const uint8_t lla[6], uint8_t optlen)
{
	uint8_t m[64];
	size_t n = 0;

	memset(m, 0, sizeof(m));
	m[0] = type;
	n = type == 133 ? 8 : type == 134 ? 16 : 24;
	if (target != NULL && inet_pton(AF_INET6, target, m + 8) != 1)
		abort();
	if (opt != 0) {
		m[n] = opt;
		m[n + 1] = optlen;
		memcpy(m + n + 2, lla, 6);
		n += optlen == 0 ? 8 : (size_t)optlen * 8;
	}
	fr_ipv6(f, 0, saddr, 58, false, m, n);
}

static struct antispoof *
as_new(struct t_ctx *t, const char *ip)
{
	static struct antispoof as;
	char bad[64];
	const char *why;

	antispoof_init(&as, mac);
	if (ip != NULL && (why = antispoof_parse_ip(&as, ip, bad,
	    sizeof(bad))) != NULL)
		t_check(t, false, __FILE__, __LINE__, "ip '%s': '%s' %s", ip,
		    bad, why);
	return &as;
}

/* The verdict on f, read from a buffer of exactly its length. */
static enum antispoof_verdict
chk(const struct antispoof *as, const struct fr *f)
{
	enum antispoof_verdict v;
	uint8_t *b;

	if ((b = malloc(f->len ? f->len : 1)) == NULL)
		abort();
	memcpy(b, f->b, f->len);
	v = antispoof_check(as, b, f->len);
	free(b);
	return v;
}

static void
t_parse(struct t_ctx *t)
{
	struct antispoof as;
	char bad[16];

	antispoof_init(&as, mac);
	T_TRUE(t, antispoof_parse_ip(&as, "", bad, sizeof(bad)) == NULL);
	T_TRUE(t, !as.as_ip);
	T_TRUE(t, antispoof_parse_ip(&as, "10.0.0.1", bad, sizeof(bad)) ==
	    NULL);
	T_TRUE(t, as.as_ip);
	T_EQ(t, as.as_nnets, 1);
	T_EQ(t, as.as_nets[0].an_plen, 32);
	T_TRUE(t, antispoof_parse_ip(&as, " 10.0.0.77/24\t2001:db8::/32\n"
	    "0.0.0.0/0  ::/0 ", bad, sizeof(bad)) == NULL);
	T_EQ(t, as.as_nnets, 4);
	T_EQ(t, as.as_nets[0].an_addr[3], 0);	/* host bits masked */
	T_EQ(t, as.as_nets[0].an_plen, 24);
	T_TRUE(t, as.as_nets[1].an_v6);
	T_EQ(t, as.as_nets[1].an_plen, 32);
	T_EQ(t, as.as_nets[2].an_plen, 0);
	T_EQ(t, as.as_nets[3].an_plen, 0);
	/* The low bits of a partial byte go: 10.0.0.77/27 -> 10.0.0.64. */
	T_TRUE(t, antispoof_parse_ip(&as, "10.0.0.77/27", bad, sizeof(bad)) ==
	    NULL);
	T_EQ(t, as.as_nets[0].an_addr[3], 64);
}

/* What xvifctl show reports: the nets as enforced, cut at a word. */
static void
t_format(struct t_ctx *t)
{
	static const char want[] = "10.1.2.0/24 2001:db8::1/128 fe80::/64";
	struct antispoof as;
	char bad[16], out[64], small[20];

	antispoof_init(&as, mac);
	T_EQ(t, antispoof_format_nets(&as, out, sizeof(out)), 0);
	T_STREQ(t, out, "");
	T_TRUE(t, antispoof_parse_ip(&as, "10.1.2.3/24  2001:db8::1\t"
	    "fe80::/64", bad, sizeof(bad)) == NULL);
	T_EQ(t, antispoof_format_nets(&as, out, sizeof(out)),
	    sizeof(want) - 1);
	T_STREQ(t, out, want);
	/* Too small: whole words only, and the length it needed. */
	T_EQ(t, antispoof_format_nets(&as, small, sizeof(small)),
	    sizeof(want) - 1);
	T_STREQ(t, small, "10.1.2.0/24");
	T_EQ(t, antispoof_format_nets(&as, small, 0), sizeof(want) - 1);
}

static void
t_parse_bad(struct t_ctx *t)
{
	static const struct { const char *ip, *bad; } c[] = {
		{ "10.0.0.256", "10.0.0.256" },
		{ "10.0.0.1 x", "x" },
		{ "10.0.0.1/33", "10.0.0.1/33" },
		{ "10.0.0.1/", "10.0.0.1/" },
		{ "10.0.0.1/024", "10.0.0.1/024" },
		{ "10.0.0.1/-1", "10.0.0.1/-1" },
		{ "10.0.0.1/24/1", "10.0.0.1/24/1" },
		{ "010.0.0.1", "010.0.0.1" },
		{ "10.1", "10.1" },
		{ "2001:db8::/129", "2001:db8::/129" },
		{ "fe80::1%eth0", "fe80::1%eth0" },
		{ "10.0.0.1,10.0.0.2", "10.0.0.1,10.0.0" },	/* cut */
		{ "   ", "" },
		{ "10.0.0.1 \x01\x7f", "??" },
		{ "1111:2222:3333:4444:5555:6666:7777:8888:9999",
		    "1111:2222:3333:" },
	};
	struct antispoof as;
	char bad[16], many[64 * 10 + 16];
	unsigned int i;
	const char *why;

	antispoof_init(&as, mac);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		why = antispoof_parse_ip(&as, c[i].ip, bad, sizeof(bad));
		if (!T_TRUE(t, why != NULL))
			t_check(t, false, __FILE__, __LINE__, "took '%s'",
			    c[i].ip);
		T_STREQ(t, bad, c[i].bad);
	}
	/* 64 addresses are taken, the 65th is not. */
	many[0] = '\0';
	for (i = 0; i < 64; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "10.0.0.%u ", i);
	T_TRUE(t, antispoof_parse_ip(&as, many, bad, sizeof(bad)) == NULL);
	T_EQ(t, as.as_nnets, 64);
	strcat(many, "10.0.1.1");
	T_TRUE(t, antispoof_parse_ip(&as, many, bad, sizeof(bad)) != NULL);
	T_STREQ(t, bad, "10.0.1.1");
}

static void
t_mac_rule(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, NULL);
	struct fr f;

	fr_eth(&f, mac, 0, 0x88cc);		/* LLDP: MAC rule only */
	fr_u16(&f, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_eth(&f, forged, 0, 0x88cc);
	fr_u16(&f, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_ETH_SRC);
	/* No ip key: any source, but from the frontend's MAC only. */
	fr_udp4(&f, 0, "192.0.2.9", 1, 2, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	memcpy(f.b + 6, forged, 6);
	T_EQ(t, chk(as, &f), ANTISPOOF_ETH_SRC);
	as = as_new(t, "192.0.2.9");
	T_EQ(t, chk(as, &f), ANTISPOOF_ETH_SRC);
	T_EQ(t, antispoof_rule(ANTISPOOF_ETH_SRC), ANTISPOOF_RULE_MAC);
}

static void
t_ipv4(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2 10.1.0.0/16");
	struct fr f;

	fr_udp4(&f, 0, "169.254.1.2", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 0, "10.1.200.3", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 0, "169.254.1.3", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 0, "10.2.0.1", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	T_EQ(t, antispoof_rule(ANTISPOOF_IP4_SRC), ANTISPOOF_RULE_IP);
	/* A prefix that ends inside a byte: 10.9.0.64/27 is .64 to .95. */
	as = as_new(t, "10.9.0.77/27 2001:db8:ff::/44");
	fr_udp4(&f, 0, "10.9.0.64", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 0, "10.9.0.95", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 0, "10.9.0.96", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 0, "10.9.0.63", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_ipv6(&f, 0, "2001:db8:f0::1", 17, false, (uint8_t[8]){ 0 }, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_ipv6(&f, 0, "2001:db8:ef::1", 17, false, (uint8_t[8]){ 0 }, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	/* An IPv6-only key leaves no IPv4 source. */
	as = as_new(t, "2001:db8::1");
	fr_udp4(&f, 0, "169.254.1.2", 1000, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
}

/*
 * A DHCP client's message from saddr: UDP 68 -> 67 and the BOOTP message
 * up to its chaddr (hardware type htype, hlen bytes), frag as fr_ipv4.
 */
static void
fr_dhcp4(struct fr *f, unsigned int ntags, const char *saddr, uint16_t frag,
    uint8_t htype, uint8_t hlen, const uint8_t chaddr[6])
{
	static const uint8_t zero[32];
	const uint16_t blen = 28 + 16;		/* op .. chaddr */

	fr_eth(f, mac, ntags, 0x0800);
	fr_u8(f, 0x45);
	fr_u8(f, 0);
	fr_u16(f, (uint16_t)(20 + 8 + blen));
	fr_u16(f, 1);
	fr_u16(f, frag);
	fr_u8(f, 64);
	fr_u8(f, 17);
	fr_u16(f, 0);
	fr_addr(f, AF_INET, saddr);
	fr_addr(f, AF_INET, "255.255.255.255");
	fr_u16(f, 68);
	fr_u16(f, 67);
	fr_u16(f, (uint16_t)(8 + blen));
	fr_u16(f, 0);
	fr_u8(f, 1);			/* BOOTREQUEST */
	fr_u8(f, htype);
	fr_u8(f, hlen);
	fr_put(f, zero, 25);		/* hops .. giaddr */
	fr_put(f, chaddr, 6);
	fr_put(f, zero, 10);
}

static void
t_dhcp(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2");
	static const uint8_t tcp[8] = { 0, 68, 0, 67 };
	static const uint8_t other[6] = { 0x00, 0x16, 0x3e, 0x99, 0x99, 0x99 };
	struct fr f;

	fr_dhcp4(&f, 0, "0.0.0.0", 0, 1, 6, mac);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_dhcp4(&f, 0, "0.0.0.0", 0x4000, 1, 6, mac);	/* DF: fine */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_dhcp4(&f, 1, "0.0.0.0", 0, 1, 6, mac);	/* tagged */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	/* On behalf of another MAC (a neighbour's lease released, a pool
	 * emptied), or not Ethernet's, or cut before its chaddr: no -- from
	 * any source, and with no ip key (the MAC rule alone) too. */
	fr_dhcp4(&f, 0, "0.0.0.0", 0, 1, 6, other);
	T_EQ(t, chk(as, &f), ANTISPOOF_DHCP_CHADDR);
	fr_dhcp4(&f, 0, "169.254.1.2", 0, 1, 6, other);
	T_EQ(t, chk(as, &f), ANTISPOOF_DHCP_CHADDR);
	T_EQ(t, chk(as_new(t, NULL), &f), ANTISPOOF_DHCP_CHADDR);
	as = as_new(t, "169.254.1.2");	/* (the same object, ip again) */
	fr_dhcp4(&f, 0, "0.0.0.0", 0, 6, 6, mac);
	T_EQ(t, chk(as, &f), ANTISPOOF_DHCP_CHADDR);
	fr_dhcp4(&f, 0, "0.0.0.0", 0, 1, 16, mac);
	T_EQ(t, chk(as, &f), ANTISPOOF_DHCP_CHADDR);
	fr_udp4(&f, 0, "0.0.0.0", 68, 67, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_DHCP_CHADDR);
	fr_dhcp4(&f, 0, "169.254.1.2", 0, 1, 6, mac);	/* a renewal */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 0, "0.0.0.0", 67, 68, 0);		/* a server's */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 0, "0.0.0.0", 68, 53, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 0, "0.0.0.0", 68, 67, 0x2000);	/* MF */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 0, "0.0.0.0", 68, 67, 0x0001);	/* offset 8 */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_ipv4(&f, mac, 0, "0.0.0.0", 6, 0, tcp);	/* TCP, not UDP */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	/* DHCP from another address is held to the key as any packet. */
	fr_dhcp4(&f, 0, "169.254.1.9", 0, 1, 6, mac);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
}

static void
t_arp(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2");
	struct fr f;

	fr_arp(&f, 1, 1, mac, "169.254.1.2");
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_arp(&f, 1, 2, mac, "169.254.1.2");
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_arp(&f, 1, 2, mac, "169.254.1.1");		/* poisoning */
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SPA);
	fr_arp(&f, 1, 1, mac, "169.254.1.1");
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SPA);
	fr_arp(&f, 1, 1, mac, "0.0.0.0");		/* RFC 5227 probe */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_arp(&f, 1, 2, mac, "0.0.0.0");		/* not a probe */
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SPA);
	fr_arp(&f, 1, 2, forged, "169.254.1.2");
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SHA);
	fr_arp(&f, 6, 2, forged, "169.254.1.2");	/* IEEE 802: the same */
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SHA);
	fr_arp(&f, 6, 2, mac, "169.254.1.1");
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SPA);
	T_EQ(t, antispoof_rule(ANTISPOOF_ARP_SHA), ANTISPOOF_RULE_MAC);
	T_EQ(t, antispoof_rule(ANTISPOOF_ARP_SPA), ANTISPOOF_RULE_IP);
	/* Not IPv4 over Ethernet, or not ARP at all. */
	fr_arp(&f, 1, 2, mac, "169.254.1.2");
	f.b[16] = 0x86;
	f.b[17] = 0xdd;
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_arp(&f, 1, 2, mac, "169.254.1.2");
	f.b[18] = 8;
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_arp(&f, 7, 2, mac, "169.254.1.2");
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	/* No ip key: the sender's MAC is still held to the rule. */
	as = as_new(t, NULL);
	fr_arp(&f, 1, 2, mac, "192.0.2.1");
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_arp(&f, 1, 2, forged, "192.0.2.1");
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SHA);
}

static void
t_ipv6(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2 2001:db8:1::/64");
	static const uint8_t udp[8] = { 0, 1, 0, 2, 0, 8, 0, 0 };
	struct fr f;

	fr_ipv6(&f, 0, "2001:db8:1::5", 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_ipv6(&f, 0, LL6, 17, false, udp, 8);		/* its MAC's */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_ipv6(&f, 0, "2001:db8:2::5", 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	fr_ipv6(&f, 0, "fe80::99", 17, false, udp, 8);	/* not its MAC's */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	fr_ipv6(&f, 0, "::", 17, false, udp, 8);	/* :: for ND only */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	fr_ipv6(&f, 0, "::", 44, false, udp, 8);	/* a fragment */
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	/* An IPv4-only key: IPv6 from its link-local address alone. */
	as = as_new(t, "169.254.1.2");
	fr_ipv6(&f, 0, "2001:db8:1::5", 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	fr_ipv6(&f, 0, LL6, 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_ipv6(&f, 0, "fe80::216:3eff:fe01:2", 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	/* fe80::/64 in the key: any link-local source. */
	as = as_new(t, "fe80::/64");
	fr_ipv6(&f, 0, "fe80::99", 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	/* No key: any source. */
	as = as_new(t, NULL);
	fr_ipv6(&f, 0, "2001:db8:2::5", 17, false, udp, 8);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
}

static void
t_ndp(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "2001:db8::2");
	struct fr f;

	/* DAD (RFC 4862): from ::, no option, about an address it may use. */
	fr_nd(&f, "::", 135, LL6, 0, NULL, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, "::", 135, "2001:db8::2", 0, NULL, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, "::", 135, "2001:db8::3", 0, NULL, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_TARGET);
	/* A solicitation asks about anyone; its own SLLA must be its MAC. */
	fr_nd(&f, LL6, 135, "fe80::1", 1, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, LL6, 135, "fe80::1", 1, forged, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_LLADDR);
	fr_nd(&f, "fe80::99", 135, "fe80::1", 1, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	/* An advertisement: its own target, its own TLLA. */
	fr_nd(&f, LL6, 136, "2001:db8::2", 2, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, LL6, 136, LL6, 2, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, LL6, 136, "2001:db8::1", 2, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_TARGET);
	fr_nd(&f, LL6, 136, "2001:db8::2", 2, forged, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_LLADDR);
	fr_nd(&f, LL6, 136, "2001:db8::2", 0, NULL, 0);	/* no option */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	T_EQ(t, antispoof_rule(ANTISPOOF_ND_LLADDR), ANTISPOOF_RULE_MAC);
	T_EQ(t, antispoof_rule(ANTISPOOF_ND_TARGET), ANTISPOOF_RULE_IP);
	/* Options that receivers drop, or that are not Ethernet's. */
	fr_nd(&f, LL6, 136, "2001:db8::2", 2, mac, 0);	/* length 0 */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_nd(&f, LL6, 136, "2001:db8::2", 2, mac, 2);	/* 16 bytes */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_nd(&f, LL6, 136, "2001:db8::2", 2, mac, 1);
	f.b[f.len - 7] = 3;		/* says 24 bytes, 8 are left */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_nd(&f, LL6, 136, "2001:db8::2", 3, mac, 0);	/* any type: 0 */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	/* Messages shorter than their fixed part, the IPv6 length agreeing. */
	fr_ipv6(&f, 0, LL6, 58, false, (uint8_t[20]){ 136 }, 20);
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_ipv6(&f, 0, LL6, 58, false, (uint8_t[12]){ 134 }, 12);
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_ipv6(&f, 0, LL6, 58, false, (uint8_t[3]){ 128 }, 3);
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_ipv6(&f, 0, LL6, 58, false, (uint8_t[4]){ 128 }, 4);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	/* Router solicitation, from :: or from it; RA from it. */
	fr_nd(&f, "::", 133, NULL, 0, NULL, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, LL6, 133, NULL, 1, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, LL6, 133, NULL, 1, forged, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_LLADDR);
	fr_nd(&f, LL6, 134, NULL, 1, forged, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_LLADDR);
	/* No ip key: the target is not held, the options are. */
	as = as_new(t, NULL);
	fr_nd(&f, "fe80::99", 136, "fe80::99", 2, mac, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_nd(&f, "fe80::99", 136, "fe80::99", 2, forged, 1);
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_LLADDR);
}

static void
t_mld_and_exthdrs(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2");
	uint8_t m[28] = { 143 };
	uint8_t echo[8] = { 128 };
	struct fr f;

	/* MLD reports from :: (RFC 3590), behind hop-by-hop: fine. */
	fr_ipv6(&f, 0, "::", 58, true, m, sizeof(m));
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	m[0] = 131;
	fr_ipv6(&f, 0, "::", 58, true, m, sizeof(m));
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	m[0] = 132;			/* a done message is not */
	fr_ipv6(&f, 0, "::", 58, true, m, sizeof(m));
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	fr_ipv6(&f, 0, "::", 58, false, echo, sizeof(echo));
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	/* An NA behind hop-by-hop is still looked into. */
	fr_nd(&f, LL6, 136, "fe80::1", 2, mac, 1);
	memmove(f.b + 14 + 48, f.b + 14 + 40, f.len - 54);
	memcpy(f.b + 14 + 40, (uint8_t[8]){ 58, 0, 1, 4, 0, 0, 0, 0 }, 8);
	f.b[14 + 6] = 0;
	f.b[14 + 5] += 8;
	f.len += 8;
	T_EQ(t, chk(as, &f), ANTISPOOF_ND_TARGET);
	/* A hop-by-hop header that runs past the payload; and nine. */
	fr_ipv6(&f, 0, LL6, 58, true, echo, sizeof(echo));
	f.b[14 + 41] = 4;		/* 40 bytes, 16 are there */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	{
		uint8_t nine[9 * 8];
		unsigned int i;

		memset(nine, 0, sizeof(nine));
		for (i = 0; i < 9; i++)
			nine[i * 8] = i < 8 ? 60 : 59;
		fr_ipv6(&f, 0, LL6, 60, false, nine, sizeof(nine));
		T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
		nine[7 * 8] = 59;	/* eight: walked */
		fr_ipv6(&f, 0, LL6, 60, false, nine, sizeof(nine));
		T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	}
}

static void
t_vlan(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2");
	struct fr f;

	fr_udp4(&f, 1, "169.254.1.2", 1, 2, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 1, "169.254.1.9", 1, 2, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 2, "169.254.1.2", 1, 2, 0);		/* QinQ */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_udp4(&f, 2, "169.254.1.9", 1, 2, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	f.b[12] = 0x88;		/* 802.1ad outside */
	f.b[13] = 0xa8;
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_udp4(&f, 3, "169.254.1.2", 1, 2, 0);		/* a third tag */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	fr_udp4(&f, 1, "169.254.1.2", 1, 2, 0);
	memcpy(f.b + 6, forged, 6);
	T_EQ(t, chk(as, &f), ANTISPOOF_ETH_SRC);
	/* A tag and nothing after it. */
	fr_eth(&f, mac, 0, 0x8100);
	fr_u8(&f, 0);
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
}

/* Every strict prefix of a good frame: malformed, nothing read past it. */
/*
 * f, a DIX frame without tags, made IEEE 802.3 with LLC/SNAP of OUI
 * oui: the 802.3 length where the EtherType was, then AA AA 03, the OUI
 * and the EtherType.
 */
static void
fr_snap(struct fr *f, const uint8_t oui[3])
{
	struct fr d = *f;

	f->len = 12;
	fr_u16(f, (uint16_t)(d.len - 14 + 8));
	fr_put(f, (const uint8_t[]){ 0xaa, 0xaa, 0x03 }, 3);
	fr_put(f, oui, 3);
	fr_put(f, d.b + 12, d.len - 12);
}

static void
t_snap(struct t_ctx *t)
{
	static const uint8_t rfc1042[3] = { 0, 0, 0 }, h8021[3] = { 0, 0, 0xf8 },
	    cisco[3] = { 0, 0, 0x0c };
	const struct antispoof *as = as_new(t, "169.254.1.2");
	struct fr f, g;
	size_t len;

	/* IP and ARP in SNAP are held to the same rules as in DIX. */
	fr_arp(&f, 1, 2, mac, "169.254.1.1");		/* poisoning */
	fr_snap(&f, rfc1042);
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SPA);
	fr_arp(&f, 1, 2, mac, "169.254.1.1");
	fr_snap(&f, h8021);
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SPA);
	fr_arp(&f, 1, 2, forged, "169.254.1.2");
	fr_snap(&f, rfc1042);
	T_EQ(t, chk(as, &f), ANTISPOOF_ARP_SHA);
	fr_udp4(&f, 0, "169.254.9.9", 1, 2, 0);
	fr_snap(&f, rfc1042);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP4_SRC);
	fr_ipv6(&f, 0, "2001:db8::66", 17, false,
	    (const uint8_t[8]){ 0, 1, 0, 2, 0, 8, 0, 0 }, 8);
	fr_snap(&f, rfc1042);
	T_EQ(t, chk(as, &f), ANTISPOOF_IP6_SRC);
	fr_udp4(&f, 0, "169.254.1.2", 1, 2, 0);
	fr_snap(&f, rfc1042);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	/* Cut inside what SNAP carries: malformed, never read past. */
	fr_arp(&g, 1, 2, mac, "169.254.1.2");
	fr_snap(&g, rfc1042);
	T_EQ(t, chk(as, &g), ANTISPOOF_OK);
	for (len = 22; len < g.len; len++) {
		f = g;
		f.len = len;
		if (!T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED))
			t_check(t, false, __FILE__, __LINE__, "cut to %zu", len);
	}
	/* Another OUI's protocol, or LLC without SNAP (spanning tree):
	 * no address the ip key speaks of; the source MAC still is. */
	fr_arp(&f, 1, 2, mac, "169.254.1.1");
	fr_snap(&f, cisco);
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	fr_arp(&f, 1, 2, mac, "169.254.1.1");
	fr_snap(&f, rfc1042);
	f.b[14] = f.b[15] = 0x42;			/* STP's SAPs */
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	memcpy(f.b + 6, forged, 6);
	T_EQ(t, chk(as, &f), ANTISPOOF_ETH_SRC);
}

static void
t_truncated(struct t_ctx *t)
{
	const struct antispoof *as = as_new(t, "169.254.1.2 2001:db8::2");
	static const uint8_t udp[8] = { 0, 1, 0, 2, 0, 8, 0, 0 };
	struct fr good[8], f;
	unsigned int i, n = 0;
	size_t len;

	fr_udp4(&good[n++], 0, "169.254.1.2", 1, 2, 0);
	fr_dhcp4(&good[n++], 1, "0.0.0.0", 0, 1, 6, mac);
	fr_arp(&good[n++], 1, 2, mac, "169.254.1.2");
	fr_ipv6(&good[n++], 2, "2001:db8::2", 17, false, udp, 8);
	fr_nd(&good[n++], LL6, 136, "2001:db8::2", 2, mac, 1);
	fr_nd(&good[n++], "::", 135, "2001:db8::2", 0, NULL, 0);
	fr_ipv6(&good[n++], 0, "::", 58, true, (uint8_t[28]){ 143 }, 28);
	for (i = 0; i < n; i++) {
		if (!T_EQ(t, chk(as, &good[i]), ANTISPOOF_OK))
			continue;
		for (len = 0; len < good[i].len; len++) {
			f = good[i];
			f.len = len;
			if (!T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED))
				t_check(t, false, __FILE__, __LINE__,
				    "frame %u cut to %zu", i, len);
		}
	}
	/* IPv4 headers that lie. */
	fr_udp4(&f, 0, "169.254.1.2", 1, 2, 0);
	f.b[14] = 0x44;			/* IHL 4 */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	f.b[14] = 0x65;			/* version 6 */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	f.b[14] = 0x4f;			/* IHL 15: 60 bytes, 28 there */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	f.b[14] = 0x45;
	f.b[17] = 19;			/* total length under the header */
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	f.b[17] = 28;
	T_EQ(t, chk(as, &f), ANTISPOOF_OK);
	/* Version 4 inside an IPv6 EtherType. */
	fr_ipv6(&f, 0, "2001:db8::2", 17, false, udp, 8);
	f.b[14] = 0x40;
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
	T_EQ(t, antispoof_rule(ANTISPOOF_MALFORMED), ANTISPOOF_RULE_MALFORMED);
	/* Even with no ip key, what cannot be read is not passed. */
	as = as_new(t, NULL);
	fr_udp4(&f, 0, "169.254.1.2", 1, 2, 0);
	f.len = 20;
	T_EQ(t, chk(as, &f), ANTISPOOF_MALFORMED);
}

static void
t_why(struct t_ctx *t)
{
	int v;

	for (v = ANTISPOOF_OK; v <= ANTISPOOF_MALFORMED; v++)
		T_TRUE(t, antispoof_why((enum antispoof_verdict)v) != NULL &&
		    antispoof_why((enum antispoof_verdict)v)[0] != '\0');
	T_STREQ(t, antispoof_why(ANTISPOOF_IP4_SRC),
	    "IPv4 source is not in the ip key");
}

const struct t_case t_cases[] = {
	{ "ip key: addresses, prefixes, blanks, host bits", t_parse },
	{ "ip key: bad words refused and named, 64 at most", t_parse_bad },
	{ "ip key: the nets as enforced, for show", t_format },
	{ "mac: Ethernet source, any EtherType, with or without ip",
	    t_mac_rule },
	{ "ipv4: listed addresses and prefixes only", t_ipv4 },
	{ "ipv4: 0.0.0.0 for DHCP 68 -> 67 only, unfragmented", t_dhcp },
	{ "arp: sender MAC and address, probes from 0.0.0.0", t_arp },
	{ "ipv6: listed, the MAC's link-local, fe80::/64, no key",
	    t_ipv6 },
	{ "ndp: DAD, NS/NA/RS/RA options and targets", t_ndp },
	{ "ipv6: MLD from ::, extension headers walked and bounded",
	    t_mld_and_exthdrs },
	{ "vlan: tags walked, the inner frame checked, a third refused",
	    t_vlan },
	{ "802.3 LLC/SNAP: IP, ARP and IPv6 in it held to the same rules",
	    t_snap },
	{ "truncated and lying headers: malformed, never read past",
	    t_truncated },
	{ "reasons", t_why },
	{ NULL, NULL }
};
