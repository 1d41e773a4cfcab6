/*
 * xvif.h -- the daemon's objects: struct xvifd (one per process), struct
 * xvif (one per guest vif, the "softc": control-plane state, owned by
 * xbus.c) and struct vif_queue (one per ring pair of a connected vif: the
 * unit of the data path, owned by vif_tx.c and vif_rx.c), their limits,
 * counters and the prototypes of the files that share them, by file.
 */
#ifndef XVIF_XVIF_H
#define XVIF_XVIF_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ev.h"
#include "hp.h"
#include "hv.h"
#include "log.h"
#include "priv.h"	/* the state directory's file names */
#include "proto.h"
#include "vif_rate.h"
#include "xbus_fsm.h"
#include "xen_ring.h"

#define XVIF_PATH_MAX		256
/* Tries of a XenStore transaction that keeps conflicting. */
#define XVIF_XS_TXN_TRIES	16
/* Queues a frontend may ask for (Linux netback's default cap). */
#define XVIF_QUEUES_MAX		8
/* Worker threads at most (--workers; one per CPU by default). */
#define XVIF_WORKERS_MAX	64
/* Guest TX: copy segments and frames one grant-copy call may carry. */
#define XVIF_TX_BATCH_SEGS	256
#define XVIF_TX_BATCH_FRAMES	64
/* Guest TX staging: page-aligned frame buffers, so no segment straddles. */
#define XVIF_TX_STAGE_PAGES	(XVIF_TX_BATCH_FRAMES * 4)
/* Largest frame either way (netif.h XEN_NETIF_MAX_TX_SIZE). */
#define XVIF_FRAME_MAX		65535u
/*
 * MTU bounds, as Linux netback's xenvif_change_mtu: with feature-sg the
 * largest a frame can be, less a VLAN header (65535 - 18); without it,
 * one page can hold no more than a standard Ethernet payload.
 */
#define XVIF_MTU_MAX		65517u
#define XVIF_MTU_NO_SG		1500u
#define XVIF_RX_BATCH_FRAMES	32
#define XVIF_RX_BATCH_SEGS	XVIF_RX_RING_SIZE
/* Stage bytes per RX frame: a byte more than the largest, so that a
 * frame the TAP cut at the slot's end is seen to be too long. */
#define XVIF_RX_FRAME_SLOT	65536u
/* Without feature-rx-notify the frontend never kicks us for RX slots. */
#define XVIF_RX_POLL_MS		30
/* A guest that posts no RX slot this long has its carrier dropped. */
#define XVIF_RX_STALL_MS	10000
#define XVIF_LOG_INTERVAL	10	/* seconds between guest-error logs */
#define XVIF_LOG_BURST		10	/* ... of a vif's lifecycle lines */
/* Longest a storm of spurious notifications keeps a channel masked. */
#define XVIF_EVT_BACKOFF_MAX_MS	1000
/* Fired channels a worker takes in one turn of its loop. */
#define XVIF_EVT_BATCH		256

/* After a flush vif_tx_queue needs room for pk_nslots segments. */
/* The rings' page (xen_ring.h) is the page a grant copy stays within. */
_Static_assert(XVIF_PAGE_SIZE == HV_PAGE_SIZE, "one page size");
_Static_assert(XVIF_RX_FRAME_SLOT > XVIF_FRAME_MAX, "a cut frame shows");
_Static_assert(XVIF_TX_BATCH_SEGS >= PROTO_TX_DROP_SLOTS,
    "a batch holds the longest packet proto_tx_parse returns");
_Static_assert(XVIF_TX_STAGE_PAGES * XVIF_PAGE_SIZE >=
    XVIF_FRAME_MAX + XVIF_PAGE_SIZE, "staging holds the largest frame");
/* A rate-limited guest's largest frame gets through in the end. */
_Static_assert(VIF_RATE_FRAME_MAX == XVIF_FRAME_MAX &&
    VIF_RATE_BURST_MIN >= XVIF_FRAME_MAX, "the largest frame fits the burst");

