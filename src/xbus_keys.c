/*
 * xbus_keys.c -- the XenStore keys of a vif, read and checked: the
 * toolstack's (mac, vifname, rate, antispoof and ip) and the frontend's
 * (rings, event channels, queues, features: untrusted, the guest wrote
 * them); and our own written, only while the toolstack's directory
 * exists.  The state machine that uses them is xbus.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "antispoof.h"
#include "xvif.h"

/*
 * Read dir/key into buf; -errno as hv_xs_read, and -EINVAL for a value
 * with a NUL inside: "4\0junk" is not the "4" a C string reader sees.
 */
int
xbus_read(struct xvif *vif, const char *dir, const char *key, char *buf,
    size_t len)
{
	char path[XVIF_PATH_MAX + 64];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	rc = hv_xs_read(vif->vif_d->xd_hv, HV_TXN_NONE, path, buf, len);
	if (rc > 0 && (size_t)rc != strlen(buf))
		return -EINVAL;
	return rc;
}

/* Untrusted (frontend keys): a decimal number <= max, or -errno. */
int
xbus_read_uint(struct xvif *vif, const char *dir, const char *key,
    unsigned long max, unsigned long *out)
{
	char buf[32];
	int rc;

	if ((rc = xbus_read(vif, dir, key, buf, sizeof(buf))) < 0)
		return rc;
	return proto_parse_uint(buf, max, out);
}

/* A boolean feature key: "1" is on, absent or anything else is off. */
bool
xbus_read_flag(struct xvif *vif, const char *dir, const char *key)
{
	char buf[8];

	return xbus_read(vif, dir, key, buf, sizeof(buf)) == 1 &&
	    buf[0] == '1';
}

/*
 * Has the toolstack taken the vif offline (the backend's online key is
 * "0": libxl's detach, before it writes Closing)?  Absent or anything
 * else counts as online here, as xvifd has always read it.
 */
bool
xbus_offline(struct xvif *vif)
{
	char buf[8];

	return xbus_read(vif, vif->vif_be, "online", buf, sizeof(buf)) == 1 &&
	    buf[0] == '0';
}

/*
 * Run body(vif, txn, arg) in one transaction, started again while it
 * conflicts with another (at most XVIF_XS_TXN_TRIES times); an error of
 * body's aborts it and is returned.
 */
int
xbus_txn(struct xvif *vif, int (*body)(struct xvif *, uint32_t, void *),
    void *arg)
{
	struct hv *hv = vif->vif_d->xd_hv;
	uint32_t txn;
	int rc = -EAGAIN, i;

	for (i = 0; i < XVIF_XS_TXN_TRIES; i++) {
		if ((rc = hv_xs_txn_start(hv, &txn)) < 0)
			return rc;
		if ((rc = body(vif, txn, arg)) < 0) {
			(void)hv_xs_txn_end(hv, txn, true);
			return rc;
		}
		if ((rc = hv_xs_txn_end(hv, txn, false)) != -EAGAIN)
			return rc;
	}
	return rc;
}

struct xbus_kv {
	const char	*kv_key, *kv_val;
};

/*
 * In transaction txn: is our backend directory still the toolstack's
 * (its frontend-id there)?  0, -ENOENT if it was removed, else -errno.
 * Every write of ours into it asks first: the toolstack owns it, and we
 * must never re-create it after it was removed.
 */
int
xbus_be_there(struct xvif *vif, uint32_t txn)
{
	char path[XVIF_PATH_MAX + 32], buf[8];
	int rc;

	snprintf(path, sizeof(path), "%s/frontend-id", vif->vif_be);
	rc = hv_xs_read(vif->vif_d->xd_hv, txn, path, buf, sizeof(buf));
	return rc < 0 && rc != -E2BIG ? rc : 0;
}

