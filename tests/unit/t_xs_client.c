/*
 * t_xs_client.c -- the real libxenstore against the XenStore server of
 * `xvif-sim host` (started here from $BUILD/xvif-sim, default "build",
 * and killed at the end of each case).
 *
 * Cases named "dom0: ..." use only what any dom0 may do on a real host;
 * with XS_TEST_REAL=1 they start no simulator and use libxenstore's
 * default (XENSTORED_PATH or the real xenstored), so that they can be
 * rerun against Xen's own xenstored.  Cases "sim: ..." introduce made-up
 * domains and act as them, which needs the simulator.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "t.h"

struct host {
	pid_t	 h_pid;
	char	 h_dir[256];
	char	 h_sock[300];
};

static void
ms_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool
host_start(struct t_ctx *t, struct host *h, bool need_sim)
{
	const char *b = getenv("BUILD") ? getenv("BUILD") : "build";
	char bin[256], log[300];
	struct stat st;
	int i, fd;

	h->h_pid = -1;
	h->h_sock[0] = '\0';
	if (!need_sim && getenv("XS_TEST_REAL") != NULL)
		return true;	/* libxenstore's own default: the real one */
	snprintf(h->h_dir, sizeof(h->h_dir), "%s", t_tmpdir(t));
	snprintf(bin, sizeof(bin), "%s/xvif-sim", b);
	snprintf(h->h_sock, sizeof(h->h_sock), "%s/xenstored.sock", h->h_dir);
	snprintf(log, sizeof(log), "%s/host.log", h->h_dir);
	if ((h->h_pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT, 0600)) >= 0)
			dup2(fd, 2);
		execl(bin, "xvif-sim", "host", "--dir", h->h_dir, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {	/* 5 s at most */
		if (stat(h->h_sock, &st) == 0 && S_ISSOCK(st.st_mode))
			break;
		if (waitpid(h->h_pid, NULL, WNOHANG) == h->h_pid) {
			h->h_pid = -1;
			break;
		}
		ms_sleep(50);
	}
	setenv("XENSTORED_PATH", h->h_sock, 1);
	return T_TRUE(t, h->h_pid > 0 && i < 100);
}

/* Stops the host; false if it had died before. */
static bool
host_stop(struct host *h)
{
	int i, st;
	bool alive;

	if (h->h_pid <= 0)
		return true;
	alive = kill(h->h_pid, 0) == 0 &&
	    waitpid(h->h_pid, &st, WNOHANG) == 0;
	kill(h->h_pid, SIGTERM);
	for (i = 0; i < 100 && waitpid(h->h_pid, &st, WNOHANG) == 0; i++)
		ms_sleep(50);
	if (i == 100) {
		kill(h->h_pid, SIGKILL);
		waitpid(h->h_pid, &st, 0);
	}
	return alive;
}

/* libxenstore as domain domid's socket (0: dom0's). */
static struct xs_handle *
xs_as(const struct host *h, unsigned int domid)
{
	char p[320];

	if (domid == 0) {
		if (h->h_sock[0] != '\0')
			setenv("XENSTORED_PATH", h->h_sock, 1);
	} else {
		snprintf(p, sizeof(p), "%s/xs-dom%u.sock", h->h_dir, domid);
		setenv("XENSTORED_PATH", p, 1);
	}
	return xs_open(0);
}

