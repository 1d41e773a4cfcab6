/*
 * xbus.c -- the control plane: makes a vif of each backend directory
 * xbus_scan.c finds, creates its interface, advertises features, follows
 * the frontend's state, and runs each vif's xenbus state machine.  With
 * xbus_scan.c (which vifs there are), xbus_keys.c (the keys themselves),
 * xbus_state.c (our state written) and xbus_fail.c (the data path's
 * failures) it owns every XenStore access of the daemon; it moves no
 * frames.
 *
 * Watch events are coalesced: an event only says "look again", and the
 * handler re-reads the keys it needs (XSA-349), so a frontend writing its
 * state in a loop costs a few reads, never a growing queue.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <unistd.h>

#include "xvif.h"

/* Opens of a new vif's TAP that met a rename under them (xbus_vif_new). */
#define XBUS_OPEN_TRIES	3

/*
 * Refuse this vif for good (until the toolstack removes it): no TAP, an
 * error node, state Closed.  The daemon goes on serving the others.
 */
static void
xbus_refuse(struct xvif *vif, const char *why)
{
	vif_disconnect(vif);
	/* One made here goes; one a predecessor made, which a hotplug script
	 * may have bridged, stays for the next restart (its record too). */
	vif_close_tap(vif, vif->vif_hp != NULL && !vif->vif_hp->hp_reattached);
	(void)xbus_write_be(vif, "error", why);
	xbus_set_state(vif, XenbusStateClosed);
	vif->vif_refused = true;
	/* What xvifctl shows with "failed". */
	snprintf(vif->vif_fail_why, sizeof(vif->vif_fail_why), "%s", why);
}