static int
xbus_write_be_txn(struct xvif *vif, uint32_t txn, void *arg)
{
	const struct xbus_kv *kv = arg;
	char path[XVIF_PATH_MAX + 32];
	int rc;

	if ((rc = xbus_be_there(vif, txn)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", vif->vif_be, kv->kv_key);
	return hv_xs_write(vif->vif_d->xd_hv, txn, path, kv->kv_val);
}

/*
 * Write key=val in our backend directory, but only while that directory
 * exists: the toolstack owns it and we must never re-create it after it
 * was removed.  One transaction, retried on conflict.
 */
int
xbus_write_be(struct xvif *vif, const char *key, const char *val)
{
	struct xbus_kv kv = { key, val };

	return xbus_txn(vif, xbus_write_be_txn, &kv);
}

/*
 * Why a connect is refused: the vif's failure reason (the first, if
 * several), which xbus_fail writes to the backend's error node for the
 * toolstack, every time, and xvifctl shows; in the log at most every
 * XVIF_LOG_INTERVAL seconds per vif: most of these name what the
 * frontend wrote, and a guest that resets its frontend in a loop must
 * not fill dom0's log with the same line.
 */
void
xbus_error(struct xvif *vif, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_ratecheck(&vif->vif_err_rate, XVIF_LOG_INTERVAL))
		log_warnx_rated(&vif->vif_err_rate, vif->vif_tag, msg);
	_Static_assert(sizeof(msg) == sizeof(vif->vif_fail_why), "as long");
	if (vif->vif_fail_why[0] == '\0')
		memcpy(vif->vif_fail_why, msg, sizeof(msg));
}

/* The MAC rule and the man page's diagnostics, word for word. */
int
xbus_read_mac(struct xvif *vif)
{
	uint8_t fe_mac[PROTO_ETH_ALEN];
	char buf[64], mac[PROTO_MAC_STRLEN];
	int rc;

	if ((rc = xbus_read(vif, vif->vif_be, "mac", buf, sizeof(buf))) < 0) {
		log_warnx("%s: can't read %s/mac: %d", vif->vif_tag,
		    vif->vif_be, -rc);
		return rc;
	}
	if (proto_mac_parse(buf, fe_mac) < 0) {
		log_warnx("%s: %s is not a valid mac address", vif->vif_tag,
		    buf);
		return -EINVAL;
	}
	if (proto_mac_backend(fe_mac, vif->vif_mac) < 0) {
		log_warnx("%s: %s is not a valid mac address", vif->vif_tag,
		    buf);
		return -EINVAL;
	}
	memcpy(vif->vif_fe_mac, fe_mac, sizeof(fe_mac));
	proto_mac_format(vif->vif_mac, mac);
	log_info("%s: Ethernet address %s", vif->vif_tag, mac);
	return 0;
}

/*
 * vifname if the toolstack wrote a usable one, else xvif<D>i<H>.  On
 * failure, why (for the error node; also logged).  xvif<D>i<H> is vif
 * D/H's own name (xvif(4)), and vif<D>.<H> libxl's for it until the
 * hotplug script renames it: another vif that asks for either would take
 * it while D is not running, and then D's vif would be refused (and go
 * by a tag that names the other's interface).  A vif a predecessor
 * already served (InitWait to Connected) keeps the name it was given:
 * refused at a restart, its guest would be cut off.
 */
int
xbus_read_name(struct xvif *vif, char *why, size_t len)
{
	unsigned long st;
	unsigned int d, h;
	char buf[64];
	const char *bad;
	int rc;

	rc = xbus_read(vif, vif->vif_be, "vifname", buf, sizeof(buf));
	if (rc == -ENOENT || rc == 0)
		return proto_ifname_default(vif->vif_name,
		    sizeof(vif->vif_name), vif->vif_domid, vif->vif_handle);
	if (rc < 0 && rc != -E2BIG) {
		log_warnc(-rc, "%s: read %s/vifname", vif->vif_tag,
		    vif->vif_be);
		snprintf(why, len, "vifname unreadable: %s", strerror(-rc));
		return rc;
	}
	if (rc == -E2BIG || (bad = proto_ifname_check(buf)) != NULL)
		snprintf(why, len, "vifname \"%s\" %s",
		    rc == -E2BIG ? "(long)" : buf,
		    rc == -E2BIG ? "is longer than 15 bytes" : bad);
	else if (proto_ifname_owner(buf, &d, &h) &&
	    (d != vif->vif_domid || h != vif->vif_handle) &&
	    (xbus_read_uint(vif, vif->vif_be, "state", XenbusStateClosed,
	    &st) < 0 || st < XenbusStateInitWait || st > XenbusStateConnected))
		snprintf(why, len, "vifname %s is the name of domain %u's "
		    "vif %u", buf, d, h);
	else {
		memcpy(vif->vif_name, buf, strlen(buf) + 1);	/* fits */
		return 0;
	}
	log_warnx("%s: %s", vif->vif_tag, why);
	return -EINVAL;
}

/* One queue's ring refs and event channel(s) under dir (netif.h). */
static int
xbus_read_feq(struct xvif *vif, const char *dir, struct vif_feq *fq,
    bool *split)
{
	static const char *const keys[] = { "tx-ring-ref", "rx-ring-ref",
	    "event-channel-tx", "event-channel-rx" };
	unsigned long v[4];
	unsigned int i;
	int rc;

	for (i = 0; i < 4; i++) {
		rc = xbus_read_uint(vif, dir, keys[i], i < 2 ? UINT32_MAX :
		    UINT32_MAX - 1, &v[i]);
		if (i == 2 && rc == -ENOENT) {
			/* One channel for both rings, as most frontends. */
			rc = xbus_read_uint(vif, dir, "event-channel",
			    UINT32_MAX - 1, &v[2]);
			if (rc == 0) {
				v[3] = v[2];
				break;
			}
			xbus_error(vif, "reading %s/event-channel: %s", dir,
			    strerror(-rc));
			return rc;
		}
		if (rc < 0) {
			xbus_error(vif, "reading %s/%s: %s", dir, keys[i],
			    strerror(-rc));
			return rc;
		}
		if (i == 3)
			*split = true;
	}
	fq->fq_tx_ref = (grant_ref_t)v[0];
	fq->fq_rx_ref = (grant_ref_t)v[1];
	fq->fq_port_tx = (uint32_t)v[2];
	fq->fq_port_rx = (uint32_t)v[3];
	return 0;
}

/*
 * How many queues: multi-queue-num-queues, 1 if absent; at least 1 and
 * at most what we offered (Linux netback refuses more the same way).
 */
static int
xbus_read_nqueues(struct xvif *vif, unsigned int *nq)
{
	const char *dir = vif->vif_fe_path;
	unsigned long v;
	int rc;

	rc = xbus_read_uint(vif, dir, "multi-queue-num-queues", 65535, &v);
	if (rc == -ENOENT) {
		*nq = 1;
		return 0;
	}
	if (rc < 0) {
		xbus_error(vif, "reading %s/multi-queue-num-queues: %s", dir,
		    strerror(-rc));
		return rc;
	}
	if (v == 0 || v > vif->vif_queues_max) {
		xbus_error(vif, "guest requested %lu queues, %s%u", v,
		    v == 0 ? "fewer than the minimum of " :
		    "exceeding the maximum of ", v == 0 ? 1 :
		    vif->vif_queues_max);
		return -EINVAL;
	}
	*nq = (unsigned int)v;
	return 0;
}

/*
 * The directory of queue i of nq under the frontend's: queue-N below it
 * with several queues; with one the keys are flat, even if the count was
 * written.
 */
static void
xbus_fe_qdir(const struct xvif *vif, unsigned int nq, unsigned int i,
    char *qdir, size_t len)
{
	if (nq > 1)
		snprintf(qdir, len, "%s/queue-%u", vif->vif_fe_path, i);
	else
		snprintf(qdir, len, "%s", vif->vif_fe_path);
}

/* Is key under dir there (whatever it says)? */
static bool
xbus_key_there(struct xvif *vif, const char *dir, const char *key)
{
	char buf[16];

	return xbus_read(vif, dir, key, buf, sizeof(buf)) != -ENOENT;
}

/*
 * Are the rings of queue 0 under dir the ones the last connect read (or
 * tried)?  A frontend does not remove its keys when it resets, it writes
 * new ones over them: until then they are the old connection's.  The
 * same refs and channel may also be a new connection's (refs and ports
 * are given lowest-free): then the frontend made the TX ring again
 * (SHARED_RING_INIT), which cleared the mark the last connect left in its
 * reserved bytes (vif_journal.c).  A ring that cannot be mapped is no new
 * one either: no connect could use it.  A last connect that failed before
 * its journal marked the rings left nothing else to tell by: a ring that
 * maps counts as new (a fresh one is as unmarked as that one was, and a
 * frontend that waits in Initialised over fresh rings under the same
 * refs would wait for ever; one that said Initialised before rewriting
 * its keys is connected to the old ones, and failed again, as before).
 */
static bool
xbus_fe_keys_old(struct xvif *vif, const char *dir)
{
	const struct vif_feq *last = &vif->vif_fe.fe_q[0];
	struct hv *hv = vif->vif_d->xd_hv;
	unsigned long tx, rx, port;
	void *page;
	bool old;

	if (vif->vif_fe.fe_nqueues == 0)
		return false;		/* no connect yet */
	if (xbus_read_uint(vif, dir, "event-channel", UINT32_MAX, &port) < 0 &&
	    xbus_read_uint(vif, dir, "event-channel-tx", UINT32_MAX, &port) < 0)
		return false;
	if (xbus_read_uint(vif, dir, "tx-ring-ref", UINT32_MAX, &tx) < 0 ||
	    xbus_read_uint(vif, dir, "rx-ring-ref", UINT32_MAX, &rx) < 0 ||
	    tx != last->fq_tx_ref || rx != last->fq_rx_ref ||
	    port != last->fq_port_tx)
		return false;
	if (hv_gnt_map(hv, vif->vif_domid, (grant_ref_t)tx, &page) < 0)
		return true;
	old = vif->vif_ring_mark != 0 &&
	    memcmp(((netif_tx_sring_t *)page)->__pad, &vif->vif_ring_mark,
	    sizeof(vif->vif_ring_mark)) == 0;
	(void)hv_gnt_unmap(hv, page);
	return old;
}

/*
 * Has the frontend written the keys a connect reads (request-rx-copy,
 * each queue's ring refs and channel), for this connection?  Asked when
 * it says Initialised: Linux netback connects on Connected only, whatever
 * it finds, so a frontend that says Initialised before writing its keys
 * works there, and here it is waited for as well (netback.md: Initialised
 * is as good as Connected once the keys are all there) -- until it says
 * Connected, or says Initialised again, or the backend directory changes:
 * keys written alone wake no watch of ours, as they wake none of Linux's.
 * The last connection's rings found again are not this connection's keys
 * yet (a reset and Initialised, the new keys to come) -- unless made
 * again under the same refs (xbus_fe_keys_old).  Otherwise only
 * whether they are there: what they say is xbus_read_fe's to judge, and
 * a key that cannot be read for another reason counts as there, for the
 * connect to say why.
 */
bool
xbus_fe_keys_written(struct xvif *vif)
{
	const char *dir = vif->vif_fe_path;
	char qdir[XVIF_PATH_MAX + 24], buf[16];
	unsigned long nq = 1;
	unsigned int i;
	int rc;

	if (!xbus_key_there(vif, dir, "request-rx-copy"))
		return false;
	/*
	 * A count that does not parse, or cannot be read at all (too long,
	 * a NUL inside, not ours to read), is not one queue: the connect
	 * refuses it and says why (xbus_read_nqueues).
	 */
	rc = xbus_read(vif, dir, "multi-queue-num-queues", buf, sizeof(buf));
	if (rc != -ENOENT && (rc < 0 || proto_parse_uint(buf, 65535,
	    &nq) < 0 || nq == 0 || nq > vif->vif_queues_max))
		return true;
	for (i = 0; i < nq; i++) {
		xbus_fe_qdir(vif, (unsigned int)nq, i, qdir, sizeof(qdir));
		if (!xbus_key_there(vif, qdir, "tx-ring-ref") ||
		    !xbus_key_there(vif, qdir, "rx-ring-ref") ||
		    (!xbus_key_there(vif, qdir, "event-channel") &&
		    !xbus_key_there(vif, qdir, "event-channel-tx")))
			return false;
		if (i == 0 && xbus_fe_keys_old(vif, qdir))
			return false;
	}
	return true;
}

/* Frontend keys for a connect (netif.h); Untrusted: the guest wrote them. */
int
xbus_read_fe(struct xvif *vif, struct vif_fe *fe)
{
	const char *dir = vif->vif_fe_path;
	char qdir[XVIF_PATH_MAX + 24];
	bool split;
	unsigned int i;
	int rc;

	memset(fe, 0, sizeof(*fe));
	if (!xbus_read_flag(vif, dir, "request-rx-copy")) {
		xbus_error(vif, "%s/request-rx-copy not supported by frontend",
		    dir);
		return -EOPNOTSUPP;
	}
	if ((rc = xbus_read_nqueues(vif, &fe->fe_nqueues)) < 0)
		return rc;
	for (i = 0; i < fe->fe_nqueues; i++) {
		xbus_fe_qdir(vif, fe->fe_nqueues, i, qdir, sizeof(qdir));
		split = false;
		if ((rc = xbus_read_feq(vif, qdir, &fe->fe_q[i], &split)) < 0)
			return rc;
		if (i > 0 && split != fe->fe_split) {
			xbus_error(vif, "%s: split event channels on some "
			    "queues only", dir);
			return -EINVAL;
		}
		fe->fe_split = split;
	}
	fe->fe_sg = xbus_read_flag(vif, dir, "feature-sg");
	fe->fe_rx_notify = xbus_read_flag(vif, dir, "feature-rx-notify");
	fe->fe_csum = !xbus_read_flag(vif, dir, "feature-no-csum-offload");
	fe->fe_ipv6_csum = xbus_read_flag(vif, dir, "feature-ipv6-csum-offload");
	/*
	 * XXX: feature-gso-tcpv4-prefix (the GSO extra in a slot before the
	 * frame, for old Windows PV drivers) is not offered: such a frontend
	 * gets segments.
	 */
	/* A superframe needs SG to fit the ring (xenvif_fix_features). */
	fe->fe_gso4 = fe->fe_sg && xbus_read_flag(vif, dir,
	    "feature-gso-tcpv4");
	fe->fe_gso6 = fe->fe_sg && xbus_read_flag(vif, dir,
	    "feature-gso-tcpv6");
	return 0;
}

/* What a line said, to say it once (FNV-1a; never 0, which is none). */
static uint64_t
xbus_said_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h | 1;
}