/* Counters, named from the guest's side (tx, rx): per queue (a vif's
 * are its queues' sums) up to VIF_QUEUE_COUNTERS, then the vif's own,
 * which no queue has. */
enum vif_counter {
	VIF_TX_FRAMES, VIF_TX_BYTES,
	VIF_TX_BAD,		/* requests refused (proto checks) */
	VIF_TX_GNT_ERR,		/* frames lost to a failed grant copy */
	VIF_TX_HOST_DROP,	/* the TAP would not take it */
	VIF_TX_CSUM_OFFLOAD,	/* checksums left to the host (csum_blank) */
	VIF_TX_GSO,		/* GSO superframes handed to the host */
	VIF_TX_GSO_FIXUP,	/* ... sent without csum_blank (Linux fixes) */
	VIF_TX_RATE_WAITS,	/* stops to wait for credit (rate key) */
	VIF_TX_SPOOF_MAC,	/* anti-spoofing: not the frontend's MAC */
	VIF_TX_SPOOF_IP,	/* ... an address not in the ip key */
	VIF_TX_SPOOF_BAD,	/* ... headers it cannot check */
	VIF_RX_FRAMES, VIF_RX_BYTES,
	VIF_RX_TOO_BIG,		/* more slots than the frontend allows */
	VIF_RX_NO_SLOTS,	/* dropped: the guest posted too few slots */
	VIF_RX_GNT_ERR,
	VIF_RX_BAD,		/* RX requests whose grant a copy refused */
	VIF_RX_STALLS,		/* carrier dropped for a stalled guest */
	VIF_RX_OVERSIZE,	/* TAP frames longer than any ring takes */
	VIF_RX_CSUM_BLANK,	/* checksums left to the guest (csum_blank) */
	VIF_RX_CSUM_FILLED,	/* ... we filled in: it cannot take them */
	VIF_RX_GSO,		/* GSO superframes handed to the guest */
	VIF_RX_OFFLOAD_DROP,	/* offloads not asked for (stale TAP), or not the frame's */
	VIF_RX_TAP_READS,	/* TAP reads (batches) that got frames */
	VIF_RX_SLOT_WAITS,	/* waits for the guest to post slots */
	VIF_EVT_SPURIOUS,	/* notifications that found no work */
	VIF_GNT_CALLS, VIF_GNT_OPS,
	VIF_EVT_IN, VIF_EVT_OUT,
	VIF_QUEUE_COUNTERS,
	VIF_KEY_ERRORS = VIF_QUEUE_COUNTERS,	/* toolstack keys, not parsed */
	VIF_CONNECT_REFUSALS,	/* connects refused (keys, maps, binds) */
	VIF_TAP_REMAKES,	/* interfaces made again under a guest */
	VIF_COUNTER_MAX
};
extern const char *const vif_counter_names[VIF_COUNTER_MAX];

struct xvif;
struct ctl;
struct antispoof;
struct vif_queue;
struct vif_journal;

/* One frame of a guest-TX batch. */
struct vif_txframe {
	struct proto_txpkt	 tf_pk;
	uint8_t			*tf_buf;	/* in w_tx_stage */
	unsigned int		 tf_seg0, tf_nsegs; /* in w_tx_gc */
};

/* How a frame read off the TAP goes to the guest (vif_rx_offload). */
struct vif_rxmeta {
	uint16_t		 rm_flags;	/* NETRXF_csum_blank... */
	uint16_t		 rm_gso_size;
	uint8_t			 rm_gso_type;	/* XEN_NETIF_GSO_TYPE_* */
};

/* One frame of a guest-RX batch. */
struct vif_rxframe {
	uint32_t		 rf_len;
	unsigned int		 rf_seg0, rf_nsegs;	/* in w_rx_gc */
	struct vif_rxmeta	 rf_meta;	/* a GSO extra: one more slot */
	uint16_t		 rf_extra_id;	/* ... its request's id */
};

/*
 * What the data path works in: staging buffers and the batch being
 * built, one per worker thread, shared by every queue it serves.  A
 * batch is built and flushed within one call for one queue, so nothing
 * of a queue stays here between calls, and a vif costs no staging memory
 * of its own (3 MiB each when it was per vif).
 */
