/*
 * fz_rxpost.c -- libFuzzer target: a hostile guest's RX posting, through
 * xvifd's own guest-RX code (src/vif_rx.c) with the ports below it
 * faked: the hypervisor port's grant copy and notify, and a host port
 * whose frames come from the input.  The guest controls the RX ring's
 * producer and every request in it (id, gref), and which of its grants
 * copy; the host sends frames of any length, oversized ones included.
 * What must hold, whatever it does:
 *  - every copy stays inside one guest page (gc_off + gc_len <= 4096)
 *    and inside the staging buffer (or the frame the vif holds), and
 *    targets the gref of a request the guest posted before req_prod;
 *  - every consumed request is answered, in its own slot, and pushed,
 *    with the request's id (netif.h), an error as well as a frame;
 *    nothing is consumed past req_prod (unless the vif failed for an
 *    overrun, which must be for req_prod more than a ring ahead);
 *  - a frame is answered with slots whose sizes add up to its length,
 *    or with errors; never a chain to a frontend without feature-sg,
 *    never a frame longer than 65535;
 *  - a run reads at most a budget's worth of frames, dropped or not;
 *  - offloads only as the frontend asked (the host sends any vnet
 *    header): csum_blank, a GSO extra of a type it takes, on a frame
 *    of that type (a TCPv4 extra on a TCP/IPv4 frame, never on UDP or
 *    IPv6: the host's header may claim what it likes).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "fz_vif.h"

#define FZ_RX_STAGE	((size_t)XVIF_RX_BATCH_FRAMES * XVIF_RX_FRAME_SLOT)

/* The host port: frames cut from the input. */
struct fz_hp {
	struct fz_hp_base h_base;	/* first: see hp.h */
	const uint8_t	*h_data;
	size_t		 h_size, h_off;
	unsigned int	 h_given;	/* frames handed out */
};

static struct fz_hp fz_hp;
static struct fz_world fz_w;		/* w_work.w_rx_stage = fz_stage */
static uint8_t *fz_stage;
static struct vif_queue *fz_q;		/* the one this input drives */
static netif_rx_sring_t *fz_sring;
static netif_rx_request_t fz_posted[XVIF_RX_RING_SIZE];	/* as posted */
static RING_IDX fz_prod;
static uint8_t fz_bad_mod;	/* gref % this == 0: the copy fails */
/* The first bytes of the last copy to each posted slot's gref. */
#define FZ_SEEN		64	/* Ethernet, two tags, IPv6's fixed header */
static uint8_t fz_seen[XVIF_RX_RING_SIZE][FZ_SEEN];
static uint16_t fz_seen_len[XVIF_RX_RING_SIZE];

/*
 * A frame: a 16-bit length (0xffff: 65539, an oversized tagged frame,
 * reported with its true length as a TAP does), a fill byte, then what
 * the vnet header says of it:
 *   bits 0-1	VIRTIO_NET_HDR_F_NEEDS_CSUM, F_DATA_VALID
 *   bits 2-4	the GSO type, from fz_gso_types (ECN and UDP included)
 *   bits 5-6	headers written over the fill: none, TCP/IPv4, TCP/IPv6,
 *		UDP/IPv4 (csum_start and csum_offset then point at them;
 *		without, they come from the fill byte), behind an 802.1Q
 *		tag if the fill byte is odd
 *   bit 7	gso_size 0 instead of 1448
 */
static const uint8_t fz_gso_types[8] = {
	VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4,
	VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP,
	VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
	VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6, 0x7f,
};

/* Ethernet, IP and TCP or UDP headers at the start of a frame of n bytes. */
static void
fz_headers(uint8_t *b, size_t n, unsigned int kind, bool tagged,
    struct virtio_net_hdr *vh)
{
	size_t l4 = kind == 2 ? 14 + 40 : 14 + 20;
	uint8_t proto = kind == 3 ? 17 : 6;

