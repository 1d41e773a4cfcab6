/*
 * simfe_ring.c -- the data path of the simulated netfront: the TX and RX
 * front rings of each queue, their pages and grants in the guest's memory
 * (a partition per queue, see simfe.h), the event channels, and the
 * ring side of --misbehave.  Follows Linux xen-netfront:
 * xennet_alloc_rx_buffers and xennet_poll for guest RX, setup_netfront for
 * each queue's rings and channels; guest TX is simfe_tx.c's.  Does not
 * own XenStore or the state machine (simfe_xs.c); it reports what it
 * does on stdout only for --misbehave.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "proto.h"
#include "simfe.h"

void *
simfe_page(struct simfe_queue *q, uint32_t off)
{
	return hvsim_page(q->sq_sf->sf_hv, q->sq_base + off);
}

grant_ref_t
simfe_txref(const struct simfe_queue *q, unsigned int id)
{
	return q->sq_base + SIMFE_REF_TX + id;
}

grant_ref_t
simfe_rxref(const struct simfe_queue *q, unsigned int id)
{
	return q->sq_base + SIMFE_REF_RX + id;
}

/*
 * End a grant the backend may still hold: hvsim_grant_end() says -EBUSY
 * while a copy runs through it (gnttab_end_foreign_access_ref).  true if
 * it is over.
 */
bool
simfe_end(struct simfe_queue *q, grant_ref_t ref)
{
	int rc = hvsim_grant_end(q->sq_sf->sf_hv, ref);

	return rc != -EBUSY;
}

/* -- Guest RX -- */

/*
 * Keep every RX slot posted (xennet_alloc_rx_buffers): id = slot index,
 * the page granted writable to the backend.  A slot whose previous grant
 * could not be ended yet stops the posting until simfe_ring_gc.
 */
static void
simfe_rx_post(struct simfe_queue *q)
{
	struct simfe *sf = q->sq_sf;
	RING_IDX from = q->sq_rx.req_prod_pvt;
	netif_rx_request_t *req;
	unsigned int id;
	int notify, rc;

	if (!sf->sf_up || q->sq_id >= sf->sf_nq ||
	    sf->sf_mb == SIMFE_MB_NO_RX_SLOTS || sf->sf_starved)
		return;
	/* --rx-slots: a slow guest, a few slots a millisecond at most. */
	if (sf->sf_rx_slots != 0) {
		if (ev_now_ms() == q->sq_rx_post_ms) {
			ev_timer_arm(sf->sf_ev, &sf->sf_slow, 1);
			return;
		}
		q->sq_rx_post_ms = ev_now_ms();
	}
	/* rx-post-storm: one slot at a time (a frame of two waits for ever) */
	while (q->sq_rx.req_prod_pvt - q->sq_rx.rsp_cons <
	    (sf->sf_mb == SIMFE_MB_RX_POST_STORM ? 1 : sf->sf_rx_slots != 0 ?
	    sf->sf_rx_slots : XVIF_RX_RING_SIZE)) {
		id = q->sq_rx.req_prod_pvt & (XVIF_RX_RING_SIZE - 1);
		if (q->sq_rxgranted[id])
			break;
		rc = hvsim_grant(sf->sf_hv, simfe_rxref(q, id), sf->sf_beid,
		    q->sq_base + SIMFE_GFN_RX + id, false);
		if (rc < 0) {
			fprintf(stderr, "netfront d%u/%u: grant rx ref %u: "
			    "%s\n", sf->sf_domid, sf->sf_devid,
			    simfe_rxref(q, id), strerror(-rc));
			break;
		}
		q->sq_rxgranted[id] = true;
		req = RING_GET_REQUEST(&q->sq_rx, q->sq_rx.req_prod_pvt);
		req->id = (uint16_t)id;
		req->pad = 0;
		req->gref = simfe_rxref(q, id);
		if (sf->sf_mb == SIMFE_MB_RX_UNGRANTED && q->sq_id == 0 &&
		    !sf->sf_mb_rx_done) {
			req->gref = q->sq_base + SIMFE_REF_NEVER;
			sf->sf_mb_rx_done = true;
		}
		q->sq_rx.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->sq_rx, notify);
	/* --rx-kick: told of every refill, asked or not (as the protocol
	 * allows, and simpler frontends do). */
	if (notify || (sf->sf_rx_kick && q->sq_rx.req_prod_pvt != from))
		simfe_notify(q, true);
}

