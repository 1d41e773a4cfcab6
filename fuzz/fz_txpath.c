/*
 * fz_txpath.c -- libFuzzer target: a hostile guest's TX ring through
 * xvifd's own guest-TX code (src/vif_tx.c), past the request parser that
 * fz_txreq drives alone: the batch's staging arithmetic, its flushes, the
 * order of the answers, the offload mapping, anti-spoofing, the rate
 * limit's wait and the re-parse after it.  Faked below their ports: the
 * hypervisor's grant copy (every gref is one guest page, cut from the
 * input; some grefs fail, or a whole call) and notify; the host port's
 * send (a frame refused, or the TAP gone: every later write fails).  The guest controls the TX
 * ring's producer, every request and extra in it, its rsp_event, and
 * the bytes of its page.  What must hold, whatever it does:
 *  - every copy stays inside one guest page and inside the worker's
 *    staging buffer, and reads a gref the guest posted this round;
 *  - a frame handed to the host is tiled exactly by good copies of this
 *    flush: no byte of it is left from an earlier frame (the stage is
 *    the worker's, shared by every guest it serves), and every byte is
 *    the guest's own (but a checksum field we were asked to seed);
 *  - its vnet header points inside it: the checksum's place, hdr_len,
 *    a GSO type only TCP of the frame's own family, never behind a VLAN
 *    tag, gso_size not 0;
 *  - every consumed request is answered in its own slot, in ring order,
 *    with its id (an extra: NETIF_RSP_NULL), and pushed; nothing is
 *    consumed past req_prod; a queue fails only for a broken ring or a
 *    TAP that is gone, answers what it had taken first, and takes
 *    nothing from the ring after the TAP went;
 *  - no lost wakeup: a push past the guest's rsp_event notifies it, and
 *    a queue that stops with the ring empty asks for the next request;
 *    one that stops at its budget, with more posted, runs again on its
 *    own (its kick timer: the guest, that posted long ago, will not
 *    notify again);
 *  - the frame counter counts what the host took.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "antispoof.h"
#include "fz_vif.h"

#define FZ_TX_STAGE	((size_t)XVIF_TX_STAGE_PAGES * XVIF_PAGE_SIZE)
#define FZ_PORT		7	/* the queue's one channel */

/* The host port: takes frames, refuses some, or is gone. */
struct fz_hp {
	struct fz_hp_base h_base;	/* first: see hp.h */
	unsigned int	 h_mode;	/* 0 takes all, 1 every 3rd -EAGAIN, 2 gone */
	unsigned int	 h_frames;	/* frames offered, this input */
	unsigned int	 h_taken;	/* ... and taken */
	bool		 h_gone;	/* mode 2: it went (every write fails) */
	RING_IDX	 h_gone_cons;	/* ... with the guest's ring taken so far */
};

/* One copy of the last grant-copy call, as the hypervisor saw it. */
struct fz_copy {
	const uint8_t	*c_buf;
	uint16_t	 c_len, c_off;
	bool		 c_ok;
};

static struct fz_hp fz_hp;
static struct fz_world fz_w;
static struct antispoof fz_as;
static struct vif_queue *fz_q;
static netif_tx_sring_t *fz_sring;
static netif_rx_sring_t *fz_rx_sring;	/* there, unused */
static netif_tx_request_t fz_posted[XVIF_TX_RING_SIZE];
static RING_IDX fz_prod, fz_round_from;
static uint8_t fz_page[XVIF_PAGE_SIZE];	/* every gref's content */
static uint8_t fz_bad_mod;		/* gref % this == 0: the copy fails */
static bool fz_call_fails;		/* the next copy call fails whole */
static struct fz_copy fz_copies[XVIF_TX_BATCH_SEGS];
static unsigned int fz_ncopies, fz_notified;
/*
 * The guest posts while xvifd works: at each copy call (a flush), into
 * the slots the answers pushed so far set free, the round's requests
 * again, fz_refill_left more at most -- so that a run meets its budget
 * and req_prod moves between its reads.  The answers are checked before
 * their slots are taken again (fz_checked: up to there).
 */
static netif_tx_request_t fz_round_reqs[256];
static unsigned int fz_round_n, fz_refill_left, fz_refill_k;
static RING_IDX fz_checked;

static void fz_check_answers(RING_IDX from, RING_IDX to);
static void fz_post_req(const netif_tx_request_t *r);

