/*
 * priv.c -- see priv.h.  Owns the lock fd (held until exit) and the
 * policy of what xvifd keeps after setup; owns nothing else.  Setup
 * (hv_open: /dev/xen/gntdev, /dev/xen/evtchn, XenStore; the state
 * directory; the event loop) is done with the privileges xvifd started
 * with; everything after it -- every vif, TAP and journal -- with these.
 *
 * Capabilities kept: CAP_NET_ADMIN only, and why (read in the kernel's
 * drivers/net/tun.c, drivers/xen/{gntdev,evtchn}.c and
 * drivers/xen/xenbus/xenbus_dev_frontend.c; tried by running every test
 * with it alone, and xvifd without it):
 *   - CAP_NET_ADMIN: TUNSETIFF creating a TAP for a new vif, and
 *     SIOCSIFHWADDR setting its MAC (both fail with EPERM without it;
 *     re-attaching to an existing persistent TAP that has no owner needs
 *     none), SIOCSIFFLAGS and SIOCSIFMTU (hp_tap's link up and MTU).
 *     TUNSETPERSIST and TUNSETCARRIER need only the attached fd.
 *   - nothing for Xen: gntdev, evtchn and xenbus check no capability in
 *     open, ioctl or mmap (the device file's mode is the only gate), and
 *     all three are opened during setup anyway.  Grant copies pin pages
 *     with pin_user_pages (no mlock, so no CAP_IPC_LOCK).
 *   - no CAP_DAC_OVERRIDE: the files opened after setup are the state
 *     directory's (given to our user by priv_give_dir), /dev/net/tun
 *     (which the user must be able to open: udev makes it 0666) and, on
 *     the simulated host, the host's files, which must then be ours (see
 *     tests/sh/t_xvifd_priv.sh).
 *   - no CAP_SETUID/CAP_SETGID/CAP_SETPCAP: used during setup only.
 *
 * Syscalls allowed: priv_syscalls[] below and a few with their
 * arguments checked (socket, getsockopt, setsockopt, clone, kill,
 * tgkill): what `strace -f` shows
 * xvifd making after setup in every tests/sh/t_xvifd_* flow on the
 * simulated host (attach, detach, traffic, restarts, crashes, SIGUSR1,
 * SIGTERM), plus what the real-Xen path makes and only `make e2e` runs:
 * libxengnttab, libxenevtchn and libxenstore (Xen 4.17's sources) use
 * ioctl, mmap, munmap, read and write on the /dev/xen devices or the
 * xenstored socket, and usleep on a paged-out grant; a PV dom0's clock
 * may make clock_gettime a real syscall.  Sanitizer builds add what their
 * runtimes make at exit (LeakSanitizer stops the world with clone and
 * ptrace).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <xen/xen.h>		/* domid_t, for xen/sys/evtchn.h */
#include <xen/sys/evtchn.h>
#include <xen/sys/gntdev.h>

#include "ctl.h"
#include "priv.h"

/*
 * What the filter does to any other syscall.  Building with
 * -DPRIV_FILTER_DEFAULT=SCMP_ACT_LOG instead (e.g. make CC="cc
 * -DPRIV_FILTER_DEFAULT=SCMP_ACT_LOG") lets them through and lists them in
 * the kernel's audit log (dmesg: "audit: type=1326 ... syscall=N"): how
 * to find a gap without losing the run.
 */
#ifndef PRIV_FILTER_DEFAULT
#define PRIV_FILTER_DEFAULT	SCMP_ACT_KILL_PROCESS
#endif

#if defined(__SANITIZE_ADDRESS__)
#define PRIV_SANITIZER	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRIV_SANITIZER	1
#endif
#endif

int
priv_user_lookup(const char *name, struct priv_user *pu)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return errno != 0 ? -errno : -ENOENT;
	if (strlen(name) >= sizeof(pu->pu_name))
		return -ENAMETOOLONG;
	strcpy(pu->pu_name, name);
	pu->pu_uid = pw->pw_uid;
	pu->pu_gid = pw->pw_gid;
	return 0;
}

