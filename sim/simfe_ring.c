/*
 * simfe_ring.c -- the data path of the simulated netfront: the TX and RX
 * front rings, their pages and grants in the guest's memory (partitioned
 * by devid, see simfe.h), the event channel, and the misbehaviours of
 * --misbehave.  Follows Linux xen-netfront: xennet_start_xmit for guest
 * TX, xennet_tx_buf_gc for TX responses, xennet_alloc_rx_buffers and
 * xennet_poll for guest RX.  Does not own XenStore or the state machine
 * (simfe.c); it reports what it does on stdout only for --misbehave.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "proto.h"
#include "simfe.h"

static const char *const simfe_mb_names[] = {
	[SIMFE_MB_NONE] = "none",
	[SIMFE_MB_SLOTS19] = "slots19",
	[SIMFE_MB_SLOTS20] = "slots20",
	[SIMFE_MB_PAGE_OVERRUN] = "page-overrun",
	[SIMFE_MB_UNGRANTED] = "ungranted",
	[SIMFE_MB_REVOKED] = "revoked",
	[SIMFE_MB_PROD_OVERRUN] = "prod-overrun",
	[SIMFE_MB_RECONNECT] = "reconnect",
	[SIMFE_MB_NO_RX_SLOTS] = "no-rx-slots",
	[SIMFE_MB_STARVE_RECONNECT] = "starve-reconnect",
	[SIMFE_MB_SLOTS21] = "slots21",
	[SIMFE_MB_CONNECT_FATAL] = "connect-fatal",
	[SIMFE_MB_CONNECT_BAD_EXTRA] = "connect-bad-extra",
	[SIMFE_MB_EVENT_STORM] = "event-storm",
	[SIMFE_MB_REINIT] = "reinit",
	[SIMFE_MB_UNGRANTED_SECOND] = "ungranted-second",
};

const char *
simfe_mb_name(enum simfe_mb mb)
{
	return simfe_mb_names[mb];
}

int
simfe_mb_parse(const char *s, enum simfe_mb *out)
{
	unsigned int i;

	for (i = 1; i < sizeof(simfe_mb_names) / sizeof(simfe_mb_names[0]);
	    i++)
		if (strcmp(s, simfe_mb_names[i]) == 0) {
			*out = (enum simfe_mb)i;
			return 0;
		}
	return -EINVAL;
}

static void *
simfe_page(struct simfe *sf, uint32_t off)
{
	return hvsim_page(sf->sf_hv, sf->sf_base + off);
}

static grant_ref_t
simfe_txref(const struct simfe *sf, unsigned int id)
{
	return sf->sf_base + SIMFE_REF_TX + id;
}

static grant_ref_t
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

static int
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

static void
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
static void
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

static void
simfe_tx_push(struct simfe *sf)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&sf->sf_tx, notify);
	if (notify)
		simfe_notify(sf);
}

/*
 * One guest TX frame into slots of up to a page each, like
 * xennet_make_txreqs: the first slot carries the total size, later ones
 * their own; NETTXF_more_data chains them.  The caller checked the room.
 * ids[] receives the ids used.  Returns the slot count or -errno.
 */
static int
simfe_tx_frame(struct simfe *sf, const uint8_t *frame, size_t len,
    unsigned int chunk, bool mb)
{
	unsigned int n = (unsigned int)((len + chunk - 1) / chunk), i, id;
	uint16_t ids[SIMFE_TX_MAX_SLOTS + 3];
	size_t done = 0, sz;
	int rc;

	if (n == 0 || n > SIMFE_TX_MAX_SLOTS + 3 || n > simfe_tx_room(sf))
		return -ENOSPC;
	sf->sf_txseq++;
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
			return rc;
		}
		sf->sf_txid[id].ti_granted = true;
		sf->sf_txid[id].ti_seq = sf->sf_txseq;
		sf->sf_txid[id].ti_mb = mb;
		simfe_tx_req(sf, id, simfe_txref(sf, id), 0,
		    (uint16_t)(i == 0 ? len : sz),
		    i + 1 < n ? NETTXF_more_data : 0);
	}
	simfe_tx_push(sf);
	sf->sf_cnt.c_tx_frames++;
	sf->sf_cnt.c_tx_bytes += len;
	return (int)n;
}

