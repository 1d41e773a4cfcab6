/*
 * t_sim.c -- see t_sim.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t_sim.h"

static void
t_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

bool
t_sim_host_start(struct t_ctx *t, struct t_sim *ts)
{
	const char *build = getenv("BUILD");
	char bin[512];
	struct stat st;
	int i, status;

	memset(ts, 0, sizeof(*ts));
	snprintf(bin, sizeof(bin), "%s/xvif-sim", build ? build : "build");
	snprintf(ts->ts_dir, sizeof(ts->ts_dir), "%s/host", t_tmpdir(t));
	snprintf(ts->ts_sock, sizeof(ts->ts_sock), "%s/xenstored.sock",
	    ts->ts_dir);
	if (mkdir(ts->ts_dir, 0700) < 0 && errno != EEXIST)
		return t_check(t, false, __FILE__, __LINE__, "mkdir %s: %s",
		    ts->ts_dir, strerror(errno));
	if ((ts->ts_pid = fork()) < 0)
		return t_check(t, false, __FILE__, __LINE__, "fork: %s",
		    strerror(errno));
	if (ts->ts_pid == 0) {
		execl(bin, bin, "host", "--dir", ts->ts_dir, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (stat(ts->ts_sock, &st) == 0 && S_ISSOCK(st.st_mode)) {
			setenv("XENSTORED_PATH", ts->ts_sock, 1);
			return true;
		}
		if (waitpid(ts->ts_pid, &status, WNOHANG) == ts->ts_pid) {
			ts->ts_pid = 0;
			return t_check(t, false, __FILE__, __LINE__,
			    "%s host exited (status %#x) before its socket "
			    "appeared", bin, status);
		}
		t_sleep_ms(50);
	}
	t_sim_host_stop(t, ts);
	return t_check(t, false, __FILE__, __LINE__,
	    "%s host: no socket %s after 10 s", bin, ts->ts_sock);
}

void
t_sim_host_stop(struct t_ctx *t, struct t_sim *ts)
{
	int i, status;

	if (ts->ts_pid <= 0)
		return;
	if (waitpid(ts->ts_pid, &status, WNOHANG) == ts->ts_pid) {
		t_check(t, false, __FILE__, __LINE__,
		    "xvif-sim host died during the test (status %#x)", status);
		ts->ts_pid = 0;
		return;
	}
	kill(ts->ts_pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(ts->ts_pid, &status, WNOHANG) == ts->ts_pid) {
			ts->ts_pid = 0;
			return;
		}
		t_sleep_ms(50);
	}
	kill(ts->ts_pid, SIGKILL);
	waitpid(ts->ts_pid, &status, 0);
	ts->ts_pid = 0;
	t_check(t, false, __FILE__, __LINE__,
	    "xvif-sim host ignored SIGTERM for 5 s");
}
