/*
 * xbus_fsm.h -- the xenbus state machine of one vif, as pure functions:
 * what the backend does when it sees the frontend in a given state
 * (xbus_fsm_decide), and the path it walks from one backend state to
 * another (xbus_fsm_next).  No I/O: xbus.c reads XenStore, asks, and
 * carries the answer out.  Modelled on Linux xen-netback's
 * frontend_changed() and set_backend_state() (drivers/net/xen-netback/
 * xenbus.c), with two additions Linux lacks: a vif whose data path failed
 * stays failed until the frontend resets, and a removed vif (online=0)
 * is destroyed as soon as the frontend is out of the way.
 */
#ifndef XVIF_XBUS_FSM_H
#define XVIF_XBUS_FSM_H

#include <stdbool.h>

#include "xen_ring.h"

/* What the control plane sees of a vif. */
struct xbus_fsm_in {
	int	fi_be;		/* XenbusState we last wrote */
	int	fi_fe;		/* the frontend's; Unknown if gone or garbage */
	bool	fi_online;	/* the toolstack's online key is not "0" */
	bool	fi_failed;	/* the data path failed; not yet reset */
	bool	fi_no_keys;	/* Initialised, its keys not all written */
};

/* What to do about it, in this order. */
struct xbus_fsm_step {
	bool	fs_clear_fail;	/* the frontend reset: forget the failure */
	bool	fs_disconnect;	/* take the data path down */
	int	fs_target;	/* backend state to walk to (xbus_fsm_next) */
	bool	fs_connect;	/* map the rings, then go Connected */
	bool	fs_destroy;	/* the vif goes (TAP deleted, vif freed) */
};

void	xbus_fsm_decide(const struct xbus_fsm_in *, struct xbus_fsm_step *);
/*
 * The next backend state on the shortest legal path from cur to target;
 * cur itself once there (or when target cannot be reached).  The caller
 * writes every state on the way, so a frontend never sees a jump:
 *
 *   Initialising --> InitWait --> Connected
 *                      ^   \          |
 *                      |    \         |
 *                      |     v        v
 *                    Closed <-----> Closing
 *
 * Initialising reaches Closed directly (a vif that never got going).
 */
int	xbus_fsm_next(int cur, int target);
const char *xbus_state_name(int state);

#endif
