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

struct tw {
	struct simfe		*sf;
	struct hvsim_dom	*be;
	int			 peer;	/* the "guest stack" end of eth0 */
	void			*txp, *rxp;
	netif_tx_back_ring_t	 tx;
	netif_rx_back_ring_t	 rx;
	uint32_t		 port;
};

/* What tw_setup_with changes from a Linux netfront on a Linux netback. */
#define TW_NO_OFFLOAD	0x1	/* the frontend's --no-offload */
#define TW_NO_GSO	0x2	/* the frontend's --no-gso */
#define TW_BE_NO_CSUM6	0x4	/* backend without ipv6-csum-offload */
#define TW_BE_NO_GSO6	0x8	/* no feature-gso-tcpv6 at the backend */

static bool
tw_setup_with(struct t_ctx *t, struct tw *w, unsigned int opt)
{
	const char *dir = t_tmpdir(t);
	struct tpipe *tp;
	domid_t gid;
	int sv[2];

	memset(w, 0, sizeof(*w));
	if (!T_EQ(t, hvsim_host_init(dir), 0) ||
	    !T_EQ(t, hvsim_domain_create(dir, SIMFE_PART, &gid), 0) ||
	    !T_EQ(t, hvsim_open(dir, 0, &w->be), 0))
		return false;
	w->sf = calloc(1, sizeof(*w->sf));
	tp = calloc(1, sizeof(*tp));
	if (!T_TRUE(t, w->sf != NULL && tp != NULL) ||
	    !T_EQ(t, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0))
		return false;
	tp->tp_hp.hp_ops = &tp_ops;
	tp->tp_fd = sv[0];
	w->peer = sv[1];
	w->sf->sf_hp = &tp->tp_hp;
	w->sf->sf_domid = gid;
	w->sf->sf_beid = 0;
	w->sf->sf_be_sg = true;
	w->sf->sf_sg = true;		/* as the netfront writes by default */
	w->sf->sf_csum = !(opt & TW_NO_OFFLOAD);
	w->sf->sf_gso = !(opt & (TW_NO_OFFLOAD | TW_NO_GSO));
	w->sf->sf_be_gso4 = true;
	w->sf->sf_be_gso6 = !(opt & TW_BE_NO_GSO6);
	w->sf->sf_be_csum6 = !(opt & TW_BE_NO_CSUM6);
	w->sf->sf_port = HV_PORT_NONE;
	memcpy(w->sf->sf_mac, "\x00\x16\x3e\x01\x02\x03", 6);
	if (!T_EQ(t, hvsim_open(dir, gid, &w->sf->sf_hv), 0) ||
	    !T_EQ(t, ev_open(&w->sf->sf_ev), 0) ||
	    !T_EQ(t, simfe_ring_connect(w->sf), 0))
		return false;
	/* The backend's connect: map both rings, bind the port. */
	if (!T_EQ(t, hvsim_gnt_map(w->be, gid, w->sf->sf_txref, &w->txp), 0) ||
	    !T_EQ(t, hvsim_gnt_map(w->be, gid, w->sf->sf_rxref, &w->rxp), 0) ||
	    !T_EQ(t, hvsim_evt_bind(w->be, gid, w->sf->sf_port, &w->port), 0))
		return false;
	BACK_RING_INIT(&w->tx, (netif_tx_sring_t *)w->txp, XVIF_PAGE_SIZE);
	BACK_RING_INIT(&w->rx, (netif_rx_sring_t *)w->rxp, XVIF_PAGE_SIZE);
	return true;
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
	return ((struct tpipe *)w->sf->sf_hp)->tp_offload;
}

