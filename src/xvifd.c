/*
 * xvifd -- the xvif backend daemon: options, logging, the choice of
 * hypervisor port, signals, the order of setup and the event loop.
 * Everything else is in xbus.c (control plane), vif*.c (data plane) and
 * priv.c (the lock, capabilities, user, syscall filter).  The only file
 * allowed to call fatal().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "hp_tap_batch.h"
#include "notify.h"
#include "priv.h"
#include "xvif.h"

/*
 * There while xen-netback is loaded, or built in (it has parameters);
 * initstate only for a module.
 */
#define XVIFD_NETBACK_SYSFS	"/sys/module/xen_netback"

/*
 * Exit statuses, for a supervisor to tell a failure that a restart may
 * mend (1: no Xen yet at boot, a worker's event channel device failed,
 * a crash) from one that it cannot (xvifd.service's
 * RestartPreventExitStatus=): the command line (2, as getopt's usage
 * error), and the host refusing this xvifd (78, sysexits.h's EX_CONFIG:
 * another xvifd holds the lock, xen-netback serves the vifs, the state
 * directory is not ours, --user or --ctl-group does not exist, that user
 * may not open /dev/net/tun, privileges cannot be dropped, the kernel
 * has no seccomp filter).  Restarting those every 2 seconds would log
 * the same line for ever and serve no guest.
 */
#define XVIFD_EXIT_USAGE	2
#define XVIFD_EXIT_REFUSED	78
#define usage_errx(...)	fatalx_status(XVIFD_EXIT_USAGE, __VA_ARGS__)
#define refusedx(...)	fatalx_status(XVIFD_EXIT_REFUSED, __VA_ARGS__)