/* The slot at ring index idx is answered: take its page back. */
static void
simfe_rx_release(struct simfe_queue *q, RING_IDX idx)
{
	unsigned int id = idx & (XVIF_RX_RING_SIZE - 1);

	if (q->sq_rxgranted[id] && simfe_end(q, simfe_rxref(q, id)))
		q->sq_rxgranted[id] = false;
	else if (q->sq_rxgranted[id])
		q->sq_sf->sf_ungc++;
}


/*
 * Untrusted: one RX packet starting at ring index cons (xennet_get_responses
 * and xennet_get_extras).  Linux ignores the response ids and takes the
 * buffer of the ring slot.  Returns the ring slots the packet used, extras
 * included (each consumed a posted buffer, which is posted again like the
 * others), or 0 if it is not complete before prod yet.
 */
static unsigned int
simfe_rx_packet(struct simfe_queue *q, RING_IDX cons, RING_IDX prod,
    struct simfe_rxpkt *rp)
{
	struct simfe *sf = q->sq_sf;
	netif_rx_response_t rsp;
	struct netif_extra_info ex;
	unsigned int used = 0, data = 0, max = SIMFE_RX_LINUX_SLOTS;
	bool first = true, bad = false;
	const uint8_t *page;
	long total = 0;

	memset(rp, 0, sizeof(*rp));
	for (;;) {
		if (cons + used == prod)
			return 0;
		if (used >= SIMFE_RX_MAX_SLOTS) {
			bad = true;	/* a chain without end: drop */
			break;
		}
		rsp = *RING_GET_RESPONSE(&q->sq_rx, cons + used);
		page = simfe_page(q, SIMFE_GFN_RX +
		    ((cons + used) & (XVIF_RX_RING_SIZE - 1)));
		used++;
		data++;
		/* We did not write feature-sg: a chain is the backend's bug
		 * (NetBSD's xvif sends them regardless). */
		if (rsp.status < 0 || (!first && !sf->sf_sg) ||
		    (uint32_t)rsp.offset + (uint32_t)rsp.status >
		    XVIF_PAGE_SIZE ||
		    total + rsp.status > (long)sizeof(sf->sf_buf))
			bad = true;
		else if (!bad) {
			memcpy(sf->sf_buf + total, page + rsp.offset,
			    (size_t)rsp.status);
			total += rsp.status;
		}
		if (first) {
			rp->rp_flags = rsp.flags;
			/* xennet_get_responses: one more if it is small. */
			if (rsp.status <= SIMFE_RX_COPY_THRESHOLD)
				max++;
		}
		if (first && (rsp.flags & NETRXF_extra_info)) {
			/*
			 * Extras follow the first data slot (netif.h), as
			 * long as XEN_NETIF_EXTRA_FLAG_MORE says; a later
			 * one of a type replaces an earlier one.  Types
			 * netif.h does not have break the packet
			 * (xennet_get_extras); the others but GSO mean
			 * nothing to us and are skipped.
			 */
			do {
				if (cons + used == prod)
					return 0;
				if (used >= SIMFE_RX_MAX_SLOTS) {
					rp->rp_len = -1;
					return used;
				}
				memcpy(&ex, RING_GET_RESPONSE(&q->sq_rx,
				    cons + used), sizeof(ex));
				used++;
				if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE ||
				    ex.type >= XEN_NETIF_EXTRA_TYPE_MAX)
					bad = true;
				else if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO)
					rp->rp_gso = ex;
			} while (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE);
		}
		first = false;
		if (!(rsp.flags & NETRXF_more_data))
			break;
	}
	/* Linux drops it ("Too many slots"): netback never sends one. */
	if (data > max) {
		simfe_violation(q, "rx packet of %u slots, more than Linux's "
		    "netfront takes (%u): dropped", data, max);
		bad = true;
	}
	rp->rp_len = bad || total < PROTO_ETH_HLEN ? -1 : total;
	return used;
}

/*
 * One RX packet of queue q to its eth0 fd (handle_incoming_queue); false
 * if it was not.
 */
static bool
simfe_rx_deliver(struct simfe_queue *q, const struct simfe_rxpkt *rp)
{
	struct simfe *sf = q->sq_sf;
	struct virtio_net_hdr vh;
	struct iovec iov;

	if (rp->rp_len < 0 || simfe_rx_offload(sf, sf->sf_buf,
	    (size_t)rp->rp_len, rp, &vh) != NULL)
		return false;
	/* Linux drops these as PACKET_OTHERHOST; a backend that sends them
	 * made them up. */
	if (!(sf->sf_buf[0] & 1) && memcmp(sf->sf_buf, sf->sf_mac, 6) != 0)
		sf->sf_cnt.c_rx_foreign++;
	iov.iov_base = sf->sf_buf;
	iov.iov_len = (size_t)rp->rp_len;
	if (hp_send(q->sq_hp, &vh, &iov, 1) < 0)
		return false;
	sf->sf_cnt.c_rx_frames++;
	q->sq_rx_frames++;
	sf->sf_cnt.c_rx_bytes += (uint64_t)rp->rp_len;
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		sf->sf_cnt.c_rx_gso++;
	if (rp->rp_flags & NETRXF_csum_blank)
		sf->sf_cnt.c_rx_csum_blank++;
	return true;
}


