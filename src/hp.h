/*
 * hp.h -- the host port: the frame device on our side of the "crossover
 * cable".  Implementations:
 *   hp_tap_ops   (src/hp_tap.c)   a Linux TAP (/dev/net/tun, IFF_TAP|IFF_NO_PI)
 *   hp_pipe_ops  (sim/hp_pipe.c)  a SOCK_SEQPACKET socketpair, for unit tests
 * Callers use the hp_*() wrappers only; >= 0 or -errno, no logging.
 */
#ifndef XVIF_HP_H
#define XVIF_HP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct hp;

struct hp_ops {
	const char	*name;
	/*
	 * Open (creating it if needed) the device called ifname.  A TAP is
	 * made persistent, so that it outlives a daemon restart; reopening
	 * an existing one by name re-attaches to it.
	 */
	int	(*open)(const char *ifname, struct hp **out);
	/* Let go of it; with destroy, the interface is deleted too. */
	void	(*close)(struct hp *, bool destroy);
	int	(*fd)(struct hp *);		/* pollable for EPOLLIN */
	/* One frame from iov; -EAGAIN if the device is full (frame not sent). */
	ssize_t	(*send)(struct hp *, const struct iovec *iov, int iovcnt);
	/* One frame into buf; 0 if none now.  Longer frames are truncated
	 * and reported with their true length, as recv(MSG_TRUNC) does. */
	ssize_t	(*recv)(struct hp *, void *buf, size_t len);
	int	(*set_up)(struct hp *, bool up);
	int	(*set_mtu)(struct hp *, unsigned int mtu);
	int	(*set_mac)(struct hp *, const uint8_t mac[6]);
	/* Carrier (lower-layer up): off while the other end cannot take frames. */
	int	(*set_carrier)(struct hp *, bool on);
	/*
	 * ifindex, for tests and the control socket; -ENOTSUP for pipes.
	 * Also brings hp_name up to date after a rename.
	 */
	int	(*ifindex)(struct hp *);
};

struct hp {
	const struct hp_ops	*hp_ops;
	char			 hp_name[16];	/* the current name */
};

extern const struct hp_ops hp_tap_ops;

static inline int
hp_open(const struct hp_ops *ops, const char *ifname, struct hp **out)
{
	return ops->open(ifname, out);
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
hp_send(struct hp *hp, const struct iovec *iov, int iovcnt)
{
	return hp->hp_ops->send(hp, iov, iovcnt);
}

static inline ssize_t
hp_recv(struct hp *hp, void *buf, size_t len)
{
	return hp->hp_ops->recv(hp, buf, len);
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
