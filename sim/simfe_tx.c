/*
 * simfe_tx.c -- guest TX of the simulated netfront, as Linux
 * xen-netfront's: TX ids and their pages and grants, each frame from a
 * queue's eth0 fd into slots (xennet_start_xmit; where the bytes lie is
 * simfe_skb.c's), and the responses that free them (xennet_tx_buf_gc).
 * The rings themselves, guest RX and the connection are simfe_ring.c's.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"
#include "simfe.h"

/* -- TX ids -- */

int
simfe_txid_get(struct simfe_queue *q)
{
	unsigned int id;

	if (q->sq_ntxfree == 0)
		return -1;
	id = q->sq_txfree[--q->sq_ntxfree];
	memset(&q->sq_txid[id], 0, sizeof(q->sq_txid[id]));
	q->sq_txid[id].ti_busy = true;
	return (int)id;
}

void
simfe_txid_put(struct simfe_queue *q, unsigned int id)
{
	q->sq_txid[id].ti_busy = false;
	q->sq_txid[id].ti_granted = false;
	q->sq_txid[id].ti_inring = false;
	q->sq_txfree[q->sq_ntxfree++] = (uint16_t)id;
}

/* Ring slots we may fill now: free ring entries and free ids both. */
static unsigned int
simfe_tx_room(const struct simfe_queue *q)
{
	RING_IDX used = q->sq_tx.req_prod_pvt - q->sq_tx.rsp_cons;
	/* More than a ring's worth: a producer a misbehaviour broke. */
	unsigned int ring = used >= XVIF_TX_RING_SIZE ? 0 :
	    XVIF_TX_RING_SIZE - used;

	return ring < q->sq_ntxfree ? ring : q->sq_ntxfree;
}

/* Queue one request in the next ring slot (not pushed). */
void
simfe_tx_req(struct simfe_queue *q, unsigned int id, grant_ref_t ref,
    uint16_t off, uint16_t size, uint16_t flags)
{
	netif_tx_request_t *req;

	req = RING_GET_REQUEST(&q->sq_tx, q->sq_tx.req_prod_pvt);
	req->id = (uint16_t)id;
	req->gref = ref;
	req->offset = off;
	req->size = size;
	req->flags = flags;
	q->sq_tx.req_prod_pvt++;
	q->sq_txid[id].ti_inring = true;
}

void
simfe_tx_push(struct simfe_queue *q)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->sq_tx, notify);
	if (notify)
		simfe_notify(q, false);
}

/*
 * One guest TX frame into the data slots sl[0..n) (simfe_skb.c), like
 * xennet_start_xmit: each slot's bytes copied to its id's page at its
 * offset; the first slot carries the total size and flags0, later ones
 * their own size; NETTXF_more_data chains them.  With gso, its extra
 * takes the ring slot right after the first (it has no id and gets a
 * NETIF_RSP_NULL response) and the first is marked NETTXF_extra_info.
 * Returns the data slot count, or -errno with nothing queued.
 */
int
simfe_tx_queue(struct simfe_queue *q, const uint8_t *frame, size_t len,
    const struct simfe_slot *sl, unsigned int n, bool mb, uint16_t flags0,
    const struct netif_extra_info *gso)
{
	struct simfe *sf = q->sq_sf;
	unsigned int nex = gso != NULL ? 1 : 0, i, id;
	uint16_t ids[SIMFE_TX_MAX_SLOTS + 3], fl;
	RING_IDX start = q->sq_tx.req_prod_pvt;
	struct netif_extra_info *ex;
	size_t done = 0;
	int rc;

	if (n == 0 || n > SIMFE_TX_MAX_SLOTS + 3 || n > q->sq_ntxfree ||
	    n + nex > XVIF_TX_RING_SIZE - (start - q->sq_tx.rsp_cons))
		return -ENOSPC;
	for (i = 0; i < n; done += sl[i].ss_len, i++) {
		id = (unsigned int)simfe_txid_get(q);
		ids[i] = (uint16_t)id;
		memcpy((uint8_t *)simfe_page(q, SIMFE_GFN_TX + id) +
		    sl[i].ss_off, frame + done, sl[i].ss_len);
		rc = hvsim_grant(sf->sf_hv, simfe_txref(q, id), sf->sf_beid,
		    q->sq_base + SIMFE_GFN_TX + id, true);
		if (rc < 0) {
			simfe_txid_put(q, id);
			while (i-- > 0) {
				(void)simfe_end(q, simfe_txref(q, ids[i]));
				simfe_txid_put(q, ids[i]);
			}
			q->sq_tx.req_prod_pvt = start;	/* never pushed */
			return rc;
		}
		q->sq_txid[id].ti_granted = true;
		q->sq_txid[id].ti_seq = q->sq_txseq + 1;
		q->sq_txid[id].ti_mb = mb;
		fl = i + 1 < n ? NETTXF_more_data : 0;
		if (i == 0)
			fl |= flags0 | (gso != NULL ? NETTXF_extra_info : 0);
		simfe_tx_req(q, id, simfe_txref(q, id), sl[i].ss_off,
		    (uint16_t)(i == 0 ? len : sl[i].ss_len), fl);
		if (i == 0 && gso != NULL) {
			ex = (struct netif_extra_info *)RING_GET_REQUEST(
			    &q->sq_tx, q->sq_tx.req_prod_pvt);
			memset(ex, 0, sizeof(netif_tx_request_t));
			ex->type = gso->type;
			ex->flags = 0;
			ex->u.gso = gso->u.gso;
			q->sq_tx.req_prod_pvt++;
		}
	}
	q->sq_txseq++;
	simfe_tx_push(q);
	sf->sf_cnt.c_tx_frames++;
	sf->sf_cnt.c_tx_bytes += len;
	q->sq_tx_frames++;
	return (int)n;
}

