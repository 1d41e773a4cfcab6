/*
 * vif_rx.c -- guest RX: frames read off the TAP, grant-copied in batches
 * into the pages the frontend posted on its RX ring, answered in the very
 * slots of the requests they used (Linux netfront ignores the RX id).
 *
 * The backlog is the TAP's own queue: we read a frame only when the guest
 * has posted a slot, or one frame to hold while none is (vif_rx_want), so
 * a guest that posts none makes the host stack queue (and, with carrier
 * off after XVIF_RX_STALL_MS, drop) instead of making us buffer more
 * than that one (XSA-392).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "xvif.h"

/* Frames moved per call before yielding to the loop (fairness). */
#define VIF_RX_BUDGET	(4 * XVIF_RX_BATCH_FRAMES)
/* Frames of a stalled guest's TAP dropped a wait at most (vif_rx_drain). */
#define VIF_RX_DRAIN_MAX	(32 * XVIF_RX_BATCH_FRAMES)

void
vif_rx_watch_tap(struct vif_queue *q, bool on)
{
	if (on && !q->q_hp_polled && q->q_hp != NULL) {
		if (ev_fd_add(vif_q_ev(q), hp_fd(q->q_hp), EPOLLIN,
		    vif_rx_hp_ready, q, &q->q_hp_h) == 0)
			q->q_hp_polled = true;
	} else if (!on && q->q_hp_polled) {
		ev_fd_del(vif_q_ev(q), q->q_hp_h);
		q->q_hp_h = NULL;
		q->q_hp_polled = false;
	}
}

void
vif_rx_hp_ready(void *arg, uint32_t events)
{
	struct vif_queue *q = arg;

	/*
	 * A TAP whose interface was deleted polls as an error for ever
	 * (tun_chr_poll: no device attached): without this the loop spins.
	 */
	if (events & (EPOLLERR | EPOLLHUP)) {
		vif_tap_fail(q, "poll", ENODEV);
		return;
	}
	vif_rx_run(q);
}

/* Timer: RX polls a frontend without feature-rx-notify, or a stall. */
void
vif_rx_timer(void *arg)
{
	vif_rx_run(arg);
}

static void
vif_rx_respond(struct vif_queue *q, uint16_t id, uint16_t flags, int16_t status)
{
	netif_rx_response_t *r;

	r = vif_journal_rx_rsp(q, q->q_rxr.rsp_prod_pvt);
	r->id = id;
	r->offset = 0;
	r->flags = flags;
	r->status = status;
	q->q_rxr.rsp_prod_pvt++;
}

/*
 * The GSO extra in the slot after a frame's first (netif.h: the first
 * response has NETRXF_extra_info; Linux's xenvif_rx_extra_slot).
 */
static void
vif_rx_respond_gso(struct vif_queue *q, const struct vif_rxmeta *m)
{
	struct netif_extra_info ex;

	_Static_assert(sizeof(ex) == sizeof(netif_rx_response_t),
	    "an extra fills one response slot");
	memset(&ex, 0, sizeof(ex));
	ex.type = XEN_NETIF_EXTRA_TYPE_GSO;
	ex.u.gso.size = m->rm_gso_size;
	ex.u.gso.type = m->rm_gso_type;
	memcpy(vif_journal_rx_rsp(q, q->q_rxr.rsp_prod_pvt), &ex,
	    sizeof(ex));
	q->q_rxr.rsp_prod_pvt++;
}

/*
 * Answer one frame's slots in ring order: its first data slot, its GSO
 * extra if it has one, the rest.  On error every slot says so.
 */
