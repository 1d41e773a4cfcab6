/*
 * ev.c -- see ev.h.  Owns the epoll fd and the fd handles; timers belong
 * to their owners and are only linked here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

#define EV_BATCH	64

struct ev_fd {
	int		 ef_fd;
	ev_fd_fn	*ef_fn;
	void		*ef_arg;	/* borrowed */
	struct ev_fd	*ef_next;	/* all handles, for ev_close */
};

struct ev {
	int			 ev_epfd;
	bool			 ev_stopped;
	struct ev_fd		*ev_fds;
	struct ev_timer		*ev_timers;	/* unordered; few per vif */
	uint64_t		 ev_round;	/* ev_run_timers' rounds */
	/* The batch being dispatched, so that ev_fd_del can void entries. */
	struct epoll_event	 ev_batch[EV_BATCH];
	int			 ev_nbatch;
};

uint64_t
ev_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
ev_now_ms(void)
{
	return ev_now_us() / 1000u;
}

int
ev_open(struct ev **out)
{
	struct ev *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return -ENOMEM;
	if ((ev->ev_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		int rc = -errno;
		free(ev);
		return rc;
	}
	*out = ev;
	return 0;
}

void
ev_close(struct ev *ev)
{
	struct ev_fd *f, *next;

	if (ev == NULL)
		return;
	for (f = ev->ev_fds; f != NULL; f = next) {
		next = f->ef_next;
		free(f);
	}
	close(ev->ev_epfd);
	free(ev);
}

int
ev_fd_add(struct ev *ev, int fd, uint32_t events, ev_fd_fn *fn, void *arg,
    struct ev_fd **h)
{
	struct epoll_event ee = { .events = events };
	struct ev_fd *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->ef_fd = fd;
	f->ef_fn = fn;
	f->ef_arg = arg;
	ee.data.ptr = f;
	if (epoll_ctl(ev->ev_epfd, EPOLL_CTL_ADD, fd, &ee) < 0) {
		int rc = -errno;
		free(f);
		return rc;
	}
	f->ef_next = ev->ev_fds;
	ev->ev_fds = f;
	*h = f;
	return 0;
}

int
ev_fd_mod(struct ev *ev, struct ev_fd *f, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.ptr = f };

	return epoll_ctl(ev->ev_epfd, EPOLL_CTL_MOD, f->ef_fd, &ee) < 0 ?
	    -errno : 0;
}

void
ev_fd_del(struct ev *ev, struct ev_fd *f)
{
	struct ev_fd **pp;
	int i;

	if (f == NULL)
		return;
	/* The fd may already be closed: then epoll dropped it itself. */
	(void)epoll_ctl(ev->ev_epfd, EPOLL_CTL_DEL, f->ef_fd, NULL);
	for (i = 0; i < ev->ev_nbatch; i++)
		if (ev->ev_batch[i].data.ptr == f)
			ev->ev_batch[i].data.ptr = NULL;
	for (pp = &ev->ev_fds; *pp != NULL; pp = &(*pp)->ef_next)
		if (*pp == f) {
			*pp = f->ef_next;
			break;
		}
	free(f);
}

void
ev_timer_init(struct ev_timer *t, ev_timer_fn *fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->et_fn = fn;
	t->et_arg = arg;
}

void
ev_timer_cancel(struct ev *ev, struct ev_timer *t)
{
	struct ev_timer **pp;

	if (!t->et_armed)
		return;
	for (pp = &ev->ev_timers; *pp != NULL; pp = &(*pp)->et_next)
		if (*pp == t) {
			*pp = t->et_next;
			break;
		}
	t->et_armed = false;
	t->et_next = NULL;
}

void
ev_timer_arm(struct ev *ev, struct ev_timer *t, unsigned int ms)
{
	ev_timer_cancel(ev, t);
	t->et_due_ms = ev_now_ms() + ms;
	t->et_round = ev->ev_round;
	t->et_armed = true;
	t->et_next = ev->ev_timers;
	ev->ev_timers = t;
}

/* Milliseconds until the next timer, capped by max_ms (-1: no cap). */
static int
ev_wait_ms(struct ev *ev, int max_ms)
{
	uint64_t now, best = UINT64_MAX;
	struct ev_timer *t;

	/* No clock without a timer: in a PV dom0 a clock read may be a
	 * system call (no vDSO clock), twice a turn of a busy loop. */
	if (ev->ev_timers == NULL)
		return max_ms;
	now = ev_now_ms();
	for (t = ev->ev_timers; t != NULL; t = t->et_next)
		if (t->et_due_ms < best)
			best = t->et_due_ms;
	if (best == UINT64_MAX)
		return max_ms;
	best = best > now ? best - now : 0;
	if (max_ms >= 0 && best > (uint64_t)max_ms)
		return max_ms;
	return best > 60000 ? 60000 : (int)best;
}

/*
 * Fire every due timer armed before this round; a callback may re-arm or
 * cancel any timer.  One re-armed (for 0 ms) inside a callback of this
 * round waits for the next: it neither spins nor, firing again and again
 * within the same millisecond, keeps the other due timers of the loop
 * waiting -- a busy queue's kick timer once held its siblings' credit and
 * back-off timers for seconds.
 */
static int
ev_run_timers(struct ev *ev)
{
	uint64_t now, round;
	struct ev_timer *t;
	int n = 0;

	if (ev->ev_timers == NULL)
		return 0;
	now = ev_now_ms();
	round = ev->ev_round++;		/* armed from now on: the next round */
again:
	for (t = ev->ev_timers; t != NULL; t = t->et_next) {
		if (t->et_due_ms > now || t->et_round > round)
			continue;
		ev_timer_cancel(ev, t);
		t->et_fn(t->et_arg);
		n++;
		goto again;	/* the list may have changed under us */
	}
	return n;
}

int
ev_run_once(struct ev *ev, int max_ms)
{
	int i, n, ran;

	n = epoll_wait(ev->ev_epfd, ev->ev_batch, EV_BATCH,
	    ev_wait_ms(ev, max_ms));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	ev->ev_nbatch = n;
	for (i = 0; i < n; i++) {
		struct ev_fd *f = ev->ev_batch[i].data.ptr;

		if (f != NULL)
			f->ef_fn(f->ef_arg, ev->ev_batch[i].events);
	}
	ev->ev_nbatch = 0;
	ran = n;
	return ran + ev_run_timers(ev);
}

int
ev_run(struct ev *ev)
{
	int rc;

	ev->ev_stopped = false;
	while (!ev->ev_stopped)
		if ((rc = ev_run_once(ev, -1)) < 0)
			return rc;
	return 0;
}

void
ev_stop(struct ev *ev)
{
	ev->ev_stopped = true;
}
