/*
 * tool_domain.c -- `xvif-sim create` and `xvif-sim destroy`: a guest domain
 * made and unmade as `xl create` / `xl destroy` do through libxl 4.17:
 * the hypervisor's domain (hvsim.h), then libxl__domain_make's and
 * libxl__build_post's XenStore transactions and xs_introduce_domain; on
 * destroy libxl__devices_destroy (forced removal of each vif, tool_vif.c),
 * devices_destroy_cb's removals and the hypervisor's destroy.  What is not
 * modelled and what differs from libxl: tool.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <xenstore.h>

#include "hvsim.h"
#include "sim.h"
#include "tool.h"

#define DOM_STORE_PORT	1u	/* the event channel in the real dumps */

struct dom_make {
	domid_t		 dm_domid;
	const char	*dm_name;
	unsigned int	 dm_pages;
	char		 dm_uuid[37];
	char		 dm_dom[TOOL_PATH_MAX];	/* /local/domain/N */
	char		 dm_vm[TOOL_PATH_MAX];	/* /vm/<uuid> */
	char		 dm_libxl[TOOL_PATH_MAX];	/* /libxl/N */
};

static int
dom_uuid(char out[37])
{
	uint8_t u[16];
	int rc;

	if ((rc = tool_random(u, sizeof(u))) < 0)
		return rc;
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4, as uuid_generate */
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

static bool
dom_write(struct tool *tl, xs_transaction_t t, const char *dir,
    const char *key, const char *val)
{
	char path[TOOL_PATH_MAX + 96];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_write(tl->tl_xsh, t, path, val, strlen(val));
}

/* libxl__xs_mknod: an empty node, then its permissions. */
static bool
dom_mknod(struct tool *tl, xs_transaction_t t, const char *dir,
    const char *key, struct xs_permissions *perms, unsigned int n)
{
	char path[TOOL_PATH_MAX + 96];

	if (key != NULL)
		snprintf(path, sizeof(path), "%s/%s", dir, key);
	else
		snprintf(path, sizeof(path), "%s", dir);
	return xs_write(tl->tl_xsh, t, path, "", 0) &&
	    xs_set_permissions(tl->tl_xsh, t, path, perms, n);
}

/* 1 if a domain in XenStore is called name, 0 if not, -errno. */
static int
dom_name_taken(struct tool *tl, const char *name)
{
	char path[TOOL_PATH_MAX], **l, *v;
	unsigned int n, i, len;
	int found = 0;

	if ((l = xs_directory(tl->tl_xsh, XBT_NULL, "/local/domain", &n)) ==
	    NULL)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n && !found; i++) {
		snprintf(path, sizeof(path), "/local/domain/%s/name", l[i]);
		if ((v = xs_read(tl->tl_xsh, XBT_NULL, path, &len)) == NULL)
			continue;
		found = strcmp(v, name) == 0;
		free(v);
	}
	free(l);
	return found;
}

