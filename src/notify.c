/*
 * notify.c -- see notify.h.  Owns nothing but the two messages: the
 * socket is sd_notify(3)'s, made and closed within each call, and the
 * protocol (one datagram to $NOTIFY_SOCKET) is libsystemd's.
 *
 * Both messages are sent with the seccomp filter armed (READY=1 only once
 * the daemon really serves, so after priv_seccomp()): what sd_notify
 * makes -- socket(AF_UNIX), get/setsockopt of SO_SNDBUF, getuid and the
 * like, sendmsg, close -- is allowed in priv.c, and
 * tests/sh/t_package.sh proves it.
 *
 * A failure to notify is logged and never fatal: a service manager that
 * does not hear READY=1 stops the daemon itself after its own timeout,
 * and one started by hand with a stale NOTIFY_SOCKET must still serve.
 */
#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

static void
notify_send(const char *state)
{
	int rc;

	/* 0: keep NOTIFY_SOCKET in the environment, for STOPPING=1. */
	if ((rc = sd_notify(0, state)) < 0)
		log_warnc(-rc, "notify %s", state);
	else if (rc > 0)
		log_debug("notify %s: sent", state);
}

void
notify_ready(void)
{
	notify_send("READY=1");
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}