/* Untrusted: RX responses (xennet_poll), then re-post the buffers. */
static void
simfe_rx_poll(struct simfe_queue *q)
{
	struct simfe *sf = q->sq_sf;
	struct simfe_rxpkt rp;
	RING_IDX prod, i;
	unsigned int used;
	int more;

	for (;;) {
		prod = q->sq_rx.sring->rsp_prod;
		xen_rmb();
		if (prod - q->sq_rx.rsp_cons >
		    q->sq_rx.req_prod_pvt - q->sq_rx.rsp_cons) {
			simfe_violation(q, "rx rsp_prod %u past our requests; "
			    "ignored", prod);
			return;
		}
		while (q->sq_rx.rsp_cons != prod) {
			used = simfe_rx_packet(q, q->sq_rx.rsp_cons, prod, &rp);
			if (used == 0) {
				/*
				 * rsp_prod in the middle of a packet: Linux's
				 * xennet_get_responses says "Need more slots"
				 * (or "Missing extra info"), drops the packet
				 * and consumes its slots so far; the rest
				 * would then read as packets of their own.
				 * A backend pushes whole packets.
				 */
				simfe_violation(q, "rx rsp_prod %u in the "
				    "middle of a packet (Linux: \"Need more "
				    "slots\", the packet dropped)", prod);
				sf->sf_cnt.c_rx_errors++;
				for (i = q->sq_rx.rsp_cons; i != prod; i++)
					simfe_rx_release(q, i);
				q->sq_rx.rsp_cons = prod;
				break;
			}
			if (!simfe_rx_deliver(q, &rp))
				sf->sf_cnt.c_rx_errors++;
			for (i = 0; i < used; i++)
				simfe_rx_release(q, q->sq_rx.rsp_cons + i);
			q->sq_rx.rsp_cons += used;
		}
		RING_FINAL_CHECK_FOR_RESPONSES(&q->sq_rx, more);
		if (!more)
			break;
	}
	simfe_rx_post(q);
}

/*
 * A channel of queue q fired (xennet_interrupt: both rings;
 * xennet_tx_interrupt, xennet_rx_interrupt with split channels).
 */
void
simfe_ring_kick(struct simfe_queue *q, bool tx, bool rx)
{
	if (!q->sq_sf->sf_up || q->sq_id >= q->sq_sf->sf_nq)
		return;
	if (tx)
		simfe_tx_gc(q);
	if (rx)
		simfe_rx_poll(q);
}

/* Retry the grant ends the backend held up in q; how many are left. */
static unsigned int
simfe_queue_gc(struct simfe_queue *q)
{
	struct simfe *sf = q->sq_sf;
	bool live = sf->sf_up && q->sq_id < sf->sf_nq;
	unsigned int id, left = 0;

	for (id = 0; id < XVIF_TX_RING_SIZE; id++) {
		struct simfe_txid *ti = &q->sq_txid[id];

		if (!ti->ti_busy || ti->ti_inring)
			continue;
		if (ti->ti_granted && !simfe_end(q, simfe_txref(q, id))) {
			left++;
			continue;
		}
		simfe_txid_put(q, id);
	}
	for (id = 0; id < XVIF_RX_RING_SIZE; id++) {
		if (!q->sq_rxgranted[id])
			continue;
		/* Posted slots are the backend's: only answered ones. */
		if (live && ((q->sq_rx.req_prod_pvt - 1 - id) &
		    (XVIF_RX_RING_SIZE - 1)) < q->sq_rx.req_prod_pvt -
		    q->sq_rx.rsp_cons)
			continue;
		if (simfe_end(q, simfe_rxref(q, id)))
			q->sq_rxgranted[id] = false;
		else
			left++;
	}
	for (id = 0; id < q->sq_nstuck;) {
		if (simfe_end(q, q->sq_stuck[id]))
			q->sq_stuck[id] = q->sq_stuck[--q->sq_nstuck];
		else {
			left++;
			id++;
		}
	}
	if (live) {
		simfe_rx_post(q);
		if (!q->sq_tap_reading && simfe_tx_can_take(q))
			simfe_tap_flow(q, true);
	}
	return left;
}

