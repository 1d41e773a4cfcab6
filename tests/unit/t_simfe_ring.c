/*
 * t_simfe_ring.c -- the data path of the simulated netfront (sim/simfe_ring.c)
 * against a backend written here on the simulated hypervisor: ring and
 * buffer grants, TX slot splitting, RX chains, responses, event channel
 * notifications, offloads, misbehaviours and teardown.  No XenStore, no
 * TAP: eth0 is a SOCK_SEQPACKET socketpair behind a tiny hp ops table,
 * each frame led by its struct virtio_net_hdr as a TAP with IFF_VNET_HDR
 * has it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hvsim.h"
#include "proto.h"
#include "simfe.h"
#include "t.h"

/* -- eth0 as one end of a socketpair -- */

struct tpipe {
	struct hp	tp_hp;
	int		tp_fd;
	unsigned int	tp_offload;	/* the last set_offload */
};

static void
tp_close(struct hp *hp, bool destroy)
{
	close(((struct tpipe *)hp)->tp_fd);
	free(hp);
}

static int
tp_fd(struct hp *hp)
{
	return ((struct tpipe *)hp)->tp_fd;
}

/* One seqpacket: the header (zeros for none), then the frame. */
static ssize_t
vh_send(int fd, const struct virtio_net_hdr *vh, const struct iovec *iov,
    int n)
{
	struct virtio_net_hdr none;
	struct iovec v[HP_IOV_MAX + 1];
	ssize_t r;
	int i;

	memset(&none, 0, sizeof(none));
	v[0].iov_base = (void *)(uintptr_t)(vh != NULL ? vh : &none);
	v[0].iov_len = sizeof(*vh);
	for (i = 0; i < n && i < HP_IOV_MAX; i++)
		v[i + 1] = iov[i];
	if ((r = writev(fd, v, i + 1)) < 0)
		return -errno;
	return r - (ssize_t)sizeof(*vh);
}

/* The frame's true length, as recv(MSG_TRUNC); 0 if none; -errno. */
static ssize_t
vh_recv(int fd, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	struct virtio_net_hdr h;
	struct iovec v[2] = { { &h, sizeof(h) }, { buf, len } };
	struct msghdr mh = { .msg_iov = v, .msg_iovlen = 2 };
	ssize_t r;

	if ((r = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC)) < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (r < (ssize_t)sizeof(h))
		return -EPROTO;
	if (vh != NULL)
		*vh = h;
	return r - (ssize_t)sizeof(h);
}

static ssize_t
tp_send(struct hp *hp, const struct virtio_net_hdr *vh,
    const struct iovec *iov, int n)
{
	return vh_send(((struct tpipe *)hp)->tp_fd, vh, iov, n);
}

static ssize_t
tp_recv(struct hp *hp, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	return vh_recv(((struct tpipe *)hp)->tp_fd, vh, buf, len);
}

static int
tp_set_offload(struct hp *hp, unsigned int flags)
{
	((struct tpipe *)hp)->tp_offload = flags;
	return 0;
}

static const struct hp_ops tp_ops = {
	.name = "test-pipe",
	.close = tp_close,
	.fd = tp_fd,
	.send = tp_send,
	.recv = tp_recv,
	.set_offload = tp_set_offload,
};

/* -- a guest with one netfront, and dom0 as its backend -- */

/* One queue as the backend sees it; a test of one queue has only one. */
struct tw {
	struct simfe		*sf;
	struct hvsim_dom	*be;
	int			 peer;	/* the "guest stack" end of its eth0 fd */
	void			*txp, *rxp;
	netif_tx_back_ring_t	 tx;
	netif_rx_back_ring_t	 rx;
	uint32_t		 port;	/* ours; bound to the TX (or only) one */
	uint32_t		 port_rx; /* split: bound to its RX one */
};

/* What tw_setup_with changes from a Linux netfront on a Linux netback. */
#define TW_NO_OFFLOAD	0x1	/* the frontend's --no-offload */
#define TW_NO_GSO	0x2	/* the frontend's --no-gso */
#define TW_BE_NO_CSUM6	0x4	/* backend without ipv6-csum-offload */
#define TW_BE_NO_GSO6	0x8	/* no feature-gso-tcpv6 at the backend */
#define TW_SPLIT	0x10	/* split event channels */

/* Queue k's eth0 fd: one end of a socketpair, the other w->peer. */
static bool
tw_pipe(struct t_ctx *t, struct tw *w, unsigned int k)
{
	struct tpipe *tp;
	int sv[2];

	tp = calloc(1, sizeof(*tp));
	if (!T_TRUE(t, tp != NULL) ||
	    !T_EQ(t, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0)) {
		free(tp);
		return false;
	}
	tp->tp_hp.hp_ops = &tp_ops;
	tp->tp_fd = sv[0];
	w->peer = sv[1];
	w->sf->sf_q[k].sq_hp = &tp->tp_hp;
	return true;
}

/* The backend's connect of queue k: map both rings, bind the port(s). */
static bool
tw_back(struct t_ctx *t, struct tw *w, unsigned int k)
{
	struct simfe_queue *q = &w->sf->sf_q[k];
	domid_t gid = w->sf->sf_domid;

	if (!T_EQ(t, hvsim_gnt_map(w->be, gid, q->sq_txref, &w->txp), 0) ||
	    !T_EQ(t, hvsim_gnt_map(w->be, gid, q->sq_rxref, &w->rxp), 0) ||
	    !T_EQ(t, hvsim_evt_bind(w->be, gid, q->sq_port, &w->port), 0))
		return false;
	w->port_rx = w->port;
	if (q->sq_port_rx != HV_PORT_NONE &&
	    !T_EQ(t, hvsim_evt_bind(w->be, gid, q->sq_port_rx, &w->port_rx),
	    0))
		return false;
	BACK_RING_INIT(&w->tx, (netif_tx_sring_t *)w->txp, XVIF_PAGE_SIZE);
	BACK_RING_INIT(&w->rx, (netif_rx_sring_t *)w->rxp, XVIF_PAGE_SIZE);
	return true;
}

/*
 * A netfront of nq queues on a domain of npages pages, queue k in
 * partition part[k] (NULL: queue 0 in 0, queue k in k), its backend's
 * view of queue k in w[k].
 */
static bool
tw_setup_mq(struct t_ctx *t, struct tw *w, unsigned int nq,
    unsigned int npages, const unsigned int *part, unsigned int opt)
{
	const char *dir = t_tmpdir(t);
	struct simfe *sf;
	unsigned int k;
	domid_t gid;

	memset(w, 0, nq * sizeof(*w));
	if (!T_EQ(t, hvsim_host_init(dir), 0) ||
	    !T_EQ(t, hvsim_domain_create(dir, npages, &gid), 0) ||
	    !T_EQ(t, hvsim_open(dir, 0, &w[0].be), 0))
		return false;
	if (!T_TRUE(t, (sf = calloc(1, sizeof(*sf))) != NULL))
		return false;
	for (k = 0; k < nq; k++) {
		w[k].sf = sf;
		w[k].be = w[0].be;
	}
	simfe_queues_init(sf);
	for (k = 0; k < nq; k++) {
		if (!tw_pipe(t, &w[k], k))
			return false;
		sf->sf_q[k].sq_base = (part != NULL ? part[k] : k) * SIMFE_PART;
	}
	sf->sf_queues = sf->sf_nq = sf->sf_nparts = nq;
	sf->sf_split_on = (opt & TW_SPLIT) != 0;
	sf->sf_domid = gid;
	sf->sf_beid = 0;
	sf->sf_be_sg = true;
	sf->sf_sg = true;		/* as the netfront writes by default */
	sf->sf_csum = !(opt & TW_NO_OFFLOAD);
	sf->sf_gso = !(opt & (TW_NO_OFFLOAD | TW_NO_GSO));
	sf->sf_be_gso4 = true;
	sf->sf_be_gso6 = !(opt & TW_BE_NO_GSO6);
	sf->sf_be_csum6 = !(opt & TW_BE_NO_CSUM6);
	memcpy(sf->sf_mac, "\x00\x16\x3e\x01\x02\x03", 6);
	if (!T_EQ(t, hvsim_open(dir, gid, &sf->sf_hv), 0) ||
	    !T_EQ(t, ev_open(&sf->sf_ev), 0) ||
	    !T_EQ(t, simfe_ring_connect(sf), 0))
		return false;
	for (k = 0; k < nq; k++)
		if (!tw_back(t, &w[k], k))
			return false;
	return true;
}

static bool
tw_setup_with(struct t_ctx *t, struct tw *w, unsigned int opt)
{
	return tw_setup_mq(t, w, 1, SIMFE_PART, NULL, opt);
}

static bool
tw_setup(struct t_ctx *t, struct tw *w)
{
	return tw_setup_with(t, w, 0);
}

/* The guest stack's end of eth0: one frame with its header (NULL: none). */
static ssize_t
tw_send(struct tw *w, const struct virtio_net_hdr *vh, const void *f,
    size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)f, len };

	return vh_send(w->peer, vh, &iov, 1);
}

static ssize_t
tw_recv(struct tw *w, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	return vh_recv(w->peer, vh, buf, len);
}

static unsigned int
tw_offload(struct tw *w)
{
	return ((struct tpipe *)w->sf->sf_q[0].sq_hp)->tp_offload;
}

