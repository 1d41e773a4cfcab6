/*
 * tool_vif.c -- `xvif-sim attach` and `xvif-sim detach`: a vif added and
 * removed as `xl network-attach` / `xl network-detach` do through libxl
 * 4.17 (libxl__device_add_async + libxl__device_generic_add +
 * libxl__set_xenstore_nic; libxl__initiate_device_generic_remove +
 * device_backend_callback + device_hotplug + libxl__device_destroy), and
 * tool_vif_remove() which `destroy` uses for each vif.  Owns nothing
 * beyond one command's run; see tool.h for what differs from libxl.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "sim.h"
#include "tool.h"

/* The three places of one vif. */
struct tool_vifpaths {
	char	vp_be[TOOL_PATH_MAX];	/* /local/domain/0/backend/vif/N/D */
	char	vp_fe[TOOL_PATH_MAX];	/* /local/domain/N/device/vif/D */
	char	vp_lx[TOOL_PATH_MAX];	/* /libxl/N/device/vif/D */
};

static void
vif_paths(struct tool_vifpaths *vp, domid_t domid, unsigned int devid)
{
	snprintf(vp->vp_be, sizeof(vp->vp_be),
	    "/local/domain/0/backend/vif/%u/%u", domid, devid);
	snprintf(vp->vp_fe, sizeof(vp->vp_fe), "/local/domain/%u/device/vif/%u",
	    domid, devid);
	snprintf(vp->vp_lx, sizeof(vp->vp_lx), "/libxl/%u/device/vif/%u",
	    domid, devid);
}

static bool
vif_write(struct tool *tl, xs_transaction_t t, const char *dir,
    const char *key, const char *val)
{
	char path[TOOL_PATH_MAX + 64];

	if (key != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, key);
	else
		snprintf(path, sizeof(path), "%s", dir);
	return xs_write(tl->tl_xsh, t, path, val, strlen(val));
}

/* libxl__xs_writev_perms: each key written, then (if perms) its perms. */
static bool
vif_writev(struct tool *tl, xs_transaction_t t, const char *dir,
    const char *const *kv, struct xs_permissions *perms, unsigned int nperms)
{
	char path[TOOL_PATH_MAX + 64];

	for (; kv[0] != NULL; kv += 2) {
		snprintf(path, sizeof(path), "%s/%s", dir, kv[0]);
		if (!xs_write(tl->tl_xsh, t, path, kv[1], strlen(kv[1])))
			return false;
		if (perms != NULL &&
		    !xs_set_permissions(tl->tl_xsh, t, path, perms, nperms))
			return false;
	}
	return true;
}

/* libxl__device_nextid: the last listed devid + 1, or 0. */
static int
vif_nextid(struct tool *tl, domid_t domid)
{
	char path[TOOL_PATH_MAX], **l;
	unsigned int n;
	int next;

	snprintf(path, sizeof(path), "/libxl/%u/device/vif", domid);
	if ((l = xs_directory(tl->tl_xsh, XBT_NULL, path, &n)) == NULL)
		return 0;
	next = n == 0 ? 0 : (int)strtoul(l[n - 1], NULL, 10) + 1;
	free(l);
	return next;
}

/* libxl__device_nic_setdefault's MAC: Xen's OUI, 23 random bits. */
static int
vif_random_mac(uint8_t mac[6])
{
	uint8_t r[3];
	int rc;

	if ((rc = tool_random(r, sizeof(r))) < 0)
		return rc;
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] = r[0] & 0x7f;
	mac[4] = r[1];
	mac[5] = r[2];
	return 0;
}

/*
 * libxl__device_add_async's XenStore part: both directories and libxl's
 * copy in one transaction, retried on EAGAIN.  0, -EEXIST, or -errno.
 */
