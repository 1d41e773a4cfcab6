/*
 * t_simfe_ring.c -- the data path of the simulated netfront (sim/simfe_ring.c)
 * against a backend written here on the simulated hypervisor: ring and
 * buffer grants, TX slot splitting, RX chains, responses, event channel
 * notifications, misbehaviours and teardown.  No XenStore, no TAP: eth0 is
 * a SOCK_SEQPACKET socketpair behind a tiny hp ops table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hvsim.h"
#include "simfe.h"
#include "t.h"

/* -- eth0 as one end of a socketpair -- */

struct tpipe {
	struct hp	tp_hp;
	int		tp_fd;
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

static ssize_t
tp_send(struct hp *hp, const struct virtio_net_hdr *vh,
    const struct iovec *iov, int n)
{
	ssize_t r = writev(((struct tpipe *)hp)->tp_fd, iov, n);

	return r < 0 ? -errno : r;
}

static ssize_t
tp_recv(struct hp *hp, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	ssize_t r = recv(((struct tpipe *)hp)->tp_fd, buf, len, MSG_DONTWAIT);

	if (vh != NULL)		/* the pipe carries no offloads */
		memset(vh, 0, sizeof(*vh));
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	return r;
}

static const struct hp_ops tp_ops = {
	.name = "test-pipe",
	.close = tp_close,
	.fd = tp_fd,
	.send = tp_send,
	.recv = tp_recv,
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

static bool
tw_setup(struct t_ctx *t, struct tw *w)
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
	T_EQ(t, send(w.peer, f, 60, 0), 60);
	pattern(f, sizeof(f), 2);
	T_EQ(t, send(w.peer, f, sizeof(f), 0), (long)sizeof(f));
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
	T_EQ(t, recv(w.peer, got, sizeof(got), MSG_DONTWAIT), -1);
	tw_rx_put(t, &w, f + 4000, 10, 2000, 0);
	tw_rx_push(&w);
	simfe_ring_kick(w.sf);
	n = recv(w.peer, got, sizeof(got), MSG_DONTWAIT);
	T_EQ(t, n, 6000);
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
	T_EQ(t, recv(w.peer, got, sizeof(got), MSG_DONTWAIT), 60);
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

const struct t_case t_cases[] = {
	{ "tx frames become slots, responses free them", t_tx_slots },
	{ "rx chains become frames, buffers are re-posted", t_rx_chains },
	{ "misbehaviours put what they say on the ring", t_misbehave },
	{ "disconnect takes every grant back", t_disconnect },
	{ NULL, NULL }
};