#if defined(__SANITIZE_ADDRESS__)
/*
 * Sanitizer builds (make asan): a leak report is symbolized by a child
 * (llvm-symbolizer, addr2line), forked and exec'ed, which the seccomp
 * filter refuses -- the daemon was killed (SIGSYS) in the middle of its
 * report, and the leak went unseen.  Unsymbolized, the report gives
 * module+offset (addr2line -e xvifd OFFSET).  ASAN_OPTIONS may still
 * say otherwise.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "symbolize=0";
}
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: xvifd [--hv xen|sim] [--sim-dir DIR] [--backend-domid N]\n"
	    "             [--state-dir DIR] [--no-hotplug-wait] [--daemon]\n"
	    "             [--syslog] [--user NAME] [--no-seccomp]\n"
	    "             [--max-queues N] [--workers N] [--ctl-group NAME]\n"
	    "             [--antispoof] [--no-io-uring] [-v]\n"
	    "\n"
	    "  --hv xen|sim        hypervisor: real Xen (the default) or an\n"
	    "                      xvif-sim host (the default with --sim-dir)\n"
	    "  --sim-dir DIR       the xvif-sim host's directory (not with\n"
	    "                      --hv xen)\n"
	    "  --backend-domid N   our own domain id (default 0, dom0)\n"
	    "  --state-dir DIR     where ring responses are staged so that a\n"
	    "                      restart after a crash loses none (default\n"
	    "                      /run/xvifd; with --hv sim, SIM-DIR/xvifd)\n"
	    "  --no-hotplug-wait   go Connected without waiting for the hotplug\n"
	    "                      script's hotplug-status=connected\n"
	    "  --daemon            detach from the terminal once serving\n"
	    "  --syslog            log to syslog instead of stderr\n"
	    "  --user NAME         run as NAME once set up (with CAP_NET_ADMIN)\n"
	    "  --no-seccomp        no syscall filter (an escape hatch)\n"
	    "  --max-queues N      queues a frontend may use (1..%u; default\n"
	    "                      one per CPU, at most %u)\n"
	    "  --workers N         data-path threads (1..%u; default one per\n"
	    "                      CPU)\n"
	    "  --ctl-group NAME    the group that may use the control socket\n"
	    "                      (STATE-DIR/xvifd.sock, for xvifctl)\n"
	    "  --antispoof         drop guest frames not from its MAC and ip\n"
	    "                      key's addresses (a vif's antispoof key,\n"
	    "                      0 or 1, overrides)\n"
	    "  --no-io-uring       one system call per frame to and from the\n"
	    "                      TAPs, not a batch through io_uring\n"
	    "  -v                  more log (repeat for debug)\n",
	    XVIF_QUEUES_MAX, XVIF_QUEUES_MAX, XVIF_WORKERS_MAX);
}

struct xvifd_opts {
	const char	*o_hv;
	const char	*o_sim_dir;
	const char	*o_state_dir;
	const char	*o_user;
	const char	*o_ctl_group;
	unsigned long	 o_domid, o_max_queues, o_workers;
	bool		 o_domid_given;
	bool		 o_no_hotplug_wait, o_daemon, o_syslog, o_no_seccomp;
	bool		 o_antispoof, o_no_io_uring;
	int		 o_verbose;
};

static void
xvifd_parse(int argc, char **argv, struct xvifd_opts *o)
{
	long ncpu;
	static const struct option longopts[] = {
		{ "hv", required_argument, NULL, 'H' },
		{ "sim-dir", required_argument, NULL, 'S' },
		{ "backend-domid", required_argument, NULL, 'D' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "no-hotplug-wait", no_argument, NULL, 'N' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "syslog", no_argument, NULL, 'L' },
		{ "user", required_argument, NULL, 'U' },
		{ "no-seccomp", no_argument, NULL, 'C' },
		{ "max-queues", required_argument, NULL, 'Q' },
		{ "workers", required_argument, NULL, 'W' },
		{ "ctl-group", required_argument, NULL, 'G' },
		{ "antispoof", no_argument, NULL, 'A' },
		{ "no-io-uring", no_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->o_hv = optarg; break;
		case 'S': o->o_sim_dir = optarg; break;
		case 'D':
			if (proto_parse_uint(optarg, DOMID_FIRST_RESERVED - 1,
			    &o->o_domid) < 0)
				usage_errx("--backend-domid %s: not a domain "
				    "id (0..%u)", optarg,
				    DOMID_FIRST_RESERVED - 1);
			o->o_domid_given = true;
			break;
		case 's': o->o_state_dir = optarg; break;
		case 'N': o->o_no_hotplug_wait = true; break;
		case 'd': o->o_daemon = true; break;
		case 'L': o->o_syslog = true; break;
		case 'U': o->o_user = optarg; break;
		case 'G': o->o_ctl_group = optarg; break;
		case 'C': o->o_no_seccomp = true; break;
		case 'A': o->o_antispoof = true; break;
		case 'I': o->o_no_io_uring = true; break;
		case 'W':
			if (proto_parse_uint(optarg, XVIF_WORKERS_MAX,
			    &o->o_workers) < 0 || o->o_workers == 0)
				usage_errx("--workers %s: not a number of "
				    "threads (1..%u)", optarg,
				    XVIF_WORKERS_MAX);
			break;
		case 'Q':
			if (proto_parse_uint(optarg, XVIF_QUEUES_MAX,
			    &o->o_max_queues) < 0 || o->o_max_queues == 0)
				usage_errx("--max-queues %s: not a number of "
				    "queues (1..%u)", optarg, XVIF_QUEUES_MAX);
			break;
		case 'v': o->o_verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	/* As Linux netback: one per CPU, at most XVIF_QUEUES_MAX. */
	if (o->o_max_queues == 0)
		o->o_max_queues = ncpu > XVIF_QUEUES_MAX ? XVIF_QUEUES_MAX :
		    (unsigned long)ncpu;
	if (o->o_workers == 0)
		o->o_workers = ncpu > XVIF_WORKERS_MAX ? XVIF_WORKERS_MAX :
		    (unsigned long)ncpu;
	if (optind != argc)
		usage_errx("unexpected argument '%s' (see xvifd --help)",
		    argv[optind]);
	/*
	 * --sim-dir means the simulated host, on a dom0 too; with --hv xen
	 * it is refused: it would move the backend domain's lock
	 * (xvifd_lock) off /dev/xen/gntdev, and a second xvifd on the same
	 * rings would no longer be turned away.
	 */
	if (o->o_hv == NULL)
		o->o_hv = o->o_sim_dir != NULL ? "sim" : "xen";
	if (strcmp(o->o_hv, "xen") != 0 && strcmp(o->o_hv, "sim") != 0)
		usage_errx("--hv %s: unknown hypervisor (xen or sim)", o->o_hv);
	if (strcmp(o->o_hv, "sim") == 0 && o->o_sim_dir == NULL)
		usage_errx("--hv sim needs --sim-dir DIR (the xvif-sim host's "
		    "directory)");
	if (strcmp(o->o_hv, "xen") == 0 && o->o_sim_dir != NULL)
		usage_errx("--sim-dir is for --hv sim, not --hv xen");
}