static void
tw_teardown_mq(struct tw *w, unsigned int nq)
{
	struct simfe *sf = w[0].sf;
	unsigned int k;

	for (k = 0; k < nq; k++) {
		if (w[k].be != NULL && w[k].txp != NULL)
			(void)hvsim_gnt_unmap(w[k].be, w[k].txp);
		if (w[k].be != NULL && w[k].rxp != NULL)
			(void)hvsim_gnt_unmap(w[k].be, w[k].rxp);
		if (w[k].peer > 0)
			close(w[k].peer);
	}
	if (sf != NULL) {
		if (sf->sf_hv != NULL)
			simfe_ring_disconnect(sf);
		for (k = 0; k < SIMFE_QUEUES_MAX; k++)
			hp_close(sf->sf_q[k].sq_hp, false);
		ev_close(sf->sf_ev);
		hvsim_close(sf->sf_hv);
		free(sf);
	}
	hvsim_close(w[0].be);
}

static void
tw_teardown(struct tw *w)
{
	tw_teardown_mq(w, 1);
}

/* Did the guest kick the backend since last asked? */
static bool
tw_kicked(struct tw *w)
{
	uint32_t p;
	bool any = false;

	while (hvsim_evt_pending(w->be, &p) == 0) {
		(void)hvsim_evt_unmask(w->be, p);
		if (p == w->port)
			any = true;
	}
	return any;
}

static void
tw_tx_respond(struct tw *w, uint16_t id, int16_t st)
{
	netif_tx_response_t *r = RING_GET_RESPONSE(&w->tx,
	    w->tx.rsp_prod_pvt);
	int notify;

	r->id = id;
	r->status = st;
	w->tx.rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&w->tx, notify);
	(void)notify;
}

static void
pattern(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
	if (n >= 14) {
		memset(p, 0xff, 6);
		p[12] = 0x88;
		p[13] = 0xb5;
	}
}

/* Is a copy of len bytes through grant ref, direction dir, refused? */
static bool
tw_copy_refused(struct t_ctx *t, struct tw *w, grant_ref_t ref,
    enum hv_dir dir, uint16_t len)
{
	static uint8_t buf[64];
	struct hv_gcopy gc;

	gc.gc_ref = ref;
	gc.gc_off = 0;
	gc.gc_len = len < sizeof(buf) ? len : sizeof(buf);
	gc.gc_buf = buf;
	return T_EQ(t, hvsim_gnt_copy(w->be, w->sf->sf_domid, dir, &gc, 1),
	    0) && T_TRUE(t, gc.gc_status != GNTST_okay);
}

/* Fill ring slot idx with len bytes of src at off, and answer it. */
static void
tw_rx_put(struct t_ctx *t, struct tw *w, const uint8_t *src, uint16_t off,
    int16_t len, uint16_t flags)
{
	netif_rx_request_t req = *RING_GET_REQUEST(&w->rx, w->rx.req_cons);
	netif_rx_response_t *r;
	struct hv_gcopy gc;

	if (len > 0) {
		gc.gc_ref = req.gref;
		gc.gc_off = off;
		gc.gc_len = (uint16_t)len;
		gc.gc_buf = (void *)(uintptr_t)src;
		T_EQ(t, hvsim_gnt_copy(w->be, w->sf->sf_domid, HV_TO_GUEST,
		    &gc, 1), 0);
		T_EQ(t, gc.gc_status, GNTST_okay);
	}
	r = RING_GET_RESPONSE(&w->rx, w->rx.req_cons);
	r->id = req.id;
	r->offset = off;
	r->flags = flags;
	r->status = len;
	w->rx.req_cons++;
	w->rx.rsp_prod_pvt++;
}

static void
tw_rx_push(struct tw *w)
{
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&w->rx, notify);
	(void)notify;
}

static void
t_rx_chains(struct t_ctx *t)
{
	static uint8_t f[6000], got[8000];
	struct virtio_net_hdr vh;
	struct tw w;
	ssize_t n;

	if (!tw_setup(t, &w))
		goto out;
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE);
	T_EQ(t, RING_GET_REQUEST(&w.rx, 5)->id, 5);
	pattern(f, sizeof(f), 3);
	/* Two slots, the second at offset 10: one frame. */
	tw_rx_put(t, &w, f, 0, 4000, NETRXF_more_data);
	tw_rx_put(t, &w, f + 4000, 10, 2000, 0);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	n = tw_recv(&w, &vh, got, sizeof(got));
	T_EQ(t, n, 6000);
	T_EQ(t, vh.flags, 0);
	T_EQ(t, vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	T_EQ(t, memcmp(got, f, sizeof(f)), 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 1);
	/* The two slots were posted again. */
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 2);
	/* An error status drops its frame; offset + size > 4096 too. */
	tw_rx_put(t, &w, f, 0, NETIF_RSP_ERROR, 0);
	tw_rx_put(t, &w, f, 100, 100, 0);
	{
		netif_rx_response_t *r = RING_GET_RESPONSE(&w.rx,
		    w.rx.rsp_prod_pvt - 1);

		r->offset = 4000;	/* 4000 + 100 > 4096 */
	}
	tw_rx_put(t, &w, f, 0, 60, 0);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 2);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 2);
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 60);
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 5);
	/* Event suppression: the frontend asked for the next response. */
	T_EQ(t, w.rx.sring->rsp_event, w.rx.rsp_prod_pvt + 1);
	/*
	 * rsp_prod in the middle of a packet, as Linux's netfront takes it
	 * ("Need more slots"): that packet dropped, its slot posted again,
	 * and the rest, pushed later, read as a packet of its own.
	 */
	tw_rx_put(t, &w, f, 0, 4000, NETRXF_more_data);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 3);
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 6);
	tw_rx_put(t, &w, f + 4000, 10, 2000, 0);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 2000);
	T_EQ(t, memcmp(got, f + 4000, 2000), 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 3);
out:
	tw_teardown(&w);
}

/*
 * Linux's netfront takes 18 data slots a packet, 19 if the first is
 * small (at most 256 bytes); more it drops ("Too many slots").
 */
static void
t_rx_slot_limit(struct t_ctx *t)
{
	static uint8_t f[19 * 100], got[4096];
	unsigned int i, n;
	struct tw w;

	if (!tw_setup(t, &w))
		goto out;
	pattern(f, sizeof(f), 5);
	/* 18 slots of 100 bytes: taken; 19 with a small first: taken. */
	for (n = 18; n <= 19; n++) {
		for (i = 0; i < n; i++)
			tw_rx_put(t, &w, f + i * 100, 0, 100,
			    i + 1 < n ? NETRXF_more_data : 0);
		tw_rx_push(&w);
		simfe_ring_kick(&w.sf->sf_q[0], true, true);
		T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), (ssize_t)n * 100);
	}
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 2);
	/* 19 with a first of 300 bytes: dropped; 20 with a small one too. */
	for (n = 19; n <= 20; n++) {
		for (i = 0; i < n; i++)
			tw_rx_put(t, &w, f, 0, n == 19 && i == 0 ? 300 : 90,
			    i + 1 < n ? NETRXF_more_data : 0);
		tw_rx_push(&w);
		simfe_ring_kick(&w.sf->sf_q[0], true, true);
	}
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 2);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 2);
out:
	tw_teardown(&w);
}

static void
t_misbehave(struct t_ctx *t)
{
	netif_tx_request_t req;
	unsigned int i;
	struct tw w;

	if (!tw_setup(t, &w))
		goto out;
	w.sf->sf_mb = SIMFE_MB_SLOTS19;
	simfe_misbehave(w.sf);
	T_EQ(t, w.tx.sring->req_prod - w.tx.req_cons, 19);
	for (i = 0; i < 19; i++) {
		req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons + i);
		T_EQ(t, req.flags, i < 18 ? NETTXF_more_data : 0);
		T_EQ(t, req.size, i == 0 ? 19 * 64 : 64);
		tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	}
	w.tx.req_cons += 19;
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_mb_out, 0);
	T_EQ(t, w.sf->sf_mb_err, 19);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);

	w.sf->sf_mb = SIMFE_MB_UNGRANTED;
	simfe_misbehave(w.sf);
	req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons);
	tw_copy_refused(t, &w, req.gref, HV_FROM_GUEST, 64);
	tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	w.tx.req_cons++;

	w.sf->sf_mb = SIMFE_MB_REVOKED;
	simfe_misbehave(w.sf);
	req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons);
	tw_copy_refused(t, &w, req.gref, HV_FROM_GUEST, 64);
	tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	w.tx.req_cons++;

	w.sf->sf_mb = SIMFE_MB_PAGE_OVERRUN;
	simfe_misbehave(w.sf);
	req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons);
	T_EQ(t, req.offset + req.size, 4097);
	tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	w.tx.req_cons++;
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);

	w.sf->sf_mb = SIMFE_MB_PROD_OVERRUN;
	simfe_misbehave(w.sf);
	T_EQ(t, w.tx.sring->req_prod - w.tx.sring->rsp_prod, 300);
out:
	tw_teardown(&w);
}

