/*
 * t_xsd_core.c -- the simulated xenstored's core in-process, no sockets:
 * permission inheritance and the EACCES/ENOENT rule, path validation, the
 * transaction conflict rule of 4.17, watch matching and filtering, rm
 * events, quotas, the bounded output queue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "xsd.h"

static char t_evs[8192];	/* events seen by rq(): "path token;" */

/*
 * Sends one request on c and returns its reply type; the reply payload
 * (NULs turned into '|', except the last) goes to out.  Events queued
 * before the reply are appended to t_evs.
 */
static int
rq(struct xsd_conn *c, uint32_t type, uint32_t tx, const char *p,
    unsigned int len, char *out)
{
	struct xsd_sockmsg h = { type, 77, tx, len }, r;
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	unsigned int i;

	xsd_request(c, &h, p);
	while (xsd_conn_pop(c, &r, buf) == 1) {
		if (r.type == XS_WATCH_EVENT) {
			size_t o = strlen(t_evs);
			snprintf(t_evs + o, sizeof(t_evs) - o, "%s %s;", buf,
			    buf + strlen(buf) + 1);
			continue;
		}
		if (r.req_id != 77 || r.tx_id != tx)
			return -1;
		for (i = 0; i + 1 < r.len; i++)
			if (buf[i] == '\0')
				buf[i] = '|';
		buf[r.len] = '\0';
		if (out != NULL)
			strcpy(out, buf);
		return (int)r.type;
	}
	return -2;
}

/* Requests with string arguments: "a", "b" -> "a\0b\0". */
static int
rqs(struct xsd_conn *c, uint32_t type, uint32_t tx, char *out, int n, ...)
{
	char p[XENSTORE_PAYLOAD_MAX];
	unsigned int len = 0;
	__builtin_va_list ap;
	const char *s;

	__builtin_va_start(ap, n);
	while (n-- > 0) {
		s = __builtin_va_arg(ap, const char *);
		memcpy(p + len, s, strlen(s) + 1);
		len += (unsigned int)strlen(s) + 1;
	}
	__builtin_va_end(ap);
	return rq(c, type, tx, p, len, out);
}

/* Write without the value's NUL, as libxenstore does. */
static int
wr(struct xsd_conn *c, uint32_t tx, const char *path, const char *val)
{
	char p[XENSTORE_PAYLOAD_MAX], out[64];
	size_t pl = strlen(path) + 1, vl = strlen(val);

	memcpy(p, path, pl);
	memcpy(p + pl, val, vl);
	if (rq(c, XS_WRITE, tx, p, (unsigned int)(pl + vl), out) == XS_ERROR)
		return -1;
	return strcmp(out, "OK") == 0 ? 0 : -2;
}

/* The reply as "TYPE:payload" or "ERR:EACCES". */
static const char *
rd(struct xsd_conn *c, uint32_t type, uint32_t tx, const char *path)
{
	static char out[XENSTORE_PAYLOAD_MAX + 8];
	char buf[XENSTORE_PAYLOAD_MAX + 1];

	if (rqs(c, type, tx, buf, 1, path) == XS_ERROR)
		snprintf(out, sizeof(out), "ERR:%s", buf);
	else
		snprintf(out, sizeof(out), "%s", buf);
	return out;
}

struct world {
	struct xsd	 x;
	struct xsd_conn	*d0, *g5, *g6;
};

static bool
world_init(struct t_ctx *t, struct world *w)
{
	char out[64];

	if (!T_TRUE(t, xsd_init(&w->x) == 0))
		return false;
	w->d0 = xsd_conn_new(&w->x, 0, true);
	rqs(w->d0, XS_INTRODUCE, 0, out, 3, "5", "0", "1");
	T_STREQ(t, out, "OK");
	rqs(w->d0, XS_INTRODUCE, 0, out, 3, "6", "0", "1");
	w->g5 = xsd_conn_new(&w->x, 5, false);
	w->g6 = xsd_conn_new(&w->x, 6, false);
	/* As a toolstack does: the guest's home, owned by the guest. */
	T_EQ(t, wr(w->d0, 0, "/local/domain/5", ""), 0);
	rqs(w->d0, XS_SET_PERMS, 0, out, 3, "/local/domain/5", "n5", "r0");
	T_STREQ(t, out, "OK");
	t_evs[0] = '\0';
	return w->d0 != NULL && w->g5 != NULL && w->g6 != NULL;
}

