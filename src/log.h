/*
 * log.h -- the project's one way to report.  Messages go to stderr or to
 * syslog, prefixed by nothing but what the caller writes; by convention
 * "<ifname or subsystem>: <action>: <reason>", lower case, no period.
 * Ports and pure modules do not log above debug: the caller that knows the
 * context logs once (STYLE.md 8.3).
 */
#ifndef XVIF_LOG_H
#define XVIF_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>

#define LOG_ATTR_FMT(a, b) __attribute__((format(printf, a, b)))

/* tag: program name for syslog and the stderr prefix; NULL for none. */
void	log_init(const char *tag, bool use_syslog, int verbose);
int	log_verbosity(void);
void	log_warn(const char *, ...) LOG_ATTR_FMT(1, 2);	/* + strerror(errno) */
void	log_warnc(int code, const char *, ...) LOG_ATTR_FMT(2, 3); /* + strerror(code) */
void	log_warnx(const char *, ...) LOG_ATTR_FMT(1, 2);
void	log_info(const char *, ...) LOG_ATTR_FMT(1, 2);
void	log_debug(const char *, ...) LOG_ATTR_FMT(1, 2);	/* verbose >= 1 */
void	log_vmsg(int prio, const char *, va_list) LOG_ATTR_FMT(2, 0);
_Noreturn void fatal(const char *, ...) LOG_ATTR_FMT(1, 2);
_Noreturn void fatalx(const char *, ...) LOG_ATTR_FMT(1, 2);	/* exit 1 */
_Noreturn void fatalx_status(int status, const char *, ...) LOG_ATTR_FMT(2, 3);

/*
 * A rate limiter for untrusted input (NetBSD ratecheck(9)): returns true
 * at most once per `interval` seconds; *suppressed counts the calls that
 * returned false since the last true, and is reset by the caller after
 * reporting it.
 */
struct log_rate {
	struct timespec	lr_last;	/* the window's start */
	unsigned long	lr_suppressed;
	unsigned int	lr_n;		/* true this window */
	bool		lr_armed;
};
bool	log_ratecheck(struct log_rate *, unsigned int interval);
/* ... or true at most burst times per window of interval seconds. */
bool	log_ratecheck_burst(struct log_rate *, unsigned int interval,
	    unsigned int burst);
/*
 * After log_ratecheck said yes: "<tag>: <msg>", with how many like it
 * were held back since the last one (and that count reset).
 */
void	log_warnx_rated(struct log_rate *, const char *tag, const char *msg);

#endif
