/*
 * tool.c -- what the simulated toolstack's commands share: argument
 * parsers (pure), the dom0 XenStore connection, libxl's wait for a backend
 * state (a watch with a timeout), libxl's hotplug-script execution and
 * libxl__xs_path_cleanup.  The commands themselves are in tool_domain.c and
 * tool_vif.c; what is and is not modelled is in tool.h.
 */
#include <ctype.h>
#include <errno.h>
#include <sys/random.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "hvsim.h"
#include "sim.h"
#include "tool.h"

int
tool_parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

int
tool_parse_domid(const char *s, domid_t *out)
{
	unsigned int v;

	if (tool_parse_uint(s, DOMID_FIRST_RESERVED - 1, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (domid_t)v;
	return 0;
}

int
tool_parse_mac(const char *s, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul((char[]){ s[0], s[1], '\0' }, NULL,
		    16);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s == '\0' ? 0 : -EINVAL;
}

/*
 * A number as strtoull(s, &end, 0) reads one made of decimal digits only
 * (what xl's regular expressions let through): octal after a leading 0,
 * so that "010" is 8 and "09" is 0 followed by "9", as in xl.  Past
 * UINT32_MAX (which xl refuses) it stops counting and says so.
 */
static uint64_t
tool_rate_num(const char *s, const char **end, bool *over)
{
	unsigned int base = s[0] == '0' ? 8 : 10;
	uint64_t v = 0;

	*over = false;
	for (; *s >= '0' && *s < (char)('0' + base); s++) {
		v = v * base + (uint64_t)(*s - '0');
		if (v > UINT32_MAX) {
			*over = true;
			v = UINT32_MAX;
		}
	}
	*end = s;
	return v;
}

/* xl's "^[0-9]+[GMK]?[Bb]/s$". */
static bool
tool_rate_shape(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == 'G' || *s == 'M' || *s == 'K')
		s++;
	return (s[0] == 'B' || s[0] == 'b') && strcmp(s + 1, "/s") == 0;
}

/* xl's "^[0-9]+[mu]?s?$". */
static bool
tool_interval_shape(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == 'm' || *s == 'u')
		s++;
	if (*s == 's')
		s++;
	return *s == '\0';
}

/* RATE of rate=RATE[@INTERVAL]: bytes per second. */
static int
tool_rate_bps(const char *s, uint64_t *bps, const char **why)
{
	const char *p;
	uint64_t v;
	bool over;

	if (!tool_rate_shape(s)) {
		*why = "invalid rate";
		return -EINVAL;
	}
	v = tool_rate_num(s, &p, &over);
	if (v == 0 || over) {
		*why = "rate overflow";
		return -EINVAL;
	}
	if (*p == 'G')
		v *= 1000000000;
	else if (*p == 'M')
		v *= 1000000;
	else if (*p == 'K')
		v *= 1000;
	/* Bits: "b" here or after the multiplier (p[1] is in the string). */
	if (p[0] == 'b' || p[1] == 'b')
		v /= 8;
	*bps = v;
	return 0;
}

/* INTERVAL of rate=RATE@INTERVAL: microseconds. */
static int
tool_rate_interval(const char *s, uint32_t *usec, const char **why)
{
	const char *p;
	uint64_t v;
	bool over;

	if (!tool_interval_shape(s)) {
		*why = "invalid replenishment interval";
		return -EINVAL;
	}
	v = tool_rate_num(s, &p, &over);
	if (v == 0 || over) {
		*why = "replenishment interval overflow";
		return -EINVAL;
	}
	if (*p == 's' || *p == '\0')
		v *= 1000000;
	else if (*p == 'm')
		v *= 1000;
	if (v > UINT32_MAX) {
		*why = "replenishment interval overflow";
		return -EINVAL;
	}
	*usec = (uint32_t)v;
	return 0;
}