static void
tw_teardown(struct tw *w)
{
	if (w->be != NULL && w->txp != NULL)
		(void)hvsim_gnt_unmap(w->be, w->txp);
	if (w->be != NULL && w->rxp != NULL)
		(void)hvsim_gnt_unmap(w->be, w->rxp);
	if (w->sf != NULL) {
		if (w->sf->sf_hv != NULL)
			simfe_ring_disconnect(w->sf);
		hp_close(w->sf->sf_hp, false);
		ev_close(w->sf->sf_ev);
		hvsim_close(w->sf->sf_hv);
		free(w->sf);
	}
	if (w->peer > 0)
		close(w->peer);
	hvsim_close(w->be);
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

static void
t_tx_slots(struct t_ctx *t)
{
	static uint8_t f[9000], got[9000];
	netif_tx_request_t req[8];
	struct hv_gcopy gc;
	struct tw w;
	unsigned int i, n, off;

	if (!tw_setup(t, &w))
		goto out;
	T_TRUE(t, tw_kicked(&w));	/* the RX buffers were posted */
	pattern(f, 60, 1);
	T_EQ(t, tw_send(&w, NULL, f, 60), 60);
	pattern(f, sizeof(f), 2);
	T_EQ(t, tw_send(&w, NULL, f, sizeof(f)), (long)sizeof(f));
	simfe_tap_input(w.sf);
	T_TRUE(t, tw_kicked(&w));
	n = w.tx.sring->req_prod - w.tx.req_cons;
	T_REQUIRE(t, n == 4);
	for (i = 0; i < n; i++)
		req[i] = *RING_GET_REQUEST(&w.tx, w.tx.req_cons + i);
	w.tx.req_cons += n;
	/* 60 bytes: one slot.  9000: 9000 (4096 here), 4096, 808. */
	T_EQ(t, req[0].size, 60);
	T_EQ(t, req[0].flags, 0);
	T_EQ(t, req[1].size, 9000);
	T_EQ(t, req[1].flags, NETTXF_more_data);
	T_EQ(t, req[2].size, 4096);
	T_EQ(t, req[2].flags, NETTXF_more_data);
	T_EQ(t, req[3].size, 808);
	T_EQ(t, req[3].flags, 0);
	for (i = 1, off = 0; i < 4; i++) {
		gc.gc_ref = req[i].gref;
		gc.gc_off = req[i].offset;
		gc.gc_len = i == 1 ? 4096 : req[i].size;
		gc.gc_buf = got + off;
		T_EQ(t, hvsim_gnt_copy(w.be, w.sf->sf_domid, HV_FROM_GUEST,
		    &gc, 1), 0);
		T_EQ(t, gc.gc_status, GNTST_okay);
		off += gc.gc_len;
	}
	T_EQ(t, memcmp(got, f, sizeof(f)), 0);
	/* A TX grant is read-only to us. */
	gc.gc_ref = req[0].gref;
	gc.gc_off = 0;
	gc.gc_len = 4;
	gc.gc_buf = got;
	T_EQ(t, hvsim_gnt_copy(w.be, w.sf->sf_domid, HV_TO_GUEST, &gc, 1), 0);
	T_TRUE(t, gc.gc_status != GNTST_okay);

	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE - 4);
	tw_tx_respond(&w, req[0].id, NETIF_RSP_OKAY);
	for (i = 1; i < 4; i++)
		tw_tx_respond(&w, req[i].id, NETIF_RSP_ERROR);
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 2);
	T_EQ(t, w.sf->sf_cnt.c_tx_bytes, 9060);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);
	/* Answered: the grant is gone. */
	gc.gc_ref = req[1].gref;
	gc.gc_off = 0;
	gc.gc_len = 4;
	T_EQ(t, hvsim_gnt_copy(w.be, w.sf->sf_domid, HV_FROM_GUEST, &gc, 1),
	    0);
	T_TRUE(t, gc.gc_status != GNTST_okay);
out:
	tw_teardown(&w);
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
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);	/* incomplete chain: nothing yet */
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 0);
	tw_rx_put(t, &w, f + 4000, 10, 2000, 0);
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);
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
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_cnt.c_rx_errors, 2);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 2);
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 60);
	T_EQ(t, w.rx.sring->req_prod, XVIF_RX_RING_SIZE + 5);
	/* Event suppression: the frontend asked for the next response. */
	T_EQ(t, w.rx.sring->rsp_event, w.rx.rsp_prod_pvt + 1);
out:
	tw_teardown(&w);
}

