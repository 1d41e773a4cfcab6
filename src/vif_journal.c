/*
 * vif_journal.c -- ring responses that survive a SIGKILL.
 *
 * A response slot is the request slot it answers: writing a response
 * overwrites the request.  A kernel netback never dies between writing
 * responses and pushing rsp_prod, but a daemon can, and its successor
 * attaches at the frontend's rsp_prod and would read the written but
 * unpushed slots as requests: on TX a response {id, status} over a
 * request's gref makes gref == id, a grant the guest may well have given
 * for something else, whose page would go out as a frame.
 *
 * So responses are staged in a small file of ours (one per vif, under
 * the state directory, in tmpfs; a journal per queue in it, queue 0's
 * first, so a file from before multi-queue is queue 0's), not in the
 * ring; a push is
 *   1. mark [from, to) as decided in the file,
 *   2. copy those responses into the ring slots,
 *   3. push rsp_prod (and notify),
 *   4. from = to.
 * A successor that finds from == the frontend's rsp_prod and to != from
 * died between 1 and 4: it writes the same responses again and pushes
 * them (idempotent), instead of re-reading those slots as requests.
 * The file is ours (0600 in a 0700 directory) but is still checked before
 * use; if it cannot be had, the vif runs on an anonymous mapping and only
 * loses this protection (logged).
 *
 * Which rings: the journal names the ring refs and event channel, and a
 * mark of this connection, also written into both shared rings' reserved
 * __pad at connect.  A frontend that reset while no xvifd ran (a driver
 * reloaded, a guest resumed) may well get the same refs and port back
 * (lowest free, last freed), and a new ring starts at rsp_prod 0 as a
 * predecessor killed in its first push left the journal: the identity
 * alone would replay old responses into the new ring -- RX responses for
 * data never copied, TX ones for ids never sent.  SHARED_RING_INIT
 * zeroes __pad (every frontend's ring.h): a new ring has no mark, so its
 * journal starts afresh.  No frontend reads __pad; one that forges the
 * mark only fools itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "xvif.h"

#define VJ_MAGIC	0x78766a32u	/* "xvj2": with vj_mark */

struct vj_ring {
	uint32_t	jr_from;	/* pushed: the frontend's rsp_prod */
	uint32_t	jr_to;		/* decided up to here */
};

struct vif_journal {
	uint32_t		vj_magic;
	uint32_t		vj_tx_ref, vj_rx_ref, vj_port;	/* whose rings */
	uint64_t		vj_mark;	/* ... and which: in their __pad */
	struct vj_ring		vj_tx, vj_rx;
	netif_tx_response_t	vj_tx_rsp[XVIF_TX_RING_SIZE];
	netif_rx_response_t	vj_rx_rsp[XVIF_RX_RING_SIZE];
};

/*
 * Fault injection, in the test build only (xvifd-faults, compiled with
 * XVIFD_FAULTS; the product has no such point): XVIFD_TEST_KILL_AT_PUSH
 * =tx:N or rx:N kills the daemon at its Nth push of that ring's responses,
 * counting every vif's; tx:N@D, rx:N@D counts only domain D's (another
 * guest's background traffic, IPv6 router solicitations say, must not
 * move the point off the vif a test watches).  tx:N+, rx:N+ count only
 * the pushes that notify, and kill after the push, before its
 * notification.  A value it cannot read stops the daemon: a test that
 * meant to arm it must not run unarmed.
 */
#ifdef XVIFD_FAULTS
static char		vj_kill_ring;
static unsigned long	vj_kill_at;
static unsigned long	vj_kill_dom = ULONG_MAX;	/* any */
static bool		vj_kill_notify;		/* +: before a notification */