/*
 * The toolstack's rate key (libxl: "<bytes>,<usecs>"), for guest TX; no
 * key is no limit.  A value that does not parse is no limit either, and
 * said, as Linux netback's xen_net_read_rate does ("Failed to parse
 * network rate limit. Traffic unlimited."), and counted (key_errors) --
 * once a value (vif_rate_said): the key is read at every connect too,
 * which a guest drives in a loop if it likes.  xbus_rate forgets what
 * was said when the key is written while the vif runs, to say it anew.
 */
void
xbus_read_rate(struct xvif *vif, struct vif_rate *out)
{
	char buf[64], msg[XVIF_PATH_MAX + 128];
	uint64_t said;
	bool parse = true;
	int rc;

	out->vr_bytes = 0;
	out->vr_usec = 0;
	rc = xbus_read(vif, vif->vif_be, "rate", buf, sizeof(buf));
	if (rc == -ENOENT)
		goto good;
	if (rc < 0 && rc != -E2BIG) {
		parse = false;
		snprintf(msg, sizeof(msg), "read %s/rate: %s: traffic "
		    "unlimited", vif->vif_be, strerror(-rc));
	} else if (rc == -E2BIG || (size_t)rc != strlen(buf) ||
	    vif_rate_parse(buf, out) < 0)
		snprintf(msg, sizeof(msg), "rate \"%s\" is not "
		    "<bytes>,<usecs>: traffic unlimited", rc == -E2BIG ?
		    "(long)" : buf);
	else
		goto good;
	if ((said = xbus_said_hash(msg)) != vif->vif_rate_said) {
		if (parse)
			vif->vif_cnt[VIF_KEY_ERRORS]++;
		log_warnx("%s: %s", vif->vif_tag, msg);
		vif->vif_rate_said = said;
	}
	return;
good:
	vif->vif_rate_said = 0;
}

