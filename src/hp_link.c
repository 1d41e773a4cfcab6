/*
 * hp_link.c -- an interface's index by its name, asked of rtnetlink
 * (RTM_GETLINK with IFLA_IFNAME), as ip(8) asks.
 *
 * Not if_nametoindex(3): its SIOCGIFINDEX makes the kernel load a module
 * for a name that is not there (dev_load: "netdev-<name>" when the caller
 * has CAP_NET_ADMIN, as xvifd has), and the ioctl waits for modprobe to
 * run and fail.  A new vif's interface is looked for under two or three
 * names that are not there yet: in an emulated dom0 that was 100 ms a
 * look-up and most of a hot plug's time to InitWait.  RTM_GETLINK loads
 * nothing.
 *
 * One socket for the process, opened before the seccomp filter (which
 * allows no netlink socket to be made) by hp_link_open, else on the
 * first look-up; if none can be had, if_nametoindex(3) is the fallback.
 * A mutex makes look-ups from several threads take turns.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "hp.h"

static pthread_mutex_t	hp_link_mu = PTHREAD_MUTEX_INITIALIZER;
static int		hp_link_fd = -1;
static uint32_t		hp_link_seq;
/* A reply: one RTM_NEWLINK without its statistics (RTEXT_FILTER_SKIP_
 * STATS) is a kilobyte or two; a longer one is cut, its header kept. */
static char		hp_link_buf[16384] __attribute__((aligned(4)));

static int
hp_link_open_locked(void)
{
	int fd;

	if (hp_link_fd >= 0)
		return 0;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0)
		return -errno;
	hp_link_fd = fd;
	return 0;
}

int
hp_link_open(void)
{
	int rc;

	pthread_mutex_lock(&hp_link_mu);
	rc = hp_link_open_locked();
	pthread_mutex_unlock(&hp_link_mu);
	return rc;
}

/* Ask for name; its ifindex, 0 if there is none, -errno if not told. */
static int
hp_link_ask(const char *name)
{
	struct {
		struct nlmsghdr		nh;
		struct ifinfomsg	ifi;
		char			attrs[RTA_SPACE(IFNAMSIZ) +
					    RTA_SPACE(sizeof(uint32_t))];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov = { hp_link_buf, sizeof(hp_link_buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct rtattr *rta;
	struct nlmsghdr *nh;
	uint32_t mask = RTEXT_FILTER_SKIP_STATS, seq = ++hp_link_seq;
	size_t len = strlen(name);
	ssize_t n;
	int tries;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = IFLA_IFNAME;
	rta->rta_len = (unsigned short)RTA_LENGTH(len + 1);
	memcpy(RTA_DATA(rta), name, len + 1);
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) +
	    RTA_ALIGN(rta->rta_len);
	rta = (struct rtattr *)((char *)&req + req.nh.nlmsg_len);
	rta->rta_type = IFLA_EXT_MASK;
	rta->rta_len = RTA_LENGTH(sizeof(mask));
	memcpy(RTA_DATA(rta), &mask, sizeof(mask));
	req.nh.nlmsg_len += RTA_ALIGN(rta->rta_len);
	if (sendto(hp_link_fd, &req, req.nh.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/*
	 * The kernel answers before sendto returns; replies to an earlier
	 * question (one given up on) are passed over by their sequence.
	 */
	for (tries = 0; tries < 8; tries++) {
		if ((n = recvmsg(hp_link_fd, &msg, MSG_DONTWAIT)) < 0)
			return -errno;
		nh = (struct nlmsghdr *)hp_link_buf;
		if ((size_t)n < sizeof(*nh) || nh->nlmsg_seq != seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR &&
		    (size_t)n >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			int err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;

			return err == -ENODEV ? 0 : err < 0 ? err : -EPROTO;
		}
		if (nh->nlmsg_type == RTM_NEWLINK &&
		    (size_t)n >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			return ((struct ifinfomsg *)NLMSG_DATA(nh))->ifi_index;
		return -EPROTO;
	}
	return -EAGAIN;
}

unsigned int
hp_link_index(const char *name)
{
	int rc = -ENOTSUP;

	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ)
		return 0;
	pthread_mutex_lock(&hp_link_mu);
	if (hp_link_open_locked() == 0)
		rc = hp_link_ask(name);
	pthread_mutex_unlock(&hp_link_mu);
	if (rc >= 0)
		return (unsigned int)rc;
	/* Not told (no netlink here, or a reply lost): the old way. */
	return if_nametoindex(name);
}
