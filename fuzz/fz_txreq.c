/*
 * fz_txreq.c -- libFuzzer target: a hostile guest's TX ring.  The input
 * is a ring's worth of requests (12 bytes each) and the producer index;
 * proto_tx_parse must consume every packet without reading past prod,
 * fetch each request at most once, and never account more bytes than the
 * slots hold; frames it accepts then go through the checksum fill.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

struct fz_ring {
	netif_tx_request_t	r[XVIF_TX_RING_SIZE];
	uint8_t			fetched[XVIF_TX_RING_SIZE];
	RING_IDX		prod;
};

static void
fz_fetch(void *arg, RING_IDX idx, netif_tx_request_t *out)
{
	struct fz_ring *f = arg;

	assert(idx - 0u < f->prod);		/* never at or past prod */
	assert(f->fetched[idx % XVIF_TX_RING_SIZE]++ == 0);	/* once */
	*out = f->r[idx % XVIF_TX_RING_SIZE];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[65535];
	struct fz_ring f;
	struct proto_txpkt pk;
	RING_IDX cons = 0;
	unsigned int features;

	if (size < 2)
		return 0;
	memset(&f, 0, sizeof(f));
	features = data[0] & 1 ? PROTO_TXF_GSO : 0;
	data++, size--;
	f.prod = (RING_IDX)(size / sizeof(netif_tx_request_t));
	if (f.prod > XVIF_TX_RING_SIZE)
		f.prod = XVIF_TX_RING_SIZE;
	memcpy(f.r, data, f.prod * sizeof(netif_tx_request_t));
	while (cons != f.prod) {
		enum proto_verdict v = proto_tx_parse(fz_fetch, &f, cons, f.prod,
		    features, &pk);
		assert(pk.pk_consumed >= 1 && pk.pk_consumed <= f.prod - cons);
		if (v == PROTO_TX_FATAL) {
			assert(pk.pk_why != NULL);
			break;
		}
		assert(pk.pk_nslots <= PROTO_TX_DROP_SLOTS);
		/* Every ring slot used is one response: data + extras. */
		assert(pk.pk_consumed == pk.pk_nslots + pk.pk_nextras);
		if (v == PROTO_TX_OK) {
			uint32_t sum = pk.pk_len0;
			unsigned int i;

			assert(pk.pk_why == NULL && pk.pk_len >= PROTO_ETH_HLEN);
			assert(pk.pk_nslots <= PROTO_TX_MAX_SLOTS);
			assert(pk.pk_slot[0].offset + pk.pk_len0 <= XVIF_PAGE_SIZE);
			for (i = 1; i < pk.pk_nslots; i++) {
				assert(pk.pk_slot[i].offset + pk.pk_slot[i].size <=
				    XVIF_PAGE_SIZE);
				sum += pk.pk_slot[i].size;
			}
			assert(sum == pk.pk_len);	/* exactly the frame */
			/* The frame's bytes: the input again, as a guest would. */
			memset(frame, 0, pk.pk_len);
			memcpy(frame, data, size < pk.pk_len ? size : pk.pk_len);
			(void)proto_csum_fill(frame, pk.pk_len);
		} else
			assert(pk.pk_why != NULL);
		cons += pk.pk_consumed;
	}
	return 0;
}