static void
t_disconnect(struct t_ctx *t)
{
	grant_ref_t ref;
	struct tw w;

	if (!tw_setup(t, &w))
		goto out;
	ref = RING_GET_REQUEST(&w.rx, 0)->gref;
	/* The backend still maps the rings: their grants wait for it. */
	simfe_ring_disconnect(w.sf);
	T_EQ(t, w.sf->sf_q[0].sq_nstuck, 2);
	tw_copy_refused(t, &w, ref, HV_TO_GUEST, 16);
	(void)hvsim_gnt_unmap(w.be, w.txp);
	(void)hvsim_gnt_unmap(w.be, w.rxp);
	w.txp = w.rxp = NULL;
	simfe_ring_gc(w.sf);
	T_EQ(t, w.sf->sf_q[0].sq_nstuck, 0);
	T_EQ(t, w.sf->sf_ungc, 0);
	/* A reconnect uses the other generation's rings. */
	T_EQ(t, simfe_ring_connect(w.sf), 0);
	T_TRUE(t, w.sf->sf_q[0].sq_txref != ref);
	T_EQ(t, w.sf->sf_q[0].sq_txref, SIMFE_REF_RING(1));
out:
	tw_teardown(&w);
}

/* -- offloads -- */

/* The transport header of a tf_build frame. */
#define TF_L4(v6)	(PROTO_ETH_HLEN + ((v6) ? 40u : 20u))

static void
be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * A frame to the netfront's MAC with real IPv4 or IPv6 and TCP (proto 6)
 * or UDP (17) headers, then pay bytes; its checksum field is 0.  Returns
 * its length.
 */
static size_t
tf_build(uint8_t *f, bool v6, uint8_t proto, size_t pay)
{
	static const uint8_t eth[12] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03,
		0x00, 0x16, 0x3e, 0x0a, 0x0b, 0x0c };
	static const uint8_t ip4[20] = { 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 0,
		0, 0, 169, 254, 1, 2, 169, 254, 1, 1 };
	static const uint8_t ip6[40] = { 0x60, 0, 0, 0, 0, 0, 0, 64,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t tcp[20] = { 0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1,
		0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0 };
	static const uint8_t udp[8] = { 0x14, 0xe9, 0x14, 0xe9, 0, 0, 0, 0 };
	size_t l4 = TF_L4(v6), h = proto == 6 ? 20 : 8, len = l4 + h + pay, i;
	uint32_t sum = 0;

	memcpy(f, eth, sizeof(eth));
	if (v6) {
		be16(f + 12, 0x86dd);
		memcpy(f + 14, ip6, sizeof(ip6));
		f[14 + 6] = proto;
		be16(f + 14 + 4, len - l4);
	} else {
		be16(f + 12, 0x0800);
		memcpy(f + 14, ip4, sizeof(ip4));
		f[14 + 9] = proto;
		be16(f + 14 + 2, len - 14);
		for (i = 0; i < 20; i += 2)
			sum += (uint32_t)(f[14 + i] << 8 | f[14 + i + 1]);
		be16(f + 14 + 10, (uint16_t)~fold(sum));
	}
	memcpy(f + l4, proto == 6 ? tcp : udp, h);
	if (proto == 17)
		be16(f + l4 + 4, len - l4);
	for (i = 0; i < pay; i++)
		f[l4 + h + i] = (uint8_t)(i * 13 + 5);
	return len;
}

/* The checksum field as the kernel leaves it partial: the pseudo-header. */
static bool
tf_partial(struct t_ctx *t, uint8_t *f, size_t len)
{
	struct proto_l4 l4;

	if (!T_TRUE(t, proto_l4_find(f, len, &l4) == NULL))
		return false;
	be16(f + l4.l4_off + l4.l4_csum_off, fold(l4.l4_pseudo));
	return true;
}

/* Does the frame's TCP or UDP checksum verify (sums to 0xffff)? */
static bool
tf_csum_ok(const uint8_t *f, size_t len)
{
	struct proto_l4 l4;
	uint32_t sum;
	size_t i;

	if (proto_l4_find(f, len, &l4) != NULL)
		return false;
	sum = l4.l4_pseudo;
	for (i = 0; i + 1 < l4.l4_len; i += 2)
		sum += (uint32_t)(f[l4.l4_off + i] << 8 | f[l4.l4_off + i + 1]);
	if (i < l4.l4_len)
		sum += (uint32_t)(f[l4.l4_off + i] << 8);
	return fold(sum) == 0xffff;
}

/* One guest TX packet as the backend reads it off the ring. */
struct tpkt {
	netif_tx_request_t	req[SIMFE_TX_MAX_SLOTS];
	unsigned int		n;		/* data slots */
	bool			has_ex;
	struct netif_extra_info	ex;		/* if has_ex */
	RING_IDX		ex_idx;		/* its ring index */
	uint8_t			data[SIMFE_FRAME_MAX];
	size_t			len;		/* what the slots carried */
};

/* Take the next packet off the TX ring and copy its data from the grants. */
static bool
tw_tx_take(struct t_ctx *t, struct tw *w, struct tpkt *pk)
{
	struct hv_gcopy gc;
	size_t rest = 0, sz;
	unsigned int i;

	pk->n = 0;
	pk->has_ex = false;
	pk->len = 0;
	if (!T_TRUE(t, w->tx.sring->req_prod != w->tx.req_cons))
		return false;
	pk->req[pk->n++] = *RING_GET_REQUEST(&w->tx, w->tx.req_cons);
	w->tx.req_cons++;
	if (pk->req[0].flags & NETTXF_extra_info) {
		pk->has_ex = true;
		pk->ex_idx = w->tx.req_cons;
		memcpy(&pk->ex, RING_GET_REQUEST(&w->tx, w->tx.req_cons),
		    sizeof(pk->ex));
		w->tx.req_cons++;
	}
	while (pk->req[pk->n - 1].flags & NETTXF_more_data) {
		if (!T_TRUE(t, pk->n < SIMFE_TX_MAX_SLOTS &&
		    w->tx.sring->req_prod != w->tx.req_cons))
			return false;
		pk->req[pk->n] = *RING_GET_REQUEST(&w->tx, w->tx.req_cons);
		rest += pk->req[pk->n++].size;
		w->tx.req_cons++;
	}
	if (!T_TRUE(t, pk->req[0].size >= rest))
		return false;
	for (i = 0; i < pk->n; i++) {
		sz = i == 0 ? pk->req[0].size - rest : pk->req[i].size;
		gc.gc_ref = pk->req[i].gref;
		gc.gc_off = pk->req[i].offset;
		gc.gc_len = (uint16_t)sz;
		gc.gc_buf = pk->data + pk->len;
		if (!T_EQ(t, hvsim_gnt_copy(w->be, w->sf->sf_domid,
		    HV_FROM_GUEST, &gc, 1), 0) ||
		    !T_EQ(t, gc.gc_status, GNTST_okay))
			return false;
		pk->len += sz;
	}
	return true;
}

static unsigned int
t_spans(uint32_t off, size_t len)
{
	return (unsigned int)((off + len + XVIF_PAGE_SIZE - 1) /
	    XVIF_PAGE_SIZE);
}

/*
 * Are pk's slots those a Linux netfront makes of a frame whose head (the
 * skb's linear part) is hdr bytes: the head cut at page boundaries from
 * its offset, then the fragments from theirs, at most 18, the first at
 * least an Ethernet header; or the frame in one run, where the split
 * could have taken more than 18 (linearised) or was a copy's (a first
 * slot too short: a fresh buffer, at a cache line).
 */
static bool
tpkt_linux(struct t_ctx *t, const struct tpkt *pk, size_t hdr)
{
	uint32_t off0 = pk->req[0].offset;
	unsigned int h = t_spans(off0, hdr), i;
	bool linear = pk->n == t_spans(off0, pk->len);
	size_t rest = 0, first;

	for (i = 1; i < pk->n; i++) {
		rest += pk->req[i].size;
		linear = linear && pk->req[i].offset == 0;
	}
	first = pk->len - rest;
	if (!T_TRUE(t, first >= PROTO_ETH_HLEN))
		return false;
	if (linear && (h + t_spans(XVIF_PAGE_SIZE - 1, pk->len - hdr) >
	    SIMFE_TX_MAX_SLOTS || off0 % 64 == 0))
		return true;
	return T_TRUE(t, h < pk->n) &&
	    T_EQ(t, first, hdr < XVIF_PAGE_SIZE - off0 ? hdr :
	    XVIF_PAGE_SIZE - off0) &&
	    T_EQ(t, pk->n, h + t_spans(pk->req[h].offset, pk->len - hdr)) &&
	    T_TRUE(t, pk->n <= SIMFE_TX_MAX_SLOTS);
}

/*
 * Answer a packet in ring order, as netback does: slot 0, its extra with
 * NETIF_RSP_NULL, then the rest.  The extra's response carries the id of
 * a data slot still unanswered, so that taking it for a data response
 * would count an error.
 */
static void
tw_tx_answer(struct tw *w, const struct tpkt *pk, int16_t st)
{
	unsigned int i;

	tw_tx_respond(w, pk->req[0].id, st);
	if (pk->has_ex)
		tw_tx_respond(w, pk->req[pk->n > 1 ? 1 : 0].id,
		    NETIF_RSP_NULL);
	for (i = 1; i < pk->n; i++)
		tw_tx_respond(w, pk->req[i].id, st);
}