int
tool_parse_rate(const char *s, uint64_t *bytes, uint32_t *usec,
    const char **why)
{
	char rate[64];
	const char *at = strchr(s, '@');
	size_t n = at != NULL ? (size_t)(at - s) : strlen(s);
	uint32_t us = 50000;		/* xl's default: 50 ms */
	uint64_t bps;

	if (n == 0) {
		*why = "no rate specified";
		return -EINVAL;
	}
	if (n >= sizeof(rate)) {
		*why = "invalid rate";
		return -EINVAL;
	}
	memcpy(rate, s, n);
	rate[n] = '\0';
	if (tool_rate_bps(rate, &bps, why) < 0 ||
	    (at != NULL && tool_rate_interval(at + 1, &us, why) < 0))
		return -EINVAL;
	if (bps > UINT64_MAX / us) {
		*why = "rate overflow";
		return -EINVAL;
	}
	*bytes = bps * us / 1000000;
	*usec = us;
	return 0;
}

/* A XenStore-safe word: printable, no '/', no space, not empty. */
static bool
tool_word_ok(const char *v)
{
	if (*v == '\0')
		return false;
	for (; *v != '\0'; v++)
		if (!isgraph((unsigned char)*v) || *v == '/')
			return false;
	return true;
}

int
tool_nic_parse(struct tool_nic *nic, const char *word, const char **why)
{
	const char *eq = strchr(word, '='), *v;
	unsigned int u;
	size_t klen;

	if (eq == NULL) {
		*why = "expected key=value";
		return -EINVAL;
	}
	klen = (size_t)(eq - word);
	v = eq + 1;
#define KEY(k) (klen == strlen(k) && strncmp(word, k, klen) == 0)
	if (KEY("mac")) {
		if (tool_parse_mac(v, nic->tn_mac) < 0) {
			*why = "not a MAC address (xx:xx:xx:xx:xx:xx)";
			return -EINVAL;
		}
		nic->tn_mac_set = true;
	} else if (KEY("devid")) {
		/* libxl_devid is an int; XenStore keys are decimal. */
		if (tool_parse_uint(v, 65535, &u) < 0) {
			*why = "not a device id (0..65535)";
			return -EINVAL;
		}
		nic->tn_devid = (int)u;
	} else if (KEY("mtu")) {
		if (tool_parse_uint(v, 65535, &u) < 0 || u < 68) {
			*why = "not an MTU (68..65535)";
			return -EINVAL;
		}
		nic->tn_mtu = u;
	} else if (KEY("script")) {
		if (*v == '\0') {
			*why = "empty script";
			return -EINVAL;
		}
		nic->tn_script = v;
	} else if (KEY("vifname") || KEY("bridge")) {
		if (!tool_word_ok(v) || strlen(v) > 15) {
			*why = "not an interface name (1..15 printable, no '/')";
			return -EINVAL;
		}
		if (KEY("vifname"))
			nic->tn_vifname = v;
		else
			nic->tn_bridge = v;
	} else if (KEY("ip")) {
		if (*v == '\0' || strlen(v) > 200) {
			*why = "empty or too long";
			return -EINVAL;
		}
		nic->tn_ip = v;
	} else if (KEY("rate")) {
		if (tool_parse_rate(v, &nic->tn_rate_bytes, &nic->tn_rate_usec,
		    why) < 0)
			return -EINVAL;
		nic->tn_rate_set = true;
	} else if (KEY("antispoof")) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
			*why = "not 0 or 1";
			return -EINVAL;
		}
		nic->tn_antispoof = v;
	} else {
		*why = "unknown key (mac, script, vifname, bridge, devid, ip, "
		    "mtu, rate, antispoof)";
		return -EINVAL;
	}
#undef KEY
	return 0;
}

int
tool_timeout_ms(unsigned int seconds)
{
	const char *s = getenv("XVIF_SIM_TIMEOUT_SCALE");
	double scale = 1.0, ms;
	char *end;

	if (s != NULL && *s != '\0') {
		scale = strtod(s, &end);
		if (*end != '\0' || !(scale > 0.0) || scale > 1.0)
			scale = 1.0;	/* only ever shortened, never broken */
	}
	ms = seconds * 1000.0 * scale;
	return ms < 1.0 ? 1 : (int)ms;
}

