/*
 * t_hvsim_death.c -- what the simulated hypervisor releases when a process
 * of the simulated host dies, as Linux's evtchn and gntdev release do when
 * they close a dead process's fds: its ports are closed (the guest's port
 * goes back to unbound, so a restarted backend re-binds it), its pins are
 * dropped (the guest can end its grants), copies it died in included; a
 * live process's are never touched; an owner slot claimed again by a live
 * process does not make the dead one look alive.
 *
 * Peeks at hvsim_int.h only to prove a dead process left something behind
 * before the release is checked (and to learn owner ids).
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvsim_int.h"
#include "t.h"
#include "t_proc.h"

#define GPAGES	8u

/* Wait (bounded) for one event; the port it came on, or 0. */
static uint32_t
wait_event(struct hvsim_dom *d, int ms)
{
	struct pollfd pfd = { .fd = hvsim_evt_fd(d), .events = POLLIN };
	uint32_t port;

	if (poll(&pfd, 1, ms) != 1 || hvsim_evt_pending(d, &port) != 0)
		return 0;
	return port;
}

/* SIGKILL pid and reap it; true if it died of that signal. */
static bool
kill_reap(pid_t pid)
{
	int status;

	if (pid <= 0)
		return false;
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* A child that is done: block until the parent closes rfd (or 30 s). */
static void
linger(int rfd)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, 30000) == 1)
		(void)read(rfd, &c, 1);
	_exit(0);
}

/* FIFOs of domain dom left in DIR/evtchn. */
static int
fifos_of(const char *dir, domid_t dom)
{
	char path[512], pfx[32];
	struct dirent *de;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/evtchn", dir);
	snprintf(pfx, sizeof(pfx), "d%u-", (unsigned int)dom);
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strncmp(de->d_name, pfx, strlen(pfx)) == 0)
			n++;
	closedir(dp);
	return n;
}

/* The guest's grant entry flags, read as Xen would. */
static uint16_t
gflags(struct hvsim_dom *fe, grant_ref_t ref)
{
	return HVSIM_GNT_FLAGS(__atomic_load_n(&fe->d_own->v_gnt[ref].g_word,
	    __ATOMIC_ACQUIRE));
}

/* A host with dom0 and one guest; the guest and one backend opened. */
struct td {
	const char		*td_dir;
	domid_t			 td_gid;
	struct hvsim_dom	*td_fe;
	struct hvsim_dom	*td_be;		/* opened before any child */
};

static bool
td_setup(struct t_ctx *t, struct td *td)
{
	memset(td, 0, sizeof(*td));
	signal(SIGPIPE, SIG_IGN);
	td->td_dir = t_tmpdir(t);
	return T_EQ(t, hvsim_host_init(td->td_dir), 0) &&
	    T_EQ(t, hvsim_domain_create(td->td_dir, GPAGES, &td->td_gid), 0) &&
	    T_EQ(t, hvsim_open(td->td_dir, td->td_gid, &td->td_fe), 0) &&
	    T_EQ(t, hvsim_open(td->td_dir, 0, &td->td_be), 0);
}

static void
td_teardown(struct td *td)
{
	hvsim_close(td->td_be);
	hvsim_close(td->td_fe);
}

/*
 * A backend child: opens dom0, binds to gport (if not 0), maps ref (if not
 * ~0u) and writes msg at offset 1024, then reports its local port and
 * owner id and lingers until killed or told to go.
 */