static char *
rd(struct xs_handle *xh, xs_transaction_t tx, const char *path)
{
	static char buf[8192];
	unsigned int len;
	char *v = xs_read(xh, tx, path, &len);

	if (v == NULL)
		snprintf(buf, sizeof(buf), "ERR:%d", errno);
	else
		snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

static bool
wr(struct xs_handle *xh, xs_transaction_t tx, const char *path,
    const char *v)
{
	return xs_write(xh, tx, path, v, (unsigned int)strlen(v));
}

/* The next watch event within ms, as "path token", or "" if none. */
static const char *
ev(struct xs_handle *xh, int ms)
{
	static char buf[4200];
	struct pollfd pfd = { xs_fileno(xh), POLLIN, 0 };
	unsigned int n;
	char **v;

	buf[0] = '\0';
	if (poll(&pfd, 1, ms) != 1)
		return buf;
	if ((v = xs_read_watch(xh, &n)) == NULL)
		return buf;
	snprintf(buf, sizeof(buf), "%s %s", v[XS_WATCH_PATH],
	    v[XS_WATCH_TOKEN]);
	free(v);
	return buf;
}

static void
t_txn(struct t_ctx *t)
{
	struct host h;
	struct xs_handle *a, *b;
	xs_transaction_t tx;

	T_REQUIRE(t, host_start(t, &h, false));
	a = xs_open(0);
	b = xs_open(0);
	T_REQUIRE(t, a != NULL && b != NULL);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/x", "1"));
	tx = xs_transaction_start(a);
	T_TRUE(t, tx != XBT_NULL);
	T_TRUE(t, wr(a, tx, "/xvt/x", "2"));
	T_TRUE(t, wr(a, tx, "/xvt/new/deep", "n"));
	T_STREQ(t, rd(a, tx, "/xvt/x"), "2");
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/x"), "1");	/* isolated */
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/new/deep"), "ERR:2");
	T_TRUE(t, xs_transaction_end(a, tx, false));
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/x"), "2");
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/new/deep"), "n");
	tx = xs_transaction_start(a);
	T_TRUE(t, wr(a, tx, "/xvt/x", "3"));
	T_TRUE(t, xs_transaction_end(a, tx, true));	/* abort */
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/x"), "2");
	/* A transaction id of another connection is unknown here. */
	tx = xs_transaction_start(a);
	T_TRUE(t, xs_read(b, tx, "/xvt/x", NULL) == NULL && errno == ENOENT);
	T_TRUE(t, xs_transaction_end(a, tx, true));
	T_TRUE(t, !xs_transaction_end(a, tx, true) && errno == ENOENT);
	xs_rm(a, XBT_NULL, "/xvt");
	xs_close(a);
	xs_close(b);
	T_TRUE(t, host_stop(&h));
}

static void
t_conflict(struct t_ctx *t)
{
	struct host h;
	struct xs_handle *a, *b;
	xs_transaction_t tx;

	T_REQUIRE(t, host_start(t, &h, false));
	a = xs_open(0);
	b = xs_open(0);
	T_REQUIRE(t, a != NULL && b != NULL);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/c", "1"));
	tx = xs_transaction_start(a);
	T_STREQ(t, rd(a, tx, "/xvt/c"), "1");
	T_TRUE(t, wr(b, XBT_NULL, "/xvt/c", "other"));
	T_TRUE(t, wr(a, tx, "/xvt/d", "mine"));
	T_TRUE(t, !xs_transaction_end(a, tx, false));
	T_EQ(t, errno, EAGAIN);
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/d"), "ERR:2");
	/* The usual retry loop then succeeds. */
	tx = xs_transaction_start(a);
	T_STREQ(t, rd(a, tx, "/xvt/c"), "other");
	T_TRUE(t, wr(a, tx, "/xvt/d", "mine"));
	T_TRUE(t, xs_transaction_end(a, tx, false));
	T_STREQ(t, rd(b, XBT_NULL, "/xvt/d"), "mine");
	xs_rm(a, XBT_NULL, "/xvt");
	xs_close(a);
	xs_close(b);
	T_TRUE(t, host_stop(&h));
}

static void
t_dir(struct t_ctx *t)
{
	struct host h;
	struct xs_handle *a;
	char p[64], **l;
	unsigned int n, i, ok = 0;

	T_REQUIRE(t, host_start(t, &h, false));
	T_REQUIRE(t, (a = xs_open(0)) != NULL);
	/* 400 children of 20+ characters: > 8 KiB, needs DIRECTORY_PART. */
	for (i = 0; i < 400; i++) {
		snprintf(p, sizeof(p), "/xvt/dir/child-with-long-name-%03u", i);
		ok += wr(a, XBT_NULL, p, "");
	}
	T_EQ(t, ok, 400);
	l = xs_directory(a, XBT_NULL, "/xvt/dir", &n);
	T_REQUIRE(t, l != NULL);
	T_EQ(t, n, 400);
	for (i = ok = 0; i < n; i++) {
		snprintf(p, sizeof(p), "child-with-long-name-%03u", i);
		ok += strcmp(l[i], p) == 0;
	}
	T_EQ(t, ok, 400);
	free(l);
	l = xs_directory(a, XBT_NULL, "/xvt/none", &n);
	T_TRUE(t, l == NULL && errno == ENOENT);
	xs_rm(a, XBT_NULL, "/xvt");
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

static void
t_big(struct t_ctx *t)
{
	static char v[XENSTORE_PAYLOAD_MAX + 2];
	struct host h;
	struct xs_handle *a;
	unsigned int len;
	char *r;

	T_REQUIRE(t, host_start(t, &h, false));
	T_REQUIRE(t, (a = xs_open(0)) != NULL);
	/* "/xvt/b\0" is 7 bytes: 4089 of value fill the payload. */
	memset(v, 'v', sizeof(v));
	T_TRUE(t, xs_write(a, XBT_NULL, "/xvt/b", v, 4089));
	r = xs_read(a, XBT_NULL, "/xvt/b", &len);
	T_TRUE(t, r != NULL && len == 4089 && memcmp(r, v, len) == 0);
	free(r);
	T_TRUE(t, !xs_write(a, XBT_NULL, "/xvt/b", v, 4090));
	T_EQ(t, errno, E2BIG);
	T_STREQ(t, rd(a, XBT_NULL, "/xvt/b") + 4080, "vvvvvvvvv");
	/* The connection is still fine. */
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/b", "small"));
	T_STREQ(t, rd(a, XBT_NULL, "/xvt/b"), "small");
	xs_rm(a, XBT_NULL, "/xvt");
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

static void
t_watch(struct t_ctx *t)
{
	struct host h;
	struct xs_handle *a, *w;

	T_REQUIRE(t, host_start(t, &h, false));
	a = xs_open(0);
	w = xs_open(0);
	T_REQUIRE(t, a != NULL && w != NULL);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/w/x", "1"));
	T_TRUE(t, xs_watch(w, "/xvt/w", "tok"));
	T_STREQ(t, ev(w, 2000), "/xvt/w tok");		/* initial */
	T_TRUE(t, !xs_watch(w, "/xvt/w", "tok") && errno == EEXIST);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/w/y/z", "1"));
	T_STREQ(t, ev(w, 2000), "/xvt/w/y/z tok");	/* prefix */
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/wx", "1"));	/* not a child */
	T_TRUE(t, xs_rm(a, XBT_NULL, "/xvt/w/y"));
	T_STREQ(t, ev(w, 2000), "/xvt/w/y tok");
	T_TRUE(t, xs_rm(a, XBT_NULL, "/xvt/w"));
	T_STREQ(t, ev(w, 2000), "/xvt/w tok");
	T_STREQ(t, ev(w, 300), "");
	T_TRUE(t, xs_unwatch(w, "/xvt/w", "tok"));
	T_TRUE(t, !xs_unwatch(w, "/xvt/w", "tok") && errno == ENOENT);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/w", "1"));
	T_STREQ(t, ev(w, 300), "");
	xs_rm(a, XBT_NULL, "/xvt");
	xs_close(a);
	xs_close(w);
	T_TRUE(t, host_stop(&h));
}

static void
t_domains(struct t_ctx *t)
{
	struct host h;
	struct xs_handle *a;
	char *p;

	T_REQUIRE(t, host_start(t, &h, false));
	T_REQUIRE(t, (a = xs_open(0)) != NULL);
	p = xs_get_domain_path(a, 5);
	T_STREQ(t, p, "/local/domain/5");
	free(p);
	T_TRUE(t, xs_is_domain_introduced(a, 0));
	T_TRUE(t, !xs_is_domain_introduced(a, 32000));
	T_STREQ(t, rd(a, XBT_NULL, "/local/domain/0/domid"), "0");
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

static void
t_perms_dom0(struct t_ctx *t)
{
	struct xs_permissions set[2] = { { 0, XS_PERM_NONE },
	    { 3, XS_PERM_READ } }, *got;
	struct host h;
	struct xs_handle *a;
	unsigned int n;

	T_REQUIRE(t, host_start(t, &h, false));
	T_REQUIRE(t, (a = xs_open(0)) != NULL);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/p/q", "1"));
	T_TRUE(t, xs_set_permissions(a, XBT_NULL, "/xvt/p", set, 2));
	got = xs_get_permissions(a, XBT_NULL, "/xvt/p", &n);
	T_TRUE(t, got != NULL && n == 2 && got[1].id == 3 &&
	    got[1].perms == XS_PERM_READ);
	free(got);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/p/new", "1"));	/* inherits */
	got = xs_get_permissions(a, XBT_NULL, "/xvt/p/new", &n);
	T_TRUE(t, got != NULL && n == 2 && got[0].id == 0 && got[1].id == 3);
	free(got);
	T_TRUE(t, xs_read(a, XBT_NULL, "/xvt/p/none", NULL) == NULL &&
	    errno == ENOENT);
	T_TRUE(t, !xs_write(a, XBT_NULL, "/xvt/bad//path", "x", 1) &&
	    errno == EINVAL);
	xs_rm(a, XBT_NULL, "/xvt");
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

/* Introduces domid with a home it owns, as a toolstack would. */
static bool
guest_make(struct t_ctx *t, struct xs_handle *a, unsigned int domid)
{
	struct xs_permissions home[1] = { { domid, XS_PERM_NONE } };
	char p[64];

	snprintf(p, sizeof(p), "/local/domain/%u", domid);
	return T_TRUE(t, xs_introduce_domain(a, domid, 1, 1)) &&
	    T_TRUE(t, xs_write(a, XBT_NULL, p, "", 0)) &&
	    T_TRUE(t, xs_set_permissions(a, XBT_NULL, p, home, 1));
}

static void
t_guest_perms(struct t_ctx *t)
{
	struct xs_permissions ro[2] = { { 0, XS_PERM_NONE },
	    { 5, XS_PERM_READ } };
	struct host h;
	struct xs_handle *a, *g;

	T_REQUIRE(t, host_start(t, &h, true));
	T_REQUIRE(t, (a = xs_as(&h, 0)) != NULL);
	T_REQUIRE(t, guest_make(t, a, 5));
	T_REQUIRE(t, (g = xs_as(&h, 5)) != NULL);
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/ro", "r"));
	T_TRUE(t, wr(a, XBT_NULL, "/xvt/secret", "s"));
	T_TRUE(t, xs_set_permissions(a, XBT_NULL, "/xvt/ro", ro, 2));
	T_STREQ(t, rd(g, XBT_NULL, "/xvt/ro"), "r");
	T_STREQ(t, rd(g, XBT_NULL, "/xvt/secret"), "ERR:13");
	T_STREQ(t, rd(g, XBT_NULL, "/xvt/nothing"), "ERR:13");
	T_TRUE(t, !wr(g, XBT_NULL, "/xvt/ro", "w") && errno == EACCES);
	T_TRUE(t, wr(g, XBT_NULL, "device/vif/0/state", "1"));
	T_STREQ(t, rd(a, XBT_NULL, "/local/domain/5/device/vif/0/state"), "1");
	T_TRUE(t, !xs_introduce_domain(g, 9, 1, 1) && errno == EACCES);
	T_TRUE(t, !xs_rm(g, XBT_NULL, "/xvt/ro") && errno == EACCES);
	xs_close(g);
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

static void
t_guest_quota(struct t_ctx *t)
{
	static char v[2100];
	struct host h;
	struct xs_handle *a, *g;
	xs_transaction_t tx[20];
	char p[64];
	int i, n;

	T_REQUIRE(t, host_start(t, &h, true));
	T_REQUIRE(t, (a = xs_as(&h, 0)) != NULL);
	T_REQUIRE(t, guest_make(t, a, 5));
	T_REQUIRE(t, (g = xs_as(&h, 5)) != NULL);
	for (n = 0; n < 1100; n++) {
		snprintf(p, sizeof(p), "q%d/n%d", n / 50, n);
		if (!wr(g, XBT_NULL, p, ""))
			break;
	}
	T_TRUE(t, n > 900 && n < 1000);
	T_EQ(t, errno, ENOSPC);
	memset(v, 'v', sizeof(v) - 1);
	T_TRUE(t, !wr(g, XBT_NULL, "q0/n0", v) && errno == ENOSPC);
	T_TRUE(t, wr(a, XBT_NULL, "/local/domain/5/q0/n0", v));	/* dom0 */
	for (i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "w%d", i);
		if (!xs_watch(g, p, "t"))
			break;
	}
	T_EQ(t, i, 129);
	T_EQ(t, errno, E2BIG);
	for (i = 0; i < 20; i++)
		if ((tx[i] = xs_transaction_start(g)) == XBT_NULL)
			break;
	T_EQ(t, i, 11);
	T_EQ(t, errno, ENOSPC);
	xs_close(g);
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

static void
t_guest_events(struct t_ctx *t)
{
	struct xs_permissions rel[2] = { { 0, XS_PERM_NONE },
	    { 5, XS_PERM_READ } };
	struct host h;
	struct xs_handle *a, *w, *g;
	char sock[320];
	struct stat st;

	T_REQUIRE(t, host_start(t, &h, true));
	T_REQUIRE(t, (a = xs_as(&h, 0)) != NULL);
	T_REQUIRE(t, (w = xs_as(&h, 0)) != NULL);
	T_TRUE(t, xs_watch(w, "@introduceDomain", "in"));
	T_TRUE(t, xs_watch(w, "@releaseDomain", "out"));
	T_STREQ(t, ev(w, 2000), "@introduceDomain in");
	T_STREQ(t, ev(w, 2000), "@releaseDomain out");
	T_TRUE(t, !xs_is_domain_introduced(a, 5));
	T_REQUIRE(t, guest_make(t, a, 5));
	T_STREQ(t, ev(w, 2000), "@introduceDomain in");
	T_TRUE(t, xs_is_domain_introduced(a, 5));
	T_REQUIRE(t, (g = xs_as(&h, 5)) != NULL);
	/* The guest may watch @releaseDomain only if its perms allow. */
	T_TRUE(t, xs_watch(g, "@releaseDomain", "g"));
	T_STREQ(t, ev(g, 2000), "@releaseDomain g");
	T_TRUE(t, xs_set_permissions(a, XBT_NULL, "@releaseDomain", rel, 2));
	T_REQUIRE(t, guest_make(t, a, 6));
	T_STREQ(t, ev(w, 2000), "@introduceDomain in");
	T_TRUE(t, xs_release_domain(a, 6));
	T_STREQ(t, ev(w, 2000), "@releaseDomain out");
	T_STREQ(t, ev(g, 2000), "@releaseDomain g");
	/* Release of 5: its socket goes, its connection is closed. */
	T_TRUE(t, wr(g, XBT_NULL, "data", "d"));
	T_TRUE(t, xs_release_domain(a, 5));
	T_STREQ(t, ev(w, 2000), "@releaseDomain out");
	snprintf(sock, sizeof(sock), "%s/xs-dom5.sock", h.h_dir);
	T_TRUE(t, stat(sock, &st) < 0 && errno == ENOENT);
	T_TRUE(t, xs_read(g, XBT_NULL, "data", NULL) == NULL);
	T_STREQ(t, rd(a, XBT_NULL, "/local/domain/5"), "ERR:2");
	T_TRUE(t, !xs_is_domain_introduced(a, 5));
	T_TRUE(t, !xs_release_domain(a, 5) && errno == ENOENT);
	xs_close(g);
	xs_close(w);
	xs_close(a);
	T_TRUE(t, host_stop(&h));
}

const struct t_case t_cases[] = {
	{ "dom0: transactions: commit, abort, isolation, ids", t_txn },
	{ "dom0: transaction conflict is EAGAIN, retry works", t_conflict },
	{ "dom0: directory of 400 long names (DIRECTORY_PART)", t_dir },
	{ "dom0: values up to the payload limit, one past is E2BIG",
	    t_big },
	{ "dom0: watches: initial, prefix, rm, EEXIST, unwatch", t_watch },
	{ "dom0: get_domain_path, is_domain_introduced", t_domains },
	{ "dom0: permissions set, get, inherited; ENOENT, EINVAL",
	    t_perms_dom0 },
	{ "sim: guest permissions", t_guest_perms },
	{ "sim: guest quotas: nodes, entry size, watches, transactions",
	    t_guest_quota },
	{ "sim: @introduceDomain/@releaseDomain, release closes the guest",
	    t_guest_events },
	{ NULL, NULL }
};