static void
t_misbehave(struct t_ctx *t)
{
	netif_tx_request_t req;
	struct hv_gcopy gc;
	uint8_t buf[64];
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
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_mb_out, 0);
	T_EQ(t, w.sf->sf_mb_err, 19);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);

	w.sf->sf_mb = SIMFE_MB_UNGRANTED;
	simfe_misbehave(w.sf);
	req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons);
	gc.gc_ref = req.gref;
	gc.gc_off = 0;
	gc.gc_len = 64;
	gc.gc_buf = buf;
	T_EQ(t, hvsim_gnt_copy(w.be, w.sf->sf_domid, HV_FROM_GUEST, &gc, 1),
	    0);
	T_TRUE(t, gc.gc_status != GNTST_okay);
	tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	w.tx.req_cons++;

	w.sf->sf_mb = SIMFE_MB_REVOKED;
	simfe_misbehave(w.sf);
	req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons);
	T_EQ(t, hvsim_gnt_copy(w.be, w.sf->sf_domid, HV_FROM_GUEST, &gc, 1),
	    0);
	T_TRUE(t, gc.gc_status != GNTST_okay);
	tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	w.tx.req_cons++;

	w.sf->sf_mb = SIMFE_MB_PAGE_OVERRUN;
	simfe_misbehave(w.sf);
	req = *RING_GET_REQUEST(&w.tx, w.tx.req_cons);
	T_EQ(t, req.offset + req.size, 4097);
	tw_tx_respond(&w, req.id, NETIF_RSP_ERROR);
	w.tx.req_cons++;
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE);

	w.sf->sf_mb = SIMFE_MB_PROD_OVERRUN;
	simfe_misbehave(w.sf);
	T_EQ(t, w.tx.sring->req_prod - w.tx.sring->rsp_prod, 300);
out:
	tw_teardown(&w);
}

