/*
 * vif.c -- a vif's lifecycle: allocation, its TAP, connecting its queues
 * to the frontend's rings and letting go of them, its counters, and the
 * containment of a misbehaving guest (vif_guest_err, vif_queue_fail).
 * The XenStore side is xbus.c; one queue's rings and channels are
 * vif_queue.c's; the frames move in vif_tx.c and vif_rx.c.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "xvif.h"

static void	vif_apply_mtu_limit(struct xvif *);

const char *const vif_counter_names[VIF_COUNTER_MAX] = {
	[VIF_TX_FRAMES] = "tx_frames",
	[VIF_TX_BYTES] = "tx_bytes",
	[VIF_TX_BAD] = "tx_bad_requests",
	[VIF_TX_GNT_ERR] = "tx_grant_errors",
	[VIF_TX_HOST_DROP] = "tx_host_drops",
	[VIF_TX_CSUM_OFFLOAD] = "tx_csum_offloads",
	[VIF_TX_GSO] = "tx_gso",
	[VIF_TX_GSO_FIXUP] = "tx_gso_csum_fixups",
	[VIF_TX_RATE_WAITS] = "tx_rate_waits",
	[VIF_TX_SPOOF_MAC] = "tx_spoof_mac_drops",
	[VIF_TX_SPOOF_IP] = "tx_spoof_ip_drops",
	[VIF_TX_SPOOF_BAD] = "tx_spoof_bad_drops",
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
	[VIF_RX_TAP_READS] = "rx_tap_reads",
	[VIF_RX_SLOT_WAITS] = "rx_slot_waits",
	[VIF_EVT_SPURIOUS] = "events_spurious",
	[VIF_GNT_CALLS] = "grant_copy_calls",
	[VIF_GNT_OPS] = "grant_copy_ops",
	[VIF_EVT_IN] = "events_in",
	[VIF_EVT_OUT] = "events_out",
	[VIF_KEY_ERRORS] = "key_errors",
	[VIF_CONNECT_REFUSALS] = "connect_refusals",
	[VIF_TAP_REMAKES] = "interface_remakes",
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
	vif->vif_state = XenbusStateInitialising;
	pthread_mutex_init(&vif->vif_carrier_mu, NULL);
	pthread_mutex_init(&vif->vif_fatal_mu, NULL);
	vif->vif_mtu = 1500;		/* a new TAP's */
	snprintf(vif->vif_tag, sizeof(vif->vif_tag), "xvif%ui%u", domid,
	    handle);
	snprintf(vif->vif_be, sizeof(vif->vif_be), "%s/%u/%u", xd->xd_root,
	    domid, handle);
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
	ev_timer_cancel(vif->vif_d->xd_ev, &vif->vif_state_retry_t);
	if (destroy_tap && vif->vif_hp == NULL)
		vif_ifrecord_destroy(vif);	/* one refused and kept */
	vif_close_tap(vif, destroy_tap);
	if (destroy_tap)
		vif_journal_remove(vif);
	for (pp = &vif->vif_d->xd_vifs; *pp != NULL; pp = &(*pp)->vif_next)
		if (*pp == vif) {
			*pp = vif->vif_next;
			break;
		}
	pthread_mutex_destroy(&vif->vif_carrier_mu);
	pthread_mutex_destroy(&vif->vif_fatal_mu);
	free(vif);
}

/*
 * Create the TAP called name, with our MAC, or re-attach to it as it is:
 * its MAC may be the hotplug script's by now (vif-bridge gives every
 * port fe:ff:ff:ff:ff:ff so that a bridge never takes a guest port's
 * address as its own), and changing a port's MAC can change the bridge's.
 */
