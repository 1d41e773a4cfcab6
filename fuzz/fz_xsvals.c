/*
 * fz_xsvals.c -- libFuzzer target: values a toolstack or a guest writes
 * to XenStore and xvifd parses: MACs, numbers, interface names.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], again[PROTO_MAC_STRLEN];
	uint8_t mac[PROTO_ETH_ALEN], be[PROTO_ETH_ALEN];
	unsigned long v;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (proto_mac_parse(s, mac) == 0) {
		/* What parses formats back to the same address, lower case. */
		proto_mac_format(mac, again);
		assert(strcasecmp(again, s) == 0);
		proto_mac_backend(mac, be);
		assert(memcmp(be, mac, 3) == 0 && be[3] == (uint8_t)(mac[3] + 1));
	}
	if (proto_parse_uint(s, 65535, &v) == 0)
		assert(v <= 65535);
	if (proto_ifname_check(s) == NULL)
		assert(strlen(s) > 0 && strlen(s) < PROTO_IFNAMSIZ);
	return 0;
}
