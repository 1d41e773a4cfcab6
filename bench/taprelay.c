/*
 * taprelay -- the benchmark's userspace reference: one TAP in each of two
 * network namespaces and a single-threaded loop that copies every frame
 * from one to the other, through the same TAP port (src/hp_tap.c) xvifd
 * uses.  What xvif costs beyond it is the Xen part: rings, grant copies,
 * event channels and the netfront on the other side.
 *
 *   taprelay NS_A IF_A NS_B IF_B    runs until SIGTERM/SIGINT
 *
 * The interfaces are deleted on exit.  Prints "relayed N frames" at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hp.h"

#define RELAY_BUDGET	64	/* frames one way before looking the other */

static volatile sig_atomic_t relay_stop;

static void
relay_on_signal(int sig)
{
	relay_stop = 1;
}

/* Open (create) the TAP called ifname inside netns ns. */
static struct hp *
relay_open(const char *ns, const char *ifname)
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
	    (rc = hp_set_carrier(hp, true)) < 0) {
		fprintf(stderr, "taprelay: %s in %s: %s\n", ifname, ns,
		    strerror(-rc));
		exit(1);
	}
	return hp;
}

/* Up to RELAY_BUDGET frames from one TAP to the other. */
static unsigned long
relay_some(struct hp *from, struct hp *to, unsigned char *buf, size_t len)
{
	struct iovec iov;
	unsigned long n;
	ssize_t got;

	for (n = 0; n < RELAY_BUDGET; n++) {
		if ((got = hp_recv(from, NULL, buf, len)) <= 0)
			break;
		iov.iov_base = buf;
		iov.iov_len = (size_t)got > len ? len : (size_t)got;
		(void)hp_send(to, NULL, &iov, 1);	/* full: dropped, as a NIC */
	}
	return n;
}

int
main(int argc, char **argv)
{
	static unsigned char buf[65536];
	struct pollfd pfd[2];
	struct hp *a, *b;
	unsigned long frames = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: taprelay NS_A IF_A NS_B IF_B\n");
		return 2;
	}
	signal(SIGTERM, relay_on_signal);
	signal(SIGINT, relay_on_signal);
	a = relay_open(argv[1], argv[2]);
	b = relay_open(argv[3], argv[4]);
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
			frames += relay_some(a, b, buf, sizeof(buf));
		if (pfd[1].revents & POLLIN)
			frames += relay_some(b, a, buf, sizeof(buf));
	}
	hp_close(a, true);
	hp_close(b, true);
	printf("taprelay: relayed %lu frames\n", frames);
	return 0;
}