static void
vif_rx_respond_frame(struct vif_queue *q, const struct vif_rxframe *rf,
    bool ok)
{
	const struct vif_rxmeta *m = &rf->rf_meta;
	struct vif_work *w = vif_q_work(q);
	unsigned int j;
	uint16_t flags;

	for (j = 0; j < rf->rf_nsegs; j++) {
		const struct hv_gcopy *gc = &w->w_rx_gc[rf->rf_seg0 + j];

		flags = 0;		/* an error is a slot of its own */
		if (ok && j + 1 < rf->rf_nsegs)
			flags |= NETRXF_more_data;
		if (ok && j == 0)
			flags |= m->rm_flags |
			    (m->rm_gso_type != 0 ? NETRXF_extra_info : 0);
		vif_rx_respond(q, w->w_rx_ids[rf->rf_seg0 + j], flags,
		    ok ? (int16_t)gc->gc_len : NETIF_RSP_ERROR);
		if (j == 0 && m->rm_gso_type != 0) {
			if (ok)
				vif_rx_respond_gso(q, m);
			else
				vif_rx_respond(q, rf->rf_extra_id, 0,
				    NETIF_RSP_ERROR);
		}
	}
}

/* Copy the planned frames into the guest's pages, then answer. */
static void
vif_rx_flush(struct vif_queue *q, unsigned int nframes, unsigned int nsegs)
{
	struct vif_work *w = vif_q_work(q);
	struct vif_rxframe *rf;
	unsigned int i, j;
	int rc = 0, notify;

	if (nsegs == 0)
		return;
	rc = hv_gnt_copy(q->q_vif->vif_d->xd_hv, q->q_vif->vif_domid,
	    HV_TO_GUEST, w->w_rx_gc, nsegs);
	vif_cnt_add(q, VIF_GNT_CALLS, 1);
	vif_cnt_add(q, VIF_GNT_OPS, nsegs);
	for (i = 0; i < nframes; i++) {
		rf = &w->w_rx_frames[i];
		for (j = 0; rc == 0 && j < rf->rf_nsegs; j++)
			if (w->w_rx_gc[rf->rf_seg0 + j].gc_status !=
			    GNTST_okay)
				break;
		if (rc < 0 || j < rf->rf_nsegs) {
			const struct hv_gcopy *gc = &w->w_rx_gc[rf->rf_seg0 +
			    (rc < 0 ? 0 : j)];
			/* Each request whose grant the copy refused. */
			for (; rc == 0 && j < rf->rf_nsegs; j++)
				if (w->w_rx_gc[rf->rf_seg0 + j].gc_status !=
				    GNTST_okay)
					vif_cnt_add(q, VIF_RX_BAD, 1);
			vif_guest_err(q, VIF_RX_GNT_ERR,
			    "rx: grant copy to ref %u: %s", gc->gc_ref,
			    rc < 0 ? strerror(-rc) : hv_gntst_str(gc->gc_status));
			vif_rx_respond_frame(q, rf, false);
			continue;
		}
		vif_rx_respond_frame(q, rf, true);
		vif_cnt_add(q, VIF_RX_FRAMES, 1);
		vif_cnt_add(q, VIF_RX_BYTES, rf->rf_len);
		if (rf->rf_meta.rm_flags & NETRXF_csum_blank)
			vif_cnt_add(q, VIF_RX_CSUM_BLANK, 1);
		if (rf->rf_meta.rm_gso_type != 0)
			vif_cnt_add(q, VIF_RX_GSO, 1);
	}
	vif_journal_push_rx(q, &notify);
	if (notify)
		vif_notify_rx(q);
}

/*
 * Plan the copy of one frame (len bytes at buf) into posted RX slots,
 * consuming one request per page.  The caller checked there are enough.
 */
