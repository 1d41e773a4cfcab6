/*
 * priv.h -- what xvifd may do once set up: one daemon per state directory
 * and per backend domain (two locks), the capabilities it keeps, the user
 * it runs as, and the syscalls it may make (a seccomp allow-list).
 * Called by xvifd.c only, in that order; >= 0 or -errno, no logging
 * (xvifd.c reports).
 */
#ifndef XVIF_PRIV_H
#define XVIF_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PRIV_LOCK_NAME	"xvifd.lock"	/* in the state directory */
/* Beside each vif's journal, <domid>.<handle>: its interface record. */
#define VIF_IFRECORD_SUFFIX	".if"		/* vif_ifrecord.c */
#define PRIV_VIF_JOURNAL	1	/* priv_vif_file's kinds */
#define PRIV_VIF_IFRECORD	2
int	priv_vif_file(const char *name, unsigned int *domid,
	    unsigned int *handle);

/* The user to run as (--user), looked up before anything is opened. */
struct priv_user {
	char	pu_name[64];
	uid_t	pu_uid;
	gid_t	pu_gid;
};

/* -ENOENT: no such user. */
int	priv_user_lookup(const char *name, struct priv_user *);
/* The group that may use the control socket (--ctl-group); -ENOENT. */
int	priv_group_lookup(const char *name, gid_t *);

/*
 * Take the exclusive lock <dir>/xvifd.lock for the life of the process
 * (an flock(2) on an O_CLOEXEC fd that is never closed) and write our pid
 * into it.  -EWOULDBLOCK if another process holds it: *holder is then the
 * pid written there (0 if none could be read).  A positive errno: the
 * lock is ours, but the pid could not be written (a full directory).
 */
int	priv_lock(const char *dir, pid_t *holder);

/*
 * The second lock, on what is served rather than on where its state is
 * kept: an flock(2) on path for the life of the process (made, 0600, if
 * create).  A lock file in the state directory can be removed by hand,
 * or another --state-dir given, and a second xvifd then took its own.
 * On Xen path is the grant device, /dev/xen/gntdev, which every xvifd of
 * a domain opens and which only root may open: nobody else can take the
 * lock first, as anyone could bind an abstract socket's name.
 * -EWOULDBLOCK if held.
 */
int	priv_lock_domain(const char *path, bool create);

/*
 * Give the state directory, its lock, journals and control socket to
 * uid:gid, the user journals will be made by after priv_drop (which has
 * no CAP_DAC_OVERRIDE, not even as root), with mode (0700, or 0710 for
 * --ctl-group).  Everything in it first and the directory last, so that
 * root needs to be no more than its owner (the unit's bounding set has
 * no CAP_FOWNER or CAP_DAC_OVERRIDE).  -EACCES if the directory is
 * shared (world-writable or sticky: /tmp), or someone else's and open to
 * group or others: not a directory of ours (group search alone, 0710, is
 * what --ctl-group makes, and is allowed).  -ENOTEMPTY, the name in
 * foreign, and -ELOOP as priv_check_dir: checked again on the directory
 * it changes.  A file with more than one link is left as it is.
 */
int	priv_give_dir(const char *dir, uid_t uid, gid_t gid, mode_t mode,
	    char *foreign, size_t foreignsz);

/*
 * Before anything is put in the state directory: may xvifd use it, to be
 * given to uid:gid with mode (priv_give_dir's)?  0; -EACCES if shared or
 * someone else's and open to others (as priv_give_dir), -EPERM if a third
 * user's, -ENOTDIR, -ELOOP if dir itself is a symbolic link (what it
 * points at would be given away); -ENOTEMPTY if it is not uid:gid's
 * with mode yet and holds a name that is not one xvifd makes (/run,
 * /etc: a directory of others that xvifd would make 0700 and give
 * away), that name in foreign (foreignsz bytes).  One already as xvifd
 * wants it may hold others' files: they are left alone.
 */
int	priv_check_dir(const char *dir, uid_t uid, gid_t gid, mode_t mode,
	    char *foreign, size_t foreignsz);

/*
 * Drop to CAP_NET_ADMIN alone (effective, permitted; nothing inheritable
 * or ambient; the bounding set too when we may), become pu if not NULL,
 * and set no_new_privs.  Capabilities are per thread: call before any
 * thread exists (-EBUSY if one does).  *what names the step that failed.
 */
int	priv_drop(const struct priv_user *pu, const char **what);

/*
 * Arm the syscall allow-list on every thread: anything else kills the
 * process with SIGSYS.  Returns how many syscalls are allowed.
 */
int	priv_seccomp(void);
/*
 * The same filter made for arch (SCMP_ARCH_*; the native one or another,
 * as a package for it would have it), not armed, written to fd in
 * libseccomp's PFC text.  Returns how many syscalls it allows.
 */
int	priv_seccomp_show(uint32_t arch, int fd);

#endif
