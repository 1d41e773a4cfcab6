/*
 * xbus_scan.c -- which vifs there are: our backend/vif directory watched
 * and listed (a domain's at a time where the event says which), vifs
 * made and dropped as their directories come and go, the domains that
 * died (@releaseDomain), and, once after the first whole look, the state
 * directory's files of vifs that went while no xvifd ran (vif_state_sweep,
 * looked at again until every one is taken up).  xbus.c makes and runs
 * each vif.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvif.h"

/* State files put off by the start-up sweep: looked at again this late. */
#define XBUS_SWEEP_RETRY_MS	5000

static struct xvif *
xbus_find(struct xvifd *xd, unsigned long domid, unsigned long handle)
{
	struct xvif *vif;

	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		if (vif->vif_domid == domid && vif->vif_handle == handle)
			return vif;
	return NULL;
}

/*
 * List backend/vif/<domid>: add its new vifs, drop its vanished ones.
 * A listing that fails for another reason than the directory's absence
 * drops nothing: its vifs count as seen (xbus_scan drops the unseen),
 * and -1 says the look was not whole.
 */
static int
xbus_scan_domain(struct xvifd *xd, unsigned long domid)
{
	struct xvif *vif, *next;
	char **hs = NULL, path[XVIF_PATH_MAX];
	unsigned int nh = 0, j;
	unsigned long handle;
	int rc;

	snprintf(path, sizeof(path), "%s/%lu", xd->xd_root, domid);
	rc = hv_xs_directory(xd->xd_hv, HV_TXN_NONE, path, &hs, &nh);
	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		if (vif->vif_domid == domid)
			vif->vif_seen = rc < 0 && rc != -ENOENT;
	if (rc < 0 && rc != -ENOENT) {
		log_warnc(-rc, "list %s (its vifs are kept as they are)", path);
		return -1;
	}
	for (j = 0; j < nh; j++) {
		if (proto_parse_uint(hs[j], 65535, &handle) < 0)
			continue;
		if ((vif = xbus_find(xd, domid, handle)) != NULL &&
		    xbus_vif_renewed(vif)) {
			xbus_vif_destroy(vif, "backend directory made anew");
			vif = NULL;
		}
		if (vif != NULL)
			vif->vif_seen = true;
		else
			xbus_vif_new(xd, (domid_t)domid, (unsigned int)handle);
	}
	free(hs);
	for (vif = xd->xd_vifs; vif != NULL; vif = next) {
		next = vif->vif_next;
		if (vif->vif_domid == domid && !vif->vif_seen)
			xbus_vif_destroy(vif, "backend directory removed");
	}
	return 0;
}

/*
 * Is vif domid.handle's backend directory gone?  Only XenStore's "no such
 * node" says so: a vif we hold no entry for may still be there (half
 * written, unreadable a moment), and its files must stay (vif_state_sweep).
 */
bool
xbus_vif_gone(struct xvifd *xd, unsigned int domid, unsigned int handle)
{
	char path[XVIF_PATH_MAX], buf[8];

	snprintf(path, sizeof(path), "%s/%u/%u", xd->xd_root, domid, handle);
	return hv_xs_read(xd->xd_hv, HV_TXN_NONE, path, buf,
	    sizeof(buf)) == -ENOENT;
}

/*
 * Is vif domid.handle's backend directory there, its vifname (the tag if
 * it has none) name?  Whose a record says an interface is (vif_ifrecord_
 * claimed): not a new domain's vif that took the id, named otherwise.  A
 * read that fails otherwise says yes: better a vif refused than another's
 * interface taken.
 */
bool
xbus_vif_named(struct xvifd *xd, unsigned int domid, unsigned int handle,
    const char *name)
{
	char path[XVIF_PATH_MAX], buf[PROTO_IFNAMSIZ + 1], tag[32];
	int rc;

	snprintf(path, sizeof(path), "%s/%u/%u/vifname", xd->xd_root, domid,
	    handle);
	rc = hv_xs_read(xd->xd_hv, HV_TXN_NONE, path, buf, sizeof(buf));
	if (rc == -ENOENT) {
		if (xbus_vif_gone(xd, domid, handle))
			return false;
		snprintf(tag, sizeof(tag), "xvif%ui%u", domid, handle);
		return strcmp(tag, name) == 0;
	}
	return rc < 0 || strcmp(buf, name) == 0;
}

