/*
 * hp_tap.c -- the host port on a Linux TAP device.  Owns the tun fd and a
 * datagram socket for interface ioctls; deletes the interface only when
 * asked to (a persistent TAP keeps its addresses and bridge port across a
 * daemon restart, DESIGN.md 4).  Every frame is preceded by a struct
 * virtio_net_hdr (IFF_VNET_HDR), so offloads can be turned on and off
 * while the TAP is open; a re-attached TAP gets the header too (tun takes
 * the flag anew on every TUNSETIFF).
 *
 * Every TAP is made with IFF_MULTI_QUEUE, even for one queue: tun refuses
 * to attach with other flags than the device was made with, so a TAP made
 * single-queue could never get a second queue without being deleted (and
 * its bridge port and addresses with it).  A TAP someone made without the
 * flag is still attached to, as a device of one queue.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hp.h"
#include "hp_tap_batch.h"

struct hptap {
	struct hp	tp_hp;		/* first: see hp.h */
	int		tp_fd;		/* /dev/net/tun, attached */
	int		tp_sock;	/* for SIOC* ioctls */
	unsigned int	tp_ifindex;	/* stable across renames */
	bool		tp_mq;		/* IFF_MULTI_QUEUE: more can attach */
	bool		tp_queue;	/* made by open_queue: not the device's */
};

static struct hptap *
tap_of(struct hp *hp)
{
	return (struct hptap *)hp;
}

static void
tap_close(struct hp *hp, bool destroy)
{
	struct hptap *tp = tap_of(hp);

	if (tp->tp_fd >= 0) {
		if (destroy && !tp->tp_queue)
			(void)ioctl(tp->tp_fd, TUNSETPERSIST, 0);
		close(tp->tp_fd);	/* not persistent: the TAP goes now */
		tp->tp_fd = -1;
	}
	if (tp->tp_sock >= 0) {
		close(tp->tp_sock);
		tp->tp_sock = -1;
	}
	free(tp);
}

/*
 * An ifreq for the interface under its current name: a hotplug script may
 * have renamed it (vif-common.sh renames vif<D>.<H> to the vifname key),
 * so the name is looked up again by ifindex.
 */
static int
tap_ifreq(struct hptap *tp, struct ifreq *ifr)
{
	char name[IF_NAMESIZE];

	if (tp->tp_ifindex != 0 && if_indextoname(tp->tp_ifindex, name) != NULL)
		memcpy(tp->tp_hp.hp_name, name, sizeof(tp->tp_hp.hp_name));
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, tp->tp_hp.hp_name, sizeof(ifr->ifr_name));
	return 0;
}

/*
 * Attach a new tun fd to the TAP called name (made if absent), with a
 * vnet header and no offloads until set_offload; *mq tells whether to
 * ask for IFF_MULTI_QUEUE and, on return, whether the device has it.
 */