/* eth0 is readable: frames to the TX ring until it is full or eth0 empty. */
void
simfe_tap_input(struct simfe *sf)
{
	unsigned int budget = 64;
	ssize_t n;

	while (budget-- > 0) {
		if (!sf->sf_up || simfe_tx_room(sf) < SIMFE_TX_MAX_SLOTS) {
			/* Linux: netif_tx_stop_queue until tx_buf_gc frees. */
			simfe_tap_flow(sf, false);
			return;
		}
		if ((n = hp_recv(sf->sf_hp, sf->sf_buf, sizeof(sf->sf_buf)))
		    <= 0)
			return;
		if ((size_t)n > sizeof(sf->sf_buf) || n < PROTO_ETH_HLEN ||
		    (!sf->sf_be_sg && n > (ssize_t)XVIF_PAGE_SIZE)) {
			/* No SG at the backend: one slot, one page at most. */
			sf->sf_cnt.c_tx_errors++;
			continue;
		}
		if (simfe_tx_frame(sf, sf->sf_buf, (size_t)n, XVIF_PAGE_SIZE,
		    false) < 0)
			sf->sf_cnt.c_tx_errors++;
	}
}

static void
simfe_mb_report(struct simfe *sf)
{
	printf("netfront d%u/%u: misbehave %s: responses: %u NETIF_RSP_OKAY, "
	    "%u NETIF_RSP_ERROR, %u NETIF_RSP_DROPPED, %u other\n",
	    sf->sf_domid, sf->sf_devid, simfe_mb_name(sf->sf_mb),
	    sf->sf_mb_ok, sf->sf_mb_err, sf->sf_mb_drop, sf->sf_mb_other);
	fflush(stdout);
}

/* The misbehaviour's requests saw one more response. */
static void
simfe_mb_answer(struct simfe *sf, int16_t st)
{
	if (st == NETIF_RSP_OKAY)
		sf->sf_mb_ok++;
	else if (st == NETIF_RSP_ERROR)
		sf->sf_mb_err++;
	else if (st == NETIF_RSP_DROPPED)
		sf->sf_mb_drop++;
	else
		sf->sf_mb_other++;
	if (sf->sf_mb_out > 0 && --sf->sf_mb_out == 0)
		simfe_mb_report(sf);
}

void
simfe_mb_closing(struct simfe *sf)
{
	if (sf->sf_mb_out == 0)
		return;
	printf("netfront d%u/%u: misbehave %s: backend went Closing with %u "
	    "request(s) unanswered\n", sf->sf_domid, sf->sf_devid,
	    simfe_mb_name(sf->sf_mb), sf->sf_mb_out);
	fflush(stdout);
	sf->sf_mb_out = 0;
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
	if (!sf->sf_tap_reading && simfe_tx_room(sf) >= SIMFE_TX_MAX_SLOTS)
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
 * buffer of the ring slot.  Returns the ring slots the packet used, 0 if it
 * is not complete before prod yet; *len is its length, or -1 to drop it.
 */
static unsigned int
simfe_rx_packet(struct simfe *sf, RING_IDX cons, RING_IDX prod, long *len,
    bool *csum_blank)
{
	netif_rx_response_t rsp;
	struct netif_extra_info ex;
	unsigned int used = 0;
	bool first = true, bad = false;
	const uint8_t *page;
	long total = 0;

	*csum_blank = false;
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
		if (first && (rsp.flags & NETRXF_csum_blank))
			*csum_blank = true;
		if (first && (rsp.flags & NETRXF_extra_info)) {
			/* Extras follow the first data slot (netif.h). */
			do {
				if (cons + used == prod)
					return 0;
				if (used >= SIMFE_RX_MAX_SLOTS) {
					*len = -1;
					return used;
				}
				memcpy(&ex, RING_GET_RESPONSE(&sf->sf_rx,
				    cons + used), sizeof(ex));
				used++;
			} while (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE);
		}
		first = false;
		if (!(rsp.flags & NETRXF_more_data))
			break;
	}
	*len = bad || total < PROTO_ETH_HLEN ? -1 : total;
	return used;
}