int
vif_open_tap(struct xvif *vif, const char *name, int ifindex)
{
	int rc;

	if (vif->vif_hp != NULL)
		return 0;
	rc = hp_open(vif->vif_d->xd_hp_ops, name, &vif->vif_hp);
	if (rc < 0) {
		log_warnc(-rc, "%s: create interface %s", vif->vif_tag, name);
		return rc;
	}
	/*
	 * Looked up as ifindex under name, and renamed (or deleted) before
	 * TUNSETIFF took the name (a hotplug script's rename): TUNSETIFF
	 * made a new TAP of the old name, or attached to someone's.  Let go
	 * of it (deleted if made here) before its record would take the
	 * vif's for an earlier vif's and delete that; the caller looks again.
	 */
	if (ifindex > 0 && hp_ifindex(vif->vif_hp) != ifindex) {
		log_info("%s: interface %s was renamed or deleted as it was "
		    "opened: looked for again", vif->vif_tag, name);
		hp_close(vif->vif_hp, !vif->vif_hp->hp_reattached);
		vif->vif_hp = NULL;
		return -EAGAIN;
	}
	/*
	 * The vif's alone: a TAP with no owner (nor group) may be attached
	 * to by anyone who can open /dev/net/tun (0666 on Debian), who then
	 * gets a share of the guest's frames and sends as the guest, past
	 * anti-spoofing.  The owner is who we are (the --user, after
	 * priv_drop; CAP_NET_ADMIN attaches us whoever the owner), set on a
	 * re-attached TAP too, which an older xvifd left without one.
	 */
	if ((!vif->vif_hp->hp_reattached &&
	    (rc = hp_set_mac(vif->vif_hp, vif->vif_mac)) < 0) ||
	    (rc = hp_set_owner(vif->vif_hp, geteuid())) < 0 ||
	    (rc = hp_set_carrier(vif->vif_hp, false)) < 0) {
		log_warnc(-rc, "%s: set up interface %s", vif->vif_tag, name);
		/* Destroyed only if this open made it. */
		vif_close_tap(vif, !vif->vif_hp->hp_reattached);
		return rc;
	}
	/* A TAP made single-queue (by hand, by an older xvifd) has one. */
	vif->vif_queues_max = vif->vif_d->xd_max_queues;
	if (vif->vif_queues_max > vif->vif_hp->hp_queues_max)
		vif->vif_queues_max = vif->vif_hp->hp_queues_max;
	if (vif->vif_queues_max == 0)
		vif->vif_queues_max = 1;
	vif_ifrecord_write(vif, name);
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
	if (destroy)
		vif_ifrecord_remove(vif);
}

void
vif_fini(struct xvifd *xd)
{
	vif_workers_stop(xd);
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

/* "; N more not logged" if the limiter held back N since its last yes. */
static void
vif_log_held(struct log_rate *lr, const char *what, char *buf, size_t len)
{
	buf[0] = '\0';
	if (lr->lr_suppressed > 0)
		snprintf(buf, len, " (%lu more %s not logged)",
		    lr->lr_suppressed, what);
	lr->lr_suppressed = 0;
}

static void
vif_log_connected(struct xvif *vif, bool resumed, unsigned int offl)
{
	const struct vif_fe *fe = &vif->vif_fe;
	const struct vif_feq *fq = &fe->fe_q[0];
	char rings[64], chan[48], held[64];

	if (!log_ratecheck_burst(&vif->vif_life_rate, XVIF_LOG_INTERVAL,
	    XVIF_LOG_BURST))
		return;
	vif_log_held(&vif->vif_life_rate, "connects", held, sizeof(held));
	if (fe->fe_nqueues > 1)
		snprintf(rings, sizeof(rings), "%u queues, queue 0: tx ring "
		    "%u, rx ring %u", fe->fe_nqueues, fq->fq_tx_ref,
		    fq->fq_rx_ref);
	else
		snprintf(rings, sizeof(rings), "tx ring %u, rx ring %u",
		    fq->fq_tx_ref, fq->fq_rx_ref);
	if (fe->fe_split)
		snprintf(chan, sizeof(chan), "event channels %u/%u",
		    fq->fq_port_tx, fq->fq_port_rx);
	else
		snprintf(chan, sizeof(chan), "event channel %u",
		    fq->fq_port_tx);
	log_info("%s: connected%s (%s, %s%s%s%s%s%s)%s", vif->vif_tag,
	    resumed ? " again" : "", rings, chan, fe->fe_sg ? ", sg" : "",
	    fe->fe_rx_notify ? ", rx-notify" : "",
	    offl & TUN_F_CSUM ? ", csum" : "",
	    offl & TUN_F_TSO4 ? ", tso4" : "",
	    offl & TUN_F_TSO6 ? ", tso6" : "", held);
}

/*
 * Why a connect failed (rc, a -errno): logged, and kept (the first
 * reason) for the error node xbus writes when it fails the vif, as
 * Linux's connect_data_rings says why with xenbus_dev_fatal.  q: the
 * queue it was about, or NULL.  Returns rc.
 */
int
vif_connect_fail(struct xvif *vif, const struct vif_queue *q, int rc,
    const char *fmt, ...)
{
	char why[sizeof(vif->vif_fail_why)];
	size_t n = 0;
	va_list ap;

	if (q != NULL && vif->vif_nq > 1)
		n = (size_t)snprintf(why, sizeof(why), "queue %u: ", q->q_id);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - n, fmt, ap);
	va_end(ap);
	n = strlen(why);
	snprintf(why + n, sizeof(why) - n, ": %s", strerror(-rc));
	/* A frontend resetting into the same failure must not flood us. */
	if (log_ratecheck(&vif->vif_connect_rate, XVIF_LOG_INTERVAL))
		log_warnx_rated(&vif->vif_connect_rate, vif->vif_tag, why);
	if (vif->vif_fail_why[0] == '\0')
		memcpy(vif->vif_fail_why, why, sizeof(why));
	return rc;
}

