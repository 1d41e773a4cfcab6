/*
 * hp.h -- the host port: the frame device on our side of the "crossover
 * cable".  Implementations:
 *   hp_tap_ops   (src/hp_tap.c)   a Linux TAP (/dev/net/tun, IFF_TAP |
 *                                 IFF_NO_PI | IFF_VNET_HDR)
 *   tests and fuzz targets fake it below this port.
 * Callers use the hp_*() wrappers only; >= 0 or -errno, no logging.
 *
 * Offloads travel with each frame as the kernel's own struct
 * virtio_net_hdr (linux/virtio_net.h, in host byte order as a TAP has
 * it): VIRTIO_NET_HDR_F_NEEDS_CSUM with csum_start and csum_offset (the
 * checksum is left for someone else to fill), F_DATA_VALID (it was
 * checked), and a GSO type, gso_size and hdr_len (a TCP superframe to be
 * cut into segments).  What the kernel may hand us is set with
 * set_offload; what we send may carry any of them.
 *
 * Queues: a device may have several (a TAP with IFF_MULTI_QUEUE), each
 * with a struct hp of its own -- its fd, its send and recv -- made by
 * open_queue from the first.  The kernel spreads what it hands us over
 * the queues by flow; what we send on any queue enters the same
 * interface.  The device settings (offloads, MTU, MAC, carrier) are the
 * device's, whichever queue sets them.
 */
#ifndef XVIF_HP_H
#define XVIF_HP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

struct hp;

/* One frame's place in a batch read (hp_recv_batch). */
struct hp_rxbuf {
	struct virtio_net_hdr	 rb_vh;		/* its offloads */
	void			*rb_buf;	/* rb_cap bytes */
	size_t			 rb_cap;
	size_t			 rb_len;	/* its length: rb_cap at least if cut */
};

/* One frame of a batch written (hp_send_batch). */
struct hp_txbuf {
	struct virtio_net_hdr	 tb_vh;		/* its offloads */
	const void		*tb_buf;
	size_t			 tb_len;
	ssize_t			 tb_res;	/* bytes sent, or -errno */
};

struct hp_ops {
	const char	*name;
	/*
	 * Open (creating it if needed) the device called ifname.  A TAP is
	 * made persistent, so that it outlives a daemon restart; reopening
	 * an existing one by name re-attaches to it.
	 */
	int	(*open)(const char *ifname, struct hp **out);
	/*
	 * Another queue of the device hp is a queue of: -ENOTSUP if it can
	 * have one only (a TAP made without IFF_MULTI_QUEUE, by an older
	 * xvifd or by hand), -EINVAL past the kernel's limit.
	 */
	int	(*open_queue)(struct hp *, struct hp **out);
	/*
	 * Let go of it; with destroy, the interface is deleted too (not when
	 * closing a queue made by open_queue: that queue only goes).
	 */
	void	(*close)(struct hp *, bool destroy);
	int	(*fd)(struct hp *);		/* pollable for EPOLLIN */
	/*
	 * One frame from iov (at most HP_IOV_MAX), with its offloads in vh
	 * (NULL: none); -EAGAIN if the device is full (frame not sent).
	 */
	ssize_t	(*send)(struct hp *, const struct virtio_net_hdr *vh,
		    const struct iovec *iov, int iovcnt);
	/*
	 * n frames, as n sends would send them, in order; each one's result
	 * in its tb_res.  NULL: hp_send_batch calls send n times.
	 */
	void	(*send_batch)(struct hp *, struct hp_txbuf *b, unsigned int n);
	/*
	 * One frame into buf and its offloads into vh (NULL: not wanted);
	 * 0 if none now.  A longer frame is cut at len and reported as len
	 * at least (tun says len; recv(MSG_TRUNC) the true length): a
	 * caller that must tell gives a byte more than it takes.
	 */
	ssize_t	(*recv)(struct hp *, struct virtio_net_hdr *vh, void *buf,
		    size_t len);
	/*
	 * Up to n frames, each into one of b's buffers: the number read,
	 * 0 if none is there, or -errno (the first frame's error).  The
	 * frames are in b[0 .. ret) in the order the device gave them:
	 * entries may be swapped to get there (their buffers with them).
	 * NULL: hp_recv_batch calls recv n times.
	 */
	ssize_t	(*recv_batch)(struct hp *, struct hp_rxbuf *b, unsigned int n);
	/*
	 * Which offloads the kernel may leave to us in what we recv: TUN_F_*
	 * of linux/if_tun.h (CSUM, and TSO4/TSO6 only with CSUM); 0 makes
	 * it hand over finished frames only.
	 */
	int	(*set_offload)(struct hp *, unsigned int tun_flags);
	int	(*set_up)(struct hp *, bool up);
	int	(*set_mtu)(struct hp *, unsigned int mtu);
	int	(*set_mac)(struct hp *, const uint8_t mac[6]);
	/* Carrier (lower-layer up): off while the other end cannot take frames. */
	int	(*set_carrier)(struct hp *, bool on);
	/* Who alone (bar CAP_NET_ADMIN) may attach to it. */
	int	(*set_owner)(struct hp *, uid_t uid);
	/*
	 * ifindex, for tests and the control socket; -ENOTSUP for pipes.
	 * Also brings hp_name up to date after a rename.
	 */
	int	(*ifindex)(struct hp *);
};

