/*
 * vif_worker.c -- the worker threads of the data path.  Each has its own
 * event loop, staging buffers and event-channel handle, and runs the
 * queues the control plane gave it, as Linux netback runs a thread per
 * queue: a vif's queues may sit on different workers, and one busy guest
 * does not hold up the others.  The control plane keeps XenStore and the
 * vifs' life.  A queue's channels are bound through its worker's handle,
 * so a guest's notification wakes the thread that runs the queue, and no
 * other (an earlier design read every channel in the control plane and
 * handed it on: two wakeups and a thread switch per notification, which
 * doubled the round trip).
 *
 * The control plane and a worker share only what is under wk_mu: the
 * commands (attach a queue, detach it, give it a new rate, stop), which
 * the control plane waits for, never per frame.  A queue belongs to its
 * worker between attach and detach; before and after, to the control
 * plane (which binds and unbinds its channels through the worker's
 * handle while the worker does not look at them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "hp_tap_batch.h"
#include "xvif.h"

#define VIF_RX_STAGE_SIZE	((size_t)XVIF_RX_BATCH_FRAMES * XVIF_RX_FRAME_SLOT)

enum vif_wop {
	VIF_W_ATTACH, VIF_W_DETACH, VIF_W_STOP, VIF_W_RATE, VIF_W_ANTISPOOF,
	VIF_W_PREPARE
};

/* A command, on the waiting control plane's stack. */
struct vif_wcmd {
	enum vif_wop		 wc_op;
	struct vif_queue	*wc_q;
	struct vif_rate		 wc_rate;	/* VIF_W_RATE's */
	const struct antispoof	*wc_as;		/* VIF_W_ANTISPOOF's */
	int			 wc_rc;
	bool			 wc_done;
	struct vif_wcmd		*wc_next;
};

/* The RX batch's buffers: the slots of w_rx_stage, in order. */
void
vif_work_rx_bufs(struct vif_work *w)
{
	unsigned int i;

	for (i = 0; i < XVIF_RX_BATCH_FRAMES; i++) {
		w->w_rx_bufs[i].rb_buf = w->w_rx_stage +
		    (size_t)i * XVIF_RX_FRAME_SLOT;
		w->w_rx_bufs[i].rb_cap = XVIF_RX_FRAME_SLOT;
	}
}

/* The worker's staging buffers and batches (struct vif_work), made once. */
int
vif_work_get(struct vif_worker *wk)
{
	struct vif_work *w;

	if (wk->wk_work != NULL)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->w_tx_stage = aligned_alloc(XVIF_PAGE_SIZE,
	    (size_t)XVIF_TX_STAGE_PAGES * XVIF_PAGE_SIZE);
	w->w_rx_stage = aligned_alloc(XVIF_PAGE_SIZE, VIF_RX_STAGE_SIZE);
	if (w->w_tx_stage == NULL || w->w_rx_stage == NULL) {
		free(w->w_tx_stage);
		free(w->w_rx_stage);
		free(w);
		return -ENOMEM;
	}
	vif_work_rx_bufs(w);
	wk->wk_work = w;
	return 0;
}

static void
vif_work_free(struct vif_worker *wk)
{
	if (wk->wk_work == NULL)
		return;
	free(wk->wk_work->w_tx_stage);
	free(wk->wk_work->w_rx_stage);
	free(wk->wk_work);
	wk->wk_work = NULL;
}

static void
vif_worker_poke(struct vif_worker *wk)
{
	uint64_t one = 1;

	(void)!write(wk->wk_efd, &one, sizeof(one));
}

/* In the worker: enter q's ports in its table (q), or clear them (NULL). */
static int
vif_worker_ports(struct vif_worker *wk, struct vif_queue *q,
    struct vif_queue *to)
{
	int rc;

	if (q->q_port_tx != HV_PORT_NONE &&
	    (rc = vif_port_set(wk, q->q_port_tx, to)) < 0)
		return rc;
	if (q->q_port_rx != HV_PORT_NONE && q->q_port_rx != q->q_port_tx &&
	    (rc = vif_port_set(wk, q->q_port_rx, to)) < 0) {
		(void)vif_port_set(wk, q->q_port_tx, NULL);
		return rc;
	}
	return 0;
}

/*
 * In the worker: one command.  An attached queue's channels are unmasked
 * (one that fired since the bind was left masked) before its rings are
 * run for what the guest queued already.
 */
