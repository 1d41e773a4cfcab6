/*
 * vif_queue.c -- one queue of a connected vif: mapping the frontend's ring
 * pair, binding its event channel(s) (one, or a TX and an RX channel when
 * split), its TAP queue, letting go of all of it; and the dispatch of
 * event-channel notifications to queues, with the back-off for spurious
 * ones.  The vif as a whole is vif.c's; the frames move in vif_tx.c and
 * vif_rx.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvif.h"

static void	vif_kick_timer(void *);
static void	vif_evt_timer(void *);

/* Unmap a ring page if mapped, and forget it. */
static void
vif_unmap(struct vif_queue *q, void **page)
{
	int rc;

	if (*page == NULL)
		return;
	if ((rc = hv_gnt_unmap(q->q_vif->vif_d->xd_hv, *page)) < 0)
		log_warnc(-rc, "%s: unmap ring", q->q_tag);
	*page = NULL;
}

/*
 * Bind the frontend's port into *out, through the handle of the queue's
 * worker (q_evt): its notifications wake that thread.  The worker enters
 * it in its port table when the queue is attached; until then a fired
 * port stays masked, and the attach unmasks it.
 */
static int
vif_queue_bind(struct vif_queue *q, uint32_t fe_port, uint32_t *out)
{
	struct xvif *vif = q->q_vif;
	int rc;

	q->q_evt = q->q_worker->wk_evt;
	if ((rc = hv_evt_bind(vif->vif_d->xd_hv, q->q_evt, vif->vif_domid,
	    fe_port, out)) < 0) {
		*out = HV_PORT_NONE;
		return rc;
	}
	return 0;
}

/* A queue of vif, not connected yet: its name, no port, its timers. */
void
vif_queue_init(struct xvif *vif, struct vif_queue *q, unsigned int id)
{
	q->q_vif = vif;
	q->q_id = id;
	q->q_rate = &vif->vif_qrate[id];
	if (vif->vif_nq > 1)
		snprintf(q->q_tag, sizeof(q->q_tag), "%.24s queue %u",
		    vif->vif_tag, id);
	else
		snprintf(q->q_tag, sizeof(q->q_tag), "%s", vif->vif_tag);
	q->q_port_tx = q->q_port_rx = HV_PORT_NONE;
	q->q_rx_want = 1;	/* doubled while reads come back full */
	ev_timer_init(&q->q_rx_timer, vif_rx_timer, q);
	ev_timer_init(&q->q_kick_timer, vif_kick_timer, q);
	ev_timer_init(&q->q_evt_timer, vif_evt_timer, q);
	ev_timer_init(&q->q_credit_timer, vif_tx_credit_timer, q);
}

/*
 * Map one queue's rings, bind its channel(s) and attach its TAP queue,
 * from values xbus.c read and checked.  The rings are attached at the
 * frontend's rsp_prod, which is 0 for a new ring and the resume point
 * after a restart.  On failure the caller disconnects the queue.
 */