/* An absolute path for `in` (relative to the directory we started in). */
static void
xvifd_abspath(const char *what, const char *in, char *out, size_t len)
{
	char cwd[XVIF_PATH_MAX];
	int n;

	if (in[0] == '/')
		n = snprintf(out, len, "%s", in);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("%s %s: current directory", what, in);
	else
		n = snprintf(out, len, "%s/%s", cwd, in);
	if (n < 0 || (size_t)n >= len)
		usage_errx("%s: path longer than %zu bytes", what, len - 1);
}

/*
 * Where the state directory is, as an absolute path: --daemon leaves the
 * directory we started in.  Made (0700, ours alone) by xvifd_state_mkdir
 * once the hypervisor is known to be there.  One per backend domain (its
 * lock admits one xvifd): /run is the backend domain's own on Xen; on a
 * simulated host, shared by all, a driver domain's is SIM-DIR/xvifd.<N>.
 */
static void
xvifd_state_path(const struct xvifd_opts *o, struct xvifd *xd)
{
	char sim[XVIF_PATH_MAX], sock[XVIF_PATH_MAX];

	if (o->o_state_dir != NULL)
		xvifd_abspath("--state-dir", o->o_state_dir, xd->xd_state_dir,
		    sizeof(xd->xd_state_dir));
	else if (strcmp(o->o_hv, "sim") == 0) {
		if (ctl_sim_state_dir(sim, sizeof(sim), o->o_sim_dir,
		    o->o_domid) < 0)
			usage_errx("--sim-dir %s: path too long", o->o_sim_dir);
		xvifd_abspath("--state-dir", sim, xd->xd_state_dir,
		    sizeof(xd->xd_state_dir));
	} else
		xvifd_abspath("--state-dir", CTL_STATE_DIR, xd->xd_state_dir,
		    sizeof(xd->xd_state_dir));
	/* Its control socket's path must fit a sockaddr_un (ctl_open). */
	if (ctl_sock_path(sock, sizeof(sock), xd->xd_state_dir) < 0)
		usage_errx("state directory %s: too long a path for its "
		    "control socket (%zu bytes at most)", xd->xd_state_dir,
		    ctl_state_dir_max());
}

/*
 * On Xen, without --backend-domid: the domain we run in, from XenStore,
 * so that a driver domain needs no option (on a simulated host the
 * option says which domain the connection is).  A dom0 whose "domid" is
 * missing is 0 all the same.
 */
static void
xvifd_own_domid(struct xvifd *xd)
{
	domid_t domid;
	int rc;

	if ((rc = hv_own_domid(xd->xd_hv, &domid)) == -ENOENT) {
		log_debug("no \"domid\" in XenStore: backend domain 0");
		return;
	}
	if (rc == -EINVAL)
		refusedx("XenStore's \"domid\" for us is not a domain id: "
		    "give --backend-domid");
	if (rc < 0)
		fatalx("our domain id: XenStore's \"domid\": %s (or give "
		    "--backend-domid)", strerror(-rc));
	if (domid != 0)
		log_info("backend domain %u (XenStore's \"domid\")",
		    (unsigned int)domid);
	xd->xd_self = domid;
	xd->xd_hv->hv_self = domid;
}

/* Made if missing; priv_check_dir looks at what is there. */
static void
xvifd_state_mkdir(struct xvifd *xd)
{
	/* Its parent may be a file system not mounted yet: exit 1. */
	if (mkdir(xd->xd_state_dir, 0700) < 0 && errno != EEXIST)
		fatal("state directory %s", xd->xd_state_dir);
}

/*
 * The state directory may not be ours to use (priv_check_dir): exit.
 * user: --user's name, NULL if xvifd stays who it started as.
 */
static void
xvifd_state_refused(const struct xvifd *xd, int rc, const char *user,
    const char *foreign)
{
	if (rc == -ENOTDIR)
		refusedx("state directory %s: not a directory",
		    xd->xd_state_dir);
	if (rc == -ELOOP)
		refusedx("state directory %s: a symbolic link, whose target "
		    "xvifd would give away: name the directory itself",
		    xd->xd_state_dir);
	if (rc == -ENOTEMPTY)
		refusedx("state directory %s: holds %s, which xvifd did not "
		    "make, and is not yet its own to use: give xvifd a "
		    "directory of its own", xd->xd_state_dir, foreign);
	if (rc == -EACCES)
		refusedx("state directory %s: shared, writable by its group, or "
		    "owned by someone else and open to others (not 0700): give "
		    "xvifd a directory of its own", xd->xd_state_dir);
	if (rc == -EPERM)
		refusedx("state directory %s: another user's: give xvifd a "
		    "directory of its own", xd->xd_state_dir);
	refusedx("state directory %s (for %s): %s", xd->xd_state_dir,
	    user != NULL ? user : "ourselves", strerror(-rc));
}

