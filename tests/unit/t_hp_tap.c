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
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <seccomp.h>

#include "hp.h"
#include "hp_tap_batch.h"
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

/*
 * A re-open of a live, persistent TAP (a restarted xvifd's) that fails
 * after attaching -- here its ioctl socket, for want of an fd -- must not
 * take the interface (the guest's bridge port, its addresses) with it.
 */
static void
t_reopen_fails(struct t_ctx *t)
{
	struct hp *hp = NULL, *again = NULL;
	struct rlimit rl, low;
	int fd;

	if (!own_netns(t))
		return;
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif5i0", &hp) == 0);
	hp_close(hp, false);
	T_REQUIRE(t, if_nametoindex("xvif5i0") > 0);
	/* Room for /dev/net/tun's fd, none for the socket after it. */
	T_REQUIRE(t, (fd = dup(0)) >= 0);
	close(fd);
	T_REQUIRE(t, getrlimit(RLIMIT_NOFILE, &rl) == 0);
	low = rl;
	low.rlim_cur = (rlim_t)fd + 1;
	T_REQUIRE(t, setrlimit(RLIMIT_NOFILE, &low) == 0);
	T_EQ(t, hp_open(&hp_tap_ops, "xvif5i0", &again), -EMFILE);
	T_REQUIRE(t, setrlimit(RLIMIT_NOFILE, &rl) == 0);
	T_TRUE(t, if_nametoindex("xvif5i0") > 0);
	/* A TAP the failed open made itself does go. */
	T_REQUIRE(t, setrlimit(RLIMIT_NOFILE, &low) == 0);
	T_EQ(t, hp_open(&hp_tap_ops, "xvif6i0", &again), -EMFILE);
	T_REQUIRE(t, setrlimit(RLIMIT_NOFILE, &rl) == 0);
	T_EQ(t, if_nametoindex("xvif6i0"), 0);
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
	close(ps);
	/*
	 * The TAP deleted under the vif (no queue open but the first, whose
	 * fd still holds the dead device), then another queue: refused as
	 * lost, and no new device of that name -- TUNSETIFF by name made
	 * an ownerless TAP any local user could open.
	 */
	T_REQUIRE(t, system("ip link del xvif5i0") == 0);
	q[0] = NULL;
	T_EQ(t, hp_open_queue(hp, &q[0]), -ENODEV);
	T_TRUE(t, q[0] == NULL);
	T_EQ(t, if_nametoindex("xvif5i0"), 0);
	hp_close(hp, true);
	T_EQ(t, if_nametoindex("xvif5i0"), 0);

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

/* This namespace's new interfaces get no IPv6. */
static bool
no_ipv6(void)
{
	int fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	bool ok = fd >= 0 && write(fd, "1\n", 2) == 2;

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A TAP called name, up, in a namespace of this case's own without IPv6
 * (its frames, MLD and ND, would come between ours), and a packet socket
 * on it: the socket, or -1.
 */
static int
quiet_tap(struct t_ctx *t, const char *name, struct hp **hp)
{
	if (!own_netns(t) || !T_TRUE(t, no_ipv6()) ||
	    !T_TRUE(t, hp_open(&hp_tap_ops, name, hp) == 0))
		return -1;
	if (!T_TRUE(t, hp_set_up(*hp, true) == 0))
		return -1;
	return packet_sock(t, name);
}

/* n batch entries on n buffers of cap bytes from base. */
static void
rx_bufs(struct hp_rxbuf *b, unsigned int n, uint8_t *base, size_t cap)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = (struct hp_rxbuf){ .rb_buf = base + i * cap,
		    .rb_cap = cap };
}

/*
 * Frames 1..n of test_frame, each len bytes, into the TAP's interface
 * (out of its fd), after what the kernel sent by itself is drained.
 */
static bool
batch_feed(struct t_ctx *t, struct hp *hp, int ps, int n, size_t len)
{
	uint8_t frame[1514], got[2048];
	struct pollfd pfd = { .fd = hp_fd(hp), .events = POLLIN };
	int i;

	while (hp_recv(hp, NULL, got, sizeof(got)) > 0)
		;
	for (i = 1; i <= n; i++) {
		test_frame(frame, len, (uint8_t)i);
		if (!T_EQ(t, send(ps, frame, len, 0), (ssize_t)len))
			return false;
	}
	return T_EQ(t, poll(&pfd, 1, 2000), 1);
}

/*
 * Reads in batches (io_uring, or one readv a frame without it, io_uring
 * off): every frame there, in the order sent, the buffers only swapped,
 * a frame longer than its buffer cut at its end, nothing
 * when there is nothing (at once: no read is left waiting), and an error
 * once the interface is gone.
 */
static void
batch_case(struct t_ctx *t, bool uring)
{
	static uint8_t stage[8][256];
	struct hp_rxbuf b[8];
	struct hp *hp = NULL;
	uint8_t want[256];
	ssize_t n;
	int ps, i, k, round;

	if (!uring)
		tap_batch_disable();
	T_EQ(t, tap_batch_enabled(), uring);
	if ((ps = quiet_tap(t, "xvif6i0", &hp)) < 0)
		return;
	rx_bufs(b, 8, stage[0], sizeof(stage[0]));
	for (round = 0; round < 3; round++) {
		T_REQUIRE(t, batch_feed(t, hp, ps, 5, 60 + round));
		n = 0;
		for (i = 0; i < 20 && n < 5; i++) {
			k = (int)hp_recv_batch(hp, b + n, 8 - (unsigned int)n);
			if (!T_TRUE(t, k >= 0))
				break;
			n += k;
			if (n < 5)
				usleep(10000);
		}
		T_EQ(t, n, 5);
		for (i = 0; i < n; i++) {
			test_frame(want, 60 + (size_t)round, (uint8_t)(i + 1));
			T_EQ(t, b[i].rb_len, 60 + round);
			T_EQ(t, memcmp(b[i].rb_buf, want, 60 + round), 0);
		}
		/* Still the eight buffers, each once. */
		for (i = 0; i < 8; i++)
			for (k = 0; k < 8; k++)
				if (b[k].rb_buf == stage[i])
					break;
		T_EQ(t, i, 8);
		T_EQ(t, hp_recv_batch(hp, b, 8), 0);
	}
	/* io_uring was there, and was used (not silently given up). */
	T_EQ(t, tap_batch_enabled(), uring);
	/* Longer than its buffer: cut at the buffer's end (tun says so). */
	T_REQUIRE(t, batch_feed(t, hp, ps, 1, 1000));
	T_EQ(t, hp_recv_batch(hp, b, 8), 1);
	T_EQ(t, b[0].rb_len, sizeof(stage[0]));
	test_frame(want, sizeof(want), 1);
	T_EQ(t, memcmp(b[0].rb_buf, want, sizeof(want)), 0);
	/* The interface deleted: an error, not a wait. */
	T_EQ(t, system("ip link del xvif6i0"), 0);
	T_TRUE(t, hp_recv_batch(hp, b, 8) < 0);
	close(ps);
	hp_close(hp, true);
}

static void
t_batch_uring(struct t_ctx *t)
{
	batch_case(t, true);
}

static void
t_batch_readv(struct t_ctx *t)
{
	batch_case(t, false);
}

/* The sender of t_batch_race: BATCH_RACE_N numbered frames, unevenly. */
#define BATCH_RACE_N	3000
static volatile bool race_done;
static volatile int race_got;		/* frames the reader has */
static volatile int race_late;		/* one it did not get in 1 s */
static void *
race_sender(void *arg)
{
	int ps = *(int *)arg, i, spin, tries;
	uint8_t frame[64];

	for (i = 0; i < BATCH_RACE_N; i++) {
		test_frame(frame, sizeof(frame), 0);
		frame[14] = (uint8_t)(i >> 8);
		frame[15] = (uint8_t)i;
		/* Refused (no buffer for it yet): send it again. */
		for (tries = 0; send(ps, frame, sizeof(frame), 0) !=
		    (ssize_t)sizeof(frame) && tries < 20000; tries++)
			usleep(100);
		/* A few microseconds apart: the reader finds the TAP empty,
		 * its reads wait, and frames arrive while they are made. */
		for (spin = 0; spin < 200 + (i % 13) * 300; spin++)
			__asm__ volatile("" ::: "memory");
		/*
		 * After a burst of one to three, wait for the reader to have
		 * them: a frame a read took must come out of its call at
		 * once, not when the next frame comes (an early version kept
		 * it there: a TCP sender's last ACK waited for its next).
		 */
		if (i % 3 != 2 && i + 1 < BATCH_RACE_N)
			continue;
		for (tries = 0; race_got <= i && tries < 10000; tries++)
			usleep(100);
		if (race_got <= i) {
			race_late = i;
			break;
		}
	}
	race_done = true;
	return NULL;
}

/*
 * Frames that arrive while a batch is being read: each read that found
 * none waits for one, and is cancelled; one woken by a frame that an
 * earlier read took waits again after the cancel went by.  Every frame
 * must come out, in order, and no call may sit waiting for the next
 * frame (an early version did: the last frame then never came out).
 */
static void
t_batch_race(struct t_ctx *t)
{
	static uint8_t stage[8][128];
	struct hp_rxbuf b[8];
	struct hp *hp = NULL;
	struct pollfd pfd;
	pthread_t th;
	int ps, i, k, want = 0, idle = 0;

	if ((ps = quiet_tap(t, "xvif6i1", &hp)) < 0)
		return;
	rx_bufs(b, 8, stage[0], sizeof(stage[0]));
	while (hp_recv_batch(hp, b, 8) > 0)
		;
	race_got = 0;
	race_late = -1;
	T_REQUIRE(t, pthread_create(&th, NULL, race_sender, &ps) == 0);
	pfd = (struct pollfd){ .fd = hp_fd(hp), .events = POLLIN };
	/* Bounded: 2 s without a frame ends it. */
	while (want < BATCH_RACE_N && idle < 200) {
		k = (int)hp_recv_batch(hp, b, 1 + (unsigned int)want % 8);
		if (!T_TRUE(t, k >= 0))
			break;
		for (i = 0; i < k; i++) {
			const uint8_t *f = b[i].rb_buf;

			if (b[i].rb_len != 64 || f[12] != 0x88 || f[13] != 0xb5)
				continue;
			if (!T_EQ(t, (f[14] << 8 | f[15]), want & 0xffff))
				goto out;
			race_got = ++want;
		}
		if (k == 0 && race_done)
			idle += poll(&pfd, 1, 10) == 0;
		else if (k > 0)
			idle = 0;
	}
out:
	pthread_join(th, NULL);
	T_TRUE(t, tap_batch_enabled());
	T_EQ(t, race_late, -1);
	T_EQ(t, want, BATCH_RACE_N);
	close(ps);
	hp_close(hp, true);
}

/*
 * Writes in batches (io_uring, or one writev a frame): each frame whole,
 * in order, each result its length; with the interface down each says
 * EIO (tun drops them, as a wire would).
 */
static void
send_batch_case(struct t_ctx *t, bool uring)
{
	static uint8_t frames[5][300];
	struct hp_txbuf b[5];
	struct pollfd pfd;
	struct hp *hp = NULL;
	uint8_t got[2048];
	ssize_t n;
	int ps, i, k = 0, tries;

	if (!uring)
		tap_batch_disable();
	if ((ps = quiet_tap(t, "xvif6i2", &hp)) < 0)
		return;
	for (i = 0; i < 5; i++) {
		test_frame(frames[i], 100 + 40 * (size_t)i, (uint8_t)(i + 1));
		b[i] = (struct hp_txbuf){ .tb_buf = frames[i],
		    .tb_len = 100 + 40 * (size_t)i, .tb_res = -1 };
	}
	hp_send_batch(hp, b, 5);
	for (i = 0; i < 5; i++)
		T_EQ(t, b[i].tb_res, 100 + 40 * i);
	T_EQ(t, tap_batch_enabled(), uring);
	pfd = (struct pollfd){ .fd = ps, .events = POLLIN };
	for (tries = 0; k < 5 && tries < 50; tries++) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		n = recv(ps, got, sizeof(got), MSG_DONTWAIT);
		if (n < 14 || got[12] != 0x88 || got[13] != 0xb5)
			continue;
		T_EQ(t, n, 100 + 40 * k);
		T_EQ(t, memcmp(got, frames[k], (size_t)n), 0);
		k++;
	}
	T_EQ(t, k, 5);
	T_REQUIRE(t, hp_set_up(hp, false) == 0);
	hp_send_batch(hp, b, 5);
	for (i = 0; i < 5; i++)
		T_EQ(t, b[i].tb_res, -EIO);
	close(ps);
	hp_close(hp, true);
}