static int
vif_add_xenstore(struct tool *tl, domid_t domid, unsigned int devid,
    const struct tool_nic *nic, const char *mac)
{
	struct tool_vifpaths vp;
	char domid_s[16], devid_s[16], mtu_s[16], script[TOOL_PATH_MAX];
	char rate_s[40];
	const char *bents[32], *fents[16], *ro_fents[4];
	char *v;
	struct xs_permissions fe_perms[2], be_perms[2];
	unsigned int nb = 0, nf = 0, len;
	unsigned int mtu = nic->tn_mtu != 0 ? nic->tn_mtu :
	    TOOL_NIC_MTU_DEFAULT;
	xs_transaction_t t;
	int err;

	vif_paths(&vp, domid, devid);
	snprintf(domid_s, sizeof(domid_s), "%u", domid);
	snprintf(devid_s, sizeof(devid_s), "%u", devid);
	snprintf(mtu_s, sizeof(mtu_s), "%u", mtu);

	/* The order is libxl's: generic keys, then set_xenstore_nic. */
#define BENT(k, v) (bents[nb++] = (k), bents[nb++] = (v))
#define FENT(k, v) (fents[nf++] = (k), fents[nf++] = (v))
	BENT("frontend-id", domid_s);
	BENT("online", "1");
	BENT("state", "1");
	FENT("backend-id", "0");
	FENT("state", "1");
	/* libxl__abs_path: a relative script is in libxl's script dir. */
	if (nic->tn_script != NULL && nic->tn_script[0] != '/') {
		snprintf(script, sizeof(script), "%s/%s", TOOL_SCRIPT_DIR,
		    nic->tn_script);
		BENT("script", script);
	} else if (nic->tn_script != NULL)
		BENT("script", nic->tn_script);
	if (nic->tn_vifname != NULL)
		BENT("vifname", nic->tn_vifname);
	BENT("mac", mac);
	if (nic->tn_ip != NULL)
		BENT("ip", nic->tn_ip);
	if (nic->tn_antispoof != NULL)	/* xvif's; see tool.h */
		BENT("antispoof", nic->tn_antispoof);
	/* libxl: "<bytes>,<usecs>", written when an interval is set. */
	if (nic->tn_rate_set && nic->tn_rate_usec > 0) {
		snprintf(rate_s, sizeof(rate_s), "%" PRIu64 ",%" PRIu32,
		    nic->tn_rate_bytes, nic->tn_rate_usec);
		BENT("rate", rate_s);
	}
	if (mtu != TOOL_NIC_MTU_DEFAULT)
		BENT("mtu", mtu_s);
	BENT("bridge", nic->tn_bridge != NULL ? nic->tn_bridge :
	    TOOL_BRIDGE_DEFAULT);
	BENT("handle", devid_s);
	BENT("type", "vif");
	FENT("handle", devid_s);
	FENT("mac", mac);
	/* "Force backend to wait for hotplug script execution..." */
	BENT("hotplug-status", "");
	FENT("trusted", "1");
	bents[nb] = NULL;
	fents[nf] = NULL;
	ro_fents[0] = "mtu";
	ro_fents[1] = mtu_s;
	ro_fents[2] = NULL;
#undef BENT
#undef FENT

	/* libxl__device_generic_add: frontend_perms, backend_perms. */
	fe_perms[0].id = domid;
	fe_perms[0].perms = XS_PERM_NONE;
	fe_perms[1].id = 0;
	fe_perms[1].perms = XS_PERM_READ;
	be_perms[0].id = 0;
	be_perms[0].perms = XS_PERM_NONE;
	be_perms[1].id = domid;
	be_perms[1].perms = XS_PERM_READ;

	for (;;) {
		if ((t = xs_transaction_start(tl->tl_xsh)) == XBT_NULL)
			return errno != 0 ? -errno : -EIO;
		/* libxl__device_exists: the libxl copy is the record. */
		errno = 0;
		if ((v = xs_read(tl->tl_xsh, t, vp.vp_lx, &len)) != NULL) {
			free(v);
			xs_transaction_end(tl->tl_xsh, t, true);
			return -EEXIST;
		}
		if (errno != ENOENT)
			goto fail;
		if (!xs_rm(tl->tl_xsh, t, vp.vp_lx) && errno != ENOENT)
			goto fail;
		if (!vif_write(tl, t, vp.vp_lx, "frontend", vp.vp_fe) ||
		    !vif_write(tl, t, vp.vp_lx, "backend", vp.vp_be))
			goto fail;
		/* Frontend. */
		if (!xs_rm(tl->tl_xsh, t, vp.vp_fe) && errno != ENOENT)
			goto fail;
		if (!xs_mkdir(tl->tl_xsh, t, vp.vp_fe) ||
		    !xs_set_permissions(tl->tl_xsh, t, vp.vp_fe, fe_perms, 2) ||
		    !vif_write(tl, t, vp.vp_fe, "backend", vp.vp_be) ||
		    !vif_writev(tl, t, vp.vp_fe, fents, fe_perms, 2) ||
		    !vif_writev(tl, t, vp.vp_fe, ro_fents, be_perms, 2))
			goto fail;
		/* Backend. */
		if (!xs_rm(tl->tl_xsh, t, vp.vp_be) && errno != ENOENT)
			goto fail;
		if (!xs_mkdir(tl->tl_xsh, t, vp.vp_be) ||
		    !xs_set_permissions(tl->tl_xsh, t, vp.vp_be, be_perms, 2) ||
		    !vif_write(tl, t, vp.vp_be, "frontend", vp.vp_fe) ||
		    !vif_writev(tl, t, vp.vp_be, bents, NULL, 0))
			goto fail;
		/* libxl's own copy of the backend keys. */
		if (!vif_writev(tl, t, vp.vp_lx, bents, NULL, 0))
			goto fail;
		if (xs_transaction_end(tl->tl_xsh, t, false))
			return 0;
		if (errno != EAGAIN)
			return errno != 0 ? -errno : -EIO;
	}
fail:
	err = errno != 0 ? errno : EIO;
	xs_transaction_end(tl->tl_xsh, t, true);
	return -err;
}