static pid_t
backend_child(struct td *td, uint32_t gport, grant_ref_t ref,
    const char *msg, int *wfd, uint32_t *lport, uint64_t *owner)
{
	int up[2], down[2];
	pid_t pid;

	*wfd = -1;
	if (pipe(up) < 0 || pipe(down) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		struct hvsim_dom *be;
		uint32_t p = 0;
		void *m;

		close(up[0]);
		close(down[1]);
		if (hvsim_open(td->td_dir, 0, &be) < 0)
			_exit(2);
		if (gport != 0 && hvsim_evt_bind(be, td->td_gid, gport, &p) < 0)
			_exit(3);
		if (ref != ~0u) {
			if (hvsim_gnt_map(be, td->td_gid, ref, &m) < 0)
				_exit(4);
			strcpy((char *)m + 1024, msg);
		}
		if (!t_tx_u32(up[1], p) || !t_tx_u64(up[1], be->d_reg.r_self))
			_exit(5);
		linger(down[0]);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0 || !t_rx_u32(up[0], lport, 5000) ||
	    !t_rx_u64(up[0], owner, 5000)) {
		close(up[0]);
		close(down[1]);
		if (pid > 0)
			kill_reap(pid);
		return -1;
	}
	close(up[0]);
	*wfd = down[1];
	return pid;
}

/* (a), (b): a backend dies; a new one re-attaches; the guest revokes. */
static void
t_restart_reattach(struct t_ctx *t)
{
	struct td td;
	uint32_t gport, lport, nport;
	uint64_t owner;
	char *pg;
	pid_t pid;
	int wfd;

	if (!td_setup(t, &td))
		goto out;
	T_REQUIRE(t, hvsim_evt_alloc_unbound(td.td_fe, 0, &gport) == 0);
	pg = hvsim_page(td.td_fe, 2);
	T_EQ(t, hvsim_grant(td.td_fe, 40, 0, 2, false), 0);
	pid = backend_child(&td, gport, 40, "from the first backend", &wfd,
	    &lport, &owner);
	T_REQUIRE(t, pid > 0);
	T_STREQ(t, pg + 1024, "from the first backend");
	/* Alive: its binding and its map hold. */
	T_EQ(t, hvsim_evt_bind(td.td_be, td.td_gid, gport, &nport), -EINVAL);
	T_EQ(t, hvsim_grant_end(td.td_fe, 40), -EBUSY);
	T_EQ(t, fifos_of(td.td_dir, 0), 1);
	T_TRUE(t, kill_reap(pid));
	close(wfd);
	/* Still there until met: the guest's entry shows the dead pin. */
	T_TRUE(t, (gflags(td.td_fe, 40) & (GTF_reading | GTF_writing)) ==
	    (GTF_reading | GTF_writing));
	/* (a) Re-bind the guest's same port, from a handle opened before. */
	if (T_EQ(t, hvsim_evt_bind(td.td_be, td.td_gid, gport, &nport), 0)) {
		T_EQ(t, fifos_of(td.td_dir, 0), 1);	/* the dead's: gone */
		T_EQ(t, wait_event(td.td_be, 2000), nport); /* fresh: pending */
		T_EQ(t, hvsim_evt_unmask(td.td_be, nport), 0);
		T_EQ(t, hvsim_evt_notify(td.td_be, nport), 0);
		T_EQ(t, wait_event(td.td_fe, 2000), gport);
		T_EQ(t, hvsim_evt_unmask(td.td_fe, gport), 0);
		T_EQ(t, hvsim_evt_notify(td.td_fe, gport), 0);
		T_EQ(t, wait_event(td.td_be, 2000), nport);
	}
	/* The new backend maps the same ring grant meanwhile, then lets go. */
	{
		void *m = NULL;

		T_EQ(t, hvsim_gnt_map(td.td_be, td.td_gid, 40, &m), 0);
		T_EQ(t, hvsim_grant_end(td.td_fe, 40), -EBUSY);
		T_EQ(t, hvsim_gnt_unmap(td.td_be, m), 0);
	}
	/* (b) No live process maps it: the guest ends its grant. */
	T_EQ(t, hvsim_grant_end(td.td_fe, 40), 0);
	T_EQ(t, gflags(td.td_fe, 40), 0);
out:
	td_teardown(&td);
}

