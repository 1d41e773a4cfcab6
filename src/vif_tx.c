/*
 * vif_tx.c -- guest TX: requests off the frontend's TX ring, checked by
 * proto.c on private copies, grant-copied in batches into page-aligned
 * staging buffers, handed to the TAP, answered.  A bad request costs the
 * guest one frame; a broken ring costs it the vif; nothing costs another
 * vif anything.  The toolstack's rate limit holds frames on the ring
 * until the queue has the credit (vif_rate.h).  With anti-spoofing on,
 * a frame not from the guest's own addresses is dropped before the TAP
 * (antispoof.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "antispoof.h"
#include "xvif.h"

/* Requests handled per call before yielding to the loop (fairness). */
#define VIF_TX_BUDGET	(2 * XVIF_TX_RING_SIZE)

static void
vif_tx_fetch(void *arg, RING_IDX idx, netif_tx_request_t *out)
{
	struct vif_queue *q = arg;

	RING_COPY_REQUEST(&q->q_txr, idx, out);
}

static void
vif_tx_respond(struct vif_queue *q, uint16_t id, int16_t status)
{
	netif_tx_response_t *r;

	r = vif_journal_tx_rsp(q, q->q_txr.rsp_prod_pvt);
	r->id = id;
	r->status = status;
	q->q_txr.rsp_prod_pvt++;
}

/* One response per ring slot the packet used, in ring order. */
static void
vif_tx_respond_pkt(struct vif_queue *q, const struct proto_txpkt *pk,
    int16_t status)
{
	unsigned int i;

	vif_tx_respond(q, pk->pk_slot[0].id, status);
	for (i = 0; i < pk->pk_nextras; i++)
		vif_tx_respond(q, 0, NETIF_RSP_NULL);
	for (i = 1; i < pk->pk_nslots; i++)
		vif_tx_respond(q, pk->pk_slot[i].id, status);
}

static void
vif_tx_add_seg(struct vif_queue *q, const netif_tx_request_t *s, uint16_t len,
    uint8_t *dst)
{
	struct vif_work *w = vif_q_work(q);
	struct hv_gcopy *gc;

	if (len == 0)		/* legal (XSA-448), and nothing to copy */
		return;
	gc = &w->w_tx_gc[w->w_tx_nsegs++];
	gc->gc_ref = s->gref;
	gc->gc_off = s->offset;
	gc->gc_len = len;
	gc->gc_buf = dst;
	gc->gc_status = GNTST_general_error;
}

/*
 * The offloads of a frame, for the TAP's vnet header, as Linux netback
 * sets them on the skb: NETTXF_csum_blank is a partial checksum whose
 * place we find (checksum_setup), NETTXF_data_validated alone says it
 * was checked, a GSO extra is a TCP superframe of its family.  NULL, or
 * why the frame is refused.  Untrusted: the frame and its flags.
 */
static const char *
vif_tx_offload(struct vif_queue *q, struct vif_txframe *tf,
    struct virtio_net_hdr *vh)
{
	const struct proto_txpkt *pk = &tf->tf_pk;
	struct proto_l4 l4;
	const char *why;
	bool v6;

	memset(vh, 0, sizeof(*vh));
	if (!(pk->pk_flags & NETTXF_csum_blank) && !pk->pk_has_gso) {
		if (pk->pk_flags & NETTXF_data_validated)
			vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return NULL;
	}
	if ((why = proto_l4_find(tf->tf_buf, pk->pk_len, &l4)) != NULL)
		return pk->pk_has_gso ? "GSO: no TCP header found" :
		    "checksum offload: no TCP or UDP header found";
	/*
	 * A superframe behind a VLAN tag, as Linux netback refuses it
	 * (skb_checksum_setup knows no 802.1Q): the host's bridge keeps it
	 * whole to the other guests' TAPs (tun's vlan_features have TSO),
	 * and no frontend takes a tagged superframe, so each of those vifs
	 * dropped it and turned TSO off for good -- one frame of one guest
	 * cost every other guest on the bridge its offload.
	 */
	if (pk->pk_has_gso && l4.l4_l3 != PROTO_ETH_HLEN)
		return "GSO behind a VLAN tag";
	if (pk->pk_has_gso) {
		v6 = pk->pk_gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6;
		if (l4.l4_proto != 6 || l4.l4_ipv6 != v6)
			return v6 ? "GSO TCPv6 on a frame that is not" :
			    "GSO TCPv4 on a frame that is not";
		vh->gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
		    VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = pk->pk_gso.u.gso.size;
		vh->hdr_len = (uint16_t)(l4.l4_off + l4.l4_hlen);
		vif_cnt_add(q, VIF_TX_GSO, 1);
		/* A GSO frame is always partial (netback's checksum_setup). */
		if (!(pk->pk_flags & NETTXF_csum_blank)) {
			proto_csum_pseudo(tf->tf_buf, &l4);
			vif_cnt_add(q, VIF_TX_GSO_FIXUP, 1);
		}
	}
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)l4.l4_off;
	vh->csum_offset = l4.l4_csum_off;
	vif_cnt_add(q, VIF_TX_CSUM_OFFLOAD, 1);
	return NULL;
}