/* Untrusted: RX responses (xennet_poll), then re-post the buffers. */
static void
simfe_rx_poll(struct simfe *sf)
{
	struct iovec iov;
	RING_IDX prod, i;
	unsigned int used;
	bool csum;
	long len;
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
			    &len, &csum);
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
			if (len < 0)
				sf->sf_cnt.c_rx_errors++;
			else {
				/* No virtio-net header on eth0: fill it in. */
				if (csum)
					(void)proto_csum_fill(sf->sf_buf,
					    (size_t)len);
				/* Linux drops these as PACKET_OTHERHOST; a
				 * backend that sends them made them up. */
				if (len >= 6 && !(sf->sf_buf[0] & 1) &&
				    memcmp(sf->sf_buf, sf->sf_mac, 6) != 0)
					sf->sf_cnt.c_rx_foreign++;
				iov.iov_base = sf->sf_buf;
				iov.iov_len = (size_t)len;
				if (hp_send(sf->sf_hp, &iov, 1) < 0)
					sf->sf_cnt.c_rx_errors++;
				else {
					sf->sf_cnt.c_rx_frames++;
					sf->sf_cnt.c_rx_bytes += (uint64_t)len;
				}
			}
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
		if (!sf->sf_tap_reading &&
		    simfe_tx_room(sf) >= SIMFE_TX_MAX_SLOTS)
			simfe_tap_flow(sf, true);
	}
}

/*
 * New rings and a new event channel (talk_to_netback's setup_netfront):
 * ring pages of this generation, granted to the backend, an unbound port
 * for it, the RX ring filled.  The keys are simfe.c's business.
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

/* -- --misbehave -- */

/* A broadcast frame of len bytes, from us, with a local experimental type. */
static void
simfe_mb_frame(struct simfe *sf, size_t len)
{
	memset(sf->sf_buf, 0xff, 6);
	memcpy(sf->sf_buf + 6, sf->sf_mac, 6);
	sf->sf_buf[12] = 0x88;
	sf->sf_buf[13] = 0xb5;	/* IEEE 802 local experimental */
	memset(sf->sf_buf + 14, 0x5a, len - 14);
}

static void
simfe_mb_say(struct simfe *sf, const char *what)
{
	printf("netfront d%u/%u: misbehave %s: %s\n", sf->sf_domid,
	    sf->sf_devid, simfe_mb_name(sf->sf_mb), what);
	fflush(stdout);
}

/*
 * One request on one TX id whose page holds a 64-byte frame at off: with
 * ref (0: the id's own ref), granted or not, revoked before the push or
 * not.
 */
static int
simfe_mb_queue(struct simfe *sf, grant_ref_t ref, bool grant, bool revoke,
    uint16_t off, uint16_t size)
{
	int id = simfe_txid_get(sf);
	int rc;

	if (id < 0)
		return -ENOSPC;
	if (ref == 0)		/* the id's own ref */
		ref = simfe_txref(sf, (unsigned int)id);
	simfe_mb_frame(sf, 64);
	memcpy((uint8_t *)simfe_page(sf, SIMFE_GFN_TX + (unsigned int)id) +
	    off, sf->sf_buf, size < 64 ? size : 64);
	if (grant) {
		rc = hvsim_grant(sf->sf_hv, ref, sf->sf_beid,
		    sf->sf_base + SIMFE_GFN_TX + (unsigned int)id, true);
		if (rc < 0) {
			simfe_txid_put(sf, (unsigned int)id);
			return rc;
		}
		sf->sf_txid[id].ti_granted = !revoke;
		if (revoke && (rc = hvsim_grant_end(sf->sf_hv, ref)) < 0) {
			simfe_txid_put(sf, (unsigned int)id);
			return rc;
		}
	}
	sf->sf_txid[id].ti_mb = true;
	sf->sf_txid[id].ti_seq = ++sf->sf_txseq;
	simfe_tx_req(sf, (unsigned int)id, ref, off, size, 0);
	sf->sf_cnt.c_tx_frames++;
	sf->sf_cnt.c_tx_bytes += size;
	return 0;
}