void
tool_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xvif-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int
tool_open(struct tool *tl, const char *dir)
{
	char sock[TOOL_PATH_MAX];

	tl->tl_dir = dir;
	tl->tl_xsh = NULL;
	if ((size_t)snprintf(sock, sizeof(sock), "%s/" SIM_XS_SOCKET, dir) >=
	    sizeof(sock)) {
		tool_err("--dir %s: path too long", dir);
		return -1;
	}
	/* libxenstore takes its socket from XENSTORED_PATH only. */
	if (setenv("XENSTORED_PATH", sock, 1) < 0) {
		tool_err("setenv: %s", strerror(errno));
		return -1;
	}
	errno = 0;
	if ((tl->tl_xsh = xs_open(XS_OPEN_SOCKETONLY)) == NULL) {
		tool_err("cannot connect to XenStore at %s: %s (is "
		    "`xvif-sim host --dir %s` running?)", sock,
		    strerror(errno != 0 ? errno : EIO), dir);
		return -1;
	}
	return 0;
}

void
tool_close(struct tool *tl)
{
	if (tl->tl_xsh != NULL) {
		xs_close(tl->tl_xsh);
		tl->tl_xsh = NULL;
	}
}

int
tool_domain_exists(struct tool *tl, domid_t domid)
{
	return hvsim_domain_exists(tl->tl_dir, domid);
}

static int64_t
tool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The node's value as a number, -1 if absent, -2 on other errors. */
static int
tool_read_int(struct tool *tl, const char *path)
{
	unsigned int len;
	char *v;
	int n;

	errno = 0;
	if ((v = xs_read(tl->tl_xsh, XBT_NULL, path, &len)) == NULL)
		return errno == ENOENT ? -1 : -2;
	n = atoi(v);	/* as libxl's devstate_callback */
	free(v);
	return n;
}

int
tool_wait_state(struct tool *tl, const char *path, int wanted, int ms,
    int *got, enum tool_wait *how)
{
	static const char token[] = "xvif-sim-tool-wait";
	struct pollfd pfd;
	int64_t deadline = tool_now_ms() + ms, left;
	char **ev;
	int rc = 0, v;

	*got = -1;
	if (!xs_watch(tl->tl_xsh, path, token))
		return errno != 0 ? -errno : -EIO;
	if ((pfd.fd = xs_fileno(tl->tl_xsh)) < 0) {
		rc = -EIO;
		goto out;
	}
	pfd.events = POLLIN;
	for (;;) {
		/*
		 * As libxl's xswait: (re)read on every event, the first being
		 * the one XenStore fires when the watch is set.
		 */
		v = tool_read_int(tl, path);
		if (v == -2) {
			rc = errno != 0 ? -errno : -EIO;
			goto out;
		}
		if (v == -1) {
			*how = TOOL_WAIT_REMOVED;
			goto out;
		}
		*got = v;
		if (v == wanted) {
			*how = TOOL_WAIT_OK;
			goto out;
		}
		for (;;) {
			left = deadline - tool_now_ms();
			if (left <= 0) {
				*how = TOOL_WAIT_TIMEOUT;
				goto out;
			}
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
				rc = -errno;
				goto out;
			}
			if ((ev = xs_check_watch(tl->tl_xsh)) != NULL) {
				free(ev);
				break;
			}
			if (errno != EAGAIN) {
				rc = errno != 0 ? -errno : -EIO;
				goto out;
			}
		}
		while ((ev = xs_check_watch(tl->tl_xsh)) != NULL)
			free(ev);	/* coalesce: one read covers them */
	}
out:
	(void)xs_unwatch(tl->tl_xsh, path, token);
	return rc;
}