int
vif_queue_connect(struct vif_queue *q, const struct vif_feq *fq)
{
	struct xvif *vif = q->q_vif;
	struct hv *hv = vif->vif_d->xd_hv;
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	RING_IDX txp, rxp;
	int rc;

	if ((rc = hv_gnt_map(hv, vif->vif_domid, fq->fq_tx_ref,
	    &q->q_txs)) < 0)
		return vif_connect_fail(vif, q, rc, "map tx ring ref %u",
		    fq->fq_tx_ref);
	if ((rc = hv_gnt_map(hv, vif->vif_domid, fq->fq_rx_ref,
	    &q->q_rxs)) < 0)
		return vif_connect_fail(vif, q, rc, "map rx ring ref %u",
		    fq->fq_rx_ref);
	txs = q->q_txs;
	rxs = q->q_rxs;
	/* Untrusted: the producer indices are the guest's; read them once. */
	txp = __atomic_load_n(&txs->rsp_prod, __ATOMIC_ACQUIRE);
	rxp = __atomic_load_n(&rxs->rsp_prod, __ATOMIC_ACQUIRE);
	BACK_RING_ATTACH(&q->q_txr, txs, txp, XVIF_PAGE_SIZE);
	BACK_RING_ATTACH(&q->q_rxr, rxs, rxp, XVIF_PAGE_SIZE);
	if (__atomic_load_n(&txs->req_prod, __ATOMIC_ACQUIRE) - txp >
	    XVIF_TX_RING_SIZE ||
	    __atomic_load_n(&rxs->req_prod, __ATOMIC_ACQUIRE) - rxp >
	    XVIF_RX_RING_SIZE)
		return vif_connect_fail(vif, q, -EPROTO,
		    "rings have more requests than slots");
	/* The furthest RX producer seen (vif_evt_work): where the ring is,
	 * not 0 -- a re-attached ring may be 2^31 on, and every refill
	 * would look like a step back. */
	q->q_evt_rx_prod = rxp;
	if ((rc = vif_queue_bind(q, fq->fq_port_tx, &q->q_port_tx)) < 0)
		return vif_connect_fail(vif, q, rc, "bind event channel %u",
		    fq->fq_port_tx);
	if (fq->fq_port_rx == fq->fq_port_tx)
		q->q_port_rx = q->q_port_tx;
	else if ((rc = vif_queue_bind(q, fq->fq_port_rx, &q->q_port_rx)) < 0)
		return vif_connect_fail(vif, q, rc, "bind event channel %u",
		    fq->fq_port_rx);
	if (q->q_id == 0)
		q->q_hp = vif->vif_hp;
	else if ((rc = hp_open_queue(vif->vif_hp, &q->q_hp)) < 0) {
		q->q_hp = NULL;
		/* The TAP is gone (deleted between two connections): the
		 * next reset makes it again (xbus_tap), as for a loss in
		 * flight, instead of failing on the dead fd again. */
		if (vif_tap_gone(-rc))
			vif->vif_tap_lost = true;
		return vif_connect_fail(vif, q, rc, "interface %s",
		    vif->vif_hp->hp_name);
	}
	return 0;
}

/*
 * Stop moving frames, at once, without letting go of anything: no timer,
 * no TAP readiness.  In the queue's worker (the data path, a detach).
 */
void
vif_queue_stop(struct vif_queue *q)
{
	struct ev *ev = vif_q_ev(q);

	ev_timer_cancel(ev, &q->q_rx_timer);
	ev_timer_cancel(ev, &q->q_kick_timer);
	ev_timer_cancel(ev, &q->q_evt_timer);
	ev_timer_cancel(ev, &q->q_credit_timer);
	q->q_tx_waiting = false;
	q->q_evt_held = 0;	/* the next attach unmasks both */
	vif_rx_watch_tap(q, false);
	q->q_connected = false;
}

static void
vif_queue_unbind(struct vif_queue *q, uint32_t *port)
{
	if (*port == HV_PORT_NONE)
		return;
	(void)hv_evt_unbind(q->q_vif->vif_d->xd_hv, q->q_evt, *port);
	*port = HV_PORT_NONE;
}

/*
 * Idempotent: each handle is released only if held, then forgotten.  The
 * control plane's, once the worker let go of the queue (detach).
 */
void
vif_queue_disconnect(struct vif_queue *q)
{
	q->q_evt_spurious = 0;
	if (q->q_port_rx != q->q_port_tx)
		vif_queue_unbind(q, &q->q_port_rx);
	q->q_port_rx = HV_PORT_NONE;
	vif_queue_unbind(q, &q->q_port_tx);
	q->q_evt = NULL;
	vif_unmap(q, &q->q_txs);
	vif_unmap(q, &q->q_rxs);
	memset(&q->q_txr, 0, sizeof(q->q_txr));
	memset(&q->q_rxr, 0, sizeof(q->q_rxr));
	if (q->q_hp != NULL && q->q_hp != q->q_vif->vif_hp)
		hp_close(q->q_hp, false);
	q->q_hp = NULL;
	/* A held frame was for these rings: never hand new ones stale heap. */
	free(q->q_rx_hold);
	q->q_rx_hold = NULL;
	q->q_rx_pending = 0;
	q->q_rx_starved_since = 0;
	q->q_rx_stale_until = 0;
	if (q->q_rx_stalled)
		vif_queue_stall(q, false, false);
}

static void
vif_notify_port(struct vif_queue *q, uint32_t port)
{
	if (port != HV_PORT_NONE &&
	    hv_evt_notify(q->q_vif->vif_d->xd_hv, q->q_evt, port) == 0)
		vif_cnt_add(q, VIF_EVT_OUT, 1);
}