/*
 * Connect the queues the frontend set up, from values xbus.c read and
 * checked (vif_queue_connect), and start them.  The first connect of a
 * vif in this process may find rings a predecessor served (reattach):
 * the response journal replays what that one wrote and did not push.
 * On failure the vif is as vif_disconnect() leaves it.
 */
int
vif_connect(struct xvif *vif, const struct vif_fe *fe, bool reattach)
{
	struct vif_queue *q;
	unsigned int i, offl;
	int rc;

	vif->vif_fe = *fe;
	vif->vif_ring_mark = 0;		/* vif_journal_open's, if it gets there */
	if ((vif->vif_q = calloc(fe->fe_nqueues, sizeof(*q))) == NULL) {
		rc = vif_connect_fail(vif, NULL, -ENOMEM, "queues");
		goto fail;
	}
	vif->vif_nq = fe->fe_nqueues;
	/*
	 * Every queue set up before any connects: a failed connect lets go
	 * of all vif_nq of them (vif_disconnect), and one that was never
	 * set up would have no vif, worker or unbound ports to go by.
	 */
	for (i = 0; i < vif->vif_nq; i++) {
		q = &vif->vif_q[i];
		vif_queue_init(vif, q, i);
		q->q_as = vif->vif_as;	/* its worker reads it from attach */
		q->q_worker = vif_worker_pick(vif->vif_d);
		/* Each queue gets the whole rate, as in Linux. */
		vif_worker_rate(q, &vif->vif_rate);
	}
	for (i = 0; i < vif->vif_nq; i++)
		if ((rc = vif_queue_connect(&vif->vif_q[i], &fe->fe_q[i])) < 0)
			goto fail;
	if ((rc = vif_journal_open(vif, reattach)) < 0) {
		(void)vif_connect_fail(vif, NULL, rc, "response journal");
		goto fail;
	}
	vif->vif_connects++;
	vif_apply_mtu_limit(vif);
	/* As Linux: carrier on at connect; a stall takes it off, and only
	 * posted RX slots bring it back (vif_rx_run). */
	pthread_mutex_lock(&vif->vif_carrier_mu);
	vif->vif_connected = true;
	vif->vif_carrier = true;
	(void)hp_set_carrier(vif->vif_hp, true);
	pthread_mutex_unlock(&vif->vif_carrier_mu);
	offl = vif_tap_offloads(fe);
	if (__atomic_load_n(&vif->vif_no_tso, __ATOMIC_RELAXED))
		offl &= ~(unsigned int)(TUN_F_TSO4 | TUN_F_TSO6);
	if ((rc = hp_set_offload(vif->vif_hp, offl)) < 0) {
		/* Finished frames only, which every frontend takes. */
		log_warnc(-rc, "%s: tap offloads", vif->vif_tag);
		offl = 0;
	}
	vif_log_connected(vif, vif->vif_resumed, offl);
	/* Each worker runs what the guest queued already before we go on. */
	for (i = 0; i < vif->vif_nq; i++)
		if ((rc = vif_worker_attach(&vif->vif_q[i])) < 0) {
			(void)vif_connect_fail(vif, &vif->vif_q[i], rc,
			    "start on its worker");
			goto fail;
		}
	return 0;
fail:
	vif_disconnect(vif);
	return rc;
}