static void
vif_rx_plan(struct vif_queue *q, const uint8_t *buf, uint32_t len,
    const struct vif_rxmeta *m, unsigned int *nframes, unsigned int *nsegs)
{
	struct vif_work *w = vif_q_work(q);
	struct vif_rxframe *rf = &w->w_rx_frames[(*nframes)++];
	netif_rx_request_t req;
	uint32_t off = 0;

	rf->rf_len = len;
	rf->rf_meta = *m;
	rf->rf_seg0 = *nsegs;
	rf->rf_nsegs = 0;
	do {
		uint32_t chunk = len - off > XVIF_PAGE_SIZE ? XVIF_PAGE_SIZE :
		    len - off;
		struct hv_gcopy *gc = &w->w_rx_gc[*nsegs];

		/* Untrusted: one private copy of each request. */
		RING_COPY_REQUEST(&q->q_rxr, q->q_rxr.req_cons, &req);
		q->q_rxr.req_cons++;
		w->w_rx_ids[*nsegs] = req.id;
		gc->gc_ref = req.gref;
		gc->gc_off = 0;
		gc->gc_len = (uint16_t)chunk;
		gc->gc_buf = (void *)(uintptr_t)(buf + off);
		gc->gc_status = GNTST_general_error;
		(*nsegs)++;
		/*
		 * The GSO extra takes the request after the first; its id
		 * answers it if the frame fails (an extra has none).
		 */
		if (rf->rf_nsegs++ == 0 && m->rm_gso_type != 0) {
			RING_COPY_REQUEST(&q->q_rxr, q->q_rxr.req_cons, &req);
			q->q_rxr.req_cons++;
			rf->rf_extra_id = req.id;
		}
		off += chunk;
	} while (off < len);
}

/* Requests a frame uses: one per page, one more for a GSO extra. */
static uint32_t
vif_rx_slots_for(uint32_t len, const struct vif_rxmeta *m)
{
	return (len == 0 ? 1 : (len + XVIF_PAGE_SIZE - 1) / XVIF_PAGE_SIZE) +
	    (m->rm_gso_type != 0);
}

/*
 * Has the guest posted need slots?  If not, ask it to notify us once it
 * has -- req_event = req_cons + need, not + 1: with some slots posted
 * already, req_cons + 1 is at or below req_prod and the guest's next
 * push would not notify at all (netif.h; Linux's
 * xenvif_rx_ring_slots_available) -- then look again, for slots posted
 * between our first look and the guest's seeing req_event.
 */
static bool
vif_rx_slots_wait(struct vif_queue *q, uint32_t need)
{
	netif_rx_back_ring_t *r = &q->q_rxr;

	if (__atomic_load_n(&r->sring->req_prod, __ATOMIC_ACQUIRE) -
	    r->req_cons >= need)
		return true;
	r->sring->req_event = r->req_cons + need;
	xen_mb();
	return __atomic_load_n(&r->sring->req_prod, __ATOMIC_ACQUIRE) -
	    r->req_cons >= need;
}

/*
 * A guest stalled a wait ago, and the frame held for it now dropped:
 * what its TAP holds came before its carrier went off (the host stack
 * sends no more once it has taken the link change, within a second or
 * so), so each frame of it has waited for the guest about as long as
 * Linux lets one (rx_drain_timeout, after which it drops them all):
 * dropped with the held one, VIF_RX_DRAIN_MAX a wait at most, not one a
 * wait, which fed a guest that came back frames minutes old.  The
 * frames dropped, the held one's included; -1 if the TAP failed (the
 * queue with it).
 */
static int
vif_rx_drain(struct vif_queue *q)
{
	struct vif_work *w = vif_q_work(q);
	unsigned int dropped = 1;	/* the held frame */
	ssize_t n;

	do {
		n = hp_recv_batch(q->q_hp, w->w_rx_bufs, XVIF_RX_BATCH_FRAMES);
		if (n > 0)
			dropped += (unsigned int)n;
	} while (n == XVIF_RX_BATCH_FRAMES && dropped < VIF_RX_DRAIN_MAX);
	vif_cnt_add(q, VIF_RX_NO_SLOTS, dropped);
	if (n < 0 && vif_tap_gone((int)-n)) {
		vif_tap_fail(q, "read", (int)-n);
		return -1;
	}
	return (int)dropped;
}