/* One such request, pushed on its own. */
static int
simfe_mb_one(struct simfe *sf, grant_ref_t ref, bool grant, bool revoke,
    uint16_t off, uint16_t size)
{
	int rc;

	if ((rc = simfe_mb_queue(sf, ref, grant, revoke, off, size)) < 0)
		return rc;
	sf->sf_mb_out = 1;
	simfe_tx_push(sf);
	return 0;
}

/* What --misbehave asked for, once, right after the first Connected. */
void
simfe_misbehave(struct simfe *sf)
{
	char msg[160];
	unsigned int n;
	RING_IDX prod;
	int rc = 0;

	sf->sf_mb_ok = sf->sf_mb_err = sf->sf_mb_drop = sf->sf_mb_other = 0;
	switch (sf->sf_mb) {
	case SIMFE_MB_NONE:
	case SIMFE_MB_RECONNECT:	/* simfe.c walks the states */
	case SIMFE_MB_REINIT:
		return;
	case SIMFE_MB_NO_RX_SLOTS:
		simfe_mb_say(sf, "posting no rx buffers at all");
		return;
	case SIMFE_MB_STARVE_RECONNECT:
		simfe_mb_say(sf, "posting no rx buffers until SIGUSR2");
		return;
	case SIMFE_MB_CONNECT_FATAL:
	case SIMFE_MB_CONNECT_BAD_EXTRA:
		return;			/* done before Connected */
	case SIMFE_MB_EVENT_STORM:
		simfe_mb_say(sf, "notifying 50 times a millisecond with "
		    "nothing to do");
		ev_timer_arm(sf->sf_ev, &sf->sf_storm, 1);
		return;
	case SIMFE_MB_SLOTS19:
	case SIMFE_MB_SLOTS20:
	case SIMFE_MB_SLOTS21:
		/* 64 bytes a slot, so that only the count is wrong. */
		n = sf->sf_mb == SIMFE_MB_SLOTS19 ? 19 :
		    sf->sf_mb == SIMFE_MB_SLOTS20 ? 20 : 21;
		simfe_mb_frame(sf, n * 64);
		rc = simfe_tx_frame(sf, sf->sf_buf, n * 64, 64, true);
		if (rc > 0) {
			sf->sf_mb_out = (unsigned int)rc;
			snprintf(msg, sizeof(msg), "pushed one packet of %d "
			    "slots, %u bytes", rc, n * 64);
			rc = 0;
		}
		break;
	case SIMFE_MB_PAGE_OVERRUN:
		rc = simfe_mb_one(sf, 0, true, false, 1, XVIF_PAGE_SIZE);
		if (rc == 0) {
			netif_tx_request_t *r = RING_GET_REQUEST(&sf->sf_tx,
			    sf->sf_tx.req_prod_pvt - 1);

			snprintf(msg, sizeof(msg), "pushed a slot with offset "
			    "1 and size 4096 (ends at 4097), gref %u",
			    r->gref);
		}
		break;
	case SIMFE_MB_UNGRANTED:
		rc = simfe_mb_one(sf, sf->sf_base + SIMFE_REF_NEVER, false,
		    false, 0, 64);
		snprintf(msg, sizeof(msg), "pushed a 64-byte request with "
		    "gref %u, never granted", sf->sf_base + SIMFE_REF_NEVER);
		break;
	case SIMFE_MB_UNGRANTED_SECOND:
		/*
		 * Two requests in one push, so in one grant-copy batch: a
		 * good one, then one never granted.  A backend that checks
		 * only the first op's status (NetBSD's xennetback_copy)
		 * would deliver the second from a page it never got.
		 */
		if ((rc = simfe_mb_queue(sf, 0, true, false, 0, 64)) == 0 &&
		    (rc = simfe_mb_queue(sf, sf->sf_base + SIMFE_REF_NEVER,
		    false, false, 0, 64)) == 0) {
			sf->sf_mb_out = 2;
			simfe_tx_push(sf);
			snprintf(msg, sizeof(msg), "pushed a good 64-byte "
			    "request and one with gref %u, never granted, "
			    "together", sf->sf_base + SIMFE_REF_NEVER);
		}
		break;
	case SIMFE_MB_REVOKED:
		rc = simfe_mb_one(sf, 0, true, true, 0, 64);
		if (rc == 0)
			snprintf(msg, sizeof(msg), "granted gref %u, revoked "
			    "it, then pushed a 64-byte request with it",
			    RING_GET_REQUEST(&sf->sf_tx,
			    sf->sf_tx.req_prod_pvt - 1)->gref);
		break;
	case SIMFE_MB_PROD_OVERRUN:
		prod = sf->sf_tx.rsp_cons + 300;
		xen_wmb();
		sf->sf_tx.sring->req_prod = prod;
		xen_mb();
		simfe_notify(sf);
		snprintf(msg, sizeof(msg), "pushed tx req_prod %u, 300 past "
		    "rsp_prod %u", prod, sf->sf_tx.sring->rsp_prod);
		sf->sf_mb_out = 1;	/* report Closing if it comes */
		break;
	}
	if (rc < 0)
		snprintf(msg, sizeof(msg), "could not be done: %s",
		    strerror(-rc));
	simfe_mb_say(sf, msg);
}

