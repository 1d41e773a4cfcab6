/*
 * t_hv_xen.c -- the real hv implementation.  Its XenStore half runs here
 * through the real libxenstore against the simulated xenstored; its grant
 * and event-channel half needs /dev/xen and is exercised by `make e2e`.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "hv.h"
#include "t_sim.h"

/* A hv_xen whose XenStore half only is connected (no /dev/xen here). */
static bool
hvx_connect(struct t_ctx *t, struct t_sim *ts, struct hv *hv)
{
	memset(hv, 0, sizeof(*hv));
	hv->hv_ops = &hv_xen_ops;
	return T_EQ(t, hv_xs_connect(hv, ts->ts_sock), 0);
}

static void
t_rw(struct t_ctx *t)
{
	struct t_sim ts;
	struct hv hv;
	char buf[64], **names = NULL;
	unsigned int n = 0;

	if (!t_sim_host_start(t, &ts))
		return;
	if (hvx_connect(t, &ts, &hv)) {
		T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE, "/t/a/b", "hello"), 0);
		T_EQ(t, hv_xs_read(&hv, HV_TXN_NONE, "/t/a/b", buf, sizeof(buf)),
		    5);
		T_STREQ(t, buf, "hello");
		T_EQ(t, hv_xs_read(&hv, HV_TXN_NONE, "/t/a/b", buf, 5), -E2BIG);
		T_EQ(t, hv_xs_read(&hv, HV_TXN_NONE, "/t/none", buf,
		    sizeof(buf)), -ENOENT);
		T_EQ(t, hv_xs_mkdir(&hv, HV_TXN_NONE, "/t/a/c"), 0);
		T_EQ(t, hv_xs_directory(&hv, HV_TXN_NONE, "/t/a", &names, &n),
		    0);
		T_EQ(t, n, 2);
		if (n == 2)
			T_TRUE(t, (strcmp(names[0], "b") == 0 &&
			    strcmp(names[1], "c") == 0) ||
			    (strcmp(names[0], "c") == 0 &&
			    strcmp(names[1], "b") == 0));
		free(names);
		T_EQ(t, hv_xs_rm(&hv, HV_TXN_NONE, "/t/a"), 0);
		T_EQ(t, hv_xs_read(&hv, HV_TXN_NONE, "/t/a/b", buf,
		    sizeof(buf)), -ENOENT);
		T_EQ(t, hv_xs_directory(&hv, HV_TXN_NONE, "/t/a", &names, &n),
		    -ENOENT);
		T_TRUE(t, names == NULL);
		hv_xs_disconnect(&hv);
	}
	t_sim_host_stop(t, &ts);
}

/*
 * Our own domain id from XenStore (xvifd on Xen without --backend-domid):
 * the relative "domid" is read below our home, /local/domain/0 for this
 * connection; absent, garbage and out of range are told apart.
 */
static void
t_own_domid(struct t_ctx *t)
{
	static const char *const bad[] = { "", "x", "7x", "-1", "+7", " 7",
	    "32752", "70000", "99999999999999999999" };
	struct t_sim ts;
	struct hv hv;
	domid_t d = 1234;
	unsigned int i;

	if (!t_sim_host_start(t, &ts))
		return;
	if (hvx_connect(t, &ts, &hv)) {
		(void)hv_xs_rm(&hv, HV_TXN_NONE, "/local/domain/0/domid");
		T_EQ(t, hv_own_domid(&hv, &d), -ENOENT);
		T_EQ(t, d, 1234);
		T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE, "/local/domain/0/domid",
		    "7"), 0);
		T_EQ(t, hv_own_domid(&hv, &d), 0);
		T_EQ(t, d, 7);
		T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE, "/local/domain/0/domid",
		    "32751"), 0);
		T_EQ(t, hv_own_domid(&hv, &d), 0);
		T_EQ(t, d, 32751);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			d = 1234;
			T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE,
			    "/local/domain/0/domid", bad[i]), 0);
			t_check(t, hv_own_domid(&hv, &d) == -EINVAL, __FILE__,
			    __LINE__, "domid \"%s\": -EINVAL", bad[i]);
			T_EQ(t, d, 1234);
		}
		hv_xs_disconnect(&hv);
	}
	t_sim_host_stop(t, &ts);
}