/*
 * Frames become slots as a Linux netfront lays an skb out: the head at
 * any page offset, cut at page boundaries, the first slot saying the
 * whole size; answered, their ids and grants come back.
 */
static void
t_tx_slots(struct t_ctx *t)
{
	static uint8_t f[9000];
	static struct tpkt pk;
	struct tw w;
	unsigned int i, k, moved = 0;
	size_t len, rest, first;

	if (!tw_setup(t, &w))
		goto out;
	T_TRUE(t, tw_kicked(&w));	/* the RX buffers were posted */
	for (k = 0; k < 40; k++) {
		len = k % 2 ? sizeof(f) : 60;
		pattern(f, len, k);
		T_EQ(t, tw_send(&w, NULL, f, len), (long)len);
		simfe_tap_input(&w.sf->sf_q[0]);
		if (k == 0)	/* later pushes: the test sets no req_event */
			T_TRUE(t, tw_kicked(&w));
		if (!tw_tx_take(t, &w, &pk))
			break;
		T_EQ(t, pk.len, len);
		T_EQ(t, memcmp(pk.data, f, len), 0);
		/* A linear frame: as many slots as pages it touches. */
		T_EQ(t, pk.n, (pk.req[0].offset + len + 4095) / 4096);
		for (i = 1, rest = 0; i < pk.n; i++) {
			rest += pk.req[i].size;
			T_EQ(t, pk.req[i].offset, 0);
		}
		first = len - rest;
		T_TRUE(t, pk.req[0].offset + first <= XVIF_PAGE_SIZE);
		T_TRUE(t, first >= PROTO_ETH_HLEN);
		for (i = 0; i < pk.n; i++)
			T_EQ(t, pk.req[i].flags, i + 1 < pk.n ?
			    NETTXF_more_data : 0);
		moved += pk.req[0].offset != 0;
		if (k == 0)	/* a TX grant is read-only to us */
			tw_copy_refused(t, &w, pk.req[0].gref, HV_TO_GUEST, 4);
		tw_tx_answer(&w, &pk, k == 1 ? NETIF_RSP_ERROR :
		    NETIF_RSP_OKAY);
		simfe_ring_kick(&w.sf->sf_q[0], true, true);
		T_EQ(t, w.sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);
	}
	T_EQ(t, k, 40);
	T_TRUE(t, moved >= 30);		/* offsets are drawn, not all 0 */
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 40);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);
	/* Answered: the grant is gone. */
	tw_copy_refused(t, &w, pk.req[0].gref, HV_FROM_GUEST, 4);
out:
	tw_teardown(&w);
}

static bool
t_slot_is(struct t_ctx *t, const struct simfe_slot *sl, unsigned int off,
    unsigned int len)
{
	return T_EQ(t, sl->ss_off, off) & T_EQ(t, sl->ss_len, len);
}

/* The layout itself (simfe_skb.c), against xennet_start_xmit's rules. */
static void
t_skb_layout(struct t_ctx *t)
{
	struct simfe_slot sl[SIMFE_TX_MAX_SLOTS + 3];
	unsigned int n, i, k;
	uint32_t st = 1, hoff, foff;
	size_t len, head, sum;

	/* A small frame across a page boundary: two slots, 26 bytes first. */
	T_EQ(t, simfe_skb_layout(60, 0, 4070, 0, true, sl), 2);
	t_slot_is(t, &sl[0], 4070, 26);
	t_slot_is(t, &sl[1], 0, 34);
	/* A first slot under an Ethernet header: a copy, at a cache line. */
	T_EQ(t, simfe_skb_layout(60, 0, 4090, 200, true, sl), 1);
	t_slot_is(t, &sl[0], 192, 60);
	T_EQ(t, simfe_skb_layout(65535, 66, 4083, 4000, true, sl), 17);
	t_slot_is(t, &sl[0], 3968, 128);
	/* Without feature-sg: one slot, moved back into its page. */
	T_EQ(t, simfe_skb_layout(60, 0, 4090, 0, false, sl), 1);
	t_slot_is(t, &sl[0], 4036, 60);
	/* The largest superframe: its headers, then 16 fragment slots. */
	T_EQ(t, simfe_skb_layout(65535, 66, 100, 0, true, sl), 17);
	t_slot_is(t, &sl[0], 100, 66);
	t_slot_is(t, &sl[1], 0, 4096);
	t_slot_is(t, &sl[16], 0, 65469 - 15 * 4096);
	/* 18 slots are legal: head split, fragments from 100. */
	T_EQ(t, simfe_skb_layout(66 + 61440, 66, 4060, 100, true, sl), 18);
	t_slot_is(t, &sl[0], 4060, 36);
	t_slot_is(t, &sl[1], 0, 30);
	t_slot_is(t, &sl[2], 100, 3996);
	t_slot_is(t, &sl[17], 0, 100);
	/* 19 would not be: linearised from the head's offset, 17. */
	T_EQ(t, simfe_skb_layout(65535, 66, 4060, 4000, true, sl), 17);
	t_slot_is(t, &sl[0], 4060, 36);
	t_slot_is(t, &sl[16], 0, 65535 - 36 - 15 * 4096);
	/* Misbehaviours' chunks: 21 of 64; too many for max says max + 1. */
	T_EQ(t, simfe_skb_chunks(21 * 64, 64, sl, SIMFE_TX_MAX_SLOTS + 3), 21);
	t_slot_is(t, &sl[20], 0, 64);
	T_EQ(t, simfe_skb_chunks(9000, 4096, sl, 2), 3);
	/*
	 * Any frame: every byte once, no slot past its page, <= 18 slots,
	 * the first at least an Ethernet header.
	 */
	for (k = 0; k < 20000; k++) {
		len = 14 + (simfe_skb_offset(&st) * 16 +
		    simfe_skb_offset(&st) % 16) % (65535 - 13);
		head = simfe_skb_offset(&st) % 2048;
		hoff = simfe_skb_offset(&st);
		foff = simfe_skb_offset(&st);
		n = simfe_skb_layout(len, head, hoff, foff, true, sl);
		for (i = 0, sum = 0; i < n; i++) {
			sum += sl[i].ss_len;
			if (sl[i].ss_len == 0 ||
			    sl[i].ss_off + sl[i].ss_len > XVIF_PAGE_SIZE)
				break;
		}
		if (!T_TRUE(t, n >= 1 && n <= SIMFE_TX_MAX_SLOTS) ||
		    !T_EQ(t, i, n) || !T_EQ(t, sum, len) ||
		    !T_TRUE(t, sl[0].ss_len >= PROTO_ETH_HLEN))
			break;
	}
	T_EQ(t, k, 20000);
}

/* eth0's offloads follow the features; checksums go as csum_blank. */
static void
t_tx_csum(struct t_ctx *t)
{
	static uint8_t f[2000];
	static struct tpkt pk;
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len;

	if (!tw_setup(t, &w))
		goto out;
	T_EQ(t, tw_offload(&w), TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);

	/* A partial checksum: csum_blank | data_validated, bytes as is. */
	len = tf_build(f, false, 6, 1000);
	T_REQUIRE(t, tf_partial(t, f, len));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = TF_L4(false);
	vh.csum_offset = 16;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	/* A checked one: data_validated.  None: no flag.  IPv6 UDP partial. */
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	T_EQ(t, tw_send(&w, NULL, f, len), (long)len);
	len = tf_build(f, true, 17, 700);
	T_REQUIRE(t, tf_partial(t, f, len));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = TF_L4(true);
	vh.csum_offset = 6;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	simfe_tap_input(&w.sf->sf_q[0]);
	T_TRUE(t, tw_kicked(&w));

	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags & ~NETTXF_more_data,
	    NETTXF_csum_blank | NETTXF_data_validated);
	T_EQ(t, pk.len, 1054);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags & ~NETTXF_more_data,
	    NETTXF_data_validated);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags & ~NETTXF_more_data, 0);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags & ~NETTXF_more_data,
	    NETTXF_csum_blank | NETTXF_data_validated);
	T_EQ(t, pk.len, len);
	T_EQ(t, memcmp(pk.data, f, len), 0);	/* still partial */
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 4);
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 2);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 0);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 0);
	T_EQ(t, w.sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);

	/* No backend, no offloads. */
	simfe_ring_disconnect(w.sf);
	T_EQ(t, tw_offload(&w), 0);
out:
	tw_teardown(&w);
}

