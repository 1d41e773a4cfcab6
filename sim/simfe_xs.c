/*
 * simfe_xs.c -- the simulated netfront's control plane, as Linux
 * xen-netfront's (talk_to_netback, netback_changed, xennet_connect,
 * xennet_remove): its XenStore keys, read and written as the guest on
 * the connection simfe.c opened, and the xenbus state machine, with its
 * bounded waits and the state-machine misbehaviours (reconnect, reinit,
 * starve-reconnect, insisting on Connected).  It makes and drops the
 * rings through simfe_ring.c; the loop and eth0 are simfe.c's.
 *
 * The ring keys (talk_to_netback, write_queue_xenstore_keys): one queue
 * writes tx-ring-ref, rx-ring-ref and event-channel flat (and, if the
 * backend offers multi-queue-max-queues, multi-queue-num-queues=1, as
 * Linux does); Q > 1 writes multi-queue-num-queues=Q and
 * those three below queue-0/ .. queue-<Q-1>/.  Split channels write
 * event-channel-tx and event-channel-rx instead of event-channel.  Every
 * connect also removes, in its transaction, the keys only the other
 * layouts have, so that after a reconnect with another queue count or
 * channel split (or a netfront of another --queues before us) the
 * backend reads one layout, never a mix.
 *
 * Our side of the handshake (Linux never writes Initialised; the
 * same-refs misbehaviour does, with its keys, as blkfront-style frontends):
 *
 *   Initialising --(backend InitWait: rings, keys, state in one txn)-->
 *   Connected --(backend Closing/Closed)--> Closed, for good, as Linux's
 *   netfront; --reload-when-closed, a guest that reloads its driver:
 *   --(backend Closed and online=1, or backend InitWait)--> Initialising
 *   --> ...  Initialising, once the backend was seen neither Closed nor
 *   Unknown (the probe's wait), --(backend Closing/Closed)--> Closed too.
 *
 *   SIGTERM: Closing --(backend Closing/Closed)--> Closed --(backend
 *   Closed)--> exit; each wait bounded by --timeout.  --vanish: exit at
 *   once, XenStore untouched.  Our frontend directory removed (detach,
 *   destroy) or our domain gone: exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#include "proto.h"
#include "simfe.h"

#define SIMFE_TXN_TRIES		32	/* transaction retries on EAGAIN */
#define SIMFE_EARLY_MS		500	/* initialised-early: keys this late */
/*
 * overrun-storm breaks its ring this long after the backend's Connected:
 * xvifd applies a failure at once on any turn the vif has, and the
 * backend's own write of Connected gives it one, which the storm's
 * window before the failure is applied must not contain.
 */
#define SIMFE_OVERRUN_STORM_MS	200

static const char *
simfe_state_name(int st)
{
	static const char *const n[] = { "Unknown", "Initialising",
	    "InitWait", "Initialised", "Connected", "Closing", "Closed",
	    "Reconfiguring", "Reconfigured" };

	return st >= 0 && st <= 8 ? n[st] : "invalid";
}

/* -- XenStore -- */

/* key below dir into buf; -errno. */
int
simfe_xs_read(struct simfe *sf, const char *dir, const char *key, char *buf,
    size_t len)
{
	/* The daemon's own reader (src/hv_xs.c), on our libxenstore handle. */
	struct hv h = { .hv_xsh = sf->sf_xsh, .hv_self = sf->sf_domid };
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return hv_xs_op_read(&h, HV_TXN_NONE, path, buf, len);
}

/* Untrusted (other end): a number below dir/key, or dflt if absent/bad. */
unsigned long
simfe_xs_uint(struct simfe *sf, const char *dir, const char *key,
    unsigned long max, unsigned long dflt)
{
	unsigned long v;
	char buf[32];

	if (simfe_xs_read(sf, dir, key, buf, sizeof(buf)) < 0 ||
	    proto_parse_uint(buf, max, &v) < 0)
		return dflt;
	return v;
}