struct vif_work {
	uint8_t			*w_tx_stage;	/* XVIF_TX_STAGE_PAGES pages */
	struct hv_gcopy		 w_tx_gc[XVIF_TX_BATCH_SEGS];
	struct vif_txframe	 w_tx_frames[XVIF_TX_BATCH_FRAMES];
	unsigned int		 w_tx_nsegs, w_tx_nframes, w_tx_pages;
	struct hp_txbuf		 w_tx_out[XVIF_TX_BATCH_FRAMES]; /* to the TAP */
	uint8_t			*w_rx_stage;	/* frames read off the TAP */
	struct hv_gcopy		 w_rx_gc[XVIF_RX_BATCH_SEGS];
	uint16_t		 w_rx_ids[XVIF_RX_BATCH_SEGS];
	struct vif_rxframe	 w_rx_frames[XVIF_RX_BATCH_FRAMES];
	struct hp_rxbuf		 w_rx_bufs[XVIF_RX_BATCH_FRAMES]; /* stage */
};

struct vif_wcmd;

/*
 * A worker thread: its own event loop, staging buffers and event-channel
 * handle, and the queues the control plane gave it.  Their channels are
 * bound through wk_evt, so a guest's notification wakes this thread
 * directly.  The control plane talks to it only through wk_efd, with
 * commands it waits for (attach a queue, detach it, a new rate, stop).
 * Nothing on the per-frame path takes a lock.
 */
struct vif_worker {
	struct xvifd		*wk_d;
	unsigned int		 wk_id;
	pthread_t		 wk_thread;
	bool			 wk_running;
	struct ev		*wk_ev;
	struct vif_work		*wk_work;	/* made for its first queue */
	int			 wk_efd;	/* eventfd: a command */
	struct ev_fd		*wk_efd_h;
	struct hv_evt		*wk_evt;	/* its queues' channels */
	struct ev_fd		*wk_evt_h;
	/* Port -> its attached queue; the worker's alone. */
	struct vif_queue	**wk_ports;
	uint32_t		 wk_nports;
	unsigned int		 wk_nqueues;	/* the control plane's count */
	pthread_mutex_t		 wk_mu;		/* guards what follows */
	pthread_cond_t		 wk_cv;		/* a command is done */
	struct vif_wcmd		*wk_cmds;	/* to run, in order */
};

/* Watch events read a turn, and so vifs looked at once each at most. */
#define XBUS_LOOK_MAX		256

/* The daemon: everything one process owns. */
struct xvifd {
	struct hv		*xd_hv;
	struct ev		*xd_ev;
	const struct hp_ops	*xd_hp_ops;
	domid_t			 xd_self;
	bool			 xd_hotplug_wait;	/* honour hotplug-status */
	bool			 xd_antispoof;	/* --antispoof: vifs' default */
	char			 xd_root[64];	/* .../backend/vif */
	char			 xd_state_dir[XVIF_PATH_MAX - 32]; /* journals */
	bool			 xd_swept;	/* stale state files taken up */
	bool			 xd_list_said;	/* the root not listed, said */
	struct ev_timer		 xd_sweep_t;	/* ... until then, a look again */
	struct vif_worker	*xd_workers;
	unsigned int		 xd_nworkers;
	unsigned int		 xd_max_queues;	/* multi-queue-max-queues */
	struct xvif		*xd_vifs;
	/* A worker asks the control plane to fail a vif (eventfd). */
	int			 xd_fail_efd;
	struct ev_fd		*xd_fail_h;
	struct ev_fd		*xd_xs_h;
	struct ctl		*xd_ctl;	/* the control socket */
	/*
	 * The vifs a batch of watch events asked to look at, each once
	 * (vif_look): xbus_watch_batch_end.  A guest that rewrites its
	 * state key in a loop fires a watch event a write (XSA-349).
	 */
	struct xbus_look { domid_t l_domid; unsigned int l_handle; }
				 xd_look[XBUS_LOOK_MAX];
	unsigned int		 xd_nlook;
};

