/*
 * ev.h -- the daemon's one event loop: epoll for file descriptors, a list
 * of one-shot timers on CLOCK_MONOTONIC.  One thread; callbacks run to
 * completion and may add or delete any handle, their own included.
 * ev_run_once() lets tests step the loop.
 */
#ifndef XVIF_EV_H
#define XVIF_EV_H

#include <stdbool.h>
#include <stdint.h>

struct ev;

typedef void ev_fd_fn(void *arg, uint32_t events);	/* EPOLLIN, ... */
typedef void ev_timer_fn(void *arg);

/* Embedded by its owner; zero it or ev_timer_init() it before use. */
struct ev_timer {
	ev_timer_fn	*et_fn;
	void		*et_arg;	/* borrowed */
	uint64_t	 et_due_ms;
	uint64_t	 et_round;	/* the loop's timer round it was armed in */
	bool		 et_armed;
	struct ev_timer	*et_next;
};

struct ev_fd;		/* opaque; owned by the loop */

int	ev_open(struct ev **);
void	ev_close(struct ev *);		/* NULL is fine; frees every handle */
/* Watch fd for events; *h identifies it for ev_fd_del/ev_fd_mod. */
int	ev_fd_add(struct ev *, int fd, uint32_t events, ev_fd_fn *, void *arg,
	    struct ev_fd **h);
int	ev_fd_mod(struct ev *, struct ev_fd *, uint32_t events);
/* Stops watching (the fd itself is the caller's); NULL is fine. */
void	ev_fd_del(struct ev *, struct ev_fd *);

void	ev_timer_init(struct ev_timer *, ev_timer_fn *, void *arg);
/* (Re)arm to fire once, ms from now. */
void	ev_timer_arm(struct ev *, struct ev_timer *, unsigned int ms);
void	ev_timer_cancel(struct ev *, struct ev_timer *);

/* Armed and not yet fired? */
static inline bool
ev_timer_armed(const struct ev_timer *t)
{
	return t->et_armed;
}

/* CLOCK_MONOTONIC, in milliseconds (the timers') and microseconds. */
uint64_t ev_now_ms(void);
uint64_t ev_now_us(void);
/*
 * Wait at most max_ms (-1: until something happens) and dispatch what is
 * ready.  Returns the number of callbacks run, or -errno.
 */
int	ev_run_once(struct ev *, int max_ms);
/* Loop until ev_stop(); returns 0, or -errno if epoll failed. */
int	ev_run(struct ev *);
void	ev_stop(struct ev *);

#endif
