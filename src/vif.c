/*
 * vif.c -- a vif's lifecycle: allocation, its TAP, connecting to and
 * disconnecting from the frontend's rings and event channel, containment
 * of a misbehaving guest (vif_guest_err, vif_fail), and the dispatch of
 * event-channel notifications.  The XenStore side is xbus.c; the frames
 * move in vif_tx.c and vif_rx.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "xvif.h"

#define VIF_RX_STAGE_SIZE	((size_t)XVIF_RX_BATCH_FRAMES * XVIF_RX_FRAME_SLOT)

static void	vif_apply_mtu_limit(struct xvif *);
static int	vif_port_set(struct xvifd *, uint32_t, struct xvif *);
static void	vif_kick_timer(void *);
static void	vif_evt_timer(void *);

const char *const vif_counter_names[VIF_COUNTER_MAX] = {
	[VIF_TX_FRAMES] = "tx_frames",
	[VIF_TX_BYTES] = "tx_bytes",
	[VIF_TX_BAD] = "tx_bad_requests",
	[VIF_TX_GNT_ERR] = "tx_grant_errors",
	[VIF_TX_HOST_DROP] = "tx_host_drops",
	[VIF_TX_CSUM_OFFLOAD] = "tx_csum_offloads",
	[VIF_TX_GSO] = "tx_gso",
	[VIF_TX_GSO_FIXUP] = "tx_gso_csum_fixups",
	[VIF_RX_FRAMES] = "rx_frames",
	[VIF_RX_BYTES] = "rx_bytes",
	[VIF_RX_TOO_BIG] = "rx_too_big",
	[VIF_RX_NO_SLOTS] = "rx_no_slot_drops",
	[VIF_RX_GNT_ERR] = "rx_grant_errors",
	[VIF_RX_BAD] = "rx_bad_requests",
	[VIF_RX_STALLS] = "rx_stalls",
	[VIF_RX_OVERSIZE] = "rx_oversize_drops",
	[VIF_RX_CSUM_BLANK] = "rx_csum_blank",
	[VIF_RX_CSUM_FILLED] = "rx_csum_filled",
	[VIF_RX_GSO] = "rx_gso",
	[VIF_RX_OFFLOAD_DROP] = "rx_offload_drops",
	[VIF_EVT_SPURIOUS] = "events_spurious",
	[VIF_GNT_CALLS] = "grant_copy_calls",
	[VIF_GNT_OPS] = "grant_copy_ops",
	[VIF_EVT_IN] = "events_in",
	[VIF_EVT_OUT] = "events_out",
};

struct xvif *
vif_alloc(struct xvifd *xd, domid_t domid, unsigned int handle)
{
	struct xvif *vif;

	if ((vif = calloc(1, sizeof(*vif))) == NULL)
		return NULL;
	vif->vif_d = xd;
	vif->vif_domid = domid;
	vif->vif_handle = handle;
	vif->vif_port = HV_PORT_NONE;
	vif->vif_state = XenbusStateInitialising;
	vif->vif_mtu = 1500;		/* a new TAP's */
	snprintf(vif->vif_tag, sizeof(vif->vif_tag), "xvif%ui%u", domid,
	    handle);
	snprintf(vif->vif_be, sizeof(vif->vif_be), "%s/%u/%u", xd->xd_root,
	    domid, handle);
	ev_timer_init(&vif->vif_rx_timer, vif_rx_timer, vif);
	ev_timer_init(&vif->vif_kick_timer, vif_kick_timer, vif);
	ev_timer_init(&vif->vif_evt_timer, vif_evt_timer, vif);
	vif->vif_next = xd->xd_vifs;
	xd->xd_vifs = vif;
	return vif;
}

void
vif_free(struct xvif *vif, bool destroy_tap)
{
	struct xvif **pp;

	if (vif == NULL)
		return;
	vif_disconnect(vif);
	vif_close_tap(vif, destroy_tap);
	if (destroy_tap)
		vif_journal_remove(vif);
	for (pp = &vif->vif_d->xd_vifs; *pp != NULL; pp = &(*pp)->vif_next)
		if (*pp == vif) {
			*pp = vif->vif_next;
			break;
		}
	free(vif);
}

