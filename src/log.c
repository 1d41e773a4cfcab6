/*
 * log.c -- stderr/syslog reporting (after OpenBSD's log.c).  Owns the
 * destination and verbosity; owns nothing else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_tag;
static bool log_syslog;
static int log_verbose;

void
log_init(const char *tag, bool use_syslog, int verbose)
{
	log_tag = tag;
	log_syslog = use_syslog;
	log_verbose = verbose;
	if (use_syslog)
		openlog(tag, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_verbosity(void)
{
	return log_verbose;
}

void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	if (prio == LOG_DEBUG && log_verbose < 1)
		return;
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
		return;
	}
	if (log_tag != NULL)
		fprintf(stderr, "%s: ", log_tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void
log_vcode(int prio, int code, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_syslog)
		syslog(prio, "%s: %s", buf, strerror(code));
	else if (log_tag != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_tag, buf, strerror(code));
	else
		fprintf(stderr, "%s: %s\n", buf, strerror(code));
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

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

bool
log_ratecheck(struct log_rate *lr, unsigned int interval)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!lr->lr_armed || now.tv_sec - lr->lr_last.tv_sec >= (time_t)interval) {
		lr->lr_last = now;
		lr->lr_armed = true;
		return true;
	}
	lr->lr_suppressed++;
	return false;
}
