/*
 * t_xbus_fsm.c -- the xenbus state machine (src/xbus_fsm.c) as tables:
 * the path between every pair of backend states, the decision for every
 * (backend, frontend, online, failed, keys written) combination, and whole handshakes
 * of the frontends in reference/netback.md (Linux, Mini-OS, Windows PV,
 * FreeBSD, a frontend that reconnects, a rogue that keeps writing
 * Connected after its vif failed).
 */
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "xbus_fsm.h"

enum {
	UK = XenbusStateUnknown, IN = XenbusStateInitialising,
	IW = XenbusStateInitWait, ID = XenbusStateInitialised,
	CN = XenbusStateConnected, CG = XenbusStateClosing,
	CD = XenbusStateClosed, RG = XenbusStateReconfiguring,
	RD = XenbusStateReconfigured,
};

/* The states written walking from cur to target, space separated. */
static void
walk(int cur, int target, char *buf, size_t len)
{
	int n, steps = 0;

	buf[0] = '\0';
	while ((n = xbus_fsm_next(cur, target)) != cur && steps++ < 8) {
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    buf[0] != '\0' ? " " : "", xbus_state_name(n));
		cur = n;
	}
}

/* Every path the backend can be asked to walk, as Linux walks it. */
static void
t_paths(struct t_ctx *t)
{
	static const struct { int from, to; const char *path; } tab[] = {
		{ IN, IW, "InitWait" },
		{ IN, CN, "InitWait Connected" },
		{ IN, CG, "InitWait Closing" },
		{ IN, CD, "Closed" },
		{ IW, IW, "" },
		{ IW, CN, "Connected" },
		{ IW, CG, "Closing" },
		{ IW, CD, "Closing Closed" },
		{ CN, IW, "Closing Closed InitWait" },
		{ CN, CN, "" },
		{ CN, CG, "Closing" },
		{ CN, CD, "Closing Closed" },
		{ CG, IW, "Closed InitWait" },
		{ CG, CN, "Closed InitWait Connected" },
		{ CG, CG, "" },
		{ CG, CD, "Closed" },
		{ CD, IW, "InitWait" },
		{ CD, CN, "InitWait Connected" },
		{ CD, CG, "Closing" },
		{ CD, CD, "" },
	};
	char got[128];
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		walk(tab[i].from, tab[i].to, got, sizeof(got));
		if (!T_STREQ(t, got, tab[i].path))
			printf("# from %s to %s\n", xbus_state_name(tab[i].from),
			    xbus_state_name(tab[i].to));
	}
	/* Nothing walks to or from states the backend never writes. */
	T_EQ(t, xbus_fsm_next(CN, RG), CN);
	T_EQ(t, xbus_fsm_next(CN, UK), CN);
	T_EQ(t, xbus_fsm_next(UK, CN), UK);
	T_EQ(t, xbus_fsm_next(CN, 42), CN);
}