/* (b) alone, the guest meets the dead pin first (no bind in between). */
static void
t_dead_map_revocable(struct t_ctx *t)
{
	struct td td;
	uint32_t lport;
	uint64_t owner;
	pid_t pid;
	int wfd;

	if (!td_setup(t, &td))
		goto out;
	T_EQ(t, hvsim_grant(td.td_fe, 7, 0, 3, false), 0);
	pid = backend_child(&td, 0, 7, "x", &wfd, &lport, &owner);
	T_REQUIRE(t, pid > 0);
	T_EQ(t, hvsim_grant_end(td.td_fe, 7), -EBUSY);
	T_TRUE(t, kill_reap(pid));
	close(wfd);
	T_TRUE(t, (gflags(td.td_fe, 7) & GTF_writing) != 0);
	T_EQ(t, hvsim_grant_end(td.td_fe, 7), 0);
	/* And it can be granted and mapped again. */
	T_EQ(t, hvsim_grant(td.td_fe, 7, 0, 3, false), 0);
	{
		void *m = NULL;

		T_EQ(t, hvsim_gnt_map(td.td_be, td.td_gid, 7, &m), 0);
		T_EQ(t, hvsim_gnt_unmap(td.td_be, m), 0);
	}
	T_EQ(t, hvsim_grant_end(td.td_fe, 7), 0);
out:
	td_teardown(&td);
}

/* (c) Two map one grant; one dies: the live one's pin stays. */
static void
t_live_map_kept(struct t_ctx *t)
{
	struct td td;
	struct hvsim_dom *fe2 = NULL;
	uint32_t lport;
	uint64_t oa, ob;
	pid_t a, b;
	int wa, wb, status;

	if (!td_setup(t, &td))
		goto out;
	T_EQ(t, hvsim_grant(td.td_fe, 41, 0, 4, false), 0);
	a = backend_child(&td, 0, 41, "a", &wa, &lport, &oa);
	T_REQUIRE(t, a > 0);
	b = backend_child(&td, 0, 41, "b", &wb, &lport, &ob);
	if (!T_TRUE(t, b > 0)) {
		kill_reap(a);
		goto out;
	}
	T_TRUE(t, oa != ob);
	T_TRUE(t, kill_reap(b));
	close(wb);
	/* b's pin goes, a's stays: still busy, by the living. */
	T_EQ(t, hvsim_grant_end(td.td_fe, 41), -EBUSY);
	/* The sweep of a new guest handle does not take a's pin either. */
	T_EQ(t, hvsim_open(td.td_dir, td.td_gid, &fe2), 0);
	hvsim_close(fe2);
	T_EQ(t, hvsim_grant_end(td.td_fe, 41), -EBUSY);
	/* a exits cleanly (hvsim_close not called: exit is a death too). */
	close(wa);
	T_EQ(t, waitpid(a, &status, 0), a);
	T_TRUE(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Only if b's pin was dropped, not merely a's, is it free now. */
	T_EQ(t, hvsim_grant_end(td.td_fe, 41), 0);
out:
	td_teardown(&td);
}

/*
 * (d) A child dies inside a grant copy (its buffer faults mid-memcpy),
 * pins held; the pins are released.  Both directions.
 */
static void
t_dead_copy_pins(struct t_ctx *t)
{
	struct td td;
	int dir, status;
	pid_t pid;

	if (!td_setup(t, &td))
		goto out;
	for (dir = 0; dir < 2; dir++) {
		grant_ref_t ref = 50 + (grant_ref_t)dir;

		T_EQ(t, hvsim_grant(td.td_fe, ref, 0, 5, false), 0);
		if ((pid = fork()) == 0) {
			struct rlimit rl = { 0, 0 };
			struct hvsim_dom *be;
			struct hv_gcopy gc;
			void *buf;

			(void)setrlimit(RLIMIT_CORE, &rl);
			signal(SIGSEGV, SIG_DFL);
			if (hvsim_open(td.td_dir, 0, &be) < 0)
				_exit(2);
			/* to guest: unreadable source; from: unwritable. */
			buf = mmap(NULL, 4096, dir == 0 ? PROT_NONE : PROT_READ,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (buf == MAP_FAILED)
				_exit(3);
			gc = (struct hv_gcopy){ ref, 0, 512, buf, 99 };
			(void)hvsim_gnt_copy(be, td.td_gid,
			    dir == 0 ? HV_TO_GUEST : HV_FROM_GUEST, &gc, 1);
			_exit(4);		/* did not fault */
		}
		T_REQUIRE(t, pid > 0);
		T_EQ(t, waitpid(pid, &status, 0), pid);
		/* Faulted: SIGSEGV, or a sanitizer's exit after catching it. */
		T_TRUE(t, (WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGSEGV) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) == 1));
		/* It died holding the pin. */
		T_EQ(t, gflags(td.td_fe, ref) & (GTF_reading | GTF_writing),
		    dir == 0 ? (GTF_reading | GTF_writing) : GTF_reading);
		T_EQ(t, hvsim_grant_end(td.td_fe, ref), 0);
		T_EQ(t, gflags(td.td_fe, ref), 0);
	}
out:
	td_teardown(&td);
}