/*
 * Anti-spoofing, on a frame whole in staging (a GSO superframe's headers
 * are its segments'): a forged one is dropped, counted by the rule it
 * broke and answered OKAY, as netback answers what it drops for policy;
 * the log says why, at most every XVIF_LOG_INTERVAL per queue.
 */
static bool
vif_tx_spoofed(struct vif_queue *q, const struct vif_txframe *tf)
{
	static const enum vif_counter cnt[] = {
		[ANTISPOOF_RULE_MAC] = VIF_TX_SPOOF_MAC,
		[ANTISPOOF_RULE_IP] = VIF_TX_SPOOF_IP,
		[ANTISPOOF_RULE_MALFORMED] = VIF_TX_SPOOF_BAD,
	};
	enum antispoof_verdict v;

	v = antispoof_check(q->q_as, tf->tf_buf, tf->tf_pk.pk_len);
	if (v == ANTISPOOF_OK)
		return false;
	vif_guest_err(q, cnt[antispoof_rule(v)], "tx id %u: dropped: %s",
	    tf->tf_pk.pk_slot[0].id, antispoof_why(v));
	vif_tx_respond_pkt(q, &tf->tf_pk, NETIF_RSP_OKAY);
	return true;
}

/*
 * The frames of a flush into the TAP, in one call if the port can
 * (io_uring), and counted.  A TAP that is gone fails the queue once.
 */
static void
vif_tx_send(struct vif_queue *q, unsigned int nout)
{
	struct vif_work *w = vif_q_work(q);
	const struct hp_txbuf *ob;
	unsigned int i;
	bool failed = false;

	if (nout == 0)
		return;
	hp_send_batch(q->q_hp, w->w_tx_out, nout);
	for (i = 0; i < nout; i++) {
		ob = &w->w_tx_out[i];
		if (ob->tb_res < 0) {
			vif_cnt_add(q, VIF_TX_HOST_DROP, 1);
			if (!failed && vif_tap_gone((int)-ob->tb_res)) {
				vif_tap_fail(q, "write", (int)-ob->tb_res);
				failed = true;
			}
			continue;
		}
		vif_cnt_add(q, VIF_TX_FRAMES, 1);
		vif_cnt_add(q, VIF_TX_BYTES, ob->tb_len);
	}
}