/* Every edge any walk takes is an edge of the diagram in xbus_fsm.h. */
static void
t_edges_legal(struct t_ctx *t)
{
	static const int legal[][2] = {
		{ IN, IW }, { IN, CD }, { IW, CN }, { IW, CG }, { CN, CG },
		{ CG, CD }, { CD, IW }, { CD, CG },
	};
	int cur, tgt, n;
	size_t i;

	for (cur = 0; cur <= 9; cur++)
		for (tgt = 0; tgt <= 9; tgt++) {
			if ((n = xbus_fsm_next(cur, tgt)) == cur)
				continue;
			for (i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
				if (legal[i][0] == cur && legal[i][1] == n)
					break;
			T_TRUE(t, i < sizeof(legal) / sizeof(legal[0]));
		}
}

/*
 * The decision for every combination.  It depends on the backend state
 * only through the walk, so each row is one frontend state; the backend
 * state loop checks that nothing else creeps in.  Columns: clear the
 * failure, disconnect, target, connect, destroy.
 */
struct want { int clear, disc, target, conn, destroy; };
#define KEEP	(-1)	/* target: stay where the backend is */

static struct want
want_for(int fe, int online, int failed, int nokeys)
{
	switch (fe) {
	case IN:
		return online ? (struct want){ 1, 1, IW, 0, 0 } :
		    (struct want){ 1, 1, CD, 0, 1 };
	case ID:
		if (nokeys && online && !failed)	/* wait for them */
			return (struct want){ 0, 0, IW, 0, 0 };
		/* FALLTHROUGH */
	case CN:		/* without its keys: the connect fails */
		return online && !failed ? (struct want){ 0, 0, CN, 1, 0 } :
		    (struct want){ 0, 1, CG, 0, 0 };
	case CG:
		return (struct want){ 0, 1, CG, 0, 0 };
	case IW:
	case RG:
	case RD:
		return online && !failed ? (struct want){ 0, 0, KEEP, 0, 0 } :
		    (struct want){ 0, 1, CG, 0, 0 };
	default:	/* Closed, Unknown, garbage */
		return (struct want){ 1, 1, CD, 0, !online };
	}
}

static void
t_decide_all(struct t_ctx *t)
{
	struct xbus_fsm_in in;
	struct xbus_fsm_step st;
	struct want w;
	int be, fe, online, failed, nokeys;
	bool ok;

	for (be = 0; be <= 8; be++)
	for (fe = 0; fe <= 9; fe++)
	for (online = 0; online <= 1; online++)
	for (failed = 0; failed <= 1; failed++)
	for (nokeys = 0; nokeys <= 1; nokeys++) {
		in = (struct xbus_fsm_in){ be, fe, online, failed, nokeys };
		xbus_fsm_decide(&in, &st);
		w = want_for(fe, online, failed, nokeys);
		ok = T_EQ(t, st.fs_clear_fail, w.clear) &
		    T_EQ(t, st.fs_disconnect, w.disc) &
		    T_EQ(t, st.fs_target, w.target == KEEP ? be : w.target) &
		    T_EQ(t, st.fs_connect, w.conn) &
		    T_EQ(t, st.fs_destroy, w.destroy);
		if (!ok)
			printf("# be %d fe %d online %d failed %d nokeys %d\n",
			    be, fe, online, failed, nokeys);
	}
}

/*
 * A backend as xbus.c drives it: decide, then walk, writing each state;
 * the rings are connected at InitWait on the way to Connected.  trace
 * collects what a frontend watching us sees.
 */
struct be {
	int	 state;
	bool	 online, failed, conn, gone, nokeys;
	unsigned connects;
	char	 trace[512];
};

static void
be_write(struct be *b, int s)
{
	b->state = s;
	snprintf(b->trace + strlen(b->trace), sizeof(b->trace) -
	    strlen(b->trace), "%s%s", b->trace[0] ? " " : "",
	    xbus_state_name(s));
}

static void
be_sees(struct be *b, int fe)
{
	struct xbus_fsm_in in = { b->state, fe, b->online, b->failed,
	    b->nokeys };
	struct xbus_fsm_step st;
	int n;

	if (b->gone)
		return;
	xbus_fsm_decide(&in, &st);
	if (st.fs_clear_fail)
		b->failed = false;
	if (st.fs_disconnect)
		b->conn = false;
	while ((n = xbus_fsm_next(b->state, st.fs_target)) != b->state) {
		if (n == CN && st.fs_connect && !b->conn) {
			b->conn = true;
			b->connects++;
		}
		be_write(b, n);
	}
	if (st.fs_connect && !b->conn) {	/* already Connected */
		b->conn = true;
		b->connects++;
	}
	if (st.fs_destroy)
		b->gone = true;
}

/* The data path failed (a fatal request): the control plane's turn. */
static void
be_fail(struct be *b, int fe)
{
	b->failed = true;
	be_sees(b, fe);
}

static void
be_new(struct be *b)
{
	memset(b, 0, sizeof(*b));
	b->state = IN;
	b->online = true;
	be_write(b, IW);	/* xbus_vif_new: interface, features, InitWait */
	b->trace[0] = '\0';
}

/* Linux netfront: InitWait seen, keys, Connected; shutdown by libxl. */
static void
t_linux(struct t_ctx *t)
{
	struct be b;

	be_new(&b);
	be_sees(&b, IN);
	be_sees(&b, CN);
	T_STREQ(t, b.trace, "Connected");
	T_EQ(t, b.connects, 1);
	be_sees(&b, CN);		/* a watch fires again: nothing */
	T_STREQ(t, b.trace, "Connected");
	/* Connected -> Initialising (netfront reloaded): a full cycle. */
	be_sees(&b, IN);
	T_STREQ(t, b.trace, "Connected Closing Closed InitWait");
	T_TRUE(t, !b.conn);
	be_sees(&b, CN);
	T_EQ(t, b.connects, 2);
	/* libxl: online=0; netfront Closing, Closed; the vif goes. */
	b.online = false;
	b.trace[0] = '\0';
	be_sees(&b, CN);
	be_sees(&b, CG);
	be_sees(&b, CD);
	T_STREQ(t, b.trace, "Closing Closed");
	T_TRUE(t, b.gone);
}

/*
 * Mini-OS: Connected in the same transaction as its keys, before our
 * InitWait; on shutdown Closing, Closed, then Initialising again, and it
 * waits for InitWait (netback.md 2.4).
 */
static void
t_minios(struct t_ctx *t)
{
	struct be b;

	memset(&b, 0, sizeof(b));
	b.state = IN;
	b.online = true;
	be_sees(&b, CN);	/* seen before we ever wrote a state */
	T_STREQ(t, b.trace, "InitWait Connected");
	T_EQ(t, b.connects, 1);
	b.trace[0] = '\0';
	be_sees(&b, CG);
	be_sees(&b, CD);
	be_sees(&b, IN);
	T_STREQ(t, b.trace, "Closing Closed InitWait");
	be_sees(&b, CN);
	T_EQ(t, b.connects, 2);
	T_EQ(t, b.state, CN);
}

/*
 * Windows PV: finds the backend Connected (a reload), leads it through
 * Closing and Closed, waits for each, then connects again.  Skipping a
 * state or removing the directory reads as a hot-unplug to it.
 */
static void
t_windows(struct t_ctx *t)
{
	struct be b;

	be_new(&b);
	be_sees(&b, CN);
	b.trace[0] = '\0';
	be_sees(&b, CG);
	T_STREQ(t, b.trace, "Closing");
	be_sees(&b, CD);
	T_STREQ(t, b.trace, "Closing Closed");
	be_sees(&b, IN);
	be_sees(&b, CN);
	T_STREQ(t, b.trace, "Closing Closed InitWait Connected");
	T_TRUE(t, !b.gone);
	/* Its close cycle before connecting, with us still in InitWait. */
	be_new(&b);
	be_sees(&b, CG);
	be_sees(&b, CD);
	be_sees(&b, IN);
	be_sees(&b, CN);
	T_STREQ(t, b.trace, "Closing Closed InitWait Connected");
}

/* FreeBSD-style Initialised, and a frontend going Closed -> Connected. */
static void
t_freebsd_and_closed_connected(struct t_ctx *t)
{
	struct be b;

	be_new(&b);
	be_sees(&b, ID);
	T_STREQ(t, b.trace, "Connected");
	be_sees(&b, CN);
	T_EQ(t, b.connects, 1);
	b.trace[0] = '\0';
	be_sees(&b, CD);	/* straight to Closed (netback.md: #89) */
	T_STREQ(t, b.trace, "Closing Closed");
	be_sees(&b, CN);	/* and back: InitWait, then connect */
	T_STREQ(t, b.trace, "Closing Closed InitWait Connected");
	T_EQ(t, b.connects, 2);
	/* Backend Closed, frontend Closing: Closing (Linux does too). */
	be_sees(&b, CD);
	b.trace[0] = '\0';
	be_sees(&b, CG);
	T_STREQ(t, b.trace, "Closing");
}

/*
 * A frontend that says Initialised before it writes its keys is waited
 * for (Linux netback would not even look before Connected), from InitWait
 * and from Closed alike; its keys then connect it, at Initialised or at
 * Connected.
 */
static void
t_initialised_before_keys(struct t_ctx *t)
{
	/* From InitWait, keys then Connected; from Closed, keys alone. */
	static const struct {
		int		 from, then;
		const char	*waits, *connects;
	} tab[] = {
		{ IW, CN, "", "Connected" },
		{ CD, ID, "InitWait", "InitWait Connected" },
	};
	struct be b;
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		be_new(&b);
		b.state = tab[i].from;
		b.nokeys = true;
		be_sees(&b, ID);
		T_STREQ(t, b.trace, tab[i].waits);
		T_EQ(t, b.connects, 0);
		b.nokeys = false;
		be_sees(&b, tab[i].then);
		T_STREQ(t, b.trace, tab[i].connects);
		T_EQ(t, b.connects, 1);
	}
}