/*
 * The dead owner's registry slot is claimed again by a live process (the
 * analogue of pid reuse): the dead owner stays dead.  Checked on a zombie,
 * before its pid is even free, then after reaping.
 */
static void
t_slot_reuse(struct t_ctx *t)
{
	struct td td;
	uint32_t lport, gport;
	uint64_t dead, live;
	domid_t g2;
	siginfo_t si;
	pid_t k, l;
	int wk, wl = -1, to[2], from[2];

	if (!td_setup(t, &td))
		goto out;
	T_REQUIRE(t, hvsim_domain_create(td.td_dir, GPAGES, &g2) == 0);
	T_REQUIRE(t, hvsim_evt_alloc_unbound(td.td_fe, 0, &gport) == 0);
	T_EQ(t, hvsim_grant(td.td_fe, 42, 0, 6, false), 0);
	k = backend_child(&td, gport, 42, "k", &wk, &lport, &dead);
	T_REQUIRE(t, k > 0);
	kill(k, SIGKILL);
	/* A zombie: exited, fds closed, pid still taken. */
	T_EQ(t, waitid(P_PID, (id_t)k, &si, WEXITED | WNOWAIT), 0);
	T_TRUE(t, hvsim_owner_gone(&td.td_be->d_reg, dead));
	T_TRUE(t, kill(k, 0) == 0);	/* kill(pid, 0) would say alive */
	T_TRUE(t, kill_reap(k));
	close(wk);
	/* l opens as the other guest: takes k's slot, sweeps only dom g2. */
	T_REQUIRE(t, pipe(to) == 0 && pipe(from) == 0);
	if ((l = fork()) == 0) {
		struct hvsim_dom *d;

		close(to[1]);
		close(from[0]);
		if (hvsim_open(td.td_dir, g2, &d) < 0 ||
		    !t_tx_u64(from[1], d->d_reg.r_self))
			_exit(2);
		linger(to[0]);
	}
	close(to[0]);
	close(from[1]);
	wl = to[1];
	T_REQUIRE(t, l > 0);
	if (T_TRUE(t, t_rx_u64(from[0], &live, 5000))) {
		T_EQ(t, (uint32_t)live, (uint32_t)dead);	/* same slot */
		T_TRUE(t, live != dead);
		T_TRUE(t, !hvsim_owner_gone(&td.td_be->d_reg, live));
		T_TRUE(t, hvsim_owner_gone(&td.td_be->d_reg, dead));
		/* k's things are still released, though its slot is alive. */
		T_TRUE(t, (gflags(td.td_fe, 42) & GTF_writing) != 0);
		T_EQ(t, hvsim_grant_end(td.td_fe, 42), 0);
		T_EQ(t, hvsim_evt_bind(td.td_be, td.td_gid, gport, &lport),
		    0);
	}
	close(wl);
	close(from[0]);
	T_EQ(t, waitpid(l, &(int){ 0 }, 0), l);
out:
	td_teardown(&td);
}