static int
tap_attach(struct hptap *tp, bool *mq)
{
	struct ifreq ifr;
	int vh_sz = sizeof(struct virtio_net_hdr);

	if ((tp->tp_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -errno;
	tap_ifreq(tp, &ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
	    (*mq ? IFF_MULTI_QUEUE : 0);
	if (ioctl(tp->tp_fd, TUNSETIFF, &ifr) < 0) {
		if (errno != EINVAL || !*mq)
			return -errno;
		/* An existing TAP made single-queue: attach as it is. */
		*mq = false;
		ifr.ifr_flags &= ~IFF_MULTI_QUEUE;
		if (ioctl(tp->tp_fd, TUNSETIFF, &ifr) < 0)
			return -errno;
	}
	/* The size is the device's: a re-attached TAP may have another. */
	if (ioctl(tp->tp_fd, TUNSETVNETHDRSZ, &vh_sz) < 0)
		return -errno;
	return 0;
}

static struct hptap *
tap_new(const char *ifname)
{
	struct hptap *tp;

	if ((tp = calloc(1, sizeof(*tp))) == NULL)
		return NULL;
	tp->tp_hp.hp_ops = &hp_tap_ops;
	tp->tp_fd = tp->tp_sock = -1;
	strcpy(tp->tp_hp.hp_name, ifname);
	return tp;
}

#define TAP_ATTACH_TRIES	3	/* a rename raced each of them */

/*
 * The ifindex of the device tp's fd is attached to (its name as tun says
 * it, looked up, and the name asked again: a rename in between is not
 * taken for another device); 0 if it cannot be told.
 */
static unsigned int
tap_attached_ifindex(const struct hptap *tp)
{
	struct ifreq a, b;
	unsigned int ifindex;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (ioctl(tp->tp_fd, TUNGETIFF, &a) < 0 ||
	    (ifindex = hp_link_index(a.ifr_name)) == 0 ||
	    ioctl(tp->tp_fd, TUNGETIFF, &b) < 0 ||
	    strncmp(a.ifr_name, b.ifr_name, sizeof(a.ifr_name)) != 0)
		return 0;
	return ifindex;
}

static int
tap_open(const char *ifname, struct hp **out)
{
	struct hptap *tp;
	int rc, tries;

	if (strlen(ifname) >= IFNAMSIZ || ifname[0] == '\0')
		return -EINVAL;
	if ((tp = tap_new(ifname)) == NULL)
		return -ENOMEM;
	tp->tp_mq = true;
	tp->tp_hp.hp_reattached = hp_link_index(ifname) != 0;
	if ((rc = tap_attach(tp, &tp->tp_mq)) < 0)
		goto fail;
	if (ioctl(tp->tp_fd, TUNSETOFFLOAD, 0) < 0 ||
	    ioctl(tp->tp_fd, TUNSETPERSIST, 1) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((tp->tp_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* The device the fd is on, not whatever has the name by now (a
	 * hotplug script's rename may come at any time: asked again). */
	for (tries = 0; tries < TAP_ATTACH_TRIES && tp->tp_ifindex == 0;
	    tries++)
		tp->tp_ifindex = tap_attached_ifindex(tp);
	if (tp->tp_ifindex == 0)
		tp->tp_ifindex = hp_link_index(ifname);
	/* tun's MAX_TAP_QUEUES */
	tp->tp_hp.hp_queues_max = tp->tp_mq ? 256 : 1;
	*out = &tp->tp_hp;
	return 0;
fail:
	/*
	 * A TAP we may have just made must not outlive a failed open; one
	 * that was there (a predecessor's, bridged) must not die of it.
	 */
	tap_close(&tp->tp_hp, !tp->tp_hp.hp_reattached);
	return rc;
}

/*
 * Another fd on the vif's TAP, found by its ifindex.  TUNSETIFF attaches
 * by name and makes the device if the name is free: with the TAP deleted
 * (by hand, between two connections), or renamed between our look and
 * the attach, it made a second, ownerless TAP that one queue of the vif
 * used, and that any local user could open.  Such a device is not the
 * vif's: closed (it goes, not persistent), and tried again if the vif's
 * TAP is still there (renamed under us); -ENODEV, a TAP lost, if it is
 * gone, and -EAGAIN if renames kept racing us.
 */
static int
tap_open_queue(struct hp *hp, struct hp **out)
{
	struct hptap *dev = tap_of(hp), *tp;
	char name[IF_NAMESIZE];
	bool mq = true;
	int rc, tries;

	if (!dev->tp_mq)
		return -ENOTSUP;
	if ((tp = tap_new(hp->hp_name)) == NULL)
		return -ENOMEM;
	tp->tp_queue = tp->tp_mq = true;
	tp->tp_ifindex = dev->tp_ifindex;
	for (tries = 0; (rc = tap_attach(tp, &mq)) == 0; tries++) {
		if (tap_attached_ifindex(tp) == dev->tp_ifindex)
			break;
		close(tp->tp_fd);	/* not the vif's: one we made goes */
		tp->tp_fd = -1;
		/* Gone, or only renamed under us (a hotplug script at work):
		 * only the first is a TAP lost, which the vif fails for. */
		if (if_indextoname(dev->tp_ifindex, name) == NULL) {
			rc = -ENODEV;
			break;
		}
		if (tries == TAP_ATTACH_TRIES - 1) {
			rc = -EAGAIN;
			break;
		}
	}
	if (rc < 0 ||
	    (tp->tp_sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		rc = rc < 0 ? rc : -errno;
		tap_close(&tp->tp_hp, false);
		return rc;
	}
	*out = &tp->tp_hp;
	return 0;
}

static int
tap_fd(struct hp *hp)
{
	return tap_of(hp)->tp_fd;
}

static ssize_t
tap_send(struct hp *hp, const struct virtio_net_hdr *vh,
    const struct iovec *iov, int iovcnt)
{
	static const struct virtio_net_hdr none;
	struct iovec v[1 + HP_IOV_MAX];
	ssize_t n;

	if (iovcnt < 0 || iovcnt > HP_IOV_MAX)
		return -EINVAL;
	v[0].iov_base = (void *)(uintptr_t)(vh != NULL ? vh : &none);
	v[0].iov_len = sizeof(*vh);
	memcpy(v + 1, iov, (size_t)iovcnt * sizeof(*iov));
	/* EIO: the interface is down; the frame is dropped like on a wire. */
	if ((n = writev(tap_of(hp)->tp_fd, v, iovcnt + 1)) < 0)
		return -errno;
	return n - (ssize_t)sizeof(*vh);
}

static ssize_t
tap_recv(struct hp *hp, struct virtio_net_hdr *vh, void *buf, size_t len)
{
	struct virtio_net_hdr discard;
	struct iovec v[2] = {
		{ vh != NULL ? vh : &discard, sizeof(*vh) }, { buf, len },
	};
	ssize_t n = readv(tap_of(hp)->tp_fd, v, 2);

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	/* tun returns the frame's whole length, header included. */
	if ((size_t)n < sizeof(*vh))
		return -EPROTO;
	return n - (ssize_t)sizeof(*vh);
}

static void
tap_send_batch(struct hp *hp, struct hp_txbuf *b, unsigned int n)
{
	if (n <= 1 || tap_batch_send(tap_of(hp)->tp_fd, b, n) != 0)
		hp_send_each(hp, b, n);
}

static ssize_t
tap_recv_batch(struct hp *hp, struct hp_rxbuf *b, unsigned int n)
{
	ssize_t rc;

	if (n > 1 && (rc = tap_batch_recv(tap_of(hp)->tp_fd, b, n)) != -ENOSYS)
		return rc;
	return hp_recv_each(hp, b, n);
}

static int
tap_set_offload(struct hp *hp, unsigned int tun_flags)
{
	return ioctl(tap_of(hp)->tp_fd, TUNSETOFFLOAD, (unsigned long)tun_flags)
	    < 0 ? -errno : 0;
}

static int
tap_set_up(struct hp *hp, bool up)
{
	struct hptap *tp = tap_of(hp);
	struct ifreq ifr;

	tap_ifreq(tp, &ifr);
	if (ioctl(tp->tp_sock, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ioctl(tp->tp_sock, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int
tap_set_mtu(struct hp *hp, unsigned int mtu)
{
	struct hptap *tp = tap_of(hp);
	struct ifreq ifr;

	tap_ifreq(tp, &ifr);
	ifr.ifr_mtu = (int)mtu;
	return ioctl(tp->tp_sock, SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
}

static int
tap_set_mac(struct hp *hp, const uint8_t mac[6])
{
	struct hptap *tp = tap_of(hp);
	struct ifreq ifr;

	tap_ifreq(tp, &ifr);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	return ioctl(tp->tp_sock, SIOCSIFHWADDR, &ifr) < 0 ? -errno : 0;
}

static int
tap_set_carrier(struct hp *hp, bool on)
{
	int v = on ? 1 : 0;

	return ioctl(tap_of(hp)->tp_fd, TUNSETCARRIER, &v) < 0 ? -errno : 0;
}

static int
tap_set_owner(struct hp *hp, uid_t uid)
{
	return ioctl(tap_of(hp)->tp_fd, TUNSETOWNER, (unsigned long)uid) < 0 ?
	    -errno : 0;
}

static int
tap_ifindex(struct hp *hp)
{
	struct hptap *tp = tap_of(hp);
	struct ifreq ifr;

	tap_ifreq(tp, &ifr);	/* refreshes hp_name too */
	return tp->tp_ifindex != 0 ? (int)tp->tp_ifindex : -ENODEV;
}

const struct hp_ops hp_tap_ops = {
	.name = "tap",
	.open = tap_open,
	.open_queue = tap_open_queue,
	.close = tap_close,
	.fd = tap_fd,
	.send = tap_send,
	.send_batch = tap_send_batch,
	.recv = tap_recv,
	.recv_batch = tap_recv_batch,
	.set_offload = tap_set_offload,
	.set_up = tap_set_up,
	.set_mtu = tap_set_mtu,
	.set_mac = tap_set_mac,
	.set_carrier = tap_set_carrier,
	.set_owner = tap_set_owner,
	.ifindex = tap_ifindex,
};