static void
t_disconnect(struct t_ctx *t)
{
	struct hv_gcopy gc;
	uint8_t buf[16];
	grant_ref_t ref;
	struct tw w;

	if (!tw_setup(t, &w))
		goto out;
	ref = RING_GET_REQUEST(&w.rx, 0)->gref;
	/* The backend still maps the rings: their grants wait for it. */
	simfe_ring_disconnect(w.sf);
	T_EQ(t, w.sf->sf_nstuck, 2);
	gc.gc_ref = ref;
	gc.gc_off = 0;
	gc.gc_len = sizeof(buf);
	gc.gc_buf = buf;
	T_EQ(t, hvsim_gnt_copy(w.be, w.sf->sf_domid, HV_TO_GUEST, &gc, 1), 0);
	T_TRUE(t, gc.gc_status != GNTST_okay);
	(void)hvsim_gnt_unmap(w.be, w.txp);
	(void)hvsim_gnt_unmap(w.be, w.rxp);
	w.txp = w.rxp = NULL;
	simfe_ring_gc(w.sf);
	T_EQ(t, w.sf->sf_nstuck, 0);
	T_EQ(t, w.sf->sf_ungc, 0);
	/* A reconnect uses the other generation's rings. */
	T_EQ(t, simfe_ring_connect(w.sf), 0);
	T_TRUE(t, w.sf->sf_txref != ref);
	T_EQ(t, w.sf->sf_txref, SIMFE_REF_RING(1));
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
	simfe_tap_input(w.sf);
	T_TRUE(t, tw_kicked(&w));

	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags, NETTXF_csum_blank | NETTXF_data_validated);
	T_EQ(t, pk.len, 1054);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags, NETTXF_data_validated);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags, 0);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags, NETTXF_csum_blank | NETTXF_data_validated);
	T_EQ(t, pk.len, len);
	T_EQ(t, memcmp(pk.data, f, len), 0);	/* still partial */
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 4);
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 2);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 0);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 0);
	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE);

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
	simfe_tap_input(w.sf);
	T_TRUE(t, tw_kicked(&w));
	/* Slot 0, the extra, then 4 more data slots. */
	T_EQ(t, w.tx.sring->req_prod - w.tx.req_cons, 6);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
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
	T_EQ(t, pk.n, 5);
	T_EQ(t, pk.len, len);
	T_EQ(t, memcmp(pk.data, f, len), 0);
	/* The extra answered NULL with slot 0's id: ids freed once each. */
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_tx.rsp_cons, 6);
	T_EQ(t, w.sf->sf_tx.req_prod_pvt, 6);
	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE);
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
	simfe_tap_input(w.sf);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 3);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 2);
	T_EQ(t, w.tx.sring->req_prod - w.tx.req_cons, 16 + 1);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.n, 16);
	T_EQ(t, pk.len, XEN_NETIF_MAX_TX_SIZE);
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
		simfe_tap_input(w.sf);
		T_REQUIRE(t, tw_tx_take(t, &w, &pk));
		T_EQ(t, pk.req[0].flags, 0);
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
	simfe_tap_input(w.sf);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags, NETTXF_csum_blank | NETTXF_data_validated);
	tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 3);
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 1);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);
	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE);
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
	simfe_ring_kick(w.sf);
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
	simfe_ring_kick(w.sf);
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	T_EQ(t, vh.csum_start, TF_L4(true));
	T_EQ(t, vh.csum_offset, 6);

	len = tf_build(f, false, 6, 500);
	T_REQUIRE(t, proto_csum_fill(f, len) == NULL);
	tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_data_validated);
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);
	T_EQ(t, tw_recv(&w, &vh, got, sizeof(got)), (long)len);
	T_EQ(t, vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	T_EQ(t, memcmp(got, f, len), 0);
	T_EQ(t, w.sf->sf_cnt.c_rx_frames, 3);
	T_EQ(t, w.sf->sf_cnt.c_rx_csum_blank, 2);

	/* csum_blank where no TCP or UDP header is found: dropped. */
	pattern(f, 100, 4);
	tw_rx_put(t, &w, f, 0, 100, NETRXF_csum_blank);
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);
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
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);	/* more extras to come: nothing yet */
	T_EQ(t, tw_recv(&w, NULL, got, sizeof(got)), 0);
	tw_rx_extra(&w, XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448,
	    v6 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4);
	tw_rx_put(t, &w, f + 4000, 0, (int16_t)(len - 4000), 0);
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);
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
	T_EQ(t, w.sf->sf_rx.rsp_cons, 4);
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
		simfe_ring_kick(w.sf);
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
	simfe_tap_input(w.sf);
	T_EQ(t, w.sf->sf_cnt.c_tx_frames, 3);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);	/* the superframe */
	T_EQ(t, w.sf->sf_cnt.c_tx_csum_blank, 0);
	T_EQ(t, w.sf->sf_cnt.c_tx_gso, 0);
	while (w.tx.sring->req_prod != w.tx.req_cons) {
		T_REQUIRE(t, tw_tx_take(t, &w, &pk));
		T_EQ(t, pk.req[0].flags, 0);
		T_EQ(t, pk.len, len);
		T_EQ(t, memcmp(pk.data, want, len), 0);
		tw_tx_answer(&w, &pk, NETIF_RSP_OKAY);
	}
	simfe_ring_kick(w.sf);
	T_EQ(t, w.sf->sf_ntxfree, XVIF_TX_RING_SIZE);

	tw_rx_put(t, &w, want, 0, (int16_t)len, NETRXF_data_validated);
	tw_rx_put(t, &w, f, 0, (int16_t)len, NETRXF_csum_blank);
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);
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
	simfe_tap_input(w.sf);
	T_EQ(t, w.sf->sf_cnt.c_tx_errors, 1);
	T_REQUIRE(t, tw_tx_take(t, &w, &pk));
	T_EQ(t, pk.req[0].flags, NETTXF_csum_blank | NETTXF_data_validated);
	T_EQ(t, pk.len, len);
	T_EQ(t, w.tx.sring->req_prod, w.tx.req_cons);
out:
	tw_teardown(&w);
}

const struct t_case t_cases[] = {
	{ "tx frames become slots, responses free them", t_tx_slots },
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
	{ NULL, NULL }
};
