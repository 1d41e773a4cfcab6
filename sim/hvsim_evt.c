/*
 * hvsim_evt.c -- the simulated hypervisor's interdomain event channels,
 * after Xen's event_channel.c (evtchn_alloc_unbound,
 * evtchn_bind_interdomain, evtchn_close, evtchn_send) and Linux's evtchn
 * device (ports belong to the handle that bound them; a fired port stays
 * masked until unmasked).  Owns this process's ports: their FIFOs, the
 * cached FIFOs of their peers, and its handles: an epoll fd each, over the
 * FIFOs of the ports bound through it.  A process has one handle of its
 * own (d_evth, the hvsim_evt_*() calls); xvifd opens one per worker
 * thread (hvsim_evth_*()), so that a notification wakes the thread of its
 * queue only.
 *
 * Delivery: every port P of domain N has a FIFO DIR/evtchn/d<N>-p<P>-g<G>
 * (G: the channel's generation, new at each alloc/bind, so a stale opener
 * never reaches a later channel on the same port), made and held open
 * O_RDWR|O_NONBLOCK by the process that owns P.  A notify writes one byte
 * to the peer's FIFO (EAGAIN when full: already pending).  The epoll fd
 * of P's handle holds its FIFO, one-shot: epoll masks a port as it
 * reports it, pending drains its FIFO (one read, as a rule), and unmask
 * re-arms it.  Bytes written meanwhile stay in the FIFO, so a notify
 * while masked fires on unmask.  Two system calls an event beside the
 * wait, as Linux's evtchn device (read the port, write the unmask): a
 * mask of its own (epoll_ctl) and a read that finds the FIFO empty
 * made the simulated path cost more than Xen's.
 *
 * Owners.  Every claimed port records its handle's owner id (e_owner); a
 * port whose owner is gone (hvsim.c, "Owners") is closed by whoever meets
 * it, as Linux's evtchn_release closes a dead process's ports, and its
 * FIFO is removed (hvsim_evt_reap).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvsim_int.h"

/* notify: how often (ms) it looks whether its peer's holder is gone. */
#define HVSIM_PEER_CHECK_MS	100

/* Port is ours, bound through handle h. */
static bool
hvsim_port_ours(const struct hvsim_dom *d, const struct hvsim_evth *h,
    uint32_t port)
{
	return port < HVSIM_NR_EVTCHN && d->d_ports[port].p_fifo >= 0 &&
	    d->d_ports[port].p_h == h;
}