int
priv_group_lookup(const char *name, gid_t *gid)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL)
		return errno != 0 ? -errno : -ENOENT;
	*gid = gr->gr_gid;
	return 0;
}

/* -- The lock. -- */

int
priv_lock(const char *dir, pid_t *holder)
{
	char path[512], buf[32];
	ssize_t n;
	long pid;
	int fd, len, rc;

	*holder = 0;
	snprintf(path, sizeof(path), "%s/" PRIV_LOCK_NAME, dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			if (sscanf(buf, "%ld", &pid) == 1 && pid > 0)
				*holder = (pid_t)pid;
		}
		close(fd);
		return rc;
	}
	/*
	 * Ours until we exit: the fd is never closed (nor inherited).  The
	 * pid is for the message of a second xvifd only: a state directory
	 * too full to take it (a tmpfs /run) does not stop us.
	 */
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, len, 0) != len)
		return errno != 0 ? errno : EIO;
	return 0;
}

int
priv_lock_domain(const char *path, bool create)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    (create ? O_CREAT : 0), 0600)) < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return 0;	/* ours until we exit: never closed */
}

/* -- The state directory's owner. -- */

/*
 * A vif's file in the state directory, by its name: PRIV_VIF_JOURNAL for
 * <domid>.<handle> (vif_journal.c), PRIV_VIF_IFRECORD for the same with
 * VIF_IFRECORD_SUFFIX (vif_ifrecord.c), with its domid and handle; 0 for
 * any other name, one we would not give (01.2, 1.2.iface).
 */
int
priv_vif_file(const char *name, unsigned int *domid, unsigned int *handle)
{
	char again[64];
	size_t n;

	if (sscanf(name, "%u.%u", domid, handle) != 2)
		return 0;
	snprintf(again, sizeof(again), "%u.%u", *domid, *handle);
	n = strlen(again);
	if (strncmp(again, name, n) != 0)
		return 0;
	if (name[n] == '\0')
		return PRIV_VIF_JOURNAL;
	return strcmp(name + n, VIF_IFRECORD_SUFFIX) == 0 ?
	    PRIV_VIF_IFRECORD : 0;
}

static bool
priv_ours(const char *name)
{
	unsigned int domid, handle;

	return strcmp(name, PRIV_LOCK_NAME) == 0 ||
	    strcmp(name, CTL_SOCK_NAME) == 0 ||
	    priv_vif_file(name, &domid, &handle) != 0;
}

/*
 * Is the directory st describes one xvifd may use, to be given to
 * uid:gid?  Never a shared one (/tmp), whoever owns it, nor one its group
 * may write to (the control group's members are people: one could put a
 * file of a journal's name in it before root makes it xvifd's), nor one
 * open to others that is not uid:gid's already (-EACCES: only a private
 * one, or one whose group may only reach the control socket); nor one of
 * a third user's (-EPERM), who could swap what root makes in it for a
 * symlink.
 */
static bool
priv_owned_by(const struct stat *st, uid_t uid, gid_t gid)
{
	return st->st_uid == uid && st->st_gid == gid;
}

/* Nothing of the directory left to change. */
static bool
priv_dir_as_wanted(const struct stat *st, uid_t uid, gid_t gid, mode_t mode)
{
	return (st->st_mode & 07777) == mode && priv_owned_by(st, uid, gid);
}

static int
priv_dir_ok(const struct stat *st, uid_t uid, gid_t gid)
{
	if ((st->st_mode & (S_ISVTX | S_IWOTH | S_IWGRP)) != 0 ||
	    (!priv_owned_by(st, uid, gid) && (st->st_mode & 067) != 0))
		return -EACCES;
	if (st->st_uid != geteuid() && st->st_uid != uid)
		return -EPERM;
	return 0;
}

/*
 * The first name in d that xvifd does not make, in foreign: a directory
 * that holds others' files is not ours to make 0700 and give away.
 */
