/*
 * hp_tap_batch.c -- a TAP's frames read in batches: n reads in one system
 * call, through a per-thread io_uring.  A TAP gives one frame a read and
 * knows no recvmmsg; where a system call is dear (a PV dom0, whose every
 * return to user space is a hypercall), one readv per frame was most of
 * xvifd's cost of a small frame.
 *
 * One io_uring_enter submits the n reads and, after them, a cancel of
 * whatever of them still waits: the reads that found a frame complete at
 * once, the rest were armed to wait for one and are cancelled (a
 * non-blocking read would say EAGAIN, but Linux 6.1's tun does not take
 * RWF_NOWAIT).  We wait until every read has completed, one way or the
 * other, before a buffer is looked at or used again: none stays in the
 * kernel's hands.  A read that raced its cancel and got a frame counts
 * like the others, in the order the completions came, which is the order
 * tun gave the frames.
 *
 * The ring may do nothing but readv, writev and cancel (registered
 * restrictions): the operations of an io_uring are not system calls, and
 * the seccomp filter (priv.c) would not see them.  For the same reason
 * every worker makes its ring before the filter (tap_batch_prepare),
 * and none is made after (tap_batch_seal): the filter refuses
 * io_uring_setup and io_uring_register, which would make a ring without
 * restrictions.
 *
 * Where io_uring cannot be had (a kernel without it, or with it disabled
 * by sysctl or by a container's filter) the caller falls back to one readv
 * a frame: -ENOSYS, once and for all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <liburing.h>

#include "hp.h"
#include "hp_tap_batch.h"

#define TB_ENTRIES	128		/* > TAP_BATCH_MAX + the cancel */
#define TB_CANCEL	UINT64_MAX	/* the cancel's user_data */
#define TB_WAIT_NS	20000000LL	/* then cancel again: 20 ms */

_Static_assert(TB_ENTRIES > TAP_BATCH_MAX + 1, "a batch fits the ring");

static atomic_bool		 tb_off;	/* io_uring unusable here */
static atomic_bool		 tb_sealed;	/* no new ring (seccomp) */
static __thread struct io_uring	*tb_ring;
static __thread bool		 tb_tried;
static pthread_key_t		 tb_key;
static pthread_once_t		 tb_once = PTHREAD_ONCE_INIT;

static void
tb_ring_free(void *arg)
{
	io_uring_queue_exit(arg);
	free(arg);
}

static void
tb_key_make(void)
{
	(void)pthread_key_create(&tb_key, tb_ring_free);
}

void
tap_batch_disable(void)
{
	atomic_store(&tb_off, true);
}

bool
tap_batch_enabled(void)
{
	return !atomic_load(&tb_off);
}

/* Queue a cancel of every request of ours on fd (5.19's CANCEL_FD). */
static void
tb_prep_cancel(struct io_uring *r, int fd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);

	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, TB_CANCEL);
}

/* ... and submit it at once. */
static int
tb_cancel_all(struct io_uring *r, int fd)
{
	tb_prep_cancel(r, fd);
	return io_uring_submit(r);
}

/*
 * Does this kernel cancel by fd (5.19)?  Before, a cancel by fd is
 * EINVAL, and a read that found no frame would wait for one: we would
 * have to cancel each by its tag.  Asked once a ring, of the ring's own
 * fd, on which nothing waits: none cancelled (0; ENOENT without _ALL).
 */
static int
tb_cancel_works(struct io_uring *r)
{
	struct io_uring_cqe *cqe;
	int rc;

	if ((rc = tb_cancel_all(r, r->ring_fd)) < 0)
		return rc;
	if ((rc = io_uring_wait_cqe(r, &cqe)) < 0)
		return rc;
	rc = cqe->res >= 0 || cqe->res == -ENOENT ? 0 : -EOPNOTSUPP;
	io_uring_cqe_seen(r, cqe);
	return rc;
}