/* --rx-slots: a millisecond later, the refill that had to wait. */
void
simfe_ring_refill(struct simfe *sf)
{
	unsigned int k;

	for (k = 0; k < sf->sf_nq; k++)
		simfe_rx_post(&sf->sf_q[k]);
}

/* Retry the grant ends the backend held up, in every queue ever used. */
void
simfe_ring_gc(struct simfe *sf)
{
	unsigned int k, left = 0;

	for (k = 0; k < SIMFE_QUEUES_MAX; k++)
		if (sf->sf_q[k].sq_gen > 0)
			left += simfe_queue_gc(&sf->sf_q[k]);
	sf->sf_ungc = left;
}

/*
 * What eth0 may hand us unfinished (TUNSETOFFLOAD), as netfront's netdev
 * features come out of xennet_fix_features and netdev_fix_features:
 * checksums unless --no-offload; TCPv4 superframes if the backend takes
 * them and SG; TCPv6 ones if it also takes IPv6 checksums.  IPv6
 * checksums alone have no TUN_F_ flag: simfe_tx_offload finishes them.
 */
static unsigned int
simfe_tun_flags(const struct simfe *sf)
{
	unsigned int f;

	if (!sf->sf_up || !sf->sf_csum)
		return 0;
	f = TUN_F_CSUM;
	if (sf->sf_gso && sf->sf_be_sg && sf->sf_be_gso4)
		f |= TUN_F_TSO4;
	if (sf->sf_gso && sf->sf_be_sg && sf->sf_be_gso6 && sf->sf_be_csum6)
		f |= TUN_F_TSO6;
	return f;
}

/* The device's offloads, through queue 0's fd (they are eth0's). */
static void
simfe_tun_set(struct simfe *sf)
{
	unsigned int f = simfe_tun_flags(sf);
	struct hp *hp = sf->sf_q[0].sq_hp;
	int rc;

	if (hp == NULL || f == sf->sf_tun)
		return;
	if ((rc = hp_set_offload(hp, f)) < 0) {
		fprintf(stderr, "netfront d%u/%u: eth0 offloads %#x: %s\n",
		    sf->sf_domid, sf->sf_devid, f, strerror(-rc));
		/* Frames that come with more are finished or dropped. */
		if (f != 0)
			return;
	}
	sf->sf_tun = f;
}

/* Take back a ring's grant, or keep it to retry while it is mapped. */
static void
simfe_ring_ref_end(struct simfe_queue *q, grant_ref_t ref)
{
	if (!simfe_end(q, ref))
		q->sq_stuck[q->sq_nstuck++] = ref;
}

/*
 * A new ring's indices at idx instead of 0 (--ring-index): where a
 * frontend that has carried 2^31 frames has them, as a backend that
 * re-attaches after a restart finds them.  Either ring's front the same
 * (their request and response layouts share the ring's header).
 */
#define simfe_ring_start(fr, idx) do {					\
	(fr)->sring->req_prod = (fr)->sring->rsp_prod = (idx);		\
	(fr)->sring->req_event = (fr)->sring->rsp_event = (idx) + 1;	\
	(fr)->req_prod_pvt = (fr)->rsp_cons = (idx);			\
} while (0)

/*
 * One queue's new rings and channel(s) (setup_netfront): ring pages of
 * its generation, granted to the backend, an unbound port for it, or two
 * with split (setup_netfront_split; one if the second cannot be had, as
 * Linux falls back to setup_netfront_single).
 */