/* The value at dir/key, malloc'd; NULL if absent. */
static char *
vif_read(struct tool *tl, const char *dir, const char *key)
{
	char path[TOOL_PATH_MAX + 64];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(tl->tl_xsh, XBT_NULL, path, &len);
}

/*
 * device_hotplug for a vif: libxl__hotplug_nic reads `script` from the
 * backend.  No script key: nothing to run (the sim's deviation, tool.h).
 */
static int
vif_hotplug(struct tool *tl, domid_t domid, unsigned int devid,
    const char *action)
{
	struct tool_vifpaths vp;
	char *script;
	int rc;

	vif_paths(&vp, domid, devid);
	if ((script = vif_read(tl, vp.vp_be, "script")) == NULL)
		return 0;
	rc = tool_hotplug(tl, script, action, domid, devid);
	free(script);
	return rc;
}

static const char *
wait_seconds(int ms, char *buf, size_t len)
{
	snprintf(buf, len, "%g", ms / 1000.0);
	return buf;
}

/* libxl__device_destroy: frontend, libxl copy and backend, cleaned up. */
static int
vif_destroy_paths(struct tool *tl, domid_t domid, unsigned int devid)
{
	struct tool_vifpaths vp;
	xs_transaction_t t;

	vif_paths(&vp, domid, devid);
	for (;;) {
		if ((t = xs_transaction_start(tl->tl_xsh)) == XBT_NULL)
			return -1;
		(void)tool_path_cleanup(tl, t, vp.vp_fe);
		(void)tool_path_cleanup(tl, t, vp.vp_lx);
		(void)tool_path_cleanup(tl, t, vp.vp_be);
		if (xs_transaction_end(tl->tl_xsh, t, false))
			return 0;
		if (errno != EAGAIN) {
			tool_err("removing %s: %s", vp.vp_be, strerror(errno));
			return -1;
		}
	}
}

/*
 * libxl__initiate_device_generic_remove's transaction: (if forced) the
 * frontend cleaned up; online=0; state=5 unless already 6.  1 if the
 * backend was already gone, 0, or -1 (reported).
 */
static int
vif_remove_begin(struct tool *tl, const struct tool_vifpaths *vp, bool force)
{
	char path[TOOL_PATH_MAX + 16], *state;
	unsigned int len;
	xs_transaction_t t;
	bool ok;

	for (;;) {
		if ((t = xs_transaction_start(tl->tl_xsh)) == XBT_NULL) {
			tool_err("unable to start transaction");
			return -1;
		}
		if (force)
			(void)tool_path_cleanup(tl, t, vp->vp_fe);
		snprintf(path, sizeof(path), "%s/state", vp->vp_be);
		errno = 0;
		state = xs_read(tl->tl_xsh, t, path, &len);
		if (state == NULL) {
			xs_transaction_end(tl->tl_xsh, t, true);
			if (errno != ENOENT) {
				tool_err("unable to read device state from "
				    "path %s", path);
				return -1;
			}
			tool_err("backend %s already removed, cleanup "
			    "frontend only", vp->vp_be);
			return 1;
		}
		ok = vif_write(tl, t, vp->vp_be, "online", "0");
		if (ok && atoi(state) != TOOL_XB_CLOSED)
			ok = vif_write(tl, t, vp->vp_be, "state", "5");
		free(state);
		if (!ok) {
			tool_err("unable to write to xenstore path %s: %s",
			    path, strerror(errno));
			xs_transaction_end(tl->tl_xsh, t, true);
			return -1;
		}
		if (xs_transaction_end(tl->tl_xsh, t, false))
			return 0;
		if (errno != EAGAIN) {
			tool_err("xenstore transaction: %s", strerror(errno));
			return -1;
		}
	}
}