static int
xbus_advertise_txn(struct xvif *vif, uint32_t txn, void *arg)
{
	static const struct { const char *k, *v; } features[] = {
		{ "feature-rx-copy", "1" },
		{ "feature-rx-flip", "0" },
		{ "feature-sg", "1" },
		{ "feature-ipv6-csum-offload", "1" },
		{ "feature-gso-tcpv4", "1" },
		{ "feature-gso-tcpv6", "1" },
		{ "feature-split-event-channels", "1" },
	};
	struct hv *hv = vif->vif_d->xd_hv;
	char path[XVIF_PATH_MAX + 32], nq[16];
	unsigned int i;
	int rc;

	/* Removed since we looked (xl create rolling back): leave it so. */
	if ((rc = xbus_be_there(vif, txn)) < 0)
		return rc;
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", vif->vif_be,
		    features[i].k);
		if ((rc = hv_xs_write(hv, txn, path, features[i].v)) < 0)
			return rc;
	}
	snprintf(path, sizeof(path), "%s/multi-queue-max-queues", vif->vif_be);
	snprintf(nq, sizeof(nq), "%u", vif->vif_queues_max);
	if ((rc = hv_xs_write(hv, txn, path, nq)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/vifname", vif->vif_be);
	return hv_xs_write(hv, txn, path, vif->vif_name);
}

/* Features, vifname: one transaction, before InitWait (DESIGN.md 4). */
static int
xbus_advertise(struct xvif *vif)
{
	int rc;

	if ((rc = xbus_txn(vif, xbus_advertise_txn, NULL)) == 0)
		vif->vif_advertised = true;
	return rc;
}

/*
 * The name the TAP is created under.  Where the toolstack runs a hotplug
 * script, that script renames the interface from libxl's name for it,
 * vif<D>.<H>, to the vifname key we write (Xen 4.17's vif-common.sh fails
 * when an interface of the vifname already exists), so it starts under
 * that name, as the kernel netback's does.  Without a script it gets its
 * final name at once.  A vif found Connected (a restart) was renamed
 * already.  The TAP is tracked by its fd and ifindex, so renames are safe.
 */
static const char *
xbus_first_name(struct xvif *vif, char *buf, size_t len, int *ifindex)
{
	unsigned long st;
	const char *renamed;
	char s[16];

	/* A restart (a predecessor served the vif: InitWait or on) that
	 * finds the vif's interface under another name than the final one
	 * (the script's rename to come, or one by hand): that one, by its
	 * record, which gives the ifindex the open must find. */
	*ifindex = 0;
	if (len >= IF_NAMESIZE && xbus_read_uint(vif, vif->vif_be, "state",
	    XenbusStateClosed, &st) == 0 && st >= XenbusStateInitWait &&
	    (renamed = vif_ifrecord_renamed(vif, buf, ifindex)) != NULL)
		return renamed;
	/*
	 * An interface of the final name is the one a predecessor made and
	 * the script renamed (and bridged): a restart in InitWait must take
	 * it over, not make a second, unbridged vif<D>.<H>.  Persistent
	 * TAPs re-attach by name; anything else of that name refuses to.
	 */
	if (xbus_read(vif, vif->vif_be, "script", s, sizeof(s)) == -ENOENT ||
	    (*ifindex = (int)hp_link_index(vif->vif_name)) != 0)
		return vif->vif_name;
	/* One the script has not renamed (yet, or at all): that one. */
	snprintf(buf, len, "vif%u.%u", vif->vif_domid, vif->vif_handle);
	if ((*ifindex = (int)hp_link_index(buf)) != 0)
		return buf;
	/*
	 * A restart past InitWait whose interface went meanwhile: the script
	 * ran (libxl runs it once, at InitWait; it wrote hotplug-status, or
	 * we went on without it) and will not run again to rename a new one.
	 */
	if (xbus_read(vif, vif->vif_be, "hotplug-status", s, sizeof(s)) > 0 ||
	    (xbus_read(vif, vif->vif_be, "state", s, sizeof(s)) > 0 &&
	    proto_parse_uint(s, 8, &st) == 0 && st >= XenbusStateConnected))
		return vif->vif_name;
	return buf;
}

/*
 * Watch the frontend's state (or stop).  A watch XenStore refuses (a
 * frontend path it takes for no path, its watch quota) is said: the vif
 * then only moves when its backend directory changes.
 */
static void
xbus_fe_watch(struct xvif *vif, bool on)
{
	struct hv *hv = vif->vif_d->xd_hv;
	char path[XVIF_PATH_MAX + 8];
	int rc;

	if (on == vif->vif_fe_watched)
		return;
	snprintf(path, sizeof(path), "%s/state", vif->vif_fe_path);
	if (on && (rc = hv_xs_watch(hv, path, vif->vif_fe_token)) == 0)
		vif->vif_fe_watched = true;
	else if (on)
		log_warnc(-rc, "%s: watch %s (the frontend's changes are not "
		    "seen)", vif->vif_tag, path);
	else {
		(void)hv_xs_unwatch(hv, path, vif->vif_fe_token);
		vif->vif_fe_watched = false;
	}
}

/*
 * Is vif's backend directory another one, removed and made again under
 * the same domid and handle between two looks of ours (a detach, then an
 * attach of the same devid, while we were busy)?  The toolstack's new
 * directory has none of our features: one we wrote them to that lacks
 * feature-rx-copy now is not the vif we hold, whose state, MAC, name and
 * frontend are the old directory's.
 */
bool
xbus_vif_renewed(struct xvif *vif)
{
	char buf[8];

	/* A dead domain's vif: xbus_reborn's, when a new domain has the id. */
	if (vif->vif_dead)
		return false;
	if (vif->vif_advertised)
		return xbus_read(vif, vif->vif_be, "feature-rx-copy", buf,
		    sizeof(buf)) == -ENOENT;
	/*
	 * One refused before it wrote any (a name in use, no valid MAC):
	 * the toolstack's new directory has neither the error node nor the
	 * Closed we wrote.  Without this, an attach done again after a
	 * detach while we were busy was never served.
	 */
	return vif->vif_refused && xbus_read(vif, vif->vif_be, "error", buf,
	    sizeof(buf)) == -ENOENT && xbus_read(vif, vif->vif_be, "state",
	    buf, sizeof(buf)) > 0 && strcmp(buf, "6") != 0;
}

void
xbus_vif_destroy(struct xvif *vif, const char *why)
{
	log_info("%s: %s", vif->vif_tag, why);
	xbus_fe_watch(vif, false);
	vif_free(vif, true);
}

/*
 * The toolstack's mtu key (libxl writes it when not 1500), if any, within
 * what a ring can carry: XVIF_MTU_MAX, and 1500 once a frontend without
 * feature-sg connects (vif_connect).
 */
static void
xbus_apply_mtu(struct xvif *vif)
{
	unsigned long mtu;
	int rc;

	if ((rc = xbus_read_uint(vif, vif->vif_be, "mtu", 1000000, &mtu)) < 0) {
		if (rc != -ENOENT)	/* absent: the interface's 1500 */
			log_warnx("%s: mtu: can't read %s/mtu: %s; left as "
			    "it is", vif->vif_tag, vif->vif_be,
			    rc == -ERANGE ? "more than 1000000" :
			    rc == -EINVAL ? "not a number" : strerror(-rc));
		return;
	}
	if (mtu > XVIF_MTU_MAX) {
		log_warnx("%s: mtu %lu is more than a ring carries; %u",
		    vif->vif_tag, mtu, XVIF_MTU_MAX);
		mtu = XVIF_MTU_MAX;
	}
	if (mtu < 68 || (rc = hp_set_mtu(vif->vif_hp, (unsigned int)mtu)) < 0) {
		log_warnx("%s: mtu %lu not applied", vif->vif_tag, mtu);
		return;
	}
	vif->vif_mtu = (unsigned int)mtu;
}

/*
 * A vif whose TAP was lost gets a new one at once if it was connected
 * (xbus_tap_remake), else when its frontend resets, under the final name
 * (no hotplug script runs for either), with the toolstack's mtu again:
 * a new TAP has 1500.
 */
int
xbus_tap(struct xvif *vif)
{
	unsigned int offered = vif->vif_queues_max;
	char val[12];

	if (vif->vif_hp != NULL)
		return 0;
	vif->vif_tap_lost = false;
	if (vif_open_tap(vif, vif->vif_name, 0) < 0) {
		xbus_refuse(vif, "cannot create the interface");
		return -1;
	}
	vif->vif_mtu = 1500;
	xbus_apply_mtu(vif);
	/*
	 * The queues offered stay what XenStore says: a predecessor's offer
	 * taken over at a restart (xbus_reattach) above our --max-queues,
	 * which the new TAP was opened for, refused every reset's request.
	 */
	if (offered > vif->vif_queues_max &&
	    offered <= vif->vif_hp->hp_queues_max)
		vif->vif_queues_max = offered;
	/* A TAP that takes fewer (one made single-queue meanwhile, by hand):
	 * the offer follows it, or the reset asking the old one is refused. */
	if (vif->vif_queues_max != offered) {
		snprintf(val, sizeof(val), "%u", vif->vif_queues_max);
		(void)xbus_write_be(vif, "multi-queue-max-queues", val);
	}
	log_info("%s: interface %s made again", vif->vif_tag, vif->vif_name);
	return 0;
}

/*
 * The toolstack's rate key, for guest TX (vif_rate.h): read before a
 * connect, and again when it changes while connected (our watch sees it,
 * as Linux netback's xen_net_rate_changed), when every queue gets it.
 */
static void
xbus_rate(struct xvif *vif, bool changed)
{
	struct vif_rate r;
	char s[80];
	bool same;

	if (changed)
		vif->vif_rate_said = 0;	/* written while it runs: said anew */
	xbus_read_rate(vif, &r);
	same = vif_rate_equal(&r, &vif->vif_rate);
	if (changed && same)
		return;
	vif->vif_rate = r;
	/*
	 * At a connect, said if new (a guest reconnecting in a loop must
	 * not repeat it each time): vif_rate only ever became a limit
	 * here, and said so; the first connect's limit is new against the
	 * zeroed, unlimited vif_rate.
	 */
	if (changed || (vif_rate_limited(&r) && !same)) {
		vif_rate_format(&r, s, sizeof(s));
		log_info("%s: guest TX rate: %s", vif->vif_tag, s);
	}
	if (changed)
		vif_set_rate(vif);
}

/*
 * key (a path below the vif's backend directory) is the rate, ip or
 * antispoof key: a connected vif takes its new value now.  false for
 * other keys, and for ip and antispoof of a vif not connected, which
 * go through the state machine as before (a connect reads them).
 */
bool
xbus_policy_key(struct xvif *vif, const char *key)
{
	bool live = vif->vif_connected && !vif->vif_refused;

	if (strcmp(key, "/rate") == 0) {
		if (live)
			xbus_rate(vif, true);
		return true;
	}
	if (strcmp(key, "/ip") != 0 && strcmp(key, "/antispoof") != 0)
		return false;
	if (live)
		xbus_antispoof_changed(vif);
	return live;
}

/*
 * Connect, or keep waiting for the hotplug script; idempotent.  The
 * first connect of a vif in this process may find rings a predecessor
 * served (a restart in InitWait, Closing...): it re-attaches, so that
 * the response journal replays what that one wrote and did not push.
 */
static void
xbus_connect(struct xvif *vif)
{
	char buf[32];
	uint64_t t0;

	if (!vif->vif_connected) {
		t0 = ev_now_us();
		xbus_rate(vif, false);
		if (xbus_connect_queues(vif, vif->vif_connects == 0) < 0) {
			if (!vif->vif_refused)
				xbus_fail(vif);
			return;
		}
		log_debug("%s: queues connected in %llu us", vif->vif_tag,
		    (unsigned long long)(ev_now_us() - t0));
		if (xbus_fail_pending(vif)) {	/* its first requests */
			xbus_fail(vif);
			/* Connected again, on an interface made again? */
			if (!vif->vif_connected)
				return;
		}
	}
	if (vif->vif_d->xd_hotplug_wait &&
	    xbus_read(vif, vif->vif_be, "script", buf, sizeof(buf)) != -ENOENT &&
	    (xbus_read(vif, vif->vif_be, "hotplug-status", buf,
	    sizeof(buf)) < 0 || strcmp(buf, "connected") != 0))
		return;		/* its change fires our backend watch */
	xbus_set_state(vif, XenbusStateConnected);
}

/* Look again at everything that decides this vif's state. */
void
xbus_reconcile(struct xvif *vif)
{
	struct xbus_fsm_in in;
	struct xbus_fsm_step st;
	unsigned long fe_state = XenbusStateUnknown;
	char buf[16];

	if (vif->vif_refused)
		return;
	/*
	 * A failure a worker recorded that xbus_apply_failures has not had
	 * its turn for yet belongs to the connection it happened on: apply
	 * it before anything else, so that the frontend reset that may be
	 * what woke us clears it -- rather than a later turn failing the
	 * vif's next, healthy connection with an old reason.
	 */
	if (xbus_fail_pending(vif)) {
		xbus_fail(vif);
		if (vif->vif_refused)
			return;		/* no interface could be made */
	}
	in.fi_online = !xbus_offline(vif);
	if (xbus_read(vif, vif->vif_fe_path, "state", buf, sizeof(buf)) < 0 ||
	    proto_parse_uint(buf, 8, &fe_state) < 0)
		fe_state = XenbusStateUnknown;	/* gone, or garbage */
	in.fi_fe = (int)fe_state;
	in.fi_be = vif->vif_state;
	in.fi_failed = vif->vif_failed;
	in.fi_no_keys = in.fi_fe == XenbusStateInitialised &&
	    !vif->vif_connected && !xbus_fe_keys_written(vif);
	xbus_fsm_decide(&in, &st);
	/* Quiet when nothing changes: a frontend rewriting its state in a
	 * loop must not grow the log, even at -vv. */
	if (st.fs_target != in.fi_be || st.fs_destroy ||
	    (st.fs_connect && !vif->vif_connected) ||
	    (st.fs_clear_fail && in.fi_failed))
		log_debug("%s: frontend %s, backend %s%s%s", vif->vif_tag,
		    xbus_state_name(in.fi_fe), xbus_state_name(in.fi_be),
		    in.fi_online ? "" : ", offline",
		    in.fi_failed ? ", failed" : "");
	if (st.fs_clear_fail && vif->vif_failed) {
		if (log_ratecheck(&vif->vif_reset_rate, XVIF_LOG_INTERVAL))
			log_info("%s: frontend %s: the failure is cleared",
			    vif->vif_tag, xbus_state_name(in.fi_fe));
		vif->vif_failed = false;
		/* A worker sets it atomically (vif_queue_fail). */
		__atomic_store_n(&vif->vif_fail_pending, false,
		    __ATOMIC_RELAXED);
	}
	/* A queue that failed while we let go of it: say why, as
	 * xbus_fail does; the frontend's reset clears it. */
	if (st.fs_disconnect && vif_disconnect(vif))
		xbus_failed_said(vif);
	if ((st.fs_target == XenbusStateInitWait || st.fs_connect) &&
	    xbus_tap(vif) < 0)
		return;
	if (st.fs_connect) {
		if (vif->vif_state != XenbusStateConnected)
			xbus_set_state(vif, XenbusStateInitWait);
		xbus_connect(vif);
	} else
		xbus_set_state(vif, st.fs_target);
	if (st.fs_destroy)
		xbus_vif_destroy(vif, "removed by the toolstack");
}

/* A restarted daemon finds the vif Connected: take it over in place. */
static bool
xbus_reattach(struct xvif *vif)
{
	unsigned long mq;
	char buf[16];

	if (xbus_read(vif, vif->vif_be, "state", buf, sizeof(buf)) < 0 ||
	    strcmp(buf, "4") != 0 ||
	    xbus_read(vif, vif->vif_fe_path, "state", buf, sizeof(buf)) < 0 ||
	    strcmp(buf, "4") != 0)
		return false;
	vif->vif_state = XenbusStateConnected;
	/* The predecessor's features: ours now, for xbus_vif_renewed. */
	vif->vif_advertised = xbus_read(vif, vif->vif_be, "feature-rx-copy",
	    buf, sizeof(buf)) >= 0;
	/* The frontend chose its queues from what our predecessor offered. */
	if (xbus_read_uint(vif, vif->vif_be, "multi-queue-max-queues",
	    XVIF_QUEUES_MAX, &mq) == 0 && mq > vif->vif_queues_max &&
	    mq <= vif->vif_hp->hp_queues_max)
		vif->vif_queues_max = (unsigned int)mq;
	xbus_rate(vif, false);
	if (xbus_connect_queues(vif, true) < 0) {
		if (!vif->vif_refused)
			xbus_fail(vif);
		return true;
	}
	/* The interface as it is named now (a script may not have). */
	if (vif->vif_hp->hp_reattached)
		log_info("%s: re-attached to %s", vif->vif_tag,
		    vif->vif_hp->hp_name);
	else
		log_warnx("%s: re-attached, to a new interface %s: its own "
		    "was gone (deleted while no xvifd ran); no hotplug script "
		    "runs for it: bridge or address it again", vif->vif_tag,
		    vif->vif_hp->hp_name);
	return true;
}

/*
 * A restarted daemon finds the vif online and Closing: failed (xbus_fail;
 * its error node says why) or closing with its frontend.  It stays so
 * until the frontend resets, as it would have with the predecessor,
 * rather than be offered InitWait again: a netfront still Connected
 * takes a backend's way back through Closed as the end (Linux's
 * netback_changed closes it for good), or would be connected to the
 * very rings it failed on.  A frontend that is closing clears the
 * failure as it closes (xbus_fsm_decide).
 */
static bool
xbus_resume_failed(struct xvif *vif)
{
	unsigned long st;
	int rc;

	if (xbus_read_uint(vif, vif->vif_be, "state", XenbusStateClosed,
	    &st) < 0 || st != XenbusStateClosing)
		return false;
	vif->vif_state = XenbusStateClosing;
	vif->vif_failed = true;
	log_info("%s: failed before this xvifd started (or closing): stays "
	    "Closing until its frontend resets", vif->vif_tag);
	/* What this xvifd offers (its --max-queues, the TAP's queues) is
	 * what the frontend's reset will read, not the predecessor's. */
	if ((rc = xbus_advertise(vif)) < 0)
		log_warnc(-rc, "%s: write features", vif->vif_tag);
	xbus_reconcile(vif);
	return true;
}

/*
 * Is name another vif's interface, by its final name or the one it has
 * now?  Opening it would attach this vif as one more queue of that live
 * TAP (IFF_MULTI_QUEUE): two guests on one interface, each seeing part
 * of the other's frames.
 */
static struct xvif *
xbus_name_owner(struct xvif *vif, const char *name)
{
	struct xvif *o;

	for (o = vif->vif_d->xd_vifs; o != NULL; o = o->vif_next)
		if (o != vif && !o->vif_refused &&
		    (strcmp(o->vif_name, name) == 0 || (o->vif_hp != NULL &&
		    strcmp(o->vif_hp->hp_name, name) == 0)))
			return o;
	return NULL;
}

/*
 * Is the interface the vif would open another vif's: one of ours, by its
 * final name or the one it has now (xbus_name_owner), or, at a restart,
 * one not made yet, by its record (vif_ifrecord_claimed)?  Why, in why.
 */
static bool
xbus_name_taken(struct xvif *vif, const char *name, char *why, size_t len)
{
	const char *taken = vif->vif_name;
	struct xvif *o;
	char owner[32];

	if ((o = xbus_name_owner(vif, taken)) == NULL)
		o = xbus_name_owner(vif, taken = name);
	if (o == NULL && !vif_ifrecord_claimed(vif, taken = name, owner,
	    sizeof(owner)))
		return false;
	snprintf(why, len, "interface %s is in use by %s", taken,
	    o != NULL ? o->vif_tag : owner);
	return true;
}

/*
 * Offline, is it a detach under way (libxl wrote online=0 and Closing,
 * and waits for Closed) that a predecessor had brought up?  Its backend
 * state (InitWait to Closing) if so, else 0.
 */
static int
xbus_detaching(struct xvif *vif)
{
	unsigned long st;

	return xbus_read_uint(vif, vif->vif_be, "state", XenbusStateClosed,
	    &st) == 0 && st >= XenbusStateInitWait &&
	    st <= XenbusStateClosing ? (int)st : 0;
}

/*
 * A detach under way as this xvifd started (a restart while libxl waited
 * for the backend to close): end it as the predecessor would have, the
 * interface it left (if any) going with the vif once the frontend has
 * closed -- rather than leave the toolstack to time out and the
 * persistent TAP behind for ever.
 */
static void
xbus_end_detach(struct xvif *vif, const char *name, int state)
{
	if (hp_link_index(name) != 0 && vif_open_tap(vif, name, 0) < 0)
		log_warnx("%s: interface %s: left as it is", vif->vif_tag,
		    name);
	vif->vif_state = state;
	log_info("%s: a detach under way: ending it", vif->vif_tag);
	xbus_fe_watch(vif, true);
	xbus_reconcile(vif);
}

/*
 * A new vif's interface: looked up, checked free, opened (made, or
 * found), its mtu set.  Looked up again, and checked again, a few times
 * if it was renamed (or went) before TUNSETIFF took its name: the hotplug
 * script at work.  0; -1 if the vif was refused, or its detach ended.
 */
static int
xbus_vif_open(struct xvif *vif, int detach, char *first, size_t len)
{
	char buf[XVIF_PATH_MAX];
	const char *name;
	int rc, ifindex, tries;
	/* Start, the last open's start and end, the mtu set: for the
	 * debug line that says which step a slow attach waited in. */
	uint64_t t[4] = { ev_now_us(), 0, 0, 0 };

	for (tries = 0;;) {
		first[0] = '\0';
		name = xbus_first_name(vif, first, len, &ifindex);
		if (xbus_name_taken(vif, name, buf, sizeof(buf))) {
			log_warnx("%s: %s", vif->vif_tag, buf);
			xbus_refuse(vif, buf);
			return -1;
		}
		if (detach != 0) {
			xbus_end_detach(vif, name, detach);
			return -1;
		}
#ifdef XVIFD_FAULTS
		if (tries == 0)
			xbus_fault_open(vif, name);
#endif
		t[1] = ev_now_us();
		if ((rc = vif_open_tap(vif, name, ifindex)) != -EAGAIN ||
		    ++tries == XBUS_OPEN_TRIES)
			break;
	}
	if (rc < 0) {
		xbus_refuse(vif, "cannot create the interface");
		return -1;
	}
	t[2] = ev_now_us();
	xbus_apply_mtu(vif);
	t[3] = ev_now_us();
	log_debug("%s: interface %s: looked up in %llu us, %s in %llu, mtu "
	    "set in %llu", vif->vif_tag, name,
	    (unsigned long long)(t[1] - t[0]),
	    vif->vif_hp->hp_reattached ? "found" : "made",
	    (unsigned long long)(t[2] - t[1]),
	    (unsigned long long)(t[3] - t[2]));
	return 0;
}

/* A new backend directory: make it a vif, or say why not. */
void
xbus_vif_new(struct xvifd *xd, domid_t domid, unsigned int handle)
{
	struct xvif *vif;
	char buf[XVIF_PATH_MAX], want[64], first[PROTO_IFNAMSIZ] = "";
	unsigned long id;
	int rc, detach = 0;
	/* When each step ended, for the debug line that says where a slow
	 * InitWait's time went (the toolstack waits for it). */
	uint64_t t[4];

	t[0] = ev_now_us();
	if ((vif = vif_alloc(xd, domid, handle)) == NULL) {
		log_warnx("xvif%ui%u: out of memory", domid, handle);
		return;
	}
	xbus_state_init(vif);
	vif->vif_seen = true;
	/* Not (yet) a whole vif: the toolstack writes in one transaction,
	 * so this is a half-removed one or someone else's; look later.
	 * Offline, there is nothing to serve, but maybe a detach to end. */
	if (xbus_offline(vif) && (detach = xbus_detaching(vif)) == 0) {
		vif_free(vif, false);
		return;
	}
	if (xbus_read(vif, vif->vif_be, "frontend", vif->vif_fe_path,
	    sizeof(vif->vif_fe_path)) < 0 ||
	    xbus_read_uint(vif, vif->vif_be, "frontend-id", 65535, &id) < 0) {
		vif_free(vif, false);
		return;
	}
	snprintf(vif->vif_fe_token, sizeof(vif->vif_fe_token), "%s%u:%u",
	    XBUS_TOKEN_FE, domid, handle);
	/* The name first: a vif refused for its frontend or its mac still
	 * says which interface it would have had (xvifctl show's
	 * vifname). */
	if (xbus_read_name(vif, buf, sizeof(buf)) < 0) {
		xbus_refuse(vif, buf);
		return;
	}
	snprintf(want, sizeof(want), "/local/domain/%u/", domid);
	if (id != domid || strncmp(vif->vif_fe_path, want, strlen(want)) != 0) {
		snprintf(buf, sizeof(buf), "frontend %.160s (domain %lu) is not "
		    "in domain %u", vif->vif_fe_path, id, domid);
		xbus_error(vif, "%s", buf);	/* the log */
		xbus_refuse(vif, buf);
		return;
	}
	if (xbus_read_mac(vif) < 0) {
		xbus_refuse(vif, "no valid mac address");
		return;
	}
	t[1] = ev_now_us();
	if (xbus_vif_open(vif, detach, first, sizeof(first)) < 0)
		return;
	t[2] = ev_now_us();
	xbus_fe_watch(vif, true);
	if (xbus_reattach(vif) || xbus_resume_failed(vif))
		return;
#ifdef XVIFD_FAULTS
	xbus_fault_advertise();
	if ((rc = xbus_fault_advertise_eio(vif)) == 0)
		rc = xbus_advertise(vif);
#else
	rc = xbus_advertise(vif);
#endif
	if (rc == -ENOENT) {
		xbus_vif_destroy(vif, "backend directory removed while it was "
		    "set up");
		return;
	}
	if (rc < 0) {
		log_warnc(-rc, "%s: write features", vif->vif_tag);
		xbus_refuse(vif, "cannot write features");
		return;
	}
	if (strcmp(first, vif->vif_name) == 0 || first[0] == '\0')
		log_info("%s: interface %s for domain %u handle %u",
		    vif->vif_tag, vif->vif_name, domid, handle);
	else
		log_info("%s: interface %s for domain %u handle %u, to be "
		    "renamed %s by the hotplug script", vif->vif_tag, first,
		    domid, handle, vif->vif_name);
	t[3] = ev_now_us();
	xbus_set_state(vif, XenbusStateInitWait);
	if (vif->vif_state == XenbusStateInitWait)	/* written */
		log_debug("%s: InitWait %llu us after the directory was "
		    "seen: keys %llu, interface %llu, watch and features "
		    "%llu, state %llu", vif->vif_tag,
		    (unsigned long long)(vif->vif_state_us - t[0]),
		    (unsigned long long)(t[1] - t[0]),
		    (unsigned long long)(t[2] - t[1]),
		    (unsigned long long)(t[3] - t[2]),
		    (unsigned long long)(vif->vif_state_us - t[3]));
	xbus_reconcile(vif);
}

int
xbus_start(struct xvifd *xd)
{
	int rc;

	snprintf(xd->xd_root, sizeof(xd->xd_root),
	    "/local/domain/%u/backend/vif", xd->xd_self);
	xbus_scan_init(xd);
	if ((rc = xbus_fail_start(xd)) < 0)
		return rc;
	if ((rc = hv_xs_watch(xd->xd_hv, xd->xd_root, XBUS_TOKEN_BE)) < 0)
		return rc;
	if ((rc = hv_xs_watch(xd->xd_hv, "@releaseDomain", XBUS_TOKEN_REL)) < 0)
		return rc;
	/* The watches' initial events make the first scan. */
	return 0;
}

/* Let go of every vif, leaving XenStore and TAPs for a restart. */
void
xbus_stop(struct xvifd *xd)
{
	while (xd->xd_vifs != NULL) {
		xbus_fe_watch(xd->xd_vifs, false);
		vif_free(xd->xd_vifs, false);
	}
	xbus_scan_stop(xd);
	(void)hv_xs_unwatch(xd->xd_hv, xd->xd_root, XBUS_TOKEN_BE);
	(void)hv_xs_unwatch(xd->xd_hv, "@releaseDomain", XBUS_TOKEN_REL);
	ev_fd_del(xd->xd_ev, xd->xd_fail_h);
	xd->xd_fail_h = NULL;
	if (xd->xd_fail_efd >= 0)
		close(xd->xd_fail_efd);
	xd->xd_fail_efd = -1;
}