/* libxl__domain_make's transaction. */
static bool
dom_make_txn(struct tool *tl, const struct dom_make *dm, xs_transaction_t t)
{
	struct xs_permissions roperm[2], rwperm[1], noperm[1];
	static const char *const rwnodes[] = {
		"control/shutdown", "control/feature-poweroff",
		"control/feature-reboot", "control/feature-suspend",
		"control/sysrq", "data", "drivers", "feature", "attr", "error",
		NULL
	};
	const char *const *k;

	noperm[0].id = 0;
	noperm[0].perms = XS_PERM_NONE;
	roperm[0].id = 0;
	roperm[0].perms = XS_PERM_NONE;
	roperm[1].id = dm->dm_domid;
	roperm[1].perms = XS_PERM_READ;
	rwperm[0].id = dm->dm_domid;
	rwperm[0].perms = XS_PERM_NONE;

	(void)xs_rm(tl->tl_xsh, t, dm->dm_dom);
	if (!dom_mknod(tl, t, dm->dm_dom, NULL, roperm, 2))
		return false;
	(void)xs_rm(tl->tl_xsh, t, dm->dm_vm);
	if (!dom_mknod(tl, t, dm->dm_vm, NULL, roperm, 2))
		return false;
	(void)xs_rm(tl->tl_xsh, t, dm->dm_libxl);
	if (!dom_mknod(tl, t, dm->dm_libxl, NULL, noperm, 1) ||
	    !dom_mknod(tl, t, dm->dm_libxl, "device", noperm, 1))
		return false;
	if (!dom_write(tl, t, dm->dm_dom, "vm", dm->dm_vm))
		return false;
	/* libxl__domain_rename: the name in both places. */
	if (!dom_write(tl, t, dm->dm_dom, "name", dm->dm_name) ||
	    !dom_write(tl, t, dm->dm_vm, "name", dm->dm_name))
		return false;
	if (!dom_mknod(tl, t, dm->dm_dom, "cpu", roperm, 2) ||
	    !dom_mknod(tl, t, dm->dm_dom, "memory", roperm, 2) ||
	    !dom_mknod(tl, t, dm->dm_dom, "device", roperm, 2) ||
	    !dom_mknod(tl, t, dm->dm_dom, "device/suspend/event-channel",
	    rwperm, 1) ||
	    !dom_mknod(tl, t, dm->dm_dom, "control", roperm, 2))
		return false;
	for (k = rwnodes; *k != NULL; k++)
		if (!dom_mknod(tl, t, dm->dm_dom, *k, rwperm, 1))
			return false;
	if (!dom_write(tl, t, dm->dm_vm, "uuid", dm->dm_uuid) ||
	    !dom_write(tl, t, dm->dm_dom,
	    "control/platform-feature-multiprocessor-suspend", "1") ||
	    !dom_write(tl, t, dm->dm_dom,
	    "control/platform-feature-xs_reset_watches", "1") ||
	    !dom_write(tl, t, dm->dm_libxl, "type", "pv") ||
	    !dom_write(tl, t, dm->dm_libxl, "dm-version", "qemu_xen"))
		return false;
	return true;
}

/* libxl__build_post's transaction (PV, one vcpu). */
static bool
dom_post_txn(struct tool *tl, const struct dom_make *dm, xs_transaction_t t)
{
	char kb[32], id[16], port[16], ref[16], start[48];
	struct timeval tv;

	snprintf(kb, sizeof(kb), "%llu",
	    (unsigned long long)dm->dm_pages * 4);
	snprintf(id, sizeof(id), "%u", dm->dm_domid);
	snprintf(port, sizeof(port), "%u", DOM_STORE_PORT);
	/* XXX: placeholder; the sim's guest XenStore is a socket (tool.h). */
	snprintf(ref, sizeof(ref), "%u", dm->dm_pages - 1);
	gettimeofday(&tv, NULL);
	snprintf(start, sizeof(start), "%lld.%02ld", (long long)tv.tv_sec,
	    (long)(tv.tv_usec / 10000));
	return dom_write(tl, t, dm->dm_dom, "memory/static-max", kb) &&
	    dom_write(tl, t, dm->dm_dom, "memory/target", kb) &&
	    dom_write(tl, t, dm->dm_dom, "memory/videoram", "0") &&
	    dom_write(tl, t, dm->dm_dom, "domid", id) &&
	    dom_write(tl, t, dm->dm_dom, "store/port", port) &&
	    dom_write(tl, t, dm->dm_dom, "store/ring-ref", ref) &&
	    dom_write(tl, t, dm->dm_dom, "cpu/0/availability", "online") &&
	    dom_write(tl, t, dm->dm_vm, "image/ostype", "linux") &&
	    dom_write(tl, t, dm->dm_vm, "start_time", start);
}

/* One transaction body, retried on EAGAIN.  0 or -errno. */
static int
dom_txn(struct tool *tl, const struct dom_make *dm,
    bool (*body)(struct tool *, const struct dom_make *, xs_transaction_t))
{
	xs_transaction_t t;
	int err;

	for (;;) {
		if ((t = xs_transaction_start(tl->tl_xsh)) == XBT_NULL)
			return errno != 0 ? -errno : -EIO;
		if (!body(tl, dm, t)) {
			err = errno != 0 ? errno : EIO;
			xs_transaction_end(tl->tl_xsh, t, true);
			return -err;
		}
		if (xs_transaction_end(tl->tl_xsh, t, false))
			return 0;
		if (errno != EAGAIN)
			return errno != 0 ? -errno : -EIO;
	}
}