static int
simfe_xs_write(struct simfe *sf, xs_transaction_t t, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int
simfe_xs_write(struct simfe *sf, xs_transaction_t t, const char *key,
    const char *fmt, ...)
{
	char path[256], val[64];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", sf->sf_fe, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	errno = 0;
	if (!xs_write(sf->sf_xsh, t, path, val, (unsigned int)strlen(val)))
		return errno != 0 ? -errno : -EIO;
	return 0;
}

/* xenbus_switch_state() */
static void
simfe_set_state(struct simfe *sf, int st)
{
	int rc;

	if ((rc = simfe_xs_write(sf, XBT_NULL, "state", "%d", st)) < 0) {
		fprintf(stderr, "netfront d%u/%u: write %s/state: %s\n",
		    sf->sf_domid, sf->sf_devid, sf->sf_fe, strerror(-rc));
		return;
	}
	sf->sf_fe_state = st;
	simfe_say(sf, "state %s", simfe_state_name(st));
}

/* The backend's state; 0 (Unknown) when its directory is gone. */
static int
simfe_be_state(struct simfe *sf)
{
	return (int)simfe_xs_uint(sf, sf->sf_be, "state", 8, 0);
}

static void
simfe_kv_add(struct simfe_kv *kv, size_t max, size_t *n, bool rm,
    unsigned int val, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void
simfe_kv_add(struct simfe_kv *kv, size_t max, size_t *n, bool rm,
    unsigned int val, const char *fmt, ...)
{
	va_list ap;

	if (*n >= max)
		return;
	va_start(ap, fmt);
	vsnprintf(kv[*n].kv_key, sizeof(kv[*n].kv_key), fmt, ap);
	va_end(ap);
	kv[*n].kv_rm = rm;
	kv[*n].kv_val = val;
	(*n)++;
}

/* One queue's keys below pre ("" or "queue-K/"). */
static void
simfe_kv_queue(const struct simfe_queue *q, const char *pre,
    struct simfe_kv *kv, size_t max, size_t *n)
{
	bool split = q->sq_port_rx != HV_PORT_NONE;

	simfe_kv_add(kv, max, n, false, q->sq_txref, "%stx-ring-ref", pre);
	simfe_kv_add(kv, max, n, false, q->sq_rxref, "%srx-ring-ref", pre);
	simfe_kv_add(kv, max, n, split, q->sq_port, "%sevent-channel", pre);
	simfe_kv_add(kv, max, n, !split, q->sq_port, "%sevent-channel-tx",
	    pre);
	simfe_kv_add(kv, max, n, !split, q->sq_port_rx, "%sevent-channel-rx",
	    pre);
}

/*
 * The ring keys of the queues now connected (sf_nq, their refs and
 * ports), and the removals of what only the other layouts have, into
 * kv; how many.  Pure, for the tests.
 */
size_t
simfe_xs_layout(const struct simfe *sf, struct simfe_kv *kv, size_t max)
{
	static const char *const flat[] = { "tx-ring-ref", "rx-ring-ref",
	    "event-channel", "event-channel-tx", "event-channel-rx" };
	unsigned int k, nq = sf->sf_nq < 1 ? 1 : sf->sf_nq;
	char pre[24];
	size_t n = 0;

	if (nq == 1) {
		/* Linux writes the count whenever the backend offers a
		 * maximum, 1 too, with the queue's keys flat. */
		simfe_kv_queue(&sf->sf_q[0], "", kv, max, &n);
		simfe_kv_add(kv, max, &n, !sf->sf_be_mq, 1,
		    "multi-queue-num-queues");
	} else {
		for (k = 0; k < sizeof(flat) / sizeof(flat[0]); k++)
			simfe_kv_add(kv, max, &n, true, 0, "%s", flat[k]);
		simfe_kv_add(kv, max, &n, false, nq, "multi-queue-num-queues");
		for (k = 0; k < nq; k++) {
			snprintf(pre, sizeof(pre), "queue-%u/", k);
			simfe_kv_queue(&sf->sf_q[k], pre, kv, max, &n);
		}
	}
	for (k = nq > 1 ? nq : 0; k < SIMFE_QUEUES_MAX; k++)
		simfe_kv_add(kv, max, &n, true, 0, "queue-%u", k);
	return n;
}

/*
 * The keys of talk_to_netback, and state, inside transaction t.  Linux
 * writes the offload keys as 1 always; --no-gso and --no-offload write
 * them 0, and --no-offload feature-no-csum-offload=1 (netif.h: the
 * backend must then send no NETRXF_csum_blank).
 */
/*
 * The state a connect writes with its keys: Connected, as Linux; with
 * same-refs, after the first connect, Initialised (Connected once the
 * backend is: simfe_step_connected).
 */
static int
simfe_connect_state(const struct simfe *sf)
{
	return sf->sf_mb == SIMFE_MB_SAME_REFS && sf->sf_q[0].sq_gen > 1 ?
	    XenbusStateInitialised : XenbusStateConnected;
}

static int
simfe_write_keys(struct simfe *sf, xs_transaction_t t)
{
	const struct {
		const char	*k;
		unsigned int	 v;
		bool		 on;
	} kv[] = {
		{ "request-rx-copy", 1, true },
		{ "feature-rx-notify", 1, sf->sf_rx_notify },
		{ "feature-sg", 1, sf->sf_sg },
		{ "feature-gso-tcpv4", sf->sf_gso, true },
		{ "feature-gso-tcpv6", sf->sf_gso, true },
		{ "feature-ipv6-csum-offload", sf->sf_csum, true },
		{ "feature-no-csum-offload", 1, !sf->sf_csum },
		{ "state", (unsigned int)simfe_connect_state(sf), true },
	};
	struct simfe_kv ring[SIMFE_KV_MAX];
	char path[256];
	size_t i, n;
	int rc;

	n = simfe_xs_layout(sf, ring, SIMFE_KV_MAX);
	for (i = 0; i < n; i++) {
		if (!ring[i].kv_rm) {
			rc = simfe_xs_write(sf, t, ring[i].kv_key, "%u",
			    ring[i].kv_val);
			if (rc < 0)
				return rc;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%.*s", sf->sf_fe,
		    (int)sizeof(ring[i].kv_key), ring[i].kv_key);
		errno = 0;
		if (!xs_rm(sf->sf_xsh, t, path) && errno != ENOENT)
			return errno != 0 ? -errno : -EIO;
	}
	/* queues-over-max: a count past what the backend offered. */
	if (sf->sf_mb == SIMFE_MB_QUEUES_OVER_MAX &&
	    (rc = simfe_xs_write(sf, t, "multi-queue-num-queues", "%u",
	    sf->sf_be_maxq + 1)) < 0)
		return rc;
	/* queue-ring-ungranted: the first queue's TX ring on a ref never
	 * granted, so the backend fails it before it sets up the others. */
	if (sf->sf_mb == SIMFE_MB_QUEUE_RING_UNGRANTED &&
	    (rc = simfe_xs_write(sf, t, sf->sf_nq > 1 ? "queue-0/tx-ring-ref" :
	    "tx-ring-ref", "%u", sf->sf_q[0].sq_base + SIMFE_REF_NEVER)) < 0)
		return rc;
	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (kv[i].on &&
		    (rc = simfe_xs_write(sf, t, kv[i].k, "%u", kv[i].v)) < 0)
			return rc;
	return 0;
}

/*
 * How many queues and channels this connection has (talk_to_netback):
 * min(--queues, the backend's multi-queue-max-queues, 1 if absent, the
 * partitions we hold, the eth0 fds we get); split channels if asked and
 * the backend has them.  Says on stdout what differs from what was
 * asked.
 */
static void
simfe_queues_pick(struct simfe *sf)
{
	unsigned long maxq;
	unsigned int nq = sf->sf_queues;

	maxq = simfe_xs_uint(sf, sf->sf_be, "multi-queue-max-queues", 65535,
	    0);
	sf->sf_be_mq = maxq != 0;
	sf->sf_be_maxq = maxq < 1 ? 1 : (unsigned int)maxq;
	if (nq > sf->sf_be_maxq) {
		simfe_say(sf, "%u queue(s) of the %u asked: the backend's "
		    "multi-queue-max-queues is %u", sf->sf_be_maxq, nq,
		    sf->sf_be_maxq);
		nq = sf->sf_be_maxq;
	}
	if (nq > sf->sf_nparts)
		nq = sf->sf_nparts;	/* said when they were claimed */
	sf->sf_nq = (unsigned int)simfe_tap_queues(sf, nq);
	sf->sf_be_split = simfe_xs_uint(sf, sf->sf_be,
	    "feature-split-event-channels", 1, 0) == 1;
	sf->sf_split_on = sf->sf_split && sf->sf_be_split;
	if (sf->sf_split && !sf->sf_be_split)
		simfe_say(sf, "one event channel per queue: the backend has "
		    "no feature-split-event-channels");
}

/* What we wrote, for the log (the tests read the one-queue line). */
static void
simfe_say_connected(struct simfe *sf)
{
	const struct simfe_queue *q;
	unsigned int k;

	const char *st = simfe_state_name(sf->sf_fe_state);

	q = &sf->sf_q[0];
	if (sf->sf_nq == 1 && q->sq_port_rx == HV_PORT_NONE) {
		simfe_say(sf, "state %s: tx-ring-ref %u rx-ring-ref %u "
		    "event-channel %u", st, q->sq_txref, q->sq_rxref,
		    q->sq_port);
		return;
	}
	if (sf->sf_nq == 1) {
		simfe_say(sf, "state %s: tx-ring-ref %u rx-ring-ref %u "
		    "event-channel-tx %u event-channel-rx %u", st, q->sq_txref,
		    q->sq_rxref, q->sq_port, q->sq_port_rx);
		return;
	}
	simfe_say(sf, "state %s: %u queue(s), %s", st, sf->sf_nq,
	    sf->sf_split_on ? "split event channels" :
	    "one event channel each");
	for (k = 0; k < sf->sf_nq; k++) {
		q = &sf->sf_q[k];
		if (q->sq_port_rx == HV_PORT_NONE)
			simfe_say(sf, "queue %u: tx-ring-ref %u rx-ring-ref %u "
			    "event-channel %u", k, q->sq_txref, q->sq_rxref,
			    q->sq_port);
		else
			simfe_say(sf, "queue %u: tx-ring-ref %u rx-ring-ref %u "
			    "event-channel-tx %u event-channel-rx %u", k,
			    q->sq_txref, q->sq_rxref, q->sq_port,
			    q->sq_port_rx);
	}
}

static void
simfe_carrier(struct simfe *sf, bool on)
{
	if (sf->sf_q[0].sq_hp != NULL)	/* the device's, any queue's */
		(void)hp_set_carrier(sf->sf_q[0].sq_hp, on);
}

/*
 * initialised-early: say Initialised with no key written yet, and what
 * the backend is SIMFE_EARLY_MS later (a backend that reads the keys at
 * Initialised finds none; it should wait for them, still InitWait).
 */
static void
simfe_initialised_early(struct simfe *sf)
{
	struct timespec ts = { 0, SIMFE_EARLY_MS * 1000000L };

	simfe_set_state(sf, XenbusStateInitialised);
	(void)nanosleep(&ts, NULL);
	simfe_say(sf, "misbehave initialised-early: backend %s after %d ms, "
	    "keys not written", simfe_state_name(simfe_be_state(sf)),
	    SIMFE_EARLY_MS);
}

/*
 * talk_to_netback + xennet_connect: check the backend's features, make
 * the rings and the port, then write every key and state=Connected in
 * one transaction (retried on EAGAIN).
 */
static int
simfe_connect(struct simfe *sf)
{
	xs_transaction_t t;
	unsigned int try, k;
	int rc = 0;

	if (simfe_xs_uint(sf, sf->sf_be, "feature-rx-copy", 1, 0) != 1) {
		fprintf(stderr, "netfront d%u/%u: backend does not support "
		    "copying receive path\n", sf->sf_domid, sf->sf_devid);
		return -ENODEV;
	}
	sf->sf_be_sg = simfe_xs_uint(sf, sf->sf_be, "feature-sg", 1, 0) == 1;
	/* For eth0's offloads (simfe_ring_connect), as xennet_fix_features. */
	sf->sf_be_gso4 = simfe_xs_uint(sf, sf->sf_be, "feature-gso-tcpv4", 1,
	    0) == 1;
	sf->sf_be_gso6 = simfe_xs_uint(sf, sf->sf_be, "feature-gso-tcpv6", 1,
	    0) == 1;
	sf->sf_be_csum6 = simfe_xs_uint(sf, sf->sf_be,
	    "feature-ipv6-csum-offload", 1, 0) == 1;
	simfe_queues_pick(sf);
	if ((rc = simfe_ring_connect(sf)) < 0) {
		fprintf(stderr, "netfront d%u/%u: setting up rings: %s\n",
		    sf->sf_domid, sf->sf_devid, strerror(-rc));
		return rc;
	}
	if (!sf->sf_ever_connected)
		simfe_mb_prefill(sf);
	if (sf->sf_mb == SIMFE_MB_INITIALISED_EARLY)
		simfe_initialised_early(sf);	/* each connect */
	for (try = 0; try < SIMFE_TXN_TRIES; try++) {
		errno = 0;
		if ((t = xs_transaction_start(sf->sf_xsh)) == XBT_NULL) {
			rc = errno != 0 ? -errno : -EIO;
			break;
		}
		if ((rc = simfe_write_keys(sf, t)) < 0) {
			(void)xs_transaction_end(sf->sf_xsh, t, true);
			break;
		}
		errno = 0;
		if (xs_transaction_end(sf->sf_xsh, t, false)) {
			rc = 0;
			break;
		}
		rc = errno != 0 ? -errno : -EIO;
		if (rc != -EAGAIN)
			break;
	}
	if (rc < 0) {
		fprintf(stderr, "netfront d%u/%u: writing ring details: %s\n",
		    sf->sf_domid, sf->sf_devid, strerror(-rc));
		simfe_ring_disconnect(sf);
		return rc;
	}
	sf->sf_fe_state = simfe_connect_state(sf);
	sf->sf_phase = SIMFE_PH_CONNECTED;
	simfe_say_connected(sf);
	if (sf->sf_ring_index != 0)
		simfe_say(sf, "ring indices from %u", sf->sf_ring_index);
	/*
	 * As xennet_connect: carrier on, and the RX buffers already posted
	 * told, each channel -- before the backend is Connected, even
	 * before it has seen us Connected: the guest's stack may put frames
	 * on the TX ring at once (its router solicitations, ARP), which the
	 * backend finds there when it connects.
	 */
	simfe_carrier(sf, true);
	for (k = 0; k < sf->sf_nq; k++) {
		simfe_notify(&sf->sf_q[k], false);
		if (sf->sf_q[k].sq_port_rx != HV_PORT_NONE)
			simfe_notify(&sf->sf_q[k], true);
	}
	return 0;
}

/* -- The state machine (netback_changed) -- */

static void
simfe_deadline(struct simfe *sf)
{
	ev_timer_arm(sf->sf_ev, &sf->sf_deadline, sf->sf_timeout * 1000u);
}

static bool
simfe_online(struct simfe *sf)
{
	return simfe_xs_uint(sf, sf->sf_be, "online", 1, 0) == 1;
}

/* Our frontend directory is gone: the device was unplugged. */
static bool
simfe_unplugged(struct simfe *sf)
{
	char buf[16];

	return simfe_xs_read(sf, sf->sf_fe, "state", buf, sizeof(buf)) ==
	    -ENOENT;
}

/*
 * Initialising, to wait for InitWait.  As Linux's probe
 * (xennet_create_dev, from Closed or a new device), it first waits until
 * the backend is neither Closed nor Unknown -- one Closed since our last
 * connection offers InitWait when it sees us Initialising -- and from
 * then on the backend's Closing or Closed closes us (simfe_step).  The
 * reinit misbehaviours jump from Connected to Initialising, which no
 * Linux netfront does, and wait for InitWait alone (!linux_probe): the
 * backend's walk back through Closing is their due.
 */
static void
simfe_enter_init(struct simfe *sf, bool linux_probe)
{
	if (sf->sf_fe_state != XenbusStateInitialising)
		simfe_set_state(sf, XenbusStateInitialising);
	sf->sf_phase = SIMFE_PH_INIT;
	sf->sf_probed = false;
	sf->sf_init_closes = linux_probe;
	simfe_deadline(sf);
}

/* The backend closed us (xenbus_frontend_closed): Closed, rings gone. */
static void
simfe_closed(struct simfe *sf)
{
	simfe_mb_closing(sf);
	simfe_carrier(sf, false);
	simfe_ring_disconnect(sf);
	simfe_set_state(sf, XenbusStateClosed);
	sf->sf_phase = SIMFE_PH_CLOSED;
	simfe_step(sf);
}

/* Connected (netback_changed): the backend's answer, our misbehaviour. */
static void
simfe_step_connected(struct simfe *sf, int be)
{
	if (be == XenbusStateConnected) {
		if (sf->sf_fe_state == XenbusStateInitialised)
			simfe_set_state(sf, XenbusStateConnected);
		simfe_carrier(sf, true);
		if (sf->sf_ever_connected)
			return;
		sf->sf_ever_connected = true;
		if (sf->sf_mb == SIMFE_MB_REINIT ||
		    sf->sf_mb == SIMFE_MB_SAME_REFS ||
		    sf->sf_mb == SIMFE_MB_OVERRUN_REINIT ||
		    sf->sf_mb == SIMFE_MB_INITIALISED_EARLY) {
			/* A driver reload: straight to Initialising. */
			if (sf->sf_mb == SIMFE_MB_OVERRUN_REINIT)
				simfe_misbehave(sf);
			simfe_say(sf, "misbehave reinit: Initialising "
			    "again, to reconnect with fresh rings");
			simfe_carrier(sf, false);
			simfe_ring_disconnect(sf);
			simfe_enter_init(sf, false);
		} else if (sf->sf_mb == SIMFE_MB_RECONNECT) {
			simfe_say(sf, "misbehave reconnect: closing "
			    "to reconnect with fresh rings");
			simfe_set_state(sf, XenbusStateClosing);
			sf->sf_phase = SIMFE_PH_RC_CLOSING;
			simfe_deadline(sf);
		} else if (sf->sf_mb == SIMFE_MB_OVERRUN_STORM) {
			/* Later (simfe_mb_storm): the backend's turn on its
			 * own Connected has passed by then. */
			ev_timer_arm(sf->sf_ev, &sf->sf_storm,
			    SIMFE_OVERRUN_STORM_MS);
		} else
			simfe_misbehave(sf);
	} else if (be == XenbusStateClosing &&
	    (sf->sf_mb == SIMFE_MB_CONNECT_FATAL ||
	    sf->sf_mb == SIMFE_MB_CONNECT_BAD_EXTRA)) {
		/* A rogue: it insists on Connected. */
		if (!sf->sf_insisted++)
			simfe_say(sf, "misbehave %s: backend Closing; "
			    "insisting on Connected",
			    simfe_mb_name(sf->sf_mb));
		ev_timer_arm(sf->sf_ev, &sf->sf_insist, 200);
	} else if (be == XenbusStateClosing ||
	    be == XenbusStateClosed || be == XenbusStateUnknown) {
		simfe_closed(sf);
	}
}

void
simfe_step(struct simfe *sf)
{
	int be;

	if (sf->sf_phase != SIMFE_PH_SHUT_CLOSED && simfe_unplugged(sf)) {
		simfe_say(sf, "frontend directory removed: unplugged");
		simfe_carrier(sf, false);
		simfe_ring_disconnect(sf);
		simfe_stop(sf, 0);
		return;
	}
	be = simfe_be_state(sf);
	if (be != sf->sf_be_state)
		simfe_say(sf, "backend state %s", simfe_state_name(be));
	sf->sf_be_state = be;

	switch (sf->sf_phase) {
	case SIMFE_PH_INIT:
		/* The probe's wait (simfe_enter_init), then Linux acts on
		 * InitWait, and on Closing or Closed, which close us. */
		if (!sf->sf_probed) {
			if (be == XenbusStateClosed || be == XenbusStateUnknown)
				break;
			sf->sf_probed = true;
		}
		if (sf->sf_init_closes && (be == XenbusStateClosing ||
		    be == XenbusStateClosed)) {
			ev_timer_cancel(sf->sf_ev, &sf->sf_deadline);
			simfe_say(sf, "backend %s while Initialising: closed",
			    simfe_state_name(be));
			simfe_closed(sf);
			break;
		}
		if (be != XenbusStateInitWait)
			break;
		ev_timer_cancel(sf->sf_ev, &sf->sf_deadline);
		if (simfe_connect(sf) < 0)
			simfe_stop(sf, 1);
		break;
	case SIMFE_PH_CONNECTED:
		simfe_step_connected(sf, be);
		break;
	case SIMFE_PH_CLOSED:
		/*
		 * The backend closed us.  Linux's netfront stays Closed
		 * (netback_changed acts on InitWait only while Initialising)
		 * until the toolstack detaches the vif.  --reload-when-closed:
		 * a guest that reloads its driver (a probe writes
		 * Initialising) once the backend is Closed with the
		 * toolstack still wanting the device, or offers InitWait.
		 */
		if (!sf->sf_reload) {
			if (!sf->sf_said_closed++)
				simfe_say(sf, "closed by the backend: staying "
				    "Closed until the vif is detached");
			break;
		}
		if (be == XenbusStateInitWait ||
		    (be == XenbusStateClosed && simfe_online(sf))) {
			simfe_enter_init(sf, true);
			if (be == XenbusStateInitWait)
				simfe_step(sf);
		}
		break;
	case SIMFE_PH_RC_CLOSING:
		if (be == XenbusStateClosing || be == XenbusStateClosed ||
		    be == XenbusStateUnknown) {
			simfe_carrier(sf, false);
			simfe_ring_disconnect(sf);
			simfe_set_state(sf, XenbusStateClosed);
			sf->sf_phase = SIMFE_PH_RC_CLOSED;
			simfe_deadline(sf);
			simfe_step(sf);
		}
		break;
	case SIMFE_PH_RC_CLOSED:
		if (be == XenbusStateClosed || be == XenbusStateInitWait ||
		    be == XenbusStateUnknown) {
			ev_timer_cancel(sf->sf_ev, &sf->sf_deadline);
			simfe_enter_init(sf, true);
			simfe_step(sf);
		}
		break;
	case SIMFE_PH_SHUT_CLOSING:
		if (be == XenbusStateClosing || be == XenbusStateClosed ||
		    be == XenbusStateUnknown) {
			simfe_ring_disconnect(sf);
			simfe_set_state(sf, XenbusStateClosed);
			sf->sf_phase = SIMFE_PH_SHUT_CLOSED;
			simfe_deadline(sf);
			simfe_step(sf);
		}
		break;
	case SIMFE_PH_SHUT_CLOSED:
		if (be == XenbusStateClosed || be == XenbusStateUnknown)
			simfe_stop(sf, 0);
		break;
	}
}

/* connect-*: write Connected again, every 200 ms, while we are up. */
void
simfe_on_insist(void *arg)
{
	struct simfe *sf = arg;

	if (sf->sf_phase != SIMFE_PH_CONNECTED)
		return;
	(void)simfe_xs_write(sf, XBT_NULL, "state", "%d",
	    XenbusStateConnected);
	sf->sf_insisted++;
	ev_timer_arm(sf->sf_ev, &sf->sf_insist, 200);
}

/* A bounded wait ran out. */
void
simfe_on_deadline(void *arg)
{
	struct simfe *sf = arg;

	switch (sf->sf_phase) {
	case SIMFE_PH_INIT:
		if (sf->sf_ever_connected && sf->sf_mb != SIMFE_MB_RECONNECT &&
		    sf->sf_mb != SIMFE_MB_STARVE_RECONNECT &&
		    sf->sf_mb != SIMFE_MB_REINIT &&
		    sf->sf_mb != SIMFE_MB_SAME_REFS &&
		    sf->sf_mb != SIMFE_MB_OVERRUN_REINIT)
			break;
		fprintf(stderr, "netfront d%u/%u: backend %s: no InitWait "
		    "after %u s (state %s)\n", sf->sf_domid, sf->sf_devid,
		    sf->sf_be, sf->sf_timeout,
		    simfe_state_name(sf->sf_be_state));
		simfe_stop(sf, 1);
		break;
	case SIMFE_PH_RC_CLOSING:
	case SIMFE_PH_SHUT_CLOSING:
		fprintf(stderr, "netfront d%u/%u: backend did not close in "
		    "%u s; closing anyway\n", sf->sf_domid, sf->sf_devid,
		    sf->sf_timeout);
		simfe_ring_disconnect(sf);
		simfe_set_state(sf, XenbusStateClosed);
		sf->sf_phase = sf->sf_phase == SIMFE_PH_RC_CLOSING ?
		    SIMFE_PH_RC_CLOSED : SIMFE_PH_SHUT_CLOSED;
		simfe_deadline(sf);
		break;
	case SIMFE_PH_RC_CLOSED:
		simfe_enter_init(sf, true);
		break;
	case SIMFE_PH_SHUT_CLOSED:
		fprintf(stderr, "netfront d%u/%u: backend not Closed after "
		    "%u s\n", sf->sf_domid, sf->sf_devid, sf->sf_timeout);
		simfe_stop(sf, 0);
		break;
	default:
		break;
	}
}

/* SIGTERM (xennet_remove -> xennet_bus_close). */
void
simfe_shutdown(struct simfe *sf)
{
	if (sf->sf_vanish) {
		simfe_say(sf, "vanishing");
		simfe_stop(sf, 0);
		return;
	}
	switch (sf->sf_phase) {
	case SIMFE_PH_SHUT_CLOSING:
	case SIMFE_PH_SHUT_CLOSED:
		simfe_stop(sf, 0);	/* asked twice */
		return;
	default:
		break;
	}
	simfe_carrier(sf, false);
	/* Never backwards: from Closed only the backend's Closed is awaited. */
	if (sf->sf_fe_state == XenbusStateClosed)
		sf->sf_phase = SIMFE_PH_SHUT_CLOSED;
	else {
		if (sf->sf_fe_state != XenbusStateClosing)
			simfe_set_state(sf, XenbusStateClosing);
		sf->sf_phase = SIMFE_PH_SHUT_CLOSING;
	}
	simfe_deadline(sf);
	simfe_step(sf);
}

/*
 * On SIGUSR2, a guest that posted no RX buffer starts to.  no-rx-slots:
 * on the same rings (as many as --rx-slots lets it: a stalled guest that
 * posts fewer than a held frame needs).  starve-reconnect: leave the
 * rings the backend starved on (Closing, Closed), come back with fresh
 * ones and post buffers this time.
 */
void
simfe_unstarve(struct simfe *sf)
{
	if (sf->sf_mb == SIMFE_MB_NO_RX_SLOTS &&
	    sf->sf_phase == SIMFE_PH_CONNECTED) {
		sf->sf_mb = SIMFE_MB_NONE;
		simfe_say(sf, "misbehave no-rx-slots: posting rx buffers "
		    "from now on");
		simfe_ring_refill(sf);
		return;
	}
	if (!sf->sf_starved || sf->sf_phase != SIMFE_PH_CONNECTED)
		return;
	sf->sf_starved = false;
	simfe_say(sf, "misbehave starve-reconnect: closing to reconnect "
	    "with rx buffers");
	simfe_set_state(sf, XenbusStateClosing);
	sf->sf_phase = SIMFE_PH_RC_CLOSING;
	simfe_deadline(sf);
}

/* The first step, once eth0 and the loop are up. */
void
simfe_start(struct simfe *sf)
{
	/* Linux probes a device in Initialising; libxl wrote that already. */
	simfe_enter_init(sf, true);
	simfe_step(sf);
}
