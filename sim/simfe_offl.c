/*
 * simfe_offl.c -- the simulated netfront's offloads: what eth0's
 * virtio-net header says of a frame, as ring flags and GSO extras for
 * the backend (guest TX), and back (guest RX), as xen-netfront maps an
 * skb's.  No I/O: the ring code (simfe_ring.c) calls these per frame.
 */
#include <string.h>

#include "proto.h"
#include "simfe.h"

/*
 * The offloads eth0 handed us a frame with, as xennet_start_xmit turns an
 * skb's into request flags: a partial checksum (NEEDS_CSUM) is
 * NETTXF_csum_blank | NETTXF_data_validated, a checked one (DATA_VALID)
 * NETTXF_data_validated, a TCP superframe a GSO extra.  What the backend
 * cannot take is done here instead, as the stack does for a feature the
 * netdev lacks: a checksum netback could not find (not TCP or UDP over
 * IP), or an IPv6 one without feature-ipv6-csum-offload, is finished in
 * software (skb_checksum_help); a superframe it cannot take is dropped
 * (TUNSETOFFLOAD did not ask for it; it may have been queued before).
 * NULL, or why the frame must be dropped.
 */
const char *
simfe_tx_offload(struct simfe *sf, const struct virtio_net_hdr *vh,
    uint8_t *f, size_t len, uint16_t *flags, struct netif_extra_info *gso)
{
	struct proto_l4 l4;
	bool blank = false;

	*flags = 0;
	memset(gso, 0, sizeof(*gso));
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		blank = (sf->sf_tun & TUN_F_CSUM) &&
		    proto_l4_find(f, len, &l4) == NULL &&
		    l4.l4_off == vh->csum_start &&
		    l4.l4_csum_off == vh->csum_offset &&
		    (!l4.l4_ipv6 || sf->sf_be_csum6);
		if (blank)
			*flags = NETTXF_csum_blank | NETTXF_data_validated;
		else if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
			return "a superframe whose checksum the backend "
			    "cannot take";
		else if (proto_csum_finish(f, len, vh->csum_start,
		    vh->csum_offset) != NULL)
			return "partial checksum outside the frame";
	} else if ((vh->flags & VIRTIO_NET_HDR_F_DATA_VALID) && sf->sf_csum)
		*flags = NETTXF_data_validated;

	switch (vh->gso_type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return NULL;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!(sf->sf_tun & TUN_F_TSO4))
			return "TCPv4 GSO the backend did not offer";
		gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!(sf->sf_tun & TUN_F_TSO6))
			return "TCPv6 GSO the backend did not offer";
		gso->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
		break;
	default:		/* UDP, ECN: never asked for */
		return "a GSO type netif.h does not have";
	}
	if (!blank)		/* a superframe is always CHECKSUM_PARTIAL */
		return "GSO without a partial checksum";
	if (vh->gso_size == 0)
		return "GSO size 0";
	gso->type = XEN_NETIF_EXTRA_TYPE_GSO;
	gso->u.gso.size = vh->gso_size;
	return NULL;
}

/*
 * Untrusted: the offloads of an RX packet as eth0's virtio-net header,
 * as xennet_poll sets an skb's: NETRXF_csum_blank is a partial checksum
 * (NEEDS_CSUM, where skb_checksum_setup finds the TCP or UDP header),
 * data_validated alone DATA_VALID, a GSO extra a superframe
 * (xennet_set_skb_gso), whose checksum is partial too; the pseudo-header
 * sum is put in its field if the backend did not say csum_blank
 * (checksum_setup's recalculate_partial_csum).  An offload we did not
 * ask for in our feature keys is refused: Linux, which always asks,
 * never meets one, and a backend that sends csum_blank after
 * feature-no-csum-offload=1 would break a frontend that cannot take it.
 * NULL, or why the packet must be dropped.
 */
const char *
simfe_rx_offload(struct simfe *sf, uint8_t *f, size_t len,
    const struct simfe_rxpkt *rp, struct virtio_net_hdr *vh)
{
	struct proto_l4 l4;
	const char *why;
	bool v6 = false;

	memset(vh, 0, sizeof(*vh));
	if (rp->rp_gso.type == XEN_NETIF_EXTRA_TYPE_GSO) {
		if (!sf->sf_gso)
			return "GSO we did not ask for";
		if (rp->rp_gso.u.gso.size == 0)
			return "GSO size 0";
		if (rp->rp_gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4)
			vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		else if (rp->rp_gso.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6) {
			vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
			v6 = true;
		} else
			return "bad GSO type";
		vh->gso_size = rp->rp_gso.u.gso.size;
	}
	if (!(rp->rp_flags & NETRXF_csum_blank) &&
	    vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		/* --no-offload: the guest's stack checks every one. */
		if ((rp->rp_flags & NETRXF_data_validated) && sf->sf_csum)
			vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return NULL;
	}
	if (!sf->sf_csum)
		return "checksum offload we did not ask for";
	if ((why = proto_l4_find(f, len, &l4)) != NULL)
		return why;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)l4.l4_off;
	vh->csum_offset = l4.l4_csum_off;
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return NULL;
	/* eth0 would refuse it (virtio_net_hdr_to_skb); say why here. */
	if (l4.l4_proto != 6 || l4.l4_ipv6 != v6)
		return "GSO type not the frame's";
	vh->hdr_len = (uint16_t)(l4.l4_off + l4.l4_hlen);
	if (!(rp->rp_flags & NETRXF_csum_blank))
		proto_csum_pseudo(f, &l4);
	return NULL;
}
