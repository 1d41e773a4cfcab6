/*
 * simfe_ring.c -- the data path of the simulated netfront: the TX and RX
 * front rings, their pages and grants in the guest's memory (partitioned
 * by devid, see simfe.h), the event channel, and the misbehaviours of
 * --misbehave.  Follows Linux xen-netfront: xennet_start_xmit for guest
 * TX, xennet_tx_buf_gc for TX responses, xennet_alloc_rx_buffers and
 * xennet_poll for guest RX.  Does not own XenStore or the state machine
 * (simfe_xs.c); it reports what it does on stdout only for --misbehave.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "proto.h"
#include "simfe.h"

void *
simfe_page(struct simfe *sf, uint32_t off)
{
	return hvsim_page(sf->sf_hv, sf->sf_base + off);
}

grant_ref_t
simfe_txref(const struct simfe *sf, unsigned int id)
{
	return sf->sf_base + SIMFE_REF_TX + id;
}

grant_ref_t
simfe_rxref(const struct simfe *sf, unsigned int id)
{
	return sf->sf_base + SIMFE_REF_RX + id;
}

/*
 * End a grant the backend may still hold: hvsim_grant_end() says -EBUSY
 * while a copy runs through it (gnttab_end_foreign_access_ref).  true if
 * it is over.
 */
static bool
simfe_end(struct simfe *sf, grant_ref_t ref)
{
	int rc = hvsim_grant_end(sf->sf_hv, ref);

	return rc != -EBUSY;
}

/* -- TX ids -- */

int
simfe_txid_get(struct simfe *sf)
{
	unsigned int id;

	if (sf->sf_ntxfree == 0)
		return -1;
	id = sf->sf_txfree[--sf->sf_ntxfree];
	memset(&sf->sf_txid[id], 0, sizeof(sf->sf_txid[id]));
	sf->sf_txid[id].ti_busy = true;
	return (int)id;
}

void
simfe_txid_put(struct simfe *sf, unsigned int id)
{
	sf->sf_txid[id].ti_busy = false;
	sf->sf_txid[id].ti_granted = false;
	sf->sf_txid[id].ti_inring = false;
	sf->sf_txfree[sf->sf_ntxfree++] = (uint16_t)id;
}

/* Ring slots we may fill now: free ring entries and free ids both. */
static unsigned int
simfe_tx_room(const struct simfe *sf)
{
	unsigned int ring = XVIF_TX_RING_SIZE -
	    (sf->sf_tx.req_prod_pvt - sf->sf_tx.rsp_cons);

	return ring < sf->sf_ntxfree ? ring : sf->sf_ntxfree;
}

/* Queue one request in the next ring slot (not pushed). */
void
simfe_tx_req(struct simfe *sf, unsigned int id, grant_ref_t ref,
    uint16_t off, uint16_t size, uint16_t flags)
{
	netif_tx_request_t *req;

	req = RING_GET_REQUEST(&sf->sf_tx, sf->sf_tx.req_prod_pvt);
	req->id = (uint16_t)id;
	req->gref = ref;
	req->offset = off;
	req->size = size;
	req->flags = flags;
	sf->sf_tx.req_prod_pvt++;
	sf->sf_txid[id].ti_inring = true;
}

void
simfe_tx_push(struct simfe *sf)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&sf->sf_tx, notify);
	if (notify)
		simfe_notify(sf);
}

/*
 * One guest TX frame into slots of up to a chunk each, like
 * xennet_start_xmit: the first slot carries the total size and flags0,
 * later ones their own size; NETTXF_more_data chains them.  With gso, its
 * extra takes the ring slot right after the first (it has no id and gets
 * a NETIF_RSP_NULL response) and the first is marked NETTXF_extra_info.
 * Returns the data slot count, or -errno with nothing queued.
 */