/* Create (or re-attach to) the TAP called name, with our MAC. */
int
vif_open_tap(struct xvif *vif, const char *name)
{
	int rc;

	if (vif->vif_hp != NULL)
		return 0;
	rc = hp_open(vif->vif_d->xd_hp_ops, name, &vif->vif_hp);
	if (rc < 0) {
		log_warnc(-rc, "%s: create interface %s", vif->vif_tag, name);
		return rc;
	}
	if ((rc = hp_set_mac(vif->vif_hp, vif->vif_mac)) < 0 ||
	    (rc = hp_set_carrier(vif->vif_hp, false)) < 0) {
		log_warnc(-rc, "%s: set up interface %s", vif->vif_tag, name);
		vif_close_tap(vif, true);
		return rc;
	}
	return 0;
}

/*
 * Let go of the TAP if held (with destroy, the interface goes too), and
 * forget it.  The one place a vif's TAP is closed: xbus retires vifs and
 * lost TAPs through it.
 */
void
vif_close_tap(struct xvif *vif, bool destroy)
{
	if (vif->vif_hp == NULL)
		return;
	hp_close(vif->vif_hp, destroy);
	vif->vif_hp = NULL;
}

/* Unmap a ring page if mapped, and forget it. */
static void
vif_unmap(struct xvif *vif, void **page)
{
	int rc;

	if (*page == NULL)
		return;
	if ((rc = hv_gnt_unmap(vif->vif_d->xd_hv, *page)) < 0)
		log_warnc(-rc, "%s: unmap ring", vif->vif_tag);
	*page = NULL;
}

/*
 * Map the frontend's rings and bind its event channel, from values xbus.c
 * read and checked.  The rings are attached at the frontend's rsp_prod,
 * which is 0 for a new ring and the resume point after a restart
 * (reattach).  On failure the vif is as vif_disconnect() leaves it.
 */