void
vif_journal_init(void)
{
	const char *e = getenv("XVIFD_TEST_KILL_AT_PUSH");
	char n[16], *at;
	size_t l;

	if (e == NULL)
		return;
	if ((e[0] != 't' && e[0] != 'r') || e[1] != 'x' || e[2] != ':' ||
	    strlen(e + 3) >= sizeof(n))
		goto bad;
	strcpy(n, e + 3);
	if ((at = strchr(n, '@')) != NULL) {
		*at = '\0';
		if (proto_parse_uint(at + 1, DOMID_FIRST_RESERVED - 1,
		    &vj_kill_dom) < 0)
			goto bad;
	}
	if ((l = strlen(n)) > 0 && n[l - 1] == '+') {
		vj_kill_notify = true;
		n[l - 1] = '\0';
	}
	if (proto_parse_uint(n, 1000000000, &vj_kill_at) < 0 ||
	    vj_kill_at == 0)
		goto bad;
	vj_kill_ring = e[0];
	log_info("test build: SIGKILL at %s push %lu%s", e[0] == 't' ? "tx" :
	    "rx", vj_kill_at, vj_kill_notify ? ", before its notification" :
	    "");
	return;
bad:
	fatalx("XVIFD_TEST_KILL_AT_PUSH=%s: want tx:N or rx:N (N from 1), "
	    "optionally + and @DOMID", e);
}

/*
 * Between steps 2 and 3 of q's push on ring (notified: false), or after
 * a push that notifies, before the notification (true): die if it is the
 * one.
 */
static void
vj_fault(const struct vif_queue *q, char ring, bool notified)
{
	if (vj_kill_ring == ring && vj_kill_notify == notified &&
	    (vj_kill_dom == ULONG_MAX || vj_kill_dom == q->q_vif->vif_domid) &&
	    __atomic_sub_fetch(&vj_kill_at, 1, __ATOMIC_RELAXED) == 0)
		raise(SIGKILL);		/* the window this file closes */
}
#else
void
vif_journal_init(void)
{
}

static void
vj_fault(const struct vif_queue *q, char ring, bool notified)
{
}
#endif

static void
vj_path(const struct xvif *vif, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u.%u", vif->vif_d->xd_state_dir,
	    vif->vif_domid, vif->vif_handle);
}

#define VJ_FILE_SIZE	(XVIF_QUEUES_MAX * sizeof(struct vif_journal))

/*
 * Map this vif's journals (created zeroed if new).  The file is sparse:
 * only the queues a frontend uses take memory, and they get it here, at
 * once.  A page of a shared file mapping that its filesystem cannot back
 * (a full tmpfs) is SIGBUS at the first store, for the whole daemon:
 * without the space, we run without the journal, as without the file.
 */