static int
simfe_queue_connect(struct simfe_queue *q, bool split)
{
	struct simfe *sf = q->sq_sf;
	unsigned int gen = sf->sf_mb == SIMFE_MB_SAME_REFS ? 0 : q->sq_gen;
	uint32_t g = SIMFE_GFN_RING(gen);
	grant_ref_t ref = q->sq_base + SIMFE_REF_RING(gen);
	void *txp, *rxp;
	unsigned int i;
	int rc;

	/* The rings of two generations ago must be ours again. */
	for (i = 0; i < q->sq_nstuck; i++)
		if (q->sq_stuck[i] == ref || q->sq_stuck[i] == ref + 1)
			return -EBUSY;
	txp = simfe_page(q, g);
	rxp = simfe_page(q, g + 1);
	if (txp == NULL || rxp == NULL)
		return -ENOMEM;
	q->sq_txref = ref;
	q->sq_rxref = ref + 1;
	SHARED_RING_INIT((netif_tx_sring_t *)txp);
	SHARED_RING_INIT((netif_rx_sring_t *)rxp);
	FRONT_RING_INIT(&q->sq_tx, (netif_tx_sring_t *)txp, XVIF_PAGE_SIZE);
	FRONT_RING_INIT(&q->sq_rx, (netif_rx_sring_t *)rxp, XVIF_PAGE_SIZE);
	simfe_ring_start(&q->sq_tx, sf->sf_ring_index);
	simfe_ring_start(&q->sq_rx, sf->sf_ring_index);
	q->sq_ntxfree = 0;
	q->sq_skb_state = simfe_skb_seed(sf->sf_domid, sf->sf_devid, q->sq_id);
	for (i = XVIF_TX_RING_SIZE; i-- > 0;) {
		if (q->sq_txid[i].ti_busy)
			continue;	/* a grant still held from before */
		q->sq_txfree[q->sq_ntxfree++] = (uint16_t)i;
	}
	q->sq_port = q->sq_port_rx = HV_PORT_NONE;
	if ((rc = hvsim_grant(sf->sf_hv, q->sq_txref, sf->sf_beid,
	    q->sq_base + g, false)) < 0)
		return rc;
	if ((rc = hvsim_grant(sf->sf_hv, q->sq_rxref, sf->sf_beid,
	    q->sq_base + g + 1, false)) < 0) {
		(void)hvsim_grant_end(sf->sf_hv, q->sq_txref);
		return rc;
	}
	if ((rc = hvsim_evt_alloc_unbound(sf->sf_hv, sf->sf_beid,
	    &q->sq_port)) < 0) {
		q->sq_port = HV_PORT_NONE;
		(void)hvsim_grant_end(sf->sf_hv, q->sq_txref);
		(void)hvsim_grant_end(sf->sf_hv, q->sq_rxref);
		return rc;
	}
	if (split && hvsim_evt_alloc_unbound(sf->sf_hv, sf->sf_beid,
	    &q->sq_port_rx) < 0)
		q->sq_port_rx = HV_PORT_NONE;
	q->sq_gen++;
	return 0;
}

/* Undo simfe_queue_connect (xennet_disconnect_backend, one queue). */
static void
simfe_queue_disconnect(struct simfe_queue *q)
{
	struct simfe *sf = q->sq_sf;
	unsigned int id;

	if (q->sq_port != HV_PORT_NONE)
		(void)hvsim_evt_close(sf->sf_hv, q->sq_port);
	if (q->sq_port_rx != HV_PORT_NONE)
		(void)hvsim_evt_close(sf->sf_hv, q->sq_port_rx);
	q->sq_port = q->sq_port_rx = HV_PORT_NONE;
	/* A backend may unmap the rings only after it saw us Closed. */
	simfe_ring_ref_end(q, q->sq_txref);
	simfe_ring_ref_end(q, q->sq_rxref);
	for (id = 0; id < XVIF_TX_RING_SIZE; id++)
		q->sq_txid[id].ti_inring = false;
}

/*
 * New rings and channels for queues 0 .. sf_nq - 1, split ones if
 * sf_split_on, the RX rings filled.  The keys are simfe_xs.c's business.
 */
int
simfe_ring_connect(struct simfe *sf)
{
	unsigned int k, n;
	int rc;

	if (sf->sf_nq == 0)
		sf->sf_nq = 1;
	simfe_ring_gc(sf);
	for (n = 0; n < sf->sf_nq; n++)
		if ((rc = simfe_queue_connect(&sf->sf_q[n],
		    sf->sf_split_on)) < 0) {
			while (n-- > 0)
				simfe_queue_disconnect(&sf->sf_q[n]);
			simfe_ring_gc(sf);
			return rc;
		}
	sf->sf_up = true;
	simfe_tun_set(sf);
	for (k = 0; k < sf->sf_nq; k++) {
		simfe_rx_post(&sf->sf_q[k]);
		simfe_tap_flow(&sf->sf_q[k], true); /* not read while down */
	}
	return 0;
}

/*
 * xennet_disconnect_backend: after the backend let go of the rings
 * (Closing or Closed), take every grant back and close the ports.  Grants
 * the backend still holds are retried by simfe_ring_gc.
 */
void
simfe_ring_disconnect(struct simfe *sf)
{
	unsigned int k;

	if (!sf->sf_up)
		return;
	sf->sf_up = false;
	for (k = 0; k < sf->sf_nq; k++) {
		simfe_tap_flow(&sf->sf_q[k], false);
		simfe_queue_disconnect(&sf->sf_q[k]);
	}
	simfe_tun_set(sf);		/* none while we have no backend */
	simfe_ring_gc(sf);
	sf->sf_mb_out = 0;
}