/*
 * Two backends must never serve one vif: xen-netback, loaded (or built
 * into the kernel), binds to every backend/vif node of this domain as
 * the toolstack writes it, and would drive the same rings as we do.
 */
static void
xvifd_no_netback(void)
{
	if (access(XVIFD_NETBACK_SYSFS "/initstate", F_OK) == 0)
		refusedx("xen-netback is loaded: it serves the same vifs; "
		    "unload it first (rmmod xen-netback; the xvif package's "
		    "modprobe.d file keeps it from loading again)");
	if (access(XVIFD_NETBACK_SYSFS, F_OK) == 0)
		refusedx("xen-netback is built into this kernel: it serves the "
		    "same vifs; xvifd needs a kernel with it as a module "
		    "(kept from loading) or without it");
}

/*
 * Each vif holds a TAP fd and a socket for its interface ioctls, so the
 * usual soft limit of 1024 open files would stop at about 500 vifs: the
 * soft limit goes up to the hard one (which root could raise further; a
 * service sets LimitNOFILE).
 */
static void
xvifd_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("raise the open file limit");
	else
		log_debug("open file limit %llu",
		    (unsigned long long)rl.rlim_cur);
}

/*
 * One xvifd per backend domain, taken before any vif, TAP or journal is
 * touched: a second xvifd would bind every live vif's event channels
 * again and, refused, close the vif (error node, backend Closing), which
 * cuts a real guest off for good.  Two locks: the state directory's
 * file, whose holder's pid a second daemon can name; and the backend
 * domain's own (priv_lock_domain), which a lock file removed by hand or
 * another --state-dir does not escape: on Xen the grant device (one per
 * domain, root's alone), on a simulated host a file of the host's
 * directory for each backend domain it has.
 */
#define XVIFD_XEN_LOCK	"/dev/xen/gntdev"
static void
xvifd_lock(const struct xvifd *xd, const char *sim_dir)
{
	char path[XVIF_PATH_MAX + 32];
	pid_t holder;
	int rc;

	if (sim_dir == NULL)
		snprintf(path, sizeof(path), "%s", XVIFD_XEN_LOCK);
	else
		snprintf(path, sizeof(path), "%s/xvifd-backend-%u.lock",
		    sim_dir, xd->xd_self);
	/* The file first: its holder's pid is the better message. */
	if ((rc = priv_lock(xd->xd_state_dir, &holder)) > 0)
		log_warnc(rc, "%s/%s: our pid not written (the lock is ours)",
		    xd->xd_state_dir, PRIV_LOCK_NAME);
	else if (rc == -EWOULDBLOCK && holder > 0)
		refusedx("%s/%s is held by pid %ld: another xvifd serves this "
		    "backend domain; not starting", xd->xd_state_dir,
		    PRIV_LOCK_NAME, (long)holder);
	else if (rc == -EWOULDBLOCK)
		refusedx("%s/%s is held by another process: another xvifd "
		    "serves this backend domain; not starting",
		    xd->xd_state_dir, PRIV_LOCK_NAME);
	else if (rc < 0)
		refusedx("lock %s/%s: %s", xd->xd_state_dir, PRIV_LOCK_NAME,
		    strerror(-rc));
	if ((rc = priv_lock_domain(path, sim_dir != NULL)) == -EWOULDBLOCK)
		refusedx("another xvifd serves backend domain %u: it holds the "
		    "lock on %s (its lock file %s/%s was removed, or it has "
		    "another --state-dir); not starting", xd->xd_self, path,
		    xd->xd_state_dir, PRIV_LOCK_NAME);
	if (rc < 0)
		refusedx("lock %s: %s", path, strerror(-rc));
}

/*
 * --daemon.  The process started stays until the daemon is serving (a
 * byte on a pipe) or has failed (the pipe closes), and exits 0 or with
 * the daemon's status: a startup error -- the lock held, no Xen -- reaches
 * the starter's stderr and exit status, not /dev/null.  Done before any
 * library starts a thread (libxenstore's watch reader).
 */