/*
 * Is anti-spoofing on for this vif: its own antispoof key ("1" or "0",
 * xvif's: Linux has no such switch), else xvifd's --antispoof.  1, 0, or
 * -errno with why filled: a value we cannot read is not taken as off.
 */
static int
xbus_antispoof_on(struct xvif *vif, char *why, size_t whylen)
{
	char buf[8];
	int rc;

	rc = xbus_read(vif, vif->vif_be, "antispoof", buf, sizeof(buf));
	if (rc == -ENOENT)
		return vif->vif_d->xd_antispoof;
	if (rc == 1 && (buf[0] == '0' || buf[0] == '1'))
		return buf[0] == '1';
	if (rc >= 0 || rc == -E2BIG) {
		snprintf(why, whylen, "antispoof \"%s\" is not 0 or 1",
		    rc >= 0 && (size_t)rc == strlen(buf) ? buf : "(long)");
		return -EINVAL;
	}
	snprintf(why, whylen, "reading %s/antispoof: %s", vif->vif_be,
	    strerror(-rc));
	return rc;
}

/* The longest XenStore value (xs_wire.h XENSTORE_PAYLOAD_MAX). */
#define XBUS_VALUE_MAX	4096

/*
 * The anti-spoofing rules the antispoof and ip keys ask for now
 * (antispoof.h): *out, or NULL if off; the ip key as read in ip.  The
 * keys are dom0's, parsed strictly: a word that is no address or prefix
 * is -EINVAL, named in why and counted (key_errors), rather than
 * letting the guest out unchecked or guessing what was meant.
 */
