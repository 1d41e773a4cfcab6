/*
 * xvifctl -- ask a running xvifd what its vifs are doing, over the control
 * socket in its state directory (protocol: ctl.h; man/xvifctl.8).  This
 * file talks to the daemon; xvifctl_fmt.c prints what it said.
 *
 * Exit codes: 0 ok, 1 no such interface, 2 usage, 3 xvifd not running
 * (no socket, or nobody listening on it), 4 any other failure to get an
 * answer (permission, a bad or late reply, a busy daemon).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl.h"
#include "xvifctl.h"

#define XC_EXIT_NOT_FOUND	1
#define XC_EXIT_USAGE		2
#define XC_EXIT_NOT_RUNNING	3
#define XC_EXIT_FAILED		4

#define XC_CONNECT_RETRY_MS	10	/* a full listen queue: again after */

static const char *xc_prog = "xvifctl";

static void
xc_usage(FILE *f)
{
	fprintf(f,
	    "usage: xvifctl [--state-dir DIR | --sim-dir DIR [--backend-domid N] |\n"
	    "                --socket PATH]\n"
	    "               [--json] list | show IF | stats [IF] [--prometheus]\n"
	    "\n"
	    "  list             every vif: name, domain, handle, state, MAC,\n"
	    "                   MTU, queues, offloads, carrier\n"
	    "  show IF          all about one vif, its queues and counters\n"
	    "  stats [IF]       counters, per vif and per queue\n"
	    "  --json           JSON instead of text (any command)\n"
	    "  --prometheus     stats in the Prometheus text format\n"
	    "  --state-dir DIR  xvifd's state directory (default /run/xvifd)\n"
	    "  --sim-dir DIR    xvifd on the xvif-sim host in DIR (DIR/xvifd)\n"
	    "  --backend-domid N  with --sim-dir: the xvifd serving domain N\n"
	    "                   (DIR/xvifd.N)\n"
	    "  --socket PATH    the control socket itself\n"
	    "exit: 0 ok, 1 no such interface, 2 usage, 3 xvifd not running,\n"
	    "      4 no usable answer\n");
}

static _Noreturn void
xc_die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", xc_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static uint64_t
xc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; exits if it passes. */
static void
xc_wait(int fd, short events, uint64_t deadline, const char *path)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now;
	int rc;

	for (;;) {
		now = xc_now_ms();
		if (now >= deadline)
			xc_die(XC_EXIT_FAILED, "%s: no answer from xvifd in "
			    "%d s", path, CTL_TIMEOUT_MS / 1000);
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return;
		if (rc < 0 && errno != EINTR)
			xc_die(XC_EXIT_FAILED, "poll: %s", strerror(errno));
	}
}

/*
 * Connected to the socket at path.  A full listen queue (EAGAIN: others
 * connecting faster than xvifd takes them) is waited out until deadline,
 * a few ms at a time: root's places among the clients are only reached
 * through the queue.
 */
static int
xc_connect(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		xc_die(XC_EXIT_USAGE, "%s: path too long for a socket", path);
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		xc_die(XC_EXIT_FAILED, "socket: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN && xc_now_ms() < deadline) {
			(void)poll(NULL, 0, XC_CONNECT_RETRY_MS);
			continue;
		}
		if (errno == ENOENT || errno == ECONNREFUSED ||
		    errno == ENOTDIR)
			xc_die(XC_EXIT_NOT_RUNNING, "xvifd is not running "
			    "(%s: %s)", path, strerror(errno));
		if (errno == EAGAIN)
			xc_die(XC_EXIT_FAILED, "%s: xvifd is busy (its queue of "
			    "connections stayed full for %d s)", path,
			    CTL_TIMEOUT_MS / 1000);
		xc_die(XC_EXIT_FAILED, "%s: %s%s", path, strerror(errno),
		    errno == EACCES ? " (xvifd's --ctl-group admits whom "
		    "it names)" : "");
	}
	return fd;
}

/*
 * The request line sent.  A peer gone (EPIPE, ECONNRESET: xvifd said
 * busy and closed before it read us) ends it quietly: what it said is
 * read next.  Never SIGPIPE.
 */