static void
t_perms(struct t_ctx *t)
{
	struct world w;
	char out[128];

	T_REQUIRE(t, world_init(t, &w));
	T_EQ(t, wr(w.d0, 0, "/shared", ""), 0);
	rqs(w.d0, XS_SET_PERMS, 0, out, 4, "/shared", "n0", "b5", "r6");
	/* Guest 5 creates x/y under it: inherits, but owns them. */
	T_EQ(t, wr(w.g5, 0, "/shared/x/y", "v"), 0);
	T_STREQ(t, rd(w.g5, XS_GET_PERMS, 0, "/shared/x"), "n5|b5|r6");
	T_STREQ(t, rd(w.g5, XS_GET_PERMS, 0, "/shared/x/y"), "n5|b5|r6");
	/* dom0 creates: the parent's perms as they are. */
	T_EQ(t, wr(w.d0, 0, "/shared/z/q", "v"), 0);
	T_STREQ(t, rd(w.d0, XS_GET_PERMS, 0, "/shared/z/q"), "n0|b5|r6");
	/* Relative paths are below the guest's home. */
	T_EQ(t, wr(w.g5, 0, "rel/a", "1"), 0);
	T_STREQ(t, rd(w.d0, XS_GET_PERMS, 0, "/local/domain/5/rel/a"),
	    "n5|r0");
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/local/domain/5/rel/a"), "1");
	/* Guest 6 reads (r6) but may not write; guest 6 can't see home 5. */
	T_STREQ(t, rd(w.g6, XS_READ, 0, "/shared/x/y"), "v");
	T_EQ(t, wr(w.g6, 0, "/shared/x/y", "w"), -1);
	T_STREQ(t, rd(w.g6, XS_READ, 0, "/local/domain/5/rel/a"), "ERR:EACCES");
	/* ENOENT only where the parent would let you know. */
	T_STREQ(t, rd(w.g6, XS_READ, 0, "/shared/none"), "ERR:ENOENT");
	T_STREQ(t, rd(w.g6, XS_READ, 0, "/local/domain/5/none"), "ERR:EACCES");
	T_STREQ(t, rd(w.g6, XS_READ, 0, "/local/domain/0/none/deeper"),
	    "ERR:EACCES");
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/local/domain/0/none/deeper"),
	    "ERR:ENOENT");
	/* Creating below a node you may not write: EACCES. */
	T_EQ(t, wr(w.g6, 0, "/shared/new", "x"), -1);
	/* Owner only: set_perms, and no giving away. */
	T_EQ(t, rqs(w.g5, XS_SET_PERMS, 0, out, 3, "/shared/x", "n5", "r6"),
	    XS_SET_PERMS);
	T_EQ(t, rqs(w.g5, XS_SET_PERMS, 0, out, 2, "/shared/x", "n6"),
	    XS_ERROR);
	T_STREQ(t, out, "EPERM");
	T_EQ(t, rqs(w.g6, XS_SET_PERMS, 0, out, 2, "/shared/x", "n6"),
	    XS_ERROR);
	T_STREQ(t, out, "EACCES");
	T_EQ(t, rqs(w.g5, XS_SET_PERMS, 0, out, 2, "/shared/x", "q5"),
	    XS_ERROR);
	T_STREQ(t, out, "EINVAL");
	/* Privileged-only requests. */
	T_EQ(t, rqs(w.g5, XS_INTRODUCE, 0, out, 3, "9", "0", "1"), XS_ERROR);
	T_STREQ(t, out, "EACCES");
	xsd_fini(&w.x);
}

