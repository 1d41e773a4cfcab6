/*
 * t.c -- main() for every tests/unit program; see t.h.
 */
#include <errno.h>
#include <ftw.h>
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
/* The running case (its process group); the signal that stopped us. */
static volatile sig_atomic_t t_case_pid, t_stop_sig;

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

/* /tmp/xvif-t.[<run token>.]XXXXXX; the token is tests/run.sh's. */
static void
t_dir_template(void)
{
	const char *tok = getenv("XVIF_T_TOKEN");

	if (tok != NULL && *tok != '\0' && strlen(tok) < 64 &&
	    strchr(tok, '/') == NULL)
		snprintf(t_dir, sizeof(t_dir), "/tmp/xvif-t.%s.XXXXXX", tok);
	else
		snprintf(t_dir, sizeof(t_dir), "/tmp/xvif-t.XXXXXX");
}

/*
 * The scratch directory is made by main() before the case is forked, so
 * that main() removes it however the case ends (crash, timeout, signal).
 */
const char *
t_tmpdir(struct t_ctx *t)
{
	if (t_dir[0] == '\0') {
		t_dir_template();
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
	return t.t_failed ? 1 : 0;
}

static int
t_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		fprintf(stdout, "  warning: could not remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

/* rm -rf the case's scratch directory (never following a symlink). */
static void
t_rm_dir(void)
{
	if (t_dir[0] != '\0' && access(t_dir, F_OK) == 0)
		nftw(t_dir, t_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	t_dir[0] = '\0';
}

/* SIGTERM/SIGINT/SIGHUP (tests/run.sh's timeout, ^C): take the case down. */
static void
t_on_stop(int sig)
{
	t_stop_sig = sig;
	if (t_case_pid > 0)
		kill(-t_case_pid, SIGKILL);
}

int
main(int argc, char **argv)
{
	const struct t_case *tc;
	const char *filter = argc > 1 ? argv[1] : NULL;
	const char *s;
	int timeout = 120, nfail = 0, nrun = 0;
	static const int stop_sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	sigset_t stops, old;
	size_t i;

	t_prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if ((s = getenv("T_TIMEOUT")) != NULL && atoi(s) > 0)
		timeout = atoi(s);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = t_on_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&stops);
	for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++) {
		sigaction(stop_sigs[i], &sa, NULL);
		sigaddset(&stops, stop_sigs[i]);
	}
	for (tc = t_cases; tc->tc_name != NULL; tc++) {
		pid_t pid;
		int status;

		if (filter != NULL && strstr(tc->tc_name, filter) == NULL)
			continue;
		if (t_stop_sig) {
			printf("FAIL %s: stopped by signal %d\n", t_prog,
			    (int)t_stop_sig);
			return 1;
		}
		nrun++;
		fflush(stdout);
		t_dir_template();
		if (mkdtemp(t_dir) == NULL)
			t_dir[0] = '\0';	/* t_tmpdir() tries again */
		sigprocmask(SIG_BLOCK, &stops, &old);
		if ((pid = fork()) < 0) {
			perror("fork");
			t_rm_dir();
			return 2;
		}
		if (pid == 0) {
			for (i = 0; i < sizeof(stop_sigs) / sizeof(stop_sigs[0]); i++)
				signal(stop_sigs[i], SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			/* Own process group, so a hung case and its children die together. */
			setpgid(0, 0);
			alarm((unsigned)timeout);
			_exit(t_run_child(tc));
		}
		setpgid(pid, pid);	/* before any kill(-pid) */
		t_case_pid = pid;
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (t_stop_sig)
			kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		t_case_pid = 0;
		kill(-pid, SIGKILL);	/* stray children of the case */
		t_rm_dir();
		if (t_stop_sig) {
			printf("FAIL %s: %s: stopped by signal %d\n", t_prog,
			    tc->tc_name, (int)t_stop_sig);
			return 1;
		}
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