/* The same in chunks at offset 0, without offloads, for simfe_mb.c. */
int
simfe_tx_frame(struct simfe_queue *q, const uint8_t *frame, size_t len,
    unsigned int chunk, bool mb)
{
	struct simfe_slot sl[SIMFE_TX_MAX_SLOTS + 3];
	unsigned int n;

	n = simfe_skb_chunks(len, chunk, sl, SIMFE_TX_MAX_SLOTS + 3);
	if (n > SIMFE_TX_MAX_SLOTS + 3)
		return -ENOSPC;
	return simfe_tx_queue(q, frame, len, sl, n, mb, 0, NULL);
}

/* Can a frame of the most slots go out now (netfront_tx_slot_available)? */
bool
simfe_tx_can_take(const struct simfe_queue *q)
{
	return simfe_tx_room(q) >= SIMFE_TX_NEED;
}

/*
 * Queue q's eth0 fd is readable: its frames to its TX ring until the
 * ring is full or the fd empty (the kernel picked the queue for us, as
 * xennet_select_queue would by the flow's hash).
 */
void
simfe_tap_input(struct simfe_queue *q)
{
	struct simfe *sf = q->sq_sf;
	struct simfe_slot sl[SIMFE_TX_MAX_SLOTS];
	struct netif_extra_info gso;
	struct virtio_net_hdr vh;
	unsigned int budget = 64, n;
	uint16_t flags;
	ssize_t len;

	while (budget-- > 0) {
		if (!sf->sf_up || q->sq_id >= sf->sf_nq ||
		    !simfe_tx_can_take(q)) {
			/* Linux: netif_tx_stop_queue until tx_buf_gc frees. */
			simfe_tap_flow(q, false);
			return;
		}
		if ((len = hp_recv(q->sq_hp, &vh, sf->sf_buf,
		    sizeof(sf->sf_buf))) <= 0)
			return;
		/*
		 * The wire format's limit (xennet_start_xmit); without SG at
		 * the backend, one slot of one page at most.
		 */
		if (len > XEN_NETIF_MAX_TX_SIZE || len < PROTO_ETH_HLEN ||
		    (!sf->sf_be_sg && len > (ssize_t)XVIF_PAGE_SIZE) ||
		    simfe_tx_offload(sf, &vh, sf->sf_buf, (size_t)len, &flags,
		    &gso) != NULL) {
			sf->sf_cnt.c_tx_errors++;
			continue;
		}
		/* tun's hdr_len is a superframe's skb_headlen. */
		n = simfe_skb_layout((size_t)len, vh.hdr_len,
		    simfe_skb_offset(&q->sq_skb_state),
		    simfe_skb_offset(&q->sq_skb_state), sf->sf_be_sg, sl);
		if (simfe_tx_queue(q, sf->sf_buf, (size_t)len, sl, n, false,
		    flags, gso.type != 0 ? &gso : NULL) < 0) {
			sf->sf_cnt.c_tx_errors++;
			continue;
		}
		if (flags & NETTXF_csum_blank)
			sf->sf_cnt.c_tx_csum_blank++;
		if (gso.type != 0)
			sf->sf_cnt.c_tx_gso++;
	}
}

/* Untrusted: TX responses (xennet_tx_buf_gc). */
void
simfe_tx_gc(struct simfe_queue *q)
{
	struct simfe *sf = q->sq_sf;
	netif_tx_response_t rsp;
	struct simfe_txid *ti;
	RING_IDX cons, prod;
	int more;

	do {
		prod = q->sq_tx.sring->rsp_prod;
		xen_rmb();
		if (prod - q->sq_tx.rsp_cons >
		    q->sq_tx.req_prod_pvt - q->sq_tx.rsp_cons) {
			if (sf->sf_mb == SIMFE_MB_RX_POST_STORM)
				return;		/* our own doing */
			simfe_violation(q, "tx rsp_prod %u past our requests; "
			    "ignored", prod);
			return;
		}
		for (cons = q->sq_tx.rsp_cons; cons != prod; cons++) {
			rsp = *RING_GET_RESPONSE(&q->sq_tx, cons);
			if (rsp.status == NETIF_RSP_NULL)
				continue;	/* an extra's */
			if (rsp.id >= XVIF_TX_RING_SIZE ||
			    !q->sq_txid[rsp.id].ti_inring) {
				simfe_violation(q, "tx response for id %u not "
				    "in flight", rsp.id);
				continue;
			}
			ti = &q->sq_txid[rsp.id];
			ti->ti_inring = false;
			if (rsp.status != NETIF_RSP_OKAY &&
			    ti->ti_seq != q->sq_txerrseq) {
				q->sq_txerrseq = ti->ti_seq;
				sf->sf_cnt.c_tx_errors++;
			}
			if (ti->ti_mb)
				simfe_mb_answer(sf, rsp.status);
			if (ti->ti_granted &&
			    !simfe_end(q, simfe_txref(q, rsp.id))) {
				sf->sf_ungc++;	/* retried by the gc */
				continue;
			}
			simfe_txid_put(q, rsp.id);
		}
		q->sq_tx.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&q->sq_tx, more);
	} while (more);
	if (!q->sq_tap_reading && simfe_tx_can_take(q))
		simfe_tap_flow(q, true);
}