static void
t_paths(struct t_ctx *t)
{
	static const char *bad[] = { "/a/", "/a//b", "/a b", "/a\xc3\xa9",
	    "", "/a/.", NULL };
	char big[XENSTORE_REL_PATH_MAX + 40];
	struct world w;
	int i;

	T_REQUIRE(t, world_init(t, &w));
	T_TRUE(t, xsd_valid_path("/"));
	T_TRUE(t, xsd_valid_path("/a-b_c@d/0"));
	for (i = 0; bad[i] != NULL; i++)
		T_STREQ(t, rd(w.d0, XS_READ, 0, bad[i]), "ERR:EINVAL");
	/* 2048 characters after /local/domain/N/ are fine, 2049 not. */
	strcpy(big, "/local/domain/5/");
	memset(big + 16, 'a', XENSTORE_REL_PATH_MAX);
	big[16 + XENSTORE_REL_PATH_MAX] = '\0';
	T_TRUE(t, xsd_valid_path(big));
	strcat(big, "a");
	T_TRUE(t, !xsd_valid_path(big));
	memset(big, 'a', XENSTORE_REL_PATH_MAX + 1);	/* elsewhere: 2048 */
	big[0] = '/';
	big[XENSTORE_REL_PATH_MAX] = '\0';
	T_TRUE(t, xsd_valid_path(big));
	big[XENSTORE_REL_PATH_MAX] = 'a';
	big[XENSTORE_REL_PATH_MAX + 1] = '\0';
	T_TRUE(t, !xsd_valid_path(big));
	T_STREQ(t, rd(w.d0, XS_RM, 0, "/"), "ERR:EINVAL");
	T_STREQ(t, rd(w.d0, XS_RM, 0, "/nonexistent"), "OK");
	T_STREQ(t, rd(w.d0, XS_RM, 0, "/no/nonexistent"), "ERR:ENOENT");
	xsd_fini(&w.x);
}

static uint32_t
txstart(struct xsd_conn *c)
{
	char out[32];

	if (rq(c, XS_TRANSACTION_START, 0, "", 1, out) != XS_TRANSACTION_START)
		return 0;
	return (uint32_t)atoi(out);
}

static void
t_txn(struct t_ctx *t)
{
	struct world w;
	uint32_t t1, t2;
	char out[64];

	T_REQUIRE(t, world_init(t, &w));
	T_EQ(t, wr(w.d0, 0, "/A", "1"), 0);
	T_EQ(t, wr(w.d0, 0, "/B", "1"), 0);
	/* 1. read A, write B: no conflict. */
	t1 = txstart(w.d0);
	T_TRUE(t, t1 != 0);
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/A"), "1");
	T_EQ(t, wr(w.d0, t1, "/B", "2"), 0);
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/B"), "1");	/* isolated */
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/B"), "2");
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "T"),
	    XS_TRANSACTION_END);
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/B"), "2");
	/* 2. read A, someone writes A: EAGAIN, nothing applied. */
	t1 = txstart(w.d0);
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/A"), "1");
	T_EQ(t, wr(w.g5, 0, "/local/domain/5/x", "x"), 0);	/* unrelated */
	T_EQ(t, wr(w.d0, 0, "/A", "3"), 0);
	T_EQ(t, wr(w.d0, t1, "/B", "9"), 0);
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/A"), "1");	/* its own copy */
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "T"), XS_ERROR);
	T_STREQ(t, out, "EAGAIN");
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/B"), "2");
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/B"), "ERR:ENOENT");	/* gone */
	/* 3. a write reads the node first (do_write): checked too. */
	t1 = txstart(w.d0);
	T_EQ(t, wr(w.d0, t1, "/A", "5"), 0);
	T_EQ(t, wr(w.d0, 0, "/A", "4"), 0);
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "T"), XS_ERROR);
	T_STREQ(t, out, "EAGAIN");
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/A"), "4");
	/* 4. reading an absent node, then it appears: EAGAIN. */
	t1 = txstart(w.d0);
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/C"), "ERR:ENOENT");
	T_EQ(t, wr(w.d0, 0, "/C", "c"), 0);
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "T"), XS_ERROR);
	T_STREQ(t, out, "EAGAIN");
	/* 5. two transactions: the second commit loses (example 4). */
	t1 = txstart(w.d0);
	t2 = txstart(w.d0);
	T_STREQ(t, rd(w.d0, XS_READ, t1, "/A"), "4");
	T_STREQ(t, rd(w.d0, XS_READ, t2, "/B"), "2");
	T_EQ(t, wr(w.d0, t1, "/B", "t1"), 0);
	T_EQ(t, wr(w.d0, t2, "/A", "t2"), 0);
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "T"),
	    XS_TRANSACTION_END);
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t2, out, 1, "T"), XS_ERROR);
	T_STREQ(t, out, "EAGAIN");
	/* 6. creating a child reads the parent: a parent change conflicts. */
	t1 = txstart(w.d0);
	T_EQ(t, wr(w.d0, t1, "/A/kid", "k"), 0);
	T_EQ(t, wr(w.d0, 0, "/A", "6"), 0);
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "T"), XS_ERROR);
	T_STREQ(t, out, "EAGAIN");
	/* abort, unknown ids, bad argument. */
	t1 = txstart(w.d0);
	T_EQ(t, wr(w.d0, t1, "/D", "d"), 0);
	T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, t1, out, 1, "F"),
	    XS_TRANSACTION_END);
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/D"), "ERR:ENOENT");
	T_STREQ(t, rd(w.d0, XS_READ, 4242, "/A"), "ERR:ENOENT");
	T_STREQ(t, rd(w.d0, XS_TRANSACTION_END, 0, "T"), "ERR:ENOENT");
	t1 = txstart(w.d0);
	T_STREQ(t, rd(w.d0, XS_TRANSACTION_END, t1, "X"), "ERR:EINVAL");
	T_STREQ(t, rd(w.d0, XS_TRANSACTION_START, t1, ""), "ERR:EBUSY");
	xsd_fini(&w.x);
}