static int
priv_dir_foreign(DIR *d, char *foreign, size_t foreignsz)
{
	struct dirent *de;

	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || priv_ours(de->d_name))
			continue;
		snprintf(foreign, foreignsz, "%s", de->d_name);
		return -ENOTEMPTY;
	}
	return -errno;		/* 0 at the end; a read that failed is no "none" */
}

/*
 * The state directory itself, never a symbolic link put in its place:
 * what a link points at (/lost+found, a service's private directory) is
 * not ours to make 0700 and give away.  A link on the way to it (/var/run)
 * is followed.
 */
static DIR *
priv_opendir(const char *dir)
{
	struct stat st;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		/* A link to a directory: ENOTDIR, as O_DIRECTORY sees it. */
		if (errno == ENOTDIR && lstat(dir, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			errno = ELOOP;
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

int
priv_check_dir(const char *dir, uid_t uid, gid_t gid, mode_t mode,
    char *foreign, size_t foreignsz)
{
	struct stat st;
	DIR *d;
	int rc;

	if (lstat(dir, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if ((rc = priv_dir_ok(&st, uid, gid)) < 0)
		return rc;
	if (priv_dir_as_wanted(&st, uid, gid, mode))
		return 0;
	/* One we may not list is one we cannot use: the lock will say so. */
	if ((d = priv_opendir(dir)) == NULL)
		return 0;
	rc = priv_dir_foreign(d, foreign, foreignsz);
	closedir(d);
	return rc;
}

/*
 * priv_check_dir looked at the directory by its name, before the lock and
 * the socket were made in it; whoever may write its parent could have put
 * another in its place since.  What is given away is checked again here,
 * through the handle that changes it.
 */
int
priv_give_dir(const char *dir, uid_t uid, gid_t gid, mode_t mode,
    char *foreign, size_t foreignsz)
{
	struct dirent *de;
	struct stat st, dst;
	DIR *d;
	int dfd, rc = 0;

	if ((d = priv_opendir(dir)) == NULL)
		return -errno;		/* -ELOOP: a symbolic link */
	dfd = dirfd(d);
	if (fstat(dfd, &dst) < 0)
		rc = -errno;
	else
		rc = priv_dir_ok(&dst, uid, gid);
	if (rc == 0 && !priv_dir_as_wanted(&dst, uid, gid, mode)) {
		rc = priv_dir_foreign(d, foreign, foreignsz);
		rewinddir(d);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!priv_ours(de->d_name))
			continue;
		/*
		 * A hard link is not a file we made (each is made afresh):
		 * one named as ours could be another's file, given away.
		 */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_nlink != 1)
			continue;	/* gone, or not a file we make */
		if (!priv_owned_by(&st, uid, gid) &&
		    fchownat(dfd, de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) < 0)
			rc = -errno;
	}
	/* The directory last: once it is uid's, root is no longer its owner. */
	if (rc == 0 && (dst.st_mode & 07777) != mode && fchmod(dfd, mode) < 0)
		rc = -errno;
	if (rc == 0 && !priv_owned_by(&dst, uid, gid) &&
	    fchown(dfd, uid, gid) < 0)
		rc = -errno;
	closedir(d);
	return rc;
}

/* -- Capabilities and the user. -- */

/* What xvifd keeps: see the top of this file. */
static const cap_value_t priv_keep[] = { CAP_NET_ADMIN };

/* 1 thread: capabilities set now reach every thread there will be. */
static int
priv_one_thread(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return 0;	/* no /proc: cannot tell */
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 1 ? -EBUSY : 0;
}

int
priv_drop(const struct priv_user *pu, const char **what)
{
	cap_flag_value_t setpcap = CAP_CLEAR;
	cap_value_t c;
	cap_t caps;
	int rc;

	*what = "threads";
	if ((rc = priv_one_thread()) < 0)
		return rc;

	/*
	 * The bounding set, which limits what any exec could ever regain:
	 * dropping from it takes CAP_SETPCAP, which a start as root has.
	 * Started without it (a service manager gave us CAP_NET_ADMIN
	 * alone), the manager's bounding set is the one that holds.
	 */
	*what = "capabilities";
	if ((caps = cap_get_proc()) == NULL)
		return -errno;
	rc = cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
	cap_free(caps);
	if (rc < 0)
		return -errno;
	*what = "capability bounding set";
	for (c = 0; setpcap == CAP_SET && CAP_IS_SUPPORTED(c); c++)
		if (c != CAP_NET_ADMIN && cap_drop_bound(c) < 0)
			return -errno;

	/* The user: keep the permitted set across the change, then trim. */
	if (pu != NULL) {
		*what = "user";
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
		    initgroups(pu->pu_name, pu->pu_gid) < 0 ||
		    setresgid(pu->pu_gid, pu->pu_gid, pu->pu_gid) < 0 ||
		    setresuid(pu->pu_uid, pu->pu_uid, pu->pu_uid) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return -errno;
	} else if (geteuid() == 0 && setgroups(0, NULL) < 0 &&
	    errno != EPERM) {
		/* Root stays root (xvifd.c warns): with no group beyond its
		 * own, at least (EPERM: a manager took CAP_SETGID away). */
		*what = "supplementary groups";
		return -errno;
	}

	/* Permitted and effective: priv_keep; inheritable: nothing. */
	*what = "capabilities (CAP_NET_ADMIN)";
	if ((caps = cap_init()) == NULL)
		return -errno;
	if (cap_set_flag(caps, CAP_PERMITTED, 1, priv_keep, CAP_SET) < 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, 1, priv_keep, CAP_SET) < 0 ||
	    cap_set_proc(caps) < 0) {
		rc = -errno;
		cap_free(caps);
		return rc;
	}
	cap_free(caps);
	*what = "ambient capabilities";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)	/* EINVAL: a kernel without ambient sets */
		return -errno;
	*what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* -- The syscall allow-list. -- */

/*
 * Said ENOSYS to, as a kernel without them would, so that the caller
 * falls back: clone3 (to clone, whose flags a filter sees), memfd_create
 * (libsystemd's journal, to a file in /dev/shm): see priv_rules.
 */
static const char *const priv_enosys[] = { "clone3", "memfd_create" };

/*
 * Allowed with any arguments; a name libseccomp does not know on this
 * architecture is skipped.  "seen": made after setup in the tests (strace
 * -f over tests/sh/t_xvifd_*.sh); "xen": made on the real-Xen path by the
 * Xen libraries, or the same call from another libc path, and kept
 * generously because only `make e2e` runs it.
 */
static const char *const priv_syscalls[] = {
	/* The loop and signals (ev.c, signalfd): seen; the rest xen. */
	"epoll_wait", "epoll_ctl", "epoll_pwait", "epoll_pwait2",
	"epoll_create1", "poll", "ppoll",
	"read", "write", "readv", "writev", "close",
	/* TAP frames in batches (hp_tap_batch.c): each worker's ring, made
	 * before the filter, may only readv, writev and cancel.  No new
	 * ring (io_uring_setup, io_uring_register): its operations would
	 * be no system calls this filter sees. */
	"io_uring_enter",
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "restart_syscall",
	/* Time: the vDSO's fallbacks (a PV dom0's clock may have no vDSO);
	 * libxengnttab usleep()s on a paged-out grant. */
	"clock_gettime", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep",
	/* Memory: malloc, ring maps (gntdev mmap), journals, staging. */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* Threads: libxenstore's reader (futex), the simulated host's
	 * spinlock (sched_yield, getpid), thread exit. */
	"futex", "set_robust_list", "rseq", "sched_yield", "getpid",
	"gettid", "exit", "exit_group", "getrandom",
	/* Files: /dev/net/tun; journals (their space taken at once:
	 * fallocate), their sweep and removal; the simulated host's domain
	 * files and FIFOs (mknodat, unlink, OFD locks); libgcc_s, which
	 * pthread_cancel() loads at exit (openat, newfstatat, pread64, mmap,
	 * close); /dev/null at --daemon (dup2); syslog(3)'s first
	 * localtime() reads /etc/localtime (lseek).  Where an architecture
	 * has no unlink, dup2 (aarch64), glibc makes unlinkat, dup3. */
	"openat", "fstat", "newfstatat", "lseek", "pread64", "ftruncate",
	"fallocate", "unlink", "unlinkat", "mknodat", "getdents64", "fcntl",
	"dup", "dup2", "dup3", "pipe2", "eventfd2",
	/* syslog(3) (reconnects after a syslogd restart), XenStore. */
	"connect", "sendto", "sendmsg", "recvmsg",
	/* sd_notify(3) (notify.c): whether to send credentials. */
	"getuid", "geteuid", "getgid", "getegid",
	/* The control socket's clients (ctl.c). */
	"accept4",
};

#ifdef PRIV_SANITIZER
/*
 * ASan/LSan/UBSan: LeakSanitizer at exit stops the world (a tracer task
 * made by clone, which ptraces every thread and lists them with open,
 * getdents, lseek; the filter is inherited: a tracer killed leaves the
 * daemon spinning), and reports read /proc/self/maps.  Found with
 * PRIV_FILTER_DEFAULT=SCMP_ACT_LOG over the t_xvifd_* tests.
 */
static const char *const priv_syscalls_san[] = {
	"clone", "ptrace", "wait4", "waitid", "prctl", "getppid", "open",
	"getdents", "lseek", "sched_getaffinity", "prlimit64", "getrlimit",
	"kill", "tgkill", "tkill", "sigaltstack", "mincore",
};
#endif

/* The architecture the filter is made for: the native one, or a test's. */
static uint32_t priv_arch;

/*
 * The number a rule takes for name, or -1 if there is no such syscall on
 * the filter's architecture.  libseccomp gives a name another
 * architecture has a negative pseudo number (aarch64 has no epoll_wait,
 * poll, unlink, dup2, open, time), of which no rule can be made (EFAULT:
 * xvifd could not start there); glibc calls the replacement (epoll_pwait,
 * ppoll, unlinkat...), which the list names too.  Rules take this
 * machine's numbers, which libseccomp translates by name.
 */
static int
priv_nr(const char *name)
{
	int nr;

	if (seccomp_syscall_resolve_name_arch(priv_arch, name) < 0 ||
	    (nr = seccomp_syscall_resolve_name(name)) < 0)
		return -1;
	return nr;
}

/* Allow one name; 1 if added, 0 if there is no such syscall (priv_nr). */
static int
priv_allow(scmp_filter_ctx ctx, const char *name, unsigned int n,
    const struct scmp_arg_cmp *args)
{
	int nr, rc;

	if ((nr = priv_nr(name)) < 0)
		return 0;
	if ((rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n,
	    args)) < 0)
		return rc == -EEXIST ? 0 : rc;
	return 1;
}

/*
 * ioctl(): the requests xvifd makes, and no other.  xvifd keeps
 * CAP_NET_ADMIN, with which any SIOC* request would readdress, rename or
 * take down any interface of the host, change its routes, ARP entries
 * and bridges: what a guest that took xvifd over would do with it.  It
 * needs TUN* on its TAPs, SIOC[GS]IFFLAGS, SIOCSIFMTU and SIOCSIFHWADDR
 * on them (hp_tap.c), glibc's if_indextoname and (hp_link.c's fallback)
 * if_nametoindex (SIOCGIFNAME, SIOCGIFINDEX), libxengnttab's (map,
 * unmap, the offset of a mapping, its unmap notification, the grant
 * copy) and libxenevtchn's (bind, unbind, notify; hv_xen.c's reset),
 * and the TCGETS of stdio's isatty.  The kernel reads the request as
 * 32 bits: only those are compared.  Anything else is the filter's
 * default, a kill, as for a system call not listed; TIOCSTI, which
 * pushes input into the terminal of the admin who ran xvifd by hand,
 * among them.  Returns how many syscalls it allowed (1).
 */
static int
priv_allow_ioctl(scmp_filter_ctx ctx)
{
	static const unsigned long requests[] = {
		TUNSETIFF, TUNGETIFF, TUNSETPERSIST, TUNSETVNETHDRSZ,
		TUNSETOFFLOAD, TUNSETCARRIER, TUNSETOWNER,
		SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCSIFMTU, SIOCSIFHWADDR,
		SIOCGIFINDEX, SIOCGIFNAME,
		IOCTL_GNTDEV_MAP_GRANT_REF, IOCTL_GNTDEV_UNMAP_GRANT_REF,
		IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, IOCTL_GNTDEV_SET_UNMAP_NOTIFY,
		IOCTL_GNTDEV_GRANT_COPY,
		IOCTL_EVTCHN_BIND_INTERDOMAIN, IOCTL_EVTCHN_UNBIND,
		IOCTL_EVTCHN_NOTIFY, IOCTL_EVTCHN_RESET,
		TCGETS,
	};
	struct scmp_arg_cmp a;
	unsigned int i;
	int rc;

	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
		    (scmp_datum_t)(requests[i] & 0xffffffffu));
		if ((rc = priv_allow(ctx, "ioctl", 1, &a)) < 0)
			return rc;
	}
	return 1;
}