static struct vif_journal *
vj_map(struct xvif *vif)
{
	char path[XVIF_PATH_MAX], msg[XVIF_PATH_MAX + 96];
	void *p;
	int fd, err;

	vj_path(vif, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || ftruncate(fd, VJ_FILE_SIZE) < 0 || fallocate(fd, 0, 0,
	    (off_t)(vif->vif_nq * sizeof(struct vif_journal))) < 0) {
		/* At every connect, which a guest may drive in a loop. */
		err = errno;
		if (log_ratecheck(&vif->vif_journal_rate, XVIF_LOG_INTERVAL)) {
			snprintf(msg, sizeof(msg), "response journal %s "
			    "(restarts may lose responses): %s", path,
			    strerror(err));
			log_warnx_rated(&vif->vif_journal_rate, vif->vif_tag,
			    msg);
		}
		if (fd >= 0)
			close(fd);
		p = mmap(NULL, VJ_FILE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		p = mmap(NULL, VJ_FILE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
		close(fd);
	}
	return p == MAP_FAILED ? NULL : p;
}

/* Decided but unpushed responses of one ring this state can replay. */
static unsigned int
vj_unpushed(const struct vj_ring *jr, RING_IDX rsp_prod, RING_IDX req_prod,
    unsigned int size)
{
	RING_IDX n = jr->jr_to - jr->jr_from;

	/* The file is ours, but a stale or torn one must not hurt. */
	if (jr->jr_from != rsp_prod || n > size || req_prod - rsp_prod < n)
		return 0;
	return n;
}

/* Steps 1 and 2 of a push: decide [from, to), copy it into the ring. */
static void
vj_stage(const struct vif_queue *q, struct vj_ring *jr, RING_IDX to,
    void *slots, size_t slot_size, const void *rsps, size_t rsp_size,
    unsigned int size, char ring)
{
	RING_IDX i;

	__atomic_store_n(&jr->jr_to, to, __ATOMIC_RELEASE);
	for (i = jr->jr_from; i != to; i++)
		memcpy((char *)slots + (i & (size - 1)) * slot_size,
		    (const char *)rsps + (i & (size - 1)) * rsp_size, rsp_size);
	if (to != jr->jr_from)
		vj_fault(q, ring, false);
}

netif_tx_response_t *
vif_journal_tx_rsp(struct vif_queue *q, RING_IDX i)
{
	return &q->q_journal->vj_tx_rsp[i & (XVIF_TX_RING_SIZE - 1)];
}

netif_rx_response_t *
vif_journal_rx_rsp(struct vif_queue *q, RING_IDX i)
{
	return &q->q_journal->vj_rx_rsp[i & (XVIF_RX_RING_SIZE - 1)];
}

/*
 * Push the TX responses written since the last push; *notify as ring.h.
 * Nothing new is no push and no notification: the check compares our
 * index with the shared rsp_prod and rsp_event, which the guest may
 * write (rsp_prod one behind, rsp_event at ours: a notification a turn,
 * for nothing).  Linux pushes only after making responses, too.
 */
void
vif_journal_push_tx(struct vif_queue *q, int *notify)
{
	struct vif_journal *j = q->q_journal;
	netif_tx_back_ring_t *r = &q->q_txr;

	*notify = 0;
	if (r->rsp_prod_pvt == j->vj_tx.jr_from)
		return;
	vj_stage(q, &j->vj_tx, r->rsp_prod_pvt, r->sring->ring,
	    sizeof(r->sring->ring[0]), j->vj_tx_rsp, sizeof(j->vj_tx_rsp[0]),
	    XVIF_TX_RING_SIZE, 't');
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, *notify);
	__atomic_store_n(&j->vj_tx.jr_from, r->rsp_prod_pvt, __ATOMIC_RELEASE);
	if (*notify)
		vj_fault(q, 't', true);
}

void
vif_journal_push_rx(struct vif_queue *q, int *notify)
{
	struct vif_journal *j = q->q_journal;
	netif_rx_back_ring_t *r = &q->q_rxr;

	*notify = 0;
	if (r->rsp_prod_pvt == j->vj_rx.jr_from)
		return;
	vj_stage(q, &j->vj_rx, r->rsp_prod_pvt, r->sring->ring,
	    sizeof(r->sring->ring[0]), j->vj_rx_rsp, sizeof(j->vj_rx_rsp[0]),
	    XVIF_RX_RING_SIZE, 'r');
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, *notify);
	__atomic_store_n(&j->vj_rx.jr_from, r->rsp_prod_pvt, __ATOMIC_RELEASE);
	if (*notify)
		vj_fault(q, 'r', true);
}

/*
 * Where the mark sits: the start of __pad, after the indices and the pvt
 * union (Xen's ring.h).  A header that moved it would make a restart
 * across the change miss every mark, and replay nothing.
 */
_Static_assert(offsetof(netif_tx_sring_t, __pad) == 20 &&
    offsetof(netif_rx_sring_t, __pad) == 20, "the rings' reserved bytes");

/* Do both of q's rings bear mark m in their reserved bytes (__pad)? */
static bool
vj_marked(const struct vif_queue *q, uint64_t m)
{
	return q->q_txr.sring != NULL && q->q_rxr.sring != NULL &&
	    memcmp(q->q_txr.sring->__pad, &m, sizeof(m)) == 0 &&
	    memcmp(q->q_rxr.sring->__pad, &m, sizeof(m)) == 0;
}

