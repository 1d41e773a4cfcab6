/*
 * hv.c -- the port's own code: opening an implementation, and names for
 * the statuses it reports.  The implementations are hv_xen.c and
 * sim/hv_sim.c; the XenStore half they share is hv_xs.c.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>

#include "hv.h"
#include "proto.h"

int
hv_open(const struct hv_ops *ops, const struct hv_cfg *cfg, struct hv **out)
{
	static const struct hv_cfg defaults;
	int rc;

	/* Every member is mandatory: a port narrowed to what a netback needs. */
	assert(ops != NULL && ops->open != NULL && ops->close != NULL);
	assert(ops->xs_read && ops->xs_write && ops->xs_mkdir && ops->xs_rm &&
	    ops->xs_directory && ops->xs_set_perms && ops->xs_txn_start &&
	    ops->xs_txn_end && ops->xs_watch && ops->xs_unwatch &&
	    ops->xs_watch_fd && ops->xs_read_watch && ops->xs_domain_alive);
	assert(ops->gnt_copy && ops->gnt_map && ops->gnt_unmap);
	assert(ops->evt_open && ops->evt_close && ops->evt_bind &&
	    ops->evt_unbind && ops->evt_notify &&
	    ops->evt_fd && ops->evt_pending && ops->evt_unmask);
	*out = NULL;
	rc = ops->open(cfg != NULL ? cfg : &defaults, out);
	if (rc < 0)
		return rc;
	assert(*out != NULL && (*out)->hv_ops == ops);
	return 0;
}

void
hv_close(struct hv *hv)
{
	if (hv != NULL)
		hv->hv_ops->close(hv);
}

int
hv_own_domid(struct hv *hv, domid_t *domid)
{
	char buf[16];
	unsigned long v;
	int rc;

	/* A relative path: xenstored reads it below /local/domain/<caller>. */
	if ((rc = hv_xs_read(hv, HV_TXN_NONE, "domid", buf, sizeof(buf))) < 0)
		return rc == -E2BIG ? -EINVAL : rc;
	if (proto_parse_uint(buf, DOMID_FIRST_RESERVED - 1, &v) < 0)
		return -EINVAL;
	*domid = (domid_t)v;
	return 0;
}

const char *
hv_gntst_str(int16_t status)
{
	/* The GNTST_* values of xen/grant_table.h, which are its ABI. */
	static const char *const names[] = {
		[-GNTST_okay] = "GNTST_okay",
		[-GNTST_general_error] = "GNTST_general_error",
		[-GNTST_bad_domain] = "GNTST_bad_domain",
		[-GNTST_bad_gntref] = "GNTST_bad_gntref",
		[-GNTST_bad_handle] = "GNTST_bad_handle",
		[-GNTST_bad_virt_addr] = "GNTST_bad_virt_addr",
		[-GNTST_bad_dev_addr] = "GNTST_bad_dev_addr",
		[-GNTST_no_device_space] = "GNTST_no_device_space",
		[-GNTST_permission_denied] = "GNTST_permission_denied",
		[-GNTST_bad_page] = "GNTST_bad_page",
		[-GNTST_bad_copy_arg] = "GNTST_bad_copy_arg",
		[-GNTST_address_too_big] = "GNTST_address_too_big",
		[-GNTST_eagain] = "GNTST_eagain",
		[-GNTST_no_space] = "GNTST_no_space",
	};

	if (status > 0 || -status >= (int)(sizeof(names) / sizeof(names[0])) ||
	    names[-status] == NULL)
		return "GNTST_unknown";
	return names[-status];
}
