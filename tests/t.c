/*
 * t.c -- main() for every tests/unit program; see t.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

static const char *t_prog;
static char t_dir[256];

bool
t_check(struct t_ctx *t, bool ok, const char *file, int line, const char *fmt,
    ...)
{
	va_list ap;

	if (ok)
		return true;
	t->t_failed++;
	fprintf(stdout, "  %s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return false;
}

const char *
t_tmpdir(struct t_ctx *t)
{
	if (t_dir[0] == '\0') {
		snprintf(t_dir, sizeof(t_dir), "/tmp/xvif-t.XXXXXX");
		if (mkdtemp(t_dir) == NULL) {
			t_check(t, false, __FILE__, __LINE__, "mkdtemp: %s",
			    strerror(errno));
			t_dir[0] = '\0';
			return "/nonexistent";
		}
	}
	return t_dir;
}

static int
t_run_child(const struct t_case *tc)
{
	struct t_ctx t = { .t_case = tc->tc_name };

	tc->tc_fn(&t);
	fflush(stdout);
	if (t_dir[0] != '\0') {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
		if (system(cmd) != 0)
			fprintf(stdout, "  warning: could not remove %s\n",
			    t_dir);
	}
	return t.t_failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const struct t_case *tc;
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *s;
	int timeout = 120, nfail = 0, nrun = 0;

	t_prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if ((s = getenv("T_TIMEOUT")) != NULL && atoi(s) > 0)
		timeout = atoi(s);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (tc = t_cases; tc->tc_name != NULL; tc++) {
		pid_t pid;
		int status;

		if (filter != NULL && strstr(tc->tc_name, filter) == NULL)
			continue;
		nrun++;
		fflush(stdout);
		if ((pid = fork()) < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			/* Own process group, so a hung case and its children die together. */
			setpgid(0, 0);
			alarm((unsigned)timeout);
			_exit(t_run_child(tc));
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		kill(-pid, SIGKILL);	/* stray children of the case */
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("PASS %s: %s\n", t_prog, tc->tc_name);
			continue;
		}
		nfail++;
		if (WIFSIGNALED(status))
			printf("FAIL %s: %s: killed by signal %d%s\n", t_prog,
			    tc->tc_name, WTERMSIG(status),
			    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		else
			printf("FAIL %s: %s\n", t_prog, tc->tc_name);
	}
	if (nrun == 0) {
		printf("FAIL %s: no case matched '%s'\n", t_prog,
		    filter ? filter : "");
		return 1;
	}
	return nfail ? 1 : 0;
}