/* One TCP superframe of pay bytes through eth0, checked on the ring. */
static void
tx_gso_one(struct t_ctx *t, bool v6)
{
	static uint8_t f[SIMFE_FRAME_MAX];
	static struct tpkt pk;
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len;

	if (!tw_setup(t, &w))
		goto out;
	len = tf_build(f, v6, 6, 20000);
	T_REQUIRE(t, tf_partial(t, f, len));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 1448;
	vh.hdr_len = (uint16_t)(TF_L4(v6) + 20);
	vh.csum_start = (uint16_t)TF_L4(v6);
	vh.csum_offset = 16;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	simfe_tap_input(&w.sf->sf_q[0]);
	T_TRUE(t, tw_kicked(&w));
	/* Slot 0 (the headers), the extra, then the fragments'. */
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
	T_TRUE(t, tpkt_linux(t, &pk, vh.hdr_len));
	T_EQ(t, pk.req[0].flags, NETTXF_csum_blank | NETTXF_data_validated |
	    NETTXF_extra_info | NETTXF_more_data);
	T_EQ(t, pk.req[0].size, len);
	T_TRUE(t, pk.has_ex);
	T_EQ(t, pk.ex_idx, 1);
	T_EQ(t, pk.ex.type, XEN_NETIF_EXTRA_TYPE_GSO);
	T_EQ(t, pk.ex.flags, 0);
	T_EQ(t, pk.ex.u.gso.size, 1448);
	T_EQ(t, pk.ex.u.gso.type, v6 ? XEN_NETIF_GSO_TYPE_TCPV6 :
	    XEN_NETIF_GSO_TYPE_TCPV4);
	T_EQ(t, pk.ex.u.gso.pad, 0);
	T_EQ(t, pk.ex.u.gso.features, 0);
	T_EQ(t, pk.len, len);
	T_EQ(t, memcmp(pk.data, f, len), 0);
	/* The extra answered NULL with slot 0's id: ids freed once each. */
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_q[0].sq_tx.rsp_cons, pk.n + 1);
	T_EQ(t, w.sf->sf_q[0].sq_tx.req_prod_pvt, pk.n + 1);
	T_EQ(t, w.sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 1);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 1);
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 1);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 0);

	/* The wire's largest frame goes; one byte more does not. */
	len = tf_build(f, v6, 6, XEN_NETIF_MAX_TX_SIZE - TF_L4(v6) - 20);
	T_REQUIRE(t, tf_partial(t, f, len));
	T_EQ(t, tw_send(&w, &vh, f, len), XEN_NETIF_MAX_TX_SIZE);
	f[len] = 0;
	T_EQ(t, tw_send(&w, &vh, f, len + 1), XEN_NETIF_MAX_TX_SIZE + 1);
	/* A GSO type netif.h has not, and a size of 0: dropped. */
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	T_EQ(t, tw_send(&w, &vh, f, 2000), 2000);
	vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 0;
	T_EQ(t, tw_send(&w, &vh, f, 2000), 2000);
	simfe_tap_input(&w.sf->sf_q[0]);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 3);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 2);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
	T_EQ(t, pk.len, XEN_NETIF_MAX_TX_SIZE);
	T_TRUE(t, tpkt_linux(t, &pk, vh.hdr_len));
	T_EQ(t, memcmp(pk.data, f, pk.len), 0);
out:
	tw_teardown(&w);
}

static void
t_tx_gso4(struct t_ctx *t)
{
	tx_gso_one(t, false);
}

static void
t_tx_gso6(struct t_ctx *t)
{
	tx_gso_one(t, true);
}

/*
 * A backend without feature-ipv6-csum-offload (and so no TSO6): IPv6
 * checksums are finished here, IPv4 ones still left to it, TCPv6
 * superframes (queued in eth0 all the same) dropped.
 */
static void
t_tx_csum6_soft(struct t_ctx *t)
{
	static uint8_t f[3000], want[3000];
	static struct tpkt pk;
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len, l4 = TF_L4(true);
	uint8_t proto;

	if (!tw_setup_with(t, &w, TW_BE_NO_CSUM6))
		goto out;
	T_EQ(t, tw_offload(&w), TUN_F_CSUM | TUN_F_TSO4);
	memset(&vh, 0, sizeof(vh));
	for (proto = 6; proto <= 17; proto += 11) {
		len = tf_build(f, true, proto, proto == 6 ? 2500 : 333);
		memcpy(want, f, len);
		T_REQUIRE(t, proto_csum_fill(want, len) == NULL);
		T_REQUIRE(t, tf_partial(t, f, len));
		T_TRUE(t, memcmp(f, want, len) != 0);
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = (uint16_t)l4;
		vh.csum_offset = proto == 6 ? 16 : 6;
		T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
		simfe_tap_input(&w.sf->sf_q[0]);
		T_REQUIRE(t, tw_tx_take(t, &w, &pk));
		T_EQ(t, pk.req[0].flags & ~NETTXF_more_data, 0);
		T_EQ(t, pk.len, len);
		T_EQ(t, memcmp(pk.data, want, len), 0);
		T_TRUE(t, tf_csum_ok(pk.data, pk.len));
		tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	}
	/* IPv4 still goes blank. */
	len = tf_build(f, false, 6, 100);
	T_REQUIRE(t, tf_partial(t, f, len));
	vh.csum_start = TF_L4(false);
	vh.csum_offset = 16;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	/* TCPv6 GSO: not offered, dropped. */
	len = tf_build(f, true, 6, 2900);
	T_REQUIRE(t, tf_partial(t, f, len));
	vh.csum_start = (uint16_t)l4;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh.gso_size = 1440;
	vh.hdr_len = (uint16_t)(l4 + 20);
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	simfe_tap_input(&w.sf->sf_q[0]);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags & ~NETTXF_more_data,
	    NETTXF_csum_blank | NETTXF_data_validated);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 3);
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 1);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);
	T_EQ(t, w.sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);
out:
	tw_teardown(&w);
}

/* Answer the next posted RX request with an extra instead of data. */
static void
tw_rx_extra(struct tw *w, uint8_t type, uint8_t flags, uint16_t size,
    uint8_t gso_type)
{
	struct netif_extra_info ex;

	memset(&ex, 0, sizeof(ex));
	ex.type = type;
	ex.flags = flags;
	ex.u.gso.size = size;
	ex.u.gso.type = gso_type;
	memcpy(RING_GET_RESPONSE(&w->rx, w->rx.req_cons), &ex,
	    sizeof(netif_rx_response_t));
	w->rx.req_cons++;
	w->rx.rsp_prod_pvt++;
}

/* A frame to the guest in one slot, or two around an extra's. */
static void
tw_rx_frame(struct t_ctx *t, struct tw *w, const uint8_t *f, size_t len,
    uint16_t flags)
{
	size_t first = len > 4000 ? 4000 : len;

	tw_rx_put(t, w, f, 0, (int16_t)first,
	    flags | (first < len ? NETRXF_more_data : 0));
}

/* Received csum_blank: NEEDS_CSUM; data_validated: DATA_VALID. */
static void
t_rx_csum(struct t_ctx *t)
{
	static uint8_t f[2000], got[4000];
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len;

	if (!tw_setup(t, &w))
		goto out;
	len = tf_build(f, false, 6, 500);
	T_REQUIRE(t, tf_partial(t, f, len));
	tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_csum_blank |
	    NETRXF_data_validated);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, memcmp(got, f, len), 0);
	T_EQ(t, vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	T_EQ(t, vh.csum_start, TF_L4(false));
	T_EQ(t, vh.csum_offset, 16);
	T_EQ(t, vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);

	len = tf_build(f, true, 17, 300);
	T_REQUIRE(t, tf_partial(t, f, len));
	tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_csum_blank);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	T_EQ(t, vh.csum_start, TF_L4(true));
	T_EQ(t, vh.csum_offset, 6);

	len = tf_build(f, false, 6, 500);
	T_REQUIRE(t, proto_csum_fill(f, len) == NULL);
	tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_data_validated);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	T_EQ(t, memcmp(got, f, len), 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 3);
	T_EQ(t, w.sf->sf_cnt.c_rx_csum_blank, 2);

	/* csum_blank where no TCP or UDP header is found: dropped. */
	pattern(f, 100, 4);
	tw_rx_put(t, &w, f, 0, 100, NETRXF_csum_blank);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 1);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 3);
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 4);
out:
	tw_teardown(&w);
}

/* A superframe of the backend's, its GSO extra after the first slot. */
static void
rx_gso_one(struct t_ctx *t, bool v6, bool blank)
{
	static uint8_t f[9000], got[9000];
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len, l4 = TF_L4(v6);

	if (!tw_setup(t, &w))
		goto out;
	len = tf_build(f, v6, 6, 7000);
	T_REQUIRE(t, tf_partial(t, f, len));
	if (!blank)		/* Linux refills it; so must we */
		f[l4 + 16] ^= 0x5a;
	tw_rx_frame(t, &w, f, len, NETRXF_extra_info |
	    (blank ? NETRXF_csum_blank | NETRXF_data_validated : 0));
	/* A hash extra first (skipped), then the GSO one. */
	tw_rx_extra(&w, XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE,
	    0, 0);
	tw_rx_extra(&w, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448,
	    v6 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4);
	tw_rx_put(t, &w, f + 4000, 0, (int16_t)(len - 4000), 0);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	if (!blank)
		f[l4 + 16] ^= 0x5a;	/* the partial sum again */
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, memcmp(got, f, len), 0);
	T_EQ(t, vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	T_EQ(t, vh.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
	    VIRTIO_NET_HDR_GSO_TCPV4);
	T_EQ(t, vh.gso_size, 1448);
	T_EQ(t, vh.hdr_len, l4 + 20);
	T_EQ(t, vh.csum_start, l4);
	T_EQ(t, vh.csum_offset, 16);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 1);
	T_EQ(t, w.sf->sf_cnt.c_rx_gso, 1);
	T_EQ(t, w.sf->sf_cnt.c_rx_csum_blank, blank ? 1 : 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 0);
	/* All four slots posted again, the extras' too. */
	T_EQ(t, w.sf->sf_q[0].sq_rx.rsp_cons, 4);
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 4);
out:
	tw_teardown(&w);
}

