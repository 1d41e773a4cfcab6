/*
 * xbus_fail.c -- a vif's failures, on the control plane's turn.  A
 * worker that meets a broken ring or a lost interface stops its queue
 * and records why (vif_queue_fail); here, woken through xd_fail_efd, the
 * control plane applies it: the error node for the toolstack, the data
 * path down, Closing -- or, for an interface deleted under a connected
 * guest and nothing else, the interface made again and the same rings
 * connected again, which the guest never notices.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "xvif.h"
#include "log.h"
#include "proto.h"

/*
 * A lost interface made again, under its name (xbus_tap: the toolstack's
 * mtu, the queues offered).  False if it could not be, and the vif is
 * refused (xbus_refuse said why).
 */
static bool
xbus_tap_remake(struct xvif *vif)
{
	vif_close_tap(vif, true);	/* a dead fd: let go */
	return xbus_tap(vif) == 0;
}

/*
 * Connect the queues as the frontend wrote them, with the toolstack's
 * rules (reattach: vif_connect's).  A connect that finds the interface
 * lost (a queue attached by name) makes it again and tries once more.
 */
int
xbus_connect_queues(struct xvif *vif, bool reattach)
{
	struct vif_fe fe;
	int tries;

	for (tries = 0;; tries++) {
		vif->vif_fail_why[0] = '\0';	/* this connect's, if refused */
		if (xbus_read_fe(vif, &fe) < 0 ||
		    xbus_read_antispoof(vif) < 0)
			break;
		if (vif_connect(vif, &fe, reattach) == 0)
			return 0;
		if (tries > 0 || !vif->vif_tap_lost || !xbus_tap_remake(vif))
			break;
	}
	vif->vif_cnt[VIF_CONNECT_REFUSALS]++;
	return -1;
}

/* Is the frontend still connected, and the toolstack still wants it? */
static bool
xbus_fe_still_connected(struct xvif *vif)
{
	char buf[16];

	if (xbus_offline(vif))
		return false;
	return xbus_read(vif, vif->vif_fe_path, "state", buf,
	    sizeof(buf)) == 1 && (buf[0] == '3' || buf[0] == '4');
}

/*
 * The interface of a connected vif was lost (deleted under us: `ip link
 * del`) and nothing else failed: make it again at once and connect the
 * same rings again, as a restart does (the response journal), rather
 * than fail the vif for the host's doing -- a Linux netfront that sees
 * its backend Closing stays Closed until the vif is detached.  Only
 * while the frontend is still connected (one that reset gets its
 * interface from the reset: xbus_reconcile), and at most once every
 * XVIF_LOG_INTERVAL: an interface lost again at once (something on the
 * host deleting it in a loop) fails the vif.  True if the vif goes on,
 * or was refused (no interface could be made).
 */
static bool
xbus_tap_mend(struct xvif *vif)
{
	uint64_t now = ev_now_ms();
	char why[sizeof(vif->vif_fail_why)];

	if (!xbus_fe_still_connected(vif)) {
		log_warnx("%s: fatal error, disabling vif: %s (the frontend "
		    "is not connected any more: its reset makes the interface "
		    "again)", vif->vif_tag, vif->vif_fail_why);
		return false;
	}
	if (vif->vif_tap_remade_ms != 0 &&
	    now - vif->vif_tap_remade_ms < XVIF_LOG_INTERVAL * 1000ULL) {
		log_warnx("%s: fatal error, disabling vif: %s (lost again "
		    "less than %d s after it was made again)", vif->vif_tag,
		    vif->vif_fail_why, XVIF_LOG_INTERVAL);
		return false;
	}
	vif->vif_tap_remade_ms = now;
	memcpy(why, vif->vif_fail_why, sizeof(why));
	if (!xbus_tap_remake(vif))
		return true;
	if (xbus_connect_queues(vif, true) < 0) {
		log_warnx("%s: fatal error, disabling vif: %s; made again, "
		    "it could not be connected: %s", vif->vif_tag, why,
		    vif->vif_fail_why);
		return false;
	}
	vif->vif_cnt[VIF_TAP_REMAKES]++;
	log_warnx("%s: interface %s lost under the guest, made again; no "
	    "hotplug script runs for it: bridge or address it again",
	    vif->vif_tag, vif->vif_name);
	return true;
}