/* Notify the frontend of TX responses (its TX channel, or the one). */
void
vif_notify_tx(struct vif_queue *q)
{
	vif_notify_port(q, q->q_port_tx);
}

void
vif_notify_rx(struct vif_queue *q)
{
	vif_notify_port(q, q->q_port_rx);
}

/* A budget ran out: come back after the other queues had a turn. */
void
vif_kick_later(struct vif_queue *q)
{
	ev_timer_arm(vif_q_ev(q), &q->q_kick_timer, 0);
}

static void
vif_kick_timer(void *arg)
{
	vif_kick(arg);
}

void
vif_kick(struct vif_queue *q)
{
	if (q->q_connected)
		vif_tx_run(q);
	/* vif_tx_run may have failed the queue. */
	if (q->q_connected)
		vif_rx_run(q);
}

/*
 * Local ports are small numbers below Linux's FIFO ABI bound (2^17), so
 * a worker's table is indexed by port.
 */
#define VIF_PORTS_MAX	(1u << 17)

static struct vif_queue *
vif_by_port(struct vif_worker *wk, uint32_t port)
{
	return port < wk->wk_nports ? wk->wk_ports[port] : NULL;
}

/*
 * In the worker: enter (q) or clear (NULL) a port in its table; -ENOMEM,
 * or -ERANGE for a port past the ABI's bound.
 */
int
vif_port_set(struct vif_worker *wk, uint32_t port, struct vif_queue *q)
{
	struct vif_queue **p;
	uint32_t n;

	if (port >= VIF_PORTS_MAX)
		return q == NULL ? 0 : -ERANGE;
	if (port >= wk->wk_nports) {
		if (q == NULL)
			return 0;
		for (n = wk->wk_nports > 0 ? wk->wk_nports : 64; n <= port;)
			n *= 2;
		if ((p = realloc(wk->wk_ports, n * sizeof(*p))) == NULL)
			return -ENOMEM;
		memset(p + wk->wk_nports, 0, (n - wk->wk_nports) * sizeof(*p));
		wk->wk_ports = p;
		wk->wk_nports = n;
	}
	wk->wk_ports[port] = q;
	return 0;
}

/*
 * After a notification that found no work, how long its channel stays
 * masked: nothing for the first (a guest may well notify for work a
 * timer already did), then 1, 2, 4 ... ms, at most a second, for every
 * further one in a row; work resets it.  Linux's lateeoi back-off for
 * spurious events (drivers/xen/events, XSA-332), in milliseconds, per
 * queue as Linux's is per interrupt.
 */
static unsigned int
vif_evt_backoff(struct vif_queue *q)
{
	unsigned int ms;

	if (q->q_evt_spurious < 12)
		q->q_evt_spurious++;
	if (q->q_evt_spurious <= 1)
		return 0;
	ms = 1u << (q->q_evt_spurious - 2);
	return ms > XVIF_EVT_BACKOFF_MAX_MS ? XVIF_EVT_BACKOFF_MAX_MS : ms;
}

/* Listen to the guest again on the channel(s) in `which` (Q_FIRED_*). */
void
vif_evt_unmask(struct vif_queue *q, unsigned int which)
{
	struct hv *hv = q->q_vif->vif_d->xd_hv;

	if ((which & Q_FIRED_TX) && q->q_port_tx != HV_PORT_NONE)
		(void)hv_evt_unmask(hv, q->q_evt, q->q_port_tx);
	if ((which & Q_FIRED_RX) && q->q_port_rx != HV_PORT_NONE &&
	    q->q_port_rx != q->q_port_tx)
		(void)hv_evt_unmask(hv, q->q_evt, q->q_port_rx);
}

/* The channels held until TX's credit (vif_evt_hold): listen again. */
void
vif_evt_release(struct vif_queue *q)
{
	unsigned int held = q->q_evt_held;

	if (held == 0)
		return;
	q->q_evt_held = 0;
	vif_evt_unmask(q, held);
}

/*
 * The back-off is over: listen to the guest again (either channel), but
 * on one held until the credit comes (vif_evt_hold).
 */
static void
vif_evt_timer(void *arg)
{
	struct vif_queue *q = arg;

	vif_evt_unmask(q, (Q_FIRED_TX | Q_FIRED_RX) & ~q->q_evt_held);
}