/* A domain id of our backend directory, not ours: parsed, or false. */
static bool
xbus_domid(const struct xvifd *xd, const char *s, unsigned long *domid)
{
	return proto_parse_uint(s, DOMID_FIRST_RESERVED - 1, domid) == 0 &&
	    *domid != xd->xd_self;
}

/* List backend/vif/<domid>/<handle>: add new vifs, drop vanished ones. */
static void
xbus_scan(struct xvifd *xd)
{
	struct xvif *vif, *next;
	char **doms = NULL;
	unsigned int nd = 0, i;
	unsigned long domid;
	bool whole = true;
	int rc;

	rc = hv_xs_directory(xd->xd_hv, HV_TXN_NONE, xd->xd_root, &doms, &nd);
	if (rc < 0 && rc != -ENOENT) {
		/* No look, no verdict; said once (until a look works): in a
		 * driver domain left at the default domid 0, this was all. */
		if (!xd->xd_list_said)
			log_warnc(-rc, "list %s: no new vif is served while "
			    "it cannot be read%s", xd->xd_root, xd->xd_self == 0 ?
			    " (in a driver domain, give --backend-domid)" : "");
		xd->xd_list_said = true;
		return;
	}
	xd->xd_list_said = false;
	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		vif->vif_seen = false;
	for (i = 0; i < nd; i++)
		if (xbus_domid(xd, doms[i], &domid) &&
		    xbus_scan_domain(xd, domid) < 0)
			whole = false;
	free(doms);
	for (vif = xd->xd_vifs; vif != NULL; vif = next) {
		next = vif->vif_next;
		if (!vif->vif_seen)
			xbus_vif_destroy(vif, "backend directory removed");
	}
	/*
	 * After the first whole look: files of vifs gone meanwhile.  Until
	 * every one is taken up (a look that was not whole, files put off),
	 * the whole look again every XBUS_SWEEP_RETRY_MS: backend events
	 * list only their own domain.
	 */
	if (!xd->xd_swept) {
		if (whole && vif_state_sweep(xd) == 0)
			xd->xd_swept = true;
		else
			ev_timer_arm(xd->xd_ev, &xd->xd_sweep_t,
			    XBUS_SWEEP_RETRY_MS);
	}
}

static void
xbus_sweep_retry(void *arg)
{
	xbus_scan(arg);
}

/*
 * @releaseDomain: a guest is gone; its vifs stop, their TAPs go.  Only
 * a domain XenStore says is not there is gone: a driver domain is not
 * told (the toolstack removes its vifs' directories instead).
 */
static void
xbus_domains_released(struct xvifd *xd)
{
	struct xvif *vif;

	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next) {
		if (vif->vif_dead ||
		    hv_xs_domain_alive(xd->xd_hv, vif->vif_domid) != 0)
			continue;
		if (vif->vif_refused) {	/* nothing left to stop */
			vif->vif_dead = true;
			continue;
		}
		log_info("%s: domain %u is gone", vif->vif_tag, vif->vif_domid);
		vif_disconnect(vif);
		xbus_set_state(vif, XenbusStateClosed);
		vif_close_tap(vif, true);
		/* Until the toolstack removes it, or a new domain has the id. */
		vif->vif_refused = vif->vif_dead = true;
		snprintf(vif->vif_fail_why, sizeof(vif->vif_fail_why),
		    "domain %u is gone", vif->vif_domid);
	}
}

/*
 * A vif of a dead domain lingers (refused) until the toolstack removes
 * it; if the toolstack never does (xl killed) and a new domain gets the
 * id -- the hypervisor hands out ids again, the simulated one the lowest
 * free -- the new domain's vif is written over it.  Linux netback serves
 * it: its device still watches the frontend path.  So do we, as a new
 * vif: the dead one, its journal of the old rings included, goes.
 */
static bool
xbus_reborn(struct xvif *vif)
{
	struct xvifd *xd = vif->vif_d;
	domid_t domid = vif->vif_domid;

	if (!vif->vif_dead || hv_xs_domain_alive(xd->xd_hv, domid) != 1)
		return false;
	xbus_vif_destroy(vif, "a new domain has the id of the dead one: "
	    "its vif is taken anew");
	xbus_scan_domain(xd, domid);
	return true;
}