static void
t_rx_gso4(struct t_ctx *t)
{
	rx_gso_one(t, false, true);
}

static void
t_rx_gso6(struct t_ctx *t)
{
	rx_gso_one(t, true, true);
	rx_gso_one(t, false, false);
}

/* Bad extras cost the packet, never the ring. */
static void
t_rx_gso_bad(struct t_ctx *t)
{
	static uint8_t f[3000], got[3000];
	static const struct {
		uint8_t		type;
		uint16_t	size;
		uint8_t		gso_type;
		unsigned int	opt;
	} bad[] = {
		{ XEN_NETIF_EXTRA_TYPE_GSO, 0, XEN_NETIF_GSO_TYPE_TCPV4, 0 },
		{ XEN_NETIF_EXTRA_TYPE_GSO, 1448, 3, 0 },
		{ XEN_NETIF_EXTRA_TYPE_GSO, 1448, XEN_NETIF_GSO_TYPE_NONE, 0 },
		{ XEN_NETIF_EXTRA_TYPE_NONE, 0, 0, 0 },
		{ 0x7f, 0, 0, 0 },
		/* GSO to a frontend that wrote feature-gso-tcpv4=0 */
		{ XEN_NETIF_EXTRA_TYPE_GSO, 1448, XEN_NETIF_GSO_TYPE_TCPV4,
		    TW_NO_GSO },
		{ XEN_NETIF_EXTRA_TYPE_GSO, 1448, XEN_NETIF_GSO_TYPE_TCPV6,
		    TW_NO_OFFLOAD },
		/* TCPv6 GSO on an IPv4 frame */
		{ XEN_NETIF_EXTRA_TYPE_GSO, 1448, XEN_NETIF_GSO_TYPE_TCPV6, 0 },
	};
	unsigned int i;
	struct tw w;
	size_t len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!tw_setup_with(t, &w, bad[i].opt))
			goto out;
		len = tf_build(f, false, 6, 2800);
		T_REQUIRE(t, tf_partial(t, f, len));
		tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_extra_info |
		    NETRXF_csum_blank);
		tw_rx_extra(&w, bad[i].type, 0, bad[i].size, bad[i].gso_type);
		/* And a good frame after it. */
		tw_rx_put(t, &w, f, 0, 200, 0);
		tw_rx_push(&w);
		simfe_ring_kick(&w.sf->sf_q[0], true, true);
		if (!T_EQ(t, w.sf->sf_cnt.c_rx_errors, 1))
			t_check(t, false, __FILE__, __LINE__, "bad[%u]", i);
		T_EQ(t, w.sf->sf_cnt.c_rx_frames, 1);
		T_EQ(t, w.sf->sf_cnt.c_rx_gso, 0);
		T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 200);
		T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 0);
		T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 3);
		tw_teardown(&w);
	}
	return;
out:
	tw_teardown(&w);
}

/*
 * --no-offload: eth0 offers nothing; what still comes partial is
 * finished, nothing goes blank, checked or as a superframe; offloads
 * received are refused, data_validated ignored (the guest checks).
 */
static void
t_no_offload(struct t_ctx *t)
{
	static uint8_t f[3000], want[3000], got[3000];
	static struct tpkt pk;
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len;

	if (!tw_setup_with(t, &w, TW_NO_OFFLOAD))
		goto out;
	T_EQ(t, tw_offload(&w), 0);
	len = tf_build(f, false, 6, 1200);
	memcpy(want, f, len);
	T_REQUIRE(t, proto_csum_fill(want, len) == NULL);
	T_EQ(t, tw_send(&w, NULL, want, len), (long)len);
	T_REQUIRE(t, tf_partial(t, f, len));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = TF_L4(false);
	vh.csum_offset = 16;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	T_EQ(t, tw_send(&w, &vh, want, len), (long)len);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 1000;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	simfe_tap_input(&w.sf->sf_q[0]);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 3);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);	/* the superframe */
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 0);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 0);
	while (w.tx.sring->req_prod != w.tx.req_cons) {
		T_REQUIRE(t, tw_tx_take(t, &w, &pk));
		T_EQ(t, pk.req[0].flags & ~NETTXF_more_data, 0);
		T_EQ(t, pk.len, len);
		T_EQ(t, memcmp(pk.data, want, len), 0);
		tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	}
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, w.sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);

	tw_rx_put(t, &w, want, 0, (int16_t)len, NETRXF_data_validated);
	tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_csum_blank);
	tw_rx_push(&w);
	simfe_ring_kick(&w.sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, vh.flags, 0);
	T_EQ(t, memcmp(got, want, len), 0);
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 1);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 1);
	T_EQ(t, w.sf->sf_cnt.c_rx_csum_blank, 0);
out:
	tw_teardown(&w);
}

/* --no-gso: checksums offered and left, superframes not. */
static void
t_no_gso(struct t_ctx *t)
{
	static uint8_t f[3000];
	static struct tpkt pk;
	struct virtio_net_hdr vh;
	struct tw w;
	size_t len;

	if (!tw_setup_with(t, &w, TW_NO_GSO))
		goto out;
	T_EQ(t, tw_offload(&w), TUN_F_CSUM);
	len = tf_build(f, true, 6, 2800);
	T_REQUIRE(t, tf_partial(t, f, len));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = TF_L4(true);
	vh.csum_offset = 16;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	vh.gso_size = 1400;
	T_EQ(t, tw_send(&w, &vh, f, len), (long)len);
	simfe_tap_input(&w.sf->sf_q[0]);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags & ~NETTXF_more_data,
	    NETTXF_csum_blank | NETTXF_data_validated);
	T_EQ(t, pk.len, len);
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
out:
	tw_teardown(&w);
}

/* -- queues, channels, partitions -- */

/* The ring and channel keys simfe_xs_layout gives; -1: absent, -2: rm. */
static long
kv_get(const struct simfe_kv *kv, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(kv[i].kv_key, key) == 0)
			return kv[i].kv_rm ? -2 : (long)kv[i].kv_val;
	return -1;
}

/* A netfront whose nq queues have refs 100k + 8/9 and ports 10k + 1/2. */
static struct simfe *
kv_sf(unsigned int nq, bool split)
{
	struct simfe *sf = calloc(1, sizeof(*sf));
	unsigned int k;

	if (sf == NULL)
		return NULL;
	simfe_queues_init(sf);
	sf->sf_nq = nq;
	for (k = 0; k < nq; k++) {
		sf->sf_q[k].sq_txref = 100 * k + 8;
		sf->sf_q[k].sq_rxref = 100 * k + 9;
		sf->sf_q[k].sq_port = 10 * k + 1;
		if (split)
			sf->sf_q[k].sq_port_rx = 10 * k + 2;
	}
	return sf;
}

/* No key both written and removed, none twice. */
static bool
kv_sane(const struct simfe_kv *kv, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(kv[i].kv_key, kv[j].kv_key) == 0)
				return false;
	return true;
}

