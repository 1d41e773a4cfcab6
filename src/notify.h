/*
 * notify.h -- telling the service manager how xvifd is doing, by
 * sd_notify(3): READY=1 once it serves, STOPPING=1 once it begins to
 * stop.  systemd's Type=notify (dist/xvifd.service) waits for the first
 * and sets NOTIFY_SOCKET for both; without NOTIFY_SOCKET each call does
 * nothing.  Called by xvifd.c only.
 */
#ifndef XVIF_NOTIFY_H
#define XVIF_NOTIFY_H

void	notify_ready(void);
void	notify_stopping(void);

#endif
