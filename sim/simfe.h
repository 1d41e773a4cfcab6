/*
 * simfe.h -- the simulated guest netfront of `xvif-sim netfront`: one
 * process that is domain D's netfront for vif N, following Linux
 * xen-netfront's protocol (drivers/net/xen-netfront.c), with a TAP `eth0`
 * in the guest's own network namespace on the other side.
 *
 * simfe.c owns the command line, the setup and teardown, the TAP and the
 * event loop; simfe_xs.c XenStore (as the guest, through the real
 * libxenstore) and the xenbus state machine; simfe_ring.c the rings, the
 * grants and guest RX, simfe_tx.c guest TX, simfe_skb.c where a TX
 * frame lies in guest pages, simfe_offl.c the offloads of its frames;
 * simfe_part.c which partition of guest memory each queue has;
 * simfe_mb.c the misbehaviours of --misbehave.  Nothing here is used by
 * xvifd.
 *
 * Guest memory and grant references are split into partitions of
 * SIMFE_PART frames and refs, one per queue, so that several netfront
 * processes of one domain never collide; a domain of P pages and G grant
 * refs has min(P, G) / SIMFE_PART of them (the grant table holds 16).
 * Queue 0 of vif N has partition N, the frames and refs [N * SIMFE_PART,
 * (N + 1) * SIMFE_PART), as before there were queues.  Each further
 * queue (--queues) claims a partition when the process starts: the
 * highest one that no other netfront of the domain holds and that is not
 * queue 0's of a vif listed in the guest's device/vif (simfe_part.c).
 * Claims are locks on byte P of DIR/simfe-dom<D>.lock, dropped by the
 * kernel with the process: queue 0 a shared one (netfronts of one vif
 * have always shared its partition), other queues an exclusive one, so
 * that no two (vif, queue) can ever use the same partition.  Too few
 * free partitions: fewer queues.  Inside each partition (offsets):
 *	gfn  0, 1	TX and RX ring pages, even connection generations
 *	gfn  2, 3	TX and RX ring pages, odd generations ("fresh rings"
 *			on a reconnect: the old ones are never reused at once)
 *	gfn  4..259	TX buffers, one page per TX id
 *	gfn  260..515	RX buffers, one page per RX id (= ring slot)
 *	ref  0..7	never used (Xen reserves refs 0..7: console, store)
 *	ref  8, 9 / 10, 11	TX and RX ring refs, even / odd generations
 *	ref  16..271	TX ids;  ref 272..527 RX ids
 *	ref  1000	never granted (for --misbehave ungranted)
 * A domain of P pages thus has room for vifs 0 .. P / 1024 - 1 of one
 * queue, or fewer vifs with more queues; `xvif-sim create` gives 16384
 * pages unless told otherwise.
 *
 * Queues (xen-netfront's multi-queue): Q = min(--queues, the backend's
 * multi-queue-max-queues, 1 if absent).  Each queue has its rings, TX
 * ids, RX buffers, grants and event channel -- two with --split-evtchn
 * and the backend's feature-split-event-channels: TX ring on one, RX ring
 * on the other -- and its own fd of eth0, a multi-queue TAP: what the
 * kernel hands us on fd k goes out on TX ring k, what comes on RX ring k
 * goes into fd k.  One queue writes the flat keys; more write
 * multi-queue-num-queues and queue-K/ keys (netif.h); each layout removes
 * the other's keys in the same transaction.
 *
 * Offloads go through eth0's virtio-net header, as xen-netfront maps an
 * skb's: a partial checksum (NEEDS_CSUM) is NETTXF_csum_blank and
 * NETRXF_csum_blank, DATA_VALID is data_validated, a TCP superframe is a
 * GSO extra slot.  eth0 is offered (TUNSETOFFLOAD) only what the backend
 * takes, as xennet_fix_features trims the netdev's features.
 *
 * Not modelled: the ctrl ring (so no toeplitz hash: the kernel's tun
 * picks the queue), XDP, the multicast and hash extras (skipped when
 * they come).
 */