/*
 * A guest's memory unless --pages says otherwise: 64 MiB, room for the
 * 16 netfront queues its grant table can hold (sim/simfe.h), so that a
 * vif of several queues fits beside others.  The file is sparse: pages
 * nobody touches cost nothing.
 */
#define DOM_DEFAULT_PAGES	16384u

int
simcmd_create(int argc, char **argv)
{
	struct dom_make dm = { .dm_pages = DOM_DEFAULT_PAGES };
	struct tool tl;
	const char *dir = NULL;
	char defname[32];
	int i, rc;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			dm.dm_name = argv[i + 1];
		else if (strcmp(argv[i], "--pages") == 0) {
			if (tool_parse_uint(argv[i + 1], 1u << 20,
			    &dm.dm_pages) < 0 || dm.dm_pages < 16) {
				tool_err("create: bad --pages '%s' (16..%u)",
				    argv[i + 1], 1u << 20);
				return 2;
			}
		} else
			goto usage;
	}
	if (dir == NULL)
		goto usage;
	if (dm.dm_name != NULL && (dm.dm_name[0] == '\0' ||
	    strlen(dm.dm_name) > 64 || strchr(dm.dm_name, '/') != NULL)) {
		tool_err("create: bad --name '%s' (1..64 characters, no '/')",
		    dm.dm_name);
		return 2;
	}
	if (tool_open(&tl, dir) < 0)
		return 1;
	rc = 1;
	if (dm.dm_name != NULL && (i = dom_name_taken(&tl, dm.dm_name)) != 0) {
		if (i > 0) {
			tool_err("create: Domain with name \"%s\" already "
			    "exists.", dm.dm_name);
			rc = 2;
		} else
			tool_err("create: listing domains: %s", strerror(-i));
		goto out;
	}
	if ((i = hvsim_domain_create(dir, dm.dm_pages, &dm.dm_domid)) < 0) {
		tool_err("create: domain creation fail: %s", strerror(-i));
		goto out;
	}
	if (dm.dm_name == NULL) {
		snprintf(defname, sizeof(defname), "guest%u", dm.dm_domid);
		dm.dm_name = defname;
	}
	snprintf(dm.dm_dom, sizeof(dm.dm_dom), "/local/domain/%u",
	    dm.dm_domid);
	snprintf(dm.dm_libxl, sizeof(dm.dm_libxl), "/libxl/%u", dm.dm_domid);
	if ((i = dom_uuid(dm.dm_uuid)) < 0) {
		tool_err("create: no uuid: %s", strerror(-i));
		goto undo;
	}
	snprintf(dm.dm_vm, sizeof(dm.dm_vm), "/vm/%s", dm.dm_uuid);
	if ((i = dom_txn(&tl, &dm, dom_make_txn)) < 0) {
		tool_err("create: domain %u: domain creation xenstore "
		    "transaction commit failed: %s", dm.dm_domid,
		    strerror(-i));
		goto undo;
	}
	if ((i = dom_txn(&tl, &dm, dom_post_txn)) < 0) {
		tool_err("create: domain %u: xenstore: %s", dm.dm_domid,
		    strerror(-i));
		goto undo;
	}
	if (!xs_introduce_domain(tl.tl_xsh, dm.dm_domid, dm.dm_pages - 1,
	    DOM_STORE_PORT)) {
		tool_err("create: domain %u: xs_introduce_domain: %s",
		    dm.dm_domid, strerror(errno));
		goto undo;
	}
	printf("%u\n", dm.dm_domid);
	rc = 0;
	goto out;
undo:
	/* libxl destroys a domain whose creation failed. */
	(void)xs_rm(tl.tl_xsh, XBT_NULL, dm.dm_vm);
	(void)xs_rm(tl.tl_xsh, XBT_NULL, dm.dm_dom);
	(void)xs_rm(tl.tl_xsh, XBT_NULL, dm.dm_libxl);
	(void)hvsim_domain_destroy(dir, dm.dm_domid);