int
tool_vif_remove(struct tool *tl, domid_t domid, unsigned int devid,
    bool force)
{
	struct tool_vifpaths vp;
	char spath[TOOL_PATH_MAX + 16], secs[32];
	enum tool_wait how;
	int ms = tool_timeout_ms(TOOL_DESTROY_TIMEOUT), got, rc;

	vif_paths(&vp, domid, devid);
	snprintf(spath, sizeof(spath), "%s/state", vp.vp_be);
again:
	rc = vif_remove_begin(tl, &vp, force);
	if (rc < 0)
		return -1;	/* libxl: rc set, no cleanup unless forced */
	if (rc == 1)
		return vif_destroy_paths(tl, domid, devid);
	rc = tool_wait_state(tl, spath, TOOL_XB_CLOSED, ms, &got, &how);
	if (rc < 0) {
		tool_err("watching %s: %s", spath, strerror(-rc));
		return -1;
	}
	if (how == TOOL_WAIT_TIMEOUT && !force) {
		/* device_backend_callback: LIBXL__FORCE_AUTO -> ON, retry. */
		tool_err("backend %s wanted state %d still waiting state %d "
		    "after %s s: initiating forced remove", spath,
		    TOOL_XB_CLOSED, got, wait_seconds(ms, secs, sizeof(secs)));
		force = true;
		goto again;
	}
	if (how != TOOL_WAIT_OK) {
		if (how == TOOL_WAIT_TIMEOUT)
			tool_err("backend %s wanted state %d still waiting "
			    "state %d after %s s: unable to remove device "
			    "with path %s", spath, TOOL_XB_CLOSED, got,
			    wait_seconds(ms, secs, sizeof(secs)), vp.vp_be);
		else
			tool_err("backend %s wanted state %d but it was "
			    "removed: unable to remove device with path %s",
			    spath, TOOL_XB_CLOSED, vp.vp_be);
		/* device_hotplug_done: the paths go only if forced. */
		if (force)
			(void)vif_destroy_paths(tl, domid, devid);
		return -1;
	}
	/* Removal: a failing script is reported, and then the device stays
	 * unless forced (device_hotplug_child_death_cb, _done). */
	rc = vif_hotplug(tl, domid, devid, "offline");
	if (rc == 0 || force) {
		if (vif_destroy_paths(tl, domid, devid) < 0)
			return -1;
	}
	return rc;
}

/* --dir DIR DOMID [rest...]: argv index of the first word after DOMID. */
static int
vif_args(int argc, char **argv, const char **dir, domid_t *domid,
    const char *usage)
{
	int i = 1;

	*dir = NULL;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			*dir = argv[i + 1];
			i += 2;
		} else {
			tool_err("%s: unknown option %s (usage: xvif-sim %s %s)",
			    argv[0], argv[i], argv[0], usage);
			return -1;
		}
	}
	if (*dir == NULL || i >= argc) {
		tool_err("%s: usage: xvif-sim %s %s", argv[0], argv[0], usage);
		return -1;
	}
	if (tool_parse_domid(argv[i], domid) < 0) {
		tool_err("%s: bad domid '%s' (a guest domid, 1..%u)", argv[0],
		    argv[i], DOMID_FIRST_RESERVED - 1);
		return -1;
	}
	return i + 1;
}

/* find_domain: exit status 2 and a line if domid is no live guest. */
static int
vif_check_domain(struct tool *tl, const char *cmd, domid_t domid)
{
	int rc = tool_domain_exists(tl, domid);

	if (rc < 0) {
		tool_err("%s: cannot ask the hypervisor about domain %u: %s",
		    cmd, domid, strerror(-rc));
		return 1;
	}
	if (rc == 0) {
		tool_err("%s: domain %u does not exist", cmd, domid);
		return 2;
	}
	return 0;
}