/* One queue's rings and event channel(s), as the frontend wrote them. */
struct vif_feq {
	grant_ref_t	fq_tx_ref, fq_rx_ref;
	uint32_t	fq_port_tx, fq_port_rx;	/* the same: one channel */
};

/* What the frontend wrote, read and checked by xbus.c. */
struct vif_fe {
	unsigned int	fe_nqueues;
	struct vif_feq	fe_q[XVIF_QUEUES_MAX];
	bool		fe_split;	/* event-channel-tx/-rx */
	bool		fe_sg, fe_rx_notify;
	/* What it takes on RX: csum_blank for IPv4 and IPv6, GSO extras. */
	bool		fe_csum, fe_ipv6_csum, fe_gso4, fe_gso6;
};


/*
 * One ring pair of a connected vif and everything that moves its frames:
 * the rings, the event channel(s), a TAP queue, the frame held for RX
 * slots, the timers and the counters.  The data path works on queues
 * only; what it must tell the vif (a failure, a stall) goes through
 * vif_queue_fail and vif_queue_stall, which record it for the control
 * plane's turn.
 */
struct vif_queue {
	struct xvif		*q_vif;		/* parent */
	struct vif_worker	*q_worker;	/* that serves it */
	bool			 q_attached;	/* the worker has it */
	unsigned int		 q_id;
	char			 q_tag[48];	/* "xvif<D>i<H>[ queue N]" */
	struct hp		*q_hp;		/* queue 0: the vif's vif_hp */
	struct ev_fd		*q_hp_h;
	bool			 q_hp_polled;	/* EPOLLIN armed on the TAP */
	void			*q_txs, *q_rxs;	/* mapped ring pages */
	netif_tx_back_ring_t	 q_txr;
	netif_rx_back_ring_t	 q_rxr;
	struct vif_journal	*q_journal;	/* staged responses */
	const struct antispoof	*q_as;		/* borrowed: vif_as */
	uint32_t		 q_port_tx, q_port_rx;	/* HV_PORT_NONE: none */
	struct hv_evt		*q_evt;		/* they are bound through */
	bool			 q_connected;

	/*
	 * Guest RX: a frame read off the TAP that did not fit the posted
	 * slots waits here (0: none), in a buffer of XVIF_RX_FRAME_SLOT
	 * bytes made the first time one must wait.
	 */
	uint8_t			*q_rx_hold;
	unsigned int		 q_rx_want;	/* frames to read (vif_rx_want) */
	uint32_t		 q_rx_pending;
	struct vif_rxmeta	 q_rx_pending_meta;
	struct ev_timer		 q_rx_timer;	/* RX poll and stall detection */
	struct ev_timer		 q_kick_timer;	/* a budget ran out: more */
	struct ev_timer		 q_evt_timer;	/* unmasks after a back-off */
	/*
	 * Guest TX rate limit (the toolstack's rate key): the credit is the
	 * worker's alone, a new rate comes as a worker command
	 * (vif_worker_rate).  While a frame waits for credit its requests
	 * stay on the ring, q_tx_waiting is set and q_credit_timer (unless
	 * the rate is nothing) runs TX again when the credit is there.
	 */
	struct vif_credit	 q_credit;
	struct ev_timer		 q_credit_timer;
	bool			 q_tx_waiting;
	unsigned int		 q_evt_spurious;	/* in a row */
	/* Channels (Q_FIRED_*) left masked while TX waits for credit. */
	unsigned int		 q_evt_held;
	RING_IDX		 q_evt_rx_prod;	/* RX req_prod, the furthest seen */
	uint64_t		 q_rx_starved_since;	/* 0: not starved */
	bool			 q_rx_stalled;	/* counted in vif_stalled */
	uint64_t		 q_rx_stale_until; /* ms: the TAP's backlog waited too */
	uint32_t		 q_rx_stale_need; /* ... until as many slots posted */

