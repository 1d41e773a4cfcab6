/*
 * xbus_fsm.c -- the xenbus state machine as pure functions (xbus_fsm.h).
 * Owns no state; unit tested over every (backend, frontend) pair in
 * tests/unit/t_xbus_fsm.c.
 */
#include <string.h>

#include "xbus_fsm.h"

static const char *const xbus_states[] = {
	"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured",
};

const char *
xbus_state_name(int state)
{
	if (state < 0 || state >= (int)(sizeof(xbus_states) /
	    sizeof(xbus_states[0])))
		return "invalid";
	return xbus_states[state];
}

/* Linux's set_backend_state(), one edge at a time. */
int
xbus_fsm_next(int cur, int target)
{
	if (cur == target)
		return cur;
	switch (cur) {
	case XenbusStateInitialising:
		switch (target) {
		case XenbusStateInitWait:
		case XenbusStateConnected:
		case XenbusStateClosing:
			return XenbusStateInitWait;
		case XenbusStateClosed:
			return XenbusStateClosed;
		}
		break;
	case XenbusStateInitWait:
		switch (target) {
		case XenbusStateConnected:
			return XenbusStateConnected;
		case XenbusStateClosing:
		case XenbusStateClosed:
			return XenbusStateClosing;
		}
		break;
	case XenbusStateConnected:
		switch (target) {
		case XenbusStateInitWait:
		case XenbusStateClosing:
		case XenbusStateClosed:
			return XenbusStateClosing;
		}
		break;
	case XenbusStateClosing:
		switch (target) {
		case XenbusStateInitWait:
		case XenbusStateConnected:
		case XenbusStateClosed:
			return XenbusStateClosed;
		}
		break;
	case XenbusStateClosed:
		switch (target) {
		case XenbusStateInitWait:
		case XenbusStateConnected:
			return XenbusStateInitWait;
		case XenbusStateClosing:
			return XenbusStateClosing;
		}
		break;
	}
	return cur;	/* not a state we walk to, or from */
}

/*
 * Linux's frontend_changed(), by the frontend's state:
 *
 *   Initialising   reset: the backend (re)enters InitWait, through
 *                  Closing and Closed if it was connected
 *   Initialised,   connect, unless the vif failed: then stay Closing
 *   Connected      until the frontend resets (Linux acts on Connected
 *                  only; Initialised with its keys written is as good,
 *                  as FreeBSD's and Mirage's backends take it, and
 *                  before they are, InitWait: wait for them)
 *   Closing        disconnect, Closing (from Closed too)
 *   Closed         disconnect, Closed; a reset as well
 *   Unknown        the frontend is gone: as Closed
 *   others         nothing (InitWait is not a frontend state; we offer
 *                  no XDP, so Reconfiguring never concerns us)
 *
 * online=0 is the toolstack's removal: a frontend that is up is asked to
 * close, and the vif goes once the frontend is Closed, Unknown or never
 * started (Initialising).
 */
void
xbus_fsm_decide(const struct xbus_fsm_in *in, struct xbus_fsm_step *st)
{
	memset(st, 0, sizeof(*st));
	st->fs_target = in->fi_be;
	switch (in->fi_fe) {
	case XenbusStateInitialising:
		st->fs_clear_fail = true;
		st->fs_disconnect = true;
		if (in->fi_online)
			st->fs_target = XenbusStateInitWait;
		else {
			st->fs_target = XenbusStateClosed;
			st->fs_destroy = true;
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (in->fi_fe == XenbusStateInitialised && in->fi_no_keys &&
		    in->fi_online && !in->fi_failed) {
			st->fs_target = XenbusStateInitWait;
			break;
		}
		if (!in->fi_online || in->fi_failed) {
			st->fs_disconnect = true;
			st->fs_target = XenbusStateClosing;
		} else {
			st->fs_target = XenbusStateConnected;
			st->fs_connect = true;
		}
		break;
	case XenbusStateClosing:
		st->fs_disconnect = true;
		st->fs_target = XenbusStateClosing;
		break;
	case XenbusStateInitWait:
	case XenbusStateReconfiguring:
	case XenbusStateReconfigured:
		if (!in->fi_online || in->fi_failed) {
			st->fs_disconnect = true;
			st->fs_target = XenbusStateClosing;
		}
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
	default:
		st->fs_clear_fail = true;
		st->fs_disconnect = true;
		st->fs_target = XenbusStateClosed;
		st->fs_destroy = !in->fi_online;
		break;
	}
}