/*
 * Socket options: sd_notify(3) (notify.c), for READY=1 and STOPPING=1,
 * sizes its datagram socket's send buffer first: getsockopt and
 * setsockopt of SOL_SOCKET SO_SNDBUF and SO_SNDBUFFORCE (failures
 * ignored).  The control socket reads a client's credentials
 * (getsockopt SO_PEERCRED: ctl.c's cap per user).  No other option may
 * be read or set.  Returns how many syscalls it allowed.
 */
static int
priv_allow_sockopts(scmp_filter_ctx ctx)
{
	static const struct {
		const char	*call;
		int		 opt;
	} rules[] = {
		{ "getsockopt", SO_SNDBUF }, { "getsockopt", SO_SNDBUFFORCE },
		{ "getsockopt", SO_PEERCRED },
		{ "setsockopt", SO_SNDBUF }, { "setsockopt", SO_SNDBUFFORCE },
	};
	struct scmp_arg_cmp a[2];
	unsigned int i;
	int n = 0, rc;

	a[0] = SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		a[1] = SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)rules[i].opt);
		if ((rc = priv_allow(ctx, rules[i].call, 2, a)) < 0)
			return rc;
		/* A call counts once, with its first rule. */
		if (i == 0 || strcmp(rules[i].call, rules[i - 1].call) != 0)
			n += rc;
	}
	return n;
}

