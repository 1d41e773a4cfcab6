/*
 * t_hvsim_evtchn.c -- the simulated hypervisor's event channels: delivery
 * between two processes with masking, the EVTCHNOP_* errors, close and
 * domain death unbinding the peer, and several handles in one process.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvsim.h"
#include "t.h"
#include "t_proc.h"

/* Is the event fd readable within ms? */
static bool
readable(struct hvsim_dom *d, int ms)
{
	struct pollfd pfd = { .fd = hvsim_evt_fd(d), .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

/* Wait (bounded) for one event; the port it came on, or 0. */
static uint32_t
wait_event(struct hvsim_dom *d, int ms)
{
	uint32_t port;

	if (!readable(d, ms) || hvsim_evt_pending(d, &port) != 0)
		return 0;
	return port;
}

/*
 * The guest process.  Protocol over the pipes: guest sends its port;
 * backend answers 1 when bound; guest waits for the backend's notify,
 * notifies back, sends 2; backend asks 3: guest notifies twice more (the
 * backend is masked), sends 4; backend says 5: done.
 */
static int
evt_guest(const char *dir, domid_t gid, int rfd, int wfd)
{
	struct hvsim_dom *fe;
	uint32_t port, v, got;

	if (hvsim_open(dir, gid, &fe) < 0)
		return 2;
	if (hvsim_evt_alloc_unbound(fe, 0, &port) < 0 || port != 1)
		return 3;
	if (!t_tx_u32(wfd, port) || !t_rx_u32(rfd, &v, 5000) || v != 1)
		return 4;
	if ((got = wait_event(fe, 5000)) != port)
		return 5;
	if (hvsim_evt_pending(fe, &got) != -EAGAIN)	/* one event only */
		return 6;
	if (hvsim_evt_unmask(fe, port) < 0 || hvsim_evt_notify(fe, port) < 0)
		return 7;
	if (!t_tx_u32(wfd, 2) || !t_rx_u32(rfd, &v, 5000) || v != 3)
		return 8;
	if (hvsim_evt_notify(fe, port) < 0 || hvsim_evt_notify(fe, port) < 0)
		return 9;
	if (!t_tx_u32(wfd, 4) || !t_rx_u32(rfd, &v, 5000) || v != 5)
		return 10;
	hvsim_close(fe);
	return 0;
}

static void
t_deliver_two_processes(struct t_ctx *t)
{
	const char *dir = t_tmpdir(t);
	struct hvsim_dom *be = NULL;
	int to_child[2] = { -1, -1 }, to_parent[2] = { -1, -1 };
	uint32_t gport, bport = 0, v;
	domid_t gid;
	pid_t pid = -1;

	signal(SIGPIPE, SIG_IGN);	/* a dead child fails, not kills, us */
	T_REQUIRE(t, hvsim_host_init(dir) == 0);
	T_REQUIRE(t, hvsim_domain_create(dir, 4, &gid) == 0);
	T_REQUIRE(t, pipe(to_child) == 0 && pipe(to_parent) == 0);
	if ((pid = fork()) == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		_exit(evt_guest(dir, gid, to_child[0], to_parent[1]));
	}
	close(to_child[0]);
	close(to_parent[1]);
	if (!T_TRUE(t, pid > 0) || !T_EQ(t, hvsim_open(dir, 0, &be), 0))
		goto out;
	if (!T_TRUE(t, t_rx_u32(to_parent[0], &gport, 5000)) ||
	    !T_EQ(t, hvsim_evt_bind(be, gid, gport, &bport), 0))
		goto out;
	T_EQ(t, bport, 1);			/* ports start at 1 */
	/* As in Xen, a fresh binding starts pending: take that first. */
	T_EQ(t, wait_event(be, 2000), bport);
	T_EQ(t, hvsim_evt_unmask(be, bport), 0);
	T_TRUE(t, !readable(be, 0));
	T_TRUE(t, t_tx_u32(to_child[1], 1));
	T_EQ(t, hvsim_evt_notify(be, bport), 0);
	/* The guest notifies back. */
	T_EQ(t, wait_event(be, 5000), bport);
	T_TRUE(t, t_rx_u32(to_parent[0], &v, 5000) && v == 2);
	/* Masked now: the guest's two notifies must not wake us... */
	T_TRUE(t, t_tx_u32(to_child[1], 3));
	T_TRUE(t, t_rx_u32(to_parent[0], &v, 5000) && v == 4);
	T_TRUE(t, !readable(be, 200));
	T_EQ(t, hvsim_evt_pending(be, &v), -EAGAIN);
	/* ...but show up (once) after unmask. */
	T_EQ(t, hvsim_evt_unmask(be, bport), 0);
	T_EQ(t, wait_event(be, 5000), bport);
	T_EQ(t, hvsim_evt_unmask(be, bport), 0);
	T_TRUE(t, !readable(be, 100));
	T_TRUE(t, t_tx_u32(to_child[1], 5));
out:
	if (pid > 0)
		T_EQ(t, t_reap(pid, 10000), 0);
	hvsim_close(be);
	close(to_child[1]);
	close(to_parent[0]);
}

/* Both ends in this process. */
struct te {
	const char		*te_dir;
	domid_t			 te_gid;
	struct hvsim_dom	*te_be, *te_fe;
};

static bool
te_setup(struct t_ctx *t, struct te *te)
{
	memset(te, 0, sizeof(*te));
	te->te_dir = t_tmpdir(t);
	return T_EQ(t, hvsim_host_init(te->te_dir), 0) &&
	    T_EQ(t, hvsim_domain_create(te->te_dir, 4, &te->te_gid), 0) &&
	    T_EQ(t, hvsim_open(te->te_dir, 0, &te->te_be), 0) &&
	    T_EQ(t, hvsim_open(te->te_dir, te->te_gid, &te->te_fe), 0);
}

static void
te_teardown(struct te *te)
{
	hvsim_close(te->te_fe);
	hvsim_close(te->te_be);
}

static void
t_bind_errors(struct t_ctx *t)
{
	struct te te;
	uint32_t gp, gp7, bp, x;

	if (!te_setup(t, &te))
		goto out;
	/* Not unbound: free, reserved port 0, out of range. */
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, 5, &x), -EINVAL);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, 0, &x), -EINVAL);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, 1u << 20, &x), -EINVAL);
	/* Reserved for another domain. */
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 7, &gp7), 0);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp7, &x), -EINVAL);
	/* No such domain. */
	T_EQ(t, hvsim_evt_bind(te.te_be, 999, 1, &x), -ESRCH);
	T_EQ(t, hvsim_evt_bind(te.te_be, 500, 1, &x), -ESRCH);
	/* Already bound. */
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &gp), 0);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp, &bp), 0);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp, &x), -EINVAL);
	/* A failed bind left no port behind: the next is bp + 1. */
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_be, te.te_gid, &x), 0);
	T_EQ(t, x, bp + 1);
	/* Notify on a closed port, or one never ours. */
	T_EQ(t, hvsim_evt_close(te.te_be, bp), 0);
	T_EQ(t, hvsim_evt_notify(te.te_be, bp), -ENOTCONN);
	T_EQ(t, hvsim_evt_close(te.te_be, bp), -ENOTCONN);
	T_EQ(t, hvsim_evt_notify(te.te_be, 77), -ENOTCONN);
	T_EQ(t, hvsim_evt_unmask(te.te_be, 77), -ENOTCONN);
	T_EQ(t, hvsim_evt_close(te.te_be, 0), -EINVAL);
	/* An unbound port of ours: the notify is dropped, not an error. */
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp7), 0);
out:
	te_teardown(&te);
}