static void
t_send_batch_uring(struct t_ctx *t)
{
	send_batch_case(t, true);
}

static void
t_send_batch_writev(struct t_ctx *t)
{
	send_batch_case(t, false);
}

/*
 * hp_link_index (rtnetlink) finds what if_nametoindex finds -- a renamed
 * interface under its new name only -- and 0 for a name that is not
 * there or cannot be one; a thousand look-ups in a row leave no reply
 * behind that the next would take for its own.
 */
static void
t_link_index(struct t_ctx *t)
{
	struct hp *hp = NULL;
	struct ifreq ifr;
	scmp_filter_ctx sc;
	unsigned int idx;
	int i, s;

	if (!own_netns(t))
		return;
	T_TRUE(t, hp_link_index("lo") > 0);
	T_EQ(t, hp_link_index("lo"), if_nametoindex("lo"));
	T_EQ(t, hp_link_index("xvif9i9"), 0);
	T_EQ(t, hp_link_index(""), 0);
	T_EQ(t, hp_link_index("name-longer-than-ifnamsiz"), 0);
	T_REQUIRE(t, hp_open(&hp_tap_ops, "xvif3i0", &hp) == 0);
	idx = (unsigned int)hp_ifindex(hp);
	T_TRUE(t, idx > 0);
	T_EQ(t, hp_link_index("xvif3i0"), idx);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xvif3i0");
	strcpy(ifr.ifr_newname, "renamed0");
	T_EQ(t, ioctl(s, SIOCSIFNAME, &ifr), 0);
	close(s);
	T_EQ(t, hp_link_index("xvif3i0"), 0);
	T_EQ(t, hp_link_index("renamed0"), idx);
	for (i = 0; i < 1000; i++)
		if (hp_link_index(i % 2 ? "renamed0" : "xvif3i0") !=
		    (i % 2 ? idx : 0))
			break;
	T_EQ(t, i, 1000);
	hp_close(hp, true);
	T_EQ(t, hp_link_index("renamed0"), 0);
	/* Not by SIOCGIFINDEX (the ioctl that runs modprobe): refused
	 * here, if_nametoindex cannot tell, hp_link_index still can. */
	T_REQUIRE(t, (sc = seccomp_init(SCMP_ACT_ALLOW)) != NULL);
	T_EQ(t, seccomp_rule_add(sc, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl),
	    1, SCMP_A1(SCMP_CMP_EQ, SIOCGIFINDEX)), 0);
	T_EQ(t, seccomp_load(sc), 0);
	seccomp_release(sc);
	T_EQ(t, if_nametoindex("lo"), 0);
	T_EQ(t, hp_link_index("lo"), 1);
}

const struct t_case t_cases[] = {
	{ "tap: create, mac, mtu, up, persistent, destroy", t_lifecycle },
	{ "tap: bad names refused", t_bad_names },
	{ "link: interfaces by name through rtnetlink", t_link_index },
	{ "tap: a failed re-open leaves the live interface", t_reopen_fails },
	{ "tap: frames both ways, whole", t_frames },
	{ "tap: queues, and a TAP made single-queue", t_queues },
	{ "tap: frames read in batches, io_uring", t_batch_uring },
	{ "tap: frames read in batches, one readv each", t_batch_readv },
	{ "tap: batches while frames arrive: all, in order", t_batch_race },
	{ "tap: frames written in batches, io_uring", t_send_batch_uring },
	{ "tap: frames written in batches, one writev each",
	    t_send_batch_writev },
	{ NULL, NULL }
};