/* A failed vif's error node, and its TAP let go of if that is what died. */
void
xbus_failed_said(struct xvif *vif)
{
	if (vif->vif_fail_why[0] != '\0')
		(void)xbus_write_be(vif, "error", vif->vif_fail_why);
	if (vif->vif_tap_lost)
		vif_close_tap(vif, true);	/* a dead fd: let go */
}

/*
 * The control plane's side of a failure, now that it is its turn: the
 * error node for the toolstack, the data path down, Closing.  The vif
 * stays failed (xbus_fsm_decide) until the frontend resets.
 */
void
xbus_fail(struct xvif *vif)
{
	bool connected = vif->vif_connected;

	vif->vif_failed = true;
	/* Why, if a queue failed (vif_disconnect takes it); no failure is
	 * left pending after this, none can come. */
	if (vif_disconnect(vif) && connected && vif->vif_tap_only &&
	    xbus_tap_mend(vif)) {
		if (!vif->vif_refused)
			vif->vif_failed = false;  /* the same rings go on */
		return;
	}
	xbus_failed_said(vif);
	xbus_set_state(vif, XenbusStateClosing);
}

bool
xbus_fail_pending(struct xvif *vif)
{
	return __atomic_load_n(&vif->vif_fail_pending, __ATOMIC_ACQUIRE);
}

static void
xbus_apply_now(void *arg)
{
	struct xvifd *xd = arg;
	struct xvif *vif;

	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		if (xbus_fail_pending(vif) && !vif->vif_refused)
			xbus_fail(vif);
}

#ifdef XVIFD_FAULTS
/*
 * Fault point of the test build (xvifd-faults; the product has none):
 * XVIFD_TEST_FAIL_DELAY_MS=N applies the workers' failures N ms after
 * they are recorded instead of on the next turn, so that a test can put
 * a frontend's state change in between.  A value it cannot read stops
 * the daemon: a test that meant to arm it must not run unarmed.
 */
static struct ev_timer	xbus_late_t;
static unsigned long	xbus_late_ms;

static void
xbus_faults_init(struct xvifd *xd)
{
	const char *e = getenv("XVIFD_TEST_FAIL_DELAY_MS");

	ev_timer_init(&xbus_late_t, xbus_apply_now, xd);
	if (e == NULL)
		return;
	if (proto_parse_uint(e, 60000, &xbus_late_ms) < 0 || xbus_late_ms == 0)
		fatalx("XVIFD_TEST_FAIL_DELAY_MS=%s: want 1 to 60000", e);
	log_info("test build: failures applied %lu ms late", xbus_late_ms);
}

static bool
xbus_apply_later(struct xvifd *xd)
{
	if (xbus_late_ms == 0)
		return false;
	ev_timer_arm(xd->xd_ev, &xbus_late_t, (unsigned int)xbus_late_ms);
	return true;
}
#endif

/* The failures the workers recorded since the last turn (xd_fail_efd). */
static void
xbus_apply_failures(void *arg, uint32_t events)
{
	struct xvifd *xd = arg;
	uint64_t n;

	(void)!read(xd->xd_fail_efd, &n, sizeof(n));
#ifdef XVIFD_FAULTS
	if (xbus_apply_later(xd))
		return;
#endif
	xbus_apply_now(xd);
}

/* The failures' eventfd on the control plane's loop. */
int
xbus_fail_start(struct xvifd *xd)
{
#ifdef XVIFD_FAULTS
	xbus_faults_init(xd);
#endif
	if ((xd->xd_fail_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	return ev_fd_add(xd->xd_ev, xd->xd_fail_efd, EPOLLIN,
	    xbus_apply_failures, xd, &xd->xd_fail_h);
}