static void
t_close_unbinds_peer(struct t_ctx *t)
{
	struct te te;
	uint32_t gp, bp, bp2, x;

	if (!te_setup(t, &te))
		goto out;
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &gp), 0);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp, &bp), 0);
	T_EQ(t, wait_event(te.te_be, 1000), bp);
	T_EQ(t, hvsim_evt_unmask(te.te_be, bp), 0);
	/* The backend closes: the guest's port is unbound again, for dom0. */
	T_EQ(t, hvsim_evt_close(te.te_be, bp), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp), 0);	/* dropped */
	T_TRUE(t, !readable(te.te_be, 100));
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp, &bp2), 0);
	T_EQ(t, bp2, bp);			/* lowest free port again */
	T_EQ(t, wait_event(te.te_be, 1000), bp2);
	T_EQ(t, hvsim_evt_unmask(te.te_be, bp2), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp), 0);
	T_EQ(t, wait_event(te.te_be, 1000), bp2);
	T_EQ(t, hvsim_evt_unmask(te.te_be, bp2), 0);
	/* The guest closes: dom0's port is unbound, reserved for the guest. */
	T_EQ(t, hvsim_evt_close(te.te_fe, gp), 0);
	T_EQ(t, hvsim_evt_notify(te.te_be, bp2), 0);	/* dropped */
	T_TRUE(t, !readable(te.te_fe, 100));
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp, &x), -EINVAL);
	T_EQ(t, hvsim_evt_bind(te.te_fe, 0, bp2, &x), 0);
	T_EQ(t, hvsim_evt_notify(te.te_be, bp2), 0);
	T_EQ(t, wait_event(te.te_fe, 1000), x);
out:
	te_teardown(&te);
}

