/*
 * xbus_state.c -- a vif's backend state written: the walk to a target
 * through every state on the way, and what follows a write XenStore
 * refused.
 */
#include <errno.h>
#include <stdio.h>

#include "xvif.h"
#include "log.h"

/* The first wait after a state write failed; doubled to a minute. */
#define XBUS_STATE_RETRY_MS	1000
#define XBUS_STATE_RETRY_MAX_MS	60000

static void
xbus_state_retry(void *arg)
{
	xbus_reconcile(arg);
}

/*
 * XenStore refused the state write (rc): said, and the vif looked at
 * again later -- what it should be may have changed meanwhile -- rather
 * than left in its old state until some key of it changes, which may be
 * never (libxl waits for our state with a timeout, then gives up on the
 * device).  Not for a directory removed (ENOENT): the vif goes.
 */
static void
xbus_state_failed(struct xvif *vif, int next, int rc)
{
	unsigned int ms = vif->vif_state_retry_ms;

	if (rc == -ENOENT) {
		log_warnc(-rc, "%s: write state %s", vif->vif_tag,
		    xbus_state_name(next));
		return;
	}
	ms = ms == 0 ? XBUS_STATE_RETRY_MS : ms * 2;
	if (ms > XBUS_STATE_RETRY_MAX_MS)
		ms = XBUS_STATE_RETRY_MAX_MS;
	vif->vif_state_retry_ms = ms;
	log_warnc(-rc, "%s: write state %s (tried again in %u s)",
	    vif->vif_tag, xbus_state_name(next), ms / 1000);
	ev_timer_arm(vif->vif_d->xd_ev, &vif->vif_state_retry_t, ms);
}

/* The write, or the test build's refusal of it. */
static int
xbus_state_write(struct xvif *vif, const char *val)
{
#ifdef XVIFD_FAULTS
	int rc;

	if ((rc = xbus_fault_state_eio(vif)) < 0)
		return rc;
#endif
	return xbus_write_be(vif, "state", val);
}

/* The vif's retry timer (its vif_free cancels it). */
void
xbus_state_init(struct xvif *vif)
{
	ev_timer_init(&vif->vif_state_retry_t, xbus_state_retry, vif);
}

/*
 * Walk to target by the shortest legal path (xbus_fsm.h), writing every
 * state on the way, as Linux's set_backend_state() does: a frontend
 * watching us never sees a jump the protocol does not have.  The side
 * effects (connect, disconnect) are the callers'.
 */
void
xbus_set_state(struct xvif *vif, int target)
{
	char val[4], after[32];
	int next, rc;
	uint64_t now;

	while (vif->vif_state != target) {
		next = xbus_fsm_next(vif->vif_state, target);
		if (next == vif->vif_state)
			break;
		snprintf(val, sizeof(val), "%d", next);
		if ((rc = xbus_state_write(vif, val)) < 0) {
			xbus_state_failed(vif, next, rc);
			return;
		}
		vif->vif_state_retry_ms = 0;
		/* How long the state before lasted, if we wrote it: where a
		 * slow attach waited (a script, the frontend). */
		now = ev_now_us();
		after[0] = '\0';
		if (vif->vif_state_us != 0)
			snprintf(after, sizeof(after), ", after %llu ms",
			    (unsigned long long)(now - vif->vif_state_us) /
			    1000u);
		log_debug("%s: backend %s -> %s%s", vif->vif_tag,
		    xbus_state_name(vif->vif_state), xbus_state_name(next),
		    after);
		vif->vif_state = next;
		vif->vif_state_us = now;
	}
}