#ifndef XVIF_SIMFE_H
#define XVIF_SIMFE_H

#include <stdbool.h>
#include <stdint.h>

#include "ev.h"
#include "hp.h"
#include "hvsim.h"
#include "xen_ring.h"

#define SIMFE_PART		1024u
#define SIMFE_GFN_RING(gen)	((gen) & 1u ? 2u : 0u)	/* +1: RX ring */
#define SIMFE_GFN_TX		4u
#define SIMFE_GFN_RX		(SIMFE_GFN_TX + XVIF_TX_RING_SIZE)
#define SIMFE_REF_RING(gen)	((gen) & 1u ? 10u : 8u)	/* +1: RX ring */
#define SIMFE_REF_TX		16u
#define SIMFE_REF_RX		(SIMFE_REF_TX + XVIF_TX_RING_SIZE)
#define SIMFE_REF_NEVER		1000u
#define SIMFE_QUEUES_MAX	8u	/* --queues */
_Static_assert(SIMFE_GFN_RX + XVIF_RX_RING_SIZE <= SIMFE_PART &&
    SIMFE_REF_RX + XVIF_RX_RING_SIZE <= SIMFE_REF_NEVER &&
    SIMFE_REF_NEVER < SIMFE_PART, "simfe partition layout");

/* Largest frame either way: a TAP frame, or an RX chain of the backend. */
#define SIMFE_FRAME_MAX		65536u
/* Slots a guest TX frame may use (netif.h XEN_NETIF_NR_SLOTS_MIN). */
#define SIMFE_TX_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN
/*
 * Ring slots kept free before eth0 is read again: the data slots and the
 * GSO extra (netfront_tx_slot_available).
 */
#define SIMFE_TX_NEED		(SIMFE_TX_MAX_SLOTS + 1)
/* Ring slots an RX chain may use before we call the backend broken. */
#define SIMFE_RX_MAX_SLOTS	64u
/* Linux's netfront takes 18 data slots a packet (XEN_NETIF_NR_SLOTS_MIN),
 * 19 if the first carries at most RX_COPY_THRESHOLD bytes. */
#define SIMFE_RX_LINUX_SLOTS		18u
#define SIMFE_RX_COPY_THRESHOLD		256

