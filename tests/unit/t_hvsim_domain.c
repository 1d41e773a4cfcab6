/*
 * t_hvsim_domain.c -- the simulated hypervisor's domain lifecycle: ids,
 * concurrent creation, destruction, opening.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvsim.h"
#include "t.h"

static bool
dom_file(const char *dir, domid_t id)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/dom%u.mem", dir, (unsigned int)id);
	return stat(path, &st) == 0;
}

static void
t_lowest_free_id(struct t_ctx *t)
{
	const char *dir = t_tmpdir(t);
	domid_t a, b, c, d;

	T_EQ(t, hvsim_host_init(dir), 0);
	T_EQ(t, hvsim_host_init(dir), 0);		/* idempotent */
	T_EQ(t, hvsim_domain_exists(dir, 0), 1);
	T_EQ(t, hvsim_domain_create(dir, 4, &a), 0);
	T_EQ(t, hvsim_domain_create(dir, 4, &b), 0);
	T_EQ(t, hvsim_domain_create(dir, 4, &c), 0);
	T_EQ(t, a, 1);
	T_EQ(t, b, 2);
	T_EQ(t, c, 3);
	T_EQ(t, hvsim_domain_destroy(dir, 2), 0);
	T_EQ(t, hvsim_domain_exists(dir, 2), 0);
	T_TRUE(t, !dom_file(dir, 2));
	T_EQ(t, hvsim_domain_create(dir, 4, &d), 0);
	T_EQ(t, d, 2);
	T_EQ(t, hvsim_domain_exists(dir, 2), 1);
	T_TRUE(t, dom_file(dir, 2));
	T_EQ(t, hvsim_domain_destroy(dir, 1), 0);
	T_EQ(t, hvsim_domain_exists(dir, 1), 0);
	T_TRUE(t, !dom_file(dir, 1));
	T_EQ(t, hvsim_domain_destroy(dir, 1), -ESRCH);
	T_EQ(t, hvsim_domain_destroy(dir, 77), -ESRCH);
	T_EQ(t, hvsim_domain_exists(dir, 77), 0);
}

static void
t_concurrent_creates(struct t_ctx *t)
{
	const char *dir = t_tmpdir(t);
	int fds[2], i, k, seen[64] = { 0 }, dup = 0, n = 0;
	pid_t pids[2];
	domid_t id;
	struct pollfd pfd;

	T_REQUIRE(t, hvsim_host_init(dir) == 0);
	T_REQUIRE(t, pipe(fds) == 0);
	for (k = 0; k < 2; k++) {
		if ((pids[k] = fork()) == 0) {
			close(fds[0]);
			for (i = 0; i < 20; i++) {
				if (hvsim_domain_create(dir, 2, &id) < 0)
					_exit(1);
				if (write(fds[1], &id, sizeof(id)) !=
				    (ssize_t)sizeof(id))
					_exit(2);
			}
			_exit(0);
		}
	}
	close(fds[1]);
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	while (poll(&pfd, 1, 10000) == 1 &&
	    read(fds[0], &id, sizeof(id)) == (ssize_t)sizeof(id)) {
		n++;
		if (id < 1 || id >= 64 || seen[id]++)
			dup++;
	}
	close(fds[0]);
	for (k = 0; k < 2; k++) {
		int status = -1;

		for (i = 0; i < 500 && waitpid(pids[k], &status, WNOHANG) !=
		    pids[k]; i++)
			usleep(10000);
		if (i == 500) {
			kill(pids[k], SIGKILL);
			waitpid(pids[k], &status, 0);
		}
		T_TRUE(t, WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	T_EQ(t, n, 40);
	T_EQ(t, dup, 0);
	for (i = 1; i <= 40; i++)
		T_TRUE(t, seen[i] == 1 && hvsim_domain_exists(dir, i) == 1);
}

static void
t_open(struct t_ctx *t)
{
	const char *dir = t_tmpdir(t);
	struct hvsim_dom *d0 = NULL, *g = NULL, *x = NULL;
	domid_t id;

	/* dom0 is made on demand if the host has not made it yet. */
	T_EQ(t, hvsim_open(dir, 0, &d0), 0);
	T_TRUE(t, d0 != NULL && hvsim_self(d0) == 0);
	T_EQ(t, hvsim_open(dir, 5, &x), -ESRCH);
	T_TRUE(t, x == NULL);
	T_EQ(t, hvsim_domain_create(dir, 3, &id), 0);
	T_EQ(t, hvsim_open(dir, id, &g), 0);
	if (g != NULL) {
		T_EQ(t, hvsim_self(g), id);
		T_EQ(t, hvsim_npages(g), 3);
		T_TRUE(t, hvsim_page(g, 2) != NULL && hvsim_page(g, 3) == NULL);
		T_TRUE(t, hvsim_nr_grants(g) >= 1024);
		/* A guest's memory starts zeroed. */
		T_EQ(t, ((unsigned char *)hvsim_page(g, 2))[4095], 0);
	}
	T_EQ(t, hvsim_domain_destroy(dir, id), 0);
	T_EQ(t, hvsim_open(dir, id, &x), -ESRCH);
	T_EQ(t, hvsim_domain_create(dir, 0, &id), 0);	/* default size */
	T_EQ(t, hvsim_open(dir, id, &x), 0);
	if (x != NULL)
		T_EQ(t, hvsim_npages(x), HVSIM_DEFAULT_PAGES);
	hvsim_close(x);
	hvsim_close(g);
	hvsim_close(d0);
	hvsim_close(NULL);
}

const struct t_case t_cases[] = {
	{ "lowest free id, destroy", t_lowest_free_id },
	{ "concurrent creates get distinct ids", t_concurrent_creates },
	{ "open", t_open },
	{ NULL, NULL },
};
