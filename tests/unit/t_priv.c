/*
 * t_priv.c -- the seccomp filter (priv.c), armed in a child of each case:
 * what it lets through and what it refuses, and the same filter made for
 * another architecture the package is built for; the state directory
 * given away only as checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include "priv.h"
#include "t.h"

/* fn in a child; its wait status. */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	if ((pid = fork()) == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/* A ring made before the filter, as each worker's: it still reads. */
static int
ring_before(void)
{
	struct io_uring r;
	struct io_uring_cqe *cqe;
	struct iovec iov;
	char buf[4];
	int p[2];

	if (io_uring_queue_init(4, &r, 0) < 0 || pipe(p) < 0)
		return 2;
	if (priv_seccomp() <= 0)
		return 3;
	if (write(p[1], "ping", 4) != 4)
		return 4;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	io_uring_prep_readv(io_uring_get_sqe(&r), p[0], &iov, 1, 0);
	if (io_uring_submit_and_wait(&r, 1) < 0 ||
	    io_uring_peek_cqe(&r, &cqe) != 0 || cqe->res != 4 ||
	    memcmp(buf, "ping", 4) != 0)
		return 5;
	return 0;
}

/* A new ring after the filter: its operations would be unseen by it. */
static int
ring_after(void)
{
	struct io_uring r;

	if (priv_seccomp() <= 0)
		return 3;
	(void)io_uring_queue_init(4, &r, 0);
	return 0;		/* not reached: killed */
}

static void
t_uring(struct t_ctx *t)
{
	int st;

	st = in_child(ring_before);
	T_TRUE(t, WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_child(ring_after);
	T_TRUE(t, WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

/* A pty: a terminal, as xvifd run by hand writes its log to. */
static int
pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
		return -1;
	return open(ptsname(m), O_RDWR | O_NOCTTY);
}

/* What must pass: a terminal's TCGETS, SIOCGIFINDEX and SIOCGIFNAME
 * (glibc's if_nametoindex, if_indextoname), the last with bits above the
 * 32 the kernel reads (the same request to it), a datagram AF_INET
 * socket; an AF_INET6 one says EAFNOSUPPORT. */
static int
ioctls_ok(void)
{
	struct termios tio;
	struct ifreq ifr;
	int t = pty(), s;

	if (t < 0)
		return 2;
	if (priv_seccomp() <= 0)
		return 3;
	if (ioctl(t, TCGETS, &tio) < 0)
		return 4;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 5;
	/* glibc's if_nametoindex() out of fds tries AF_INET6: refused, not
	 * a kill (the family only: a datagram socket as glibc asks). */
	if (socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0 ||
	    errno != EAFNOSUPPORT)
		return 7;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		return 6;
	return syscall(SYS_ioctl, s, (unsigned long)SIOCGIFNAME | 1ul << 32,
	    &ifr) < 0 || strcmp(ifr.ifr_name, "lo") != 0 ? 8 : 0;
}

/* An ioctl the filter must refuse, on a terminal: bad_req. */
static unsigned long bad_req;

static int
bad_ioctl(void)
{
	char c = 0;
	int t = pty();

	if (t < 0 || priv_seccomp() <= 0)
		return 2;
	(void)syscall(SYS_ioctl, t, bad_req, &c);
	return 0;		/* not reached: killed */
}

static int
inet_stream(void)
{
	if (priv_seccomp() <= 0)
		return 2;
	(void)socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}

static void
t_ioctls(struct t_ctx *t)
{
	/*
	 * The kernel reads the request as 32 bits: the second is TIOCSTI.
	 * Then requests xvifd never makes: FIONREAD, and what CAP_NET_ADMIN
	 * would let it do to every interface of the host (an address, a
	 * name, a route).
	 */
	static const unsigned long bad[] = {
		TIOCSTI, (unsigned long)TIOCSTI | 1ul << 32, TIOCLINUX,
		FIONREAD, SIOCSIFADDR, SIOCSIFNAME, SIOCADDRT,
	};
	unsigned int i;
	int st;

	st = in_child(ioctls_ok);
	T_TRUE(t, WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bad_req = bad[i];
		st = in_child(bad_ioctl);
		if (!T_TRUE(t, WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS))
			fprintf(stderr, "  ioctl %#lx: status %#x\n", bad[i],
			    st);
	}
	st = in_child(inet_stream);
	T_TRUE(t, WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

/* What must pass: a peer's credentials (the control socket's cap per
 * user), a send buffer's size (sd_notify). */
static int
sockopts_ok(void)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int sv[2], sz = 65536;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 2;
	if (priv_seccomp() <= 0)
		return 3;
	if (getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 ||
	    uc.pid != getpid())
		return 4;
	len = sizeof(sz);
	return setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, len) < 0 ||
	    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, &len) < 0 ? 5 : 0;
}

/* ... and what must not: any other option, here the peer's groups. */
static int
sockopt_bad(void)
{
	char buf[256];
	socklen_t len = sizeof(buf);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    priv_seccomp() <= 0)
		return 2;
	(void)getsockopt(sv[0], SOL_SOCKET, SO_PEERGROUPS, buf, &len);
	return 0;		/* not reached: killed */
}

static void
t_sockopts(struct t_ctx *t)
{
	int st;

	st = in_child(sockopts_ok);
	if (!T_TRUE(t, WIFEXITED(st) && WEXITSTATUS(st) == 0))
		fprintf(stderr, "  sockopts: status %#x\n", st);
	st = in_child(sockopt_bad);
	T_TRUE(t, WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

/* The filter for arch as PFC text, in buf; its count of syscalls. */
static int
show(uint32_t arch, char *buf, size_t len)
{
	FILE *f = tmpfile();
	size_t n;
	int rc;

	if (f == NULL)
		return -errno;
	rc = priv_seccomp_show(arch, fileno(f));
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return rc;
}

/*
 * After the filter: prctl(PR_GET_NAME) works; memfd_create and clone3
 * fail with ENOSYS, no kill.
 */
static int
refused_not_killed(void)
{
	char name[16];

	if (priv_seccomp() <= 0)
		return 3;
	/* libsystemd's memfd path names it after the thread first. */
	if (prctl(PR_GET_NAME, name) != 0)
		return 6;
	if (syscall(SYS_memfd_create, "x", 0) != -1 || errno != ENOSYS)
		return 4;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 5;
	return 0;
}

static void
t_enosys(struct t_ctx *t)
{
	int st = in_child(refused_not_killed);

	T_TRUE(t, WIFEXITED(st));
	T_EQ(t, WEXITSTATUS(st), 0);
}

static void
t_archs(struct t_ctx *t)
{
	static char pfc[1 << 20];

	/* This machine's: what xvifd arms. */
	T_TRUE(t, show(seccomp_arch_native(), pfc, sizeof(pfc)) > 60);
	T_TRUE(t, strstr(pfc, "\"io_uring_enter\"") != NULL);
	T_TRUE(t, strstr(pfc, "\"io_uring_setup\"") == NULL);
	/*
	 * arm64 (debian/control builds for it): made, though it has no
	 * epoll_wait, poll, unlink, dup2, open or time; and glibc's
	 * replacements are allowed (unlink(3) is unlinkat there).
	 */
	T_TRUE(t, show(SCMP_ARCH_AARCH64, pfc, sizeof(pfc)) > 60);
	T_TRUE(t, strstr(pfc, "\"unlinkat\"") != NULL);
	T_TRUE(t, strstr(pfc, "\"epoll_pwait\"") != NULL);
	T_TRUE(t, strstr(pfc, "\"ppoll\"") != NULL);
	T_TRUE(t, strstr(pfc, "\"dup3\"") != NULL);
	T_TRUE(t, strstr(pfc, "\"epoll_wait\"") == NULL);
}

static mode_t
dir_mode(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void
touch(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
}

/*
 * A directory swapped in after priv_check_dir (someone with the parent's
 * write access): priv_give_dir checks it again, on the handle it changes,
 * and leaves one holding others' files as it was.
 */
static void
t_give_dir(struct t_ctx *t)
{
	char dir[] = "/tmp/t_priv.XXXXXX", foreign[64], path[256];

	T_REQUIRE(t, mkdtemp(dir) != NULL);
	T_REQUIRE(t, chmod(dir, 0755) == 0);
	touch(dir, PRIV_LOCK_NAME);
	touch(dir, "utmp");
	foreign[0] = '\0';
	T_EQ(t, priv_give_dir(dir, getuid(), getgid(), 0700, foreign,
	    sizeof(foreign)), -ENOTEMPTY);
	T_STREQ(t, foreign, "utmp");
	T_EQ(t, dir_mode(dir), 0755);
	/* Only what xvifd makes: given. */
	snprintf(path, sizeof(path), "%s/utmp", dir);
	T_REQUIRE(t, unlink(path) == 0);
	T_EQ(t, priv_give_dir(dir, getuid(), getgid(), 0700, foreign,
	    sizeof(foreign)), 0);
	T_EQ(t, dir_mode(dir), 0700);
	/* Already as wanted: others' files are left alone, not refused. */
	touch(dir, "utmp");
	T_EQ(t, priv_give_dir(dir, getuid(), getgid(), 0700, foreign,
	    sizeof(foreign)), 0);
	(void)unlink(path);
	/* A symbolic link swapped in for it: refused, its target untouched. */
	T_REQUIRE(t, chmod(dir, 0750) == 0);
	snprintf(path, sizeof(path), "%s.lnk", dir);
	T_REQUIRE(t, symlink(dir, path) == 0);
	T_EQ(t, priv_give_dir(path, getuid(), getgid(), 0700, foreign,
	    sizeof(foreign)), -ELOOP);
	T_EQ(t, dir_mode(dir), 0750);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, PRIV_LOCK_NAME);
	(void)unlink(path);
	(void)rmdir(dir);
}

const struct t_case t_cases[] = {
	{ "state directory: given away only as checked again", t_give_dir },
	{ "seccomp: a ring made before works, a new one is refused", t_uring },
	{ "seccomp: the filter for this machine and for arm64", t_archs },
	{ "seccomp: PR_GET_NAME works, memfd_create and clone3 say ENOSYS",
	    t_enosys },
	{ "seccomp: the ioctls xvifd makes pass, no other (TIOCSTI, SIOC*); "
	    "no TCP socket, AF_INET6 refused",
	    t_ioctls },
	{ "seccomp: SO_PEERCRED and SO_SNDBUF, no other socket option",
	    t_sockopts },
	{ NULL, NULL },
};
