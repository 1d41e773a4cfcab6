/*
 * t_hp_tap.c -- the TAP host port, for real: each case runs in a network
 * namespace of its own (unshare), so no interface of this machine is ever
 * touched and everything vanishes with the case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hp.h"
#include "t.h"

static bool
own_netns(struct t_ctx *t)
{
	return t_check(t, unshare(CLONE_NEWNET) == 0, __FILE__, __LINE__,
	    "unshare(CLONE_NEWNET): %s (needs root)", strerror(errno));
}

static void
t_lifecycle(struct t_ctx *t)
{
	struct hp *hp = NULL, *again = NULL;
	struct ifreq ifr;
	uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x13, 0x34, 0x56 };
	int s;

	if (!own_netns(t))
		return;
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif3i0", &hp) == 0);
	T_TRUE(t, hp_ifindex(hp) > 0);
	T_EQ(t, hp_set_mac(hp, mac), 0);
	T_EQ(t, hp_set_mtu(hp, 9000), 0);
	T_EQ(t, hp_set_up(hp, true), 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xvif3i0");
	T_EQ(t, ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	T_EQ(t, memcmp(ifr.ifr_hwaddr.sa_data, mac, 6), 0);
	T_EQ(t, ioctl(s, SIOCGIFMTU, &ifr), 0);
	T_EQ(t, ifr.ifr_mtu, 9000);
	T_EQ(t, ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	T_TRUE(t, ifr.ifr_flags & IFF_UP);
	/* Persistent: closing without destroy keeps it, with its MTU. */
	hp_close(hp, false);
	T_TRUE(t, if_nametoindex("xvif3i0") > 0);
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif3i0", &again) == 0);
	T_EQ(t, ioctl(s, SIOCGIFMTU, &ifr), 0);
	T_EQ(t, ifr.ifr_mtu, 9000);
	hp_close(again, true);
	T_EQ(t, if_nametoindex("xvif3i0"), 0);
	close(s);
}

static void
t_bad_names(struct t_ctx *t)
{
	struct hp *hp = NULL;

	if (!own_netns(t))
		return;
	T_EQ(t, hp_open(&hp_tap_ops, "", &hp), -EINVAL);
	T_EQ(t, hp_open(&hp_tap_ops, "0123456789abcdefg", &hp), -EINVAL);
	T_TRUE(t, hp_open(&hp_tap_ops, "bad/name", &hp) < 0);
	T_TRUE(t, hp == NULL);
}

/* A packet socket on the interface: the other end of the TAP. */
static int
packet_sock(struct t_ctx *t, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL) };
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!T_TRUE(t, s >= 0 && bind(s, (struct sockaddr *)&sll,
	    sizeof(sll)) == 0))
		return -1;
	return s;
}