/* What `--misbehave MODE` does once, right after the first Connected. */
enum simfe_mb {
	SIMFE_MB_NONE,
	SIMFE_MB_SLOTS19,	/* a packet of 19 slots: must be dropped */
	SIMFE_MB_SLOTS20,	/* 20 slots: the vif must be failed */
	SIMFE_MB_PAGE_OVERRUN,	/* a slot with offset + size = 4097 */
	SIMFE_MB_UNGRANTED,	/* a request whose gref was never granted */
	SIMFE_MB_REVOKED,	/* granted, then revoked before the push */
	SIMFE_MB_PROD_OVERRUN,	/* req_prod 300 past the responses */
	SIMFE_MB_RECONNECT,	/* Closing, Closed, Initialising, connect */
	SIMFE_MB_NO_RX_SLOTS,	/* no RX buffer until SIGUSR2 */
	SIMFE_MB_STARVE_RECONNECT, /* no RX buffer until SIGUSR2, then
				    * reconnect with fresh rings and post */
	SIMFE_MB_SLOTS21,	/* 21 slots: the vif must be failed */
	/*
	 * A fatal request already in the TX ring when we write Connected
	 * (21 slots, or an extra of an invalid type); then we insist on
	 * Connected, rewriting it, however the backend answers.
	 */
	SIMFE_MB_CONNECT_FATAL,
	SIMFE_MB_CONNECT_BAD_EXTRA,
	SIMFE_MB_EVENT_STORM,	/* notify 50 times a millisecond, no work */
	SIMFE_MB_REINIT,	/* Connected -> Initialising, fresh rings */
	SIMFE_MB_UNGRANTED_SECOND, /* a good request, then an ungranted one */
	SIMFE_MB_RX_PROD_OVERRUN, /* RX req_prod 300 past the responses */
	SIMFE_MB_RX_UNGRANTED,	/* the first RX buffer on a gref not granted */
	SIMFE_MB_CSUM_NOT_IP,	/* csum_blank on a frame that is not IP */
	SIMFE_MB_GSO_NOT_TCP,	/* a TCPv4 GSO extra on a UDP frame */
	SIMFE_MB_QUEUE_PROD_OVERRUN, /* queue 1's TX req_prod 300 past */
	/* multi-queue-num-queues one more than the backend's maximum */
	SIMFE_MB_QUEUES_OVER_MAX,
	/* queue 0's tx-ring-ref a ref never granted (of 2 or more queues) */
	SIMFE_MB_QUEUE_RING_UNGRANTED,
	/* TX req_prod 300 past, then at once Initialising, fresh rings (a
	 * guest whose driver dies and reloads) */
	SIMFE_MB_OVERRUN_REINIT,
	/* Initialised alone, then (SIMFE_EARLY_MS later) the keys and
	 * Connected: the order the protocol allows, which Linux never uses;
	 * at each connect, and a reinit after the first (the old keys are
	 * there at the second Initialised) */
	SIMFE_MB_INITIALISED_EARLY,
	/*
	 * event-storm, each notification after moving the RX producer (one
	 * slot back, then forth) and the TX ring's rsp_prod one behind the
	 * backend's with rsp_event at it (so that a push of nothing new
	 * would notify): work in appearance only.  One RX slot posted at a
	 * time: a frame of two slots is held, a slot short, for ever.
	 */
	SIMFE_MB_RX_POST_STORM,
	/*
	 * The rings under the same refs and pages at every connect (as a
	 * frontend whose refs come back lowest-free; the ports do anyway).
	 * The first connect with TX req_prod 300 past before Connected (the
	 * backend fails it as it connects); after the reset each connect
	 * says Initialised with its keys, and Connected once the backend is
	 * (as blkfront-style frontends do); after the first Connected a
	 * reinit, fresh rings under those refs again.
	 */
	SIMFE_MB_SAME_REFS,
	/* TX req_prod 300 past, then notify 50 times a millisecond */
	SIMFE_MB_OVERRUN_STORM,
};

/* Where the xenbus handshake is (our side); see the diagram in simfe_xs.c. */
enum simfe_phase {
	SIMFE_PH_INIT,		/* Initialising: wait for backend InitWait */
	SIMFE_PH_CONNECTED,	/* we wrote Connected */
	SIMFE_PH_CLOSED,	/* backend closed us; wait to reconnect */
	SIMFE_PH_RC_CLOSING,	/* misbehave reconnect: Closing written */
	SIMFE_PH_RC_CLOSED,	/* misbehave reconnect: Closed written */
	SIMFE_PH_SHUT_CLOSING,	/* SIGTERM: Closing written */
	SIMFE_PH_SHUT_CLOSED,	/* SIGTERM: Closed written */
};

/* One data slot of a guest TX frame: where in its page, how much. */
struct simfe_slot {
	uint16_t	ss_off;
	uint16_t	ss_len;
};

/* One TX id: its page, grant and whereabouts. */
struct simfe_txid {
	uint32_t	ti_seq;		/* frame it belongs to */
	bool		ti_busy;	/* not on the free list */
	bool		ti_inring;	/* pushed, not yet answered */
	bool		ti_granted;	/* its ref may still be granted */
	bool		ti_mb;		/* part of the misbehaviour */
};

struct simfe_counters {
	uint64_t	c_tx_frames, c_tx_bytes, c_tx_errors;
	uint64_t	c_rx_frames, c_rx_bytes, c_rx_errors;
	uint64_t	c_rx_foreign;	/* unicast to another MAC: not ours */
	/* Frames that went with these offloads (a GSO one counts in both). */
	uint64_t	c_tx_gso, c_tx_csum_blank;
	uint64_t	c_rx_gso, c_rx_csum_blank;
};