	if (n < l4 + 20 + 4)
		return;
	if (tagged) {		/* the tag, then the rest 4 bytes on */
		memset(b, 0, 18);
		b[12] = 0x81, b[13] = 0x00, b[15] = 10;
		fz_headers(b + 4, n - 4, kind, false, vh);
		memmove(b + 12, (uint8_t []){ 0x81, 0x00, 0x00, 10 }, 4);
		vh->csum_start += 4;
		vh->hdr_len += 4;
		return;
	}
	memset(b, 0, l4 + 20);
	b[12] = kind == 2 ? 0x86 : 0x08;
	b[13] = kind == 2 ? 0xdd : 0x00;
	if (kind == 2) {
		b[14] = 0x60;
		b[18] = (uint8_t)((n - l4) >> 8), b[19] = (uint8_t)(n - l4);
		b[20] = proto;
	} else {
		b[14] = 0x45;
		b[16] = (uint8_t)((n - 14) >> 8), b[17] = (uint8_t)(n - 14);
		b[23] = proto;
	}
	b[l4 + 12] = 5 << 4;		/* TCP: 20 bytes */
	vh->csum_start = (uint16_t)l4;
	vh->csum_offset = proto == 6 ? 16 : 6;
	vh->hdr_len = (uint16_t)(l4 + 20);
}

static ssize_t
fz_hp_recv(struct hp *hp, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	struct fz_hp *h = (struct fz_hp *)hp;
	struct virtio_net_hdr v;
	uint8_t fill, meta;
	size_t n;

	if (h->h_size - h->h_off < 4)
		return 0;
	n = (size_t)h->h_data[h->h_off] << 8 | h->h_data[h->h_off + 1];
	if (n == 0xffff)
		n = 65539;
	fill = h->h_data[h->h_off + 2];
	meta = h->h_data[h->h_off + 3];
	h->h_off += 4;
	h->h_given++;
	memset(buf, fill, n < len ? n : len);
	memset(&v, 0, sizeof(v));
	v.flags = meta & 3;
	v.gso_type = fz_gso_types[meta >> 2 & 7];
	v.gso_size = meta & 0x80 ? 0 : 1448;
	v.csum_start = fill;
	v.csum_offset = fill >> 3;
	if ((meta >> 5 & 3) != 0 && n <= len)
		fz_headers(buf, n, meta >> 5 & 3, fill & 1, &v);
	if (vh != NULL)
		*vh = v;
	return (ssize_t)n;
}

/* A tagged superframe turns TCP segmentation off (vif_rx_vlan_tso). */
static int
fz_hp_offload(struct hp *hp, unsigned int tun_flags)
{
	assert((tun_flags & (TUN_F_TSO4 | TUN_F_TSO6)) == 0);
	return 0;
}

static const struct hp_ops fz_hp_ops = {
	.name = "fuzz",
	.fd = fz_hp_base_fd,
	.recv = fz_hp_recv,
	.set_carrier = fz_hp_base_carrier,
	.set_offload = fz_hp_offload,
};

static int
fz_gnt_copy(struct hv *hv, domid_t dom, enum hv_dir dir,
    struct hv_gcopy *gc, unsigned int n)
{
	unsigned int i, j;

	assert(dir == HV_TO_GUEST);
	assert(n > 0 && n <= XVIF_RX_BATCH_SEGS);
	for (i = 0; i < n; i++) {
		const uint8_t *b = gc[i].gc_buf;

		assert(gc[i].gc_len > 0);
		assert((uint32_t)gc[i].gc_off + gc[i].gc_len <= XVIF_PAGE_SIZE);
		/* From the loop's stage, or the vif's held frame. */
		assert((b >= fz_stage && b + gc[i].gc_len <= fz_stage +
		    FZ_RX_STAGE) || (fz_q->q_rx_hold != NULL &&
		    b >= fz_q->q_rx_hold && b + gc[i].gc_len <=
		    fz_q->q_rx_hold + XVIF_RX_FRAME_SLOT));
		/* A gref the guest posted (checked against the copies). */
		for (j = 0; j < XVIF_RX_RING_SIZE; j++)
			if (fz_posted[j].gref == gc[i].gc_ref)
				break;
		assert(j < XVIF_RX_RING_SIZE);
		for (; j < XVIF_RX_RING_SIZE; j++)
			if (fz_posted[j].gref == gc[i].gc_ref) {
				fz_seen_len[j] = gc[i].gc_len < FZ_SEEN ?
				    gc[i].gc_len : FZ_SEEN;
				memcpy(fz_seen[j], b, fz_seen_len[j]);
			}
		gc[i].gc_status = fz_bad_mod != 0 &&
		    gc[i].gc_ref % fz_bad_mod == 0 ? GNTST_bad_gntref :
		    GNTST_okay;
	}
	return 0;
}

static int
fz_evt_notify(struct hv *hv, struct hv_evt *e, uint32_t port)
{
	return 0;
}