/*
 * Idempotent: every queue is let go of, and its counters kept.  A queue
 * that failed before its worker let go of it (vif_fail_pending) failed
 * this connection, which is gone now: its reason goes to vif_fail_why
 * and the failure is not left pending for the next connection.  True if
 * so (the caller may say why in the error node).
 */
bool
vif_disconnect(struct xvif *vif)
{
	struct vif_queue *q;
	unsigned int i, c;
	bool failed = false;

	for (i = 0; i < vif->vif_nq; i++)
		vif_worker_detach(&vif->vif_q[i]);
	/* No worker touches these queues now. */
	if (__atomic_exchange_n(&vif->vif_fail_pending, false,
	    __ATOMIC_ACQ_REL))
		failed = vif_failure(vif);
	pthread_mutex_lock(&vif->vif_carrier_mu);
	if (vif->vif_hp != NULL && vif->vif_carrier && !vif->vif_tap_lost)
		(void)hp_set_carrier(vif->vif_hp, false);
	vif->vif_carrier = false;
	vif->vif_connected = false;
	pthread_mutex_unlock(&vif->vif_carrier_mu);
	/* The next frontend may take fewer offloads. */
	if (vif->vif_hp != NULL && !vif->vif_tap_lost && vif->vif_nq > 0)
		(void)hp_set_offload(vif->vif_hp, 0);
	vif_journal_close(vif);
	for (i = 0; i < vif->vif_nq; i++) {
		q = &vif->vif_q[i];
		vif_queue_disconnect(q);
		for (c = 0; c < VIF_QUEUE_COUNTERS; c++)
			vif->vif_cnt[c] += q->q_cnt[c];
	}
	free(vif->vif_q);
	vif->vif_q = NULL;
	vif->vif_nq = 0;
	vif->vif_stalled = 0;
	/* No queue is left to read it; the next connect reads it again. */
	free(vif->vif_as);
	vif->vif_as = NULL;
	return failed;
}

/*
 * The rate key changed while connected: every queue gets the new rate,
 * each the whole of it, as Linux netback's queues (xen_net_rate_changed),
 * through its worker.
 */
void
vif_set_rate(struct xvif *vif)
{
	unsigned int i;

	for (i = 0; i < vif->vif_nq; i++)
		vif_worker_rate(&vif->vif_q[i], &vif->vif_rate);
}

/* The queues let go of the rules they had and take vif_as. */
void
vif_set_antispoof(struct xvif *vif)
{
	unsigned int i;

	for (i = 0; i < vif->vif_nq; i++)
		vif_worker_antispoof(&vif->vif_q[i], vif->vif_as);
}

/* A queue's counters now, read while its worker may write them. */
void
vif_queue_counters(const struct vif_queue *q,
    uint64_t out[VIF_QUEUE_COUNTERS])
{
	unsigned int c;

	for (c = 0; c < VIF_QUEUE_COUNTERS; c++)
		out[c] = vif_cnt_get(q, c);
}

/* A vif's counters: those of queues gone plus those of its queues now. */
void
vif_counters(const struct xvif *vif, uint64_t out[VIF_COUNTER_MAX])
{
	unsigned int i, c;

	memcpy(out, vif->vif_cnt, sizeof(vif->vif_cnt));
	for (i = 0; i < vif->vif_nq; i++)
		for (c = 0; c < VIF_QUEUE_COUNTERS; c++)
			out[c] += vif_cnt_get(&vif->vif_q[i], c);
}