/* The guest notifies a dead backend: its port is closed, the peer freed. */
static void
t_notify_frees_dead_peer(struct t_ctx *t)
{
	struct td td;
	uint32_t gport, lport, p;
	uint64_t owner;
	pid_t pid;
	int wfd;

	if (!td_setup(t, &td))
		goto out;
	T_REQUIRE(t, hvsim_evt_alloc_unbound(td.td_fe, 0, &gport) == 0);
	pid = backend_child(&td, gport, ~0u, NULL, &wfd, &lport, &owner);
	T_REQUIRE(t, pid > 0);
	T_EQ(t, wait_event(td.td_fe, 100), 0);	/* nothing yet */
	T_TRUE(t, kill_reap(pid));
	close(wfd);
	T_EQ(t, hvsim_evt_notify(td.td_fe, gport), 0);	/* dropped */
	T_EQ(t, fifos_of(td.td_dir, 0), 0);
	/* lport is free again: the lowest free port of dom0. */
	T_EQ(t, hvsim_evt_alloc_unbound(td.td_be, td.td_gid, &p), 0);
	T_EQ(t, p, lport);
out:
	td_teardown(&td);
}

/* Destroying the guest frees the dead backend's port bound to it. */
static void
t_destroy_frees_dead_peer(struct t_ctx *t)
{
	struct td td;
	uint32_t gport, lport, p;
	uint64_t owner;
	pid_t pid;
	int wfd;

	if (!td_setup(t, &td))
		goto out;
	T_REQUIRE(t, hvsim_evt_alloc_unbound(td.td_fe, 0, &gport) == 0);
	pid = backend_child(&td, gport, ~0u, NULL, &wfd, &lport, &owner);
	T_REQUIRE(t, pid > 0);
	T_TRUE(t, kill_reap(pid));
	close(wfd);
	T_EQ(t, hvsim_domain_destroy(td.td_dir, td.td_gid), 0);
	T_EQ(t, fifos_of(td.td_dir, 0), 0);
	T_EQ(t, hvsim_evt_alloc_unbound(td.td_be, 0, &p), 0);
	T_EQ(t, p, lport);
out:
	td_teardown(&td);
}

/*
 * A table full of dead processes' ports: alloc makes room.  Children of
 * FULL_PER_CHILD ports each (a port is a fd: within the fd limit) fill
 * dom0's table, then all die.
 */
#define FULL_PER_CHILD	600u
#define FULL_CHILDREN	((HVSIM_NR_EVTCHN - 1 + FULL_PER_CHILD - 1) / \
			    FULL_PER_CHILD)
static void
t_alloc_full_of_dead(struct t_ctx *t)
{
	struct td td;
	uint32_t p, n, got = 0;
	int i, up[2];
	pid_t pid[FULL_CHILDREN];

	for (i = 0; i < (int)FULL_CHILDREN; i++)
		pid[i] = -1;
	if (!td_setup(t, &td))
		goto out;
	for (i = 0; i < (int)FULL_CHILDREN; i++) {
		T_REQUIRE(t, pipe(up) == 0);
		if ((pid[i] = fork()) == 0) {
			struct hvsim_dom *be;
			uint32_t k = 0, q;

			close(up[0]);
			if (hvsim_open(td.td_dir, 0, &be) < 0)
				_exit(2);
			while (k < FULL_PER_CHILD &&
			    hvsim_evt_alloc_unbound(be, td.td_gid, &q) == 0)
				k++;
			(void)t_tx_u32(up[1], k);
			for (;;)
				pause();	/* until killed */
		}
		close(up[1]);
		n = 0;
		T_TRUE(t, pid[i] > 0 && t_rx_u32(up[0], &n, 10000));
		close(up[0]);
		got += n;
	}
	T_EQ(t, got, HVSIM_NR_EVTCHN - 1);
	T_EQ(t, hvsim_evt_alloc_unbound(td.td_fe, 0, &p), 0); /* guest's ok */
	for (i = 0; i < (int)FULL_CHILDREN; i++) {
		T_TRUE(t, kill_reap(pid[i]));
		pid[i] = -1;
	}
	T_EQ(t, hvsim_evt_alloc_unbound(td.td_be, td.td_gid, &p), 0);
	T_EQ(t, p, 1);
	T_EQ(t, fifos_of(td.td_dir, 0), 1);
out:
	for (i = 0; i < (int)FULL_CHILDREN; i++)
		if (pid[i] > 0)
			(void)kill_reap(pid[i]);	/* a check failed first */
	td_teardown(&td);
}