static int
count_fifos(const char *dir, domid_t dom)
{
	char path[512], pre[32];
	struct dirent *de;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/evtchn", dir);
	snprintf(pre, sizeof(pre), "d%u-", (unsigned int)dom);
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strncmp(de->d_name, pre, strlen(pre)) == 0)
			n++;
	closedir(dp);
	return n;
}

static void
t_destroy_closes_ports(struct t_ctx *t)
{
	struct te te;
	struct hvsim_dom *fe2 = NULL;
	uint32_t gp, gp2, bp, x;
	domid_t gid2;

	if (!te_setup(t, &te))
		goto out;
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &gp), 0);
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &gp2), 0);
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp, &bp), 0);
	T_EQ(t, count_fifos(te.te_dir, te.te_gid), 2);
	/* While the guest lives, dom0's port is bound: no second binding. */
	T_EQ(t, hvsim_domain_destroy(te.te_dir, te.te_gid), 0);
	T_EQ(t, count_fifos(te.te_dir, te.te_gid), 0);
	T_EQ(t, hvsim_evt_notify(te.te_be, bp), 0);	/* dropped */
	T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp2, &x), -ESRCH);
	/*
	 * Xen leaves dom0's port unbound, reserved for the dead id: the next
	 * domain to get that id may bind to it.
	 */
	T_EQ(t, hvsim_domain_create(te.te_dir, 4, &gid2), 0);
	T_EQ(t, gid2, te.te_gid);
	T_EQ(t, hvsim_open(te.te_dir, gid2, &fe2), 0);
	if (fe2 != NULL) {
		T_EQ(t, hvsim_evt_bind(fe2, 0, bp, &x), 0);
		T_EQ(t, hvsim_evt_notify(te.te_be, bp), 0);
		T_EQ(t, wait_event(fe2, 1000), x);
	}
out:
	hvsim_close(fe2);
	te_teardown(&te);
}

static void
t_many_ports(struct t_ctx *t)
{
	struct te te;
	uint32_t gp[8], bp[8], got[16], p;
	int i, k, n, m, seen = 0;

	if (!te_setup(t, &te))
		goto out;
	for (i = 0; i < 8; i++) {
		T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &gp[i]), 0);
		T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp[i], &bp[i]), 0);
		T_EQ(t, wait_event(te.te_be, 1000), bp[i]);
		T_EQ(t, hvsim_evt_unmask(te.te_be, bp[i]), 0);
	}
	/* Three of them fire; each is reported once, on its own port. */
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[1]), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[4]), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[4]), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[7]), 0);
	while ((p = wait_event(te.te_be, 200)) != 0) {
		for (i = 0; i < 8; i++)
			if (p == bp[i])
				seen |= 1 << i;
	}
	T_EQ(t, seen, (1 << 1) | (1 << 4) | (1 << 7));
	/*
	 * One look takes every port that fired (as one read of Linux's
	 * evtchn device), at most as many as asked for, each once.
	 */
	for (i = 0; i < 8; i++)
		T_EQ(t, hvsim_evt_unmask(te.te_be, bp[i]), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[0]), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[3]), 0);
	T_EQ(t, hvsim_evt_notify(te.te_fe, gp[6]), 0);
	T_TRUE(t, readable(te.te_be, 1000));	/* a notify is a write: all in */
	seen = 0;
	n = hvsim_evt_pending_n(te.te_be, got, 2);
	T_EQ(t, n, 2);
	m = hvsim_evt_pending_n(te.te_be, got + 2, 8);
	T_EQ(t, m, 1);
	for (k = 0; k < n + m && n >= 0 && m >= 0; k++)
		for (i = 0; i < 8; i++)
			if (got[k] == bp[i])
				seen |= 1 << i;
	T_EQ(t, seen, (1 << 0) | (1 << 3) | (1 << 6));
	T_EQ(t, hvsim_evt_pending_n(te.te_be, got, 8), 0);
	T_TRUE(t, !readable(te.te_be, 0));
	/* Each port taken in a batch is masked, and fires again unmasked. */
	for (i = 0; i < 8; i += 3)
		T_EQ(t, hvsim_evt_notify(te.te_fe, gp[i]), 0);
	T_TRUE(t, !readable(te.te_be, 100));
	seen = 0;
	for (i = 0; i < 8; i += 3)
		T_EQ(t, hvsim_evt_unmask(te.te_be, bp[i]), 0);
	T_TRUE(t, readable(te.te_be, 1000));
	n = hvsim_evt_pending_n(te.te_be, got, 8);
	T_EQ(t, n, 3);
	for (k = 0; k < n; k++)
		for (i = 0; i < 8; i++)
			if (got[k] == bp[i])
				seen |= 1 << i;
	T_EQ(t, seen, (1 << 0) | (1 << 3) | (1 << 6));
	T_EQ(t, hvsim_evt_pending_n(te.te_be, got, 8), 0);
	/* hvsim_close unbinds everything: the guest's ports are unbound. */
	hvsim_close(te.te_be);
	te.te_be = NULL;
	T_EQ(t, hvsim_open(te.te_dir, 0, &te.te_be), 0);
	for (i = 0; i < 8 && te.te_be != NULL; i++)
		T_EQ(t, hvsim_evt_bind(te.te_be, te.te_gid, gp[i], &p), 0);
