/*
 * host.c -- `xvif-sim host --dir DIR`: the simulated Xen host.  Sets up
 * the hypervisor's files (hvsim.c) and runs the XenStore server (xsd.h)
 * in the foreground until SIGTERM or SIGINT, then removes its sockets and
 * exits 0.  Owns only option parsing and signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hvsim.h"
#include "sim.h"
#include "xsd.h"

static volatile int host_stop;

static void
host_signal(int sig)
{
	(void)sig;
	host_stop = 1;
}

int
simcmd_host(int argc, char **argv)
{
	struct sigaction sa;
	const char *dir = NULL;
	struct xsd x;
	struct stat st;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(stderr, "xvif-sim: host: unknown argument "
			    "'%s' (usage: xvif-sim host --dir DIR)\n", argv[i]);
			return 2;
		}
	}
	if (dir == NULL) {
		fprintf(stderr, "xvif-sim: host: --dir DIR is required\n");
		return 2;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "xvif-sim: host: %s is not a directory: "
		    "create it first\n", dir);
		return 1;
	}
	if ((rc = hvsim_host_init(dir)) < 0) {
		fprintf(stderr, "xvif-sim: host: set up the hypervisor in %s: "
		    "%s\n", dir, strerror(-rc));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_signal;	/* no SA_RESTART: epoll_wait wakes */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = xsd_init(&x)) < 0) {
		fprintf(stderr, "xvif-sim: host: %s\n", strerror(-rc));
		return 1;
	}
	rc = xsd_serve(&x, dir, &host_stop);
	xsd_fini(&x);
	if (rc < 0) {
		fprintf(stderr, "xvif-sim: host: XenStore in %s: %s\n", dir,
		    strerror(-rc));
		return 1;
	}
	return 0;
}
