/*
 * simfe_mb.c -- the misbehaviours of `xvif-sim netfront --misbehave MODE`:
 * what a hostile or broken frontend does to its rings and event channel
 * (bad slot counts, ungranted and revoked grants, overruns, fatal requests
 * left in the ring before Connected, event storms), and the report of
 * what the backend answered.  The rings themselves are simfe_ring.c's;
 * the state-machine misbehaviours (reconnect, reinit, insisting on
 * Connected) are simfe_xs.c's.  All but queue-prod-overrun use queue 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
	[SIMFE_MB_RX_PROD_OVERRUN] = "rx-prod-overrun",
	[SIMFE_MB_RX_UNGRANTED] = "rx-ungranted",
	[SIMFE_MB_CSUM_NOT_IP] = "csum-not-ip",
	[SIMFE_MB_GSO_NOT_TCP] = "gso-not-tcp",
	[SIMFE_MB_QUEUE_PROD_OVERRUN] = "queue-prod-overrun",
	[SIMFE_MB_QUEUES_OVER_MAX] = "queues-over-max",
	[SIMFE_MB_QUEUE_RING_UNGRANTED] = "queue-ring-ungranted",
	[SIMFE_MB_OVERRUN_REINIT] = "overrun-reinit",
	[SIMFE_MB_INITIALISED_EARLY] = "initialised-early",
	[SIMFE_MB_RX_POST_STORM] = "rx-post-storm",
	[SIMFE_MB_SAME_REFS] = "same-refs",
	[SIMFE_MB_OVERRUN_STORM] = "overrun-storm",
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
void
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
	struct simfe_queue *q = &sf->sf_q[0];
	int id = simfe_txid_get(q);
	int rc;

	if (id < 0)
		return -ENOSPC;
	if (ref == 0)		/* the id's own ref */
		ref = simfe_txref(q, (unsigned int)id);
	simfe_mb_frame(sf, 64);
	memcpy((uint8_t *)simfe_page(q, SIMFE_GFN_TX + (unsigned int)id) +
	    off, sf->sf_buf, size < 64 ? size : 64);
	if (grant) {
		rc = hvsim_grant(sf->sf_hv, ref, sf->sf_beid,
		    q->sq_base + SIMFE_GFN_TX + (unsigned int)id, true);
		if (rc < 0) {
			simfe_txid_put(q, (unsigned int)id);
			return rc;
		}
		q->sq_txid[id].ti_granted = !revoke;
		if (revoke && (rc = hvsim_grant_end(sf->sf_hv, ref)) < 0) {
			simfe_txid_put(q, (unsigned int)id);
			return rc;
		}
	}
	q->sq_txid[id].ti_mb = true;
	q->sq_txid[id].ti_seq = ++q->sq_txseq;
	simfe_tx_req(q, (unsigned int)id, ref, off, size, 0);
	sf->sf_cnt.c_tx_frames++;
	sf->sf_cnt.c_tx_bytes += size;
	q->sq_tx_frames++;
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
	simfe_tx_push(&sf->sf_q[0]);
	return 0;
}

/* slots19/20/21: one packet of n slots of 64 bytes: only the count is wrong. */
static int
simfe_mb_slots(struct simfe *sf, unsigned int n, char *msg, size_t len)
{
	int rc;

	simfe_mb_frame(sf, n * 64);
	rc = simfe_tx_frame(&sf->sf_q[0], sf->sf_buf, n * 64, 64, true);
	if (rc <= 0)
		return rc < 0 ? rc : -EIO;
	sf->sf_mb_out = (unsigned int)rc;
	snprintf(msg, len, "pushed one packet of %d slots, %u bytes", rc,
	    n * 64);
	return 0;
}

/*
 * ungranted-second: two requests in one push, so in one grant-copy batch:
 * a good one, then one never granted.  A backend that checks only the
 * first op's status (NetBSD's xennetback_copy) would deliver the second
 * from a page it never got.
 */
static int
simfe_mb_ungranted_second(struct simfe *sf, char *msg, size_t len)
{
	int rc;

	if ((rc = simfe_mb_queue(sf, 0, true, false, 0, 64)) < 0 ||
	    (rc = simfe_mb_queue(sf, sf->sf_q[0].sq_base + SIMFE_REF_NEVER,
	    false, false, 0, 64)) < 0)
		return rc;
	sf->sf_mb_out = 2;
	simfe_tx_push(&sf->sf_q[0]);
	snprintf(msg, len, "pushed a good 64-byte request and one with gref "
	    "%u, never granted, together",
	    sf->sf_q[0].sq_base + SIMFE_REF_NEVER);
	return 0;
}

