/*
 * hv_xs.c -- the XenStore half of the hv port, on the real libxenstore.
 * Shared by hv_xen.c and sim/hv_sim.c: the simulator replaces xenstored,
 * never the client library.  Owns hv->hv_xsh; owns no policy.
 *
 * libxenstore reports failures through errno and returns malloc'd values;
 * here they become -errno and copies into the caller's buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "hv.h"

/* errno after a libxenstore failure, never 0 (some paths forget to set it). */
static int
hvxs_err(void)
{
	return errno != 0 ? -errno : -EIO;
}

int
hv_xs_connect(struct hv *hv, const char *socket)
{
	const char *old = NULL;
	char *saved = NULL;

	/*
	 * libxenstore takes its socket from XENSTORED_PATH only; set it for
	 * the duration of xs_open() and put back what was there.
	 */
	if (socket != NULL) {
		old = getenv("XENSTORED_PATH");
		if (old != NULL && (saved = strdup(old)) == NULL)
			return -ENOMEM;
		if (setenv("XENSTORED_PATH", socket, 1) < 0) {
			free(saved);
			return -errno;
		}
	}
	errno = 0;
	hv->hv_xsh = xs_open(socket != NULL ? XS_OPEN_SOCKETONLY : 0);
	int rc = hv->hv_xsh == NULL ? hvxs_err() : 0;
	if (socket != NULL) {
		if (saved != NULL)
			setenv("XENSTORED_PATH", saved, 1);
		else
			unsetenv("XENSTORED_PATH");
		free(saved);
	}
	return rc;
}

void
hv_xs_disconnect(struct hv *hv)
{
	if (hv->hv_xsh != NULL) {
		xs_close(hv->hv_xsh);
		hv->hv_xsh = NULL;
	}
}

int
hv_xs_op_read(struct hv *hv, uint32_t txn, const char *path, char *buf,
    size_t len)
{
	unsigned int n;
	char *v;

	errno = 0;
	if ((v = xs_read(hv->hv_xsh, txn, path, &n)) == NULL)
		return hvxs_err();
	if (len == 0 || n >= len) {
		free(v);
		return -E2BIG;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	free(v);
	return (int)n;
}

int
hv_xs_op_write(struct hv *hv, uint32_t txn, const char *path, const char *val,
    size_t len)
{
	errno = 0;
	return xs_write(hv->hv_xsh, txn, path, val, (unsigned int)len) ? 0 :
	    hvxs_err();
}

int
hv_xs_op_mkdir(struct hv *hv, uint32_t txn, const char *path)
{
	errno = 0;
	return xs_mkdir(hv->hv_xsh, txn, path) ? 0 : hvxs_err();
}

int
hv_xs_op_rm(struct hv *hv, uint32_t txn, const char *path)
{
	errno = 0;
	return xs_rm(hv->hv_xsh, txn, path) ? 0 : hvxs_err();
}

int
hv_xs_op_directory(struct hv *hv, uint32_t txn, const char *path,
    char ***names, unsigned int *n)
{
	char **v;

	/* libxenstore already returns one block: the array, then the strings. */
	errno = 0;
	if ((v = xs_directory(hv->hv_xsh, txn, path, n)) == NULL) {
		*names = NULL;
		*n = 0;
		return hvxs_err();
	}
	*names = v;
	return 0;
}

int
hv_xs_op_set_perms(struct hv *hv, uint32_t txn, const char *path,
    const struct hv_perm *perms, unsigned int n)
{
	struct xs_permissions xp[16];
	unsigned int i;

	if (n == 0 || n > sizeof(xp) / sizeof(xp[0]))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		xp[i].id = perms[i].pm_dom;
		switch (perms[i].pm_mode) {
		case 'n': xp[i].perms = XS_PERM_NONE; break;
		case 'r': xp[i].perms = XS_PERM_READ; break;
		case 'w': xp[i].perms = XS_PERM_WRITE; break;
		case 'b': xp[i].perms = XS_PERM_READ | XS_PERM_WRITE; break;
		default: return -EINVAL;
		}
	}
	errno = 0;
	return xs_set_permissions(hv->hv_xsh, txn, path, xp, n) ? 0 :
	    hvxs_err();
}

int
hv_xs_op_txn_start(struct hv *hv, uint32_t *txn)
{
	xs_transaction_t t;

	errno = 0;
	if ((t = xs_transaction_start(hv->hv_xsh)) == XBT_NULL)
		return hvxs_err();
	*txn = t;
	return 0;
}

int
hv_xs_op_txn_end(struct hv *hv, uint32_t txn, bool abort)
{
	errno = 0;
	return xs_transaction_end(hv->hv_xsh, txn, abort) ? 0 : hvxs_err();
}

int
hv_xs_op_watch(struct hv *hv, const char *path, const char *token)
{
	errno = 0;
	return xs_watch(hv->hv_xsh, path, token) ? 0 : hvxs_err();
}

int
hv_xs_op_unwatch(struct hv *hv, const char *path, const char *token)
{
	errno = 0;
	return xs_unwatch(hv->hv_xsh, path, token) ? 0 : hvxs_err();
}

int
hv_xs_op_watch_fd(struct hv *hv)
{
	int fd = xs_fileno(hv->hv_xsh);

	return fd >= 0 ? fd : -EIO;
}

int
hv_xs_op_read_watch(struct hv *hv, char *path, size_t plen, char *token,
    size_t tlen)
{
	char **ev;
	int rc = 1;

	errno = 0;
	if ((ev = xs_check_watch(hv->hv_xsh)) == NULL)
		return errno == EAGAIN || errno == 0 ? 0 : hvxs_err();
	if (strlen(ev[XS_WATCH_PATH]) >= plen ||
	    strlen(ev[XS_WATCH_TOKEN]) >= tlen)
		rc = -E2BIG;
	else {
		strcpy(path, ev[XS_WATCH_PATH]);
		strcpy(token, ev[XS_WATCH_TOKEN]);
	}
	free(ev);
	return rc;
}

int
hv_xs_op_domain_alive(struct hv *hv, domid_t domid)
{
	/*
	 * xenstored answers for domains it was introduced to; a dead domain
	 * is released by the toolstack (and @releaseDomain fires).  Dom0 and
	 * ourselves are never introduced yet always alive.
	 */
	if (domid == 0 || domid == hv->hv_self)
		return 1;
	errno = 0;
	if (xs_is_domain_introduced(hv->hv_xsh, domid))
		return 1;
	/*
	 * Not introduced -- or not answered: only dom0 may ask (Xen 4.17's
	 * xenstored refuses XS_IS_DOMAIN_INTRODUCED to others, EACCES), and
	 * a driver domain that took that for "gone" would close every vif
	 * it serves at each @releaseDomain, its own start's included.
	 */
	return errno != 0 ? -errno : 0;
}