static void
xc_send(int fd, const char *req, uint64_t deadline, const char *path)
{
	size_t off = 0, n = strlen(req);
	ssize_t r;

	while (off < n) {
		xc_wait(fd, POLLOUT, deadline, path);
		if ((r = send(fd, req + off, n - off, MSG_NOSIGNAL)) < 0) {
			if (errno == EPIPE || errno == ECONNRESET)
				return;
			if (errno != EAGAIN && errno != EINTR)
				xc_die(XC_EXIT_FAILED, "%s: write: %s", path,
				    strerror(errno));
		}
		off += r > 0 ? (size_t)r : 0;
	}
}

/* Send the request line; the whole reply, NUL-terminated, in *out. */
static size_t
xc_ask(const char *path, const char *req, char **out)
{
	uint64_t deadline = xc_now_ms() + CTL_TIMEOUT_MS;
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t r;
	int fd;

	fd = xc_connect(path, deadline);
	xc_send(fd, req, deadline, path);
	if ((buf = malloc(cap)) == NULL)
		xc_die(XC_EXIT_FAILED, "out of memory");
	for (;;) {
		if (cap - len < 2) {
			if (cap >= CTL_REPLY_MAX)
				xc_die(XC_EXIT_FAILED, "%s: reply longer than "
				    "%u MiB", path, CTL_REPLY_MAX >> 20);
			if ((buf = realloc(buf, cap *= 2)) == NULL)
				xc_die(XC_EXIT_FAILED, "out of memory");
		}
		xc_wait(fd, POLLIN, deadline, path);
		r = read(fd, buf + len, cap - len - 1);
		/* Reset after a whole line: a refusal's, closed unread. */
		if (r == 0 || (r < 0 && errno == ECONNRESET && len > 0 &&
		    buf[len - 1] == '\n'))
			break;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			xc_die(XC_EXIT_FAILED, "%s: read: %s", path,
			    strerror(errno));
		len += r > 0 ? (size_t)r : 0;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return len;
}

/*
 * The reply's status line checked (an error exits with its code), then
 * each record parsed in place into *recs; the last line must be "end".
 */
static unsigned int
xc_parse(char *reply, size_t len, struct ctl_rec **recs)
{
	char *line = reply, *nl, *code;
	struct ctl_rec *r = NULL;
	unsigned int n = 0, cap = 0;
	bool end = false;

	if (memchr(reply, '\0', len) != NULL || len == 0 ||
	    reply[len - 1] != '\n')
		xc_die(XC_EXIT_FAILED, "xvifd's reply is cut short or not "
		    "text");
	nl = strchr(line, '\n');
	*nl = '\0';
	if (strncmp(line, CTL_VERSION " error ", strlen(CTL_VERSION) + 7) == 0) {
		/* "CODE TEXT": the text is for people, the code for us. */
		code = line + strlen(CTL_VERSION) + 7;
		nl = code + strcspn(code, " ");
		fprintf(stderr, "%s: xvifd: %s\n", xc_prog, *nl != '\0' ?
		    nl + 1 : code);
		exit(strncmp(code, CTL_E_NOT_FOUND " ",
		    strlen(CTL_E_NOT_FOUND) + 1) == 0 ? XC_EXIT_NOT_FOUND :
		    XC_EXIT_FAILED);
	}
	if (strcmp(line, CTL_VERSION " ok") != 0)
		xc_die(XC_EXIT_FAILED, "xvifd speaks another protocol: \"%.40s\"",
		    line);
	for (line = nl + 1; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		if (end)
			xc_die(XC_EXIT_FAILED, "xvifd's reply goes on after "
			    "\"end\"");
		if (strcmp(line, "end") == 0) {
			end = true;
			continue;
		}
		if (n == cap && (r = realloc(r, (cap = cap ? 2 * cap : 64) *
		    sizeof(*r))) == NULL)
			xc_die(XC_EXIT_FAILED, "out of memory");
		if (ctl_rec_parse(line, &r[n]) < 0)
			xc_die(XC_EXIT_FAILED, "xvifd's reply has a bad record "
			    "(line %u)", n + 2);
		n++;
	}
	if (!end)
		xc_die(XC_EXIT_FAILED, "xvifd's reply has no \"end\"");
	*recs = r;
	return n;
}

/*
 * The command line's words, before they become a request: what the
 * request's own parser would say of them (a space separates its words)
 * is said here in the user's terms.
 */
static void
xc_check_words(int n, char **w)
{
	const unsigned char *p;
	int i;

	if (n > 2)
		xc_die(XC_EXIT_USAGE, "%s: one word too many (a command and at "
		    "most one interface)", w[2]);
	if (n == 2 && strcmp(w[0], "list") == 0)
		xc_die(XC_EXIT_USAGE, "list %s: list takes no interface", w[1]);
	for (i = 0; i < n; i++) {
		if (w[i][0] == '\0')
			xc_die(XC_EXIT_USAGE, "an empty %s", i == 0 ?
			    "command" : "interface name");
		for (p = (const unsigned char *)w[i]; *p != '\0'; p++)
			if (*p <= ' ' || *p == 0x7f)
				xc_die(XC_EXIT_USAGE, "\"%s\": a blank or a "
				    "control character is in no %s", w[i],
				    i == 0 ? "command" : "interface name");
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "sim-dir", required_argument, NULL, 'S' },
		{ "backend-domid", required_argument, NULL, 'D' },
		{ "socket", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
	char simdir[sizeof(path)];
	char req[CTL_REQ_MAX + 64], *reply;
	const char *dir = CTL_STATE_DIR, *state = NULL, *sim = NULL, *sock = NULL;
	const char *why;
	unsigned long domid = 0;
	bool domid_given = false;
	enum xc_format fmt = XC_TEXT;
	struct ctl_req cr;
	struct ctl_rec *recs = NULL;
	unsigned int n;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': dir = state = optarg; break;
		case 'S': sim = optarg; break;
		case 'D':
			if (proto_parse_uint(optarg, DOMID_FIRST_RESERVED - 1,
			    &domid) < 0)
				xc_die(XC_EXIT_USAGE, "--backend-domid %s: not "
				    "a domain id (0..%u)", optarg,
				    DOMID_FIRST_RESERVED - 1);
			domid_given = true;
			break;
		case 'k': sock = optarg; break;
		/* Said twice is said once; both is a choice to make. */
		case 'j': fmt = fmt == XC_TEXT || fmt == XC_JSON ? XC_JSON :
		    XC_BOTH; break;
		case 'p': fmt = fmt == XC_TEXT || fmt == XC_PROMETHEUS ?
		    XC_PROMETHEUS : XC_BOTH; break;
		case 'h': xc_usage(stdout); return 0;
		default: xc_usage(stderr); return XC_EXIT_USAGE;
		}
	}
	if (fmt == XC_BOTH)
		xc_die(XC_EXIT_USAGE, "--json and --prometheus: choose one");
	if (state != NULL && sim != NULL)
		xc_die(XC_EXIT_USAGE, "--state-dir and --sim-dir: choose one");
	if (domid_given && sim == NULL)
		xc_die(XC_EXIT_USAGE, "--backend-domid goes with --sim-dir (on "
		    "Xen the state directory is /run/xvifd for any domain)");
	if (sim != NULL) {
		if (ctl_sim_state_dir(simdir, sizeof(simdir), sim, domid) < 0)
			xc_die(XC_EXIT_USAGE, "%s: path too long", sim);
		dir = simdir;
	}
	if (optind == argc)
		xc_die(XC_EXIT_USAGE, "no command (list, show IF, stats [IF]); "
		    "--help says more");
	xc_check_words(argc - optind, argv + optind);
	/* The request as the daemon will see it, checked by its parser. */
	snprintf(req, sizeof(req), "%s %s%s%s", CTL_VERSION, argv[optind],
	    optind + 1 < argc ? " " : "",
	    optind + 1 < argc ? argv[optind + 1] : "");
	if (strlen(req) >= CTL_REQ_MAX ||
	    ctl_req_parse(req, strlen(req), &cr, &why) < 0)
		xc_die(XC_EXIT_USAGE, "%s%s%s: %s", argv[optind],
		    optind + 1 < argc ? " " : "",
		    optind + 1 < argc ? argv[optind + 1] : "",
		    strlen(req) >= CTL_REQ_MAX ? "too long" : why);
	if (fmt == XC_PROMETHEUS && cr.cr_cmd != CTL_STATS)
		xc_die(XC_EXIT_USAGE, "--prometheus goes with stats only");
	strcat(req, "\n");
	if (sock == NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    CTL_SOCK_NAME) >= sizeof(path))
			xc_die(XC_EXIT_USAGE, "%s: path too long", dir);
		sock = path;
	}
	len = xc_ask(sock, req, &reply);
	n = xc_parse(reply, len, &recs);
	xc_print(stdout, cr.cr_cmd, fmt, recs, n);
	if (fflush(stdout) != 0 || ferror(stdout))
		xc_die(XC_EXIT_FAILED, "stdout: %s", strerror(errno));
	free(recs);
	free(reply);
	return 0;
}