/* Hand every planned copy to the hypervisor, then deliver and answer. */
static void
vif_tx_flush(struct vif_queue *q)
{
	struct vif_work *w = vif_q_work(q);
	struct vif_txframe *tf;
	struct virtio_net_hdr vh;
	struct hp_txbuf *ob;
	const char *why;
	unsigned int i, j, nout = 0;
	int rc = 0, notify;

	if (w->w_tx_nsegs > 0) {
		rc = hv_gnt_copy(q->q_vif->vif_d->xd_hv, q->q_vif->vif_domid,
		    HV_FROM_GUEST, w->w_tx_gc, w->w_tx_nsegs);
		vif_cnt_add(q, VIF_GNT_CALLS, 1);
		vif_cnt_add(q, VIF_GNT_OPS, w->w_tx_nsegs);
	}
	for (i = 0; i < w->w_tx_nframes; i++) {
		tf = &w->w_tx_frames[i];
		if (tf->tf_buf == NULL) {	/* refused by proto_tx_parse */
			vif_tx_respond_pkt(q, &tf->tf_pk, NETIF_RSP_ERROR);
			continue;
		}
		for (j = 0; rc == 0 && j < tf->tf_nsegs; j++) {
			struct hv_gcopy *gc = &w->w_tx_gc[tf->tf_seg0 + j];

			if (gc->gc_status != GNTST_okay)
				break;
		}
		if (rc < 0 || j < tf->tf_nsegs) {
			const struct hv_gcopy *gc = &w->w_tx_gc[tf->tf_seg0 +
			    (rc < 0 ? 0 : j)];
			vif_guest_err(q, VIF_TX_GNT_ERR,
			    "tx id %u: grant copy of ref %u: %s",
			    tf->tf_pk.pk_slot[0].id, gc->gc_ref,
			    rc < 0 ? strerror(-rc) : hv_gntst_str(gc->gc_status));
			vif_tx_respond_pkt(q, &tf->tf_pk, NETIF_RSP_ERROR);
			continue;
		}
		if (q->q_as != NULL && vif_tx_spoofed(q, tf))
			continue;
		if ((why = vif_tx_offload(q, tf, &vh)) != NULL) {
			vif_guest_err(q, VIF_TX_BAD, "tx id %u: %s",
			    tf->tf_pk.pk_slot[0].id, why);
			vif_tx_respond_pkt(q, &tf->tf_pk, NETIF_RSP_ERROR);
			continue;
		}
		/*
		 * Delivered or dropped by the host, as a NIC would: OKAY.
		 * The frame is in our stage: the guest may have its slots
		 * back before the TAP has it (the responses go out after).
		 */
		ob = &w->w_tx_out[nout++];
		ob->tb_vh = vh;
		ob->tb_buf = tf->tf_buf;
		ob->tb_len = tf->tf_pk.pk_len;
		vif_tx_respond_pkt(q, &tf->tf_pk, NETIF_RSP_OKAY);
	}
	vif_tx_send(q, nout);
	w->w_tx_nsegs = w->w_tx_nframes = w->w_tx_pages = 0;
	vif_journal_push_tx(q, &notify);
	if (notify)
		vif_notify_tx(q);
}

/* Queue one parsed packet; flushes first when the batch is full. */
static void
vif_tx_queue(struct vif_queue *q, const struct proto_txpkt *pk, bool ok)
{
	unsigned int pages = (pk->pk_len + XVIF_PAGE_SIZE - 1) / XVIF_PAGE_SIZE;
	struct vif_work *w = vif_q_work(q);
	struct vif_txframe *tf;
	uint8_t *dst;
	unsigned int i;

	if (w->w_tx_nframes == XVIF_TX_BATCH_FRAMES ||
	    w->w_tx_nsegs + pk->pk_nslots > XVIF_TX_BATCH_SEGS ||
	    w->w_tx_pages + pages > XVIF_TX_STAGE_PAGES)
		vif_tx_flush(q);
	tf = &w->w_tx_frames[w->w_tx_nframes++];
	tf->tf_pk = *pk;
	tf->tf_buf = NULL;
	tf->tf_seg0 = w->w_tx_nsegs;
	tf->tf_nsegs = 0;
	if (!ok)
		return;
	dst = tf->tf_buf = w->w_tx_stage +
	    (size_t)w->w_tx_pages * XVIF_PAGE_SIZE;
	w->w_tx_pages += pages;
	vif_tx_add_seg(q, &pk->pk_slot[0], pk->pk_len0, dst);
	dst += pk->pk_len0;
	for (i = 1; i < pk->pk_nslots; i++) {
		vif_tx_add_seg(q, &pk->pk_slot[i], pk->pk_slot[i].size, dst);
		dst += pk->pk_slot[i].size;
	}
	tf->tf_nsegs = w->w_tx_nsegs - tf->tf_seg0;
}

/*
 * What a packet costs of the rate: its length, and for a superframe that
 * goes the headers each segment after the first will carry on the wire
 * (at their smallest: Ethernet, IP, TCP without options), as many as the
 * frontend's gso_size makes.  By the length alone, a guest whose
 * gso_size is small sent ~1400 segments for the credit of one 64 KiB
 * frame.  At least 1: a packet dropped is charged too, its length (it
 * makes no segments).
 */