static int
vif_worker_run_cmd(struct vif_worker *wk, struct vif_wcmd *c)
{
	struct vif_queue *q = c->wc_q;
	int rc;

	switch (c->wc_op) {
	case VIF_W_ATTACH:
		if ((rc = vif_worker_ports(wk, q, q)) < 0)
			return rc;
		q->q_connected = true;
		vif_evt_unmask(q, Q_FIRED_TX | Q_FIRED_RX);
		vif_kick(q);
		break;
	case VIF_W_DETACH:
		vif_queue_stop(q);
		(void)vif_worker_ports(wk, q, NULL);
		break;
	case VIF_W_STOP:
		ev_stop(wk->wk_ev);
		break;
	case VIF_W_RATE:
		vif_tx_set_rate(q, &c->wc_rate);
		break;
	case VIF_W_ANTISPOOF:
		q->q_as = c->wc_as;
		break;
	case VIF_W_PREPARE:
		(void)tap_batch_prepare();	/* or a frame a call */
		break;
	}
	return 0;
}

/* The worker's eventfd: the control plane's commands, in order. */
static void
vif_worker_wakeup(void *arg, uint32_t events)
{
	struct vif_worker *wk = arg;
	struct vif_wcmd *cmds, *c;
	uint64_t v;

	(void)events;
	(void)!read(wk->wk_efd, &v, sizeof(v));
	pthread_mutex_lock(&wk->wk_mu);
	cmds = wk->wk_cmds;
	wk->wk_cmds = NULL;
	pthread_mutex_unlock(&wk->wk_mu);
	if (cmds == NULL)
		return;
	for (c = cmds; c != NULL; c = c->wc_next)
		c->wc_rc = vif_worker_run_cmd(wk, c);
	pthread_mutex_lock(&wk->wk_mu);
	for (c = cmds; c != NULL; c = c->wc_next)
		c->wc_done = true;
	pthread_cond_broadcast(&wk->wk_cv);
	pthread_mutex_unlock(&wk->wk_mu);
}

static void *
vif_worker_main(void *arg)
{
	struct vif_worker *wk = arg;
	int rc;

	/*
	 * Only a broken epoll fd ends the loop early.  Its queues would stop
	 * and the control plane would wait for ever on its next command:
	 * exit instead, and let the supervisor restart us (the guests keep
	 * their rings: restarts are crash-safe).
	 */
	if ((rc = ev_run(wk->wk_ev)) < 0)
		fatalx("worker %u: event loop: %s", wk->wk_id, strerror(-rc));
	return NULL;
}

/* The control plane: run command c in wk and wait until it is done. */
static int
vif_worker_run(struct vif_worker *wk, struct vif_wcmd *c)
{
	struct vif_wcmd **pp;

	pthread_mutex_lock(&wk->wk_mu);
	for (pp = &wk->wk_cmds; *pp != NULL; pp = &(*pp)->wc_next)
		;
	*pp = c;
	vif_worker_poke(wk);
	while (!c->wc_done)
		pthread_cond_wait(&wk->wk_cv, &wk->wk_mu);
	pthread_mutex_unlock(&wk->wk_mu);
	return c->wc_rc;
}

static int
vif_worker_call(struct vif_worker *wk, enum vif_wop op, struct vif_queue *q)
{
	struct vif_wcmd c = { .wc_op = op, .wc_q = q };

	return vif_worker_run(wk, &c);
}

/*
 * The control plane: run c in q's worker and wait, if a worker runs q;
 * false if q is the control plane's own (not attached), to change here.
 */
static bool
vif_worker_give(struct vif_queue *q, struct vif_wcmd *c)
{
	if (!q->q_attached || q->q_worker == NULL || !q->q_worker->wk_running)
		return false;
	(void)vif_worker_run(q->q_worker, c);
	return true;
}

/* The worker with the fewest queues, counting the one it is picked for. */
struct vif_worker *
vif_worker_pick(struct xvifd *xd)
{
	struct vif_worker *best = &xd->xd_workers[0];
	unsigned int i;

	for (i = 1; i < xd->xd_nworkers; i++)
		if (xd->xd_workers[i].wk_nqueues < best->wk_nqueues)
			best = &xd->xd_workers[i];
	best->wk_nqueues++;
	return best;
}

/*
 * Give q (connected: rings mapped, channels bound) to its worker, which
 * runs what the guest queued already before this returns: a frontend
 * that broke its ring before Connected is failed by then (q_failed).
 */
int
vif_worker_attach(struct vif_queue *q)
{
	struct vif_worker *wk = q->q_worker;
	int rc;

	if ((rc = vif_work_get(wk)) < 0)
		return rc;
	log_debug("%s: on worker %u", q->q_tag, wk->wk_id);
	rc = vif_worker_call(wk, VIF_W_ATTACH, q);
	q->q_attached = rc == 0;
	return rc;
}

/*
 * Take q back from its worker (no timer, fd or fired channel of it left
 * there), and count it off the worker it was picked for.
 */
void
vif_worker_detach(struct vif_queue *q)
{
	struct vif_worker *wk = q->q_worker;

	if (wk == NULL)
		return;
	if (q->q_attached && wk->wk_running)
		(void)vif_worker_call(wk, VIF_W_DETACH, q);
	q->q_attached = false;
	if (wk->wk_nqueues > 0)
		wk->wk_nqueues--;
	q->q_worker = NULL;
}