static void
t_txn(struct t_ctx *t)
{
	struct t_sim ts;
	struct hv a, b;
	uint32_t txn;
	char buf[16];

	if (!t_sim_host_start(t, &ts))
		return;
	if (hvx_connect(t, &ts, &a) && hvx_connect(t, &ts, &b)) {
		T_EQ(t, hv_xs_write(&a, HV_TXN_NONE, "/t/k", "0"), 0);
		/* Commit: visible to others only afterwards. */
		T_EQ(t, hv_xs_txn_start(&a, &txn), 0);
		T_EQ(t, hv_xs_write(&a, txn, "/t/k", "1"), 0);
		T_EQ(t, hv_xs_read(&b, HV_TXN_NONE, "/t/k", buf, sizeof(buf)), 1);
		T_STREQ(t, buf, "0");
		T_EQ(t, hv_xs_txn_end(&a, txn, false), 0);
		T_EQ(t, hv_xs_read(&b, HV_TXN_NONE, "/t/k", buf, sizeof(buf)), 1);
		T_STREQ(t, buf, "1");
		/* Abort: nothing happened. */
		T_EQ(t, hv_xs_txn_start(&a, &txn), 0);
		T_EQ(t, hv_xs_write(&a, txn, "/t/k", "2"), 0);
		T_EQ(t, hv_xs_txn_end(&a, txn, true), 0);
		T_EQ(t, hv_xs_read(&b, HV_TXN_NONE, "/t/k", buf, sizeof(buf)), 1);
		T_STREQ(t, buf, "1");
		/* Conflict: another client changed what we read. */
		T_EQ(t, hv_xs_txn_start(&a, &txn), 0);
		T_EQ(t, hv_xs_read(&a, txn, "/t/k", buf, sizeof(buf)), 1);
		T_EQ(t, hv_xs_write(&b, HV_TXN_NONE, "/t/k", "3"), 0);
		T_EQ(t, hv_xs_write(&a, txn, "/t/k", "4"), 0);
		T_EQ(t, hv_xs_txn_end(&a, txn, false), -EAGAIN);
		T_EQ(t, hv_xs_read(&b, HV_TXN_NONE, "/t/k", buf, sizeof(buf)), 1);
		T_STREQ(t, buf, "3");
		hv_xs_disconnect(&a);
		hv_xs_disconnect(&b);
	}
	t_sim_host_stop(t, &ts);
}

/* Wait up to 5 s for a watch event; 1 if one came, with path/token. */
static int
hvx_next_watch(struct hv *hv, char *path, char *token)
{
	struct pollfd pfd = { .fd = hv_xs_watch_fd(hv), .events = POLLIN };
	int i, rc;

	for (i = 0; i < 50; i++) {
		rc = hv_xs_read_watch(hv, path, 256, token, 64);
		if (rc != 0)
			return rc;
		(void)poll(&pfd, 1, 100);
	}
	return 0;
}

static void
t_watch(struct t_ctx *t)
{
	struct t_sim ts;
	struct hv hv;
	char path[256], token[64];

	if (!t_sim_host_start(t, &ts))
		return;
	if (hvx_connect(t, &ts, &hv)) {
		T_EQ(t, hv_xs_watch(&hv, "/t/w", "tok"), 0);
		T_TRUE(t, hv_xs_watch_fd(&hv) >= 0);
		/* The initial event on registration. */
		T_EQ(t, hvx_next_watch(&hv, path, token), 1);
		T_STREQ(t, path, "/t/w");
		T_STREQ(t, token, "tok");
		T_EQ(t, hv_xs_read_watch(&hv, path, 256, token, 64), 0);
		/* A write below the watched path fires it. */
		T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE, "/t/w/x", "1"), 0);
		T_EQ(t, hvx_next_watch(&hv, path, token), 1);
		T_STREQ(t, path, "/t/w/x");
		/* Too small a buffer: -E2BIG, and the event is consumed. */
		T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE, "/t/w/long-name-here",
		    "1"), 0);
		{
			struct pollfd pfd = { .fd = hv_xs_watch_fd(&hv),
				.events = POLLIN };
			(void)poll(&pfd, 1, 2000);
		}
		T_EQ(t, hv_xs_read_watch(&hv, path, 8, token, 64), -E2BIG);
		T_EQ(t, hv_xs_unwatch(&hv, "/t/w", "tok"), 0);
		T_EQ(t, hv_xs_unwatch(&hv, "/t/w", "tok"), -ENOENT);
		hv_xs_disconnect(&hv);
	}
	t_sim_host_stop(t, &ts);
}