static uint32_t
vif_tx_wire_len(const struct proto_txpkt *pk, bool goes)
{
	uint64_t len = pk->pk_len, size, segs, hdr;

	if (goes && pk->pk_has_gso && (size = pk->pk_gso.u.gso.size) > 0) {
		hdr = PROTO_ETH_HLEN + 20 + (pk->pk_gso.u.gso.type ==
		    XEN_NETIF_GSO_TYPE_TCPV6 ? 40 : 20);
		segs = (len + size - 1) / size;
		len += (segs > 1 ? segs - 1 : 0) * hdr;
	}
	return len == 0 ? 1 : len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

/*
 * The rate limit, as Linux netback's credit scheduler: may a frame of
 * len bytes go now?  If not, guest TX stops before it, its requests left
 * on the ring (the guest's queue fills and its stack backs off), until
 * the credit timer brings the credit; a rate of nothing waits for the
 * key to change.  The worker sleeps meanwhile.
 */
static bool
vif_tx_credit(struct vif_queue *q, uint32_t len)
{
	uint64_t wait;

	if (!vif_rate_limited(&q->q_credit.vc_rate))
		return true;
	if ((wait = vif_credit_take(&q->q_credit, len, ev_now_us())) == 0)
		return true;
	vif_cnt_add(q, VIF_TX_RATE_WAITS, 1);
	q->q_tx_waiting = true;
	if (wait != VIF_CREDIT_NEVER)
		ev_timer_arm(vif_q_ev(q), &q->q_credit_timer,
		    vif_credit_wait_ms(wait));
	return false;
}

/* The credit is there (or a new rate came): on with guest TX. */
void
vif_tx_credit_timer(void *arg)
{
	struct vif_queue *q = arg;

	q->q_tx_waiting = false;
	vif_tx_run(q);
	/* Channels held masked while it waited (vif_evt_fired): again. */
	vif_evt_release(q);
}

/*
 * A new rate, from the control plane: in the queue's worker, or before
 * one has the queue (vif_worker_rate).  It starts afresh, with an
 * interval's credit, as at connect; a queue that waited goes on.
 */
void
vif_tx_set_rate(struct vif_queue *q, const struct vif_rate *r)
{
	vif_credit_start(&q->q_credit, r, ev_now_us());
	if (!q->q_tx_waiting)
		return;
	ev_timer_cancel(vif_q_ev(q), &q->q_credit_timer);
	vif_tx_credit_timer(q);
}

void
vif_tx_run(struct vif_queue *q)
{
	netif_tx_back_ring_t *r = &q->q_txr;
	struct proto_txpkt pk;
	enum proto_verdict v;
	unsigned int done = 0;
	RING_IDX prod;

	if (!q->q_connected || q->q_tx_waiting)
		return;
	for (;;) {
		/* Untrusted: read the guest's producer once, then check it. */
		prod = __atomic_load_n(&r->sring->req_prod, __ATOMIC_ACQUIRE);
		if (prod - r->rsp_prod_pvt > RING_SIZE(r)) {
			vif_tx_flush(q);
			vif_queue_fail(q, "tx ring: req_prod %u is more than %u "
			    "past rsp_prod %u", prod, RING_SIZE(r),
			    r->rsp_prod_pvt);
			return;
		}
		/* A flush of a full batch may have failed the TAP: stop then. */
		while (q->q_connected && r->req_cons != prod &&
		    done < VIF_TX_BUDGET) {
			v = proto_tx_parse(vif_tx_fetch, q, r->req_cons, prod,
			    PROTO_TXF_GSO, &pk);
			if (v == PROTO_TX_FATAL) {
				vif_tx_flush(q);
				vif_queue_fail(q, "tx id %u: %s", pk.pk_slot[0].id,
				    pk.pk_why);
				return;
			}
			/*
			 * A packet dropped is charged too, as Linux charges
			 * txreq.size before it looks at the request: bad
			 * requests are no way past the rate (each one costs
			 * us a parse, an answer and a log line's check).
			 */
			if (!vif_tx_credit(q, vif_tx_wire_len(&pk,
			    v == PROTO_TX_OK))) {
				vif_tx_flush(q);	/* what had credit */
				return;
			}
			r->req_cons += pk.pk_consumed;
			done += pk.pk_consumed;
			if (v == PROTO_TX_DROP)
				vif_guest_err(q, VIF_TX_BAD,
				    "tx id %u: packet with size %u is %s",
				    pk.pk_slot[0].id, pk.pk_len, pk.pk_why);
			vif_tx_queue(q, &pk, v == PROTO_TX_OK);
		}
		vif_tx_flush(q);
		if (!q->q_connected)
			return;		/* the TAP failed under the flush */
		if (done >= VIF_TX_BUDGET) {
			/* More to do: its own timer, which RX never re-arms. */
			vif_kick_later(q);
			return;
		}
		/* RING_FINAL_CHECK_FOR_REQUESTS, with our single read of prod. */
		r->sring->req_event = r->req_cons + 1;
		xen_mb();
		if (__atomic_load_n(&r->sring->req_prod, __ATOMIC_ACQUIRE) ==
		    r->req_cons)
			return;
	}
}
