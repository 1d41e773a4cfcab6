/*
 * fz_xsvals.c -- libFuzzer target: the values a toolstack or a guest
 * writes to XenStore and xvifd parses with the pure functions of proto.c.
 * The input is one value, given to every key at once, as xbus.c reads it:
 * into that key's buffer (-E2BIG if it does not fit, as hv_xs_read), NUL
 * terminated, then parsed with that key's limit.  Asserted, per key:
 *
 *   numbers (proto_parse_uint): accepted exactly when the value is
 *     decimal digits without a sign, blank or leading zero and at most the
 *     key's maximum; then it prints back the same and fits the field it
 *     goes to; such digits over the maximum are -ERANGE, the rest -EINVAL
 *     (or -ERANGE);
 *   mac (proto_mac_parse): accepted exactly when it is six hex pairs
 *     with colons, unicast, not all zero; prints back the same (lower
 *     case); the backend's MAC keeps the OUI and adds 1 to octet 3;
 *   vifname (proto_ifname_check): what is accepted is a name Linux takes
 *     that fits the vif's name field; what breaks no rule is accepted;
 *   the default names from any domid and handle xbus.c accepts are valid
 *     interface names and fit.
 *
 * Keys xbus.c parses inline (flags, online, state "4", hotplug-status,
 * frontend, watch paths and tokens) are not reached from here.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* The numbers xvifd reads, with xbus.c's maximum and buffer for each. */
static const struct fz_num {
	const char	*n_key;
	unsigned long	 n_max;
	size_t		 n_buf;
} fz_nums[] = {
	/* The toolstack's, in the backend directory. */
	{ "frontend-id", 65535, 32 },
	{ "mtu", 1000000, 32 },
	/* The guest's, in its frontend directory (Untrusted). */
	{ "state", XenbusStateReconfigured, 16 },
	{ "multi-queue-num-queues", 65535, 32 },
	{ "tx-ring-ref", UINT32_MAX, 32 },		/* grant_ref_t */
	{ "rx-ring-ref", UINT32_MAX, 32 },
	{ "event-channel", UINT32_MAX - 1, 32 },	/* evtchn_port_t */
	/* Directory names: backend/vif/<domid>/<handle>. */
	{ "<domid>", DOMID_FIRST_RESERVED - 1, 64 },
	{ "<handle>", 65535, 64 },
};

/* hv_xs_read(): the value if it fits len with its NUL, else -E2BIG. */
static int
fz_read(const uint8_t *v, size_t n, char *buf, size_t len)
{
	if (n >= len)
		return -E2BIG;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return (int)n;
}

static void
fz_num(const struct fz_num *k, const char *s)
{
	unsigned long long want;
	unsigned long v = 12345;
	char again[32];
	bool digits;
	int rc;

	rc = proto_parse_uint(s, k->n_max, &v);
	digits = s[0] != '\0' && strspn(s, "0123456789") == strlen(s) &&
	    (s[0] != '0' || s[1] == '\0');
	if (!digits) {		/* -ERANGE if digits before the junk overflow */
		assert(rc == -EINVAL || rc == -ERANGE);
		return;
	}
	errno = 0;
	want = strtoull(s, NULL, 10);
	if (errno == ERANGE || want > k->n_max) {
		assert(rc == -ERANGE);
		return;
	}
	assert(rc == 0 && v == want && v <= k->n_max);
	snprintf(again, sizeof(again), "%lu", v);
	assert(strcmp(again, s) == 0);
	assert(v <= UINT32_MAX);	/* every field is 32 bits or fewer */
}

static bool
fz_hexpair(const char *s)
{
	return strchr("0123456789abcdefABCDEF", s[0]) != NULL && s[0] != '\0' &&
	    strchr("0123456789abcdefABCDEF", s[1]) != NULL && s[1] != '\0';
}

static void
fz_mac(const char *s)
{
	uint8_t mac[PROTO_ETH_ALEN], be[PROTO_ETH_ALEN];
	char again[PROTO_MAC_STRLEN];
	bool form = strlen(s) == PROTO_MAC_STRLEN - 1;
	int rc;
	unsigned int i;

	for (i = 0; form && i < PROTO_ETH_ALEN; i++)
		form = fz_hexpair(s + 3 * i) &&
		    (i == PROTO_ETH_ALEN - 1 || s[3 * i + 2] == ':');
	if (proto_mac_parse(s, mac) < 0) {
		/* Refused: not the form, multicast, or all zero. */
		assert(!form || (strtoul(s, NULL, 16) & 1) ||
		    strspn(s, "0:") == strlen(s));
		return;
	}
	assert(form);
	assert(!(mac[0] & 1));
	assert((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0);
	proto_mac_format(mac, again);
	assert(strcasecmp(again, s) == 0);
	rc = proto_mac_backend(mac, be);
	assert(memcmp(be, mac, 3) == 0 && be[3] == (uint8_t)(mac[3] + 1) &&
	    memcmp(be + 4, mac + 4, 2) == 0);
	/* Refused exactly when the rule gives all zeros. */
	assert((rc < 0) == ((be[0] | be[1] | be[2] | be[3] | be[4] |
	    be[5]) == 0));
}

static void
fz_ifname(const char *s)
{
	size_t n = strlen(s), i;
	bool ok = n > 0 && n < PROTO_IFNAMSIZ && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
	bool high = false;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '/' || ch == ':' || ch <= ' ' || ch == 0x7f)
			ok = false;
		high |= ch >= 0x80;
	}
	if (proto_ifname_check(s) == NULL) {
		assert(ok);
		assert(n + 1 <= PROTO_IFNAMSIZ);	/* xbus.c copies it */
	} else
		/* XXX: bytes >= 0x80 are refused where char is signed. */
		assert(!ok || high);
}

/* The names xvifd makes itself from a domid and handle it accepted. */
static void
fz_default_name(unsigned long domid, unsigned long handle)
{
	char name[PROTO_IFNAMSIZ], first[PROTO_IFNAMSIZ];
	int n;

	assert(proto_ifname_default(name, sizeof(name), (unsigned int)domid,
	    (unsigned int)handle) == 0);
	assert(proto_ifname_check(name) == NULL);
	/* xbus_first_name(): libxl's vif<D>.<H> before the script renames. */
	n = snprintf(first, sizeof(first), "vif%lu.%lu", domid, handle);
	assert(n > 0 && (size_t)n < sizeof(first));
	assert(proto_ifname_check(first) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[1024];
	unsigned long v;
	size_t i;

	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	for (i = 0; i < sizeof(fz_nums) / sizeof(fz_nums[0]); i++)
		if (fz_read(data, size, buf, fz_nums[i].n_buf) >= 0)
			fz_num(&fz_nums[i], buf);
	if (fz_read(data, size, buf, 64) >= 0)		/* xbus_read_mac() */
		fz_mac(buf);
	if (fz_read(data, size, buf, 64) > 0)		/* xbus_read_name() */
		fz_ifname(buf);
	fz_read(data, size, buf, sizeof(buf));
	if (proto_parse_uint(buf, DOMID_FIRST_RESERVED - 1, &v) == 0)
		fz_default_name(v, 65535);
	if (proto_parse_uint(buf, 65535, &v) == 0)
		fz_default_name(DOMID_FIRST_RESERVED - 1, v);
	return 0;
}