/*
 * csum-not-ip, gso-not-tcp: offloads on frames that cannot have them: a
 * blank checksum on a frame that is not IP, a TCPv4 GSO extra on a
 * UDP/IPv4 one.  The backend finds no header to hand the host and must
 * drop the frame, answering its slot with an error.
 */
static int
simfe_mb_offload(struct simfe *sf, bool gso, char *msg, size_t len)
{
	const struct simfe_slot one = { .ss_off = 0, .ss_len = 64 };
	struct netif_extra_info ex;
	uint8_t *f = sf->sf_buf;
	int rc;

	simfe_mb_frame(sf, 64);
	memset(&ex, 0, sizeof(ex));
	if (gso) {
		f[12] = 0x08, f[13] = 0x00;
		memset(f + 14, 0, 50);
		f[14] = 0x45;		/* IPv4, 20 bytes */
		f[17] = 50;		/* total length */
		f[22] = 64;		/* TTL */
		f[23] = 17;		/* UDP */
		f[14 + 20 + 5] = 30;	/* UDP length */
		ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
		ex.u.gso.size = 1448;
		ex.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	}
	rc = simfe_tx_queue(&sf->sf_q[0], f, 64, &one, 1, true,
	    NETTXF_csum_blank | NETTXF_data_validated, gso ? &ex : NULL);
	if (rc <= 0)
		return rc < 0 ? rc : -EIO;
	sf->sf_mb_out = (unsigned int)rc;
	snprintf(msg, len, gso ? "pushed a 64-byte UDP/IPv4 frame with a "
	    "TCPv4 GSO extra" : "pushed a 64-byte frame that is not IP with "
	    "csum_blank");
	return 0;
}

/*
 * prod-overrun, rx-prod-overrun, queue-prod-overrun: a ring's producer
 * 300 past the responses (the two rings differ in type, not in their
 * indices), and a kick on that ring's channel.  The private producer
 * goes there too, as in a guest whose index went wrong: the next push of
 * its own traffic (an ARP, a refill) once wrote the honest index back
 * before the backend had looked, and the broken ring was never seen.
 */
static void
simfe_mb_overrun(struct simfe_queue *q, bool rx, char *msg, size_t len)
{
	RING_IDX *req_prod = rx ? &q->sq_rx.sring->req_prod :
	    &q->sq_tx.sring->req_prod;
	RING_IDX prod = (rx ? q->sq_rx.rsp_cons : q->sq_tx.rsp_cons) + 300;
	RING_IDX rsp_prod = rx ? q->sq_rx.sring->rsp_prod :
	    q->sq_tx.sring->rsp_prod;

	if (rx)
		q->sq_rx.req_prod_pvt = prod;
	else
		q->sq_tx.req_prod_pvt = prod;
	xen_wmb();
	*req_prod = prod;
	xen_mb();
	simfe_notify(q, rx);
	if (q->sq_id == 0)
		snprintf(msg, len, "pushed %s req_prod %u, 300 past rsp_prod "
		    "%u", rx ? "rx" : "tx", prod, rsp_prod);
	else
		snprintf(msg, len, "pushed queue %u's %s req_prod %u, 300 "
		    "past rsp_prod %u; queue 0 carries on", q->sq_id,
		    rx ? "rx" : "tx", prod, rsp_prod);
	q->sq_sf->sf_mb_out = 1;	/* report Closing if it comes */
}