static int
hvsim_evth_init(struct hvsim_evth *h)
{
	if ((h->h_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	pthread_mutex_init(&h->h_mu, NULL);
	return 0;
}

int
hvsim_evt_init(struct hvsim_dom *d)
{
	unsigned int i;

	d->d_ports = calloc(HVSIM_NR_EVTCHN, sizeof(*d->d_ports));
	if (d->d_ports == NULL)
		return -ENOMEM;
	for (i = 0; i < HVSIM_NR_EVTCHN; i++) {
		d->d_ports[i].p_fifo = -1;
		d->d_ports[i].p_peer = -1;
	}
	return hvsim_evth_init(&d->d_evth);
}

/*
 * get_free_port() and claim it for us: the lowest free port becomes
 * RESERVED with a new generation, and its FIFO is made and opened before
 * anybody can bind to it or notify it.
 */
static int
hvsim_port_claim(struct hvsim_dom *d, struct hvsim_evth *h, uint32_t *port)
{
	struct hvsim_view *v = d->d_own;
	struct hvsim_port *pp;
	struct epoll_event ev;
	char path[512];
	uint32_t p, gen;
	bool swept = false;
	int rc;

	for (;;) {
		if ((rc = hvsim_lock(&v->v_hdr->h_evt_lock)) < 0)
			return rc;
		for (p = 1; p < HVSIM_NR_EVTCHN; p++)
			if (v->v_evt[p].e_state == HVSIM_ECS_FREE)
				break;
		if (p < HVSIM_NR_EVTCHN)
			break;
		hvsim_unlock(&v->v_hdr->h_evt_lock);
		/* Full: maybe of ports the gone left.  Look once. */
		if (swept)
			return -ENOSPC;
		hvsim_evt_sweep(d, v);
		swept = true;
	}
	v->v_evt[p].e_state = HVSIM_ECS_RESERVED;
	v->v_evt[p].e_owner = d->d_reg.r_self;
	gen = ++v->v_evt[p].e_gen;
	hvsim_unlock(&v->v_hdr->h_evt_lock);

	pp = &d->d_ports[p];
	hvsim_fifo_path(d->d_dir, d->d_self, p, gen, path, sizeof(path));
	(void)unlink(path);		/* left by a crashed owner */
	if (mkfifo(path, 0600) < 0 ||
	    (pp->p_fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Its handle first: the reader may see it fire at once. */
	pp->p_masked = false;
	pp->p_h = h;
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = p;
	pthread_mutex_lock(&h->h_mu);
	rc = epoll_ctl(h->h_epfd, EPOLL_CTL_ADD, pp->p_fifo, &ev) < 0 ?
	    -errno : 0;
	pthread_mutex_unlock(&h->h_mu);
	if (rc < 0)
		goto fail;
	*port = p;
	return 0;
fail:
	if (pp->p_fifo >= 0)
		close(pp->p_fifo);
	pp->p_fifo = -1;
	pp->p_h = NULL;
	(void)unlink(path);
	if (hvsim_lock(&v->v_hdr->h_evt_lock) >= 0) {
		v->v_evt[p].e_state = HVSIM_ECS_FREE;
		v->v_evt[p].e_owner = 0;
		hvsim_unlock(&v->v_hdr->h_evt_lock);
	}
	return rc;
}

/* Forget our side of port p (after its table entry went FREE). */
static void
hvsim_port_drop(struct hvsim_dom *d, uint32_t p, uint32_t gen)
{
	struct hvsim_port *pp = &d->d_ports[p];
	char path[512];

	if (pp->p_fifo >= 0) {
		/*
		 * Under the handle's lock: its reader, between taking p from
		 * epoll and reading p's FIFO, never meets a closed (or
		 * reused) fd.
		 */
		pthread_mutex_lock(&pp->p_h->h_mu);
		(void)epoll_ctl(pp->p_h->h_epfd, EPOLL_CTL_DEL, pp->p_fifo,
		    NULL);
		close(pp->p_fifo);
		pp->p_fifo = -1;
		pthread_mutex_unlock(&pp->p_h->h_mu);
		hvsim_fifo_path(d->d_dir, d->d_self, p, gen, path,
		    sizeof(path));
		(void)unlink(path);
	}
	if (pp->p_peer >= 0) {
		close(pp->p_peer);
		pp->p_peer = -1;
	}
	pp->p_masked = false;
	pp->p_h = NULL;
}

/* Give back a claimed port that never got bound. */
static void
hvsim_port_unclaim(struct hvsim_dom *d, uint32_t p)
{
	struct hvsim_view *v = d->d_own;
	uint32_t gen = v->v_evt[p].e_gen;

	if (hvsim_lock(&v->v_hdr->h_evt_lock) >= 0) {
		v->v_evt[p].e_state = HVSIM_ECS_FREE;
		v->v_evt[p].e_owner = 0;
		hvsim_unlock(&v->v_hdr->h_evt_lock);
	}
	hvsim_port_drop(d, p, gen);
}

/* EVTCHNOP_alloc_unbound: a port that `remote` may bind to. */
int
hvsim_evt_alloc_unbound(struct hvsim_dom *d, domid_t remote, uint32_t *port)
{
	struct hvsim_view *v = d->d_own;
	uint32_t p;
	int rc;

	if (remote == DOMID_SELF)
		remote = d->d_self;
	if ((rc = hvsim_port_claim(d, &d->d_evth, &p)) < 0)
		return rc;
	if ((rc = hvsim_lock(&v->v_hdr->h_evt_lock)) < 0) {
		hvsim_port_unclaim(d, p);
		return rc;
	}
	v->v_evt[p].e_rdom = remote;
	v->v_evt[p].e_rport = 0;
	__atomic_store_n(&v->v_evt[p].e_state, HVSIM_ECS_UNBOUND,
	    __ATOMIC_RELEASE);
	hvsim_unlock(&v->v_hdr->h_evt_lock);
	*port = p;
	return 0;
}

/* Wake our own port p (Xen's evtchn_port_set_pending on a local port). */
static void
hvsim_port_kick(struct hvsim_dom *d, uint32_t p)
{
	char c = 1;

	if (write(d->d_ports[p].p_fifo, &c, 1) < 0) {
		/* EAGAIN: already pending. */
	}
}

/*
 * Before binding to v's port p: if p, or the peer p is bound to, is held
 * by a handle that is gone, close that one first (a restarted backend
 * re-binds the port its dead predecessor had bound, as on Linux).
 */
static void
hvsim_evt_reap_path(struct hvsim_dom *d, struct hvsim_view *v, uint32_t p)
{
	struct hvsim_evtchn *chn = &v->v_evt[p];
	struct hvsim_view *pv;
	uint32_t pport;
	domid_t pdom;

	if (hvsim_evt_reap(&d->d_reg, d, d->d_dir, v, p))
		return;
	if (hvsim_lock(&v->v_hdr->h_evt_lock) < 0)
		return;
	if (chn->e_state != HVSIM_ECS_INTERDOMAIN) {
		hvsim_unlock(&v->v_hdr->h_evt_lock);
		return;
	}
	pdom = chn->e_rdom;
	pport = chn->e_rport;
	hvsim_unlock(&v->v_hdr->h_evt_lock);
	if (pport >= HVSIM_NR_EVTCHN || hvsim_view_get(d, pdom, &pv) < 0)
		return;
	(void)hvsim_evt_reap(&d->d_reg, d, d->d_dir, pv, pport);
	hvsim_view_put(pv);
}

/*
 * EVTCHNOP_bind_interdomain: -ESRCH if remote is no live domain, -EINVAL
 * unless rport is unbound and reserved for us.  As in Xen, the new local
 * port starts pending (a notify sent before the bind may have been lost).
 */
int
hvsim_evth_bind(struct hvsim_dom *d, struct hvsim_evth *h, domid_t remote,
    uint32_t rport, uint32_t *lport)
{
	struct hvsim_view *lv = d->d_own, *rv;
	struct hvsim_evtchn *rchn;
	uint32_t p;
	int rc;

	if (remote == DOMID_SELF)
		remote = d->d_self;
	if ((rc = hvsim_view_get(d, remote, &rv)) < 0)
		return -ESRCH;
	if (hvsim_view_dying(rv)) {
		rc = -ESRCH;
		goto out;
	}
	if (rport >= rv->v_hdr->h_nr_evtchn) {
		rc = -EINVAL;
		goto out;
	}
	hvsim_evt_reap_path(d, rv, rport);
	if ((rc = hvsim_port_claim(d, h, &p)) < 0)
		goto out;
	if ((rc = hvsim_evt_lock2(lv, rv)) < 0) {
		hvsim_port_unclaim(d, p);
		goto out;
	}
	rchn = &rv->v_evt[rport];
	if (hvsim_view_dying(rv) || rchn->e_state != HVSIM_ECS_UNBOUND ||
	    rchn->e_rdom != d->d_self) {
		rc = hvsim_view_dying(rv) ? -ESRCH : -EINVAL;
		hvsim_evt_unlock2(lv, rv);
		hvsim_port_unclaim(d, p);
		goto out;
	}
	lv->v_evt[p].e_rdom = remote;
	lv->v_evt[p].e_rport = rport;
	__atomic_store_n(&lv->v_evt[p].e_state, HVSIM_ECS_INTERDOMAIN,
	    __ATOMIC_RELEASE);
	rchn->e_rdom = d->d_self;
	rchn->e_rport = p;
	__atomic_store_n(&rchn->e_state, HVSIM_ECS_INTERDOMAIN,
	    __ATOMIC_RELEASE);
	hvsim_evt_unlock2(lv, rv);
	hvsim_port_kick(d, p);
	*lport = p;
	rc = 0;
out:
	hvsim_view_put(rv);
	return rc;
}

/*
 * Xen's evtchn_close() on port p of v: an interdomain peer goes back to
 * unbound, reserved for v's domain; p becomes free.  The peer's view comes
 * from d's cache, or from dir when d is NULL.  *gen: p's generation.
 * If owner is not 0, only while p is still held by owner (-ESTALE if not).
 */
static int
hvsim_close_entry(struct hvsim_dom *d, const char *dir, struct hvsim_view *v,
    uint32_t p, uint64_t owner, uint32_t *gen)
{
	struct hvsim_evtchn *chn = &v->v_evt[p], *rchn;
	struct hvsim_view *rv;
	uint32_t state;
	domid_t rdom;
	int rc, tries;

	for (tries = 0; tries < 100; tries++) {
		if ((rc = hvsim_lock(&v->v_hdr->h_evt_lock)) < 0)
			return rc;
		state = chn->e_state;
		rdom = chn->e_rdom;
		hvsim_unlock(&v->v_hdr->h_evt_lock);
		rv = NULL;
		if (state == HVSIM_ECS_INTERDOMAIN &&
		    (d != NULL ? hvsim_view_get(d, rdom, &rv) :
		    hvsim_view_open(dir, rdom, &rv)) < 0)
			rv = NULL;	/* gone: nothing to unbind there */
		if ((rc = hvsim_evt_lock2(v, rv)) < 0) {
			hvsim_view_put(rv);
			return rc;
		}
		if (owner != 0 && (chn->e_owner != owner ||
		    chn->e_state == HVSIM_ECS_FREE)) {
			/* Closed, maybe claimed again, since: not ours. */
			hvsim_evt_unlock2(v, rv);
			hvsim_view_put(rv);
			return -ESTALE;
		}
		if (chn->e_state != state ||
		    (state == HVSIM_ECS_INTERDOMAIN && chn->e_rdom != rdom)) {
			/* Changed while unlocked (the peer closed): again. */
			hvsim_evt_unlock2(v, rv);
			hvsim_view_put(rv);
			continue;
		}
		if (state == HVSIM_ECS_INTERDOMAIN && rv != NULL &&
		    chn->e_rport < rv->v_hdr->h_nr_evtchn) {
			rchn = &rv->v_evt[chn->e_rport];
			if (rchn->e_state == HVSIM_ECS_INTERDOMAIN &&
			    rchn->e_rdom == v->v_domid &&
			    rchn->e_rport == p) {
				rchn->e_state = HVSIM_ECS_UNBOUND;
				rchn->e_rdom = v->v_domid;
				rchn->e_rport = 0;
			}
		}
		*gen = chn->e_gen;
		chn->e_owner = 0;
		__atomic_store_n(&chn->e_state, HVSIM_ECS_FREE,
		    __ATOMIC_RELEASE);
		hvsim_evt_unlock2(v, rv);
		hvsim_view_put(rv);
		if (d != NULL && rv != NULL)	/* one user of it fewer */
			hvsim_view_done(d, rdom);
		return 0;
	}
	return -EAGAIN;
}

/* EVTCHNOP_close of one of our ports, through the handle that bound it. */
int
hvsim_evth_unbind(struct hvsim_dom *d, struct hvsim_evth *h, uint32_t port)
{
	uint32_t gen;
	int rc;

	if (port == 0 || port >= HVSIM_NR_EVTCHN)
		return -EINVAL;
	if (!hvsim_port_ours(d, h, port))
		return -ENOTCONN;	/* Linux's evtchn device says so */
	gen = d->d_own->v_evt[port].e_gen;
	rc = hvsim_close_entry(d, NULL, d->d_own, port, 0, &gen);
	hvsim_port_drop(d, port, gen);
	return rc < 0 ? rc : 0;
}

/*
 * EVTCHNOP_send: a bound port wakes its peer; an unbound one drops the
 * event silently (as Xen).  -ENOTCONN for a port we do not hold (Linux's
 * evtchn device), -EINVAL if it is no longer bound at all.
 */
int
hvsim_evth_notify(struct hvsim_dom *d, struct hvsim_evth *h, uint32_t port)
{
	struct hvsim_evtchn *chn;
	struct hvsim_view *rv;
	struct hvsim_port *pp;
	uint32_t state, rport, gen;
	long long now;
	domid_t rdom;
	char path[512], c = 1;

	if (port >= HVSIM_NR_EVTCHN)
		return -EINVAL;
	if (!hvsim_port_ours(d, h, port))
		return -ENOTCONN;
	chn = &d->d_own->v_evt[port];
	state = __atomic_load_n(&chn->e_state, __ATOMIC_ACQUIRE);
	if (state == HVSIM_ECS_UNBOUND)
		return 0;
	if (state != HVSIM_ECS_INTERDOMAIN)
		return -EINVAL;
	rdom = chn->e_rdom;
	rport = chn->e_rport;
	if (rport >= HVSIM_NR_EVTCHN)
		return -EINVAL;
	if (hvsim_view_get(d, rdom, &rv) < 0)
		return 0;		/* peer gone: nobody to wake */
	if (hvsim_view_dying(rv)) {
		hvsim_view_put(rv);
		return 0;
	}
	pp = &d->d_ports[port];
	/* A peer held by a handle that is gone: close it, drop the event. */
	if ((now = hvsim_now_ms()) - pp->p_peer_checked >=
	    HVSIM_PEER_CHECK_MS) {
		pp->p_peer_checked = now;
		if (hvsim_evt_reap(&d->d_reg, d, d->d_dir, rv, rport)) {
			hvsim_view_put(rv);
			return 0;
		}
	}
	gen = __atomic_load_n(&rv->v_evt[rport].e_gen, __ATOMIC_ACQUIRE);
	hvsim_view_put(rv);
	if (pp->p_peer >= 0 && (pp->p_peer_dom != rdom ||
	    pp->p_peer_port != rport || pp->p_peer_gen != gen)) {
		close(pp->p_peer);
		pp->p_peer = -1;
	}
	if (pp->p_peer < 0) {
		/* O_RDWR: never EPIPE/SIGPIPE if the owner has gone. */
		hvsim_fifo_path(d->d_dir, rdom, rport, gen, path, sizeof(path));
		pp->p_peer = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (pp->p_peer < 0)
			return 0;	/* closed meanwhile: dropped */
		pp->p_peer_dom = rdom;
		pp->p_peer_port = rport;
		pp->p_peer_gen = gen;
	}
	if (write(pp->p_peer, &c, 1) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int
hvsim_evth_fd(struct hvsim_evth *h)
{
	return h->h_epfd;
}

/*
 * The ports of h that fired, at most max (and 256), masked and drained:
 * how many.  One epoll_wait for all of them, as one read of Linux's
 * evtchn device (hv_xen.c); what is left (and a port another thread
 * closed, skipped) keeps the handle readable, so no second look is
 * needed to learn there is nothing.
 */
static int
hvsim_evth_take(struct hvsim_dom *d, struct hvsim_evth *h, uint32_t *ports,
    unsigned int max)
{
	struct epoll_event ev[256];
	struct hvsim_port *pp;
	char buf[256];
	uint32_t p;
	int n, i, got = 0;

	if (max > sizeof(ev) / sizeof(ev[0]))
		max = sizeof(ev) / sizeof(ev[0]);
	while ((n = epoll_wait(h->h_epfd, ev, (int)max, 0)) < 0 &&
	    errno == EINTR)
		;
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		p = (uint32_t)ev[i].data.u64;
		if (!hvsim_port_ours(d, h, p))
			continue;
		/* Masked by epoll (one-shot); a short read drained it. */
		pp = &d->d_ports[p];
		while (read(pp->p_fifo, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
			;
		__atomic_store_n(&pp->p_masked, true, __ATOMIC_RELEASE);
		ports[got++] = p;
	}
	return got;
}

int
hvsim_evth_pending(struct hvsim_dom *d, struct hvsim_evth *h, uint32_t *ports,
    unsigned int max)
{
	int rc;

	pthread_mutex_lock(&h->h_mu);
	rc = hvsim_evth_take(d, h, ports, max);
	pthread_mutex_unlock(&h->h_mu);
	return rc;
}

int
hvsim_evth_unmask(struct hvsim_dom *d, struct hvsim_evth *h, uint32_t port)
{
	struct epoll_event ev;
	struct hvsim_port *pp;
	int rc = 0;

	if (port >= HVSIM_NR_EVTCHN)
		return -EINVAL;
	pthread_mutex_lock(&h->h_mu);
	if (!hvsim_port_ours(d, h, port)) {
		rc = -ENOTCONN;
		goto out;
	}
	pp = &d->d_ports[port];
	/*
	 * Unmask from another thread than the one taking events: the flag
	 * goes first, so that a pending() that masks the port again once it
	 * fires leaves it masked and flagged, never masked with the flag off
	 * (which no unmask would undo).
	 */
	if (!__atomic_exchange_n(&pp->p_masked, false, __ATOMIC_ACQ_REL))
		goto out;
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = port;
	if (epoll_ctl(h->h_epfd, EPOLL_CTL_MOD, pp->p_fifo, &ev) < 0) {
		__atomic_store_n(&pp->p_masked, true, __ATOMIC_RELEASE);
		rc = -errno;
	}
out:
	pthread_mutex_unlock(&h->h_mu);
	return rc;
}

int
hvsim_evth_open(struct hvsim_dom *d, struct hvsim_evth **out)
{
	struct hvsim_evth *h;
	int rc;

	(void)d;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	if ((rc = hvsim_evth_init(h)) < 0) {
		free(h);
		return rc;
	}
	*out = h;
	return 0;
}

/* Close h's ports (every port when h is NULL). */
static void
hvsim_evth_unbind_all(struct hvsim_dom *d, struct hvsim_evth *h)
{
	uint32_t p;

	if (d->d_ports == NULL)
		return;
	for (p = 1; p < HVSIM_NR_EVTCHN; p++)
		if (d->d_ports[p].p_fifo >= 0 &&
		    (h == NULL || d->d_ports[p].p_h == h))
			(void)hvsim_evth_unbind(d, d->d_ports[p].p_h, p);
}

static void
hvsim_evth_fini(struct hvsim_evth *h)
{
	if (h->h_epfd < 0)
		return;
	close(h->h_epfd);
	h->h_epfd = -1;
	pthread_mutex_destroy(&h->h_mu);
}

/* Like closing one more open of the evtchn device. */
void
hvsim_evth_close(struct hvsim_dom *d, struct hvsim_evth *h)
{
	if (h == NULL)
		return;
	hvsim_evth_unbind_all(d, h);
	hvsim_evth_fini(h);
	free(h);
}

/* The process's own handle. */

int
hvsim_evt_bind(struct hvsim_dom *d, domid_t remote, uint32_t rport,
    uint32_t *lport)
{
	return hvsim_evth_bind(d, &d->d_evth, remote, rport, lport);
}

int
hvsim_evt_close(struct hvsim_dom *d, uint32_t port)
{
	return hvsim_evth_unbind(d, &d->d_evth, port);
}

int
hvsim_evt_notify(struct hvsim_dom *d, uint32_t port)
{
	return hvsim_evth_notify(d, &d->d_evth, port);
}

int
hvsim_evt_fd(struct hvsim_dom *d)
{
	return d->d_evth.h_epfd;
}

int
hvsim_evt_pending(struct hvsim_dom *d, uint32_t *port)
{
	int n = hvsim_evth_pending(d, &d->d_evth, port, 1);

	return n == 1 ? 0 : n == 0 ? -EAGAIN : n;
}

int
hvsim_evt_pending_n(struct hvsim_dom *d, uint32_t *ports, unsigned int max)
{
	return hvsim_evth_pending(d, &d->d_evth, ports, max);
}

int
hvsim_evt_unmask(struct hvsim_dom *d, uint32_t port)
{
	return hvsim_evth_unmask(d, &d->d_evth, port);
}

/*
 * Like the process's exit closing its evtchn handles: every port we hold
 * is closed (a handle not closed before leaks only its epoll fd).
 */
void
hvsim_evt_close_all(struct hvsim_dom *d)
{
	hvsim_evth_unbind_all(d, NULL);
	free(d->d_ports);
	d->d_ports = NULL;
	hvsim_evth_fini(&d->d_evth);
}

/*
 * If port p of v is held by a handle that is gone, close it as that
 * handle's hvsim_close() would have (evtchn_close: its peer goes back to
 * unbound, reserved for v's domain) and remove its FIFO.  d (for its view
 * cache) may be NULL; r tells who is gone.  true if p was closed.
 */
bool
hvsim_evt_reap(const struct hvsim_reg *r, struct hvsim_dom *d,
    const char *dir, struct hvsim_view *v, uint32_t p)
{
	char path[512];
	uint64_t owner;
	uint32_t gen;

	if (p == 0 || p >= v->v_hdr->h_nr_evtchn ||
	    __atomic_load_n(&v->v_evt[p].e_state, __ATOMIC_ACQUIRE) ==
	    HVSIM_ECS_FREE)
		return false;
	owner = __atomic_load_n(&v->v_evt[p].e_owner, __ATOMIC_ACQUIRE);
	if (!hvsim_owner_gone(r, owner))
		return false;
	/* Closes p only if owner still holds it, checked under the lock. */
	if (hvsim_close_entry(d, dir, v, p, owner, &gen) != 0)
		return false;
	hvsim_fifo_path(dir, v->v_domid, p, gen, path, sizeof(path));
	(void)unlink(path);
	return true;
}

/* Close every port of v held by a handle that is gone. */
void
hvsim_evt_sweep(struct hvsim_dom *d, struct hvsim_view *v)
{
	uint32_t p;

	for (p = 1; p < v->v_hdr->h_nr_evtchn; p++)
		(void)hvsim_evt_reap(&d->d_reg, d, d->d_dir, v, p);
}

/*
 * A dying domain's channels (evtchn_destroy): each is closed, so that its
 * interdomain peers become unbound; its FIFOs are removed (the processes
 * that held them keep dead fds).  A peer held by a handle that is gone
 * would stay unbound for a domain that no longer exists: it is closed too.
 */
void
hvsim_evt_kill_domain(const char *dir, struct hvsim_view *v)
{
	struct hvsim_view *pv;
	struct hvsim_reg reg;
	char path[512];
	uint32_t p, gen, state, pport = 0;
	domid_t pdom = 0;
	bool have_reg;

	have_reg = hvsim_reg_open(dir, &reg) == 0;
	for (p = 1; p < v->v_hdr->h_nr_evtchn; p++) {
		state = __atomic_load_n(&v->v_evt[p].e_state,
		    __ATOMIC_ACQUIRE);
		if (state == HVSIM_ECS_FREE)
			continue;
		if (state == HVSIM_ECS_INTERDOMAIN) {
			pdom = v->v_evt[p].e_rdom;
			pport = v->v_evt[p].e_rport;
		}
		if (hvsim_close_entry(NULL, dir, v, p, 0, &gen) == 0) {
			hvsim_fifo_path(dir, v->v_domid, p, gen, path,
			    sizeof(path));
			(void)unlink(path);
		}
		if (state != HVSIM_ECS_INTERDOMAIN || !have_reg ||
		    pdom == v->v_domid ||
		    hvsim_view_open(dir, pdom, &pv) < 0)
			continue;
		(void)hvsim_evt_reap(&reg, NULL, dir, pv, pport);
		hvsim_view_put(pv);
	}
	if (have_reg)
		hvsim_reg_close(&reg);
}
