/*
 * vif_ifrecord.c -- which interface is a vif's, written down in the state
 * directory, so that an interface whose vif went while no xvifd ran does
 * not stay for ever.
 *
 * A vif's TAP is persistent: it outlives xvifd, so that a restart finds it
 * with its addresses and bridge port (DESIGN.md 4).  Its vif does not
 * always: an `xl destroy` while xvifd is stopped (an upgrade, a crash)
 * ends with libxl removing the backend directory, the only place the
 * interface's name was said, and the next xvifd no longer knew the TAP
 * was ever its own.  Linux netback has no such gap: its interface dies
 * with the device, in the kernel.
 *
 * So each vif whose TAP is open has a file <domid>.<handle>.if beside its
 * journal: the ifindex (stable across a hotplug script's rename) and the
 * two names the interface may have (the one it was made with, the one
 * the toolstack asked for).  Once, after the first whole look at
 * XenStore, the records of vifs that are not there are taken up: an
 * interface that still has that ifindex, under one of those names, held
 * by no vif of ours, and a TAP (anything else refuses to be attached), is
 * deleted.  An interface that has another name now was renamed by
 * someone (or its ifindex reused): left alone.  The same is done, when a
 * vif's record is written, with the interface an earlier record of that
 * domid.handle names, if it is another: an earlier vif's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "xvif.h"

static void
ifrec_path(const struct xvifd *xd, domid_t domid, unsigned int handle,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.%u" VIF_IFRECORD_SUFFIX, xd->xd_state_dir,
	    domid, handle);
}

/* Does a vif of ours hold the interface with this ifindex? */
static struct xvif *
ifrec_holder(struct xvifd *xd, int ifindex)
{
	struct xvif *vif;

	for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
		if (vif->vif_hp != NULL && hp_ifindex(vif->vif_hp) == ifindex)
			return vif;
	return NULL;
}