/* What --misbehave asked for, once, right after the first Connected. */
void
simfe_misbehave(struct simfe *sf)
{
	struct simfe_queue *q0 = &sf->sf_q[0];
	char msg[160];
	int rc = 0;

	sf->sf_mb_ok = sf->sf_mb_err = sf->sf_mb_drop = sf->sf_mb_other = 0;
	switch (sf->sf_mb) {
	case SIMFE_MB_NONE:
	case SIMFE_MB_RECONNECT:	/* simfe_xs.c walks the states */
	case SIMFE_MB_REINIT:
		return;
	case SIMFE_MB_NO_RX_SLOTS:
	case SIMFE_MB_STARVE_RECONNECT:
		simfe_mb_say(sf, "posting no rx buffers until SIGUSR2");
		return;
	case SIMFE_MB_CONNECT_FATAL:
	case SIMFE_MB_CONNECT_BAD_EXTRA:
	case SIMFE_MB_QUEUES_OVER_MAX:
	case SIMFE_MB_QUEUE_RING_UNGRANTED:
	case SIMFE_MB_INITIALISED_EARLY:
	case SIMFE_MB_SAME_REFS:
		return;			/* done before Connected */
	case SIMFE_MB_EVENT_STORM:
	case SIMFE_MB_RX_POST_STORM:
		simfe_mb_say(sf, sf->sf_mb == SIMFE_MB_EVENT_STORM ?
		    "notifying 50 times a millisecond with nothing to do" :
		    "notifying 50 times a millisecond with nothing to do, "
		    "the rx producer moving back and forth");
		ev_timer_arm(sf->sf_ev, &sf->sf_storm, 1);
		return;
	case SIMFE_MB_SLOTS19:
	case SIMFE_MB_SLOTS20:
	case SIMFE_MB_SLOTS21:
		rc = simfe_mb_slots(sf, sf->sf_mb == SIMFE_MB_SLOTS19 ? 19 :
		    sf->sf_mb == SIMFE_MB_SLOTS20 ? 20 : 21, msg, sizeof(msg));
		break;
	case SIMFE_MB_PAGE_OVERRUN:
		rc = simfe_mb_one(sf, 0, true, false, 1, XVIF_PAGE_SIZE);
		if (rc == 0) {
			netif_tx_request_t *r = RING_GET_REQUEST(&q0->sq_tx,
			    q0->sq_tx.req_prod_pvt - 1);

			snprintf(msg, sizeof(msg), "pushed a slot with offset "
			    "1 and size 4096 (ends at 4097), gref %u",
			    r->gref);
		}
		break;
	case SIMFE_MB_UNGRANTED:
		rc = simfe_mb_one(sf, q0->sq_base + SIMFE_REF_NEVER, false,
		    false, 0, 64);
		snprintf(msg, sizeof(msg), "pushed a 64-byte request with "
		    "gref %u, never granted", q0->sq_base + SIMFE_REF_NEVER);
		break;
	case SIMFE_MB_UNGRANTED_SECOND:
		rc = simfe_mb_ungranted_second(sf, msg, sizeof(msg));
		break;
	case SIMFE_MB_REVOKED:
		rc = simfe_mb_one(sf, 0, true, true, 0, 64);
		if (rc == 0)
			snprintf(msg, sizeof(msg), "granted gref %u, revoked "
			    "it, then pushed a 64-byte request with it",
			    RING_GET_REQUEST(&q0->sq_tx,
			    q0->sq_tx.req_prod_pvt - 1)->gref);
		break;
	case SIMFE_MB_PROD_OVERRUN:
	case SIMFE_MB_OVERRUN_REINIT:	/* simfe_xs.c re-initialises */
		simfe_mb_overrun(q0, false, msg, sizeof(msg));
		break;
	case SIMFE_MB_OVERRUN_STORM:
		simfe_mb_overrun(q0, false, msg, sizeof(msg));
		strncat(msg, ", then notifying 50 times a millisecond",
		    sizeof(msg) - strlen(msg) - 1);
		ev_timer_arm(sf->sf_ev, &sf->sf_storm, 1);
		break;
	case SIMFE_MB_RX_PROD_OVERRUN:
		simfe_mb_overrun(q0, true, msg, sizeof(msg));
		break;
	case SIMFE_MB_QUEUE_PROD_OVERRUN:
		if (sf->sf_nq >= 2)
			simfe_mb_overrun(&sf->sf_q[1], false, msg, sizeof(msg));
		else
			snprintf(msg, sizeof(msg), "needs 2 queues, has %u: "
			    "nothing done", sf->sf_nq);
		break;
	case SIMFE_MB_RX_UNGRANTED:
		snprintf(msg, sizeof(msg), "posted its first rx buffer with "
		    "gref %u, never granted", q0->sq_base + SIMFE_REF_NEVER);
		break;
	case SIMFE_MB_CSUM_NOT_IP:
	case SIMFE_MB_GSO_NOT_TCP:
		rc = simfe_mb_offload(sf, sf->sf_mb == SIMFE_MB_GSO_NOT_TCP,
		    msg, sizeof(msg));
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
	struct simfe_queue *q = &sf->sf_q[0];
	struct netif_extra_info *ex;
	char msg[160];
	int rc, id;

	if (sf->sf_mb == SIMFE_MB_CONNECT_FATAL) {
		simfe_mb_frame(sf, 21 * 64);
		rc = simfe_tx_frame(q, sf->sf_buf, 21 * 64, 64, true);
		snprintf(msg, sizeof(msg), "before Connected: one packet of "
		    "%d slots", rc);
	} else if (sf->sf_mb == SIMFE_MB_CONNECT_BAD_EXTRA) {
		if ((id = simfe_txid_get(q)) < 0)
			return;
		simfe_mb_frame(sf, 64);
		memcpy(simfe_page(q, SIMFE_GFN_TX + (unsigned int)id),
		    sf->sf_buf, 64);
		rc = hvsim_grant(sf->sf_hv, simfe_txref(q, (unsigned int)id),
		    sf->sf_beid, q->sq_base + SIMFE_GFN_TX + (unsigned int)id,
		    true);
		q->sq_txid[id].ti_granted = rc == 0;
		q->sq_txid[id].ti_mb = true;
		q->sq_txid[id].ti_seq = ++q->sq_txseq;
		simfe_tx_req(q, (unsigned int)id,
		    simfe_txref(q, (unsigned int)id), 0, 64,
		    NETTXF_extra_info);
		/* The extra slot: type 0x7f is no type netif.h knows. */
		ex = (struct netif_extra_info *)RING_GET_REQUEST(&q->sq_tx,
		    q->sq_tx.req_prod_pvt);
		memset(ex, 0, sizeof(netif_tx_request_t));
		ex->type = 0x7f;
		q->sq_tx.req_prod_pvt++;
		simfe_tx_push(q);
		snprintf(msg, sizeof(msg), "before Connected: a request with "
		    "an extra of type 0x7f");
	} else if (sf->sf_mb == SIMFE_MB_SAME_REFS && q->sq_gen == 1) {
		simfe_mb_overrun(q, false, msg, sizeof(msg));
	} else
		return;
	simfe_mb_say(sf, msg);
}

/*
 * rx-post-storm, before a notification: the RX producer one slot back or
 * forth (never behind what the backend took: it takes nothing, no frame
 * goes to us), and the TX ring's rsp_prod one behind the backend's with
 * rsp_event at it, unless it is so already.  Our own TX responses are
 * not looked at meanwhile (simfe_ring: rsp_prod behind us is ignored).
 */
static void
simfe_mb_wobble(struct simfe_queue *q, unsigned int i)
{
	netif_tx_sring_t *tx = q->sq_tx.sring;
	RING_IDX p = tx->rsp_prod;

	q->sq_rx.sring->req_prod = q->sq_rx.req_prod_pvt - (i & 1);
	if (p != q->sq_mb_rsp_fake) {
		tx->rsp_event = p;
		tx->rsp_prod = q->sq_mb_rsp_fake = p - 1;
	}
	xen_mb();
}

/*
 * event-storm: 50 notifications with no request behind them, then again;
 * with split channels, on each in turn.  overrun-storm's first turn
 * breaks the ring (simfe_misbehave), and the storm starts a millisecond
 * later.
 */
void
simfe_mb_storm(struct simfe *sf)
{
	unsigned int i;

	if (!sf->sf_up || sf->sf_phase != SIMFE_PH_CONNECTED)
		return;
	if (sf->sf_mb == SIMFE_MB_OVERRUN_STORM && !sf->sf_mb_broke) {
		sf->sf_mb_broke = true;
		simfe_misbehave(sf);
		return;
	}
	for (i = 0; i < 50; i++) {
		if (sf->sf_mb == SIMFE_MB_RX_POST_STORM)
			simfe_mb_wobble(&sf->sf_q[0], i);
		simfe_notify(&sf->sf_q[0], (i & 1) != 0);
	}
	sf->sf_storm_sent += 50;
	ev_timer_arm(sf->sf_ev, &sf->sf_storm, 1);
}