	/* Its channels that fired in this turn of its worker (Q_FIRED_*). */
	unsigned int		 q_fired;
	/* Set by its worker, read by the control plane on its turn. */
	bool			 q_failed, q_tap_lost;
	char			 q_fail_why[144];

	uint64_t		 q_cnt[VIF_QUEUE_COUNTERS];
	struct log_rate		*q_rate;	/* the vif's, for this queue id */
};
#define Q_FIRED_TX	1u
#define Q_FIRED_RX	2u

/*
 * A queue's counters have one writer, its worker, and are read by the
 * control thread (xvifctl, SIGUSR1) while it runs: relaxed atomic loads
 * and stores, which on x86-64 are the plain moves a ++ was, without the
 * data race (nor a torn 64-bit value on a 32-bit dom0).  No locked add:
 * no other thread writes them.
 */
static inline void
vif_cnt_add(struct vif_queue *q, unsigned int c, uint64_t n)
{
	__atomic_store_n(&q->q_cnt[c],
	    __atomic_load_n(&q->q_cnt[c], __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELAXED);
}

static inline uint64_t
vif_cnt_get(const struct vif_queue *q, unsigned int c)
{
	return __atomic_load_n(&q->q_cnt[c], __ATOMIC_RELAXED);
}

/* One guest vif: its control-plane state and, while connected, queues. */
struct xvif {
	struct xvifd		*vif_d;		/* parent */
	struct xvif		*vif_next;
	domid_t			 vif_domid;
	unsigned int		 vif_handle;
	char			 vif_tag[24];	/* "xvif<D>i<H>": diagnostics */
	char			 vif_name[PROTO_IFNAMSIZ];	/* the TAP's final name */
	char			 vif_be[XVIF_PATH_MAX];	/* backend dir */
	char			 vif_fe_path[XVIF_PATH_MAX];
	uint8_t			 vif_mac[PROTO_ETH_ALEN];	/* ours */
	uint8_t			 vif_fe_mac[PROTO_ETH_ALEN];	/* its */
	unsigned int		 vif_mtu;	/* what we set; a new TAP's 1500 */
	int			 vif_state;	/* XenbusState we last wrote */
	bool			 vif_refused;	/* bad setup: wait for removal */
	bool			 vif_advertised;	/* our features written */
	bool			 vif_dead;	/* refused: its domain died */
	/*
	 * The data path failed (a broken ring, a lost TAP): that queue
	 * stopped at once and said why (q_failed); its worker set
	 * vif_fail_pending (atomic) and woke the control plane, which
	 * applies it to the vif on its own turn and keeps the vif failed
	 * until the frontend resets.
	 */
	bool			 vif_failed, vif_fail_pending;
	bool			 vif_tap_lost;	/* the failure was the TAP's */
	bool			 vif_tap_only;	/* ... and only the TAP's */
	uint64_t		 vif_tap_remade_ms;	/* xbus_tap_remake's */
	/* A VLAN-tagged superframe was met (vif_rx_vlan_tso): no TCP
	 * segmentation on the TAP for this vif's life.  Atomic. */
	bool			 vif_no_tso;
	char			 vif_fail_why[256];
	unsigned int		 vif_connects;	/* by this process */
	uint64_t		 vif_state_us;	/* our last state write's time */
	/* A state write XenStore refused: the whole vif looked at again
	 * after vif_state_retry_ms (doubling to a minute; 0 once one is
	 * written), so that the toolstack is not left waiting for ever. */
	struct ev_timer		 vif_state_retry_t;
	unsigned int		 vif_state_retry_ms;
	bool			 vif_seen;	/* scan mark */
	bool			 vif_look;	/* in xd_look */
	char			 vif_fe_token[48];
	bool			 vif_fe_watched;

	struct vif_fe		 vif_fe;		/* as the last connect read */
	uint64_t		 vif_ring_mark;	/* queue 0's, the last connect;
						 * 0 if it failed unmarked */
	bool			 vif_resumed;	/* ... on a predecessor's rings */
	struct vif_rate		 vif_rate;	/* the rate key, as last read */
	/*
	 * Anti-spoofing (antispoof.h), NULL if off: made by
	 * xbus_read_antispoof before a connect, freed by vif_disconnect;
	 * immutable while its queues read it unlocked.  A change of the keys
	 * makes new rules, which each queue's worker takes between frames
	 * (xbus_antispoof_changed), before the old are freed.
	 */
	struct antispoof	*vif_as;
	struct log_rate		 vif_err_rate;	/* xbus_error's log lines */
	struct log_rate		 vif_connect_rate;	/* vif_connect_fail's */
	struct log_rate		 vif_reset_rate;	/* "failure is cleared" */
	/*
	 * A guest that connects, or connects and fails, in a loop must not
	 * flood dom0's log: "connected" (the control plane's) and "fatal
	 * error" (any queue's worker, under vif_fatal_mu) lines, at most
	 * XVIF_LOG_BURST of each per XVIF_LOG_INTERVAL.
	 */
	struct log_rate		 vif_life_rate;
	uint64_t		 vif_as_said;	/* the rules last logged */
	uint64_t		 vif_rate_said;	/* the bad rate key logged */
	struct log_rate		 vif_journal_rate;	/* vj_map's failure */
	struct log_rate		 vif_fatal_rate;
	pthread_mutex_t		 vif_fatal_mu;
	/*
	 * vif_guest_err's limiters, one a queue id, used by that queue's
	 * worker: the vif's, not the queue's, so that a frontend which
	 * reconnects after each bad request does not get a fresh one.
	 */
	struct log_rate		 vif_qrate[XVIF_QUEUES_MAX];
	struct hp		*vif_hp;	/* the TAP (its first queue) */
	unsigned int		 vif_queues_max;	/* what we offer */
	struct vif_journal	*vif_journal;	/* XVIF_QUEUES_MAX, mapped */
	bool			 vif_connected;
	/* Carrier: off while any queue is stalled; queues on other workers. */
	pthread_mutex_t		 vif_carrier_mu;
	bool			 vif_carrier;
	unsigned int		 vif_stalled;	/* queues with RX stalled */
	struct log_rate		 vif_stall_rate;	/* their lines */
	struct vif_queue	*vif_q;		/* vif_nq, while connected */
	unsigned int		 vif_nq;
	/* Counters of queues gone (disconnects): a vif's add up for life. */
	uint64_t		 vif_cnt[VIF_COUNTER_MAX];
};

/* ctl.c: the control socket, made before privileges are dropped. */
int	ctl_open(struct xvifd *, uid_t uid, gid_t gid);
void	ctl_close(struct xvifd *);

/* xbus.c: the control plane (XenStore, state machine). */
#define XBUS_TOKEN_BE	"xvif:be"	/* our backend/vif directory */
#define XBUS_TOKEN_REL	"xvif:rel"	/* @releaseDomain */
#define XBUS_TOKEN_FE	"xvif:fe:"	/* + "<domid>:<handle>" */
int	xbus_start(struct xvifd *);
void	xbus_stop(struct xvifd *);
/* xbus_state.c: our state written, and written again if refused. */
void	xbus_set_state(struct xvif *, int state);
void	xbus_state_init(struct xvif *);
/* ... for xbus_scan.c: */
void	xbus_vif_new(struct xvifd *, domid_t domid, unsigned int handle);
void	xbus_vif_destroy(struct xvif *, const char *why);
bool	xbus_vif_renewed(struct xvif *);
void	xbus_reconcile(struct xvif *);
bool	xbus_policy_key(struct xvif *, const char *key);
int	xbus_tap(struct xvif *);

/* xbus_fail.c: the data path's failures, applied by the control plane. */
int	xbus_fail_start(struct xvifd *);
bool	xbus_fail_pending(struct xvif *);
void	xbus_fail(struct xvif *);
void	xbus_failed_said(struct xvif *);
int	xbus_connect_queues(struct xvif *, bool reattach);
#ifdef XVIFD_FAULTS
/* xbus_faults.c: the test build's fault points of the control plane. */
void	xbus_fault_advertise(void);
int	xbus_fault_advertise_eio(const struct xvif *);
void	xbus_fault_open(const struct xvif *, const char *name);
int	xbus_fault_state_eio(const struct xvif *);
#endif

/* xbus_scan.c: which vifs there are; the start-up sweep. */
void	xbus_scan_init(struct xvifd *);
void	xbus_scan_stop(struct xvifd *);
/*
 * One watch event.  A vif's own events are looked at once per batch:
 * xbus_watch_batch_end after each batch read.
 */
void	xbus_watch_fired(struct xvifd *, const char *path, const char *token);
void	xbus_watch_batch_end(struct xvifd *);
bool	xbus_vif_gone(struct xvifd *, unsigned int domid,
	    unsigned int handle);
bool	xbus_vif_named(struct xvifd *, unsigned int domid, unsigned int handle,
	    const char *name);

/* xbus_keys.c: a vif's XenStore keys, read and checked; ours written. */
int	xbus_read(struct xvif *, const char *dir, const char *key, char *buf,
	    size_t len);
int	xbus_read_uint(struct xvif *, const char *dir, const char *key,
	    unsigned long max, unsigned long *out);
bool	xbus_read_flag(struct xvif *, const char *dir, const char *key);
bool	xbus_offline(struct xvif *);
int	xbus_be_there(struct xvif *, uint32_t txn);
int	xbus_write_be(struct xvif *, const char *key, const char *val);
int	xbus_txn(struct xvif *, int (*)(struct xvif *, uint32_t, void *),
	    void *);
void	xbus_error(struct xvif *, const char *fmt, ...) LOG_ATTR_FMT(2, 3);
int	xbus_read_mac(struct xvif *);
int	xbus_read_name(struct xvif *, char *why, size_t len);
int	xbus_read_fe(struct xvif *, struct vif_fe *);
bool	xbus_fe_keys_written(struct xvif *);
void	xbus_read_rate(struct xvif *, struct vif_rate *);
int	xbus_read_antispoof(struct xvif *);
void	xbus_antispoof_changed(struct xvif *);

/* vif.c: vif lifecycle, containment of a misbehaving guest. */
struct xvif *vif_alloc(struct xvifd *, domid_t domid, unsigned int handle);
void	vif_free(struct xvif *, bool destroy_tap);
int	vif_open_tap(struct xvif *, const char *name, int ifindex);
void	vif_close_tap(struct xvif *, bool destroy);
int	vif_connect(struct xvif *, const struct vif_fe *, bool reattach);
int	vif_connect_fail(struct xvif *, const struct vif_queue *, int rc,
	    const char *fmt, ...) LOG_ATTR_FMT(4, 5);
unsigned int vif_tap_offloads(const struct vif_fe *);
bool	vif_disconnect(struct xvif *);	/* true: a queue had failed */
void	vif_set_rate(struct xvif *);	/* vif_rate to every queue */
void	vif_set_antispoof(struct xvif *);	/* vif_as to every queue */
void	vif_counters(const struct xvif *, uint64_t out[VIF_COUNTER_MAX]);
/* Its interface's name now (followed by ifindex), or its tag without one. */
const char *vif_ifname_now(const struct xvif *, char buf[PROTO_IFNAMSIZ]);
void	vif_queue_counters(const struct vif_queue *,
	    uint64_t out[VIF_QUEUE_COUNTERS]);
void	vif_guest_err(struct vif_queue *, enum vif_counter, const char *fmt,
	    ...) LOG_ATTR_FMT(3, 4);
/* The same line, limited the same way, counted by the caller. */
void	vif_guest_log(struct vif_queue *, const char *fmt, ...)
	    LOG_ATTR_FMT(2, 3);
void	vif_queue_fail(struct vif_queue *, const char *fmt, ...)
	    LOG_ATTR_FMT(2, 3);
void	vif_tap_fail(struct vif_queue *, const char *op, int rc);
bool	vif_failure(struct xvif *);
bool	vif_tap_gone(int rc);
void	vif_queue_stall(struct vif_queue *, bool stalled, bool say);
void	vif_fini(struct xvifd *);	/* what vif.c holds for the daemon */

/* vif_worker.c: the worker threads. */
int	vif_workers_open(struct xvifd *, unsigned int n);
int	vif_workers_start(struct xvifd *);
void	vif_workers_stop(struct xvifd *);
struct vif_worker *vif_worker_pick(struct xvifd *);
int	vif_worker_attach(struct vif_queue *);	/* runs it, waits */
void	vif_worker_detach(struct vif_queue *);	/* stops it, waits */
void	vif_worker_rate(struct vif_queue *, const struct vif_rate *);
void	vif_worker_antispoof(struct vif_queue *, const struct antispoof *);
int	vif_work_get(struct vif_worker *);
void	vif_work_rx_bufs(struct vif_work *);

/* vif_queue.c: a queue's rings, channels and TAP queue; event dispatch. */
void	vif_queue_init(struct xvif *, struct vif_queue *, unsigned int id);
int	vif_queue_connect(struct vif_queue *, const struct vif_feq *);
void	vif_queue_stop(struct vif_queue *);
void	vif_queue_disconnect(struct vif_queue *);
int	vif_port_set(struct vif_worker *, uint32_t port, struct vif_queue *);
void	vif_kick(struct vif_queue *);	/* run both directions now */
void	vif_kick_later(struct vif_queue *);	/* ... after the others */
void	vif_notify_tx(struct vif_queue *);
void	vif_notify_rx(struct vif_queue *);
void	vif_evt_ready(void *worker, uint32_t events);
void	vif_evt_unmask(struct vif_queue *, unsigned int which);
void	vif_evt_release(struct vif_queue *);
void	vif_evt_fired(struct vif_queue *, unsigned int fired);

/* vif_journal.c: ring responses that survive a SIGKILL. */
void	vif_journal_init(void);	/* the test build's fault point; else nothing */
int	vif_journal_open(struct xvif *, bool reattach);
void	vif_journal_close(struct xvif *);
void	vif_journal_remove(struct xvif *);
unsigned int vif_state_sweep(struct xvifd *);	/* journals, if records */
netif_tx_response_t *vif_journal_tx_rsp(struct vif_queue *, RING_IDX);
netif_rx_response_t *vif_journal_rx_rsp(struct vif_queue *, RING_IDX);
void	vif_journal_push_tx(struct vif_queue *, int *notify);
void	vif_journal_push_rx(struct vif_queue *, int *notify);

/* vif_ifrecord.c: which interface is a vif's, for a vif gone meanwhile. */
void	vif_ifrecord_write(struct xvif *, const char *first);
void	vif_ifrecord_remove(struct xvif *);
const char *vif_ifrecord_renamed(struct xvif *, char *buf, int *ifindex);
bool	vif_ifrecord_claimed(struct xvif *, const char *name, char *tag,
	    size_t len);
void	vif_ifrecord_destroy(struct xvif *);
#ifdef XVIFD_FAULTS
bool	vif_fault_for(const struct xvif *, const char *env);
#endif
bool	vif_ifrecord_take_up(struct xvifd *, unsigned int domid,
	    unsigned int handle, const char *path);

/* vif_tx.c: guest TX, ring -> TAP. */
void	vif_tx_run(struct vif_queue *);
void	vif_tx_set_rate(struct vif_queue *, const struct vif_rate *);
void	vif_tx_credit_timer(void *q);
/* vif_rx.c: guest RX, TAP -> ring. */
void	vif_rx_run(struct vif_queue *);
void	vif_rx_hp_ready(void *q, uint32_t events);
void	vif_rx_timer(void *q);
void	vif_rx_watch_tap(struct vif_queue *, bool on);

/* The worker's staging buffers and batches, for a queue's data path. */
static inline struct vif_work *
vif_q_work(const struct vif_queue *q)
{
	return q->q_worker->wk_work;
}

/* The worker's loop, for a queue's timers and TAP. */
static inline struct ev *
vif_q_ev(const struct vif_queue *q)
{
	return q->q_worker->wk_ev;
}

#endif