out:
	te_teardown(&te);
}

/* Wait (bounded) for one event on handle h; its port, or 0. */
static uint32_t
wait_event_h(struct hvsim_dom *d, struct hvsim_evth *h, int ms)
{
	struct pollfd pfd = { .fd = hvsim_evth_fd(h), .events = POLLIN };
	uint32_t port;

	if (poll(&pfd, 1, ms) != 1 || hvsim_evth_pending(d, h, &port, 1) != 1)
		return 0;
	return port;
}

/*
 * Two handles of one backend process (two opens of the evtchn device, as
 * two xvifd workers): each sees only the ports it bound, and a port is
 * notified, unmasked and closed only through its own handle.
 */
static void
t_handles(struct t_ctx *t)
{
	struct hvsim_evth *ha = NULL, *hb = NULL;
	struct te te;
	uint32_t ga, gb, pa = 0, pb = 0, x;

	if (!te_setup(t, &te) ||
	    !T_EQ(t, hvsim_evth_open(te.te_be, &ha), 0) ||
	    !T_EQ(t, hvsim_evth_open(te.te_be, &hb), 0))
		goto out;
	T_TRUE(t, hvsim_evth_fd(ha) != hvsim_evth_fd(hb));
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &ga), 0);
	T_EQ(t, hvsim_evt_alloc_unbound(te.te_fe, 0, &gb), 0);
	T_EQ(t, hvsim_evth_bind(te.te_be, ha, te.te_gid, ga, &pa), 0);
	T_EQ(t, hvsim_evth_bind(te.te_be, hb, te.te_gid, gb, &pb), 0);
	/* Each fresh binding is pending on its own handle only. */
	T_EQ(t, wait_event_h(te.te_be, ha, 1000), pa);
	T_EQ(t, wait_event_h(te.te_be, hb, 1000), pb);
	T_TRUE(t, !readable(te.te_be, 0));	/* the process's own: none */
	T_EQ(t, hvsim_evth_unmask(te.te_be, ha, pa), 0);
	T_EQ(t, hvsim_evth_unmask(te.te_be, hb, pb), 0);
	/* The guest notifies b's port: a's fd stays quiet. */
	T_EQ(t, hvsim_evt_notify(te.te_fe, gb), 0);
	T_EQ(t, wait_event_h(te.te_be, hb, 1000), pb);
	T_EQ(t, wait_event_h(te.te_be, ha, 100), 0);
	/* Through the wrong handle: as Linux's device, ENOTCONN. */
	T_EQ(t, hvsim_evth_unmask(te.te_be, ha, pb), -ENOTCONN);
	T_EQ(t, hvsim_evth_notify(te.te_be, ha, pb), -ENOTCONN);
	T_EQ(t, hvsim_evth_unbind(te.te_be, ha, pb), -ENOTCONN);
	T_EQ(t, hvsim_evt_notify(te.te_be, pa), -ENOTCONN);
	T_EQ(t, hvsim_evth_unmask(te.te_be, hb, pb), 0);
	T_EQ(t, hvsim_evth_unmask(te.te_be, hb, pb), 0);	/* no-op */
	/* Through the right one the guest is woken. */
	T_EQ(t, hvsim_evth_notify(te.te_be, ha, pa), 0);
	T_EQ(t, wait_event(te.te_fe, 1000), ga);
	/* Closing a handle closes its ports: the guest's is unbound. */
	hvsim_evth_close(te.te_be, ha);
	ha = NULL;
	T_EQ(t, hvsim_evth_bind(te.te_be, hb, te.te_gid, ga, &x), 0);
	T_EQ(t, x, pa);			/* its port is free again */
	T_EQ(t, wait_event_h(te.te_be, hb, 1000), x);
out:
	hvsim_evth_close(te.te_be, ha);
	hvsim_evth_close(te.te_be, hb);
	te_teardown(&te);
}

const struct t_case t_cases[] = {
	{ "delivery between two processes", t_deliver_two_processes },
	{ "bind and notify errors", t_bind_errors },
	{ "close unbinds the peer", t_close_unbinds_peer },
	{ "domain destroy closes its ports", t_destroy_closes_ports },
	{ "many ports on one fd", t_many_ports },
	{ "handles: each its own ports", t_handles },
	{ NULL, NULL },
};