static int xvifd_ready_fd = -1;

static void
xvifd_detach(void)
{
	int p[2], st = 0;
	ssize_t n;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		fatal("daemon");
	if (pid > 0) {
		close(p[1]);
		while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
			;
		if (n == 1)
			_exit(0);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) && WEXITSTATUS(st) != 0 ?
		    WEXITSTATUS(st) : 1);
	}
	close(p[0]);
	xvifd_ready_fd = p[1];
	if (setsid() < 0 || chdir("/") < 0)
		fatal("daemon");
}

/* Serving: let the starter go, and leave its terminal. */
static void
xvifd_ready(void)
{
	int fd;

	if (xvifd_ready_fd < 0)
		return;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(xvifd_ready_fd, "", 1) != 1) {
		/* The starter is gone: nobody to tell. */
	}
	close(xvifd_ready_fd);
	xvifd_ready_fd = -1;
}

static int xvifd_sigfd = -1;

static void
xvifd_xs_ready(void *arg, uint32_t events)
{
	struct xvifd *xd = arg;
	char path[XVIF_PATH_MAX + 64], token[64];
	int n, rc;

	/*
	 * Bounded per turn (the fd stays readable if more are queued), by
	 * the vifs a batch may ask to look at: xd_look never overflows.
	 */
	for (n = 0; n < XBUS_LOOK_MAX; n++) {
		rc = hv_xs_read_watch(xd->xd_hv, path, sizeof(path), token,
		    sizeof(token));
		if (rc == 0)
			break;
		if (rc < 0) {
			if (rc != -E2BIG)
				log_warnc(-rc, "xenstore: read watch");
			if (rc != -E2BIG)
				break;
			continue;
		}
		xbus_watch_fired(xd, path, token);
	}
	xbus_watch_batch_end(xd);
}

/* " name=value" for each counter, into line. */
static void
xvifd_format_counters(const uint64_t *cnt, int n, char *line, size_t len)
{
	size_t off = 0;
	int i;

	line[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(line + off, len - off, " %s=%llu",
		    vif_counter_names[i], (unsigned long long)cnt[i]);
}

/* SIGUSR1: a vif's counters (for life), then each queue's if several. */
static void
xvifd_dump_vif(const struct xvif *vif)
{
	uint64_t cnt[VIF_COUNTER_MAX];
	char line[1536];	/* 33 counters of 20 digits fit */
	char ifname[IF_NAMESIZE];
	unsigned int i;

	vif_counters(vif, cnt);
	xvifd_format_counters(cnt, VIF_COUNTER_MAX, line, sizeof(line));
	/* Its interface as ip(8) says now: vif5.0 until a script renames it. */
	log_info("%s: %s %s%s", vif->vif_tag, vif_ifname_now(vif, ifname),
	    xbus_state_name(vif->vif_state), line);
	for (i = 0; vif->vif_nq > 1 && i < vif->vif_nq; i++) {
		vif_queue_counters(&vif->vif_q[i], cnt);
		xvifd_format_counters(cnt, VIF_QUEUE_COUNTERS, line,
		    sizeof(line));
		log_info("%s:%s", vif->vif_q[i].q_tag, line);
	}
}

static void
xvifd_signal(void *arg, uint32_t events)
{
	struct xvifd *xd = arg;
	struct signalfd_siginfo si;
	struct xvif *vif;

	while (read(xvifd_sigfd, &si, sizeof(si)) == sizeof(si)) {
		/*
		 * Many daemons reload on SIGHUP; there is nothing to reload
		 * (every key is watched in XenStore), and stopping with
		 * status 0 would leave a supervisor with Restart=on-failure
		 * to keep every guest without its network.
		 */
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: nothing to reload (the vifs' keys "
			    "are followed in XenStore); SIGTERM stops xvifd");
			continue;
		}
		if (si.ssi_signo != SIGUSR1) {
			log_info("signal %u: stopping", si.ssi_signo);
			ev_stop(xd->xd_ev);
			continue;
		}
		for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
			xvifd_dump_vif(vif);
	}
}

/*
 * How frames go to and from the TAPs: in batches, one system call each
 * (io_uring), or one call a frame (--no-io-uring, or no usable io_uring:
 * a kernel before 5.19, io_uring disabled by sysctl or a filter).
 */