static void
vif_guest_vlog(struct vif_queue *q, const char *fmt, va_list ap)
{
	char msg[256];

	if (!log_ratecheck(q->q_rate, XVIF_LOG_INTERVAL))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_warnx_rated(q->q_rate, q->q_tag, msg);
}

void
vif_guest_log(struct vif_queue *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vif_guest_vlog(q, fmt, ap);
	va_end(ap);
}

void
vif_guest_err(struct vif_queue *q, enum vif_counter c, const char *fmt, ...)
{
	va_list ap;

	vif_cnt_add(q, c, 1);
	va_start(ap, fmt);
	vif_guest_vlog(q, fmt, ap);
	va_end(ap);
}

/*
 * The frontend broke a queue's ring, or our end of the cable broke: in
 * the queue's worker, log once (a vif's lines at most XVIF_LOG_BURST per
 * XVIF_LOG_INTERVAL: a guest failing in a loop), stop that queue now,
 * and leave the rest
 * -- the error node, Closing, letting go of every queue of the vif, as
 * Linux netback's xenvif_fatal_tx_err disables the whole vif -- to the
 * control plane's next turn (xbus_apply_failures), woken through
 * xd_fail_efd.  Never touches XenStore or a sibling queue itself: the
 * data path must not run a XenStore transaction in the middle of a frame
 * loop, nor reach into another worker's queue.
 */
static void
vif_queue_vfail(struct vif_queue *q, bool lost, const char *fmt, va_list ap)
{
	struct xvif *vif = q->q_vif;
	const char *what;
	uint64_t one = 1;
	char held[64];
	bool said;

	vif_queue_stop(q);
	if (q->q_failed)
		return;		/* once */
	vsnprintf(q->q_fail_why, sizeof(q->q_fail_why), fmt, ap);
	q->q_failed = true;
	q->q_tap_lost = lost;
	pthread_mutex_lock(&vif->vif_fatal_mu);
	said = log_ratecheck_burst(&vif->vif_fatal_rate, XVIF_LOG_INTERVAL,
	    XVIF_LOG_BURST);
	if (said)
		vif_log_held(&vif->vif_fatal_rate, "fatal errors", held,
		    sizeof(held));
	pthread_mutex_unlock(&vif->vif_fatal_mu);
	/* A lost interface is the control plane's to judge (xbus_fail):
	 * it makes it again, and only says "fatal" if it cannot. */
	what = lost ? "host interface lost" : "fatal error, disabling vif";
	if (said && vif->vif_nq > 1)
		log_warnx("%s: %s: queue %u: %s%s", vif->vif_tag, what,
		    q->q_id, q->q_fail_why, held);
	else if (said)
		log_warnx("%s: %s: %s%s", vif->vif_tag, what, q->q_fail_why,
		    held);
	__atomic_store_n(&vif->vif_fail_pending, true, __ATOMIC_RELEASE);
	(void)!write(vif->vif_d->xd_fail_efd, &one, sizeof(one));
}

void
vif_queue_fail(struct vif_queue *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vif_queue_vfail(q, false, fmt, ap);
	va_end(ap);
}

static void
vif_queue_fail_lost(struct vif_queue *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vif_queue_vfail(q, true, fmt, ap);
	va_end(ap);
}

/*
 * The TAP failed under us: deleted (`ip link del`: the fd is detached,
 * reads and writes give EBADFD, epoll reports EPOLLERR for ever), or an
 * error no retry cures.  The queue stops as for any failure; the control
 * plane makes the interface again under the connected guest
 * (xbus_fail).
 */
void
vif_tap_fail(struct vif_queue *q, const char *op, int rc)
{
	vif_queue_fail_lost(q, "interface %s: %s: %s", q->q_hp != NULL ?
	    q->q_hp->hp_name : q->q_vif->vif_name, op, strerror(rc));
}

/*
 * The control plane's turn: why the vif failed, from its first failed
 * queue, and whether its TAP is lost, from any: queue 0 failing on a bad
 * ring while queue 1 met the TAP deleted must not keep the dead fd for
 * the next connect; and whether that was all (vif_tap_only), which the
 * control plane may mend.  False if none has failed (nothing to apply).
 */