static int
xbus_antispoof_rules(struct xvif *vif, struct antispoof **out, char *ip,
    size_t iplen, char *why, size_t whylen)
{
	struct antispoof *as = NULL;
	const char *err;
	char bad[48];
	int rc;

	*out = NULL;
	ip[0] = '\0';
	if ((rc = xbus_antispoof_on(vif, why, whylen)) <= 0)
		goto out;
	if ((as = malloc(sizeof(*as))) == NULL) {
		snprintf(why, whylen, "anti-spoofing: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	antispoof_init(as, vif->vif_fe_mac);
	rc = xbus_read(vif, vif->vif_be, "ip", ip, iplen);
	if (rc == -ENOENT) {
		ip[0] = '\0';
		rc = 0;
	} else if (rc < 0)
		snprintf(why, whylen, "reading %s/ip: %s", vif->vif_be,
		    strerror(-rc));
	else if ((size_t)rc != strlen(ip)) {
		rc = -EINVAL;
		snprintf(why, whylen, "ip: has a NUL byte");
	} else if ((err = antispoof_parse_ip(as, ip, bad, sizeof(bad))) !=
	    NULL) {
		rc = -EINVAL;
		snprintf(why, whylen, "ip: \"%s\" %s", bad, err);
	} else
		rc = 0;
out:
	if (rc < 0) {
		if (rc == -EINVAL)
			vif->vif_cnt[VIF_KEY_ERRORS]++;
		free(as);
		return rc;
	}
	*out = as;
	return 0;
}

/*
 * Which rules were said last (0: off, or none said): a connect says them
 * only if they differ -- a guest reconnecting in a loop must not repeat
 * them each time (FNV-1a of the ip key, never 0 when on).
 */
static uint64_t
xbus_antispoof_said(const struct xvif *vif, const char *ip)
{
	return vif->vif_as == NULL ? 0 : xbus_said_hash(ip);
}

static void
xbus_antispoof_log(struct xvif *vif, const char *ip, const char *what)
{
	char mac[PROTO_MAC_STRLEN];

	vif->vif_as_said = xbus_antispoof_said(vif, ip);

	if (vif->vif_as == NULL) {
		log_info("%s: anti-spoofing%s off", vif->vif_tag, what);
		return;
	}
	proto_mac_format(vif->vif_fe_mac, mac);
	log_info("%s: anti-spoofing%s: source mac %s, %s%.200s%s",
	    vif->vif_tag, what, mac, vif->vif_as->as_ip ? "ip " : "", ip,
	    vif->vif_as->as_ip ? "" : "no ip key: addresses unchecked");
}

/*
 * Anti-spoofing for the connect to come: vif_as, or NULL if off.  Keys
 * that do not parse refuse the connect (error node, the word named).
 */
int
xbus_read_antispoof(struct xvif *vif)
{
	char ip[XBUS_VALUE_MAX + 1], why[512];
	struct antispoof *as;
	int rc;

	free(vif->vif_as);
	vif->vif_as = NULL;
	if ((rc = xbus_antispoof_rules(vif, &as, ip, sizeof(ip), why,
	    sizeof(why))) < 0) {
		xbus_error(vif, "%s", why);
		return rc;
	}
	vif->vif_as = as;
	if (xbus_antispoof_said(vif, ip) != vif->vif_as_said)
		xbus_antispoof_log(vif, ip, "");
	return 0;
}

/*
 * The antispoof or ip key changed while the vif is connected: its queues
 * take the new rules between two frames (vif_set_antispoof), the old
 * ones are freed after.  Keys that do not parse now leave the rules as
 * they are (the guest's link is not cut for an admin's typo): said in
 * the log, counted (key_errors), and no error node, for nothing failed.
 */
void
xbus_antispoof_changed(struct xvif *vif)
{
	char ip[XBUS_VALUE_MAX + 1], why[512];
	struct antispoof *as, *old = vif->vif_as;

	if (xbus_antispoof_rules(vif, &as, ip, sizeof(ip), why,
	    sizeof(why)) < 0) {
		log_warnx("%s: %s: anti-spoofing left as it was", vif->vif_tag,
		    why);
		return;
	}
	if (as == NULL && old == NULL)
		return;
	if (as != NULL && old != NULL && antispoof_equal(as, old)) {
		free(as);
		return;
	}
	vif->vif_as = as;
	vif_set_antispoof(vif);		/* the queues let go of old */
	free(old);
	xbus_antispoof_log(vif, ip, " now");
}