/* The loop's staging buffers and batches (struct vif_work), made once. */
static int
vif_work_get(struct xvifd *xd)
{
	struct vif_work *w;

	if (xd->xd_work != NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->w_tx_stage = aligned_alloc(XVIF_PAGE_SIZE,
	    (size_t)XVIF_TX_STAGE_PAGES * XVIF_PAGE_SIZE);
	w->w_rx_stage = aligned_alloc(XVIF_PAGE_SIZE, VIF_RX_STAGE_SIZE);
	if (w->w_tx_stage == NULL || w->w_rx_stage == NULL) {
		free(w->w_tx_stage);
		free(w->w_rx_stage);
		free(w);
		return -ENOMEM;
	}
	xd->xd_work = w;
	return 0;
}

void
vif_fini(struct xvifd *xd)
{
	free(xd->xd_ports);
	xd->xd_ports = NULL;
	xd->xd_nports = 0;
	if (xd->xd_work == NULL)
		return;
	free(xd->xd_work->w_tx_stage);
	free(xd->xd_work->w_rx_stage);
	free(xd->xd_work);
	xd->xd_work = NULL;
}

/*
 * What the TAP may hand us unfinished, from what the frontend takes on
 * RX, as Linux netback sets its netdev features: checksums if it takes
 * them for either family (the other is filled in by vif_rx_offload), TCP
 * segmentation per family only with SG and that family's checksum.
 */
unsigned int
vif_tap_offloads(const struct vif_fe *fe)
{
	unsigned int f = 0;

	if (fe->fe_csum || fe->fe_ipv6_csum)
		f |= TUN_F_CSUM;
	if (fe->fe_sg && fe->fe_gso4 && fe->fe_csum)
		f |= TUN_F_TSO4;
	if (fe->fe_sg && fe->fe_gso6 && fe->fe_ipv6_csum)
		f |= TUN_F_TSO6;
	return f;
}

int
vif_connect(struct xvif *vif, const struct vif_fe *fe, bool reattach)
{
	struct hv *hv = vif->vif_d->xd_hv;
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	RING_IDX txp, rxp;
	unsigned int offl;
	int rc;

	vif->vif_fe = *fe;
	if ((rc = hv_gnt_map(hv, vif->vif_domid, fe->fe_tx_ref,
	    &vif->vif_txs)) < 0) {
		log_warnc(-rc, "%s: map tx ring ref %u", vif->vif_tag,
		    fe->fe_tx_ref);
		goto fail;
	}
	if ((rc = hv_gnt_map(hv, vif->vif_domid, fe->fe_rx_ref,
	    &vif->vif_rxs)) < 0) {
		log_warnc(-rc, "%s: map rx ring ref %u", vif->vif_tag,
		    fe->fe_rx_ref);
		goto fail;
	}
	txs = vif->vif_txs;
	rxs = vif->vif_rxs;
	/* Untrusted: the producer indices are the guest's; read them once. */
	txp = __atomic_load_n(&txs->rsp_prod, __ATOMIC_ACQUIRE);
	rxp = __atomic_load_n(&rxs->rsp_prod, __ATOMIC_ACQUIRE);
	BACK_RING_ATTACH(&vif->vif_txr, txs, txp, XVIF_PAGE_SIZE);
	BACK_RING_ATTACH(&vif->vif_rxr, rxs, rxp, XVIF_PAGE_SIZE);
	if (__atomic_load_n(&txs->req_prod, __ATOMIC_ACQUIRE) - txp >
	    XVIF_TX_RING_SIZE ||
	    __atomic_load_n(&rxs->req_prod, __ATOMIC_ACQUIRE) - rxp >
	    XVIF_RX_RING_SIZE) {
		log_warnx("%s: rings have more requests than slots",
		    vif->vif_tag);
		rc = -EPROTO;
		goto fail;
	}
	if ((rc = hv_evt_bind(hv, vif->vif_domid, fe->fe_port,
	    &vif->vif_port)) < 0) {
		log_warnc(-rc, "%s: bind event channel %u", vif->vif_tag,
		    fe->fe_port);
		vif->vif_port = HV_PORT_NONE;
		goto fail;
	}
	if ((rc = vif_port_set(vif->vif_d, vif->vif_port, vif)) < 0) {
		log_warnc(-rc, "%s: event channel table", vif->vif_tag);
		goto fail;
	}
	if ((rc = vif_journal_open(vif, reattach)) < 0) {
		log_warnc(-rc, "%s: response journal", vif->vif_tag);
		goto fail;
	}
	if (rc > 0)
		vif_notify(vif);
	if ((rc = vif_work_get(vif->vif_d)) < 0) {
		log_warnc(-rc, "%s: buffers", vif->vif_tag);
		goto fail;
	}
	vif->vif_connected = true;
	vif->vif_connects++;
	vif_apply_mtu_limit(vif);
	/* As Linux: carrier on at connect; a stall takes it off, and only
	 * posted RX slots bring it back (vif_rx_run). */
	vif->vif_carrier = true;
	vif->vif_rx_stalled = false;
	(void)hp_set_carrier(vif->vif_hp, true);
	vif->vif_rx_starved_since = 0;
	offl = vif_tap_offloads(fe);
	if ((rc = hp_set_offload(vif->vif_hp, offl)) < 0) {
		/* Finished frames only, which every frontend takes. */
		log_warnc(-rc, "%s: tap offloads", vif->vif_tag);
		offl = 0;
	}
	log_info("%s: connected%s (tx ring %u, rx ring %u, event channel %u%s%s%s%s%s)",
	    vif->vif_tag, reattach ? " again" : "", fe->fe_tx_ref,
	    fe->fe_rx_ref, fe->fe_port, fe->fe_sg ? ", sg" : "",
	    fe->fe_rx_notify ? ", rx-notify" : "",
	    offl & TUN_F_CSUM ? ", csum" : "", offl & TUN_F_TSO4 ? ", tso4" : "",
	    offl & TUN_F_TSO6 ? ", tso6" : "");
	vif_kick(vif);
	return 0;
fail:
	vif_disconnect(vif);
	return rc;
}

/*
 * Stop moving frames, at once, without letting go of anything: no timer,
 * no TAP readiness, carrier off.  Safe from inside the data path.
 */
static void
vif_stop(struct xvif *vif)
{
	ev_timer_cancel(vif->vif_d->xd_ev, &vif->vif_rx_timer);
	ev_timer_cancel(vif->vif_d->xd_ev, &vif->vif_kick_timer);
	vif_rx_watch_tap(vif, false);
	if (vif->vif_hp != NULL && vif->vif_carrier && !vif->vif_tap_lost)
		(void)hp_set_carrier(vif->vif_hp, false);
	vif->vif_carrier = false;
	vif->vif_connected = false;
}

/* Idempotent: each handle is released only if held, then forgotten. */
void
vif_disconnect(struct xvif *vif)
{
	struct hv *hv = vif->vif_d->xd_hv;

	vif_stop(vif);
	/* The next frontend may take fewer offloads. */
	if (vif->vif_hp != NULL && !vif->vif_tap_lost)
		(void)hp_set_offload(vif->vif_hp, 0);
	ev_timer_cancel(vif->vif_d->xd_ev, &vif->vif_evt_timer);
	vif->vif_evt_spurious = 0;
	if (vif->vif_port != HV_PORT_NONE) {
		(void)vif_port_set(vif->vif_d, vif->vif_port, NULL);
		(void)hv_evt_unbind(hv, vif->vif_port);
		vif->vif_port = HV_PORT_NONE;
	}
	vif_journal_close(vif);
	vif_unmap(vif, &vif->vif_txs);
	vif_unmap(vif, &vif->vif_rxs);
	memset(&vif->vif_txr, 0, sizeof(vif->vif_txr));
	memset(&vif->vif_rxr, 0, sizeof(vif->vif_rxr));
	/* A held frame was for these rings: never hand new ones stale heap. */
	free(vif->vif_rx_hold);
	vif->vif_rx_hold = NULL;
	vif->vif_rx_pending = 0;
	vif->vif_rx_starved_since = 0;
	vif->vif_connected = false;
}

void
vif_guest_err(struct xvif *vif, enum vif_counter c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	vif->vif_cnt[c]++;
	if (!log_ratecheck(&vif->vif_rate, XVIF_LOG_INTERVAL))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (vif->vif_rate.lr_suppressed > 0) {
		log_warnx("%s: %s (%lu similar messages suppressed)",
		    vif->vif_tag, msg, vif->vif_rate.lr_suppressed);
		vif->vif_rate.lr_suppressed = 0;
	} else
		log_warnx("%s: %s", vif->vif_tag, msg);
}

/*
 * The frontend broke its ring, or our end of the cable broke: log once,
 * stop this vif's data path now, and leave the rest (the error node,
 * Closing, letting go of the rings) to the control plane's next turn
 * (xbus_apply_failures).  Never touches XenStore itself: the data path
 * must not run a XenStore transaction in the middle of a frame loop.
 */
void
vif_fail(struct xvif *vif, const char *fmt, ...)
{
	va_list ap;

	if (vif->vif_failed)
		return;		/* once */
	va_start(ap, fmt);
	vsnprintf(vif->vif_fail_why, sizeof(vif->vif_fail_why), fmt, ap);
	va_end(ap);
	log_warnx("%s: fatal error, disabling vif: %s", vif->vif_tag,
	    vif->vif_fail_why);
	vif->vif_failed = vif->vif_fail_pending = true;
	vif_stop(vif);
	ev_timer_arm(vif->vif_d->xd_ev, &vif->vif_d->xd_fail_timer, 0);
}

/*
 * The TAP failed under us: deleted (`ip link del`: the fd is detached,
 * reads and writes give EBADFD, epoll reports EPOLLERR for ever), or an
 * error no retry cures.  The vif fails once; a frontend that resets gets
 * a new interface (xbus).
 */
void
vif_tap_fail(struct xvif *vif, const char *op, int rc)
{
	if (vif->vif_failed)
		return;
	vif->vif_tap_lost = true;
	vif_fail(vif, "interface %s: %s: %s", vif->vif_hp != NULL ?
	    vif->vif_hp->hp_name : vif->vif_name, op, strerror(rc));
}

/* Errors of a TAP read or write that mean the TAP is gone for good. */
bool
vif_tap_gone(int rc)
{
	return rc == EBADFD || rc == EBADF || rc == ENODEV || rc == ENXIO ||
	    rc == EFAULT;
}

/*
 * Without scatter-gather a frontend takes one page per frame: the MTU
 * follows, as Linux netback's connect does (xenvif_change_mtu).
 */
static void
vif_apply_mtu_limit(struct xvif *vif)
{
	int rc;

	if (vif->vif_fe.fe_sg || vif->vif_mtu <= XVIF_MTU_NO_SG)
		return;
	if ((rc = hp_set_mtu(vif->vif_hp, XVIF_MTU_NO_SG)) < 0) {
		log_warnc(-rc, "%s: set mtu %u", vif->vif_tag, XVIF_MTU_NO_SG);
		return;
	}
	log_info("%s: mtu %u -> %u: the frontend has no feature-sg",
	    vif->vif_tag, vif->vif_mtu, XVIF_MTU_NO_SG);
	vif->vif_mtu = XVIF_MTU_NO_SG;
}

/* Notify the frontend through our end of its event channel. */
void
vif_notify(struct xvif *vif)
{
	if (vif->vif_port != HV_PORT_NONE &&
	    hv_evt_notify(vif->vif_d->xd_hv, vif->vif_port) == 0)
		vif->vif_cnt[VIF_EVT_OUT]++;
}

/* A budget ran out: come back after the other vifs had a turn. */
void
vif_kick_later(struct xvif *vif)
{
	ev_timer_arm(vif->vif_d->xd_ev, &vif->vif_kick_timer, 0);
}

static void
vif_kick_timer(void *arg)
{
	vif_kick(arg);
}

void
vif_kick(struct xvif *vif)
{
	if (vif->vif_connected)
		vif_tx_run(vif);
	/* vif_tx_run may have failed the vif. */
	if (vif->vif_connected)
		vif_rx_run(vif);
}

/*
 * Local ports are small numbers (Linux's FIFO ABI has 2^17), so the
 * table is indexed by port; one past that bound falls back to a scan.
 */
#define VIF_PORTS_MAX	(1u << 17)

static struct xvif *
vif_by_port(struct xvifd *xd, uint32_t port)
{
	struct xvif *vif;

	if (port < xd->xd_nports)
		return xd->xd_ports[port];
	if (port < VIF_PORTS_MAX)
		return NULL;
	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		if (vif->vif_port == port)
			return vif;
	return NULL;
}

/* Enter (vif) or clear (NULL) a port in the table; -ENOMEM. */
static int
vif_port_set(struct xvifd *xd, uint32_t port, struct xvif *vif)
{
	struct xvif **p;
	uint32_t n;

	if (port >= VIF_PORTS_MAX)
		return 0;
	if (port >= xd->xd_nports) {
		if (vif == NULL)
			return 0;
		for (n = xd->xd_nports > 0 ? xd->xd_nports : 64; n <= port;)
			n *= 2;
		if ((p = realloc(xd->xd_ports, n * sizeof(*p))) == NULL)
			return -ENOMEM;
		memset(p + xd->xd_nports, 0, (n - xd->xd_nports) * sizeof(*p));
		xd->xd_ports = p;
		xd->xd_nports = n;
	}
	xd->xd_ports[port] = vif;
	return 0;
}

/*
 * After a notification that found no work, how long its channel stays
 * masked: nothing for the first (a guest may well notify for work a
 * timer already did), then 1, 2, 4 ... ms, at most a second, for every
 * further one in a row; work resets it.  Linux's lateeoi back-off for
 * spurious events (drivers/xen/events, XSA-332), in milliseconds.
 */
static unsigned int
vif_evt_backoff(struct xvif *vif)
{
	unsigned int ms;

	if (vif->vif_evt_spurious < 12)
		vif->vif_evt_spurious++;
	if (vif->vif_evt_spurious <= 1)
		return 0;
	ms = 1u << (vif->vif_evt_spurious - 2);
	return ms > XVIF_EVT_BACKOFF_MAX_MS ? XVIF_EVT_BACKOFF_MAX_MS : ms;
}

/* The back-off is over: listen to the guest again. */
static void
vif_evt_timer(void *arg)
{
	struct xvif *vif = arg;

	if (vif->vif_port != HV_PORT_NONE)
		(void)hv_evt_unmask(vif->vif_d->xd_hv, vif->vif_port);
}

/* Run one vif for its notification; did the guest give us anything? */
static bool
vif_evt_work(struct xvif *vif)
{
	RING_IDX tx_cons, rx_rsp, rx_prod;

	if (!vif->vif_connected)
		return true;	/* nothing to run or judge: not ours to delay */
	tx_cons = vif->vif_txr.req_cons;
	rx_rsp = vif->vif_rxr.rsp_prod_pvt;
	rx_prod = __atomic_load_n(&vif->vif_rxr.sring->req_prod,
	    __ATOMIC_ACQUIRE);
	vif_tx_run(vif);
	/*
	 * RX runs here only if it waits for the guest's slots (a held
	 * frame, the TAP unwatched) or the guest broke its RX ring (a
	 * producer more than a ring ahead: failed now, not at the next
	 * frame); otherwise the TAP's readiness runs it, and reading the TAP
	 * on every TX notification would be a wasted call.
	 */
	if (vif->vif_connected && rx_prod != vif->vif_evt_rx_prod &&
	    (vif->vif_rx_pending > 0 || !vif->vif_hp_polled ||
	    rx_prod - rx_rsp > RING_SIZE(&vif->vif_rxr)))
		vif_rx_run(vif);
	if (rx_prod != vif->vif_evt_rx_prod) {	/* it posted RX slots */
		vif->vif_evt_rx_prod = rx_prod;
		return true;
	}
	return !vif->vif_connected || vif->vif_txr.req_cons != tx_cons ||
	    vif->vif_rxr.rsp_prod_pvt != rx_rsp;
}

/* The hv event fd is readable: run every vif whose channel fired. */
void
vif_evt_ready(void *arg, uint32_t events)
{
	struct xvifd *xd = arg;
	struct xvif *vif;
	unsigned int delay;
	uint32_t port;
	int n;

	/* Bounded: a storm of events is handled a batch per loop turn. */
	for (n = 0; n < 256 && hv_evt_pending(xd->xd_hv, &port) == 0; n++) {
		if ((vif = vif_by_port(xd, port)) == NULL) {
			(void)hv_evt_unmask(xd->xd_hv, port);
			continue;
		}
		vif->vif_cnt[VIF_EVT_IN]++;
		if (vif_evt_work(vif)) {
			vif->vif_evt_spurious = 0;
			delay = 0;
		} else {
			vif->vif_cnt[VIF_EVT_SPURIOUS]++;
			delay = vif_evt_backoff(vif);
		}
		/* Unmask after the work (lateeoi, XSA-332), or later. */
		if (delay == 0 || vif->vif_port != port)
			(void)hv_evt_unmask(xd->xd_hv, port);
		else
			ev_timer_arm(xd->xd_ev, &vif->vif_evt_timer, delay);
	}
}