static void
fz_guest_refill(void)
{
	RING_IDX pushed = __atomic_load_n(&fz_sring->rsp_prod,
	    __ATOMIC_ACQUIRE);

	if (fz_refill_left == 0 || fz_round_n == 0)
		return;
	fz_check_answers(fz_checked, pushed);
	fz_checked = pushed;
	while (fz_refill_left > 0 && fz_prod - pushed < XVIF_TX_RING_SIZE) {
		fz_post_req(&fz_round_reqs[fz_refill_k++ % fz_round_n]);
		fz_refill_left--;
	}
	__atomic_store_n(&fz_sring->req_prod, fz_prod, __ATOMIC_RELEASE);
}

/* Did the guest post gref in a slot of this round? */
static bool
fz_posted_gref(grant_ref_t ref)
{
	RING_IDX i;

	for (i = fz_round_from; i != fz_prod; i++)
		if (fz_posted[i & (XVIF_TX_RING_SIZE - 1)].gref == ref)
			return true;
	return false;
}

static int
fz_gnt_copy(struct hv *hv, domid_t dom, enum hv_dir dir,
    struct hv_gcopy *gc, unsigned int n)
{
	uint8_t *stage = fz_w.w_work.w_tx_stage;
	unsigned int i;

	assert(dir == HV_FROM_GUEST);
	assert(n > 0 && n <= XVIF_TX_BATCH_SEGS);
	fz_ncopies = 0;
	/* Only slots already answered: not the ones copied now. */
	fz_guest_refill();
	for (i = 0; i < n; i++) {
		uint8_t *b = gc[i].gc_buf;

		assert(gc[i].gc_len > 0);
		assert((uint32_t)gc[i].gc_off + gc[i].gc_len <= XVIF_PAGE_SIZE);
		assert(b >= stage && b + gc[i].gc_len <= stage + FZ_TX_STAGE);
		assert(fz_posted_gref(gc[i].gc_ref));
		gc[i].gc_status = fz_bad_mod != 0 &&
		    gc[i].gc_ref % fz_bad_mod == 0 ? GNTST_bad_gntref :
		    GNTST_okay;
		if (gc[i].gc_status == GNTST_okay && !fz_call_fails)
			memcpy(b, fz_page + gc[i].gc_off, gc[i].gc_len);
		fz_copies[fz_ncopies++] = (struct fz_copy){ b, gc[i].gc_len,
		    gc[i].gc_off, gc[i].gc_status == GNTST_okay &&
		    !fz_call_fails };
	}
	if (fz_call_fails) {
		fz_call_fails = false;
		return -EFAULT;
	}
	return 0;
}

static int
fz_evt_notify(struct hv *hv, struct hv_evt *e, uint32_t port)
{
	assert(port == FZ_PORT);
	fz_notified++;
	return 0;
}

static const struct hv_ops fz_hv_ops = {
	.name = "fuzz",
	.gnt_copy = fz_gnt_copy,
	.evt_notify = fz_evt_notify,
};

/* The byte at a frame's offset i is the guest's, or the seeded checksum. */
static bool
fz_ours(const struct virtio_net_hdr *vh, size_t i)
{
	size_t at = (size_t)vh->csum_start + vh->csum_offset;

	return (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (i == at || i == at + 1);
}

/*
 * The frame [b, b + len) is tiled by good copies of the last call, in
 * order, and holds what they read (but for a checksum we seed).
 */
static void
fz_check_tiled(const uint8_t *b, size_t len, const struct virtio_net_hdr *vh)
{
	size_t at = 0, k;
	unsigned int i;

	while (at < len) {
		for (i = 0; i < fz_ncopies; i++)
			if (fz_copies[i].c_buf == b + at)
				break;
		assert(i < fz_ncopies);		/* no gap: nothing stale */
		assert(fz_copies[i].c_ok);
		assert(at + fz_copies[i].c_len <= len);
		for (k = 0; k < fz_copies[i].c_len; k++)
			assert(fz_ours(vh, at + k) ||
			    b[at + k] == fz_page[fz_copies[i].c_off + k]);
		at += fz_copies[i].c_len;
	}
}

/* The vnet header of a frame the guest sent, within it, as it claims. */
static void
fz_check_vh(const uint8_t *b, size_t len, const struct virtio_net_hdr *vh)
{
	const unsigned int l3 = 14;
	uint16_t et;

	assert(len > 0 && len <= XVIF_FRAME_MAX);
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		assert((size_t)vh->csum_start + vh->csum_offset + 2 <= len);
	else
		assert(vh->csum_start == 0 && vh->csum_offset == 0);
	assert(vh->flags == 0 || vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM ||
	    vh->flags == VIRTIO_NET_HDR_F_DATA_VALID);
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		assert(vh->gso_size == 0 && vh->hdr_len == 0);
		return;
	}
	assert(vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ||
	    vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV6);
	assert(vh->flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert(vh->gso_size > 0);
	assert(vh->hdr_len > vh->csum_start && vh->hdr_len <= len);
	/* The family, read here without proto.c: never behind a tag (the
	 * host would hand such a superframe whole to other guests' TAPs,
	 * which no frontend takes). */
	et = (uint16_t)(b[12] << 8 | b[13]);
	assert(et != 0x8100 && et != 0x88a8);
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_TCPV4)
		assert(et == 0x0800 && b[l3 + 9] == 6);
	else
		assert(et == 0x86dd);
}

