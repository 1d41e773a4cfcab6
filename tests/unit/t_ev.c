/*
 * t_ev.c -- the event loop: fd readiness, deletion during dispatch,
 * timers (order, re-arm, cancel, no spinning on a 0 ms re-arm), busy
 * polling (a window after an fd's event, none after timers, none unset).
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "t.h"

struct probe {
	struct ev	*ev;
	struct ev_fd	*h, *other;
	int		 fd, calls;
	struct ev_timer	 tm;
};

static void
probe_read(void *arg, uint32_t events)
{
	struct probe *p = arg;
	char c;

	p->calls++;
	if (read(p->fd, &c, 1) != 1)
		p->calls += 100;
	if (p->other != NULL) {		/* delete the other handle mid-batch */
		ev_fd_del(p->ev, p->other);
		p->other = NULL;
	}
}

static void
t_fds(struct t_ctx *t)
{
	struct ev *ev;
	struct probe a = { 0 }, b = { 0 };
	int pa[2], pb[2];

	T_REQUIRE(t, ev_open(&ev) == 0);
	T_REQUIRE(t, pipe(pa) == 0 && pipe(pb) == 0);
	a.ev = b.ev = ev;
	a.fd = pa[0];
	b.fd = pb[0];
	T_EQ(t, ev_fd_add(ev, pa[0], 1 /* EPOLLIN */, probe_read, &a, &a.h), 0);
	T_EQ(t, ev_fd_add(ev, pb[0], 1, probe_read, &b, &b.h), 0);
	T_EQ(t, ev_run_once(ev, 0), 0);		/* nothing ready */
	T_EQ(t, write(pa[1], "x", 1), 1);
	T_EQ(t, ev_run_once(ev, 1000), 1);
	T_EQ(t, a.calls, 1);
	T_EQ(t, b.calls, 0);
	/* Both ready; whichever runs first deletes the other. */
	a.other = b.h;
	b.other = a.h;
	T_EQ(t, write(pa[1], "x", 1), 1);
	T_EQ(t, write(pb[1], "x", 1), 1);
	ev_run_once(ev, 1000);
	T_EQ(t, a.calls + b.calls, 2);	/* one more call in all, not two */
	ev_close(ev);
	close(pa[0]), close(pa[1]), close(pb[0]), close(pb[1]);
}

static int order[8], norder;

static void
tm_fire(void *arg)
{
	struct probe *p = arg;

	order[norder++] = p->calls;
	if (p->fd == 1 && norder < 8)	/* re-arm for 0 ms from inside */
		ev_timer_arm(p->ev, &p->tm, 0);
}

static void
t_timers(struct t_ctx *t)
{
	struct ev *ev;
	struct probe p1 = { 0 }, p2 = { 0 }, p3 = { 0 };
	uint64_t t0;

	T_REQUIRE(t, ev_open(&ev) == 0);
	p1.ev = p2.ev = p3.ev = ev;
	p1.calls = 1, p2.calls = 2, p3.calls = 3;
	ev_timer_init(&p1.tm, tm_fire, &p1);
	ev_timer_init(&p2.tm, tm_fire, &p2);
	ev_timer_init(&p3.tm, tm_fire, &p3);
	ev_timer_arm(ev, &p2.tm, 60);
	ev_timer_arm(ev, &p1.tm, 20);
	ev_timer_arm(ev, &p3.tm, 40);
	ev_timer_cancel(ev, &p3.tm);
	t0 = ev_now_ms();
	while (norder < 2 && ev_now_ms() - t0 < 2000)
		ev_run_once(ev, 500);
	T_EQ(t, norder, 2);
	T_EQ(t, order[0], 1);
	T_EQ(t, order[1], 2);
	T_TRUE(t, ev_now_ms() - t0 >= 60);
	/* A timer re-armed for 0 ms in its callback runs once per round. */
	p1.fd = 1;
	ev_timer_arm(ev, &p1.tm, 0);
	T_EQ(t, ev_run_once(ev, 0), 1);
	T_EQ(t, norder, 3);
	T_EQ(t, ev_run_once(ev, 0), 1);
	T_EQ(t, norder, 4);
	ev_timer_cancel(ev, &p1.tm);
	T_EQ(t, ev_run_once(ev, 0), 0);
	ev_close(ev);
}

static void
tm_stop(void *arg)
{
	ev_stop(arg);
}

/* CPU time of this thread, ms. */
static uint64_t
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * ev_run with busy polling of busy_ms, for run_ms; a byte waiting on a
 * pipe first if byte.  *spins: the polls that found nothing; *cpu: the
 * CPU time the loop took, ms (both UINT64_MAX if it could not run).
 */
static void
busy_run(struct t_ctx *t, unsigned int busy_ms, unsigned int run_ms,
    bool byte, uint64_t *spins, uint64_t *cpu)
{
	struct ev *ev;
	struct ev_timer stop;
	struct probe a = { 0 };
	int pa[2];
	uint64_t c0;

	*spins = *cpu = UINT64_MAX;

	T_REQUIRE(t, ev_open(&ev) == 0);
	T_REQUIRE(t, pipe(pa) == 0);
	a.ev = ev;
	a.fd = pa[0];
	T_EQ(t, ev_fd_add(ev, pa[0], 1, probe_read, &a, &a.h), 0);
	ev_busy_poll(ev, busy_ms * 1000u);
	ev_timer_init(&stop, tm_stop, ev);
	ev_timer_arm(ev, &stop, run_ms);
	if (byte)
		T_EQ(t, write(pa[1], "x", 1), 1);
	c0 = cpu_ms();
	T_EQ(t, ev_run(ev), 0);
	*cpu = cpu_ms() - c0;
	T_EQ(t, a.calls, byte ? 1 : 0);
	*spins = ev_busy_spins(ev);
	ev_close(ev);
	close(pa[0]), close(pa[1]);
}

static void
t_busy_poll(struct t_ctx *t)
{
	uint64_t spins, cpu;

	/* After the byte, the loop polls until the stop timer (60 ms). */
	busy_run(t, 500, 60, true, &spins, &cpu);
	T_TRUE(t, spins > 10 && spins != UINT64_MAX);
	T_TRUE(t, cpu >= 15);
	/* A window of 5 ms, then it sleeps: little CPU of the 120 ms. */
	busy_run(t, 5, 120, true, &spins, &cpu);
	T_TRUE(t, spins > 0);
	T_TRUE(t, cpu < 40);
	/* Timers alone open no window; no busy polling, no polls. */
	busy_run(t, 500, 60, false, &spins, &cpu);
	T_EQ(t, spins, 0);
	T_TRUE(t, cpu < 15);
	busy_run(t, 0, 60, true, &spins, &cpu);
	T_EQ(t, spins, 0);
	T_TRUE(t, cpu < 15);
}

const struct t_case t_cases[] = {
	{ "fds: readiness and deletion during dispatch", t_fds },
	{ "timers: order, cancel, re-arm without spinning", t_timers },
	{ "busy polling: after an fd's event only, for its window", t_busy_poll },
	{ NULL, NULL }
};