/* The filter's rules into ctx; how many syscalls it allows, or -errno. */
static int
priv_rules(scmp_filter_ctx ctx)
{
	/*
	 * socket() families: AF_UNIX for syslog's reconnect and for the
	 * socket glibc's if_indextoname() opens; AF_INET for the TAP's
	 * SIOC* socket.  hp_link.c's rtnetlink socket is made before the
	 * filter, and no other can be.
	 */
	static const int families[] = { AF_UNIX, AF_INET };
	struct scmp_arg_cmp sa[2];
#ifndef PRIV_SANITIZER
	struct scmp_arg_cmp a;
#endif
	unsigned int i;
	int n = 0, rc;

	for (i = 0; i < sizeof(priv_syscalls) / sizeof(priv_syscalls[0]);
	    i++) {
		if ((rc = priv_allow(ctx, priv_syscalls[i], 0, NULL)) < 0)
			goto out;
		n += rc;
	}
#ifdef PRIV_SANITIZER
	for (i = 0; i < sizeof(priv_syscalls_san) /
	    sizeof(priv_syscalls_san[0]); i++) {
		if ((rc = priv_allow(ctx, priv_syscalls_san[i], 0, NULL)) < 0)
			goto out;
		n += rc;
	}
#endif
	/* socket(): the families above only; AF_INET datagrams only (an
	 * ioctl socket: no stream out of the machine). */
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		sa[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]);
		sa[1] = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM);
		if ((rc = priv_allow(ctx, "socket", families[i] == AF_INET ?
		    2 : 1, sa)) < 0)
			goto out;
		n += i == 0 ? rc : 0;
	}
	/*
	 * ... and any later family says EAFNOSUPPORT, not a kill: glibc's
	 * if_nametoindex() tries AF_UNIX, AF_INET, then AF_INET6 for its
	 * socket, and the third comes only when the first two failed --
	 * out of fds (EMFILE, ENFILE) or memory -- where a kill took every
	 * guest's network down over one vif's look-up.
	 */
	sa[0] = SCMP_A0(SCMP_CMP_GT, AF_INET);
	if ((rc = priv_nr("socket")) >= 0 && (rc = seccomp_rule_add_array(ctx,
	    SCMP_ACT_ERRNO(EAFNOSUPPORT), rc, 1, sa)) < 0)
		goto out;
	if ((rc = priv_allow_ioctl(ctx)) < 0)
		goto out;
	n += rc;
	if ((rc = priv_allow_sockopts(ctx)) < 0)
		goto out;
	n += rc;
	/*
	 * Threads but no processes: clone() with CLONE_THREAD; clone3()
	 * (whose flags a filter cannot see) says ENOSYS (priv_enosys),
	 * and glibc falls back to clone().
	 */