static void
t_watch(struct t_ctx *t)
{
	struct world w;
	char out[64];

	T_REQUIRE(t, world_init(t, &w));
	T_TRUE(t, xsd_is_child("/a/b", "/a"));
	T_TRUE(t, xsd_is_child("/a", "/a"));
	T_TRUE(t, !xsd_is_child("/ab", "/a"));
	T_TRUE(t, xsd_is_child("/x", "/"));
	/* The initial event comes right after the ack. */
	T_EQ(t, rqs(w.d0, XS_WATCH, 0, out, 2, "/a", "tok"), XS_WATCH);
	T_EQ(t, xsd_conn_pop(w.d0, &(struct xsd_sockmsg){ 0 }, out), 1);
	T_STREQ(t, out, "/a");
	T_EQ(t, rqs(w.d0, XS_WATCH, 0, out, 2, "/a", "tok"), XS_ERROR);
	T_STREQ(t, out, "EEXIST");
	T_EQ(t, wr(w.d0, 0, "/ab", "1"), 0);
	T_EQ(t, wr(w.d0, 0, "/a/b/c", "1"), 0);
	T_EQ(t, wr(w.d0, 0, "/a/b/d", "1"), 0);
	T_EQ(t, rqs(w.d0, XS_RM, 0, out, 1, "/a/b"), XS_RM);
	/* The rm of /a/b: its children fire only watches on exactly them. */
	T_STREQ(t, t_evs, "/a/b/c tok;/a/b/d tok;/a/b tok;");
	T_EQ(t, rqs(w.d0, XS_UNWATCH, 0, out, 2, "/a", "tok"), XS_UNWATCH);
	T_EQ(t, rqs(w.d0, XS_UNWATCH, 0, out, 2, "/a", "tok"), XS_ERROR);
	T_STREQ(t, out, "ENOENT");
	/* Relative watch, relative events; filtering by read perms. */
	t_evs[0] = '\0';
	T_EQ(t, rqs(w.g5, XS_WATCH, 0, out, 2, "dev", "r"), XS_WATCH);
	T_EQ(t, rqs(w.g5, XS_WATCH, 0, out, 2, "/local/domain/0", "d0"),
	    XS_WATCH);
	T_EQ(t, rqs(w.g5, XS_WATCH, 0, out, 2, "@releaseDomain", "rel"),
	    XS_WATCH);
	T_EQ(t, rqs(w.g5, XS_READ, 0, out, 1, "dev"), XS_ERROR);
	T_STREQ(t, t_evs, "dev r;/local/domain/0 d0;@releaseDomain rel;");
	t_evs[0] = '\0';
	T_EQ(t, wr(w.d0, 0, "/local/domain/5/dev/vif", "1"), 0);
	T_EQ(t, wr(w.d0, 0, "/local/domain/0/secret", "1"), 0);
	rqs(w.d0, XS_RELEASE, 0, out, 1, "6");
	T_EQ(t, rqs(w.g5, XS_READ, 0, out, 1, "dev/vif"), XS_READ);
	/* No event for dom0's node; none for @releaseDomain (perms n0). */
	T_STREQ(t, t_evs, "dev/vif r;");
	t_evs[0] = '\0';
	rqs(w.d0, XS_SET_PERMS, 0, out, 3, "@releaseDomain", "n0", "r5");
	rqs(w.d0, XS_INTRODUCE, 0, out, 3, "6", "0", "1");
	rqs(w.d0, XS_RELEASE, 0, out, 1, "6");
	T_EQ(t, rqs(w.g5, XS_READ, 0, out, 1, "dev/vif"), XS_READ);
	T_STREQ(t, t_evs, "@releaseDomain rel;");
	/* A transaction's events come at commit only. */
	t_evs[0] = '\0';
	{
		uint32_t tx = txstart(w.d0);

		T_EQ(t, wr(w.d0, tx, "/local/domain/5/dev/t", "1"), 0);
		T_EQ(t, rqs(w.g5, XS_READ, 0, out, 1, "dev/vif"), XS_READ);
		T_STREQ(t, t_evs, "");
		T_EQ(t, rqs(w.d0, XS_TRANSACTION_END, tx, out, 1, "T"),
		    XS_TRANSACTION_END);
		T_EQ(t, rqs(w.g5, XS_READ, 0, out, 1, "dev/vif"), XS_READ);
		T_STREQ(t, t_evs, "dev/t r;");
	}
	xsd_fini(&w.x);
}