static void
fz_hp_send_batch(struct hp *hp, struct hp_txbuf *tb, unsigned int n)
{
	struct fz_hp *h = (struct fz_hp *)hp;
	unsigned int i;

	assert(n > 0 && n <= XVIF_TX_BATCH_FRAMES);
	for (i = 0; i < n; i++) {
		fz_check_vh(tb[i].tb_buf, tb[i].tb_len, &tb[i].tb_vh);
		fz_check_tiled(tb[i].tb_buf, tb[i].tb_len, &tb[i].tb_vh);
		h->h_frames++;
		if (h->h_mode == 1 && h->h_frames % 3 == 0)
			tb[i].tb_res = -EAGAIN;
		else if (h->h_gone || (h->h_mode == 2 && h->h_frames % 5 == 0)) {
			if (!h->h_gone)
				h->h_gone_cons = fz_q->q_txr.req_cons;
			h->h_gone = true;
			tb[i].tb_res = -EBADFD;
		} else {
			tb[i].tb_res = (ssize_t)tb[i].tb_len;
			h->h_taken++;
		}
	}
	fz_ncopies = 0;		/* a copy is good for one flush */
}

static const struct hp_ops fz_hp_ops = {
	.name = "fuzz",
	.fd = fz_hp_base_fd,
	.send_batch = fz_hp_send_batch,
	.set_carrier = fz_hp_base_carrier,
};

static void
fz_setup(void)
{
	static const uint8_t mac[PROTO_ETH_ALEN] = { 0x00, 0x16, 0x3e, 0x5a,
	    0x00, 0x01 };
	char bad[64];

	fz_world_init(&fz_w, "fz_txpath", &fz_hv_ops);
	fz_hp_base_init(&fz_hp.h_base, &fz_hp_ops);
	fz_w.w_work.w_tx_stage = aligned_alloc(XVIF_PAGE_SIZE, FZ_TX_STAGE);
	fz_sring = aligned_alloc(XVIF_PAGE_SIZE, XVIF_PAGE_SIZE);
	fz_rx_sring = aligned_alloc(XVIF_PAGE_SIZE, XVIF_PAGE_SIZE);
	assert(fz_w.w_work.w_tx_stage != NULL && fz_sring != NULL &&
	    fz_rx_sring != NULL);
	antispoof_init(&fz_as, mac);
	assert(antispoof_parse_ip(&fz_as, "169.254.7.2 fe80::2/64", bad,
	    sizeof(bad)) == NULL);
}

/* Post r at fz_prod, moved on by one (req_prod: the caller's). */
static void
fz_post_req(const netif_tx_request_t *r)
{
	RING_IDX i = fz_prod++ & (XVIF_TX_RING_SIZE - 1);

	fz_sring->ring[i].req = *r;
	fz_posted[i] = *r;
}

/*
 * Post count requests from the input (the round's, for the refills);
 * req_prod moves on by count.
 */
static size_t
fz_post(const uint8_t *data, size_t size, unsigned int count)
{
	netif_tx_request_t r;
	size_t used = 0, n;
	unsigned int i;

	for (i = 0; i < count; i++) {
		n = size - used >= sizeof(r) ? sizeof(r) : size - used;
		memset(&r, 0, sizeof(r));
		memcpy(&r, data + used, n);
		used += n;
		fz_post_req(&r);
		if (i < sizeof(fz_round_reqs) / sizeof(fz_round_reqs[0]))
			fz_round_reqs[i] = r;
	}
	fz_round_n = count;
	fz_refill_k = 0;
	__atomic_store_n(&fz_sring->req_prod, fz_prod, __ATOMIC_RELEASE);
	return used;
}