/*
 * One queue (xen-netfront's struct netfront_queue): its rings, ids,
 * buffers, grants, event channel(s) and eth0 fd, in partition sq_base.
 */
struct simfe_queue {
	struct simfe		*sq_sf;
	unsigned int		 sq_id;
	uint32_t		 sq_base;	/* first gfn and ref; simfe.h */
	struct hp		*sq_hp;		/* eth0's fd for this queue */
	struct ev_fd		*sq_tap_h;
	bool			 sq_tap_reading;
	unsigned int		 sq_gen;	/* connections made so far */
	netif_tx_front_ring_t	 sq_tx;
	netif_rx_front_ring_t	 sq_rx;
	uint32_t		 sq_port;	/* TX, and RX unless split */
	uint32_t		 sq_port_rx;	/* split: RX; else HV_PORT_NONE */
	grant_ref_t		 sq_txref, sq_rxref;
	struct simfe_txid	 sq_txid[XVIF_TX_RING_SIZE];
	uint16_t		 sq_txfree[XVIF_TX_RING_SIZE];
	unsigned int		 sq_ntxfree;
	uint32_t		 sq_txseq, sq_txerrseq;
	uint32_t		 sq_skb_state;	/* simfe_skb_offset */
	bool			 sq_rxgranted[XVIF_RX_RING_SIZE];
	grant_ref_t		 sq_stuck[4];	/* old ring refs still mapped */
	RING_IDX		 sq_mb_rsp_fake; /* rx-post-storm's TX rsp_prod */
	unsigned int		 sq_nstuck;
	uint64_t		 sq_tx_frames, sq_rx_frames;
	uint64_t		 sq_rx_post_ms;	/* --rx-slots: the last refill */
};

struct simfe {
	/* What we were told. */
	const char		*sf_dir;
	domid_t			 sf_domid;
	unsigned int		 sf_devid;
	const char		*sf_netns;
	bool			 sf_sg;		/* write feature-sg=1 */
	bool			 sf_rx_notify;	/* write feature-rx-notify=1 */
	bool			 sf_csum;	/* checksum offload (not
						 * --no-offload) */
	bool			 sf_gso;	/* GSO too (neither --no-offload
						 * nor --no-gso) */
	bool			 sf_vanish;
	unsigned int		 sf_queues;	/* --queues */
	bool			 sf_split;	/* --split-evtchn */
	RING_IDX		 sf_ring_index;	/* --ring-index: where rings start */
	bool			 sf_rx_kick;	/* --rx-kick: notify every refill */
	bool			 sf_reload;	/* --reload-when-closed */
	unsigned int		 sf_said_closed; /* "staying Closed" said */
	bool			 sf_probed;	/* the backend seen not Closed
						 * since we wrote Initialising */
	bool			 sf_init_closes; /* ... then Closing closes us */
	/*
	 * --rx-slots: at most this many RX slots posted, and posted at
	 * most once a millisecond (a slow guest); 0: every slot, at once.
	 */
	unsigned int		 sf_rx_slots;
	enum simfe_mb		 sf_mb;
	unsigned int		 sf_timeout;	/* seconds, bounded waits */

	/* XenStore, as the guest. */
	struct xs_handle	*sf_xsh;
	char			 sf_fe[96];	/* the frontend directory */
	char			 sf_be[128];	/* the `backend` key */
	domid_t			 sf_beid;
	uint8_t			 sf_mac[6];
	unsigned int		 sf_mtu;
	int			 sf_fe_state;	/* what we last wrote */
	int			 sf_be_state;	/* last read; 0 if absent */
	bool			 sf_be_sg;	/* backend feature-sg */
	bool			 sf_be_gso4;	/* ... feature-gso-tcpv4 */
	bool			 sf_be_gso6;	/* ... feature-gso-tcpv6 */
	bool			 sf_be_csum6;	/* ... ipv6-csum-offload */
	bool			 sf_be_split;	/* ... split-event-channels */
	unsigned int		 sf_be_maxq;	/* ... multi-queue-max-queues */
	bool			 sf_be_mq;	/* ... which it wrote */
	enum simfe_phase	 sf_phase;
	bool			 sf_ever_connected;
	bool			 sf_starved;	/* starve-reconnect: not yet */