int
simfe_tx_queue(struct simfe *sf, const uint8_t *frame, size_t len,
    unsigned int chunk, bool mb, uint16_t flags0,
    const struct netif_extra_info *gso)
{
	unsigned int n = (unsigned int)((len + chunk - 1) / chunk), i, id;
	unsigned int nex = gso != NULL ? 1 : 0;
	uint16_t ids[SIMFE_TX_MAX_SLOTS + 3], fl;
	RING_IDX start = sf->sf_tx.req_prod_pvt;
	struct netif_extra_info *ex;
	size_t done = 0, sz;
	int rc;

	if (n == 0 || n > SIMFE_TX_MAX_SLOTS + 3 || n > sf->sf_ntxfree ||
	    n + nex > XVIF_TX_RING_SIZE - (start - sf->sf_tx.rsp_cons))
		return -ENOSPC;
	for (i = 0; i < n; i++, done += sz) {
		id = (unsigned int)simfe_txid_get(sf);
		ids[i] = (uint16_t)id;
		sz = len - done < chunk ? len - done : chunk;
		memcpy(simfe_page(sf, SIMFE_GFN_TX + id), frame + done, sz);
		rc = hvsim_grant(sf->sf_hv, simfe_txref(sf, id), sf->sf_beid,
		    sf->sf_base + SIMFE_GFN_TX + id, true);
		if (rc < 0) {
			simfe_txid_put(sf, id);
			while (i-- > 0) {
				(void)simfe_end(sf, simfe_txref(sf, ids[i]));
				simfe_txid_put(sf, ids[i]);
			}
			sf->sf_tx.req_prod_pvt = start;	/* never pushed */
			return rc;
		}
		sf->sf_txid[id].ti_granted = true;
		sf->sf_txid[id].ti_seq = sf->sf_txseq + 1;
		sf->sf_txid[id].ti_mb = mb;
		fl = i + 1 < n ? NETTXF_more_data : 0;
		if (i == 0)
			fl |= flags0 | (gso != NULL ? NETTXF_extra_info : 0);
		simfe_tx_req(sf, id, simfe_txref(sf, id), 0,
		    (uint16_t)(i == 0 ? len : sz), fl);
		if (i == 0 && gso != NULL) {
			ex = (struct netif_extra_info *)RING_GET_REQUEST(
			    &sf->sf_tx, sf->sf_tx.req_prod_pvt);
			memset(ex, 0, sizeof(netif_tx_request_t));
			ex->type = gso->type;
			ex->flags = 0;
			ex->u.gso = gso->u.gso;
			sf->sf_tx.req_prod_pvt++;
		}
	}
	sf->sf_txseq++;
	simfe_tx_push(sf);
	sf->sf_cnt.c_tx_frames++;
	sf->sf_cnt.c_tx_bytes += len;
	return (int)n;
}

/* The same without offloads, for simfe_mb.c. */
int
simfe_tx_frame(struct simfe *sf, const uint8_t *frame, size_t len,
    unsigned int chunk, bool mb)
{
	return simfe_tx_queue(sf, frame, len, chunk, mb, 0, NULL);
}

/* Can a frame of the most slots go out now (netfront_tx_slot_available)? */
static bool
simfe_tx_can_take(const struct simfe *sf)
{
	return simfe_tx_room(sf) >= SIMFE_TX_NEED;
}