int
simcmd_attach(int argc, char **argv)
{
	static const char usage[] = "--dir DIR DOMID [mac=M] [script=S] "
	    "[vifname=N] [bridge=B] [devid=D] [ip=IP] [mtu=MTU] "
	    "[rate=RATE[@INTERVAL]] [antispoof=0|1]";
	struct tool_nic nic = { .tn_devid = -1 };
	struct tool_vifpaths vp;
	struct tool tl;
	const char *dir, *why;
	char mac[18], spath[TOOL_PATH_MAX + 16], secs[32];
	enum tool_wait how;
	domid_t domid;
	unsigned int devid;
	int i, rc, got, ms;

	if ((i = vif_args(argc, argv, &dir, &domid, usage)) < 0)
		return 2;
	for (; i < argc; i++) {
		if (tool_nic_parse(&nic, argv[i], &why) < 0) {
			tool_err("attach: '%s': %s", argv[i], why);
			return 2;
		}
	}
	if (tool_open(&tl, dir) < 0)
		return 1;
	if ((rc = vif_check_domain(&tl, "attach", domid)) != 0)
		goto out;
	rc = 1;
	/* libxl__device_nic_setdefault, update_devid. */
	if (!nic.tn_mac_set && vif_random_mac(nic.tn_mac) < 0) {
		tool_err("attach: no random MAC: %s", strerror(errno));
		goto out;
	}
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
	    nic.tn_mac[0], nic.tn_mac[1], nic.tn_mac[2], nic.tn_mac[3],
	    nic.tn_mac[4], nic.tn_mac[5]);
	devid = nic.tn_devid >= 0 ? (unsigned int)nic.tn_devid :
	    (unsigned int)vif_nextid(&tl, domid);

	vif_paths(&vp, domid, devid);
	if ((rc = vif_add_xenstore(&tl, domid, devid, &nic, mac)) < 0) {
		if (rc == -EEXIST)
			tool_err("device already exists in xenstore: %s",
			    vp.vp_lx);
		else
			tool_err("adding %s: %s", vp.vp_be, strerror(-rc));
		tool_err("Unable to add vif with id %u", devid);
		rc = 1;
		goto out;
	}
	rc = 1;

	/* libxl__wait_device_connection: InitWait in LIBXL_INIT_TIMEOUT. */
	ms = tool_timeout_ms(TOOL_INIT_TIMEOUT);
	snprintf(spath, sizeof(spath), "%s/state", vp.vp_be);
	if ((i = tool_wait_state(&tl, spath, TOOL_XB_INITWAIT, ms, &got,
	    &how)) < 0) {
		tool_err("watching %s: %s", spath, strerror(-i));
		goto out;
	}
	if (how == TOOL_WAIT_TIMEOUT) {
		tool_err("backend %s wanted state %d still waiting state %d "
		    "after %s s: unable to add device with path %s", spath,
		    TOOL_XB_INITWAIT, got, wait_seconds(ms, secs, sizeof(secs)),
		    vp.vp_be);
		tool_err("Unable to add vif with id %u", devid);
		goto out;
	}
	if (how == TOOL_WAIT_REMOVED) {
		tool_err("backend %s wanted state %d but it was removed: "
		    "unable to add device with path %s", spath,
		    TOOL_XB_INITWAIT, vp.vp_be);
		tool_err("Unable to add vif with id %u", devid);
		goto out;
	}
	if (vif_hotplug(&tl, domid, devid, "online") < 0) {
		tool_err("Unable to add vif with id %u", devid);
		goto out;
	}
	printf("%u\n", devid);
	rc = 0;
out:
	tool_close(&tl);
	return rc;
}

int
simcmd_detach(int argc, char **argv)
{
	static const char usage[] = "--dir DIR DOMID DEVID";
	struct tool_vifpaths vp;
	struct tool tl;
	const char *dir;
	char *v;
	domid_t domid;
	unsigned int devid;
	int i, rc;

	if ((i = vif_args(argc, argv, &dir, &domid, usage)) < 0)
		return 2;
	if (i != argc - 1) {
		tool_err("detach: usage: xvif-sim detach %s", usage);
		return 2;
	}
	if (tool_parse_uint(argv[i], 65535, &devid) < 0) {
		tool_err("detach: bad devid '%s'", argv[i]);
		return 2;
	}
	if (tool_open(&tl, dir) < 0)
		return 1;
	if ((rc = vif_check_domain(&tl, "detach", domid)) != 0)
		goto out;
	/* libxl_devid_to_device_nic: the libxl copy must exist. */
	vif_paths(&vp, domid, devid);
	if ((v = vif_read(&tl, vp.vp_lx, "backend")) == NULL) {
		tool_err("detach: unknown device %u of domain %u", devid,
		    domid);
		rc = 2;
		goto out;
	}
	free(v);
	rc = tool_vif_remove(&tl, domid, devid, false) < 0 ? 1 : 0;
	if (rc != 0)
		tool_err("Unable to remove vif with id %u", devid);
out:
	tool_close(&tl);
	return rc;
}