static const struct hv_ops fz_hv_ops = {
	.name = "fuzz",
	.gnt_copy = fz_gnt_copy,
	.evt_notify = fz_evt_notify,
};

static void
fz_setup(void)
{
	fz_world_init(&fz_w, "fz_rxpost", &fz_hv_ops);
	fz_hp_base_init(&fz_hp.h_base, &fz_hp_ops);
	fz_stage = aligned_alloc(XVIF_PAGE_SIZE, FZ_RX_STAGE);
	fz_sring = aligned_alloc(XVIF_PAGE_SIZE, XVIF_PAGE_SIZE);
	assert(fz_stage != NULL && fz_sring != NULL);
	fz_w.w_work.w_rx_stage = fz_stage;
	vif_work_rx_bufs(&fz_w.w_work);
}

/* Post requests: prod moves on by the count, the requests from the input. */
static size_t
fz_post(const uint8_t *data, size_t size, unsigned int count)
{
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < count; i++) {
		netif_rx_request_t *r = &fz_sring->ring[(fz_prod + i) &
		    (XVIF_RX_RING_SIZE - 1)].req;

		if (size - used >= sizeof(*r))
			memcpy(r, data + used, sizeof(*r));
		else
			memset(r, 0, sizeof(*r));
		used += size - used >= sizeof(*r) ? sizeof(*r) : size - used;
		fz_posted[(fz_prod + i) & (XVIF_RX_RING_SIZE - 1)] = *r;
	}
	fz_prod += count;
	__atomic_store_n(&fz_sring->req_prod, fz_prod, __ATOMIC_RELEASE);
	return used;
}

/*
 * A GSO extra of this type on the frame whose first slot is slot: its
 * first bytes (what the last copy to the slot's gref wrote, if no other
 * posted slot shares the gref) are of that family, and not UDP.  Read
 * here without proto.c, which decided what to send.
 */
static void
fz_check_gso_frame(RING_IDX slot, uint8_t type)
{
	unsigned int k = slot & (XVIF_RX_RING_SIZE - 1), j, n = 0, l3 = 14;
	const uint8_t *b = fz_seen[k];
	uint16_t et;

	for (j = 0; j < XVIF_RX_RING_SIZE; j++)
		n += fz_posted[j].gref == fz_posted[k].gref;
	if (n != 1 || fz_seen_len[k] < FZ_SEEN)
		return;
	et = (uint16_t)(b[12] << 8 | b[13]);
	while ((et == 0x8100 || et == 0x88a8) && l3 < 22) {
		et = (uint16_t)(b[l3 + 2] << 8 | b[l3 + 3]);
		l3 += 4;
	}
	if (type == XEN_NETIF_GSO_TYPE_TCPV4)
		assert(et == 0x0800 && b[l3 + 9] == 6);
	else
		assert(et == 0x86dd && b[l3 + 6] != 17);
}

/* The response in slot i answers the request posted there: its id. */
static void
fz_check_id(RING_IDX i)
{
	assert(RING_GET_RESPONSE(&fz_q->q_rxr, i)->id ==
	    fz_posted[i & (XVIF_RX_RING_SIZE - 1)].id);
}

/*
 * This round's answers, [from, rsp_prod): each an error, or a chain of
 * sizes that add up to a frame no longer than 65535, in one slot for a
 * frontend without feature-sg; offloads only as the frontend asked: a
 * csum_blank it takes for some family, a GSO extra of a type it takes,
 * right after the first slot, of a size not 0.
 */