/* The answer in slot i: OKAY or ERROR with the request's id, or NULL. */
static int16_t
fz_answer(RING_IDX i)
{
	const netif_tx_response_t *r = RING_GET_RESPONSE(&fz_q->q_txr, i);

	assert(r->status == NETIF_RSP_OKAY || r->status == NETIF_RSP_ERROR ||
	    r->status == NETIF_RSP_NULL);
	if (r->status != NETIF_RSP_NULL)
		assert(r->id == fz_posted[i & (XVIF_TX_RING_SIZE - 1)].id);
	return r->status;
}

/*
 * The answers [from, to), packet by packet as netif.h
 * lays them out (read here without proto.c): a first slot, its extras
 * if it has NETTXF_extra_info (each with XEN_NETIF_EXTRA_FLAG_MORE if
 * another follows), then its data slots while NETTXF_more_data.  Each
 * slot answered in its own place: the extras NULL, the data slots with
 * their ids; whole packets only.
 */
static void
fz_check_answers(RING_IDX from, RING_IDX to)
{
	RING_IDX i = from;
	const struct netif_extra_info *ex;
	netif_tx_request_t first;
	bool more;

	while (i != to) {
		first = fz_posted[i & (XVIF_TX_RING_SIZE - 1)];
		assert(fz_answer(i++) != NETIF_RSP_NULL);
		more = first.flags & NETTXF_extra_info;
		while (more) {
			assert(i != to);
			ex = (const void *)&fz_posted[i & (XVIF_TX_RING_SIZE - 1)];
			more = ex->flags & XEN_NETIF_EXTRA_FLAG_MORE;
			assert(fz_answer(i++) == NETIF_RSP_NULL);
		}
		more = first.flags & NETTXF_more_data;
		while (more) {
			assert(i != to);
			more = fz_posted[i & (XVIF_TX_RING_SIZE - 1)].flags &
			    NETTXF_more_data;
			assert(fz_answer(i++) != NETIF_RSP_NULL);
		}
	}
}

/*
 * A rate of the input's: 0 none, 1 a frame of 1500 bytes a second (and
 * an interval's credit at once), 2 a rate of nothing, 3 as 1 with 64 KiB.
 */
static unsigned int fz_rate_now;	/* the mode last set */

static void
fz_set_rate(unsigned int mode)
{
	static const struct vif_rate rates[4] = {
		{ 0, 0 }, { 1500, 1000000 }, { 0, 1000 }, { 65536, 1000000 },
	};

	fz_rate_now = mode & 3;
	vif_tx_set_rate(fz_q, &rates[fz_rate_now]);
}

/*
 * One round: the guest posts and sets its rsp_event; the rate may change
 * or its timer fire (early, as a loop late by nothing would see it);
 * xvifd runs, the guest posting more meanwhile (fz_guest_refill), and
 * again on its kick timer while one is due (at most 8 times: the refills
 * end).
 */