static void
t_perms(struct t_ctx *t)
{
	static const struct hv_perm ok[] = { { 0, 'n' }, { 5, 'r' } };
	static const struct hv_perm bad[] = { { 0, 'x' } };
	struct t_sim ts;
	struct hv hv;
	struct xs_permissions *p;
	unsigned int n = 0;

	if (!t_sim_host_start(t, &ts))
		return;
	if (hvx_connect(t, &ts, &hv)) {
		T_EQ(t, hv_xs_write(&hv, HV_TXN_NONE, "/t/p", ""), 0);
		T_EQ(t, hv_xs_set_perms(&hv, HV_TXN_NONE, "/t/p", ok, 2), 0);
		T_EQ(t, hv_xs_set_perms(&hv, HV_TXN_NONE, "/t/p", bad, 1),
		    -EINVAL);
		T_EQ(t, hv_xs_set_perms(&hv, HV_TXN_NONE, "/t/p", ok, 0),
		    -EINVAL);
		p = xs_get_permissions(hv.hv_xsh, XBT_NULL, "/t/p", &n);
		T_REQUIRE(t, p != NULL);
		T_EQ(t, n, 2);
		if (n == 2) {
			T_EQ(t, p[0].id, 0);
			T_EQ(t, p[0].perms, XS_PERM_NONE);
			T_EQ(t, p[1].id, 5);
			T_EQ(t, p[1].perms, XS_PERM_READ);
		}
		free(p);
		hv_xs_disconnect(&hv);
	}
	t_sim_host_stop(t, &ts);
}

static void
t_domain_alive(struct t_ctx *t)
{
	struct t_sim ts;
	struct hv hv;

	if (!t_sim_host_start(t, &ts))
		return;
	if (hvx_connect(t, &ts, &hv)) {
		T_EQ(t, hv_xs_domain_alive(&hv, 0), 1);
		T_EQ(t, hv_xs_domain_alive(&hv, 7), 0);
		T_TRUE(t, xs_introduce_domain(hv.hv_xsh, 7, 0, 1));
		T_EQ(t, hv_xs_domain_alive(&hv, 7), 1);
		T_TRUE(t, xs_release_domain(hv.hv_xsh, 7));
		T_EQ(t, hv_xs_domain_alive(&hv, 7), 0);
		hv_xs_disconnect(&hv);
	}
	t_sim_host_stop(t, &ts);
}

/* Without /dev/xen, opening the real port fails cleanly, naming why. */
static void
t_open_without_xen(struct t_ctx *t)
{
	struct t_sim ts;
	struct hv *hv = (struct hv *)1;
	int rc;

	if (!t_sim_host_start(t, &ts))
		return;
	rc = hv_open(&hv_xen_ops, NULL, &hv);
	if (access("/dev/xen/gntdev", F_OK) == 0) {
		/* A real dom0: the port must open. */
		T_EQ(t, rc, 0);
		hv_close(hv);
	} else {
		T_TRUE(t, rc < 0);
		T_TRUE(t, hv == NULL);
	}
	t_sim_host_stop(t, &ts);
}

static void
xtl(struct xentoollog_logger *lg, xentoollog_level level, int errnoval,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lg->vmessage(lg, level, errnoval, "gnttab", fmt, ap);
	va_end(ap);
}

/*
 * The libraries' lines (one per failed grant map, whose refs a guest
 * chooses): through log.c, 10 a window, not one each on standard error.
 */
static void
t_lib_logger(struct t_ctx *t)
{
	struct xentoollog_logger *lg = hv_xen_logger();
	char path[] = "/tmp/t_hv_xen.XXXXXX", line[256];
	unsigned int i, lines = 0, said = 0;
	int fd, saved;
	FILE *f;

	if (!T_TRUE(t, (fd = mkstemp(path)) >= 0))
		return;
	(void)unlink(path);
	fflush(stderr);
	saved = dup(2);
	T_REQUIRE(t, saved >= 0 && dup2(fd, 2) == 2);
	for (i = 0; i < 100; i++)
		xtl(lg, XTL_ERROR, EINVAL, "mmap failed");
	xtl(lg, XTL_DEBUG, -1, "a debug line, %d", 1);
	fflush(stderr);
	(void)dup2(saved, 2);
	close(saved);
	T_REQUIRE(t, (f = fdopen(fd, "r")) != NULL);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		if (strstr(line, "libgnttab: mmap failed: Invalid argument\n") != NULL)
			said++;
	}
	fclose(f);
	T_EQ(t, said, 10);
	T_EQ(t, lines, 10);
}

const struct t_case t_cases[] = {
	{ "xenstore read/write/mkdir/directory/rm", t_rw },
	{ "our own domain id from XenStore's \"domid\"", t_own_domid },
	{ "xenstore transactions: commit, abort, conflict", t_txn },
	{ "xenstore watches: initial, prefix, small buffer", t_watch },
	{ "xenstore permissions", t_perms },
	{ "domain alive follows introduce/release", t_domain_alive },
	{ "hv_open fails cleanly without /dev/xen", t_open_without_xen },
	{ "libxengnttab's and libxenevtchn's lines: limited, through log.c",
	    t_lib_logger },
	{ NULL, NULL }
};