/*
 * The control plane: q's guest TX is limited to r from now on.  Its
 * worker applies it between two runs of the queue (the credit is only
 * ever touched there, so the frame loop takes no lock), and a queue
 * that waited for credit goes on at once; a queue no worker has yet is
 * the control plane's, and takes it here.
 */
void
vif_worker_rate(struct vif_queue *q, const struct vif_rate *r)
{
	struct vif_wcmd c = { .wc_op = VIF_W_RATE, .wc_q = q, .wc_rate = *r };

	if (!vif_worker_give(q, &c))
		vif_tx_set_rate(q, r);
}

/*
 * The control plane: q checks guest frames against as (NULL: not at
 * all) from now on.  When this returns its worker no longer reads the
 * rules it had, which the caller may then free.
 */
void
vif_worker_antispoof(struct vif_queue *q, const struct antispoof *as)
{
	struct vif_wcmd c = { .wc_op = VIF_W_ANTISPOOF, .wc_q = q,
	    .wc_as = as };

	if (!vif_worker_give(q, &c))
		q->q_as = as;
}

/*
 * A worker, not running yet: its loop, its eventfd and its event-channel
 * handle (opened here, before xvifd gives up its privileges).
 */
static int
vif_worker_init(struct xvifd *xd, struct vif_worker *wk, unsigned int id)
{
	int rc;

	wk->wk_d = xd;
	wk->wk_id = id;
	wk->wk_efd = -1;
	pthread_mutex_init(&wk->wk_mu, NULL);
	pthread_cond_init(&wk->wk_cv, NULL);
	if ((rc = ev_open(&wk->wk_ev)) < 0)
		return rc;
	if ((wk->wk_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	if ((rc = ev_fd_add(wk->wk_ev, wk->wk_efd, EPOLLIN, vif_worker_wakeup,
	    wk, &wk->wk_efd_h)) < 0)
		return rc;
	if ((rc = hv_evt_open(xd->xd_hv, &wk->wk_evt)) < 0)
		return rc;
	return ev_fd_add(wk->wk_ev, hv_evt_fd(xd->xd_hv, wk->wk_evt), EPOLLIN,
	    vif_evt_ready, wk, &wk->wk_evt_h);
}

/* n workers, made but not running (vif_workers_start). */
int
vif_workers_open(struct xvifd *xd, unsigned int n)
{
	unsigned int i;
	int rc;

	if ((xd->xd_workers = calloc(n, sizeof(*xd->xd_workers))) == NULL)
		return -ENOMEM;
	xd->xd_nworkers = n;
	/* No fd yet, so that a stop after a failed init closes none of
	 * those not made (0 is stdin). */
	for (i = 0; i < n; i++)
		xd->xd_workers[i].wk_efd = -1;
	for (i = 0; i < n; i++)
		if ((rc = vif_worker_init(xd, &xd->xd_workers[i], i)) < 0) {
			vif_workers_stop(xd);
			return rc;
		}
	return 0;
}

/* Each worker's thread, waiting in its loop (no wakeup while idle). */
int
vif_workers_start(struct xvifd *xd)
{
	struct vif_worker *wk;
	unsigned int i;
	int rc;

	for (i = 0; i < xd->xd_nworkers; i++) {
		wk = &xd->xd_workers[i];
		if ((rc = -pthread_create(&wk->wk_thread, NULL,
		    vif_worker_main, wk)) < 0)
			return rc;
		wk->wk_running = true;
		/* Its TAP ring now: none is made once the filter is on. */
		(void)vif_worker_call(wk, VIF_W_PREPARE, NULL);
	}
	return 0;
}

/* Stop and free every worker; their queues were detached before. */
void
vif_workers_stop(struct xvifd *xd)
{
	struct vif_worker *wk;
	unsigned int i;

	for (i = 0; i < xd->xd_nworkers; i++) {
		wk = &xd->xd_workers[i];
		if (wk->wk_running) {
			(void)vif_worker_call(wk, VIF_W_STOP, NULL);
			pthread_join(wk->wk_thread, NULL);
			wk->wk_running = false;
		}
		ev_close(wk->wk_ev);
		if (wk->wk_efd >= 0)
			close(wk->wk_efd);
		hv_evt_close(xd->xd_hv, wk->wk_evt);	/* NULL is fine */
		vif_work_free(wk);
		free(wk->wk_ports);
		pthread_mutex_destroy(&wk->wk_mu);
		pthread_cond_destroy(&wk->wk_cv);
	}
	free(xd->xd_workers);
	xd->xd_workers = NULL;
	xd->xd_nworkers = 0;
}