#ifndef PRIV_SANITIZER
	a = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	if ((rc = priv_allow(ctx, "clone", 1, &a)) < 0)
		goto out;
	n += rc;
#endif
	/*
	 * libsystemd's sd_journal_sendv (log.c, --syslog) passes a line
	 * journald's socket will not take (ENOBUFS under memory pressure)
	 * in a memfd, named after the thread: prctl(PR_GET_NAME) is allowed
	 * (it reads our own thread's name), memfd_create says ENOSYS, and
	 * libsystemd tries an unlinked file in /dev/shm instead; should
	 * that fail too, log.c falls back to syslog(3).  Not a kill over a
	 * log line.
	 */
	for (i = 0; i < sizeof(priv_enosys) / sizeof(priv_enosys[0]); i++)
		if ((rc = priv_nr(priv_enosys[i])) >= 0 &&
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), rc,
		    0)) < 0)
			goto out;
#ifndef PRIV_SANITIZER			/* which allows every prctl */
	a = SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME);
	if ((rc = priv_allow(ctx, "prctl", 1, &a)) < 0)
		goto out;
	n += rc;
	/*
	 * No signal to another process: tgkill() to our own threads only
	 * (raise, abort, pthread_cancel), kill() with signal 0 only (the
	 * simulated host's liveness probe).
	 */
	a = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	if ((rc = priv_allow(ctx, "tgkill", 1, &a)) < 0)
		goto out;
	n += rc;
	a = SCMP_A1(SCMP_CMP_EQ, 0);
	if ((rc = priv_allow(ctx, "kill", 1, &a)) < 0)
		goto out;
	n += rc;
