/*
 * xbus_faults.c -- the control plane's fault points (a new vif's, its
 * state writes), in the test build alone (xvifd-faults, which the
 * Makefile links with this file; the product has none, and this file is
 * empty for it): each waits or fails where a test must put something in
 * between.  Kept out of xbus.c so that the product's code reads without
 * them.
 */
#ifdef XVIFD_FAULTS
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "xvif.h"
#include "log.h"
#include "proto.h"

/*
 * XVIFD_TEST_ADVERTISE_DELAY_MS=N: a new vif's features are written N ms
 * after its directory was read, the main loop stopped meanwhile, so that
 * a test can remove the directory in between.
 */
void
xbus_fault_advertise(void)
{
	const char *e = getenv("XVIFD_TEST_ADVERTISE_DELAY_MS");
	unsigned long ms;

	if (e == NULL)
		return;
	if (proto_parse_uint(e, 60000, &ms) < 0)
		fatalx("XVIFD_TEST_ADVERTISE_DELAY_MS=%s: want 0 to 60000", e);
	log_info("test build: features written %lu ms late", ms);
	(void)usleep((useconds_t)ms * 1000);
}

/* XVIFD_TEST_ADVERTISE_EIO=D: writing domain D's vif's features fails. */
int
xbus_fault_advertise_eio(const struct xvif *vif)
{
	return vif_fault_for(vif, "XVIFD_TEST_ADVERTISE_EIO") ? -EIO : 0;
}

/*
 * XVIFD_TEST_PAUSE_AT_OPEN=D: the first open of domain D's vif's TAP
 * waits 2 s after its name was looked up, so that a test can rename the
 * interface in between, as a hotplug script may.
 */
void
xbus_fault_open(const struct xvif *vif, const char *name)
{
	if (!vif_fault_for(vif, "XVIFD_TEST_PAUSE_AT_OPEN"))
		return;
	log_info("test build: %s: interface %s opened 2 s late", vif->vif_tag,
	    name);
	(void)usleep(2000000);
}

/*
 * XVIFD_TEST_STATE_EIO=D: the first three state writes of domain D's
 * vifs fail, as a XenStore that refuses them for a while would.
 */
int
xbus_fault_state_eio(const struct xvif *vif)
{
	static unsigned int failed;

	if (!vif_fault_for(vif, "XVIFD_TEST_STATE_EIO") || failed == 3)
		return 0;
	failed++;
	return -EIO;
}
#endif