static void
t_xs_layout(struct t_ctx *t)
{
	struct simfe_kv kv[SIMFE_KV_MAX];
	struct simfe *sf;
	char key[32];
	unsigned int k;
	size_t n;

	/* One queue: flat, as before multi-queue; every queue-N removed. */
	T_REQUIRE(t, (sf = kv_sf(1, false)) != NULL);
	n = simfe_xs_layout(sf, kv, SIMFE_KV_MAX);
	T_TRUE(t, kv_sane(kv, n));
	T_EQ(t, kv_get(kv, n, "tx-ring-ref"), 8);
	T_EQ(t, kv_get(kv, n, "rx-ring-ref"), 9);
	T_EQ(t, kv_get(kv, n, "event-channel"), 1);
	T_EQ(t, kv_get(kv, n, "event-channel-tx"), -2);
	T_EQ(t, kv_get(kv, n, "event-channel-rx"), -2);
	T_EQ(t, kv_get(kv, n, "multi-queue-num-queues"), -2);
	for (k = 0; k < SIMFE_QUEUES_MAX; k++) {
		snprintf(key, sizeof(key), "queue-%u", k);
		T_EQ(t, kv_get(kv, n, key), -2);
	}
	free(sf);

	/* One queue, the backend offering multi-queue: the count written, 1,
	 * the keys flat (Linux's talk_to_netback). */
	T_REQUIRE(t, (sf = kv_sf(1, false)) != NULL);
	sf->sf_be_mq = true;
	n = simfe_xs_layout(sf, kv, SIMFE_KV_MAX);
	T_TRUE(t, kv_sane(kv, n));
	T_EQ(t, kv_get(kv, n, "multi-queue-num-queues"), 1);
	T_EQ(t, kv_get(kv, n, "tx-ring-ref"), 8);
	T_EQ(t, kv_get(kv, n, "event-channel"), 1);
	T_EQ(t, kv_get(kv, n, "queue-0"), -2);
	free(sf);

	/* One queue, split: two channels, no event-channel. */
	T_REQUIRE(t, (sf = kv_sf(1, true)) != NULL);
	n = simfe_xs_layout(sf, kv, SIMFE_KV_MAX);
	T_TRUE(t, kv_sane(kv, n));
	T_EQ(t, kv_get(kv, n, "tx-ring-ref"), 8);
	T_EQ(t, kv_get(kv, n, "event-channel"), -2);
	T_EQ(t, kv_get(kv, n, "event-channel-tx"), 1);
	T_EQ(t, kv_get(kv, n, "event-channel-rx"), 2);
	T_EQ(t, kv_get(kv, n, "multi-queue-num-queues"), -2);
	free(sf);

	/* Two queues: nothing flat, queue-0/ and queue-1/, the rest gone. */
	T_REQUIRE(t, (sf = kv_sf(2, false)) != NULL);
	n = simfe_xs_layout(sf, kv, SIMFE_KV_MAX);
	T_TRUE(t, kv_sane(kv, n));
	T_EQ(t, kv_get(kv, n, "multi-queue-num-queues"), 2);
	T_EQ(t, kv_get(kv, n, "tx-ring-ref"), -2);
	T_EQ(t, kv_get(kv, n, "rx-ring-ref"), -2);
	T_EQ(t, kv_get(kv, n, "event-channel"), -2);
	T_EQ(t, kv_get(kv, n, "event-channel-tx"), -2);
	T_EQ(t, kv_get(kv, n, "event-channel-rx"), -2);
	T_EQ(t, kv_get(kv, n, "queue-0/tx-ring-ref"), 8);
	T_EQ(t, kv_get(kv, n, "queue-0/rx-ring-ref"), 9);
	T_EQ(t, kv_get(kv, n, "queue-0/event-channel"), 1);
	T_EQ(t, kv_get(kv, n, "queue-0/event-channel-tx"), -2);
	T_EQ(t, kv_get(kv, n, "queue-1/tx-ring-ref"), 108);
	T_EQ(t, kv_get(kv, n, "queue-1/rx-ring-ref"), 109);
	T_EQ(t, kv_get(kv, n, "queue-1/event-channel"), 11);
	T_EQ(t, kv_get(kv, n, "queue-1/event-channel-rx"), -2);
	T_EQ(t, kv_get(kv, n, "queue-0"), -1);
	T_EQ(t, kv_get(kv, n, "queue-1"), -1);
	T_EQ(t, kv_get(kv, n, "queue-2"), -2);
	T_EQ(t, kv_get(kv, n, "queue-7"), -2);
	free(sf);

	/* Two queues, split. */
	T_REQUIRE(t, (sf = kv_sf(2, true)) != NULL);
	n = simfe_xs_layout(sf, kv, SIMFE_KV_MAX);
	T_TRUE(t, kv_sane(kv, n));
	T_EQ(t, kv_get(kv, n, "queue-0/event-channel"), -2);
	T_EQ(t, kv_get(kv, n, "queue-0/event-channel-tx"), 1);
	T_EQ(t, kv_get(kv, n, "queue-0/event-channel-rx"), 2);
	T_EQ(t, kv_get(kv, n, "queue-1/event-channel-tx"), 11);
	T_EQ(t, kv_get(kv, n, "queue-1/event-channel-rx"), 12);
	free(sf);

	/* The most there can be fits. */
	T_REQUIRE(t, (sf = kv_sf(SIMFE_QUEUES_MAX, true)) != NULL);
	n = simfe_xs_layout(sf, kv, SIMFE_KV_MAX);
	T_TRUE(t, n < SIMFE_KV_MAX);
	T_EQ(t, kv_get(kv, n, "queue-7/event-channel-rx"), 72);
	T_EQ(t, kv_get(kv, n, "multi-queue-num-queues"), SIMFE_QUEUES_MAX);
	free(sf);
}

static void
t_part_pick(struct t_ctx *t)
{
	bool vif[16] = { false }, busy[16] = { false };

	/* From the top, never ours, never a listed vif's, never busy. */
	vif[0] = true;
	T_EQ(t, simfe_part_pick(4, 0, vif, 16, busy), 3);
	busy[3] = true;
	T_EQ(t, simfe_part_pick(4, 0, vif, 16, busy), 2);
	vif[1] = true;
	busy[2] = true;
	T_EQ(t, simfe_part_pick(4, 0, vif, 16, busy), -ENOSPC);
	vif[1] = false;
	T_EQ(t, simfe_part_pick(4, 0, vif, 16, busy), 1);
	/* Our own partition even if the listing lacks us. */
	memset(vif, 0, sizeof(vif));
	memset(busy, 0, sizeof(busy));
	T_EQ(t, simfe_part_pick(1, 0, vif, 16, busy), -ENOSPC);
	T_EQ(t, simfe_part_pick(16, 15, vif, 16, busy), 14);
	/* The layout's arithmetic: partition P is gfns and refs P * 1024... */
	T_EQ(t, SIMFE_PART * 3 + SIMFE_REF_RING(0), 3080);
	T_EQ(t, SIMFE_GFN_RX + XVIF_RX_RING_SIZE, 516);
}

/* A netfront process's view for the claim: domain gid, vif devid. */
static void
claim_sf(struct simfe *sf, struct hvsim_dom *hv, const char *dir,
    domid_t gid, unsigned int devid, unsigned int queues)
{
	memset(sf, 0, sizeof(*sf));
	simfe_queues_init(sf);
	sf->sf_hv = hv;
	sf->sf_dir = dir;
	sf->sf_domid = gid;
	sf->sf_devid = devid;
	sf->sf_queues = queues;
	sf->sf_partfd = -1;
}

/* Claims of several netfronts of one domain never meet. */
static void
t_part_claim(struct t_ctx *t)
{
	static struct simfe a, b, c;
	const char *dir = t_tmpdir(t);
	struct hvsim_dom *hv = NULL, *small = NULL;
	domid_t gid, sgid;

	T_REQUIRE(t, hvsim_host_init(dir) == 0 &&
	    hvsim_domain_create(dir, 16 * SIMFE_PART, &gid) == 0 &&
	    hvsim_domain_create(dir, 4 * SIMFE_PART, &sgid) == 0 &&
	    hvsim_open(dir, gid, &hv) == 0 &&
	    hvsim_open(dir, sgid, &small) == 0);
	claim_sf(&a, hv, dir, gid, 0, 4);
	T_EQ(t, simfe_part_claim(&a), 0);
	T_EQ(t, a.sf_nparts, 4);
	T_EQ(t, a.sf_q[0].sq_base, 0);
	T_EQ(t, a.sf_q[1].sq_base, 15 * SIMFE_PART);
	T_EQ(t, a.sf_q[3].sq_base, 13 * SIMFE_PART);
	/* Another vif: its own queue 0, further queues below a's. */
	claim_sf(&b, hv, dir, gid, 1, 3);
	T_EQ(t, simfe_part_claim(&b), 0);
	T_EQ(t, b.sf_q[0].sq_base, SIMFE_PART);
	T_EQ(t, b.sf_q[1].sq_base, 12 * SIMFE_PART);
	T_EQ(t, b.sf_q[2].sq_base, 11 * SIMFE_PART);
	/* A second netfront of vif 1 (a restart overlapping): shares it. */
	claim_sf(&c, hv, dir, gid, 1, 1);
	T_EQ(t, simfe_part_claim(&c), 0);
	close(c.sf_partfd);
	/* vif 15's queue 0 is a's queue 1: refused while a lives. */
	claim_sf(&c, hv, dir, gid, 15, 1);
	T_EQ(t, simfe_part_claim(&c), -EBUSY);
	close(a.sf_partfd);
	claim_sf(&c, hv, dir, gid, 15, 2);
	T_EQ(t, simfe_part_claim(&c), 0);
	T_EQ(t, c.sf_q[1].sq_base, 14 * SIMFE_PART);
	close(c.sf_partfd);
	close(b.sf_partfd);
	/* 16 MiB: 4 partitions, 4 queues of 8; vif 4 has none. */
	claim_sf(&a, small, dir, sgid, 0, 8);
	T_EQ(t, simfe_part_claim(&a), 0);
	T_EQ(t, a.sf_nparts, 4);
	T_EQ(t, a.sf_q[3].sq_base, SIMFE_PART);
	close(a.sf_partfd);
	claim_sf(&a, small, dir, sgid, 4, 1);
	T_EQ(t, simfe_part_claim(&a), -ENOSPC);
	hvsim_close(hv);
	hvsim_close(small);
}

/* The guest's kicks since last asked: each w[k]'s TX and RX channel. */
static void
tw_kicks(struct tw *w, unsigned int nq, bool *tx, bool *rx)
{
	unsigned int k;
	uint32_t p;

	memset(tx, 0, nq * sizeof(*tx));
	memset(rx, 0, nq * sizeof(*rx));
	while (hvsim_evt_pending(w[0].be, &p) == 0) {
		(void)hvsim_evt_unmask(w[0].be, p);
		for (k = 0; k < nq; k++) {
			if (p == w[k].port)
				tx[k] = true;
			if (p == w[k].port_rx)
				rx[k] = true;
		}
	}
}

/*
 * Two queues in partitions 0 and 3: each eth0 fd feeds its TX ring,
 * each RX ring its eth0 fd, each with its grants and its channel.
 */