/*
 * A frame waits for slots the guest has not posted: stop reading the TAP
 * (the host stack queues, then drops: XSA-392) and wait for the guest's
 * notification, or poll one that never notifies (no feature-rx-notify).
 * After XVIF_RX_STALL_MS the held frame is dropped (Linux's
 * rx_drain_timeout), and a guest that promised to notify and has no slot
 * at all is stalled, its carrier off until it posts one (Linux disables
 * stall detection without feature-rx-notify: a guest that polls is never
 * stalled); each wait after that, its TAP's backlog is dropped
 * (vif_rx_drain).  A guest that posts, but fewer slots than the frame
 * needs: what queued behind it waited as long, so until the TAP is found
 * empty, the guest posts what that frame needed or a wait has passed, a
 * frame that does not fit is dropped at once (q_rx_stale_until), not
 * held a wait more: one a wait kept tun's 500 frames (32 MiB of
 * superframes) queued for ever, and fed them minutes old; Linux drops a
 * frame once it has waited rx_drain_timeout.  Those that fit go.  One
 * slot, not the frame's need, is what a stalled guest is asked for and
 * what makes it ready: one that posts fewer than a big frame needs is
 * heard, and that frame dropped in its turn, instead of waiting for
 * ever.  Is the run to go on (the frame dropped, and slots posted or a
 * guest that polls)?
 */
static bool
vif_rx_starve(struct vif_queue *q)
{
	bool notifies = q->q_vif->vif_fe.fe_rx_notify;
	uint64_t now = ev_now_ms();
	uint32_t need;
	int n;

	vif_rx_watch_tap(q, false);
	/*
	 * A shared channel held for TX's credit would hold the guest's
	 * "slots posted" too, until the credit came: let it go.
	 */
	if (q->q_port_rx == q->q_port_tx)
		vif_evt_release(q);
	if (q->q_rx_starved_since == 0) {
		q->q_rx_starved_since = now;
		vif_cnt_add(q, VIF_RX_SLOT_WAITS, 1);
	}
	if (q->q_rx_stalled && vif_rx_slots_wait(q, 1)) {
		vif_queue_stall(q, false, true);	/* carrier on */
		q->q_rx_starved_since = now;	/* the frame's own wait */
	}
	if (now - q->q_rx_starved_since >= XVIF_RX_STALL_MS) {
		need = vif_rx_slots_for(q->q_rx_pending,
		    &q->q_rx_pending_meta);
		q->q_rx_pending = 0;
		if (!notifies || vif_rx_slots_wait(q, 1)) {
			q->q_rx_starved_since = 0;
			q->q_rx_stale_until = now + XVIF_RX_STALL_MS;
			q->q_rx_stale_need = need;
			vif_guest_err(q, VIF_RX_NO_SLOTS, "rx: a frame of %u "
			    "slots dropped: fewer posted for %u s (and those "
			    "queued behind it that need more)", need,
			    XVIF_RX_STALL_MS / 1000);
			return true;
		}
		if (!q->q_rx_stalled) {
			vif_cnt_add(q, VIF_RX_NO_SLOTS, 1);
			vif_queue_stall(q, true, true);
			vif_cnt_add(q, VIF_RX_STALLS, 1);
		} else if ((n = vif_rx_drain(q)) < 0)
			return false;
		else
			vif_guest_log(q, "rx: %d frames dropped: queued for a "
			    "stalled guest for %u s", n,
			    XVIF_RX_STALL_MS / 1000);
		q->q_rx_starved_since = now;	/* the next frame's */
	}
	ev_timer_arm(vif_q_ev(q), &q->q_rx_timer, !notifies ? XVIF_RX_POLL_MS :
	    (unsigned int)(q->q_rx_starved_since + XVIF_RX_STALL_MS - now));
	return false;
}

/* Slots are posted: carrier on, read the TAP. */
static void
vif_rx_fed(struct vif_queue *q)
{
	q->q_rx_starved_since = 0;
	ev_timer_cancel(vif_q_ev(q), &q->q_rx_timer);
	vif_queue_stall(q, false, true);	/* carrier on */
	vif_rx_watch_tap(q, true);
}