/* What a notification came to (vif_evt_work). */
enum vif_evt_got {
	VIF_EVT_NOTHING,	/* the guest gave us nothing: back off */
	VIF_EVT_WORK,		/* work done, or not ours to judge */
	VIF_EVT_WAITING,	/* only requests that wait for credit */
};

/* Run one queue for its notification; did the guest give us anything? */
static enum vif_evt_got
vif_evt_work(struct vif_queue *q)
{
	RING_IDX tx_cons, rx_rsp, rx_prod;
	bool rx_waits, posted, advanced, stalled;

	if (!q->q_connected)
		return VIF_EVT_WORK;	/* nothing to judge (left masked) */
	tx_cons = q->q_txr.req_cons;
	rx_rsp = q->q_rxr.rsp_prod_pvt;
	rx_prod = __atomic_load_n(&q->q_rxr.sring->req_prod,
	    __ATOMIC_ACQUIRE);
	/* RX waits for the guest's slots: a held frame, the TAP unwatched. */
	rx_waits = q->q_rx_pending > 0 || !q->q_hp_polled;
	stalled = q->q_rx_stalled;
	posted = rx_prod != q->q_evt_rx_prod;
	/* Past the furthest it went: slots it had not posted before. */
	advanced = (int32_t)(rx_prod - q->q_evt_rx_prod) > 0;
	if (advanced)
		q->q_evt_rx_prod = rx_prod;
	vif_tx_run(q);
	/*
	 * RX runs here only if it waits for the guest's slots or the guest
	 * broke its RX ring (a producer more than a ring ahead: failed now,
	 * not at the next frame); otherwise the TAP's readiness runs it, and
	 * reading the TAP on every TX notification would be a wasted call.
	 * Slots posted are work if they are new -- the producer went past
	 * the furthest it had gone (an honest guest's refill, which Linux
	 * counts as work while packets wait for it: frames may wait in the
	 * TAP, unseen here) -- or let RX answer a frame or end a stall.  A
	 * guest moving its producer back and forth, with nothing waiting or
	 * a slot short of a held frame's need, posts nothing new: it meets
	 * the back-off (it can go past the furthest at most a ring ahead of
	 * our responses, which only frames from the host move on).
	 */
	if (q->q_connected && posted &&
	    (rx_waits || rx_prod - rx_rsp > RING_SIZE(&q->q_rxr)))
		vif_rx_run(q);
	if (q->q_rx_stalled != stalled || advanced || !q->q_connected ||
	    q->q_txr.req_cons != tx_cons || q->q_rxr.rsp_prod_pvt != rx_rsp)
		return VIF_EVT_WORK;
	/* Requests that wait for credit are no spurious event. */
	return q->q_tx_waiting ? VIF_EVT_WAITING : VIF_EVT_NOTHING;
}

/*
 * Only requests that wait for credit: the TX channel is left masked until
 * the credit comes (vif_tx_credit_timer unmasks), as Linux holds its late
 * EOI while a queue is rate-limited -- each notification meanwhile would
 * be work for nothing, and a storm of them was let in at once (XSA-332).
 * Which of the channels that fired are held (q_evt_held): a split TX
 * channel; a shared one only while the credit has a time to come (a rate
 * of 0 bytes has none, until a new rate) and RX does not wait for the
 * guest's slots (their notification would wait with it: RX stalled until
 * the credit) -- and RX that comes to wait later lets it go
 * (vif_rx_starve).  What is not held and found nothing is backed off.
 */
static unsigned int
vif_evt_hold(struct vif_queue *q, unsigned int fired)
{
	unsigned int held;

	if (q->q_port_rx != q->q_port_tx)
		held = fired & Q_FIRED_TX;
	else if (ev_timer_armed(&q->q_credit_timer) && q->q_rx_pending == 0 &&
	    q->q_hp_polled)
		held = fired;
	else
		held = 0;
	q->q_evt_held |= held;
	return held;
}

/*
 * In the queue's worker: its channel(s) fired (Q_FIRED_TX, _RX) and are
 * masked until we unmask them, after the work (lateeoi, XSA-332), or
 * after a back-off when the guest gave us nothing.
 */