/*
 * vif is to be looked at (xbus_reconcile) once this batch of watch events
 * is read: however many of its events the batch holds, one look, which
 * reads everything as it is by then.  A guest's flood of writes to its
 * own keys costs us a look a batch, not one (and its XenStore reads) an
 * event, which fell behind and queued events without bound.
 */
static void
xbus_look_later(struct xvifd *xd, struct xvif *vif)
{
	if (vif->vif_look)
		return;
	if (xd->xd_nlook == XBUS_LOOK_MAX) {
		/* A batch longer than xvifd_xs_ready reads: at once. */
		xbus_reconcile(vif);
		return;
	}
	vif->vif_look = true;
	xd->xd_look[xd->xd_nlook].l_domid = vif->vif_domid;
	xd->xd_look[xd->xd_nlook++].l_handle = vif->vif_handle;
}

/*
 * The batch is read: each vif it asked for, looked at once, if it is
 * still there (an event of the batch may have removed it, or made it
 * anew: a new one was set up as it was made).
 */
void
xbus_watch_batch_end(struct xvifd *xd)
{
	struct xvif *vif;
	unsigned int i, n = xd->xd_nlook;

	xd->xd_nlook = 0;
	for (i = 0; i < n; i++) {
		vif = xbus_find(xd, xd->xd_look[i].l_domid,
		    xd->xd_look[i].l_handle);
		if (vif == NULL || !vif->vif_look)
			continue;
		vif->vif_look = false;
		xbus_reconcile(vif);
	}
}

void
xbus_watch_fired(struct xvifd *xd, const char *path, const char *token)
{
	size_t rl = strlen(xd->xd_root);
	unsigned long domid, handle;
	struct xvif *vif;
	char buf[24];

	if (strcmp(token, XBUS_TOKEN_REL) == 0) {
		xbus_domains_released(xd);
		return;
	}
	if (strncmp(token, XBUS_TOKEN_FE, strlen(XBUS_TOKEN_FE)) == 0) {
		if (sscanf(token + strlen(XBUS_TOKEN_FE), "%lu:%lu", &domid,
		    &handle) == 2 && (vif = xbus_find(xd, domid, handle)) != NULL)
			xbus_look_later(xd, vif);
		return;
	}
	if (strcmp(token, XBUS_TOKEN_BE) != 0 ||
	    strncmp(path, xd->xd_root, rl) != 0)
		return;
	/* <root>/<domid>/<handle>/<key> of a known vif: look at that one. */
	if (sscanf(path + rl, "/%lu/%lu/", &domid, &handle) == 2 &&
	    (vif = xbus_find(xd, domid, handle)) != NULL &&
	    strchr(path + rl + 1, '/') != NULL &&
	    strchr(strchr(path + rl + 1, '/') + 1, '/') != NULL) {
		if (xbus_reborn(vif))
			return;
		/*
		 * The rate, ip and antispoof keys: no state depends on them
		 * (a connect reads them); a connected vif takes them now.
		 */
		if (strncmp(path, vif->vif_be, strlen(vif->vif_be)) == 0 &&
		    xbus_policy_key(vif, path + strlen(vif->vif_be)))
			return;
		xbus_look_later(xd, vif);
		return;
	}
	/*
	 * Anything else under <root>/<domid>: look at that domain only, so
	 * that a new vif costs a listing of its domain, not of every vif
	 * of the host (1000 vifs made one by one were O(N^2) listings).
	 */
	if (sscanf(path + rl, "/%20[0-9]", buf) == 1 &&
	    xbus_domid(xd, buf, &domid)) {
		xbus_scan_domain(xd, domid);
		return;
	}
	xbus_scan(xd);
}

void
xbus_scan_init(struct xvifd *xd)
{
	ev_timer_init(&xd->xd_sweep_t, xbus_sweep_retry, xd);
}

void
xbus_scan_stop(struct xvifd *xd)
{
	ev_timer_cancel(xd->xd_ev, &xd->xd_sweep_t);
}