/*
 * Races: a live copier keeps copying to the guest's page while mappers
 * come and die, and the guest keeps revoking and re-granting.  A revoke
 * may succeed only while no live copy holds a pin, so once it succeeded
 * the page must not change until the next grant; at the end nothing is
 * left pinned.
 */
static void
t_reap_races_live_copier(struct t_ctx *t)
{
	struct td td;
	uint8_t snap[256], *pg;
	pid_t copier, m;
	uint32_t lport;
	uint64_t owner;
	int i, j, wfd, status = 0, revoked = 0, changed = 0, reaped = 0;

	if (!td_setup(t, &td))
		goto out;
	pg = hvsim_page(td.td_fe, 3);
	T_EQ(t, hvsim_grant(td.td_fe, 60, 0, 3, false), 0);
	if ((copier = fork()) == 0) {
		struct hvsim_dom *be;
		struct hv_gcopy gc;
		uint8_t buf[256];
		int okays = 0;

		if (hvsim_open(td.td_dir, 0, &be) < 0)
			_exit(2);
		for (i = 0; i < 2000000 && okays < 20000; i++) {
			if (i % 16 == 0)
				sched_yield();
			memset(buf, i & 0xff, sizeof(buf));
			gc = (struct hv_gcopy){ 60, 0, 256, buf, 99 };
			hvsim_gnt_copy(be, td.td_gid, HV_TO_GUEST, &gc, 1);
			if (gc.gc_status == GNTST_okay)
				okays++;
			else if (gc.gc_status != GNTST_general_error)
				_exit(3);
		}
		_exit(okays > 0 ? 0 : 4);
	}
	T_REQUIRE(t, copier > 0);
	for (i = 0; i < 200000 && copier > 0; i++) {
		if (waitpid(copier, &status, WNOHANG) == copier)
			copier = -1;
		if (i % 500 == 0) {
			/* A mapper dies holding its pin (if it got one). */
			m = backend_child(&td, 0, 60, "m", &wfd, &lport,
			    &owner);
			if (m > 0) {
				kill_reap(m);
				close(wfd);
				reaped++;
			}
		}
		if (hvsim_grant_end(td.td_fe, 60) != 0)
			continue;
		revoked++;
		memcpy(snap, pg, sizeof(snap));
		for (j = 0; j < 20; j++)
			sched_yield();
		if (memcmp(snap, pg, sizeof(snap)) != 0)
			changed++;
		T_EQ(t, hvsim_grant(td.td_fe, 60, 0, 3, false), 0);
		for (j = 0; j < 20; j++)
			sched_yield();
	}
	if (copier > 0) {
		kill(copier, SIGKILL);
		waitpid(copier, &status, 0);
		T_TRUE(t, !"copier did not finish in time");
	} else {
		T_EQ(t, status, 0);
	}
	T_TRUE(t, revoked > 0 && reaped > 0);
	T_EQ(t, changed, 0);
	T_EQ(t, hvsim_grant_end(td.td_fe, 60), 0);
out:
	td_teardown(&td);
}

const struct t_case t_cases[] = {
	{ "restart re-attach after SIGKILL", t_restart_reattach },
	{ "dead map revocable", t_dead_map_revocable },
	{ "live map kept while another dies", t_live_map_kept },
	{ "pins of a copy the process died in", t_dead_copy_pins },
	{ "owner slot reused by a live process", t_slot_reuse },
	{ "notify frees a dead peer", t_notify_frees_dead_peer },
	{ "destroy frees a dead peer", t_destroy_frees_dead_peer },
	{ "alloc on a table full of the dead's ports", t_alloc_full_of_dead },
	{ "reaping races a live copier", t_reap_races_live_copier },
	{ NULL, NULL },
};