static void
t_mq_data(struct t_ctx *t)
{
	static const unsigned int part[2] = { 0, 3 };
	static uint8_t f[3000], got[3000];
	static struct tpkt pk;
	struct simfe *sf;
	bool tx[2], rx[2];
	struct tw w[2];

	if (!tw_setup_mq(t, w, 2, 4 * SIMFE_PART, part, 0))
		goto out;
	sf = w[0].sf;
	tw_kicks(w, 2, tx, rx);		/* binding left them pending */
	T_TRUE(t, w[0].port != w[1].port);
	T_EQ(t, sf->sf_q[1].sq_txref, 3 * SIMFE_PART + SIMFE_REF_RING(0));
	T_EQ(t, w[1].rx.sring->req_prod, XVIF_RX_RING_SIZE);
	T_EQ(t, RING_GET_REQUEST(&w[1].rx, 0)->gref,
	    3 * SIMFE_PART + SIMFE_REF_RX);

	/* A frame on queue 1's fd: ring 1 only. */
	pattern(f, 1000, 5);
	T_EQ(t, tw_send(&w[1], NULL, f, 1000), 1000);
	simfe_tap_input(&sf->sf_q[1]);
	simfe_tap_input(&sf->sf_q[0]);
	tw_kicks(w, 2, tx, rx);
	T_TRUE(t, tx[1] && !tx[0]);
	T_EQ(t, w[0].tx.sring->req_prod, 0);
	if (!tw_tx_take(t, &w[1], &pk))
		goto out;
	T_EQ(t, w[1].tx.sring->req_prod, w[1].tx.req_cons);
	T_TRUE(t, pk.req[0].gref >= 3 * SIMFE_PART &&
	    pk.req[0].gref < 4 * SIMFE_PART);
	T_EQ(t, pk.len, 1000);
	T_EQ(t, memcmp(pk.data, f, 1000), 0);
	tw_tx_answer(&w[1], &pk, NETIF_RSP_OKAY);
	simfe_ring_kick(&sf->sf_q[1], true, true);
	T_EQ(t, sf->sf_q[1].sq_ntxfree, XVIF_TX_RING_SIZE);

	/* A frame on RX ring 1: queue 1's fd only. */
	pattern(f, 600, 6);
	tw_rx_put(t, &w[1], f, 0, 600, 0);
	tw_rx_push(&w[1]);
	simfe_ring_kick(&sf->sf_q[1], true, true);
	T_EQ(t, tw_recv(&w[0], NULL, got, sizeof(got)), 0);
	T_EQ(t, tw_recv(&w[1], NULL, got, sizeof(got)), 600);
	T_EQ(t, memcmp(got, f, 600), 0);
	/* And one on ring 0, for the totals. */
	tw_rx_put(t, &w[0], f, 0, 600, 0);
	tw_rx_push(&w[0]);
	simfe_ring_kick(&sf->sf_q[0], true, true);
	T_EQ(t, tw_recv(&w[0], NULL, got, sizeof(got)), 600);

	T_EQ(t, sf->sf_q[0].sq_tx_frames, 0);
	T_EQ(t, sf->sf_q[1].sq_tx_frames, 1);
	T_EQ(t, sf->sf_q[0].sq_rx_frames, 1);
	T_EQ(t, sf->sf_q[1].sq_rx_frames, 1);
	T_EQ(t, sf->sf_cnt.c_tx_frames, 1);
	T_EQ(t, sf->sf_cnt.c_rx_frames, 2);

	/* Disconnect and reconnect: each queue's other generation. */
	(void)hvsim_gnt_unmap(w[0].be, w[1].txp);
	(void)hvsim_gnt_unmap(w[0].be, w[1].rxp);
	w[1].txp = w[1].rxp = NULL;
	simfe_ring_disconnect(sf);
	T_EQ(t, sf->sf_q[0].sq_nstuck, 2);	/* still mapped */
	T_EQ(t, sf->sf_q[1].sq_nstuck, 0);
	T_EQ(t, simfe_ring_connect(sf), 0);
	T_EQ(t, sf->sf_q[1].sq_txref, 3 * SIMFE_PART + SIMFE_REF_RING(1));
out:
	tw_teardown_mq(w, 2);
}

/* Split channels: TX ring kicks on one, RX ring on the other. */
static void
t_split(struct t_ctx *t)
{
	static uint8_t f[100], got[100];
	static struct tpkt pk;
	struct simfe *sf;
	bool tx[2], rx[2];
	struct tw w[2];

	if (!tw_setup_mq(t, w, 2, 2 * SIMFE_PART, NULL, TW_SPLIT))
		goto out;
	sf = w[0].sf;
	T_TRUE(t, sf->sf_q[0].sq_port_rx != HV_PORT_NONE);
	T_TRUE(t, sf->sf_q[1].sq_port_rx != sf->sf_q[1].sq_port);
	tw_kicks(w, 2, tx, rx);		/* binding left them pending */
	T_TRUE(t, w[0].port_rx != w[0].port);
	pattern(f, 100, 7);
	T_EQ(t, tw_send(&w[0], NULL, f, 100), 100);
	simfe_tap_input(&sf->sf_q[0]);
	tw_kicks(w, 2, tx, rx);
	T_TRUE(t, tx[0] && !rx[0] && !tx[1] && !rx[1]);
	if (!tw_tx_take(t, &w[0], &pk))
		goto out;
	tw_tx_answer(&w[0], &pk, NETIF_RSP_OKAY);
	/* The RX channel's kick looks at the RX ring only. */
	tw_rx_put(t, &w[0], f, 0, 100, 0);
	tw_rx_push(&w[0]);
	w[0].rx.sring->req_event = w[0].rx.sring->req_prod + 1;
	simfe_ring_kick(&sf->sf_q[0], false, true);
	T_EQ(t, tw_recv(&w[0], NULL, got, sizeof(got)), 100);
	T_EQ(t, sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE - pk.n);
	simfe_ring_kick(&sf->sf_q[0], true, false);
	T_EQ(t, sf->sf_q[0].sq_ntxfree, XVIF_TX_RING_SIZE);
	tw_kicks(w, 2, tx, rx);
	T_TRUE(t, rx[0] && !tx[0]);	/* the slot re-posted, on RX's */
out:
	tw_teardown_mq(w, 2);
}

/* queue-prod-overrun: queue 1's TX ring overrun, queue 0 still going. */
static void
t_queue_overrun(struct t_ctx *t)
{
	static uint8_t f[100];
	struct simfe *sf;
	bool tx[2], rx[2];
	struct tw w[2];

	if (!tw_setup_mq(t, w, 2, 2 * SIMFE_PART, NULL, 0))
		goto out;
	sf = w[0].sf;
	tw_kicks(w, 2, tx, rx);
	sf->sf_mb = SIMFE_MB_QUEUE_PROD_OVERRUN;
	simfe_misbehave(sf);
	T_EQ(t, w[1].tx.sring->req_prod - w[1].tx.sring->rsp_prod, 300);
	T_EQ(t, w[0].tx.sring->req_prod, 0);
	tw_kicks(w, 2, tx, rx);
	T_TRUE(t, tx[1] && !tx[0]);
	pattern(f, 100, 8);
	T_EQ(t, tw_send(&w[0], NULL, f, 100), 100);
	simfe_tap_input(&sf->sf_q[0]);
	T_EQ(t, w[0].tx.sring->req_prod, 1);
	tw_kicks(w, 2, tx, rx);
	T_TRUE(t, tx[0]);
out:
	tw_teardown_mq(w, 2);
}

const struct t_case t_cases[] = {
	{ "tx frames become slots, responses free them", t_tx_slots },
	{ "tx slots lie where a Linux netfront puts an skb", t_skb_layout },
	{ "rx packets of more slots than Linux takes are dropped", t_rx_slot_limit },
	{ "rx chains become frames, buffers are re-posted", t_rx_chains },
	{ "misbehaviours put what they say on the ring", t_misbehave },
	{ "disconnect takes every grant back", t_disconnect },
	{ "tx: partial checksums go csum_blank, eth0 offloads follow",
	    t_tx_csum },
	{ "tx: a TCPv4 superframe gets a GSO extra", t_tx_gso4 },
	{ "tx: a TCPv6 superframe gets a GSO extra", t_tx_gso6 },
	{ "tx: IPv6 checksums finished here without ipv6-csum-offload",
	    t_tx_csum6_soft },
	{ "rx: csum_blank is NEEDS_CSUM, data_validated DATA_VALID",
	    t_rx_csum },
	{ "rx: a TCPv4 GSO extra makes a superframe", t_rx_gso4 },
	{ "rx: a TCPv6 GSO extra makes a superframe, any csum", t_rx_gso6 },
	{ "rx: bad or unasked GSO extras drop their packet", t_rx_gso_bad },
	{ "--no-offload: finished frames both ways", t_no_offload },
	{ "--no-gso: checksums yes, superframes no", t_no_gso },
	{ "xenstore keys: flat for one queue, queue-N/ for more, split",
	    t_xs_layout },
	{ "partitions: further queues from the top, never a vif's",
	    t_part_pick },
	{ "partitions: netfronts of one domain never share one", t_part_claim },
	{ "two queues: each fd its ring, each ring its fd", t_mq_data },
	{ "split channels: tx ring on one, rx ring on the other", t_split },
	{ "queue-prod-overrun: queue 1 overrun, queue 0 goes on",
	    t_queue_overrun },
	{ NULL, NULL }
};