static void
vj_mark(struct vif_queue *q, uint64_t m)
{
	if (q->q_txr.sring != NULL)	/* a fuzz target's queue has one */
		memcpy(q->q_txr.sring->__pad, &m, sizeof(m));
	if (q->q_rxr.sring != NULL)
		memcpy(q->q_rxr.sring->__pad, &m, sizeof(m));
}

/* A new connection's mark: never 0 (a new ring's), not a predecessor's. */
static uint64_t
vj_mark_new(const struct vif_queue *q)
{
	static uint64_t seq;
	struct timespec ts;
	uint64_t m;

	clock_gettime(CLOCK_REALTIME, &ts);
	m = ((uint64_t)ts.tv_sec << 32 ^ (uint64_t)ts.tv_nsec << 8 ^
	    (uint64_t)getpid() << 40 ^ __atomic_add_fetch(&seq, 1,
	    __ATOMIC_RELAXED)) * 0x9e3779b97f4a7c15ull ^ q->q_id;
	return m != 0 ? m : 1;
}

/*
 * One queue's journal at connect, its rings attached at the frontend's
 * rsp_prod: on a re-attach to the very rings a killed predecessor served
 * (refs, port and mark), push again what it decided and did not push;
 * notify; then the journal follows these rings.  True if they were a
 * predecessor's.
 */
static bool
vj_open_queue(struct vif_queue *q, struct vif_journal *j, bool reattach,
    const struct vif_feq *fq)
{
	unsigned int ntx = 0, nrx = 0;
	bool resumed;
	int n;

	q->q_journal = j;
	resumed = reattach && j->vj_magic == VJ_MAGIC &&
	    j->vj_tx_ref == fq->fq_tx_ref && j->vj_rx_ref == fq->fq_rx_ref &&
	    j->vj_port == fq->fq_port_tx && vj_marked(q, j->vj_mark);
	if (resumed) {
		ntx = vj_unpushed(&j->vj_tx, q->q_txr.rsp_prod_pvt,
		    __atomic_load_n(&q->q_txr.sring->req_prod,
		    __ATOMIC_ACQUIRE), XVIF_TX_RING_SIZE);
		nrx = vj_unpushed(&j->vj_rx, q->q_rxr.rsp_prod_pvt,
		    __atomic_load_n(&q->q_rxr.sring->req_prod,
		    __ATOMIC_ACQUIRE), XVIF_RX_RING_SIZE);
	} else {
		memset(j, 0, sizeof(*j));
		j->vj_tx_ref = fq->fq_tx_ref;
		j->vj_rx_ref = fq->fq_rx_ref;
		j->vj_port = fq->fq_port_tx;
		j->vj_mark = vj_mark_new(q);
		j->vj_magic = VJ_MAGIC;
		vj_mark(q, j->vj_mark);
	}
	if (q->q_id == 0)		/* xbus_fe_keys_old's */
		q->q_vif->vif_ring_mark = j->vj_mark;
	/* The rings start where the frontend is; replays move them on. */
	j->vj_tx.jr_from = q->q_txr.rsp_prod_pvt;
	j->vj_tx.jr_to = j->vj_tx.jr_from + ntx;
	j->vj_rx.jr_from = q->q_rxr.rsp_prod_pvt;
	j->vj_rx.jr_to = j->vj_rx.jr_from + nrx;
	if (ntx > 0) {
		q->q_txr.rsp_prod_pvt += ntx;
		q->q_txr.req_cons += ntx;
		vif_journal_push_tx(q, &n);
	}
	if (nrx > 0) {
		q->q_rxr.rsp_prod_pvt += nrx;
		q->q_rxr.req_cons += nrx;
		vif_journal_push_rx(q, &n);
	}
	/*
	 * A predecessor may have died after a push and before its
	 * notification: responses the frontend was never told of, and no
	 * later push tells it (its rsp_event lies behind them), so that a
	 * frontend reading a ring only on that ring's channel (split) would
	 * never read it again.  One notification on each channel at a
	 * re-attach to rings that have answered something: one look for
	 * nothing, at worst.
	 */
	if (reattach && (q->q_txr.rsp_prod_pvt != 0 ||
	    q->q_rxr.rsp_prod_pvt != 0)) {
		vif_notify_tx(q);
		if (q->q_port_rx != q->q_port_tx)
			vif_notify_rx(q);
	}
	if (ntx > 0 || nrx > 0)
		log_info("%s: pushed %u tx and %u rx responses the last run "
		    "wrote but did not push", q->q_tag, ntx, nrx);
	return resumed;
}

