/*
 * fz_antispoof.c -- libFuzzer target: anti-spoofing (antispoof.c), which
 * reads every guest TX frame when --antispoof is on, and parses the `ip`
 * key the toolstack writes.  Input: a length byte L, then L bytes of an
 * `ip` value (as text), then the frame, in a heap copy of exactly its
 * size so that ASan sees a read past it.  What must hold:
 * - the `ip` parser either accepts (at most ANTISPOOF_NETS_MAX nets, each
 *   prefix within its family) or names why and a printable bad word;
 * - the check is deterministic, gives a known verdict with a reason;
 * - without `ip` the IP rules never fire; with the frame's own MAC wrong
 *   only a MAC rule or malformed can say no;
 * - a frame allowed with a list stays allowed once every IPv4 and IPv6
 *   address is allowed too (0.0.0.0/0 and ::/0 added);
 * - what xvifctl show prints of the rules (antispoof_format_nets) parses
 *   back into the same rules, and fits or says how much it needed.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "antispoof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fz_mac[PROTO_ETH_ALEN] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };

/* The rules as show prints them parse back into the same rules. */
static void
fz_round_trip(const struct antispoof *as)
{
	char out[ANTISPOOF_NETS_MAX * 50], small[24], bad[64];
	struct antispoof back;
	size_t n;

	n = antispoof_format_nets(as, out, sizeof(out));
	assert(n == strlen(out) && n < sizeof(out));
	assert(antispoof_format_nets(as, small, sizeof(small)) == n);
	assert(strlen(small) < sizeof(small) &&
	    strncmp(out, small, strlen(small)) == 0);
	antispoof_init(&back, fz_mac);
	assert(antispoof_parse_ip(&back, out, bad, sizeof(bad)) == NULL);
	assert(antispoof_equal(as, &back));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct antispoof as, open_as, none;
	char ip[256 + 32], bad[64];
	enum antispoof_verdict v, v2;
	const char *why;
	uint8_t *f;
	size_t l, flen, i;

	if (size < 1 || size > 70000)
		return 0;
	l = data[0];
	if (1 + l > size)
		return 0;
	memcpy(ip, data + 1, l);
	ip[l] = '\0';
	flen = size - 1 - l;
	if ((f = malloc(flen ? flen : 1)) == NULL)
		return 0;
	memcpy(f, data + 1 + l, flen);

	antispoof_init(&as, fz_mac);
	bad[0] = '\0';
	why = strlen(ip) == l ? antispoof_parse_ip(&as, ip, bad, sizeof(bad)) :
	    "a NUL in the value";
	if (why != NULL) {
		assert(*why != '\0');
		for (i = 0; bad[i] != '\0'; i++)
			assert(bad[i] > ' ' && bad[i] < 0x7f);
		antispoof_init(&as, fz_mac);	/* a refused key: no list */
	}
	assert(as.as_nnets <= ANTISPOOF_NETS_MAX);
	for (i = 0; i < as.as_nnets; i++)
		assert(as.as_nets[i].an_plen <= (as.as_nets[i].an_v6 ? 128 : 32));
	fz_round_trip(&as);

	v = antispoof_check(&as, f, flen);
	assert(antispoof_check(&as, f, flen) == v);	/* no hidden state */
	assert(v <= ANTISPOOF_MALFORMED);
	assert(antispoof_why(v) != NULL && *antispoof_why(v) != '\0');
	(void)antispoof_rule(v);

	/* Without `ip`: only MAC rules and malformed frames say no. */
	antispoof_init(&none, fz_mac);
	v2 = antispoof_check(&none, f, flen);
	assert(v2 == ANTISPOOF_OK || antispoof_rule(v2) != ANTISPOOF_RULE_IP);

	/* Every address allowed: what passed still passes. */
	open_as = as;
	if (open_as.as_ip || why == NULL) {
		antispoof_init(&open_as, fz_mac);
		assert(antispoof_parse_ip(&open_as, "0.0.0.0/0 ::/0", bad,
		    sizeof(bad)) == NULL);
		v2 = antispoof_check(&open_as, f, flen);
		assert(v != ANTISPOOF_OK || v2 == ANTISPOOF_OK);
		assert(v2 == ANTISPOOF_OK || antispoof_rule(v2) != ANTISPOOF_RULE_IP);
	}
	free(f);
	return 0;
}