bool
vif_failure(struct xvif *vif)
{
	struct vif_queue *q;
	unsigned int i;
	bool failed = false, tap_only = true;

	for (i = 0; i < vif->vif_nq; i++) {
		q = &vif->vif_q[i];
		if (!q->q_failed)
			continue;
		if (q->q_tap_lost)
			vif->vif_tap_lost = true;
		else
			tap_only = false;
		if (failed)
			continue;
		failed = true;
		if (vif->vif_nq > 1)
			snprintf(vif->vif_fail_why, sizeof(vif->vif_fail_why),
			    "queue %u: %s", q->q_id, q->q_fail_why);
		else
			snprintf(vif->vif_fail_why, sizeof(vif->vif_fail_why),
			    "%s", q->q_fail_why);
	}
	if (failed)
		vif->vif_tap_only = tap_only;
	return failed;
}

/* Errors of a TAP read or write that mean the TAP is gone for good. */
bool
vif_tap_gone(int rc)
{
	return rc == EBADFD || rc == EBADF || rc == ENODEV || rc == ENXIO ||
	    rc == EFAULT;
}

/*
 * A queue's guest stopped posting RX slots for XVIF_RX_STALL_MS, or
 * posted again: as Linux, the carrier is off while any queue is stalled.
 * With `say`, the line Linux logs too ("guest rx stalled", "... ready"),
 * at most XVIF_LOG_BURST a vif per XVIF_LOG_INTERVAL: each queue may
 * stall every XVIF_RX_STALL_MS, and a guest of 8 queues that posts one
 * slot a queue between stalls would write 16 lines per interval.
 */
void
vif_queue_stall(struct vif_queue *q, bool stalled, bool say)
{
	struct xvif *vif = q->q_vif;
	char held[64];

	if (q->q_rx_stalled == stalled)
		return;
	q->q_rx_stalled = stalled;
	pthread_mutex_lock(&vif->vif_carrier_mu);
	if (stalled && vif->vif_stalled++ == 0 && vif->vif_carrier) {
		vif->vif_carrier = false;
		(void)hp_set_carrier(vif->vif_hp, false);
	} else if (!stalled && --vif->vif_stalled == 0 && !vif->vif_carrier &&
	    vif->vif_connected) {
		vif->vif_carrier = true;
		(void)hp_set_carrier(vif->vif_hp, true);
	}
	say = say && log_ratecheck_burst(&vif->vif_stall_rate,
	    XVIF_LOG_INTERVAL, XVIF_LOG_BURST);
	if (say)
		vif_log_held(&vif->vif_stall_rate, "stalls or readies", held,
		    sizeof(held));
	pthread_mutex_unlock(&vif->vif_carrier_mu);
	if (say && stalled)
		log_warnx("%s: guest rx stalled%s", q->q_tag, held);
	else if (say)
		log_info("%s: guest rx ready%s", q->q_tag, held);
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

/*
 * The name a vif goes by (xvifctl, the SIGUSR1 dump): its interface's as
 * it is now (renamed by hand or by a hotplug script, it is followed by
 * ifindex), which is what ip(8) and node_exporter call it; a vif holding
 * no interface (refused, say because another vif has the name it asked
 * for, or its interface lost) goes by its tag, as in the log -- by the
 * name it asked for, it was a second vif of that name, and Prometheus got
 * duplicate series.
 */
const char *
vif_ifname_now(const struct xvif *vif, char buf[IF_NAMESIZE])
{
	int ifindex;

	if (vif->vif_hp == NULL || vif->vif_tap_lost)
		return vif->vif_tag;
	if ((ifindex = hp_ifindex(vif->vif_hp)) <= 0 ||
	    if_indextoname((unsigned int)ifindex, buf) == NULL)
		return vif->vif_hp->hp_name;
	/*
	 * Renamed by hand (root), a name may hold bytes no request can name
	 * and no JSON or Prometheus reader takes as UTF-8: then the name the
	 * vif asked for, which it got.
	 */
	return proto_ifname_check(buf) == NULL ? buf : vif->vif_name;
}
