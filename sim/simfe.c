/*
 * simfe.c -- `xvif-sim netfront`: a process that is guest domain D's
 * netfront for vif N, as Linux xen-netfront is (talk_to_netback,
 * netback_changed, xennet_connect, xennet_remove), with a TAP `eth0` in
 * the guest's network namespace.  Owns the command line, the guest's
 * XenStore connection (the real libxenstore on DIR/xs-dom<D>.sock, so with
 * the guest's permissions), the xenbus state machine, eth0, the event
 * loop and the counters.  The rings, grants and misbehaviours are
 * simfe_ring.c's; the layout of the guest's memory is in simfe.h.
 *
 * Our side of the handshake (Linux never writes Initialised):
 *
 *   Initialising --(backend InitWait: rings, keys, state in one txn)-->
 *   Connected --(backend Closing/Closed)--> Closed --(backend Closed and
 *   online=1, or backend InitWait)--> Initialising --> ...
 *
 *   SIGTERM: Closing --(backend Closing/Closed)--> Closed --(backend
 *   Closed)--> exit; each wait bounded by --timeout.  --vanish: exit at
 *   once, XenStore untouched.  Our frontend directory removed (detach,
 *   destroy) or our domain gone: exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <xenstore.h>

#include "proto.h"
#include "sim.h"
#include "simfe.h"

#define SIMFE_TIMEOUT_DEFAULT	30	/* s: backend InitWait, closing */
#define SIMFE_TXN_TRIES		32	/* transaction retries on EAGAIN */
#define SIMFE_GC_MS		20	/* grant-end retry period */

static void simfe_step(struct simfe *);

static const char *
simfe_state_name(int st)
{
	static const char *const n[] = { "Unknown", "Initialising",
	    "InitWait", "Initialised", "Connected", "Closing", "Closed",
	    "Reconfiguring", "Reconfigured" };

	return st >= 0 && st <= 8 ? n[st] : "invalid";
}

static void
simfe_counters(const struct simfe *sf)
{
	const struct simfe_counters *c = &sf->sf_cnt;

	/*
	 * Tests grep these names in this order, and t_netfront_rogue.sh
	 * wants rx_foreign last: new ones go just before it.
	 */
	printf("netfront d%u/%u: tx_frames=%" PRIu64 " tx_bytes=%" PRIu64
	    " tx_errors=%" PRIu64 " rx_frames=%" PRIu64 " rx_bytes=%" PRIu64
	    " rx_errors=%" PRIu64 " tx_gso=%" PRIu64 " tx_csum_blank=%" PRIu64
	    " rx_gso=%" PRIu64 " rx_csum_blank=%" PRIu64 " rx_foreign=%"
	    PRIu64 "\n", sf->sf_domid, sf->sf_devid, c->c_tx_frames,
	    c->c_tx_bytes, c->c_tx_errors, c->c_rx_frames, c->c_rx_bytes,
	    c->c_rx_errors, c->c_tx_gso, c->c_tx_csum_blank, c->c_rx_gso,
	    c->c_rx_csum_blank, c->c_rx_foreign);
	fflush(stdout);
}