/*
 * Nothing waits for the guest now.  With a slot posted, the carrier is
 * on and the TAP watched.  Without one, a carrier that is on stays on
 * (the next frame will be held and the guest watched for a stall); one
 * that is off after a stall stays off until the guest posts.
 */
static void
vif_rx_idle(struct vif_queue *q)
{
	netif_rx_back_ring_t *r = &q->q_rxr;

	/*
	 * The guest is asked to notify of a slot (req_event) only if it
	 * stalled: the slot brings its carrier back.  Else the next frame
	 * that finds none asks for its own; a notification asked for with
	 * nothing waiting would be no work (vif_evt_work), and an honest
	 * guest, posting, would meet the back-off.
	 */
	if (q->q_rx_stalled ? vif_rx_slots_wait(q, 1) :
	    __atomic_load_n(&r->sring->req_prod, __ATOMIC_ACQUIRE) !=
	    r->req_cons) {
		vif_rx_fed(q);
		return;
	}
	q->q_rx_starved_since = 0;
	if (!q->q_rx_stalled) {
		ev_timer_cancel(vif_q_ev(q), &q->q_rx_timer);
		vif_rx_watch_tap(q, true);
	} else if (!q->q_vif->vif_fe.fe_rx_notify)
		ev_timer_arm(vif_q_ev(q), &q->q_rx_timer,
		    XVIF_RX_POLL_MS);
}

/*
 * A VLAN-tagged TCP superframe off the TAP: the interface is a tagged
 * port of a VLAN-aware bridge, and Linux lets a tun keep a superframe
 * behind a tag (its vlan_features have TSO; Linux netback's netdev has
 * none, so the kernel segments such frames before netback sees them).  A
 * frontend cannot take one whole -- netfront's skb_checksum_setup finds
 * no header behind a tag and drops it -- and xvifd does not segment: the
 * frame is dropped, and TCP segmentation on the TAP turned off for the
 * vif's life, so that the kernel segments every frame from now on (the
 * guest gets segments, their checksums still offloaded).  Said once.
 */
static void
vif_rx_vlan_tso(struct vif_queue *q)
{
	struct xvif *vif = q->q_vif;
	unsigned int offl;
	int rc;

	if (__atomic_exchange_n(&vif->vif_no_tso, true, __ATOMIC_RELAXED))
		return;
	offl = vif_tap_offloads(&vif->vif_fe) &
	    ~(unsigned int)(TUN_F_TSO4 | TUN_F_TSO6);
	if ((rc = hp_set_offload(q->q_hp, offl)) < 0)
		log_warnc(-rc, "%s: a VLAN-tagged TCP superframe from the "
		    "host, dropped (a frontend cannot take one whole); turning "
		    "off TCP segmentation on %s", vif->vif_tag,
		    q->q_hp->hp_name);
	else
		log_warnx("%s: a VLAN-tagged TCP superframe from the host, "
		    "dropped (a frontend cannot take one whole); TCP "
		    "segmentation on %s turned off: the host segments from "
		    "now on", vif->vif_tag, q->q_hp->hp_name);
}

/*
 * What the guest is told of a frame's offloads, from the TAP's vnet
 * header, as Linux netback tells it of an skb's: a partial checksum is
 * NETRXF_csum_blank (with data_validated) if the frontend takes it for
 * the frame's family, else we fill it in; a checked one is
 * data_validated; a TCP superframe gets a GSO extra.  The frontend must
 * find the headers itself (netfront's skb_checksum_setup), which it
 * cannot behind a VLAN tag: a tagged partial checksum is filled in here,
 * and a tagged superframe, which Linux netback never gets, is dropped
 * (vif_rx_vlan_tso), as is one that is not the TCP of the family its GSO
 * type says.  So are offloads the frontend did not ask for (frames queued
 * on the TAP before a reconnect): false.
 */
