/*
 * taprelay -- the benchmark's userspace reference: one TAP in each of two
 * network namespaces and a single-threaded loop that copies every frame
 * from one to the other, through the same TAP port (src/hp_tap.c) xvifd
 * uses.  What xvif costs beyond it is the Xen part: rings, grant copies,
 * event channels and the netfront on the other side.
 *
 *   taprelay [--offload] NS_A IF_A NS_B IF_B    runs until SIGTERM/SIGINT
 *
 * Plain, the kernel hands the relay finished frames of at most the MTU,
 * and the relay sends them without offloads.  With --offload both TAPs
 * take checksum and TSO offloads (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
 * and each frame's virtio_net_hdr is passed on unchanged: a TCP superframe
 * of up to 64 KiB crosses in one read and one write, with its checksum
 * still to be filled, which is the most a userspace relay can do.
 *
 * The interfaces are deleted on exit.  Prints "relayed N frames, dropped M
 * too long" at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp.h"

#define RELAY_BUDGET	64	/* frames one way before looking the other */
/*
 * A TSO superframe is at most 64 KiB (the TAP's gso_max_size) plus its
 * Ethernet and VLAN headers; 1 KiB more leaves room.  Anything longer is
 * dropped, never sent truncated.
 */
#define RELAY_BUFLEN	(65536 + 1024)
#define RELAY_OFFLOADS	(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

struct relay_stats {
	unsigned long	rs_frames;	/* relayed */
	unsigned long	rs_toolong;	/* longer than RELAY_BUFLEN, dropped */
};

static volatile sig_atomic_t relay_stop;

static void
relay_on_signal(int sig)
{
	relay_stop = 1;
}

/* Open (create) the TAP called ifname inside netns ns. */
static struct hp *
relay_open(const char *ns, const char *ifname, bool offload)
{
	char path[128];
	struct hp *hp;
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "taprelay: netns %s: %s\n", ns,
		    strerror(errno));
		exit(1);
	}
	close(fd);
	if ((rc = hp_open(&hp_tap_ops, ifname, &hp)) < 0 ||
	    (offload && (rc = hp_set_offload(hp, RELAY_OFFLOADS)) < 0) ||
	    (rc = hp_set_carrier(hp, true)) < 0) {
		fprintf(stderr, "taprelay: %s in %s: %s\n", ifname, ns,
		    strerror(-rc));
		exit(1);
	}
	return hp;
}

/*
 * Up to RELAY_BUDGET frames from one TAP to the other; with offload, each
 * with the virtio_net_hdr it came with.
 */
static void
relay_some(struct hp *from, struct hp *to, bool offload, unsigned char *buf,
    size_t len, struct relay_stats *rs)
{
	struct virtio_net_hdr vh, *vhp = offload ? &vh : NULL;
	struct iovec iov;
	ssize_t got;
	int n;

	for (n = 0; n < RELAY_BUDGET; n++) {
		if ((got = hp_recv(from, vhp, buf, len)) <= 0)
			break;
		if ((size_t)got > len) {
			rs->rs_toolong++;
			continue;
		}
		iov.iov_base = buf;
		iov.iov_len = (size_t)got;
		(void)hp_send(to, vhp, &iov, 1);	/* full: dropped, as a NIC */
		rs->rs_frames++;
	}
}

int
main(int argc, char **argv)
{
	static unsigned char buf[RELAY_BUFLEN];
	struct relay_stats rs = { 0, 0 };
	struct pollfd pfd[2];
	struct hp *a, *b;
	bool offload = false;

	if (argc > 1 && strcmp(argv[1], "--offload") == 0) {
		offload = true;
		argc--;
		argv++;
	}
	if (argc != 5) {
		fprintf(stderr,
		    "usage: taprelay [--offload] NS_A IF_A NS_B IF_B\n");
		return 2;
	}
	signal(SIGTERM, relay_on_signal);
	signal(SIGINT, relay_on_signal);
	a = relay_open(argv[1], argv[2], offload);
	b = relay_open(argv[3], argv[4], offload);
	pfd[0].fd = hp_fd(a);
	pfd[1].fd = hp_fd(b);
	pfd[0].events = pfd[1].events = POLLIN;
	while (!relay_stop) {
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("taprelay: poll");
			break;
		}
		if (pfd[0].revents & POLLIN)
			relay_some(a, b, offload, buf, sizeof(buf), &rs);
		if (pfd[1].revents & POLLIN)
			relay_some(b, a, offload, buf, sizeof(buf), &rs);
	}
	hp_close(a, true);
	hp_close(b, true);
	printf("taprelay: relayed %lu frames, dropped %lu too long\n",
	    rs.rs_frames, rs.rs_toolong);
	return 0;
}