/* Read a record: 0, or -1 if it is not one we wrote whole. */
static int
ifrec_read(const char *path, int *ifindex, char first[IF_NAMESIZE],
    char final[IF_NAMESIZE])
{
	char line[64], end;
	struct stat st;
	ssize_t n;
	int fd;

	/* Not blocking on a FIFO someone put there: a file, or nothing. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return -1;
	n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    read(fd, line, sizeof(line) - 1) : -1;
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	if (sscanf(line, "%d %15s %15s%c", ifindex, first, final, &end) != 4 ||
	    end != '\n' || *ifindex <= 0)
		return -1;
	return 0;
}

/*
 * Delete the interface of the record at path, if it still is the one on
 * record (what who names: a vif gone, or this vif's earlier one).  True
 * when the record has served (whatever became of the interface); false
 * if it could not be told whether the interface is there.
 */
static bool
ifrec_take_up(struct xvifd *xd, const char *path, const char *who)
{
	char first[IF_NAMESIZE], final[IF_NAMESIZE], now[IF_NAMESIZE];
	struct xvif *holder;
	struct hp *hp;
	int ifindex, rc;

	if (ifrec_read(path, &ifindex, first, final) < 0) {
		log_warnx("interface record %s: not readable, dropped", path);
		return true;
	}
	if (if_indextoname((unsigned int)ifindex, now) == NULL) {
		if (errno == ENXIO || errno == ENODEV)
			return true;	/* gone with its namespace, or by hand */
		log_warn("%s: interface %d (looked at again later)", who,
		    ifindex);
		return false;
	}
	if (strcmp(now, first) != 0 && strcmp(now, final) != 0) {
		log_info("%s: interface %d is %s now, not %s: left alone", who,
		    ifindex, now, final);
		return true;
	}
	if ((holder = ifrec_holder(xd, ifindex)) != NULL) {
		log_info("%s: its interface %s is %s's now", who, now,
		    holder->vif_tag);
		return true;
	}
	if ((rc = hp_open(xd->xd_hp_ops, now, &hp)) < 0) {
		log_warnc(-rc, "%s: interface %s left", who, now);
		return true;
	}
	/* Renamed or replaced between the look and the open: not it. */
	if (hp_ifindex(hp) != ifindex) {
		hp_close(hp, !hp->hp_reattached);
		return true;
	}
	hp_close(hp, true);
	log_info("%s: interface %s deleted", who, now);
	return true;
}

/*
 * A record of this vif's domid.handle that names another interface is of
 * an earlier vif of that name: a domain gone while no xvifd ran whose id
 * the toolstack gave again, the earlier interface named otherwise (a
 * vifname).  That interface is no vif's now: taken up before the record
 * is written over (without it, it stayed for ever).
 */
static void
ifrec_earlier(struct xvif *vif, const char *path, int ifindex)
{
	char first[IF_NAMESIZE], final[IF_NAMESIZE], who[96];
	int was;

	if (ifrec_read(path, &was, first, final) < 0 || was == ifindex)
		return;
	snprintf(who, sizeof(who), "%s: an earlier vif %u.%u",
	    vif->vif_tag, vif->vif_domid, vif->vif_handle);
	(void)ifrec_take_up(vif->vif_d, path, who);
}

/*
 * The interface a predecessor served this vif with, renamed since (by
 * hand, while no xvifd ran; renames while it runs are followed by
 * ifindex): its name now, in buf (IF_NAMESIZE), and its ifindex in
 * *ifindexp, or NULL.  By the vif's
 * record: that ifindex is there under another name than the final one,
 * the record is this vif's (that final name), and no vif of ours holds it.
 * Asked for a vif a predecessor served only (xbus_first_name): a new
 * vif's record is an earlier vif's (ifrec_earlier).  Without it, the
 * restart made a fresh TAP of the old name -- no address, no bridge port,
 * no hotplug script to run -- and the guest was cut off, "re-attached".
 */
const char *
vif_ifrecord_renamed(struct xvif *vif, char *buf, int *ifindexp)
{
	char path[XVIF_PATH_MAX + 16], first[IF_NAMESIZE], final[IF_NAMESIZE];
	char now[IF_NAMESIZE];
	struct stat st;
	int ifindex;

	ifrec_path(vif->vif_d, vif->vif_domid, vif->vif_handle, path,
	    sizeof(path));
	if (ifrec_read(path, &ifindex, first, final) < 0 ||
	    strcmp(final, vif->vif_name) != 0 ||
	    if_indextoname((unsigned int)ifindex, now) == NULL ||
	    strcmp(now, final) == 0 ||
	    ifrec_holder(vif->vif_d, ifindex) != NULL)
		return NULL;
	/* A TAP (tun's own attribute): an ifindex a stale record names may
	 * be another kind of device's by now. */
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", now);
	if (stat(path, &st) < 0)	/* (newfstatat: seccomp has no access) */
		return NULL;
	/* (Under the name it was opened with: not renamed, or renamed by
	 * hand already before -- the record then has that name first.) */
	if (strcmp(now, first) != 0)
		log_info("%s: its interface %s is %s now (renamed while no "
		    "xvifd ran): that one is the vif's", vif->vif_tag, first,
		    now);
	/* buf only now: the caller logs it as the vif's first name. */
	memcpy(buf, now, sizeof(now));
	*ifindexp = ifindex;
	return buf;
}

/*
 * Is the interface of this name, which the vif is about to attach to,
 * another vif's by that vif's record (its backend directory still there)?
 * Its tag in tag (len) if so.  A restart makes the vifs in the order
 * XenStore lists them: one refused earlier for a name in use (its
 * directory stays, as libxl leaves a failed attach's), listed before the
 * vif whose interface that name is, took the interface over -- bridge,
 * addresses, guest's frames -- and the rightful vif was refused.  The
 * records are read only when an interface of the name is there and the
 * vif's own record does not name it: not on an ordinary restart (the
 * first after an upgrade from a version without records reads them all
 * for each vif).
 */
bool
vif_ifrecord_claimed(struct xvif *vif, const char *name, char *tag,
    size_t len)
{
	struct xvifd *xd = vif->vif_d;
	char path[XVIF_PATH_MAX + 64], first[IF_NAMESIZE], final[IF_NAMESIZE];
	unsigned int domid, handle;
	struct dirent *de;
	bool claimed = false;
	int ifindex, was;
	DIR *d;

	if ((ifindex = (int)hp_link_index(name)) <= 0)
		return false;
	ifrec_path(xd, vif->vif_domid, vif->vif_handle, path, sizeof(path));
	if (ifrec_read(path, &was, first, final) == 0 && was == ifindex)
		return false;
	if ((d = opendir(xd->xd_state_dir)) == NULL)
		return false;
	while (!claimed && (de = readdir(d)) != NULL) {
		if (priv_vif_file(de->d_name, &domid, &handle) !=
		    PRIV_VIF_IFRECORD ||
		    (domid == vif->vif_domid && handle == vif->vif_handle))
			continue;
		ifrec_path(xd, (domid_t)domid, handle, path, sizeof(path));
		/* Still that vif's: the interface under a name the record
		 * gives, the vif's directory there and of that name. */
		if (ifrec_read(path, &was, first, final) == 0 &&
		    was == ifindex && (strcmp(name, first) == 0 ||
		    strcmp(name, final) == 0) &&
		    xbus_vif_named(xd, domid, handle, final)) {
			snprintf(tag, len, "xvif%ui%u", domid, handle);
			claimed = true;
		}
	}
	closedir(d);
	return claimed;
}

#ifdef XVIFD_FAULTS
/*
 * The test build's fault points armed per domain (xvifd-faults, which
 * builds this file and xbus.c with them; the product has none): is env
 * set to this vif's domid?  A value it cannot read stops the daemon: a
 * test that meant to arm a fault must not run unarmed.
 */
bool
vif_fault_for(const struct xvif *vif, const char *env)
{
	const char *e = getenv(env);
	unsigned long d;

	if (e == NULL)
		return false;
	if (proto_parse_uint(e, DOMID_FIRST_RESERVED - 1, &d) < 0)
		fatalx("%s=%s: want a domid", env, e);
	return d == vif->vif_domid;
}

/*
 * XVIFD_TEST_KILL_AT_IFRECORD=D kills the daemon when it has opened
 * domain D's record and written nothing yet -- where a record opened with
 * O_TRUNC was left empty, and its interface for ever.
 */
static void
ifrec_fault(const struct xvif *vif)
{
	if (vif_fault_for(vif, "XVIFD_TEST_KILL_AT_IFRECORD"))
		raise(SIGKILL);
}
#else
static void
ifrec_fault(const struct xvif *vif)
{
}
#endif

/*
 * After its TAP is opened (made, re-attached or made again): say which
 * interface is the vif's.  The record is written over in place, never
 * truncated first: a daemon killed in between leaves the old record (the
 * same vif's, naming its interface as it was), and a new line shorter
 * than the old has the old one's tail after its newline, which the reader
 * ignores.  A new record cut short by a crash does not parse and is only
 * dropped at the next start.
 */
void
vif_ifrecord_write(struct xvif *vif, const char *first)
{
	char path[XVIF_PATH_MAX + 16], line[64];
	struct stat st;
	int fd, ifindex, n;

	if ((ifindex = hp_ifindex(vif->vif_hp)) <= 0)
		return;		/* not an interface (a test's port) */
	n = snprintf(line, sizeof(line), "%d %s %s\n", ifindex, first,
	    vif->vif_name);
	ifrec_path(vif->vif_d, vif->vif_domid, vif->vif_handle, path,
	    sizeof(path));
	ifrec_earlier(vif, path, ifindex);
	/* Not blocking on a FIFO someone put there (ifrec_read does not
	 * either): the main loop would stop with it.  A file, ours alone. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1)) {
		log_warnx("%s: interface record %s: not a file of ours (a "
		    "FIFO, a device, a hard link): not written", vif->vif_tag,
		    path);
		close(fd);
		return;
	}
	if (fd >= 0)
		ifrec_fault(vif);
	if (fd < 0 || write(fd, line, (size_t)n) != n ||
	    ftruncate(fd, n) < 0)
		log_warn("%s: interface record %s (an interface left by a "
		    "guest destroyed while no xvifd runs stays)", vif->vif_tag,
		    path);
	if (fd >= 0)
		close(fd);
}

/* Its interface is deleted, or it is no longer ours: so is the record. */
void
vif_ifrecord_remove(struct xvif *vif)
{
	char path[XVIF_PATH_MAX + 16];

	ifrec_path(vif->vif_d, vif->vif_domid, vif->vif_handle, path,
	    sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("%s: remove %s", vif->vif_tag, path);
}

/*
 * A vif destroyed (its directory gone) holding no interface, whose record
 * names one: the interface it re-attached to and was refused with, kept
 * then for a restart (xbus_refuse).  It goes now, as the vif's own TAP
 * would, and the record with it; one that cannot be told stays for the
 * next start's sweep.
 */
void
vif_ifrecord_destroy(struct xvif *vif)
{
	char path[XVIF_PATH_MAX + 16];
	struct stat st;

	ifrec_path(vif->vif_d, vif->vif_domid, vif->vif_handle, path,
	    sizeof(path));
	if (stat(path, &st) < 0)	/* none: nothing was kept */
		return;
	if (ifrec_take_up(vif->vif_d, path, vif->vif_tag))
		vif_ifrecord_remove(vif);
}

/*
 * The record of vif domid.handle, gone while no xvifd ran (called by
 * vif_state_sweep): delete its interface.  True when the record has
 * served and goes; false if it is kept, for another look.
 */
bool
vif_ifrecord_take_up(struct xvifd *xd, unsigned int domid, unsigned int handle,
    const char *path)
{
	char who[64];

	snprintf(who, sizeof(who), "vif %u.%u, gone while no xvifd ran",
	    domid, handle);
	return ifrec_take_up(xd, path, who);
}