static bool
vif_rx_offload(struct vif_queue *q, uint8_t *buf, uint32_t len,
    const struct virtio_net_hdr *vh, struct vif_rxmeta *m)
{
	const struct vif_fe *fe = &q->q_vif->vif_fe;
	struct proto_l4 l4;
	bool found;

	memset(m, 0, sizeof(*m));
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		if (vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && fe->fe_gso4)
			m->rm_gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
		else if (vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV6 &&
		    fe->fe_gso6)
			m->rm_gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
		if (m->rm_gso_type == 0 || vh->gso_size == 0 ||
		    !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			return false;
		m->rm_gso_size = vh->gso_size;
	}
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		found = proto_l4_find(buf, len, &l4) == NULL &&
		    l4.l4_off == vh->csum_start &&
		    l4.l4_csum_off == vh->csum_offset;
		if (found && l4.l4_l3 != PROTO_ETH_HLEN) {
			if (m->rm_gso_type != 0 && l4.l4_proto == 6)
				vif_rx_vlan_tso(q);
			found = false;
		}
		/* A superframe is what its GSO type says, as on guest TX. */
		if (m->rm_gso_type != 0 && (!found || l4.l4_proto != 6 ||
		    l4.l4_ipv6 != (m->rm_gso_type == XEN_NETIF_GSO_TYPE_TCPV6)))
			return false;
		if (found && (l4.l4_ipv6 ? fe->fe_ipv6_csum : fe->fe_csum)) {
			m->rm_flags = NETRXF_csum_blank | NETRXF_data_validated;
			return true;
		}
		if (m->rm_gso_type != 0 || proto_csum_finish(buf, len,
		    vh->csum_start, vh->csum_offset) != NULL)
			return false;
		vif_cnt_add(q, VIF_RX_CSUM_FILLED, 1);
		m->rm_flags = NETRXF_data_validated;
	} else if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		m->rm_flags = NETRXF_data_validated;
	return true;
}

/*
 * Is this frame, just read, one the guest may get?  Frames no ring can
 * take are dropped and counted here, never truncated into the ring.
 */
static bool
vif_rx_accept(struct vif_queue *q, struct hp_rxbuf *rb, struct vif_rxmeta *m)
{
	if (rb->rb_len > XVIF_FRAME_MAX) {
		vif_cnt_add(q, VIF_RX_OVERSIZE, 1);
		return false;
	}
	if (rb->rb_len > XVIF_PAGE_SIZE && !q->q_vif->vif_fe.fe_sg) {
		vif_cnt_add(q, VIF_RX_TOO_BIG, 1);
		return false;
	}
	if (!vif_rx_offload(q, rb->rb_buf, (uint32_t)rb->rb_len, &rb->rb_vh,
	    m)) {
		vif_cnt_add(q, VIF_RX_OFFLOAD_DROP, 1);
		return false;
	}
	return true;
}

/* The most requests one frame off the TAP can take (vif_rx_slots_for). */
static uint32_t
vif_rx_slots_max(struct vif_queue *q)
{
	const struct vif_fe *fe = &q->q_vif->vif_fe;

	if (!fe->fe_sg)
		return 1;
	return (XVIF_FRAME_MAX + XVIF_PAGE_SIZE - 1) / XVIF_PAGE_SIZE +
	    (fe->fe_gso4 || fe->fe_gso6);
}

/*
 * The frames read off the TAP in this run: w_rx_bufs[rs_next .. rs_got)
 * are read and not looked at yet (rs_next, rs_got restart with each
 * batch of the run); rs_empty: a read found the TAP empty.  A batch
 * reads the TAP once (vif_rx_next).
 */
struct vif_rxsrc {
	unsigned int	rs_next, rs_got;
	bool		rs_empty;
};