static void
t_quota(struct t_ctx *t)
{
	struct world w;
	char path[64], out[64], val[XSD_QUOTA_ENTRY_SIZE];
	int i, n, rc;

	T_REQUIRE(t, world_init(t, &w));
	/* A guest's directory is an entry too: its children list counts. */
	for (n = 0; n < 1000; n++) {
		snprintf(path, sizeof(path), "big/a-long-name-for-a-child-%d", n);
		if (wr(w.g5, 0, path, "") != 0)
			break;
	}
	T_TRUE(t, n > 10 && n < 100);
	T_STREQ(t, rd(w.g5, XS_WRITE, 0, "big/a-long-name-for-a-child-0"), "OK");
	T_EQ(t, wr(w.g5, 0, "big/a-long-name-for-a-child-xyz", ""), -1);
	/* The guest owns /local/domain/5 already: 999 more nodes. */
	for (n = 0; n < 2000; n++) {
		snprintf(path, sizeof(path), "d%d/n%d", n / 100, n);
		if ((rc = wr(w.g5, 0, path, "")) != 0)
			break;
	}
	T_EQ(t, xsd_dom_get(&w.x, 5, false)->d_nbentry, XSD_QUOTA_NODES);
	T_STREQ(t, rd(w.g5, XS_WRITE, 0, "d0/one-more"), "ERR:ENOSPC");
	T_EQ(t, wr(w.d0, 0, "/local/domain/5/by-dom0", ""), 0); /* dom0: no */
	T_STREQ(t, rd(w.g5, XS_RM, 0, "d0/n0"), "OK");
	T_STREQ(t, rd(w.g5, XS_RM, 0, "by-dom0"), "OK");	/* owner 5 */
	T_EQ(t, wr(w.g5, 0, "again", ""), 0);
	/* Entry size: 24 + 8 per perm + data + children < 2048. */
	memset(val, 'v', sizeof(val));
	val[2048 - 24 - 16 - 1] = '\0';
	T_EQ(t, wr(w.g5, 0, "d0/n5", val), 0);
	val[2048 - 24 - 16 - 1] = 'v';
	val[2048 - 24 - 16] = '\0';
	T_EQ(t, wr(w.g5, 0, "d0/n5", val), -1);
	T_EQ(t, wr(w.d0, 0, "/local/domain/5/d0/n5", val), 0);
	/* Watches: 4.17 checks before counting, so 129 fit. */
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "w%d", i);
		if (rqs(w.g6, XS_WATCH, 0, out, 2, path, "t") != XS_WATCH)
			break;
	}
	T_EQ(t, i, XSD_QUOTA_WATCHES + 1);
	T_STREQ(t, out, "E2BIG");
	/* Transactions: likewise 11. */
	for (i = 0; i < 20 && txstart(w.g6) != 0; i++)
		;
	T_EQ(t, i, XSD_QUOTA_TXNS + 1);
	T_STREQ(t, rd(w.g6, XS_TRANSACTION_START, 0, ""), "ERR:ENOSPC");
	/* Perms per node: 5 entries. */
	T_EQ(t, rqs(w.g5, XS_SET_PERMS, 0, out, 6, "d0/n2", "n5", "r1", "r2",
	    "r3", "r4"), XS_SET_PERMS);
	T_EQ(t, rqs(w.g5, XS_SET_PERMS, 0, out, 7, "d0/n2", "n5", "r1", "r2",
	    "r3", "r4", "r6"), XS_ERROR);
	T_STREQ(t, out, "ENOSPC");
	/* Release removes what the guest owns. */
	T_EQ(t, rqs(w.d0, XS_RELEASE, 0, out, 1, "5"), XS_RELEASE);
	T_STREQ(t, rd(w.d0, XS_READ, 0, "/local/domain/5/again"),
	    "ERR:ENOENT");
	T_STREQ(t, rd(w.d0, XS_DIRECTORY, 0, "/local/domain"), "0");
	T_STREQ(t, rd(w.d0, XS_IS_DOMAIN_INTRODUCED, 0, "5"), "F");
	T_STREQ(t, rd(w.d0, XS_IS_DOMAIN_INTRODUCED, 0, "6"), "T");
	xsd_fini(&w.x);
}

