/*
 * fz_vif.h -- for the fuzz targets that drive xvifd's own data path
 * (fz_rxpost, fz_txpath): a daemon of one worker, run inline, with the
 * hypervisor and host ports the target fakes, and per input one vif of
 * one queue, its journal in a directory of its own.
 *
 * The directory exists only while an input runs: libFuzzer ends a run its
 * own way (a time limit, a crash) without atexit handlers, which left one
 * directory per run in /tmp.  Now only an input that crashes or hangs can
 * leave it, and that run is reported anyway.  It is made in a tmpfs where
 * there is one: creating and removing a directory per input on a disk
 * filesystem was a fifth of fz_rxpost's time.
 */
#ifndef XVIF_FZ_VIF_H
#define XVIF_FZ_VIF_H

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xvif.h"

struct fz_world {
	struct xvifd		w_xd;
	struct hv		w_hv;
	struct vif_work		w_work;		/* the worker's stages: the target's */
	struct vif_worker	w_wk;		/* the one worker, run inline */
	char			w_dir[64];	/* the state directory, per input */
};

/*
 * The host port's part both targets fake alike: named fz0, readable
 * through an eventfd (for the loop), a carrier that always switches.
 * Each target's own port starts with it.
 */
struct fz_hp_base {
	struct hp	 b_hp;		/* first: see hp.h */
	int		 b_fd;		/* an eventfd, for the loop */
};

static inline int
fz_hp_base_fd(struct hp *hp)
{
	return ((struct fz_hp_base *)hp)->b_fd;
}

static inline int
fz_hp_base_carrier(struct hp *hp, bool on)
{
	(void)hp;
	(void)on;
	return 0;
}

static inline void
fz_hp_base_init(struct fz_hp_base *b, const struct hp_ops *ops)
{
	b->b_hp.hp_ops = ops;
	strcpy(b->b_hp.hp_name, "fz0");
	assert((b->b_fd = eventfd(0, EFD_CLOEXEC)) >= 0);
}

/* Once: a daemon named name, whose hypervisor is ops. */
static inline void
fz_world_init(struct fz_world *fw, const char *name, const struct hv_ops *ops)
{
	char *dir = fw->w_dir;

	log_init(name, false, -1);
	snprintf(fw->w_dir, sizeof(fw->w_dir), "%s/xvif-%s.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
	assert(mkdtemp(dir) != NULL);	/* a name of our own */
	assert(rmdir(dir) == 0);
	assert(ev_open(&fw->w_xd.xd_ev) == 0);
	fw->w_xd.xd_fail_efd = -1;	/* a failure wakes nobody here */
	snprintf(fw->w_xd.xd_state_dir, sizeof(fw->w_xd.xd_state_dir), "%s",
	    dir);
	fw->w_hv.hv_ops = ops;
	fw->w_xd.xd_hv = &fw->w_hv;
	fw->w_wk.wk_d = &fw->w_xd;
	fw->w_wk.wk_ev = fw->w_xd.xd_ev;
	fw->w_wk.wk_work = &fw->w_work;
}

/* A vif 1.0 of one queue on the worker, not connected; NULL without memory. */
static inline struct vif_queue *
fz_vif_new(struct fz_world *fw)
{
	struct xvif *vif;
	struct vif_queue *q;

	if ((vif = vif_alloc(&fw->w_xd, 1, 0)) == NULL)
		return NULL;
	if ((vif->vif_q = q = calloc(1, sizeof(*q))) == NULL) {
		vif_free(vif, false);
		return NULL;
	}
	vif->vif_nq = vif->vif_fe.fe_nqueues = 1;
	vif_queue_init(vif, q, 0);
	q->q_worker = &fw->w_wk;
	return q;
}

/*
 * Connected on the rings the caller set up (not mapped: nothing to
 * unmap), to host port hp, with its journal.
 */
static inline void
fz_vif_connect(struct fz_world *fw, struct vif_queue *q, struct hp *hp)
{
	struct xvif *vif = q->q_vif;

	q->q_txs = NULL;
	q->q_rxs = NULL;
	vif->vif_hp = q->q_hp = hp;
	assert(mkdir(fw->w_dir, 0700) == 0);
	assert(vif_journal_open(vif, false) >= 0);
	vif->vif_connected = vif->vif_carrier = q->q_connected = true;
}

/* The input is done: the vif goes, and its directory. */
static inline void
fz_vif_free(struct fz_world *fw, struct vif_queue *q)
{
	struct xvif *vif = q->q_vif;
	char path[sizeof(fw->w_dir) + 16];

	vif_queue_stop(q);		/* its timers, off the loop */
	q->q_port_tx = q->q_port_rx = HV_PORT_NONE;	/* none bound */
	vif->vif_hp = q->q_hp = NULL;
	vif_free(vif, false);
	snprintf(path, sizeof(path), "%s/1.0", fw->w_dir);
	(void)unlink(path);
	(void)rmdir(fw->w_dir);
}

#endif