/*
 * How many frames to ask the TAP for: as many as surely fit in the avail
 * requests posted, and one more -- a frame that does not fit waits in the
 * vif's hold (vif_rx_hold), and only the last frame of a read can be
 * that one (a read starts only with the hold empty) -- within room more
 * frames of this batch and q_rx_want (hp_batch_next).  The one more
 * matters when the guest is slow to post: with 64 requests posted and
 * TSO on (17 requests at most a frame), 4 frames a read instead of 3.
 * (A backlog gone stale, vif_rx_starve, is read a batch at a time.)
 */
static unsigned int
vif_rx_want(struct vif_queue *q, const struct vif_rxsrc *rs, uint32_t avail,
    unsigned int room)
{
	unsigned int k = avail / vif_rx_slots_max(q) + 1;

	/* Stale, a frame that does not fit is dropped, not held: any number. */
	if (q->q_rx_stale_until != 0)
		k = room;

	if (k > room)
		k = room;
	if (k > XVIF_RX_BATCH_FRAMES - rs->rs_got)
		k = XVIF_RX_BATCH_FRAMES - rs->rs_got;
	if (k > q->q_rx_want)
		k = q->q_rx_want;
	return k;
}

/*
 * The next frame off the TAP (into *bufp, its offloads into m): its
 * length, 0 if none, -1 if the TAP failed (the vif is failed then).  A
 * read that got fewer frames than asked for found the TAP empty: no more
 * reads this run (the TAP's readiness brings the next).  One that got
 * all it asked for ends the batch all the same: what it got goes to the
 * guest before the next read, which asks for twice as many.  Reading on
 * first held every frame after an idle spell for a read that found
 * nothing (an io_uring_enter arming reads, then cancelling them): a
 * ping's round trip waited for it, and on a PV dom0 a system call is
 * dear.  A stream reads as before: the batch is full, or the read found
 * fewer than asked for.
 */
static ssize_t
vif_rx_next(struct vif_queue *q, struct vif_rxsrc *rs, uint32_t avail,
    unsigned int room, uint8_t **bufp, struct vif_rxmeta *m)
{
	struct vif_work *w = vif_q_work(q);
	struct hp_rxbuf *rb;
	unsigned int k;
	ssize_t n;

	for (;;) {
		if (rs->rs_next == rs->rs_got) {
			if (rs->rs_empty || rs->rs_got > 0 ||
			    (k = vif_rx_want(q, rs, avail, room)) == 0)
				return 0;
			n = hp_recv_batch(q->q_hp, &w->w_rx_bufs[rs->rs_got], k);
			if (n < 0 && vif_tap_gone((int)-n)) {
				vif_tap_fail(q, "read", (int)-n);
				return -1;
			}
			if (n < 0)
				n = 0;
			q->q_rx_want = hp_batch_next(k, (unsigned int)n,
			    XVIF_RX_BATCH_FRAMES);
			rs->rs_empty = (unsigned int)n < k;
			if (n == 0)
				return 0;
			vif_cnt_add(q, VIF_RX_TAP_READS, 1);
			rs->rs_got += (unsigned int)n;
		}
		rb = &w->w_rx_bufs[rs->rs_next++];
		if (vif_rx_accept(q, rb, m)) {
			*bufp = rb->rb_buf;
			return (ssize_t)rb->rb_len;
		}
	}
}

/*
 * Keep a frame that waits for slots in the vif's own buffer, made the
 * first time one waits.  Without memory it is dropped, as with no slot:
 * false.
 */
static bool
vif_rx_hold(struct vif_queue *q, const uint8_t *buf, uint32_t len)
{
	if (buf != q->q_rx_hold) {
		if (q->q_rx_hold == NULL &&
		    (q->q_rx_hold = malloc(XVIF_RX_FRAME_SLOT)) == NULL) {
			vif_cnt_add(q, VIF_RX_NO_SLOTS, 1);
			return false;
		}
		memcpy(q->q_rx_hold, buf, len);
	}
	q->q_rx_pending = len;
	return true;
}