static void
fz_round(unsigned int action, unsigned int rate_mode)
{
	struct vif_queue *q = fz_q;
	RING_IDX cons0 = q->q_txr.req_cons, rsp0 = q->q_txr.rsp_prod_pvt;
	RING_IDX event = rsp0 + (action >> 3);
	unsigned int notified0 = fz_notified, taken0 = fz_hp.h_taken;
	uint64_t frames0 = vif_cnt_get(q, VIF_TX_FRAMES);
	bool gone0 = fz_hp.h_gone;
	unsigned int k;

	fz_sring->rsp_event = event;
	if (action & 1)
		fz_set_rate(rate_mode);
	if ((action & 2) && q->q_tx_waiting) {
		ev_timer_cancel(vif_q_ev(q), &q->q_credit_timer);
		vif_tx_credit_timer(q);
	}
	if (action & 4)
		fz_set_rate(0);
	vif_tx_run(q);
	for (k = 0; k < 8 && ev_timer_armed(&q->q_kick_timer); k++) {
		/* Stopped at its budget: the loop's next turn (vif_kick's TX). */
		ev_timer_cancel(vif_q_ev(q), &q->q_kick_timer);
		vif_tx_run(q);
	}
	/* Whatever happened: what was taken is answered and pushed. */
	assert(q->q_txr.req_cons - cons0 <= fz_prod - cons0);
	assert(q->q_txr.rsp_prod_pvt == q->q_txr.req_cons);
	assert(fz_sring->rsp_prod == q->q_txr.rsp_prod_pvt);
	fz_check_answers(fz_checked, q->q_txr.rsp_prod_pvt);
	fz_checked = q->q_txr.rsp_prod_pvt;
	/* A push past rsp_event, and the guest was told. */
	if (q->q_txr.rsp_prod_pvt - event < q->q_txr.rsp_prod_pvt - rsp0)
		assert(fz_notified > notified0);
	assert(vif_cnt_get(q, VIF_TX_FRAMES) - frames0 == fz_hp.h_taken - taken0);
	if (!q->q_connected) {
		assert(q->q_failed && q->q_vif->vif_fail_pending);
		assert(!q->q_tx_waiting &&
		    !ev_timer_armed(&q->q_credit_timer));
		/* The TAP went: nothing taken from the ring after. */
		if (fz_hp.h_gone && !gone0)
			assert(q->q_txr.req_cons == fz_hp.h_gone_cons);
		return;
	}
	/* A rate of nothing lets nothing through, bad packets included. */
	if (fz_rate_now == 2)
		assert(q->q_txr.req_cons == cons0);
	if (q->q_tx_waiting)
		return;
	/* Not waiting, not failed: all taken, and the next asked for. */
	assert(q->q_txr.req_cons == fz_prod);
	assert(fz_sring->req_event == q->q_txr.req_cons + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input: a byte of settings -- bit 0 anti-spoofing, bits 1-2 the
 * rate (fz_set_rate), bits 3-4 the host (fz_hp_send_batch's h_mode),
 * bit 5 the first copy call fails whole, bits 6-7 how many requests
 * the guest posts during a round's runs (256 each: fz_guest_refill) --,
 * a byte whose low nibble
 * fails the grefs it divides, a 16-bit length of the rounds, the rounds
 * (each a count, an action and count requests of 12 bytes: cut short,
 * zeros), then the guest page's bytes.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct vif_queue *q;
	unsigned int round, count, action, rate_mode;
	size_t off, end;

	if (!ready) {
		fz_setup();
		ready = true;
	}
	if (size < 6)
		return 0;
	if ((q = fz_vif_new(&fz_w)) == NULL)
		return 0;
	memset(fz_sring, 0, XVIF_PAGE_SIZE);
	memset(fz_rx_sring, 0, XVIF_PAGE_SIZE);
	memset(fz_posted, 0, sizeof(fz_posted));
	fz_prod = fz_checked = 0;
	fz_round_n = 0;
	BACK_RING_INIT(&q->q_txr, fz_sring, XVIF_PAGE_SIZE);
	BACK_RING_INIT(&q->q_rxr, fz_rx_sring, XVIF_PAGE_SIZE);
	q->q_as = data[0] & 1 ? &fz_as : NULL;
	rate_mode = data[0] >> 1 & 3;
	fz_hp.h_mode = data[0] >> 3 & 3;
	fz_hp.h_frames = fz_hp.h_taken = 0;
	fz_hp.h_gone = false;
	fz_call_fails = data[0] & 0x20;
	fz_bad_mod = data[1] & 0x0f;
	fz_ncopies = fz_notified = 0;
	fz_q = q;
	fz_vif_connect(&fz_w, q, &fz_hp.h_base.b_hp);
	q->q_port_tx = q->q_port_rx = FZ_PORT;
	fz_set_rate(rate_mode);
	end = 4 + ((size_t)data[2] << 8 | data[3]);
	if (end > size)
		end = size;
	memset(fz_page, 0, sizeof(fz_page));
	memcpy(fz_page, data + end, size - end < sizeof(fz_page) ?
	    size - end : sizeof(fz_page));
	off = 4;
	for (round = 0; round < 4 && q->q_connected && end - off >= 2;
	    round++) {
		count = data[off];	/* past a ring: only while TX waits */
		action = data[off + 1];
		off += 2;
		fz_round_from = q->q_txr.req_cons;
		off += fz_post(data + off, end - off, count);
		fz_refill_left = (unsigned int)(data[0] >> 6) * 256;
		fz_round(action, rate_mode);
	}
	fz_vif_free(&fz_w, q);
	return 0;
}
