/*
 * simfe.c -- `xvif-sim netfront`: a process that is guest domain D's
 * netfront for vif N, as Linux xen-netfront is, with a TAP `eth0` in the
 * guest's network namespace.  Owns the command line, the setup (the
 * guest's XenStore connection: the real libxenstore on
 * DIR/xs-dom<D>.sock, so with the guest's permissions; the hypervisor;
 * eth0 and its queue fds) and the teardown, the event loop and its
 * callbacks, and the counters.  The XenStore keys and the xenbus state
 * machine are simfe_xs.c's, the rings and grants simfe_ring.c's, the
 * partitions simfe_part.c's, the misbehaviours simfe_mb.c's; the layout
 * of the guest's memory is in simfe.h.
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
#define SIMFE_GC_MS		20	/* grant-end retry period */

static void
simfe_counters(const struct simfe *sf)
{
	const struct simfe_counters *c = &sf->sf_cnt;
	const struct simfe_queue *q;
	unsigned int k;

	/*
	 * Per queue first, and only with --queues: the totals line stays
	 * the last one, and its names are in no other line.
	 */
	for (k = 0; sf->sf_queues > 1 && k < sf->sf_nparts; k++) {
		q = &sf->sf_q[k];
		printf("netfront d%u/%u: queue %u frames: tx=%" PRIu64
		    " rx=%" PRIu64 "\n", sf->sf_domid, sf->sf_devid, k,
		    q->sq_tx_frames, q->sq_rx_frames);
	}
	if (sf->sf_storm_sent > 0)
		printf("netfront d%u/%u: storm: %" PRIu64 " notifications "
		    "sent\n", sf->sf_domid, sf->sf_devid, sf->sf_storm_sent);
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

void
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

/*
 * What a Linux netfront takes as a broken backend (xennet_tx_buf_gc,
 * xennet_poll: it marks itself broken and carries nothing more until a
 * reconnect), said on stderr with one marker whatever it was, which the
 * shell tests look for in every file of theirs (tests/sh/lib.sh): the
 * simulated netfront goes on, so a test that does not look would pass
 * where a Linux guest loses its network.  The marker is put together as
 * it is printed: written whole here, or in the program, the tests would
 * find it in a copy of the sources or of the binaries (t_package's).
 */
void
simfe_violation(const struct simfe_queue *q, const char *fmt, ...)
{
	const struct simfe *sf = q->sq_sf;
	va_list ap;

	fprintf(stderr, "netfront d%u/%u: queue %u: the backend broke %s: ",
	    sf->sf_domid, sf->sf_devid, q->sq_id, "the protocol");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
simfe_stop(struct simfe *sf, int status)
{
	sf->sf_exit = status;
	sf->sf_stopped = true;
	ev_stop(sf->sf_ev);
}

void
simfe_queues_init(struct simfe *sf)
{
	unsigned int k;

	for (k = 0; k < SIMFE_QUEUES_MAX; k++) {
		sf->sf_q[k].sq_sf = sf;
		sf->sf_q[k].sq_id = k;
		sf->sf_q[k].sq_port = sf->sf_q[k].sq_port_rx = HV_PORT_NONE;
	}
}

/* -- Loop callbacks -- */

/* Kick the backend on q's channel for its RX ring (rx) or its TX ring. */
void
simfe_notify(struct simfe_queue *q, bool rx)
{
	uint32_t port = rx && q->sq_port_rx != HV_PORT_NONE ? q->sq_port_rx :
	    q->sq_port;

	if (port != HV_PORT_NONE)
		(void)hvsim_evt_notify(q->sq_sf->sf_hv, port);
}

/*
 * Read q's eth0 fd or not: off while its TX ring has no room
 * (netif_tx_stop_queue).
 */
void
simfe_tap_flow(struct simfe_queue *q, bool on)
{
	if (q->sq_tap_h == NULL || q->sq_tap_reading == on)
		return;
	if (ev_fd_mod(q->sq_sf->sf_ev, q->sq_tap_h, on ? EPOLLIN : 0) == 0)
		q->sq_tap_reading = on;
}

static void
simfe_on_tap(void *arg, uint32_t events)
{
	struct simfe_queue *q = arg;
	struct simfe *sf = q->sq_sf;

	if (!sf->sf_up || q->sq_id >= sf->sf_nq) {
		/* No backend: frames go nowhere, as on a cable unplugged. */
		while (hp_recv(q->sq_hp, NULL, sf->sf_buf,
		    sizeof(sf->sf_buf)) > 0)
			;
		return;
	}
	simfe_tap_input(q);
}

/*
 * Our channels fired: each queue's rings behind them, TX before RX as
 * xennet_interrupt does.
 */
static void
simfe_on_evt(void *arg, uint32_t events)
{
	struct simfe *sf = arg;
	bool tx[SIMFE_QUEUES_MAX] = { false }, rx[SIMFE_QUEUES_MAX] = { false };
	struct simfe_queue *q;
	uint32_t ports[2 * SIMFE_QUEUES_MAX], port;
	unsigned int k;
	int i, n;

	/* One look a readiness: what is left keeps the fd readable. */
	n = hvsim_evt_pending_n(sf->sf_hv, ports, 2 * SIMFE_QUEUES_MAX);
	for (i = 0; i < n; i++) {
		port = ports[i];
		(void)hvsim_evt_unmask(sf->sf_hv, port);
		for (k = 0; k < sf->sf_nq; k++) {
			q = &sf->sf_q[k];
			if (port == q->sq_port) {
				tx[k] = true;
				rx[k] |= q->sq_port_rx == HV_PORT_NONE;
			} else if (port == q->sq_port_rx)
				rx[k] = true;
		}
	}
	for (k = 0; k < sf->sf_nq; k++)
		if (tx[k] || rx[k])
			simfe_ring_kick(&sf->sf_q[k], tx[k], rx[k]);
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

static void
simfe_on_storm(void *arg)
{
	simfe_mb_storm(arg);
}

static void
simfe_on_slow(void *arg)
{
	simfe_ring_refill(arg);
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
	struct hp **hp;
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
	if ((rc = simfe_part_claim(sf)) < 0)
		return rc;

	/* A multi-queue TAP (hp_tap.c); the other queues' fds on connect. */
	hp = &sf->sf_q[0].sq_hp;
	if ((rc = hp_open(&hp_tap_ops, "eth0", hp)) < 0 ||
	    (rc = hp_set_carrier(*hp, false)) < 0 ||
	    (rc = hp_set_mac(*hp, sf->sf_mac)) < 0 ||
	    (rc = hp_set_mtu(*hp, sf->sf_mtu)) < 0 ||
	    (rc = hp_set_up(*hp, true)) < 0) {
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
	ev_timer_init(&sf->sf_slow, simfe_on_slow, sf);
	if ((rc = ev_fd_add(sf->sf_ev, sf->sf_sigfd, EPOLLIN, simfe_on_sig,
	    sf, &sf->sf_sig_h)) < 0)
		return rc;
	if ((fd = hvsim_evt_fd(sf->sf_hv)) < 0)
		return fd;
	if ((rc = ev_fd_add(sf->sf_ev, fd, EPOLLIN, simfe_on_evt, sf,
	    &sf->sf_evt_h)) < 0)
		return rc;
	if ((rc = ev_fd_add(sf->sf_ev, hp_fd(sf->sf_q[0].sq_hp), EPOLLIN,
	    simfe_on_tap, &sf->sf_q[0], &sf->sf_q[0].sq_tap_h)) < 0)
		return rc;
	sf->sf_q[0].sq_tap_reading = true;
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

/*
 * eth0 gets a fd for each of queues 0 .. n - 1 and none for the others,
 * so that the kernel spreads flows over the queues in use only.  Returns
 * how many queues have one (fewer than n if the TAP refuses more).
 */
int
simfe_tap_queues(struct simfe *sf, unsigned int n)
{
	struct simfe_queue *q;
	unsigned int k;
	int rc;

	for (k = 1; k < SIMFE_QUEUES_MAX; k++) {
		q = &sf->sf_q[k];
		if (k >= n && q->sq_hp != NULL) {
			ev_fd_del(sf->sf_ev, q->sq_tap_h);
			q->sq_tap_h = NULL;
			hp_close(q->sq_hp, false);
			q->sq_hp = NULL;
		}
		if (k >= n || q->sq_hp != NULL)
			continue;
		if ((rc = hp_open_queue(sf->sf_q[0].sq_hp, &q->sq_hp)) < 0 ||
		    (rc = ev_fd_add(sf->sf_ev, hp_fd(q->sq_hp), EPOLLIN,
		    simfe_on_tap, q, &q->sq_tap_h)) < 0) {
			simfe_say(sf, "eth0 queue %u: %s: %u queue(s) only", k,
			    strerror(-rc), k);
			hp_close(q->sq_hp, false);	/* NULL is fine */
			q->sq_hp = NULL;
			n = k;
			continue;	/* and close those above */
		}
		q->sq_tap_reading = true;
	}
	return (int)(n < 1 ? 1 : n);
}

static void
simfe_free(struct simfe *sf)
{
	unsigned int k;

	/* A vanished guest leaves its grants and ports as they are. */
	if (!sf->sf_vanish && sf->sf_hv != NULL) {
		simfe_ring_disconnect(sf);
		if (sf->sf_ungc > 0)
			simfe_ring_gc(sf);
	}
	if (sf->sf_ev != NULL)
		ev_close(sf->sf_ev);
	if (sf->sf_xsh != NULL)
		xs_close(sf->sf_xsh);
	hvsim_close(sf->sf_hv);
	for (k = SIMFE_QUEUES_MAX; k-- > 0;)
		hp_close(sf->sf_q[k].sq_hp, k == 0);	/* eth0 goes with us */
	if (sf->sf_sigfd >= 0)
		close(sf->sf_sigfd);
	if (sf->sf_partfd >= 0)
		close(sf->sf_partfd);	/* our partitions are free again */
	free(sf);
}

static void
simfe_usage(void)
{
	fprintf(stderr, "usage: xvif-sim netfront --dir DIR DOMID DEVID "
	    "--netns NAME [--no-sg] [--no-rx-notify]\n"
	    "\t[--no-offload | --no-gso] [--queues N] [--shared-evtchn] "
	    "[--misbehave MODE]\n\t[--vanish] [--timeout SECS] "
	    "[--ring-index N] [--rx-kick] [--rx-slots N]\n"
	    "\t[--reload-when-closed]\n"
	    "--no-offload: no checksum offload or GSO either way "
	    "(feature-no-csum-offload)\n"
	    "--no-gso: checksum offload, but no GSO either way\n"
	    "--queues N: up to N queues (1..%u, default 1), as many as the "
	    "backend's\n\tmulti-queue-max-queues allows\n"
	    "--shared-evtchn: one event channel per queue, not a TX and an "
	    "RX one where the\n\tbackend has feature-split-event-channels "
	    "(as Linux netfront uses them)\n"
	    "--ring-index N: the rings' indices start at N (a multiple of "
	    "256), where a\n\tlong-lived frontend's are\n"
	    "--rx-kick: notify the backend of every RX refill, asked "
	    "(req_event) or not\n"
	    "--rx-slots N: a guest slower than its host: at most N RX slots "
	    "posted (1..256),\n\tand posted at most once a millisecond\n"
	    "--reload-when-closed: a guest that reloads its netfront driver "
	    "whenever the\n\tbackend closes it (a Linux netfront stays "
	    "Closed until the vif is detached)\n"
	    "MODE: slots19 slots20 slots21 page-overrun ungranted revoked "
	    "prod-overrun reconnect no-rx-slots starve-reconnect\n"
	    "      connect-fatal connect-bad-extra event-storm reinit "
	    "ungranted-second\n      rx-prod-overrun rx-ungranted "
	    "csum-not-ip gso-not-tcp queue-prod-overrun\n"
	    "      queues-over-max queue-ring-ungranted overrun-reinit\n"
	    "      initialised-early rx-post-storm same-refs overrun-storm\n",
	    SIMFE_QUEUES_MAX);
}

/*
 * The command line into sf: -1 if we are to run, else the exit status
 * (usage asked for, or refused).
 */
static int
simfe_args(struct simfe *sf, int argc, char **argv)
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
		{ "queues", required_argument, NULL, 'q' },
		{ "split-evtchn", no_argument, NULL, 'E' },	/* the default */
		{ "shared-evtchn", no_argument, NULL, 'e' },
		{ "ring-index", required_argument, NULL, 'i' },
		{ "rx-kick", no_argument, NULL, 'K' },
		{ "rx-slots", required_argument, NULL, 'r' },
		{ "reload-when-closed", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long v;
	int c;

	/* As Linux netfront: split event channels where the backend has
	 * them (--shared-evtchn: as NetBSD's, FreeBSD's, Mini-OS's). */
	sf->sf_split = true;
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
		case 'E': sf->sf_split = true; break;
		case 'e': sf->sf_split = false; break;
		case 'K': sf->sf_rx_kick = true; break;
		case 'L': sf->sf_reload = true; break;
		case 'q':
			if (proto_parse_uint(optarg, SIMFE_QUEUES_MAX, &v) < 0 ||
			    v == 0) {
				fprintf(stderr, "xvif-sim netfront: bad "
				    "--queues '%s' (1..%u)\n", optarg,
				    SIMFE_QUEUES_MAX);
				return 2;
			}
			sf->sf_queues = (unsigned int)v;
			break;
		case 'i':
			if (proto_parse_uint(optarg, UINT32_MAX, &v) < 0 ||
			    v % 256 != 0) {
				fprintf(stderr, "xvif-sim netfront: bad "
				    "--ring-index '%s' (a multiple of 256 "
				    "below 2^32)\n", optarg);
				return 2;
			}
			sf->sf_ring_index = (RING_IDX)v;
			break;
		case 'm':
			if (simfe_mb_parse(optarg, &sf->sf_mb) < 0) {
				fprintf(stderr, "xvif-sim netfront: unknown "
				    "misbehaviour '%s'\n", optarg);
				simfe_usage();
				return 2;
			}
			sf->sf_starved = sf->sf_mb == SIMFE_MB_STARVE_RECONNECT;
			break;
		case 'r':
			if (proto_parse_uint(optarg, XVIF_RX_RING_SIZE, &v) < 0 ||
			    v == 0) {
				fprintf(stderr, "xvif-sim netfront: bad "
				    "--rx-slots '%s' (1..%u)\n", optarg,
				    (unsigned int)XVIF_RX_RING_SIZE);
				return 2;
			}
			sf->sf_rx_slots = (unsigned int)v;
			break;
		case 't':
			if (proto_parse_uint(optarg, 3600, &v) < 0 || v == 0) {
				fprintf(stderr, "xvif-sim netfront: bad "
				    "--timeout '%s'\n", optarg);
				return 2;
			}
			sf->sf_timeout = (unsigned int)v;
			break;
		case 'h':
			simfe_usage();
			return 0;
		default:
			simfe_usage();
			return 2;
		}
	}
	if (sf->sf_dir == NULL || sf->sf_netns == NULL ||
	    argc - optind != 2) {
		simfe_usage();
		return 2;
	}
	if (proto_parse_uint(argv[optind], DOMID_FIRST_RESERVED - 1, &v) < 0 ||
	    v == 0) {
		fprintf(stderr, "xvif-sim netfront: bad DOMID '%s'\n",
		    argv[optind]);
		return 2;
	}
	sf->sf_domid = (domid_t)v;
	if (proto_parse_uint(argv[optind + 1], 65535, &v) < 0) {
		fprintf(stderr, "xvif-sim netfront: bad DEVID '%s'\n",
		    argv[optind + 1]);
		return 2;
	}
	sf->sf_devid = (unsigned int)v;
	return -1;
}

int
simcmd_netfront(int argc, char **argv)
{
	struct simfe *sf;
	sigset_t ss;
	int rc;

	if ((sf = calloc(1, sizeof(*sf))) == NULL) {
		fprintf(stderr, "xvif-sim netfront: out of memory\n");
		return 1;
	}
	sf->sf_sigfd = sf->sf_partfd = -1;
	simfe_queues_init(sf);
	sf->sf_queues = 1;
	if ((rc = simfe_args(sf, argc, argv)) >= 0) {
		free(sf);
		return rc;
	}
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
	simfe_start(sf);
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