/* A ring that may only readv, writev and cancel, without SQE flags. */
static int
tb_ring_setup(struct io_uring *r)
{
	struct io_uring_restriction res[3];
	static const uint8_t ops[3] = {
		IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_ASYNC_CANCEL,
	};
	unsigned int i;
	int rc;

	/*
	 * SUBMIT_ALL: a request refused at submission must not leave the
	 * ones after it in the queue, to go in with a later call when their
	 * iovecs are long gone (5.18; cancel by fd needs 5.19 anyway).
	 */
	if ((rc = io_uring_queue_init(TB_ENTRIES, r,
	    IORING_SETUP_R_DISABLED | IORING_SETUP_SUBMIT_ALL)) < 0)
		return rc;
	memset(res, 0, sizeof(res));
	for (i = 0; i < 3; i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = ops[i];
	}
	/* Debian's liburing 2.3 does not export the two helpers for these. */
	if ((rc = io_uring_register(r->ring_fd, IORING_REGISTER_RESTRICTIONS,
	    res, 3)) < 0 || (rc = io_uring_register(r->ring_fd,
	    IORING_REGISTER_ENABLE_RINGS, NULL, 0)) < 0 ||
	    (rc = tb_cancel_works(r)) < 0) {
		io_uring_queue_exit(r);
		return rc;
	}
	return 0;
}

/* This thread's ring, made the first time; NULL if there is none. */
static struct io_uring *
tb_ring_get(void)
{
	struct io_uring *r;

	if (atomic_load(&tb_off))
		return NULL;
	if (tb_ring != NULL || tb_tried)
		return tb_ring;
	tb_tried = true;
	if (atomic_load(&tb_sealed))
		return NULL;		/* this thread: a frame a call */
	(void)pthread_once(&tb_once, tb_key_make);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (tb_ring_setup(r) < 0) {
		free(r);
		tap_batch_disable();
		return NULL;
	}
	(void)pthread_setspecific(tb_key, r);
	tb_ring = r;
	return r;
}

/*
 * Put the frames first, in the order their reads completed (order[]),
 * the other entries after them: b stays a permutation of itself.
 */
static void
tb_reorder(struct hp_rxbuf *b, unsigned int n, const unsigned int *order,
    unsigned int got)
{
	struct hp_rxbuf tmp[TAP_BATCH_MAX];
	bool used[TAP_BATCH_MAX] = { false };
	unsigned int i, k;

	memcpy(tmp, b, n * sizeof(*b));
	for (k = 0; k < got; k++) {
		b[k] = tmp[order[k]];
		used[order[k]] = true;
	}
	for (i = 0; i < n; i++)
		if (!used[i])
			b[k++] = tmp[i];
}

/*
 * Request tag of a frame's read or write (IORING_OP_READV or _WRITEV):
 * its virtio_net_hdr and buf (len bytes), through iov, which must live
 * until the request completes.
 */
static void
tb_prep(struct io_uring *r, uint8_t op, int fd, unsigned int tag,
    struct iovec iov[2], struct virtio_net_hdr *vh, void *buf, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);

	iov[0].iov_base = vh;
	iov[0].iov_len = sizeof(*vh);
	iov[1].iov_base = buf;
	iov[1].iov_len = len;
	io_uring_prep_rw(op, sqe, fd, iov, 2, 0);
	io_uring_sqe_set_data64(sqe, tag);
}

/* What one completion says of read i, or of the cancel (TB_CANCEL). */
struct tb_state {
	unsigned int	order[TAP_BATCH_MAX];
	unsigned int	done, got;
	int		cancels;	/* in flight (or left by the last call) */
	int		err;
};

static void
tb_complete(struct tb_state *st, struct hp_rxbuf *b,
    const struct io_uring_cqe *cqe)
{
	unsigned int i;

	if (cqe->user_data == TB_CANCEL) {
		st->cancels--;
		return;
	}
	i = (unsigned int)cqe->user_data;
	st->done++;
	if (cqe->res >= (int)sizeof(b[i].rb_vh)) {
		b[i].rb_len = (size_t)cqe->res - sizeof(b[i].rb_vh);
		st->order[st->got++] = i;
	} else if (cqe->res != -ECANCELED && cqe->res != -EAGAIN &&
	    st->got == 0 && st->err == 0)
		st->err = cqe->res >= 0 ? -EPROTO : cqe->res;
}