/* eth0 is readable: frames to the TX ring until it is full or eth0 empty. */
void
simfe_tap_input(struct simfe *sf)
{
	struct netif_extra_info gso;
	struct virtio_net_hdr vh;
	unsigned int budget = 64;
	uint16_t flags;
	ssize_t n;

	while (budget-- > 0) {
		if (!sf->sf_up || !simfe_tx_can_take(sf)) {
			/* Linux: netif_tx_stop_queue until tx_buf_gc frees. */
			simfe_tap_flow(sf, false);
			return;
		}
		if ((n = hp_recv(sf->sf_hp, &vh, sf->sf_buf,
		    sizeof(sf->sf_buf))) <= 0)
			return;
		/*
		 * The wire format's limit (xennet_start_xmit); without SG at
		 * the backend, one slot of one page at most.
		 */
		if (n > XEN_NETIF_MAX_TX_SIZE || n < PROTO_ETH_HLEN ||
		    (!sf->sf_be_sg && n > (ssize_t)XVIF_PAGE_SIZE) ||
		    simfe_tx_offload(sf, &vh, sf->sf_buf, (size_t)n, &flags,
		    &gso) != NULL) {
			sf->sf_cnt.c_tx_errors++;
			continue;
		}
		if (simfe_tx_queue(sf, sf->sf_buf, (size_t)n, XVIF_PAGE_SIZE,
		    false, flags, gso.type != 0 ? &gso : NULL) < 0) {
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
static void
simfe_tx_gc(struct simfe *sf)
{
	netif_tx_response_t rsp;
	struct simfe_txid *ti;
	RING_IDX cons, prod;
	int more;

	do {
		prod = sf->sf_tx.sring->rsp_prod;
		xen_rmb();
		if (prod - sf->sf_tx.rsp_cons >
		    sf->sf_tx.req_prod_pvt - sf->sf_tx.rsp_cons) {
			fprintf(stderr, "netfront d%u/%u: tx rsp_prod %u past "
			    "our requests; ignored\n", sf->sf_domid,
			    sf->sf_devid, prod);
			return;
		}
		for (cons = sf->sf_tx.rsp_cons; cons != prod; cons++) {
			rsp = *RING_GET_RESPONSE(&sf->sf_tx, cons);
			if (rsp.status == NETIF_RSP_NULL)
				continue;	/* an extra's */
			if (rsp.id >= XVIF_TX_RING_SIZE ||
			    !sf->sf_txid[rsp.id].ti_inring) {
				fprintf(stderr, "netfront d%u/%u: tx response "
				    "for id %u not in flight\n", sf->sf_domid,
				    sf->sf_devid, rsp.id);
				continue;
			}
			ti = &sf->sf_txid[rsp.id];
			ti->ti_inring = false;
			if (rsp.status != NETIF_RSP_OKAY &&
			    ti->ti_seq != sf->sf_txerrseq) {
				sf->sf_txerrseq = ti->ti_seq;
				sf->sf_cnt.c_tx_errors++;
			}
			if (ti->ti_mb)
				simfe_mb_answer(sf, rsp.status);
			if (ti->ti_granted &&
			    !simfe_end(sf, simfe_txref(sf, rsp.id))) {
				sf->sf_ungc++;	/* retried by the gc */
				continue;
			}
			simfe_txid_put(sf, rsp.id);
		}
		sf->sf_tx.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&sf->sf_tx, more);
	} while (more);
	if (!sf->sf_tap_reading && simfe_tx_can_take(sf))
		simfe_tap_flow(sf, true);
}

/* -- Guest RX -- */

/*
 * Keep every RX slot posted (xennet_alloc_rx_buffers): id = slot index,
 * the page granted writable to the backend.  A slot whose previous grant
 * could not be ended yet stops the posting until simfe_ring_gc.
 */
static void
simfe_rx_post(struct simfe *sf)
{
	netif_rx_request_t *req;
	unsigned int id;
	int notify, rc;

	if (!sf->sf_up || sf->sf_mb == SIMFE_MB_NO_RX_SLOTS || sf->sf_starved)
		return;
	while (sf->sf_rx.req_prod_pvt - sf->sf_rx.rsp_cons <
	    XVIF_RX_RING_SIZE) {
		id = sf->sf_rx.req_prod_pvt & (XVIF_RX_RING_SIZE - 1);
		if (sf->sf_rxgranted[id])
			break;
		rc = hvsim_grant(sf->sf_hv, simfe_rxref(sf, id), sf->sf_beid,
		    sf->sf_base + SIMFE_GFN_RX + id, false);
		if (rc < 0) {
			fprintf(stderr, "netfront d%u/%u: grant rx ref %u: "
			    "%s\n", sf->sf_domid, sf->sf_devid,
			    simfe_rxref(sf, id), strerror(-rc));
			break;
		}
		sf->sf_rxgranted[id] = true;
		req = RING_GET_REQUEST(&sf->sf_rx, sf->sf_rx.req_prod_pvt);
		req->id = (uint16_t)id;
		req->pad = 0;
		req->gref = simfe_rxref(sf, id);
		if (sf->sf_mb == SIMFE_MB_RX_UNGRANTED && !sf->sf_mb_rx_done) {
			req->gref = sf->sf_base + SIMFE_REF_NEVER;
			sf->sf_mb_rx_done = true;
		}
		sf->sf_rx.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&sf->sf_rx, notify);
	if (notify)
		simfe_notify(sf);
}

/* The slot at ring index idx is answered: take its page back. */
static void
simfe_rx_release(struct simfe *sf, RING_IDX idx)
{
	unsigned int id = idx & (XVIF_RX_RING_SIZE - 1);

	if (sf->sf_rxgranted[id] && simfe_end(sf, simfe_rxref(sf, id)))
		sf->sf_rxgranted[id] = false;
	else if (sf->sf_rxgranted[id])
		sf->sf_ungc++;
}


/*
 * Untrusted: one RX packet starting at ring index cons (xennet_get_responses
 * and xennet_get_extras).  Linux ignores the response ids and takes the
 * buffer of the ring slot.  Returns the ring slots the packet used, extras
 * included (each consumed a posted buffer, which is posted again like the
 * others), or 0 if it is not complete before prod yet.
 */
static unsigned int
simfe_rx_packet(struct simfe *sf, RING_IDX cons, RING_IDX prod,
    struct simfe_rxpkt *rp)
{
	netif_rx_response_t rsp;
	struct netif_extra_info ex;
	unsigned int used = 0;
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
		rsp = *RING_GET_RESPONSE(&sf->sf_rx, cons + used);
		page = simfe_page(sf, SIMFE_GFN_RX +
		    ((cons + used) & (XVIF_RX_RING_SIZE - 1)));
		used++;
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
		if (first)
			rp->rp_flags = rsp.flags;
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
				memcpy(&ex, RING_GET_RESPONSE(&sf->sf_rx,
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
	rp->rp_len = bad || total < PROTO_ETH_HLEN ? -1 : total;
	return used;
}

/* One RX packet to eth0 (handle_incoming_queue); false if it was not. */
static bool
simfe_rx_deliver(struct simfe *sf, const struct simfe_rxpkt *rp)
{
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
	if (hp_send(sf->sf_hp, &vh, &iov, 1) < 0)
		return false;
	sf->sf_cnt.c_rx_frames++;
	sf->sf_cnt.c_rx_bytes += (uint64_t)rp->rp_len;
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		sf->sf_cnt.c_rx_gso++;
	if (rp->rp_flags & NETRXF_csum_blank)
		sf->sf_cnt.c_rx_csum_blank++;
	return true;
}

/* Untrusted: RX responses (xennet_poll), then re-post the buffers. */
static void
simfe_rx_poll(struct simfe *sf)
{
	struct simfe_rxpkt rp;
	RING_IDX prod, i;
	unsigned int used;
	int more;

	for (;;) {
		prod = sf->sf_rx.sring->rsp_prod;
		xen_rmb();
		if (prod - sf->sf_rx.rsp_cons >
		    sf->sf_rx.req_prod_pvt - sf->sf_rx.rsp_cons) {
			fprintf(stderr, "netfront d%u/%u: rx rsp_prod %u past "
			    "our requests; ignored\n", sf->sf_domid,
			    sf->sf_devid, prod);
			return;
		}
		while (sf->sf_rx.rsp_cons != prod) {
			used = simfe_rx_packet(sf, sf->sf_rx.rsp_cons, prod,
			    &rp);
			if (used == 0) {
				/*
				 * The rest of the chain is not pushed yet:
				 * ask to be woken when it is, and look again
				 * if it came meanwhile.
				 */
				sf->sf_rx.sring->rsp_event = prod + 1;
				xen_mb();
				if (sf->sf_rx.sring->rsp_prod == prod)
					goto out;
				break;
			}
			if (!simfe_rx_deliver(sf, &rp))
				sf->sf_cnt.c_rx_errors++;
			for (i = 0; i < used; i++)
				simfe_rx_release(sf, sf->sf_rx.rsp_cons + i);
			sf->sf_rx.rsp_cons += used;
		}
		if (sf->sf_rx.rsp_cons != prod)
			continue;	/* the chain's rest came meanwhile */
		RING_FINAL_CHECK_FOR_RESPONSES(&sf->sf_rx, more);
		if (!more)
			break;
	}
out:
	simfe_rx_post(sf);
}

/* Our event channel fired (xennet_interrupt): both rings. */
void
simfe_ring_kick(struct simfe *sf)
{
	if (!sf->sf_up)
		return;
	simfe_tx_gc(sf);
	simfe_rx_poll(sf);
}

/* Retry the grant ends the backend held up. */
void
simfe_ring_gc(struct simfe *sf)
{
	unsigned int id, left = 0;

	for (id = 0; id < XVIF_TX_RING_SIZE; id++) {
		struct simfe_txid *ti = &sf->sf_txid[id];

		if (!ti->ti_busy || ti->ti_inring)
			continue;
		if (ti->ti_granted && !simfe_end(sf, simfe_txref(sf, id))) {
			left++;
			continue;
		}
		simfe_txid_put(sf, id);
	}
	for (id = 0; id < XVIF_RX_RING_SIZE; id++) {
		if (!sf->sf_rxgranted[id])
			continue;
		/* Posted slots are the backend's: only answered ones. */
		if (sf->sf_up && ((sf->sf_rx.req_prod_pvt - 1 - id) &
		    (XVIF_RX_RING_SIZE - 1)) < sf->sf_rx.req_prod_pvt -
		    sf->sf_rx.rsp_cons)
			continue;
		if (simfe_end(sf, simfe_rxref(sf, id)))
			sf->sf_rxgranted[id] = false;
		else
			left++;
	}
	for (id = 0; id < sf->sf_nstuck;) {
		if (simfe_end(sf, sf->sf_stuck[id]))
			sf->sf_stuck[id] = sf->sf_stuck[--sf->sf_nstuck];
		else {
			left++;
			id++;
		}
	}
	sf->sf_ungc = left;
	if (sf->sf_up) {
		simfe_rx_post(sf);
		if (!sf->sf_tap_reading && simfe_tx_can_take(sf))
			simfe_tap_flow(sf, true);
	}
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

static void
simfe_tun_set(struct simfe *sf)
{
	unsigned int f = simfe_tun_flags(sf);
	int rc;

	if (sf->sf_hp == NULL || f == sf->sf_tun)
		return;
	if ((rc = hp_set_offload(sf->sf_hp, f)) < 0) {
		fprintf(stderr, "netfront d%u/%u: eth0 offloads %#x: %s\n",
		    sf->sf_domid, sf->sf_devid, f, strerror(-rc));
		/* Frames that come with more are finished or dropped. */
		if (f != 0)
			return;
	}
	sf->sf_tun = f;
}

/*
 * New rings and a new event channel (talk_to_netback's setup_netfront):
 * ring pages of this generation, granted to the backend, an unbound port
 * for it, the RX ring filled.  The keys are simfe_xs.c's business.
 */
int
simfe_ring_connect(struct simfe *sf)
{
	uint32_t g = SIMFE_GFN_RING(sf->sf_gen);
	void *txp, *rxp;
	unsigned int i;
	int rc;

	/* The rings of two generations ago must be ours again. */
	simfe_ring_gc(sf);
	for (i = 0; i < sf->sf_nstuck; i++)
		if (sf->sf_stuck[i] == sf->sf_base +
		    SIMFE_REF_RING(sf->sf_gen) ||
		    sf->sf_stuck[i] == sf->sf_base +
		    SIMFE_REF_RING(sf->sf_gen) + 1)
			return -EBUSY;
	txp = simfe_page(sf, g);
	rxp = simfe_page(sf, g + 1);
	if (txp == NULL || rxp == NULL)
		return -ENOMEM;
	sf->sf_txref = sf->sf_base + SIMFE_REF_RING(sf->sf_gen);
	sf->sf_rxref = sf->sf_txref + 1;
	SHARED_RING_INIT((netif_tx_sring_t *)txp);
	SHARED_RING_INIT((netif_rx_sring_t *)rxp);
	FRONT_RING_INIT(&sf->sf_tx, (netif_tx_sring_t *)txp, XVIF_PAGE_SIZE);
	FRONT_RING_INIT(&sf->sf_rx, (netif_rx_sring_t *)rxp, XVIF_PAGE_SIZE);
	sf->sf_ntxfree = 0;
	for (i = XVIF_TX_RING_SIZE; i-- > 0;) {
		if (sf->sf_txid[i].ti_busy)
			continue;	/* a grant still held from before */
		sf->sf_txfree[sf->sf_ntxfree++] = (uint16_t)i;
	}
	sf->sf_port = HV_PORT_NONE;
	if ((rc = hvsim_grant(sf->sf_hv, sf->sf_txref, sf->sf_beid,
	    sf->sf_base + g, false)) < 0)
		goto fail;
	if ((rc = hvsim_grant(sf->sf_hv, sf->sf_rxref, sf->sf_beid,
	    sf->sf_base + g + 1, false)) < 0) {
		(void)hvsim_grant_end(sf->sf_hv, sf->sf_txref);
		goto fail;
	}
	if ((rc = hvsim_evt_alloc_unbound(sf->sf_hv, sf->sf_beid,
	    &sf->sf_port)) < 0) {
		sf->sf_port = HV_PORT_NONE;
		(void)hvsim_grant_end(sf->sf_hv, sf->sf_txref);
		(void)hvsim_grant_end(sf->sf_hv, sf->sf_rxref);
		goto fail;
	}
	sf->sf_gen++;
	sf->sf_up = true;
	simfe_tun_set(sf);
	simfe_rx_post(sf);
	simfe_tap_flow(sf, true);	/* eth0 was not read while down */
	return 0;
fail:
	return rc;
}

/*
 * xennet_disconnect_backend: after the backend let go of the rings
 * (Closing or Closed), take every grant back and close the port.  Grants
 * the backend still holds are retried by simfe_ring_gc.
 */
void
simfe_ring_disconnect(struct simfe *sf)
{
	unsigned int id;

	if (!sf->sf_up)
		return;
	sf->sf_up = false;
	simfe_tap_flow(sf, false);
	simfe_tun_set(sf);		/* none while we have no backend */
	if (sf->sf_port != HV_PORT_NONE) {
		(void)hvsim_evt_close(sf->sf_hv, sf->sf_port);
		sf->sf_port = HV_PORT_NONE;
	}
	/* A backend may unmap the rings only after it saw us Closed. */
	if (!simfe_end(sf, sf->sf_txref))
		sf->sf_stuck[sf->sf_nstuck++] = sf->sf_txref;
	if (!simfe_end(sf, sf->sf_rxref))
		sf->sf_stuck[sf->sf_nstuck++] = sf->sf_rxref;
	for (id = 0; id < XVIF_TX_RING_SIZE; id++)
		sf->sf_txid[id].ti_inring = false;
	simfe_ring_gc(sf);
	sf->sf_mb_out = 0;
}