static void
simfe_say(const struct simfe *sf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
simfe_say(const struct simfe *sf, const char *fmt, ...)
{
	va_list ap;

	printf("netfront d%u/%u: ", sf->sf_domid, sf->sf_devid);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void
simfe_stop(struct simfe *sf, int status)
{
	sf->sf_exit = status;
	sf->sf_stopped = true;
	ev_stop(sf->sf_ev);
}

/* -- XenStore -- */

/* key below dir into buf; -errno. */
static int
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
static unsigned long
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

/*
 * The keys of talk_to_netback, and state, inside transaction t.  Linux
 * writes the offload keys as 1 always; --no-gso and --no-offload write
 * them 0, and --no-offload feature-no-csum-offload=1 (netif.h: the
 * backend must then send no NETRXF_csum_blank).
 */
static int
simfe_write_keys(struct simfe *sf, xs_transaction_t t)
{
	const struct {
		const char	*k;
		unsigned int	 v;
		bool		 on;
	} kv[] = {
		{ "tx-ring-ref", sf->sf_txref, true },
		{ "rx-ring-ref", sf->sf_rxref, true },
		{ "event-channel", sf->sf_port, true },
		{ "request-rx-copy", 1, true },
		{ "feature-rx-notify", 1, sf->sf_rx_notify },
		{ "feature-sg", 1, sf->sf_sg },
		{ "feature-gso-tcpv4", sf->sf_gso, true },
		{ "feature-gso-tcpv6", sf->sf_gso, true },
		{ "feature-ipv6-csum-offload", sf->sf_csum, true },
		{ "feature-no-csum-offload", 1, !sf->sf_csum },
		{ "state", XenbusStateConnected, true },
	};
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (kv[i].on &&
		    (rc = simfe_xs_write(sf, t, kv[i].k, "%u", kv[i].v)) < 0)
			return rc;
	return 0;
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
	unsigned int try;
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
	if ((rc = simfe_ring_connect(sf)) < 0) {
		fprintf(stderr, "netfront d%u/%u: setting up rings: %s\n",
		    sf->sf_domid, sf->sf_devid, strerror(-rc));
		return rc;
	}
	if (!sf->sf_ever_connected)
		simfe_mb_prefill(sf);
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
	sf->sf_fe_state = XenbusStateConnected;
	sf->sf_phase = SIMFE_PH_CONNECTED;
	simfe_say(sf, "state Connected: tx-ring-ref %u rx-ring-ref %u "
	    "event-channel %u", sf->sf_txref, sf->sf_rxref, sf->sf_port);
	if (sf->sf_port != HV_PORT_NONE)
		simfe_notify(sf);	/* the RX buffers already posted */
	return 0;
}

/* -- The state machine (netback_changed) -- */

static void
simfe_carrier(struct simfe *sf, bool on)
{
	if (sf->sf_hp != NULL)
		(void)hp_set_carrier(sf->sf_hp, on);
}

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

/* Connected (netback_changed): the backend's answer, our misbehaviour. */
static void
simfe_step_connected(struct simfe *sf, int be)
{
	if (be == XenbusStateConnected) {
		simfe_carrier(sf, true);
		if (sf->sf_ever_connected)
			return;
		sf->sf_ever_connected = true;
		if (sf->sf_mb == SIMFE_MB_REINIT) {
			/* A driver reload: straight to Initialising. */
			simfe_say(sf, "misbehave reinit: Initialising "
			    "again, to reconnect with fresh rings");
			simfe_carrier(sf, false);
			simfe_ring_disconnect(sf);
			simfe_set_state(sf, XenbusStateInitialising);
			sf->sf_phase = SIMFE_PH_INIT;
			simfe_deadline(sf);
		} else if (sf->sf_mb == SIMFE_MB_RECONNECT) {
			simfe_say(sf, "misbehave reconnect: closing "
			    "to reconnect with fresh rings");
			simfe_set_state(sf, XenbusStateClosing);
			sf->sf_phase = SIMFE_PH_RC_CLOSING;
			simfe_deadline(sf);
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
		/* xenbus_frontend_closed */
		simfe_mb_closing(sf);
		simfe_carrier(sf, false);
		simfe_ring_disconnect(sf);
		simfe_set_state(sf, XenbusStateClosed);
		sf->sf_phase = SIMFE_PH_CLOSED;
		simfe_step(sf);
	}
}

static void
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
		/* Linux acts on InitWait only while Initialising. */
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
		 * The backend closed us.  Come back when it does (Mini-OS):
		 * once it is Closed with the toolstack still wanting the
		 * device, or when it offers InitWait again.
		 */
		if (be == XenbusStateInitWait ||
		    (be == XenbusStateClosed && simfe_online(sf))) {
			simfe_set_state(sf, XenbusStateInitialising);
			sf->sf_phase = SIMFE_PH_INIT;
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
			simfe_set_state(sf, XenbusStateInitialising);
			sf->sf_phase = SIMFE_PH_INIT;
			simfe_deadline(sf);
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
static void
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

static void
simfe_on_storm(void *arg)
{
	simfe_mb_storm(arg);
}

/* A bounded wait ran out. */
static void
simfe_on_deadline(void *arg)
{
	struct simfe *sf = arg;

	switch (sf->sf_phase) {
	case SIMFE_PH_INIT:
		if (sf->sf_ever_connected && sf->sf_mb != SIMFE_MB_RECONNECT &&
		    sf->sf_mb != SIMFE_MB_STARVE_RECONNECT &&
		    sf->sf_mb != SIMFE_MB_REINIT)
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
		simfe_set_state(sf, XenbusStateInitialising);
		sf->sf_phase = SIMFE_PH_INIT;
		simfe_deadline(sf);
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
static void
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

/* -- Loop callbacks -- */

void
simfe_notify(struct simfe *sf)
{
	if (sf->sf_port != HV_PORT_NONE)
		(void)hvsim_evt_notify(sf->sf_hv, sf->sf_port);
}

/* Read eth0 or not: off while the TX ring has no room (netif_stop_queue). */
void
simfe_tap_flow(struct simfe *sf, bool on)
{
	if (sf->sf_tap_h == NULL || sf->sf_tap_reading == on)
		return;
	if (ev_fd_mod(sf->sf_ev, sf->sf_tap_h, on ? EPOLLIN : 0) == 0)
		sf->sf_tap_reading = on;
}

static void
simfe_on_tap(void *arg, uint32_t events)
{
	struct simfe *sf = arg;

	if (!sf->sf_up) {
		/* No backend: frames go nowhere, as on a cable unplugged. */
		while (hp_recv(sf->sf_hp, NULL, sf->sf_buf, sizeof(sf->sf_buf)) > 0)
			;
		return;
	}
	simfe_tap_input(sf);
}

static void
simfe_on_evt(void *arg, uint32_t events)
{
	struct simfe *sf = arg;
	uint32_t port;
	bool ours = false;

	while (hvsim_evt_pending(sf->sf_hv, &port) == 0) {
		(void)hvsim_evt_unmask(sf->sf_hv, port);
		if (port == sf->sf_port)
			ours = true;
	}
	if (ours)
		simfe_ring_kick(sf);
	if (sf->sf_ungc > 0)
		ev_timer_arm(sf->sf_ev, &sf->sf_gc, SIMFE_GC_MS);
}

static void
simfe_on_gc(void *arg)
{
	struct simfe *sf = arg;

	simfe_ring_gc(sf);
	if (sf->sf_ungc > 0)
		ev_timer_arm(sf->sf_ev, &sf->sf_gc, SIMFE_GC_MS);
}

static void
simfe_on_xs(void *arg, uint32_t events)
{
	struct simfe *sf = arg;
	char **w;
	bool any = false;

	while ((w = xs_check_watch(sf->sf_xsh)) != NULL) {
		free(w);
		any = true;
	}
	if (any)
		simfe_step(sf);
	if (sf->sf_ungc > 0)
		ev_timer_arm(sf->sf_ev, &sf->sf_gc, SIMFE_GC_MS);
}

/*
 * starve-reconnect, on SIGUSR2: leave the rings the backend starved on
 * (Closing, Closed), come back with fresh ones and post buffers this time.
 */
static void
simfe_unstarve(struct simfe *sf)
{
	if (!sf->sf_starved || sf->sf_phase != SIMFE_PH_CONNECTED)
		return;
	sf->sf_starved = false;
	simfe_say(sf, "misbehave starve-reconnect: closing to reconnect "
	    "with rx buffers");
	simfe_set_state(sf, XenbusStateClosing);
	sf->sf_phase = SIMFE_PH_RC_CLOSING;
	simfe_deadline(sf);
}

static void
simfe_on_sig(void *arg, uint32_t events)
{
	struct simfe *sf = arg;
	struct signalfd_siginfo si;

	while (read(sf->sf_sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			simfe_counters(sf);
		else if (si.ssi_signo == SIGUSR2)
			simfe_unstarve(sf);
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			simfe_shutdown(sf);
	}
}

/* Our domain destroyed under us: nothing of it may be touched any more. */
static void
simfe_on_alive(void *arg)
{
	struct simfe *sf = arg;

	if (hvsim_domain_exists(sf->sf_dir, sf->sf_domid) == 0) {
		simfe_say(sf, "domain %u is gone", sf->sf_domid);
		sf->sf_vanish = true;
		simfe_stop(sf, 0);
		return;
	}
	ev_timer_arm(sf->sf_ev, &sf->sf_alive, 1000);
}

/* -- Setup -- */

static int
simfe_enter_netns(const char *name)
{
	char path[256];
	int fd, rc = 0;

	if (strchr(name, '/') != NULL || name[0] == '\0' || name[0] == '.')
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Read what the toolstack gave us and make eth0 from it. */
static int
simfe_setup(struct simfe *sf)
{
	char buf[128], sock[512];
	unsigned long v;
	int rc;

	snprintf(sock, sizeof(sock), "%s/" SIM_XS_DOM_SOCKET, sf->sf_dir,
	    sf->sf_domid);
	if (setenv("XENSTORED_PATH", sock, 1) < 0)
		return -errno;
	errno = 0;
	if ((sf->sf_xsh = xs_open(XS_OPEN_SOCKETONLY)) == NULL) {
		rc = errno != 0 ? -errno : -EIO;
		fprintf(stderr, "netfront d%u/%u: xenstore %s: %s\n",
		    sf->sf_domid, sf->sf_devid, sock, strerror(-rc));
		return rc;
	}
	snprintf(sf->sf_fe, sizeof(sf->sf_fe), "/local/domain/%u/device/vif/%u",
	    sf->sf_domid, sf->sf_devid);
	if ((rc = simfe_xs_read(sf, sf->sf_fe, "backend", sf->sf_be,
	    sizeof(sf->sf_be))) < 0 ||
	    (rc = simfe_xs_read(sf, sf->sf_fe, "backend-id", buf,
	    sizeof(buf))) < 0 ||
	    (rc = proto_parse_uint(buf, DOMID_FIRST_RESERVED - 1, &v)) < 0) {
		fprintf(stderr, "netfront d%u/%u: %s: no usable backend and "
		    "backend-id: %s (is the vif attached?)\n", sf->sf_domid,
		    sf->sf_devid, sf->sf_fe, strerror(-rc));
		return rc;
	}
	sf->sf_beid = (domid_t)v;
	if ((rc = simfe_xs_read(sf, sf->sf_fe, "mac", buf, sizeof(buf))) < 0 ||
	    (rc = proto_mac_parse(buf, sf->sf_mac)) < 0) {
		fprintf(stderr, "netfront d%u/%u: %s/mac: %s\n", sf->sf_domid,
		    sf->sf_devid, sf->sf_fe, strerror(-rc));
		return rc;
	}
	sf->sf_mtu = (unsigned int)simfe_xs_uint(sf, sf->sf_fe, "mtu", 65535,
	    1500);
	if (sf->sf_mtu < 68)
		sf->sf_mtu = 1500;
	sf->sf_fe_state = (int)simfe_xs_uint(sf, sf->sf_fe, "state", 8, 0);

	if ((rc = hvsim_open(sf->sf_dir, sf->sf_domid, &sf->sf_hv)) < 0) {
		fprintf(stderr, "netfront d%u/%u: hypervisor at %s: %s\n",
		    sf->sf_domid, sf->sf_devid, sf->sf_dir, strerror(-rc));
		return rc;
	}
	sf->sf_base = sf->sf_devid * SIMFE_PART;
	if (hvsim_npages(sf->sf_hv) < sf->sf_base + SIMFE_PART ||
	    hvsim_nr_grants(sf->sf_hv) < sf->sf_base + SIMFE_PART) {
		fprintf(stderr, "netfront d%u/%u: the domain has %u pages and "
		    "%u grant refs; vif %u needs %u of each (%u per vif)\n",
		    sf->sf_domid, sf->sf_devid, hvsim_npages(sf->sf_hv),
		    hvsim_nr_grants(sf->sf_hv), sf->sf_devid,
		    sf->sf_base + SIMFE_PART, SIMFE_PART);
		return -ENOSPC;
	}

	if ((rc = hp_open(&hp_tap_ops, "eth0", &sf->sf_hp)) < 0 ||
	    (rc = hp_set_carrier(sf->sf_hp, false)) < 0 ||
	    (rc = hp_set_mac(sf->sf_hp, sf->sf_mac)) < 0 ||
	    (rc = hp_set_mtu(sf->sf_hp, sf->sf_mtu)) < 0 ||
	    (rc = hp_set_up(sf->sf_hp, true)) < 0) {
		fprintf(stderr, "netfront d%u/%u: eth0 in netns %s: %s\n",
		    sf->sf_domid, sf->sf_devid, sf->sf_netns, strerror(-rc));
		return rc;
	}
	return 0;
}

static int
simfe_loop_add(struct simfe *sf)
{
	sigset_t ss;
	int rc, fd;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	if ((sf->sf_sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return -errno;
	if ((rc = ev_open(&sf->sf_ev)) < 0)
		return rc;
	ev_timer_init(&sf->sf_deadline, simfe_on_deadline, sf);
	ev_timer_init(&sf->sf_gc, simfe_on_gc, sf);
	ev_timer_init(&sf->sf_alive, simfe_on_alive, sf);
	ev_timer_init(&sf->sf_insist, simfe_on_insist, sf);
	ev_timer_init(&sf->sf_storm, simfe_on_storm, sf);
	if ((rc = ev_fd_add(sf->sf_ev, sf->sf_sigfd, EPOLLIN, simfe_on_sig,
	    sf, &sf->sf_sig_h)) < 0)
		return rc;
	if ((fd = hvsim_evt_fd(sf->sf_hv)) < 0)
		return fd;
	if ((rc = ev_fd_add(sf->sf_ev, fd, EPOLLIN, simfe_on_evt, sf,
	    &sf->sf_evt_h)) < 0)
		return rc;
	if ((rc = ev_fd_add(sf->sf_ev, hp_fd(sf->sf_hp), EPOLLIN, simfe_on_tap,
	    sf, &sf->sf_tap_h)) < 0)
		return rc;
	sf->sf_tap_reading = true;
	errno = 0;
	if (!xs_watch(sf->sf_xsh, sf->sf_fe, "fe")) {
		rc = errno != 0 ? -errno : -EIO;
		return rc;
	}
	{
		char path[160];

		snprintf(path, sizeof(path), "%s/state", sf->sf_be);
		errno = 0;
		if (!xs_watch(sf->sf_xsh, path, "be"))
			return errno != 0 ? -errno : -EIO;
	}
	if ((fd = xs_fileno(sf->sf_xsh)) < 0)
		return -EIO;
	if ((rc = ev_fd_add(sf->sf_ev, fd, EPOLLIN, simfe_on_xs, sf,
	    &sf->sf_xs_h)) < 0)
		return rc;
	ev_timer_arm(sf->sf_ev, &sf->sf_alive, 1000);
	return 0;
}

static void
simfe_free(struct simfe *sf)
{
	/* A vanished guest leaves its grants and ports as they are. */
	if (!sf->sf_vanish && sf->sf_hv != NULL) {
		simfe_ring_disconnect(sf);
		if (sf->sf_ungc > 0)
			simfe_ring_gc(sf);
	}
	if (sf->sf_ev != NULL)
		ev_close(sf->sf_ev);
	sf->sf_tap_h = NULL;
	if (sf->sf_xsh != NULL)
		xs_close(sf->sf_xsh);
	hvsim_close(sf->sf_hv);
	hp_close(sf->sf_hp, true);	/* eth0 goes with us */
	if (sf->sf_sigfd >= 0)
		close(sf->sf_sigfd);
	free(sf);
}

static void
simfe_usage(void)
{
	fprintf(stderr, "usage: xvif-sim netfront --dir DIR DOMID DEVID "
	    "--netns NAME [--no-sg] [--no-rx-notify]\n"
	    "\t[--no-offload | --no-gso] [--misbehave MODE] [--vanish] "
	    "[--timeout SECS]\n"
	    "--no-offload: no checksum offload or GSO either way "
	    "(feature-no-csum-offload)\n"
	    "--no-gso: checksum offload, but no GSO either way\n"
	    "MODE: slots19 slots20 slots21 page-overrun ungranted revoked "
	    "prod-overrun reconnect no-rx-slots starve-reconnect\n"
	    "      connect-fatal connect-bad-extra event-storm reinit "
	    "ungranted-second\n      rx-prod-overrun rx-ungranted csum-not-ip gso-not-tcp\n");
}

int
simcmd_netfront(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "no-sg", no_argument, NULL, 'S' },
		{ "no-rx-notify", no_argument, NULL, 'R' },
		{ "no-offload", no_argument, NULL, 'O' },
		{ "no-gso", no_argument, NULL, 'G' },
		{ "misbehave", required_argument, NULL, 'm' },
		{ "vanish", no_argument, NULL, 'V' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct simfe *sf;
	unsigned long v;
	sigset_t ss;
	int c, rc;

	if ((sf = calloc(1, sizeof(*sf))) == NULL) {
		fprintf(stderr, "xvif-sim netfront: out of memory\n");
		return 1;
	}
	sf->sf_sigfd = -1;
	sf->sf_port = HV_PORT_NONE;
	sf->sf_sg = sf->sf_rx_notify = true;
	sf->sf_csum = sf->sf_gso = true;
	sf->sf_timeout = SIMFE_TIMEOUT_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': sf->sf_dir = optarg; break;
		case 'n': sf->sf_netns = optarg; break;
		case 'S': sf->sf_sg = false; break;
		case 'R': sf->sf_rx_notify = false; break;
		case 'O': sf->sf_csum = sf->sf_gso = false; break;
		case 'G': sf->sf_gso = false; break;
		case 'V': sf->sf_vanish = true; break;
		case 'm':
			if (simfe_mb_parse(optarg, &sf->sf_mb) < 0) {
				fprintf(stderr, "xvif-sim netfront: unknown "
				    "misbehaviour '%s'\n", optarg);
				simfe_usage();
				free(sf);
				return 2;
			}
			sf->sf_starved = sf->sf_mb == SIMFE_MB_STARVE_RECONNECT;
			break;
		case 't':
			if (proto_parse_uint(optarg, 3600, &v) < 0 || v == 0) {
				fprintf(stderr, "xvif-sim netfront: bad "
				    "--timeout '%s'\n", optarg);
				free(sf);
				return 2;
			}
			sf->sf_timeout = (unsigned int)v;
			break;
		case 'h':
			simfe_usage();
			free(sf);
			return 0;
		default:
			simfe_usage();
			free(sf);
			return 2;
		}
	}
	if (sf->sf_dir == NULL || sf->sf_netns == NULL ||
	    argc - optind != 2) {
		simfe_usage();
		free(sf);
		return 2;
	}
	if (proto_parse_uint(argv[optind], DOMID_FIRST_RESERVED - 1, &v) < 0 ||
	    v == 0) {
		fprintf(stderr, "xvif-sim netfront: bad DOMID '%s'\n",
		    argv[optind]);
		free(sf);
		return 2;
	}
	sf->sf_domid = (domid_t)v;
	if (proto_parse_uint(argv[optind + 1], 65535, &v) < 0) {
		fprintf(stderr, "xvif-sim netfront: bad DEVID '%s'\n",
		    argv[optind + 1]);
		free(sf);
		return 2;
	}
	sf->sf_devid = (unsigned int)v;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Before libxenstore starts a thread: the mask and netns are ours. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	sigaddset(&ss, SIGPIPE);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	if ((rc = simfe_enter_netns(sf->sf_netns)) < 0) {
		fprintf(stderr, "xvif-sim netfront: netns %s: %s (create it "
		    "first with ip netns add)\n", sf->sf_netns, strerror(-rc));
		free(sf);
		return 1;
	}
	if ((rc = simfe_setup(sf)) < 0 || (rc = simfe_loop_add(sf)) < 0) {
		if (sf->sf_ev != NULL)
			fprintf(stderr, "netfront d%u/%u: event loop: %s\n",
			    sf->sf_domid, sf->sf_devid, strerror(-rc));
		simfe_free(sf);
		return 1;
	}
	simfe_say(sf, "eth0 %02x:%02x:%02x:%02x:%02x:%02x mtu %u in netns %s, "
	    "backend %s (domain %u)", sf->sf_mac[0], sf->sf_mac[1],
	    sf->sf_mac[2], sf->sf_mac[3], sf->sf_mac[4], sf->sf_mac[5],
	    sf->sf_mtu, sf->sf_netns, sf->sf_be, sf->sf_beid);
	/* Linux probes a device in Initialising; libxl wrote that already. */
	if (sf->sf_fe_state != XenbusStateInitialising)
		simfe_set_state(sf, XenbusStateInitialising);
	sf->sf_phase = SIMFE_PH_INIT;
	simfe_deadline(sf);
	simfe_step(sf);
	if (!sf->sf_stopped && (rc = ev_run(sf->sf_ev)) < 0) {
		fprintf(stderr, "netfront d%u/%u: event loop: %s\n",
		    sf->sf_domid, sf->sf_devid, strerror(-rc));
		sf->sf_exit = 1;
	}
	rc = sf->sf_exit;
	simfe_counters(sf);
	simfe_free(sf);
	return rc;
}