	/* The guest's memory, grants and event channels. */
	struct hvsim_dom	*sf_hv;
	int			 sf_partfd;	/* holds our partitions' locks */
	unsigned int		 sf_nparts;	/* queues with a partition */

	/* The loop and eth0 (the device: sf_q[0].sq_hp). */
	struct ev		*sf_ev;
	struct ev_fd		*sf_evt_h, *sf_xs_h, *sf_sig_h;
	int			 sf_sigfd;
	unsigned int		 sf_tun;	/* TUN_F_* eth0 has now */
	struct ev_timer		 sf_deadline;	/* of a bounded wait */
	struct ev_timer		 sf_gc;		/* retries grant ends */
	struct ev_timer		 sf_alive;	/* is our domain still there */
	struct ev_timer		 sf_insist;	/* rewrites Connected (connect-*) */
	unsigned int		 sf_insisted;
	struct ev_timer		 sf_storm;	/* event-storm */
	struct ev_timer		 sf_slow;	/* --rx-slots: the next refill */
	uint64_t		 sf_storm_sent;
	int			 sf_exit;	/* status once stopping */
	bool			 sf_stopped;

	/* The queues; sf_nq of them connected while sf_up. */
	bool			 sf_up;
	unsigned int		 sf_nq;		/* in use (this connection) */
	bool			 sf_split_on;	/* two channels a queue now */
	struct simfe_queue	 sf_q[SIMFE_QUEUES_MAX];
	unsigned int		 sf_ungc;	/* grant ends still to retry */

	/* --misbehave bookkeeping. */
	unsigned int		 sf_mb_out;	/* requests still unanswered */
	unsigned int		 sf_mb_ok, sf_mb_err, sf_mb_drop, sf_mb_other;
	bool			 sf_mb_rx_done;	/* rx-ungranted: posted it */
	bool			 sf_mb_broke;	/* overrun-storm: did it */

	struct simfe_counters	 sf_cnt;
	uint8_t			 sf_buf[SIMFE_FRAME_MAX];
};

/* simfe.c */
void	simfe_queues_init(struct simfe *);	/* back pointers, no ports */
int	simfe_tap_queues(struct simfe *, unsigned int n); /* eth0 fds */
void	simfe_notify(struct simfe_queue *, bool rx);	/* rx: RX channel */
void	simfe_tap_flow(struct simfe_queue *, bool on);
void	simfe_violation(const struct simfe_queue *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	simfe_say(const struct simfe *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));	/* a line on stdout */
void	simfe_stop(struct simfe *, int status);	/* leave the loop */

/* simfe_part.c: which partition each queue has (simfe.h, top). */
int	simfe_part_claim(struct simfe *);	/* queue 0 and --queues */
int	simfe_part_pick(unsigned int nparts, unsigned int devid,
	    const bool *vif, size_t nvif, const bool *busy);

/* simfe_xs.c */
int	simfe_xs_read(struct simfe *, const char *dir, const char *key,
	    char *buf, size_t len);
unsigned long simfe_xs_uint(struct simfe *, const char *dir, const char *key,
	    unsigned long max, unsigned long dflt);
void	simfe_start(struct simfe *);		/* Initialising, then step */
void	simfe_step(struct simfe *);		/* a watch fired */
void	simfe_shutdown(struct simfe *);		/* SIGTERM */
void	simfe_unstarve(struct simfe *);		/* SIGUSR2 */
void	simfe_on_deadline(void *);		/* sf_deadline timer */
void	simfe_on_insist(void *);		/* sf_insist timer */
/* One XenStore operation of the connect transaction (simfe_xs_layout). */
struct simfe_kv {
	char		 kv_key[32];	/* below the frontend directory */
	bool		 kv_rm;		/* remove it (if there) */
	unsigned int	 kv_val;	/* else write this number */
};
#define SIMFE_KV_MAX	(16 + SIMFE_QUEUES_MAX * 4)
size_t	simfe_xs_layout(const struct simfe *, struct simfe_kv *,
	    size_t max);