out:
	tool_close(&tl);
	return rc;
usage:
	tool_err("create: usage: xvif-sim create --dir DIR [--name NAME] "
	    "[--pages N]");
	return 2;
}

/*
 * libxl__devices_destroy for the vifs: each listed in libxl's copy is
 * removed, forced.  The number that failed.
 */
static int
dom_devices_destroy(struct tool *tl, domid_t domid)
{
	char path[TOOL_PATH_MAX], **devs, *be;
	unsigned int n, i, len, devid;
	int failed = 0;

	snprintf(path, sizeof(path), "/libxl/%u/device/vif", domid);
	if ((devs = xs_directory(tl->tl_xsh, XBT_NULL, path, &n)) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/libxl/%u/device/vif/%s/backend",
		    domid, devs[i]);
		if ((be = xs_read(tl->tl_xsh, XBT_NULL, path, &len)) == NULL)
			continue;	/* libxl: no backend, nothing to do */
		free(be);
		if (tool_parse_uint(devs[i], 65535, &devid) < 0)
			continue;
		if (tool_vif_remove(tl, domid, devid, true) < 0)
			failed++;
	}
	free(devs);
	return failed;
}

int
simcmd_destroy(int argc, char **argv)
{
	struct tool tl;
	const char *dir = NULL, *arg = NULL;
	char path[TOOL_PATH_MAX], *vm;
	unsigned int len;
	domid_t domid;
	bool keep = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--keep-devices") == 0)
			keep = true;
		else if (argv[i][0] != '-' && arg == NULL)
			arg = argv[i];
		else
			goto usage;
	}
	if (dir == NULL || arg == NULL)
		goto usage;
	if (tool_parse_domid(arg, &domid) < 0) {
		tool_err("destroy: bad domid '%s' (a guest domid, 1..%u)", arg,
		    DOMID_FIRST_RESERVED - 1);
		return 2;
	}
	if (tool_open(&tl, dir) < 0)
		return 1;
	rc = 1;
	if ((i = tool_domain_exists(&tl, domid)) <= 0) {
		if (i < 0) {
			tool_err("destroy: cannot ask the hypervisor about "
			    "domain %u: %s", domid, strerror(-i));
		} else {
			tool_err("destroy: domain %u does not exist", domid);
			rc = 2;
		}
		goto out;
	}
	/* --keep-devices: the domain dies with no toolstack to clean up
	 * (xl killed, a crash with nobody watching); the hypervisor and
	 * xenstored still do their part, so backends see @releaseDomain. */
	if (keep)
		goto release;
	if (dom_devices_destroy(&tl, domid) > 0)
		tool_err("destroy: domain %u: libxl__devices_destroy failed",
		    domid);
	/* devices_destroy_cb */
	snprintf(path, sizeof(path), "/local/domain/%u/vm", domid);
	if ((vm = xs_read(tl.tl_xsh, XBT_NULL, path, &len)) != NULL) {
		if (!xs_rm(tl.tl_xsh, XBT_NULL, vm))
			tool_err("destroy: xs_rm failed for %s: %s", vm,
			    strerror(errno));
		free(vm);
	}
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if (!xs_rm(tl.tl_xsh, XBT_NULL, path))
		tool_err("destroy: xs_rm failed for %s: %s", path,
		    strerror(errno));
	snprintf(path, sizeof(path), "/libxl/%u", domid);
	(void)xs_rm(tl.tl_xsh, XBT_NULL, path);
release:
	if ((i = hvsim_domain_destroy(dir, domid)) < 0) {
		tool_err("destroy: domain %u: xc_domain_destroy failed: %s",
		    domid, strerror(-i));
		goto out;
	}
	/* Xen's VIRQ_DOM_EXC to xenstored, in the sim (tool.h). */
	if (!xs_release_domain(tl.tl_xsh, domid)) {
		tool_err("destroy: domain %u: xs_release_domain: %s", domid,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	tool_close(&tl);
	return rc;
usage:
	tool_err("destroy: usage: xvif-sim destroy --dir DIR [--keep-devices] "
	    "DOMID");
	return 2;
}