/*
 * connect-*: leave a fatal request in the TX ring before Connected is
 * written, so that the backend meets it as it connects.
 */
void
simfe_mb_prefill(struct simfe *sf)
{
	struct netif_extra_info *ex;
	char msg[160];
	int rc, id;

	if (sf->sf_mb == SIMFE_MB_CONNECT_FATAL) {
		simfe_mb_frame(sf, 21 * 64);
		rc = simfe_tx_frame(sf, sf->sf_buf, 21 * 64, 64, true);
		snprintf(msg, sizeof(msg), "before Connected: one packet of "
		    "%d slots", rc);
	} else if (sf->sf_mb == SIMFE_MB_CONNECT_BAD_EXTRA) {
		if ((id = simfe_txid_get(sf)) < 0)
			return;
		simfe_mb_frame(sf, 64);
		memcpy(simfe_page(sf, SIMFE_GFN_TX + (unsigned int)id),
		    sf->sf_buf, 64);
		rc = hvsim_grant(sf->sf_hv, simfe_txref(sf, (unsigned int)id),
		    sf->sf_beid, sf->sf_base + SIMFE_GFN_TX + (unsigned int)id,
		    true);
		sf->sf_txid[id].ti_granted = rc == 0;
		sf->sf_txid[id].ti_mb = true;
		sf->sf_txid[id].ti_seq = ++sf->sf_txseq;
		simfe_tx_req(sf, (unsigned int)id,
		    simfe_txref(sf, (unsigned int)id), 0, 64,
		    NETTXF_extra_info);
		/* The extra slot: type 0x7f is no type netif.h knows. */
		ex = (struct netif_extra_info *)RING_GET_REQUEST(&sf->sf_tx,
		    sf->sf_tx.req_prod_pvt);
		memset(ex, 0, sizeof(netif_tx_request_t));
		ex->type = 0x7f;
		sf->sf_tx.req_prod_pvt++;
		simfe_tx_push(sf);
		snprintf(msg, sizeof(msg), "before Connected: a request with "
		    "an extra of type 0x7f");
	} else
		return;
	simfe_mb_say(sf, msg);
}

/* event-storm: 50 notifications with no request behind them, then again. */
void
simfe_mb_storm(struct simfe *sf)
{
	unsigned int i;

	if (!sf->sf_up || sf->sf_phase != SIMFE_PH_CONNECTED)
		return;
	for (i = 0; i < 50; i++)
		simfe_notify(sf);
	sf->sf_storm_sent += 50;
	ev_timer_arm(sf->sf_ev, &sf->sf_storm, 1);
}
