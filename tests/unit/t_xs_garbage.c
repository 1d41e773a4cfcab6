/*
 * t_xs_garbage.c -- hostile raw-socket clients against the XenStore server
 * of `xvif-sim host` ($BUILD/xvif-sim, started and killed here): bad
 * lengths, unknown types, strings without NUL, a truncated message then
 * EOF, 1 MiB of random noise, a client that never reads while its watch
 * fires.  Each is answered with an error or disconnected; a well-behaved
 * libxenstore client connected the whole time keeps working; the server
 * is alive at the end, its memory bounded, and it logged each bad client.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "t.h"

static pid_t g_pid = -1;
static char g_dir[256], g_sock[300];

static void
ms_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool
host_start(struct t_ctx *t)
{
	const char *b = getenv("BUILD") ? getenv("BUILD") : "build";
	char bin[256], log[300];
	struct stat st;
	int i, fd;

	snprintf(g_dir, sizeof(g_dir), "%s", t_tmpdir(t));
	snprintf(bin, sizeof(bin), "%s/xvif-sim", b);
	snprintf(g_sock, sizeof(g_sock), "%s/xenstored.sock", g_dir);
	snprintf(log, sizeof(log), "%s/host.log", g_dir);
	if ((g_pid = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT, 0600)) >= 0)
			dup2(fd, 2);
		execl(bin, "xvif-sim", "host", "--dir", g_dir, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (stat(g_sock, &st) == 0 && S_ISSOCK(st.st_mode))
			break;
		ms_sleep(50);
	}
	setenv("XENSTORED_PATH", g_sock, 1);
	return T_TRUE(t, i < 100);
}

static bool
host_alive(void)
{
	return g_pid > 0 && waitpid(g_pid, NULL, WNOHANG) == 0;
}

static void
host_stop(void)
{
	int i;

	if (g_pid <= 0)
		return;
	kill(g_pid, SIGTERM);
	for (i = 0; i < 100 && waitpid(g_pid, NULL, WNOHANG) == 0; i++)
		ms_sleep(50);
	if (i == 100) {
		kill(g_pid, SIGKILL);
		waitpid(g_pid, NULL, 0);
	}
	g_pid = -1;
}

static int
raw_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (strlen(g_sock) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, g_sock, strlen(g_sock) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
raw_send(int fd, uint32_t type, uint32_t req, uint32_t len, const void *p,
    size_t plen)
{
	struct xsd_sockmsg h = { type, req, 0, len };

	(void)!send(fd, &h, sizeof(h), MSG_NOSIGNAL);
	if (plen > 0)
		(void)!send(fd, p, plen, MSG_NOSIGNAL);
}

/*
 * One reply within ms: its type, payload in buf; -1 on EOF (disconnected),
 * -2 on timeout.
 */
static int
raw_recv(int fd, struct xsd_sockmsg *h, char *buf, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0, want = sizeof(*h);
	char *dst = (char *)h;
	ssize_t n;

	while (got < want) {
		if (poll(&pfd, 1, ms) != 1)
			return -2;
		if ((n = read(fd, dst + got, want - got)) <= 0)
			return -1;
		got += (size_t)n;
		if (got == want && dst == (char *)h) {
			if (h->len > XENSTORE_PAYLOAD_MAX)
				return -3;
			dst = buf;
			got = 0;
			want = h->len;
			buf[h->len] = '\0';
		}
	}
	return (int)h->type;
}

static bool
good_ok(struct t_ctx *t, struct xs_handle *xh, const char *val)
{
	unsigned int len;
	char *v;
	bool ok;

	if (!xs_write(xh, XBT_NULL, "/good", val, (unsigned int)strlen(val)))
		return T_TRUE(t, !"good client write");
	v = xs_read(xh, XBT_NULL, "/good", &len);
	ok = v != NULL && strcmp(v, val) == 0;
	free(v);
	return T_TRUE(t, ok);
}

static bool
log_has(const char *what)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "grep -q -- '%s' '%s/host.log'", what,
	    g_dir);
	return system(cmd) == 0;
}

static void
t_malformed(struct t_ctx *t)
{
	struct xsd_sockmsg h;
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	struct xs_handle *xh;
	int fd;

	T_REQUIRE(t, host_start(t));
	T_REQUIRE(t, (xh = xs_open(0)) != NULL);
	T_TRUE(t, good_ok(t, xh, "0"));
	/* Bad length: disconnected. */
	T_REQUIRE(t, (fd = raw_open()) >= 0);
	raw_send(fd, XS_READ, 1, 70000, NULL, 0);
	T_EQ(t, raw_recv(fd, &h, buf, 3000), -1);
	close(fd);
	T_TRUE(t, good_ok(t, xh, "1"));
	/* Unknown type: ENOSYS, req_id echoed, the connection lives on. */
	T_REQUIRE(t, (fd = raw_open()) >= 0);
	raw_send(fd, 99, 42, 0, NULL, 0);
	T_EQ(t, raw_recv(fd, &h, buf, 3000), XS_ERROR);
	T_EQ(t, h.req_id, 42);
	T_STREQ(t, buf, "ENOSYS");
	/* A path without its NUL: EINVAL. */
	raw_send(fd, XS_READ, 43, 6, "/local", 6);
	T_EQ(t, raw_recv(fd, &h, buf, 3000), XS_ERROR);
	T_STREQ(t, buf, "EINVAL");
	/* A payload sent in pieces is one message. */
	raw_send(fd, XS_READ, 44, 6, NULL, 0);
	ms_sleep(50);
	(void)!send(fd, "/g", 2, MSG_NOSIGNAL);
	ms_sleep(50);
	(void)!send(fd, "ood", 4, MSG_NOSIGNAL);
	T_EQ(t, raw_recv(fd, &h, buf, 3000), XS_READ);
	T_EQ(t, h.req_id, 44);
	T_STREQ(t, buf, "1");
	/* Truncated, then EOF. */
	raw_send(fd, XS_WRITE, 45, 100, "/trunc\0abc", 10);
	close(fd);
	ms_sleep(100);
	T_TRUE(t, good_ok(t, xh, "2"));
	T_TRUE(t, xs_read(xh, XBT_NULL, "/trunc", NULL) == NULL);
	T_TRUE(t, host_alive());
	T_TRUE(t, log_has("message length 70000 exceeds 4096: disconnected"));
	T_TRUE(t, log_has("unknown message type 99"));
	T_TRUE(t, log_has("end of file after 26 bytes of a message"));
	xs_close(xh);
	host_stop();
}