static void
t_bounded(struct t_ctx *t)
{
	struct world w;
	char out[64];
	int i;

	T_REQUIRE(t, world_init(t, &w));
	w.g6 = xsd_conn_new(&w.x, 0, true);	/* a dom0 watcher */
	T_EQ(t, rqs(w.g6, XS_WATCH, 0, out, 2, "/", "all"), XS_WATCH);
	for (i = 0; i < 20000; i++) {
		char p[32];

		snprintf(p, sizeof(p), "/flood/%d", i);
		T_REQUIRE(t, wr(w.d0, 0, p, "") == 0);
	}
	T_TRUE(t, w.g6->c_outbytes <= XSD_OUT_MAX);
	T_TRUE(t, w.g6->c_outbytes > XSD_OUT_MAX / 2);
	/* Same event twice while pending: queued once. */
	while (xsd_conn_pop(w.g6, &(struct xsd_sockmsg){ 0 }, out) == 1)
		;
	T_EQ(t, wr(w.d0, 0, "/flood/1", "x"), 0);
	T_EQ(t, wr(w.d0, 0, "/flood/1", "y"), 0);
	T_EQ(t, w.g6->c_outbytes, sizeof(struct xsd_sockmsg) + 13);
	/* Unknown type and tx ids. */
	T_EQ(t, rq(w.d0, 999, 0, "", 0, out), XS_ERROR);
	T_STREQ(t, out, "ENOSYS");
	T_EQ(t, rq(w.d0, XS_WATCH_EVENT, 0, "", 0, out), XS_ERROR);
	T_STREQ(t, out, "ENOSYS");
	T_EQ(t, rq(w.d0, XS_READ, 0, "/local", 6, out), XS_ERROR);
	T_STREQ(t, out, "EINVAL");	/* no NUL */
	xsd_fini(&w.x);
}

const struct t_case t_cases[] = {
	{ "perms: inheritance, owner change, EACCES vs ENOENT", t_perms },
	{ "paths: validation and limits, rm", t_paths },
	{ "txn: 4.17 conflict rule, isolation, abort, ids", t_txn },
	{ "watch: matching, rm, relative, filtering, txn", t_watch },
	{ "quota: nodes, entry size, watches, txns, perms, release",
	    t_quota },
	{ "output queue bounded, duplicates, bad requests", t_bounded },
	{ NULL, NULL }
};
