/*
 * fz_csum.c -- libFuzzer target: the checksum fill on a frame a hostile
 * guest sent with NETTXF_csum_blank.  The input is the frame, handed over
 * in a heap copy of exactly its size, so ASan sees any read or write
 * outside it.  A refused frame must be left as it was; a filled one may
 * differ from the input in its two checksum bytes only, and must verify:
 * filling it again computes the same checksum and changes nothing.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f, *again;
	const char *why;
	size_t i, first = size;

	if (size > XEN_NETIF_MAX_TX_SIZE)	/* no guest frame is longer */
		return 0;
	/* malloc(0) may return NULL, which the fill would never touch. */
	f = malloc(size);
	again = malloc(size);
	assert(size == 0 || (f != NULL && again != NULL));
	if (size > 0)
		memcpy(f, data, size);
	why = proto_csum_fill(f, size);
	for (i = 0; i < size; i++) {
		if (f[i] == data[i])
			continue;
		assert(why == NULL);		/* refused: untouched */
		if (first == size)
			first = i;
		assert(i <= first + 1);		/* one 16-bit field */
	}
	if (why == NULL) {
		memcpy(again, f, size);
		assert(proto_csum_fill(again, size) == NULL);
		assert(memcmp(again, f, size) == 0);
	}
	free(again);
	free(f);
	return 0;
}