/* At connect, the queues' rings attached: map the journals, replay. */
int
vif_journal_open(struct xvif *vif, bool reattach)
{
	struct vif_journal *j;
	unsigned int i;

	if ((j = vj_map(vif)) == NULL)
		return -ENOMEM;
	vif->vif_journal = j;
	vif->vif_resumed = false;
	for (i = 0; i < vif->vif_nq; i++)
		if (vj_open_queue(&vif->vif_q[i], &j[i], reattach,
		    &vif->vif_fe.fe_q[i]))
			vif->vif_resumed = true;
	return 0;
}

void
vif_journal_close(struct xvif *vif)
{
	unsigned int i;

	if (vif->vif_journal == NULL)
		return;
	for (i = 0; i < vif->vif_nq; i++)
		vif->vif_q[i].q_journal = NULL;
	(void)munmap(vif->vif_journal, VJ_FILE_SIZE);
	vif->vif_journal = NULL;
}

/*
 * After the first whole look at XenStore: the files of vifs that went
 * while no xvifd ran (<domid>.<handle>, a journal, and
 * <domid>.<handle>.if, vif_ifrecord.c's record of its interface, with no
 * such vif now and no backend directory) are taken up and removed.  Those
 * of a directory that is there without a vif of ours (half written, not
 * online) are put off, as is a record whose interface could not be looked
 * at: how many, so that the caller looks again later (xbus_scan).  Other
 * files are not ours and stay.
 */
unsigned int
vif_state_sweep(struct xvifd *xd)
{
	char path[XVIF_PATH_MAX + 64];
	unsigned int domid, handle, later = 0;
	struct dirent *de;
	struct xvif *vif;
	bool ifrec;
	int kind;
	DIR *d;

	if ((d = opendir(xd->xd_state_dir)) == NULL) {
		log_warn("state directory %s", xd->xd_state_dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if ((kind = priv_vif_file(de->d_name, &domid, &handle)) == 0)
			continue;	/* not a name we would give */
		ifrec = kind == PRIV_VIF_IFRECORD;
		for (vif = xd->xd_vifs; vif != NULL; vif = vif->vif_next)
			if (vif->vif_domid == domid && vif->vif_handle == handle)
				break;
		if (vif != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%u.%u%s", xd->xd_state_dir,
		    domid, handle, ifrec ? VIF_IFRECORD_SUFFIX : "");
		if (!xbus_vif_gone(xd, domid, handle) ||
		    (ifrec && !vif_ifrecord_take_up(xd, domid, handle, path))) {
			later++;
			continue;
		}
		if (unlink(path) < 0)
			log_warn("remove stale %s %s",
			    ifrec ? "interface record" : "journal", path);
		else if (!ifrec)
			log_info("removed the journal of vif %u.%u, gone while "
			    "no xvifd ran", domid, handle);
	}
	closedir(d);
	return later;
}

/* The vif is gone for good: so is its journal. */
void
vif_journal_remove(struct xvif *vif)
{
	char path[XVIF_PATH_MAX];

	vj_path(vif, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("%s: remove %s", vif->vif_tag, path);
}