#define HP_IOV_MAX	4

struct hp {
	const struct hp_ops	*hp_ops;
	char			 hp_name[16];	/* the current name */
	unsigned int		 hp_queues_max;	/* open_queue's bound; 0, 1: none */
	bool			 hp_reattached;	/* open found it there, not made */
};

extern const struct hp_ops hp_tap_ops;

/*
 * hp_link.c: the ifindex of the interface called name in our network
 * namespace, 0 if there is none -- without making the kernel run modprobe
 * for a name that is not there, as if_nametoindex(3) does for a caller
 * with CAP_NET_ADMIN.  hp_link_open: its socket, before a seccomp filter.
 */
int		hp_link_open(void);
unsigned int	hp_link_index(const char *name);

static inline int
hp_open(const struct hp_ops *ops, const char *ifname, struct hp **out)
{
	return ops->open(ifname, out);
}

static inline int
hp_open_queue(struct hp *hp, struct hp **out)
{
	return hp->hp_ops->open_queue != NULL ?
	    hp->hp_ops->open_queue(hp, out) : -ENOTSUP;
}

static inline void
hp_close(struct hp *hp, bool destroy)
{
	if (hp != NULL)
		hp->hp_ops->close(hp, destroy);
}

static inline int
hp_fd(struct hp *hp)
{
	return hp->hp_ops->fd(hp);
}

static inline ssize_t
hp_send(struct hp *hp, const struct virtio_net_hdr *vh,
    const struct iovec *iov, int iovcnt)
{
	return hp->hp_ops->send(hp, vh, iov, iovcnt);
}

static inline ssize_t
hp_recv(struct hp *hp, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	return hp->hp_ops->recv(hp, vh, buf, len);
}

/* A batch sent a send at a time: send_batch's fallback. */
static inline void
hp_send_each(struct hp *hp, struct hp_txbuf *b, unsigned int n)
{
	struct iovec iov;
	unsigned int i;

	for (i = 0; i < n; i++) {
		iov.iov_base = (void *)(uintptr_t)b[i].tb_buf;
		iov.iov_len = b[i].tb_len;
		b[i].tb_res = hp_send(hp, &b[i].tb_vh, &iov, 1);
	}
}

static inline void
hp_send_batch(struct hp *hp, struct hp_txbuf *b, unsigned int n)
{
	if (hp->hp_ops->send_batch != NULL)
		hp->hp_ops->send_batch(hp, b, n);
	else
		hp_send_each(hp, b, n);
}

/*
 * How many frames to ask for next, after a batch read that asked for
 * asked and got got: twice as many (max at most) while reads come back
 * full, one more than it got once one comes back short (the device was
 * empty).  A read that finds no frame is not free (io_uring arms it, then
 * cancels it), so asking far more than there is costs.
 */
static inline unsigned int
hp_batch_next(unsigned int asked, unsigned int got, unsigned int max)
{
	if (got < asked)
		return got + 1;
	return 2 * asked < max ? 2 * asked : max;
}

/* A batch read a recv at a time: recv_batch's fallback. */
static inline ssize_t
hp_recv_each(struct hp *hp, struct hp_rxbuf *b, unsigned int n)
{
	unsigned int i;
	ssize_t len;

	for (i = 0; i < n; i++) {
		len = hp_recv(hp, &b[i].rb_vh, b[i].rb_buf, b[i].rb_cap);
		if (len <= 0)
			return i > 0 || len == 0 ? (ssize_t)i : len;
		b[i].rb_len = (size_t)len;
	}
	return i;
}

static inline ssize_t
hp_recv_batch(struct hp *hp, struct hp_rxbuf *b, unsigned int n)
{
	if (hp->hp_ops->recv_batch != NULL)
		return hp->hp_ops->recv_batch(hp, b, n);
	return hp_recv_each(hp, b, n);
}

static inline int
hp_set_offload(struct hp *hp, unsigned int tun_flags)
{
	return hp->hp_ops->set_offload(hp, tun_flags);
}

static inline int
hp_set_up(struct hp *hp, bool up)
{
	return hp->hp_ops->set_up(hp, up);
}

static inline int
hp_set_mtu(struct hp *hp, unsigned int mtu)
{
	return hp->hp_ops->set_mtu(hp, mtu);
}

static inline int
hp_set_mac(struct hp *hp, const uint8_t mac[6])
{
	return hp->hp_ops->set_mac(hp, mac);
}

static inline int
hp_set_owner(struct hp *hp, uid_t uid)
{
	return hp->hp_ops->set_owner(hp, uid);
}

static inline int
hp_set_carrier(struct hp *hp, bool on)
{
	return hp->hp_ops->set_carrier(hp, on);
}

static inline int
hp_ifindex(struct hp *hp)
{
	return hp->hp_ops->ifindex(hp);
}

#endif
