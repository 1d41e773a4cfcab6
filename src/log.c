/*
 * log.c -- stderr/syslog reporting (after OpenBSD's log.c).  Owns the
 * destination and verbosity; owns nothing else.
 *
 * With --syslog where journald listens, lines go to it in its native
 * protocol instead (sd_journal_sendv), each with the fields a dom0 admin
 * filters on: SYSLOG_IDENTIFIER, PRIORITY and, for a line about a vif
 * ("xvif<D>i<H>[ queue <N>]: ..."), XVIF_VIF and XVIF_QUEUE, so that
 * `journalctl XVIF_VIF=xvif5i0` tells one vif's story.  The text stays
 * what syslog would get.  If journald refuses a line, syslog(3) takes it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/uio.h>
/* No CODE_FILE= of log.c on every line: the caller is what matters. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

#define LOG_JOURNAL_SOCKET	"/run/systemd/journal/socket"
/* A line: room for SIGUSR1's longest, every counter of a vif. */
#define LOG_LINE_MAX		2048

static const char *log_tag;
static bool log_syslog, log_journal;
static int log_verbose;

void
log_init(const char *tag, bool use_syslog, int verbose)
{
	log_tag = tag;
	log_syslog = use_syslog;
	log_verbose = verbose;
	log_journal = use_syslog && access(LOG_JOURNAL_SOCKET, W_OK) == 0;
	if (use_syslog)
		openlog(tag, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_verbosity(void)
{
	return log_verbose;
}

/*
 * The vif a line is about, from its "xvif<D>i<H>[ queue <N>]:" prefix:
 * the prefix's length (*vif_len), and the queue number's place and length
 * if any; 0 if the line has no such prefix.
 */
static size_t
log_vif_prefix(const char *msg, size_t *vif_len, const char **queue,
    size_t *queue_len)
{
	const char *p = msg;

	*vif_len = *queue_len = 0;
	*queue = NULL;
	if (strncmp(p, "xvif", 4) != 0 || !isdigit((unsigned char)p[4]))
		return 0;
	for (p += 4; isdigit((unsigned char)*p); p++)
		;
	if (*p++ != 'i' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	*vif_len = (size_t)(p - msg);
	if (strncmp(p, " queue ", 7) == 0 && isdigit((unsigned char)p[7])) {
		*queue = p + 7;
		for (p += 7; isdigit((unsigned char)*p); p++)
			;
		*queue_len = (size_t)(p - *queue);
	}
	if (*p != ':') {
		*vif_len = *queue_len = 0;
		*queue = NULL;
		return 0;
	}
	return *vif_len;
}

/* Format one KEY=value field into buf as iov: what fits of it. */
static void LOG_ATTR_FMT(4, 5)
log_field(struct iovec *iov, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	iov->iov_base = buf;
	iov->iov_len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* One line to journald with its fields; -1 if it would not take it. */
static int
log_journal_send(int prio, const char *msg)
{
	char f_msg[LOG_LINE_MAX + 256], f_prio[16], f_id[64], f_vif[48], f_q[32];
	struct iovec iov[5];
	const char *q;
	size_t vl, ql;
	int n = 0;

	log_field(&iov[n++], f_msg, sizeof(f_msg), "MESSAGE=%s", msg);
	log_field(&iov[n++], f_prio, sizeof(f_prio), "PRIORITY=%d", prio);
	log_field(&iov[n++], f_id, sizeof(f_id), "SYSLOG_IDENTIFIER=%s",
	    log_tag != NULL ? log_tag : "xvif");
	if (log_vif_prefix(msg, &vl, &q, &ql) > 0) {
		log_field(&iov[n++], f_vif, sizeof(f_vif), "XVIF_VIF=%.*s",
		    (int)vl, msg);
		if (q != NULL)
			log_field(&iov[n++], f_q, sizeof(f_q), "XVIF_QUEUE=%.*s",
			    (int)ql, q);
	}
	return sd_journal_sendv(iov, n) < 0 ? -1 : 0;
}

/*
 * A control byte as \xNN: what a line says comes in part from the toolstack
 * and the guests (a rate key, a vifname, a MAC), and a newline in it made
 * a line of its own in dom0's log, saying whatever they liked.  A
 * backslash too (\x5c), so that a value cannot pass for an escape.  Cut
 * at a whole escape where the line is full.
 */
static bool
log_escaped(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

static const char *
log_clean(const char *msg, char *buf, size_t len)
{
	size_t i, o;

	for (i = 0; msg[i] != '\0'; i++)
		if (log_escaped((unsigned char)msg[i]))
			break;
	if (msg[i] == '\0')
		return msg;
	for (i = 0, o = 0; msg[i] != '\0' && o + 5 < len; i++) {
		if (log_escaped((unsigned char)msg[i]))
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x",
			    (unsigned char)msg[i]);
		else
			buf[o++] = msg[i];
	}
	buf[o] = '\0';
	return buf;
}

/* One whole line to wherever lines go. */
static void
log_emit(int prio, const char *raw)
{
	char clean[LOG_LINE_MAX + 256];
	const char *msg = log_clean(raw, clean, sizeof(clean));

	if (log_journal && log_journal_send(prio, msg) == 0)
		return;
	if (log_syslog)
		syslog(prio, "%s", msg);
	else if (log_tag != NULL)
		fprintf(stderr, "%s: %s\n", log_tag, msg);
	else
		fprintf(stderr, "%s\n", msg);
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];

	if (prio == LOG_DEBUG && log_verbose < 1)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_emit(prio, buf);
}

static void
log_vcode(int prio, int code, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	snprintf(line, sizeof(line), "%s: %s", buf, strerror(code));
	log_emit(prio, line);
}

#define LOG_WRAP(name, prio)                                                  \
	void name(const char *fmt, ...)                                       \
	{                                                                     \
		va_list ap;                                                   \
		va_start(ap, fmt);                                            \
		log_vmsg(prio, fmt, ap);                                      \
		va_end(ap);                                                   \
	}
LOG_WRAP(log_warnx, LOG_WARNING)
LOG_WRAP(log_info, LOG_INFO)
LOG_WRAP(log_debug, LOG_DEBUG)

void
log_warn(const char *fmt, ...)
{
	int code = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vcode(LOG_WARNING, code, fmt, ap);
	va_end(ap);
}

void
log_warnc(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vcode(LOG_WARNING, code, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int code = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vcode(LOG_CRIT, code, fmt, ap);
	va_end(ap);
	exit(1);
}

static _Noreturn void
fatal_vexit(int status, const char *fmt, va_list ap)
{
	log_vmsg(LOG_CRIT, fmt, ap);
	exit(status);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fatal_vexit(1, fmt, ap);
}

void
fatalx_status(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fatal_vexit(status, fmt, ap);
}

void
log_warnx_rated(struct log_rate *lr, const char *tag, const char *msg)
{
	if (lr->lr_suppressed > 0) {
		log_warnx("%s: %s (%lu similar messages suppressed)", tag, msg,
		    lr->lr_suppressed);
		lr->lr_suppressed = 0;
	} else
		log_warnx("%s: %s", tag, msg);
}

bool
log_ratecheck_burst(struct log_rate *lr, unsigned int interval,
    unsigned int burst)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!lr->lr_armed || now.tv_sec - lr->lr_last.tv_sec >= (time_t)interval) {
		lr->lr_last = now;
		lr->lr_armed = true;
		lr->lr_n = 1;
		return true;
	}
	if (lr->lr_n < burst) {
		lr->lr_n++;
		return true;
	}
	lr->lr_suppressed++;
	return false;
}

bool
log_ratecheck(struct log_rate *lr, unsigned int interval)
{
	return log_ratecheck_burst(lr, interval, 1);
}