static void
tool_report_status(const char *what, pid_t pid, int status)
{
	/* libxl_report_child_exitstatus */
	if (WIFEXITED(status))
		tool_err("%s [%ld] exited with error status %d", what,
		    (long)pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		tool_err("%s [%ld] died due to fatal signal %s", what,
		    (long)pid, strsignal(WTERMSIG(status)));
	else
		tool_err("%s [%ld] gave unknown wait status 0x%x", what,
		    (long)pid, status);
}

int
tool_hotplug(struct tool *tl, const char *script, const char *action,
    domid_t domid, unsigned int devid)
{
	char xbpath[64], vif[32], what[TOOL_PATH_MAX + 16];
	char bepath[TOOL_PATH_MAX], key[TOOL_PATH_MAX + 16];
	char *gatewaydev, *herr;
	struct pollfd pfd;
	unsigned int len;
	int64_t deadline;
	int ms = tool_timeout_ms(TOOL_HOTPLUG_TIMEOUT), status, fd, rc;
	pid_t pid;

	snprintf(xbpath, sizeof(xbpath), "backend/vif/%u/%u", domid, devid);
	snprintf(bepath, sizeof(bepath), "/local/domain/0/%s", xbpath);
	snprintf(vif, sizeof(vif), "vif%u.%u", domid, devid); /* Linux's */
	snprintf(what, sizeof(what), "%s %s", script, action);
	snprintf(key, sizeof(key), "%s/gatewaydev", bepath);
	gatewaydev = xs_read(tl->tl_xsh, XBT_NULL, key, &len);

	fflush(NULL);
	if ((pid = fork()) < 0) {
		free(gatewaydev);
		tool_err("unable to fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* libxl__exec: stdin /dev/null, stdout to stderr. */
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, STDIN_FILENO);
			if (fd > 2)
				close(fd);
		}
		dup2(STDERR_FILENO, STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		if (setenv("script", script, 1) < 0 ||
		    setenv("XENBUS_TYPE", "vif", 1) < 0 ||
		    setenv("XENBUS_PATH", xbpath, 1) < 0 ||
		    setenv("XENBUS_BASE_PATH", "backend", 1) < 0 ||
		    setenv("netdev", gatewaydev != NULL ? gatewaydev : "", 1) <
		    0 || setenv("vif", vif, 1) < 0)
			_exit(255);
		char *av[] = { strdup(script), strdup(action),
		    strdup("type_if=vif"), NULL };
		execvp(script, av);
		fprintf(stderr, "xvif-sim: cannot execute %s: %s\n", script,
		    strerror(errno));
		_exit(255);	/* libxl: _exit(-1) */
	}
	free(gatewaydev);

	/* Wait for the child with a bound, on a pidfd (Linux >= 5.3). */
	deadline = tool_now_ms() + ms;
	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	for (;;) {
		rc = waitpid(pid, &status, WNOHANG);
		if (rc == pid)
			break;
		if (rc < 0 && errno != EINTR) {
			tool_err("waitpid %s: %s", what, strerror(errno));
			status = -1;
			break;
		}
		int64_t left = deadline - tool_now_ms();
		if (left <= 0) {
			tool_err("killing execution of %s because of timeout",
			    what);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (pfd.fd >= 0)
				close(pfd.fd);
			return -1;
		}
		if (pfd.fd >= 0)
			(void)poll(&pfd, 1, (int)left);
		else	/* no pidfd: a bounded sleep between checks */
			usleep(left > 10 ? 10000 : (useconds_t)left * 1000);
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	if (status == 0)
		return 0;
	if (status != -1)
		tool_report_status(what, pid, status);
	snprintf(key, sizeof(key), "%s/hotplug-error", bepath);
	if ((herr = xs_read(tl->tl_xsh, XBT_NULL, key, &len)) != NULL) {
		tool_err("script: %s", herr);
		free(herr);
	}
	return -1;
}

int
tool_path_cleanup(struct tool *tl, uint32_t txn, const char *upath)
{
	char path[TOOL_PATH_MAX], *last, *val, **dir;
	unsigned int len, n;

	if ((size_t)snprintf(path, sizeof(path), "%s", upath) >= sizeof(path))
		return -ENAMETOOLONG;
	if (!xs_rm(tl->tl_xsh, txn, path))
		return errno != 0 ? -errno : -EIO;
	while ((last = strrchr(path, '/')) != NULL) {
		*last = '\0';
		if (path[0] == '\0')
			break;
		if ((val = xs_read(tl->tl_xsh, txn, path, &len)) == NULL)
			break;
		free(val);
		if (len != 0)
			break;
		if ((dir = xs_directory(tl->tl_xsh, txn, path, &n)) == NULL)
			break;
		free(dir);
		if (n != 0)
			break;
		if (!xs_rm(tl->tl_xsh, txn, path))
			return errno != 0 ? -errno : -EIO;
	}
	return 0;
}

int
tool_random(void *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