static void
xvifd_tap_io(const struct xvifd_opts *o)
{
	int rc;

	if (o->o_no_io_uring) {
		tap_batch_disable();
		log_info("TAP I/O: a system call a frame (--no-io-uring)");
	} else if ((rc = tap_batch_probe()) < 0)
		log_info("TAP I/O: a system call a frame (io_uring: %s)",
		    strerror(-rc));
	else
		log_info("TAP I/O: frames in batches (io_uring)");
}

int
main(int argc, char **argv)
{
	struct xvifd_opts o;
	struct xvifd xd;
	struct hv_cfg cfg;
	struct ev_fd *sig_h = NULL;
	struct priv_user user;
	uid_t uid;
	gid_t gid;
	char sim_dir[XVIF_PATH_MAX];
	char foreign[256] = "";
	mode_t dmode;
	const char *what;
	sigset_t mask;
	int rc;

	log_init("xvifd", false, 0);
	xvifd_parse(argc, argv, &o);
	log_init("xvifd", o.o_syslog, o.o_verbose);
	vif_journal_init();	/* the test build's fault point */
	memset(&xd, 0, sizeof(xd));
	xd.xd_self = (domid_t)o.o_domid;
	xd.xd_hotplug_wait = !o.o_no_hotplug_wait;
	xd.xd_antispoof = o.o_antispoof;
	xd.xd_hp_ops = &hp_tap_ops;
	xd.xd_max_queues = (unsigned int)o.o_max_queues;
	xd.xd_fail_efd = -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.hc_self = xd.xd_self;
	if (o.o_sim_dir != NULL) {
		xvifd_abspath("--sim-dir", o.o_sim_dir, sim_dir,
		    sizeof(sim_dir));
		cfg.hc_sim_dir = sim_dir;
	}
	xvifd_state_path(&o, &xd);
	/* No such user is for good; NSS not answering (yet) may pass. */
	if (o.o_user != NULL && (rc = priv_user_lookup(o.o_user, &user)) < 0)
		fatalx_status(rc == -ENOENT ? XVIFD_EXIT_REFUSED : 1,
		    "--user %s: %s", o.o_user, rc == -ENOENT ?
		    "no such user" : strerror(-rc));
	uid = o.o_user != NULL ? user.pu_uid : getuid();
	gid = o.o_user != NULL ? user.pu_gid : getgid();
	if (o.o_ctl_group != NULL &&
	    (rc = priv_group_lookup(o.o_ctl_group, &gid)) < 0)
		fatalx_status(rc == -ENOENT ? XVIFD_EXIT_REFUSED : 1,
		    "--ctl-group %s: %s", o.o_ctl_group, rc == -ENOENT ?
		    "no such group" : strerror(-rc));

	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		fatal("/dev/net/tun (load the tun module, run as root)");
	if (strcmp(o.o_hv, "xen") == 0)
		xvifd_no_netback();
	if (o.o_daemon)
		xvifd_detach();
	rc = hv_open(strcmp(o.o_hv, "sim") == 0 ? &hv_sim_ops : &hv_xen_ops,
	    &cfg, &xd.xd_hv);
	if (rc < 0) {
		if (strcmp(o.o_hv, "xen") == 0)
			fatalx("cannot open Xen (xenstore, /dev/xen/gntdev): "
			    "%s; is this a dom0 with the xen-gntdev module "
			    "loaded?", strerror(-rc));
		fatalx("cannot reach the simulated host in %s: %s; is "
		    "`xvif-sim host --dir %s` running?", o.o_sim_dir,
		    strerror(-rc), o.o_sim_dir);
	}
	if (strcmp(o.o_hv, "xen") == 0 && !o.o_domid_given)
		xvifd_own_domid(&xd);
	xvifd_state_mkdir(&xd);
	/* Before anything of ours is in it: the lock, the socket. */
	dmode = o.o_ctl_group != NULL ? 0710 : 0700;
	if ((rc = priv_check_dir(xd.xd_state_dir, uid, gid, dmode, foreign,
	    sizeof(foreign))) < 0)
		xvifd_state_refused(&xd, rc, o.o_user, foreign);
	xvifd_lock(&xd, o.o_sim_dir != NULL ? sim_dir : NULL);
	xvifd_nofile();
	if ((rc = ev_open(&xd.xd_ev)) < 0)
		fatalx("event loop: %s", strerror(-rc));
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((xvifd_sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("signalfd");
	if ((rc = ev_fd_add(xd.xd_ev, xvifd_sigfd, EPOLLIN, xvifd_signal, &xd,
	    &sig_h)) < 0 ||
	    (rc = ev_fd_add(xd.xd_ev, hv_xs_watch_fd(xd.xd_hv), EPOLLIN,
	    xvifd_xs_ready, &xd, &xd.xd_xs_h)) < 0)
		fatalx("event loop: %s", strerror(-rc));
	xvifd_tap_io(&o);
	/* Its socket now: the seccomp filter allows no netlink socket. */
	if ((rc = hp_link_open()) < 0)
		log_warnx("rtnetlink: %s: interfaces are looked up by "
		    "SIOCGIFINDEX, for which the kernel may run modprobe "
		    "(a new vif's interface takes longer)", strerror(-rc));
	/* Their event-channel handles are opened with our privileges. */
	if ((rc = vif_workers_open(&xd, (unsigned int)o.o_workers)) < 0)
		fatalx("worker threads: %s%s", strerror(-rc),
		    strcmp(o.o_hv, "xen") == 0 ? " (event channels: "
		    "/dev/xen/evtchn; is the xen-evtchn module loaded?)" :
		    "");
	if ((rc = ctl_open(&xd, uid, gid)) < 0)
		fatalx("control socket %s/%s: %s", xd.xd_state_dir,
		    CTL_SOCK_NAME, strerror(-rc));
	/*
	 * Journals are made after priv_drop, by the user we end up as; the
	 * control group may reach the socket, and list nothing.  The
	 * directory is given away last (priv_give_dir), so that root needs
	 * no more than to own it (under the unit systemd hands it over as
	 * root's at each start; a restart by hand finds it the user's).
	 */
	if ((rc = priv_give_dir(xd.xd_state_dir, uid, gid, dmode, foreign,
	    sizeof(foreign))) < 0)
		xvifd_state_refused(&xd, rc, o.o_user, foreign);
	/* Before libxenstore's reader thread: capabilities are per thread. */
	if ((rc = priv_drop(o.o_user != NULL ? &user : NULL, &what)) < 0)
		refusedx("drop privileges: %s: %s", what, strerror(-rc));
	/* Every vif's TAP is opened as who we are now: can we? */
	if ((rc = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
		refusedx("/dev/net/tun, as %s: %s", o.o_user != NULL ?
		    o.o_user : "the user xvifd started as", strerror(errno));
	close(rc);
	/*
	 * Root without CAP_DAC_OVERRIDE is still the owner of most of the
	 * system's files and sockets (/etc, the service manager's): a guest
	 * that took xvifd over could write them, whatever the filter lets
	 * through.  Said, not refused: by hand and in tests xvifd runs so.
	 */
	if (o.o_user == NULL && geteuid() == 0)
		log_warnx("running as root (no --user): root owns most of the "
		    "system's files, capabilities or not; --user xvifd (the "
		    "package's user) keeps a guest that took xvifd over from "
		    "them");
	/* After: the workers need no capability, and block our signals. */
	if ((rc = vif_workers_start(&xd)) < 0)
		fatalx("worker threads: %s", strerror(-rc));
	if ((rc = xbus_start(&xd)) < 0)
		fatalx("watch %s: %s", xd.xd_root, strerror(-rc));
	/* Every worker made its TAP ring (vif_workers_start); no more. */
	tap_batch_seal();
	if (o.o_no_seccomp)
		log_info("seccomp: off (--no-seccomp)");
	else if ((rc = priv_seccomp()) < 0)
		refusedx("seccomp: %s (--no-seccomp runs without it)",
		    strerror(-rc));
	else
		log_info("seccomp: %d syscalls allowed", rc);
	log_info("serving %s (hv %s, %u worker threads, up to %u queues a "
	    "vif%s)", xd.xd_root, o.o_hv, xd.xd_nworkers, xd.xd_max_queues,
	    xd.xd_antispoof ? ", anti-spoofing" : "");
	xvifd_ready();
	notify_ready();

	rc = ev_run(xd.xd_ev);
	notify_stopping();
	if (rc < 0)
		log_warnc(-rc, "event loop");
	xbus_stop(&xd);
	ctl_close(&xd);
	ev_close(xd.xd_ev);
	vif_fini(&xd);
	hv_close(xd.xd_hv);
	close(xvifd_sigfd);
	log_info("stopped");
	return rc < 0 ? 1 : 0;
}