/* One guest RX packet as simfe_rx_packet found it in the ring. */
struct simfe_rxpkt {
	long			 rp_len;	/* in sf_buf; -1: drop it */
	uint16_t		 rp_flags;	/* first response's NETRXF_* */
	struct netif_extra_info	 rp_gso;	/* type 0 if none came */
};

/* simfe_offl.c: offloads, eth0's vnet header <-> the ring's flags. */
const char *simfe_tx_offload(struct simfe *, const struct virtio_net_hdr *,
	    uint8_t *f, size_t len, uint16_t *flags,
	    struct netif_extra_info *gso);
const char *simfe_rx_offload(struct simfe *, uint8_t *f, size_t len,
	    const struct simfe_rxpkt *, struct virtio_net_hdr *);

/* simfe_ring.c */
int	simfe_ring_connect(struct simfe *);	/* sf_nq queues */
void	simfe_ring_disconnect(struct simfe *);
/* A channel of q fired: its TX ring (tx), its RX ring (rx) or both. */
void	simfe_ring_kick(struct simfe_queue *, bool tx, bool rx);
void	simfe_ring_gc(struct simfe *);		/* retry grant ends */
void	simfe_ring_refill(struct simfe *);	/* --rx-slots' timer */
/* ... and for simfe_tx.c and simfe_mb.c: guest pages and grant refs. */
void	*simfe_page(struct simfe_queue *, uint32_t off);
grant_ref_t simfe_txref(const struct simfe_queue *, unsigned int id);
grant_ref_t simfe_rxref(const struct simfe_queue *, unsigned int id);
bool	simfe_end(struct simfe_queue *, grant_ref_t);	/* false: busy */

/* simfe_tx.c; TX ids and requests for simfe_mb.c too */
void	simfe_tap_input(struct simfe_queue *);	/* its eth0 fd is readable */
void	simfe_tx_gc(struct simfe_queue *);	/* TX responses */
bool	simfe_tx_can_take(const struct simfe_queue *);
int	simfe_txid_get(struct simfe_queue *);
void	simfe_txid_put(struct simfe_queue *, unsigned int id);
void	simfe_tx_req(struct simfe_queue *, unsigned int id, grant_ref_t ref,
	    uint16_t off, uint16_t size, uint16_t flags);
void	simfe_tx_push(struct simfe_queue *);
int	simfe_tx_queue(struct simfe_queue *, const uint8_t *frame,
	    size_t len, const struct simfe_slot *, unsigned int nslots,
	    bool mb, uint16_t flags0, const struct netif_extra_info *gso);
int	simfe_tx_frame(struct simfe_queue *, const uint8_t *frame,
	    size_t len, unsigned int chunk, bool mb);

/* simfe_skb.c */
unsigned int simfe_skb_layout(size_t len, size_t head, uint32_t hoff,
	    uint32_t foff, bool sg, struct simfe_slot *);
unsigned int simfe_skb_chunks(size_t len, unsigned int chunk,
	    struct simfe_slot *, unsigned int max);
uint32_t simfe_skb_offset(uint32_t *state);
uint32_t simfe_skb_seed(unsigned int domid, unsigned int devid,
	    unsigned int qid);

/* simfe_mb.c */
void	simfe_misbehave(struct simfe *);
void	simfe_mb_prefill(struct simfe *);	/* before Connected */
void	simfe_mb_storm(struct simfe *);		/* event-storm timer */
void	simfe_mb_closing(struct simfe *);	/* the backend went Closing */
void	simfe_mb_answer(struct simfe *, int16_t status);
const char *simfe_mb_name(enum simfe_mb);
int	simfe_mb_parse(const char *, enum simfe_mb *);

#endif