void
vif_rx_run(struct vif_queue *q)
{
	netif_rx_back_ring_t *r = &q->q_rxr;
	struct vif_rxsrc rs;
	unsigned int nframes, nsegs, done = 0;
	uint32_t need, pend_len;
	RING_IDX prod, avail;
	uint8_t *buf, *pend_buf;
	struct vif_rxmeta m;
	ssize_t n;
	bool tap_failed, stale;

	if (!q->q_connected)
		return;
	rs.rs_empty = false;
	while (done < VIF_RX_BUDGET) {
		prod = __atomic_load_n(&r->sring->req_prod, __ATOMIC_ACQUIRE);
		if (prod - r->rsp_prod_pvt > RING_SIZE(r)) {
			vif_queue_fail(q, "rx ring: req_prod %u is more than %u "
			    "past rsp_prod %u", prod, RING_SIZE(r),
			    r->rsp_prod_pvt);
			return;
		}
		avail = prod - r->req_cons;
		/* Stale no more once the guest posts what the dropped frame
		 * wanted (it keeps up again), the TAP is found empty (below),
		 * or a wait has passed (under a flood). */
		if (q->q_rx_stale_until != 0 && (avail >= q->q_rx_stale_need ||
		    ev_now_ms() >= q->q_rx_stale_until))
			q->q_rx_stale_until = 0;
		stale = q->q_rx_stale_until != 0;
		nframes = nsegs = pend_len = 0;
		rs.rs_next = rs.rs_got = 0;	/* rs_empty holds for the run */
		pend_buf = NULL;
		tap_failed = false;
		while (nframes < XVIF_RX_BATCH_FRAMES) {
			if (nframes == 0 && q->q_rx_pending > 0) {
				buf = q->q_rx_hold;
				n = q->q_rx_pending;
				m = q->q_rx_pending_meta;
				q->q_rx_pending = 0;
			} else if ((n = vif_rx_next(q, &rs, avail,
			    XVIF_RX_BATCH_FRAMES - nframes, &buf, &m)) <= 0) {
				tap_failed = n < 0;
				break;
			}
			need = vif_rx_slots_for((uint32_t)n, &m);
			if (need > avail && stale) {
				vif_cnt_add(q, VIF_RX_NO_SLOTS, 1);
				continue;
			}
			if (need > avail) {
				pend_buf = buf;
				pend_len = (uint32_t)n;
				q->q_rx_pending_meta = m;
				break;
			}
			vif_rx_plan(q, buf, (uint32_t)n, &m, &nframes, &nsegs);
			avail -= need;
		}
		vif_rx_flush(q, nframes, nsegs);
		if (rs.rs_empty)
			q->q_rx_stale_until = 0;	/* what comes next is new */
		/*
		 * The guest takes frames: its stall is measured from its
		 * last want of slots after this (Linux's last_rx_time, set
		 * at every frame), not from the first of a long stream.
		 */
		if (nframes > 0)
			q->q_rx_starved_since = 0;
		/* Frames read and dropped count too: a full TAP of them ends. */
		done += rs.rs_got > nframes ? rs.rs_got : nframes;
		if (tap_failed)
			return;
		if (pend_len > 0) {
			/* The stage is the loop's: the frame waits in the vif's. */
			if (!vif_rx_hold(q, pend_buf, pend_len))
				continue;
			if (!vif_rx_slots_wait(q, vif_rx_slots_for(pend_len,
			    &q->q_rx_pending_meta)) && !vif_rx_starve(q))
				return;
			/* A guest moving req_prod to and fro: bounded too. */
			done++;
			continue;
		}
		if (rs.rs_empty || rs.rs_got == 0)
			break;	/* the TAP is empty, or not read: no more known */
	}
	if (done >= VIF_RX_BUDGET) {
		vif_kick_later(q);	/* the TAP has more */
		return;
	}
	vif_rx_idle(q);
}