#endif
	rc = 0;
out:
	return rc < 0 ? rc : n;
}

/* A filter for arch (SCMP_ARCH_*), with its rules; NULL and *rc if not. */
static scmp_filter_ctx
priv_filter(uint32_t arch, int *rc)
{
	scmp_filter_ctx ctx;

	priv_arch = arch;
	if ((ctx = seccomp_init(PRIV_FILTER_DEFAULT)) == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	if (arch != seccomp_arch_native() &&
	    ((*rc = seccomp_arch_add(ctx, arch)) < 0 ||
	    (*rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0))
		goto fail;
	/* Every thread (libxenstore's reader is running); no_new_privs. */
	if ((*rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;
	/* A binary tree, not a list: the data path's syscalls pay log(n). */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if ((*rc = priv_rules(ctx)) < 0)
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int
priv_seccomp(void)
{
	scmp_filter_ctx ctx;
	int n, rc;

	if ((ctx = priv_filter(seccomp_arch_native(), &n)) == NULL)
		return n;
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc < 0 ? rc : n;
}

int
priv_seccomp_show(uint32_t arch, int fd)
{
	scmp_filter_ctx ctx;
	int n, rc;

	if ((ctx = priv_filter(arch, &n)) == NULL)
		return n;
	rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc < 0 ? rc : n;
}