static void
t_noise(struct t_ctx *t)
{
	static unsigned char noise[1 << 20];
	struct xsd_sockmsg h;
	char buf[XENSTORE_PAYLOAD_MAX + 1];
	struct xs_handle *xh;
	struct pollfd pfd;
	size_t off = 0, i;
	ssize_t n;
	int fd, k, rounds;
	bool closed = false;

	T_REQUIRE(t, host_start(t));
	T_REQUIRE(t, (xh = xs_open(0)) != NULL);
	srand(1234);
	for (i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)rand();
	for (k = 0; k < 3; k++) {	/* three noisy clients, in turn */
		T_REQUIRE(t, (fd = raw_open()) >= 0);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		off = 0;
		closed = false;
		for (rounds = 0; rounds < 1000 && off < sizeof(noise) &&
		    !closed; rounds++) {
			pfd = (struct pollfd){ fd, POLLOUT | POLLIN, 0 };
			if (poll(&pfd, 1, 10) < 0)
				break;
			n = send(fd, noise + off + k, sizeof(noise) - off - k,
			    MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				closed = true;
			while (raw_recv(fd, &h, buf, 0) >= 0)
				;	/* drain error replies */
		}
		T_TRUE(t, closed || off + k >= sizeof(noise));
		close(fd);
		T_TRUE(t, good_ok(t, xh, k == 0 ? "n0" : "n1"));
	}
	T_TRUE(t, host_alive());
	xs_close(xh);
	host_stop();
}

static long
rss_kb(void)
{
	char path[64], line[128];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)g_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
t_never_reads(struct t_ctx *t)
{
	static const char w[] = "/\0lazy";
	struct xs_handle *xh, *watcher;
	unsigned int i, n, nev = 0;
	struct pollfd pfd;
	char p[64], **v;
	long rss0, rss1;
	int fd;

	T_REQUIRE(t, host_start(t));
	T_REQUIRE(t, (xh = xs_open(0)) != NULL);
	T_REQUIRE(t, (watcher = xs_open(0)) != NULL);
	T_REQUIRE(t, (fd = raw_open()) >= 0);
	raw_send(fd, XS_WATCH, 1, sizeof(w), w, sizeof(w));
	T_TRUE(t, xs_watch(watcher, "/flood", "ok"));
	rss0 = rss_kb();
	for (i = 0; i < 30000; i++) {
		snprintf(p, sizeof(p), "/flood/node-with-a-longish-name-%u", i);
		if (!xs_write(xh, XBT_NULL, p, "x", 1))
			break;
		/* The good watcher reads its events as they come. */
		pfd = (struct pollfd){ xs_fileno(watcher), POLLIN, 0 };
		while (poll(&pfd, 1, 0) == 1 &&
		    (v = xs_read_watch(watcher, &n)) != NULL) {
			nev++;
			free(v);
		}
	}
	T_EQ(t, i, 30000);
	pfd = (struct pollfd){ xs_fileno(watcher), POLLIN, 0 };
	while (nev < 30001 && poll(&pfd, 1, 2000) == 1 &&
	    (v = xs_read_watch(watcher, &n)) != NULL) {
		nev++;
		free(v);
	}
	T_EQ(t, nev, 30001);		/* initial + one per write */
	rss1 = rss_kb();
	/*
	 * 30000 new nodes grow the tree by a few MiB; the lazy client's queue
	 * is held to its cap (the log line below says it was hit).  Under
	 * AddressSanitizer the quarantine of the children lists rewritten
	 * on every write dwarfs both, so RSS says nothing there.
	 */
#ifndef __SANITIZE_ADDRESS__
	T_TRUE(t, rss0 > 0 && rss1 > 0 && rss1 - rss0 < 32 * 1024);
#else
	T_TRUE(t, rss0 > 0 && rss1 > 0);
#endif
	T_TRUE(t, log_has("output queue full"));
	T_TRUE(t, good_ok(t, xh, "after"));
	T_TRUE(t, host_alive());
	close(fd);
	T_TRUE(t, good_ok(t, xh, "closed"));
	xs_close(watcher);
	xs_close(xh);
	host_stop();
}

const struct t_case t_cases[] = {
	{ "bad length, unknown type, no NUL, pieces, truncated+EOF",
	    t_malformed },
	{ "1 MiB of random noise, three times", t_noise },
	{ "a client that never reads while its watch fires", t_never_reads },
	{ NULL, NULL }
};