void
vif_evt_fired(struct vif_queue *q, unsigned int fired)
{
	enum vif_evt_got got;
	unsigned int delay;

	vif_cnt_add(q, VIF_EVT_IN, 1);
	got = vif_evt_work(q);
	/*
	 * Failed (or stopped): its channels stay masked until the control
	 * plane lets the queue go, or the next attach unmasks them.  A guest
	 * that broke its ring and storms meanwhile is not let in at all.
	 */
	if (!q->q_connected)
		return;
	if (got == VIF_EVT_WAITING) {
		if ((fired &= ~vif_evt_hold(q, fired)) == 0)
			return;		/* held until the credit */
		got = VIF_EVT_NOTHING;	/* the rest found nothing */
	}
	if (got != VIF_EVT_NOTHING) {
		q->q_evt_spurious = 0;
		delay = 0;
	} else {
		vif_cnt_add(q, VIF_EVT_SPURIOUS, 1);
		delay = vif_evt_backoff(q);
	}
	if (delay > 0) {
		ev_timer_arm(vif_q_ev(q), &q->q_evt_timer, delay);
		return;
	}
	vif_evt_unmask(q, fired);
}

/*
 * The worker's handle lost notifications (hv_evt_pending's -EFBIG: the
 * device dropped the ports it had no room for, and left them masked):
 * run every queue it serves once, then unmask its channels, as if all
 * had fired -- but the event was the device's, not the guest's: neither
 * counted nor backed off.  A queue that had nothing costs one look at
 * its rings.  Any other error means the handle is broken: its queues
 * would stop for good while the fd polls as readable, a spinning
 * worker; exit instead, and let the supervisor restart us (restarts are
 * crash-safe, as for ev_run's).
 */
static void
vif_evt_lost(struct vif_worker *wk, int err)
{
	struct vif_queue *q;
	unsigned int fired;
	uint32_t p;

	if (err != -EFBIG)
		fatalx("worker %u: event channels: read: %s", wk->wk_id,
		    strerror(-err));
	log_warnx("worker %u: event channels: notifications lost (the "
	    "device's buffer overflowed): every queue run", wk->wk_id);
	/* A queue's channels together: once a queue (split: two ports). */
	for (p = 0; p < wk->wk_nports; p++)
		if ((q = vif_by_port(wk, p)) != NULL)
			q->q_fired |= p == q->q_port_tx ? Q_FIRED_TX :
			    Q_FIRED_RX;
	for (p = 0; p < wk->wk_nports; p++) {
		if ((q = vif_by_port(wk, p)) == NULL || q->q_fired == 0)
			continue;
		fired = q->q_fired;
		q->q_fired = 0;
		if (vif_evt_work(q) == VIF_EVT_WAITING && q->q_connected)
			fired &= ~vif_evt_hold(q, fired);
		if (q->q_connected && fired != 0)
			vif_evt_unmask(q, fired);
	}
}

/*
 * A worker's event-channel handle is readable: run each of its queues
 * whose channel(s) fired, once however many of its channels fired.  A
 * port without an attached queue (bound, not attached yet; detached, not
 * unbound yet) stays masked: the attach unmasks it.
 */
void
vif_evt_ready(void *arg, uint32_t events)
{
	struct vif_worker *wk = arg;
	struct hv *hv = wk->wk_d->xd_hv;
	struct vif_queue *firing[XVIF_EVT_BATCH], *q;
	uint32_t ports[XVIF_EVT_BATCH];
	unsigned int n = 0, k, j;
	int i, got;

	(void)events;
	/*
	 * Bounded: a storm of events is handled a batch per loop turn (the
	 * rest keeps the handle readable).  One look takes them all.
	 */
	if ((got = hv_evt_pending(hv, wk->wk_evt, ports, XVIF_EVT_BATCH)) < 0)
		vif_evt_lost(wk, got);
	for (i = 0; i < got; i++) {
		if ((q = vif_by_port(wk, ports[i])) == NULL)
			continue;
		if (q->q_fired == 0)
			firing[n++] = q;
		q->q_fired |= ports[i] == q->q_port_tx ? Q_FIRED_TX :
		    Q_FIRED_RX;
	}
	for (j = 0; j < n; j++) {
		q = firing[j];
		k = q->q_fired;
		q->q_fired = 0;
		vif_evt_fired(q, k);
	}
}