static void
fz_check_answers(struct vif_queue *q, RING_IDX from)
{
	const struct vif_fe *fe = &q->q_vif->vif_fe;
	RING_IDX i = from;

	while (i != q->q_rxr.rsp_prod_pvt) {
		const netif_rx_response_t *r = RING_GET_RESPONSE(&q->q_rxr,
		    i);
		uint32_t total = 0, slots = 0;
		bool first = true;

		if (r->status < 0) {
			assert(r->flags == 0);
			fz_check_id(i);
			i++;
			continue;
		}
		assert(!(r->flags & NETRXF_csum_blank) || fe->fe_csum ||
		    fe->fe_ipv6_csum);
		assert(!(r->flags & NETRXF_csum_blank) ||
		    (r->flags & NETRXF_data_validated));
		do {
			r = RING_GET_RESPONSE(&q->q_rxr, i);
			fz_check_id(i);
			assert(r->status > 0 && r->status <= (int)XVIF_PAGE_SIZE);
			assert(r->offset == 0);
			assert(first || !(r->flags & (NETRXF_extra_info |
			    NETRXF_csum_blank | NETRXF_data_validated)));
			total += (uint32_t)r->status;
			slots++;
			i++;
			if (first && (r->flags & NETRXF_extra_info)) {
				const struct netif_extra_info *ex =
				    (const void *)RING_GET_RESPONSE(
				    &q->q_rxr, i);

				assert(i != q->q_rxr.rsp_prod_pvt);
				assert(ex->type == XEN_NETIF_EXTRA_TYPE_GSO);
				assert(ex->flags == 0);
				/* Every byte ours (XSA-216): nothing stale. */
				assert(ex->u.gso.pad == 0 &&
				    ex->u.gso.features == 0);
				assert(ex->u.gso.size > 0);
				assert((ex->u.gso.type ==
				    XEN_NETIF_GSO_TYPE_TCPV4 && fe->fe_gso4) ||
				    (ex->u.gso.type ==
				    XEN_NETIF_GSO_TYPE_TCPV6 && fe->fe_gso6));
				fz_check_gso_frame(i - 1, ex->u.gso.type);
				i++;
			}
			first = false;
		} while ((r->flags & NETRXF_more_data) &&
		    i != q->q_rxr.rsp_prod_pvt);
		assert(!(r->flags & NETRXF_more_data));
		assert(total <= XVIF_FRAME_MAX);
		assert(slots == 1 || fe->fe_sg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct xvif *vif;
	struct vif_queue *q;
	unsigned int round, count, given;
	size_t off = 0;
	RING_IDX cons0;

	if (!ready) {
		fz_setup();
		ready = true;
	}
	if (size < 4)
		return 0;
	if ((q = fz_vif_new(&fz_w)) == NULL)
		return 0;
	vif = q->q_vif;
	memset(fz_sring, 0, XVIF_PAGE_SIZE);
	memset(fz_posted, 0, sizeof(fz_posted));
	memset(fz_seen_len, 0, sizeof(fz_seen_len));
	fz_prod = 0;
	BACK_RING_INIT(&q->q_rxr, fz_sring, XVIF_PAGE_SIZE);
	vif->vif_fe.fe_sg = data[0] & 1;
	vif->vif_fe.fe_rx_notify = data[0] & 2;
	vif->vif_fe.fe_csum = data[0] & 4;
	vif->vif_fe.fe_ipv6_csum = data[0] & 8;
	vif->vif_fe.fe_gso4 = data[0] & 0x10;
	vif->vif_fe.fe_gso6 = data[0] & 0x20;
	fz_bad_mod = data[1] & 0x0f;
	fz_q = q;
	fz_vif_connect(&fz_w, q, &fz_hp.h_base.b_hp);
	/* The frames the host sends: the second half of the input. */
	fz_hp.h_data = data + 2 + (size - 2) / 2;
	fz_hp.h_size = size - 2 - (size - 2) / 2;
	fz_hp.h_off = 0;
	off = 2;
	/* Up to three rounds: the guest posts, xvifd runs. */
	for (round = 0; round < 3 && q->q_connected; round++) {
		if (off >= 2 + (size - 2) / 2)
			break;
		count = data[off++] % (XVIF_RX_RING_SIZE + 64);
		cons0 = q->q_rxr.req_cons;
		off += fz_post(data + off, 2 + (size - 2) / 2 - off, count);
		given = fz_hp.h_given;
		vif_rx_run(q);
		/*
		 * A run reads a budget's worth (4 batches) and yields, also
		 * when every frame is dropped: the worker's other queues wait.
		 */
		assert(fz_hp.h_given - given <= 5 * XVIF_RX_BATCH_FRAMES);
		if (!q->q_connected) {
			/* Failed: only for a producer more than a ring ahead. */
			assert(q->q_failed && vif->vif_fail_pending);
			assert(fz_prod - q->q_rxr.rsp_prod_pvt >
			    XVIF_RX_RING_SIZE);
			break;
		}
		/* Nothing consumed past req_prod; all answered and pushed. */
		assert(q->q_rxr.req_cons - cons0 <= fz_prod - cons0);
		assert(q->q_rxr.rsp_prod_pvt == q->q_rxr.req_cons);
		assert(fz_sring->rsp_prod == q->q_rxr.rsp_prod_pvt);
		fz_check_answers(q, cons0);
	}
	fz_vif_free(&fz_w, q);
	return 0;
}