ssize_t
tap_batch_recv(int fd, struct hp_rxbuf *b, unsigned int n)
{
	struct __kernel_timespec ts = { .tv_nsec = TB_WAIT_NS };
	struct iovec iov[TAP_BATCH_MAX][2];
	struct tb_state st = { .cancels = 1 };
	struct io_uring_cqe *cqe;
	struct io_uring *r;
	unsigned int i;
	int rc;

	if (n > TAP_BATCH_MAX)
		n = TAP_BATCH_MAX;
	if ((r = tb_ring_get()) == NULL)
		return -ENOSYS;
	for (i = 0; i < n; i++)
		tb_prep(r, IORING_OP_READV, fd, i, iov[i], &b[i].rb_vh,
		    b[i].rb_buf, b[i].rb_cap);
	tb_prep_cancel(r, fd);
	if ((rc = io_uring_submit(r)) < 0 && rc != -EINTR) {
		/* Nothing went in (the ring is ours, with room): no reads. */
		tap_batch_disable();
		return -ENOSYS;
	}
	/*
	 * Until every read has completed.  Never wait for a read itself: one
	 * woken by a frame that another read took re-arms after the cancel
	 * went by, and would wait for the next frame; cancel again instead.
	 */
	for (;;) {
		while (io_uring_peek_cqe(r, &cqe) == 0) {
			tb_complete(&st, b, cqe);
			io_uring_cqe_seen(r, cqe);
		}
		if (st.done == n)
			break;
		if (st.cancels <= 0 ||
		    io_uring_wait_cqe_timeout(r, &cqe, &ts) == -ETIME) {
			if (tb_cancel_all(r, fd) >= 0)
				st.cancels++;
		}
	}
	tb_reorder(b, n, st.order, st.got);
	return st.got > 0 ? (ssize_t)st.got : st.err;
}

/*
 * Writes: a TAP takes a frame at once or drops it (its send buffer has no
 * limit), so each write completes in the call; one that did not would be
 * cancelled after TB_WAIT_NS, and counts as dropped.
 */
int
tap_batch_send(int fd, struct hp_txbuf *b, unsigned int n)
{
	struct __kernel_timespec ts = { .tv_nsec = TB_WAIT_NS };
	struct iovec iov[TAP_BATCH_MAX][2];
	struct io_uring_cqe *cqe;
	struct io_uring *r;
	unsigned int i, done = 0;
	int rc;

	if (n > TAP_BATCH_MAX)
		return -EINVAL;
	if ((r = tb_ring_get()) == NULL)
		return -ENOSYS;
	for (i = 0; i < n; i++) {
		tb_prep(r, IORING_OP_WRITEV, fd, i, iov[i], &b[i].tb_vh,
		    (void *)(uintptr_t)b[i].tb_buf, b[i].tb_len);
		b[i].tb_res = -ECANCELED;
	}
	if ((rc = io_uring_submit_and_wait(r, n)) < 0 && rc != -EINTR) {
		tap_batch_disable();
		return -ENOSYS;
	}
	while (done < n) {
		while (io_uring_peek_cqe(r, &cqe) == 0) {
			/* A cancel of an earlier call's reads may be here. */
			if (cqe->user_data != TB_CANCEL) {
				i = (unsigned int)cqe->user_data;
				b[i].tb_res = cqe->res < 0 ? cqe->res :
				    cqe->res - (int)sizeof(b[i].tb_vh);
				done++;
			}
			io_uring_cqe_seen(r, cqe);
		}
		if (done < n &&
		    io_uring_wait_cqe_timeout(r, &cqe, &ts) == -ETIME)
			(void)tb_cancel_all(r, fd);
	}
	return 0;
}

int
tap_batch_prepare(void)
{
	return tb_ring_get() != NULL ? 0 : -ENOSYS;
}

void
tap_batch_seal(void)
{
	atomic_store(&tb_sealed, true);
}

int
tap_batch_probe(void)
{
	struct io_uring r;
	int rc;

	if (!tap_batch_enabled())
		return -ENOSYS;
	if ((rc = tb_ring_setup(&r)) < 0) {
		tap_batch_disable();
		return rc;
	}
	io_uring_queue_exit(&r);
	return 0;
}