/*
 * A vif whose data path failed stays failed while the frontend insists
 * on Connected, and comes back only after the frontend resets.
 */
static void
t_failed_stays_failed(struct t_ctx *t)
{
	struct be b;
	int i;

	be_new(&b);
	be_sees(&b, CN);
	b.trace[0] = '\0';
	be_fail(&b, CN);
	T_STREQ(t, b.trace, "Closing");
	for (i = 0; i < 100; i++)	/* it writes Connected again and again */
		be_sees(&b, CN);
	be_sees(&b, ID);
	T_STREQ(t, b.trace, "Closing");
	T_EQ(t, b.connects, 1);
	/* Closed resets it; Connected then connects again. */
	be_sees(&b, CD);
	be_sees(&b, CN);
	T_STREQ(t, b.trace, "Closing Closed InitWait Connected");
	T_EQ(t, b.connects, 2);
	/* A failure at connect time, then Initialising: also a reset. */
	b.trace[0] = '\0';
	be_fail(&b, CN);
	be_sees(&b, IN);
	be_sees(&b, CN);
	T_STREQ(t, b.trace, "Closing Closed InitWait Connected");
	T_EQ(t, b.connects, 3);
}

const struct t_case t_cases[] = {
	{ "paths between backend states", t_paths },
	{ "every edge is legal", t_edges_legal },
	{ "decision for every backend x frontend x online x failed x keys",
	    t_decide_all },
	{ "linux netfront", t_linux },
	{ "mini-os netfront", t_minios },
	{ "windows pv netfront", t_windows },
	{ "freebsd initialised, closed -> connected", 
	    t_freebsd_and_closed_connected },
	{ "initialised before its keys: waited for",
	    t_initialised_before_keys },
	{ "a failed vif stays failed until the frontend resets",
	    t_failed_stays_failed },
	{ NULL, NULL }
};