static void
t_frames(struct t_ctx *t)
{
	struct hp *hp = NULL;
	struct pollfd pfd;
	uint8_t frame[1514], got[2048];
	struct iovec iov[2];
	ssize_t n;
	int ps, i;

	if (!own_netns(t))
		return;
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif4i1", &hp) == 0);
	T_REQUIRE(t, hp_set_up(hp, true) == 0);
	ps = packet_sock(t, "xvif4i1");
	T_REQUIRE(t, ps >= 0);
	memset(frame, 0xff, 6);				/* broadcast */
	memcpy(frame + 6, "\x00\x16\x3e\x00\x00\x09", 6);
	frame[12] = 0x88, frame[13] = 0xb5;		/* local experimental */
	for (i = 14; i < (int)sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	/* Host port -> interface, from two iovecs, arrives whole. */
	iov[0] = (struct iovec){ frame, 100 };
	iov[1] = (struct iovec){ frame + 100, sizeof(frame) - 100 };
	T_EQ(t, hp_send(hp, NULL, iov, 2), sizeof(frame));
	/*
	 * The packet socket also sees what the kernel sends by itself on a
	 * new interface (IPv6 MLD, ND): skip frames of other ethertypes.
	 */
	pfd = (struct pollfd){ .fd = ps, .events = POLLIN };
	n = -1;
	for (i = 0; i < 20; i++) {
		if (poll(&pfd, 1, 2000) != 1)
			break;
		n = recv(ps, got, sizeof(got), MSG_DONTWAIT);
		if (n >= 14 && got[12] == 0x88 && got[13] == 0xb5)
			break;
		n = -1;
	}
	T_EQ(t, n, sizeof(frame));
	T_EQ(t, memcmp(got, frame, sizeof(frame)), 0);
	/* Interface -> host port.  Drain what the kernel sent by itself. */
	while (hp_recv(hp, NULL, got, sizeof(got)) > 0)
		;
	T_EQ(t, send(ps, frame, 60, 0), 60);
	pfd = (struct pollfd){ .fd = hp_fd(hp), .events = POLLIN };
	n = 0;
	for (i = 0; i < 20 && n != 60; i++) {
		(void)poll(&pfd, 1, 100);
		n = hp_recv(hp, NULL, got, sizeof(got));
	}
	T_EQ(t, n, 60);
	T_EQ(t, memcmp(got, frame, 60), 0);
	T_EQ(t, hp_recv(hp, NULL, got, sizeof(got)) >= 0, 1);	/* 0: none, never blocks */
	close(ps);
	hp_close(hp, true);
}

/* A frame of ethertype 0x88b5 (local experimental) from src to broadcast. */
static void
test_frame(uint8_t *f, size_t len, uint8_t src)
{
	size_t i;

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x00\x16\x3e\x00\x00", 5);
	f[11] = src;
	f[12] = 0x88, f[13] = 0xb5;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(i + src);
}

/*
 * Queues: four fds on one TAP, a frame sent on any enters the one
 * interface, a frame from the interface comes out of one of them, a
 * closed queue takes only itself away.  A TAP made single-queue (by hand,
 * or by an older xvifd) is attached to as it is, and has no second queue.
 */
static void
t_queues(struct t_ctx *t)
{
	struct hp *hp = NULL, *q[3] = { NULL }, *all[4];
	struct pollfd pfd[4];
	struct ifreq ifr;
	uint8_t frame[200], got[2048];
	struct iovec iov;
	ssize_t n;
	int ps, i, k, fd, from = -1;

	if (!own_netns(t))
		return;
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif5i0", &hp) == 0);
	for (i = 0; i < 3; i++)
		T_REQUIRE(t, hp_open_queue(hp, &q[i]) == 0);
	T_TRUE(t, hp_fd(q[0]) != hp_fd(hp) && hp_fd(q[2]) != hp_fd(q[1]));
	T_REQUIRE(t, hp_set_up(q[1], true) == 0);	/* the device's */
	ps = packet_sock(t, "xvif5i0");
	T_REQUIRE(t, ps >= 0);
	test_frame(frame, sizeof(frame), 7);
	iov = (struct iovec){ frame, sizeof(frame) };
	T_EQ(t, hp_send(q[2], NULL, &iov, 1), sizeof(frame));
	n = -1;
	for (i = 0; i < 20; i++) {
		pfd[0] = (struct pollfd){ .fd = ps, .events = POLLIN };
		if (poll(pfd, 1, 2000) != 1)
			break;
		n = recv(ps, got, sizeof(got), MSG_DONTWAIT);
		if (n >= 14 && got[12] == 0x88 && got[13] == 0xb5)
			break;
		n = -1;
	}
	T_EQ(t, n, sizeof(frame));
	/* Interface -> one of the queues. */
	all[0] = hp, all[1] = q[0], all[2] = q[1], all[3] = q[2];
	for (k = 0; k < 4; k++)
		while (hp_recv(all[k], NULL, got, sizeof(got)) > 0)
			;
	T_EQ(t, send(ps, frame, 60, 0), 60);
	for (i = 0; i < 20 && from < 0; i++) {
		for (k = 0; k < 4; k++)
			pfd[k] = (struct pollfd){ .fd = hp_fd(all[k]),
			    .events = POLLIN };
		(void)poll(pfd, 4, 100);
		for (k = 0; k < 4 && from < 0; k++)
			if (hp_recv(all[k], NULL, got, sizeof(got)) == 60 &&
			    memcmp(got, frame, 60) == 0)
				from = k;
	}
	T_TRUE(t, from >= 0);
	/* A queue goes alone, even when asked to destroy. */
	hp_close(q[1], true);
	T_TRUE(t, if_nametoindex("xvif5i0") > 0);
	T_EQ(t, hp_send(q[0], NULL, &iov, 1), sizeof(frame));
	hp_close(q[0], false);
	hp_close(q[2], false);
	hp_close(hp, true);
	T_EQ(t, if_nametoindex("xvif5i0"), 0);
	close(ps);

	/* Made single-queue by someone else: attached to, one queue. */
	fd = open("/dev/net/tun", O_RDWR);
	T_REQUIRE(t, fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xvif5i1");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	T_REQUIRE(t, ioctl(fd, TUNSETIFF, &ifr) == 0);
	T_REQUIRE(t, ioctl(fd, TUNSETPERSIST, 1) == 0);
	close(fd);
	hp = NULL;
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif5i1", &hp) == 0);
	q[0] = NULL;
	T_EQ(t, hp_open_queue(hp, &q[0]), -ENOTSUP);
	T_TRUE(t, q[0] == NULL);
	hp_close(hp, true);
	T_EQ(t, if_nametoindex("xvif5i1"), 0);
}

const struct t_case t_cases[] = {
	{ "tap: create, mac, mtu, up, persistent, destroy", t_lifecycle },
	{ "tap: bad names refused", t_bad_names },
	{ "tap: frames both ways, whole", t_frames },
	{ "tap: queues, and a TAP made single-queue", t_queues },
	{ NULL, NULL }
};
