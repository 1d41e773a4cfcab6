/*
 * simfe_skb.c -- where a guest TX frame lies in the guest's pages, as a
 * Linux netfront slots an skb (xennet_start_xmit): the linear head at
 * whatever offset kmalloc gave it, then the page fragments at theirs,
 * each cut at every 4 KiB page boundary (xennet_make_first_txreq,
 * xennet_make_txreqs); a frame that would need more than 18 slots is
 * linearised first (skb_linearize: one run).  So a backend meets small
 * first slots (never under an Ethernet header), a head split across two
 * pages, offsets anywhere and frames of 17 and 18 slots, which whole
 * pages at offset 0 never showed.
 * No I/O, no state: simfe_tx.c draws the offsets.
 */
#include <assert.h>

#include "proto.h"
#include "simfe.h"

/* Slots [off, off + len) takes, cut at page boundaries. */
static unsigned int
simfe_skb_spans(uint32_t off, size_t len)
{
	return len == 0 ? 0 :
	    (unsigned int)((off + len + XVIF_PAGE_SIZE - 1) / XVIF_PAGE_SIZE);
}

static unsigned int
simfe_skb_cut(struct simfe_slot *sl, unsigned int n, uint32_t off,
    size_t len)
{
	size_t sz;

	while (len > 0) {
		sz = XVIF_PAGE_SIZE - off;
		if (sz > len)
			sz = len;
		sl[n].ss_off = (uint16_t)off;
		sl[n].ss_len = (uint16_t)sz;
		n++;
		len -= sz;
		off = 0;
	}
	return n;
}

/*
 * A frame of len bytes whose first head bytes are the skb's linear part
 * (tun's hdr_len: a superframe's headers; 0, less than an Ethernet
 * header or more than len: all of it), the head at page offset hoff, the
 * fragments from foff.  Without sg (the backend did not offer
 * feature-sg: the frame is at most a page) it is one slot, moved back
 * into its page if it would cross.  Fills sl
 * (SIMFE_TX_MAX_SLOTS at least); returns the slot count.
 */
unsigned int
simfe_skb_layout(size_t len, size_t head, uint32_t hoff, uint32_t foff,
    bool sg, struct simfe_slot *sl)
{
	unsigned int n;

	assert(len > 0 && len <= XEN_NETIF_MAX_TX_SIZE);
	hoff %= XVIF_PAGE_SIZE;
	foff %= XVIF_PAGE_SIZE;
	if (!sg) {
		assert(len <= XVIF_PAGE_SIZE);
		if (hoff + len > XVIF_PAGE_SIZE)
			hoff = (uint32_t)(XVIF_PAGE_SIZE - len);
		return simfe_skb_cut(sl, 0, hoff, len);
	}
	/* The stack pushes the Ethernet header into the head (eth_header). */
	if (head < PROTO_ETH_HLEN || head > len)
		head = len;
	/*
	 * A first slot shorter than an Ethernet header, which netback
	 * would drop: Linux copies such an skb (skb_copy, linear) and
	 * sends the copy -- here from the fragments' offset, aligned to a
	 * cache line as kmalloc's buffers are.
	 */
	if (XVIF_PAGE_SIZE - hoff < PROTO_ETH_HLEN) {
		hoff = foff & ~63u;
		head = len;
	}
	if (simfe_skb_spans(hoff, head) + simfe_skb_spans(foff, len - head) >
	    SIMFE_TX_MAX_SLOTS)
		head = len;	/* linearised: 17 slots at most */
	n = simfe_skb_cut(sl, 0, hoff, head);
	n = simfe_skb_cut(sl, n, foff, len - head);
	assert(n <= SIMFE_TX_MAX_SLOTS);
	return n;
}

/* len bytes in slots of chunk bytes at offset 0 (the misbehaviours). */
unsigned int
simfe_skb_chunks(size_t len, unsigned int chunk, struct simfe_slot *sl,
    unsigned int max)
{
	unsigned int n = 0;
	size_t done;

	for (done = 0; done < len && n < max; done += chunk, n++) {
		sl[n].ss_off = 0;
		sl[n].ss_len = (uint16_t)(len - done < chunk ? len - done :
		    chunk);
	}
	return done < len ? max + 1 : n;
}

/*
 * The next page offset (xorshift32: every offset comes; the state is
 * never 0).
 */
uint32_t
simfe_skb_offset(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x % XVIF_PAGE_SIZE;
}

/*
 * A queue's first state: its domain, vif and queue mixed (a multiply
 * and xorshift rounds), so that queues and vifs draw apart.
 */
uint32_t
simfe_skb_seed(unsigned int domid, unsigned int devid, unsigned int qid)
{
	uint32_t x = (domid * 0x9e3779b1u) ^ (devid * 0x85ebca6bu) ^
	    (qid * 0xc2b2ae35u) ^ 0x27d4eb2fu;
	unsigned int i;

	if (x == 0)
		x = 1;
	for (i = 0; i < 4; i++)
		(void)simfe_skb_offset(&x);
	return x;
}
