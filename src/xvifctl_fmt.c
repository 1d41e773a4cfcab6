/*
 * xvifctl_fmt.c -- what xvifd answered (records, ctl.h), printed for a
 * person (text), a program (JSON) or a scraper (the Prometheus text
 * format, for node_exporter's textfile collector).  The field names of
 * JSON and the metric names are the protocol's keys and are stable
 * (man/xvifctl.8); keys a later daemon adds appear as they come.
 */
#include <stdlib.h>
#include <string.h>

#include "xvifctl.h"

#define XC_QUEUES_MAX	64	/* per vif; a reply with more is cut */

/* A reply grouped: the daemon, and each vif with its queues. */
struct xc_queue {
	const struct ctl_rec	*xq_rec, *xq_cnt;
};
struct xc_vif {
	const struct ctl_rec	*xv_rec, *xv_cnt;
	struct xc_queue		 xv_q[XC_QUEUES_MAX];
	unsigned int		 xv_nq;
};
struct xc_reply {
	const struct ctl_rec	*xr_daemon;
	struct xc_vif		*xr_vif;
	unsigned int		 xr_nvif;
};

static int xc_vif_cmp(const void *, const void *);

static void
xc_group(const struct ctl_rec *r, unsigned int n, struct xc_reply *g)
{
	struct xc_vif *v = NULL;
	struct xc_queue *q = NULL;
	unsigned int i;

	memset(g, 0, sizeof(*g));
	if ((g->xr_vif = calloc(n + 1, sizeof(*g->xr_vif))) == NULL) {
		fprintf(stderr, "xvifctl: out of memory\n");
		exit(4);
	}
	for (i = 0; i < n; i++) {
		const char *t = r[i].r_type;

		if (strcmp(t, "daemon") == 0)
			g->xr_daemon = &r[i];
		else if (strcmp(t, "vif") == 0) {
			v = &g->xr_vif[g->xr_nvif++];
			v->xv_rec = &r[i];
			q = NULL;
		} else if (strcmp(t, "queue") == 0 && v != NULL) {
			/* One too many: its counters are no other's. */
			q = v->xv_nq < XC_QUEUES_MAX ? &v->xv_q[v->xv_nq++] :
			    NULL;
			if (q != NULL)
				q->xq_rec = &r[i];
		} else if (strcmp(t, "counters") == 0 && v != NULL) {
			if (ctl_rec_get(&r[i], "queue") == NULL)
				v->xv_cnt = &r[i];
			else if (q != NULL)
				q->xq_cnt = &r[i];
		}
	}
	qsort(g->xr_vif, g->xr_nvif, sizeof(*g->xr_vif), xc_vif_cmp);
}

static const char *xc_get(const struct ctl_rec *, const char *);

/* By domain, then handle: the daemon's order is its own. */
static int
xc_vif_cmp(const void *a, const void *b)
{
	const struct xc_vif *x = a, *y = b;
	unsigned long dx = strtoul(xc_get(x->xv_rec, "domid"), NULL, 10);
	unsigned long dy = strtoul(xc_get(y->xv_rec, "domid"), NULL, 10);
	unsigned long hx = strtoul(xc_get(x->xv_rec, "handle"), NULL, 10);
	unsigned long hy = strtoul(xc_get(y->xv_rec, "handle"), NULL, 10);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return hx < hy ? -1 : hx > hy;
}

static const char *
xc_get(const struct ctl_rec *r, const char *key)
{
	const char *v = r != NULL ? ctl_rec_get(r, key) : NULL;

	return v != NULL ? v : "-";
}

/* Is key one of a counters record's counters (not vif= or queue=)? */
static bool
xc_is_counter(const char *key)
{
	return strcmp(key, "vif") != 0 && strcmp(key, "queue") != 0;
}

/* -- Text. -- */

static void
xc_text_list(FILE *f, const struct xc_reply *g)
{
	static const char *const col[] = { "name", "domid", "handle", "state",
	    "mac", "mtu", "queues", "offloads", "carrier" };
	enum { NCOL = sizeof(col) / sizeof(col[0]) };
	size_t w[NCOL];
	unsigned int i, c;
	const char *s;

	for (c = 0; c < NCOL; c++)
		w[c] = strlen(col[c]);
	for (i = 0; i < g->xr_nvif; i++)
		for (c = 0; c < NCOL; c++)
			if ((s = xc_get(g->xr_vif[i].xv_rec, col[c])) != NULL &&
			    strlen(s) > w[c])
				w[c] = strlen(s);
	for (c = 0; c < NCOL; c++) {
		for (s = col[c]; *s != '\0'; s++)
			fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, f);
		fprintf(f, "%*s", c + 1 < NCOL ? (int)(w[c] - strlen(col[c]) +
		    2) : 0, "");
	}
	fputc('\n', f);
	for (i = 0; i < g->xr_nvif; i++) {
		for (c = 0; c < NCOL; c++) {
			s = xc_get(g->xr_vif[i].xv_rec, col[c]);
			if (strcmp(col[c], "carrier") == 0)
				s = strcmp(s, "1") == 0 ? "on" : "off";
			fprintf(f, c + 1 < NCOL ? "%-*s  " : "%-.*s%s", (int)w[c],
			    s, c + 1 < NCOL ? "" : "\n");
		}
	}
}

/* Counters as a table: a row each, the vif's total then each queue's. */
static void
xc_text_counters(FILE *f, const struct xc_vif *v, const char *indent)
{
	const struct ctl_rec *t = v->xv_cnt;
	unsigned int i, k;
	char h[32];

	if (t == NULL)
		return;
	fprintf(f, "%s%-22s %14s", indent, "counters", "total");
	for (k = 0; k < v->xv_nq; k++) {
		snprintf(h, sizeof(h), "queue %.8s", xc_get(v->xv_q[k].xq_rec,
		    "id"));
		fprintf(f, " %13s", h);
	}
	fputc('\n', f);
	for (i = 0; i < t->r_n; i++) {
		if (!xc_is_counter(t->r_key[i]))
			continue;
		fprintf(f, "%s%-22s %14s", indent, t->r_key[i], t->r_val[i]);
		for (k = 0; k < v->xv_nq; k++)
			fprintf(f, " %13s", xc_get(v->xv_q[k].xq_cnt,
			    t->r_key[i]));
		fputc('\n', f);
	}
}

/* The rate limit and anti-spoofing of a show record, one line each. */
static void
xc_text_policy(FILE *f, const struct ctl_rec *r)
{
	const char *ip = xc_get(r, "antispoof_ip");
	unsigned long long bytes, usec;

	bytes = strtoull(xc_get(r, "rate_bytes"), NULL, 10);
	usec = strtoull(xc_get(r, "rate_usec"), NULL, 10);
	if (usec == 0)
		fprintf(f, "\trate unlimited\n");
	else
		fprintf(f, "\trate %llu bytes every %llu us (%.2f Mbit/s)\n",
		    bytes, usec, (double)bytes * 8 / (double)usec);
	if (strcmp(xc_get(r, "antispoof"), "1") != 0)
		fprintf(f, "\tantispoof off\n");
	else if (*ip == '\0')
		fprintf(f, "\tantispoof on: source mac\n");
	else
		fprintf(f, "\tantispoof on: source mac, ip %s\n", ip);
}

static void
xc_text_show(FILE *f, const struct xc_vif *v)
{
	const struct ctl_rec *r = v->xv_rec;
	const struct ctl_rec *q;
	unsigned int k;

	fprintf(f, "%s: domain %s handle %s state %s carrier %s%s%s\n",
	    xc_get(r, "name"), xc_get(r, "domid"), xc_get(r, "handle"),
	    xc_get(r, "state"), strcmp(xc_get(r, "carrier"), "1") == 0 ?
	    "on" : "off", strcmp(xc_get(r, "failed"), "1") == 0 ?
	    " FAILED: " : "", ctl_rec_get(r, "failed_why") != NULL ?
	    ctl_rec_get(r, "failed_why") : "");
	fprintf(f, "\tether %s (frontend %s) mtu %s\n", xc_get(r, "mac"),
	    xc_get(r, "fe_mac"), xc_get(r, "mtu"));
	fprintf(f, "\tqueues %s of %s offered, event channels %s, "
	    "rx-notify %s\n", xc_get(r, "queues"), xc_get(r, "max_queues"),
	    strcmp(xc_get(r, "split_evtchn"), "1") == 0 ? "split" : "shared",
	    strcmp(xc_get(r, "rx_notify"), "1") == 0 ? "yes" : "no");
	fprintf(f, "\toffloads %s\n", xc_get(r, "offloads"));
	fprintf(f, "\tbackend %s\n\tfrontend %s\n", xc_get(r, "backend"),
	    xc_get(r, "frontend"));
	fprintf(f, "\tconnects %s (by this xvifd)\n", xc_get(r, "connects"));
	xc_text_policy(f, r);
	for (k = 0; k < v->xv_nq; k++) {
		q = v->xv_q[k].xq_rec;
		fprintf(f, "\tqueue %s: worker %s, event channel tx %s rx %s, "
		    "ring refs tx %s rx %s\n", xc_get(q, "id"),
		    xc_get(q, "worker"), xc_get(q, "evtchn_tx"),
		    xc_get(q, "evtchn_rx"), xc_get(q, "tx_ring_ref"),
		    xc_get(q, "rx_ring_ref"));
		fprintf(f, "\t    tx ring %s requests pending, rx ring %s slots "
		    "posted, %s bytes held%s\n", xc_get(q, "tx_ring_pending"),
		    xc_get(q, "rx_ring_posted"), xc_get(q, "rx_held_bytes"),
		    strcmp(xc_get(q, "rx_stalled"), "1") == 0 ?
		    ", rx stalled" : "");
	}
	xc_text_counters(f, v, "\t");
}

static void
xc_text(FILE *f, enum ctl_cmd cmd, const struct xc_reply *g)
{
	unsigned int i;

	if (cmd == CTL_LIST) {
		xc_text_list(f, g);
		return;
	}
	for (i = 0; i < g->xr_nvif; i++) {
		if (i > 0)
			fputc('\n', f);
		if (cmd == CTL_SHOW)
			xc_text_show(f, &g->xr_vif[i]);
		else {
			fprintf(f, "%s:\n", xc_get(g->xr_vif[i].xv_rec, "name"));
			xc_text_counters(f, &g->xr_vif[i], "  ");
		}
	}
}

/* -- JSON. -- */

/* Keys whose values are text, and those that are true/false. */
static const char *const xc_json_strings[] = { "version", "name", "vif",
    "tag", "vifname", "state", "mac", "fe_mac", "offloads", "backend", "frontend",
    "failed_why", "antispoof_ip" };
static const char *const xc_json_bools[] = { "carrier", "failed",
    "split_evtchn", "rx_notify", "rx_stalled", "antispoof" };

static bool
xc_in(const char *key, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(key, set[i]) == 0)
			return true;
	return false;
}

/* A decimal number JSON takes as is: no sign, no leading zero. */
static bool
xc_is_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && n <= 20 && s[n] == '\0' && (s[0] != '0' || n == 1);
}

static void
xc_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
xc_json_value(FILE *f, const char *key, const char *val)
{
	if (xc_in(key, xc_json_bools, sizeof(xc_json_bools) /
	    sizeof(xc_json_bools[0])) && (strcmp(val, "0") == 0 ||
	    strcmp(val, "1") == 0))
		fputs(strcmp(val, "1") == 0 ? "true" : "false", f);
	else if (!xc_in(key, xc_json_strings, sizeof(xc_json_strings) /
	    sizeof(xc_json_strings[0])) && xc_is_number(val))
		fputs(val, f);
	else
		xc_json_str(f, val);
}

/* The pairs of r as members of an open object; counters: those only. */
static void
xc_json_members(FILE *f, const struct ctl_rec *r, bool counters,
    const char *indent, bool *first)
{
	unsigned int i;

	for (i = 0; r != NULL && i < r->r_n; i++) {
		if (counters && !xc_is_counter(r->r_key[i]))
			continue;
		fprintf(f, "%s\n%s", *first ? "" : ",", indent);
		*first = false;
		xc_json_str(f, r->r_key[i]);
		fputs(": ", f);
		xc_json_value(f, r->r_key[i], r->r_val[i]);
	}
}

/*
 * Open an object with r's members, and its counters as "counters": {...}
 * if cnt; the caller may add members (after a comma if this returned
 * true: some were written), then closes it with xc_json_end.
 */
static bool
xc_json_begin(FILE *f, const struct ctl_rec *r, const struct ctl_rec *cnt,
    const char *indent)
{
	bool first = true, cfirst = true;
	char inner[64];

	snprintf(inner, sizeof(inner), "%s  ", indent);
	fputs("{", f);
	xc_json_members(f, r, false, indent, &first);
	if (cnt != NULL) {
		fprintf(f, "%s\n%s\"counters\": {", first ? "" : ",", indent);
		first = false;
		xc_json_members(f, cnt, true, inner, &cfirst);
		fprintf(f, "\n%s}", indent);
	}
	return !first;
}

/* Close what xc_json_begin opened, one level out from its members. */
static void
xc_json_end(FILE *f, const char *indent)
{
	fprintf(f, "\n%.*s}", (int)strlen(indent) - 2, indent);
}

static void
xc_json_object(FILE *f, const struct ctl_rec *r, const struct ctl_rec *cnt,
    const char *indent)
{
	(void)xc_json_begin(f, r, cnt, indent);
	xc_json_end(f, indent);
}

/* show and stats: every vif has "per_queue", [] before it connects. */
static void
xc_json(FILE *f, enum ctl_cmd cmd, const struct xc_reply *g)
{
	const struct xc_vif *v;
	unsigned int i, k;

	fputs("{\n  \"version\": \"" CTL_VERSION "\",\n  \"daemon\": ", f);
	if (g->xr_daemon != NULL)
		xc_json_object(f, g->xr_daemon, NULL, "    ");
	else
		fputs("null", f);
	fputs(",\n  \"vifs\": [", f);
	for (i = 0; i < g->xr_nvif; i++) {
		v = &g->xr_vif[i];
		fprintf(f, "%s\n    ", i > 0 ? "," : "");
		if (v->xv_nq == 0 && cmd == CTL_LIST) {
			xc_json_object(f, v->xv_rec, v->xv_cnt, "      ");
			continue;
		}
		if (xc_json_begin(f, v->xv_rec, v->xv_cnt, "      "))
			fputc(',', f);
		fputs("\n      \"per_queue\": [", f);
		for (k = 0; k < v->xv_nq; k++) {
			fprintf(f, "%s\n        ", k > 0 ? "," : "");
			xc_json_object(f, v->xv_q[k].xq_rec, v->xv_q[k].xq_cnt,
			    "          ");
		}
		fputs(v->xv_nq > 0 ? "\n      ]" : "]", f);
		xc_json_end(f, "      ");
	}
	fprintf(f, "%s]\n}\n", g->xr_nvif > 0 ? "\n  " : "");
}

/* -- Prometheus. -- */

static const struct {
	const char	*name, *help;
} xc_help[] = {
	{ "tx_frames", "Frames the guest sent, handed to the host" },
	{ "tx_bytes", "Bytes of the frames the guest sent" },
	{ "tx_bad_requests", "Guest TX requests refused as malformed" },
	{ "tx_grant_errors", "Guest TX frames lost to a failed grant copy" },
	{ "tx_host_drops", "Guest TX frames the host interface would not take" },
	{ "tx_csum_offloads", "Guest TX frames whose checksum the host fills" },
	{ "tx_gso", "Guest TX GSO superframes handed to the host" },
	{ "tx_gso_csum_fixups", "Guest TX GSO frames without csum_blank" },
	{ "tx_rate_waits",
	    "Times guest TX stopped to wait for credit (the rate key)" },
	{ "tx_spoof_mac_drops",
	    "Guest TX frames dropped: not from the frontend's MAC" },
	{ "tx_spoof_ip_drops",
	    "Guest TX frames dropped: an address not in the ip key" },
	{ "tx_spoof_bad_drops",
	    "Guest TX frames dropped: headers anti-spoofing cannot check" },
	{ "rx_frames", "Frames delivered to the guest" },
	{ "rx_bytes", "Bytes of the frames delivered to the guest" },
	{ "rx_too_big", "Frames dropped: more slots than the frontend allows" },
	{ "rx_no_slot_drops", "Frames dropped while the guest posted no slots" },
	{ "rx_grant_errors", "Guest RX frames lost to a failed grant copy" },
	{ "rx_bad_requests", "Guest RX requests whose grant a copy refused" },
	{ "rx_stalls", "Times the carrier went off for a stalled guest" },
	{ "rx_oversize_drops", "Host frames longer than any ring takes" },
	{ "rx_csum_blank", "Guest RX frames with the checksum left blank" },
	{ "rx_csum_filled", "Guest RX checksums xvifd filled in" },
	{ "rx_gso", "GSO superframes delivered to the guest" },
	{ "rx_offload_drops", "Host frames with offloads the guest refused" },
	{ "rx_tap_reads", "Reads of the host interface that got frames (batches)" },
	{ "rx_slot_waits", "Times a frame waited for the guest to post slots" },
	{ "events_spurious", "Notifications that found no work" },
	{ "grant_copy_calls", "Grant copy calls (batches)" },
	{ "grant_copy_ops", "Grant copy operations (segments)" },
	{ "events_in", "Notifications from the guest" },
	{ "events_out", "Notifications to the guest" },
	{ "key_errors", "Toolstack keys (rate, ip, antispoof) that did not parse" },
	{ "connect_refusals", "Connects refused: the frontend's keys, a ring or channel" },
	{ "interface_remakes", "Host interfaces deleted under the guest and made again" },
};

static const char *
xc_help_for(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(xc_help) / sizeof(xc_help[0]); i++)
		if (strcmp(xc_help[i].name, name) == 0)
			return xc_help[i].help;
	return "xvifd counter";
}

/* A label value: backslash, quote and newline escaped. */
static void
xc_prom_label(FILE *f, const char *name, const char *val, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *val != '\0'; val++) {
		if (*val == '\\' || *val == '"')
			fputc('\\', f);
		if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputc('"', f);
}

/* A metric name from a key: [a-z0-9_] as the protocol keeps them. */
static void
xc_prom_head(FILE *f, const char *metric, const char *key, const char *help,
    const char *type)
{
	fprintf(f, "# HELP %s%s %s\n# TYPE %s%s %s\n", metric, key, help,
	    metric, key, type);
}

/* One gauge of each vif, from its vif record's key. */
static void
xc_prom_gauge(FILE *f, const struct xc_reply *g, const char *key,
    const char *help)
{
	const char *v;
	unsigned int i;

	xc_prom_head(f, "xvif_", key, help, "gauge");
	for (i = 0; i < g->xr_nvif; i++) {
		if (!xc_is_number(v = xc_get(g->xr_vif[i].xv_rec, key)))
			continue;
		fputs("xvif_", f);
		fputs(key, f);
		fputc('{', f);
		xc_prom_label(f, "vif", xc_get(g->xr_vif[i].xv_rec, "name"),
		    true);
		fprintf(f, "} %s\n", v);
	}
}

/*
 * Counter key of each queue, as xvif_queue_<key>_total{vif,queue}; none,
 * not even its HELP, for a vif's own counters (key_errors,
 * connect_refusals, interface_remakes), which no queue record carries.
 */
static void
xc_prom_queue_counter(FILE *f, const struct xc_reply *g, const char *key)
{
	const struct xc_vif *v;
	bool head = false;
	unsigned int i, k;

	for (i = 0; i < g->xr_nvif; i++) {
		v = &g->xr_vif[i];
		for (k = 0; k < v->xv_nq; k++) {
			if (!xc_is_number(xc_get(v->xv_q[k].xq_cnt, key)))
				continue;
			if (!head)
				fprintf(f, "# HELP xvif_queue_%s_total %s, one "
				    "queue\n# TYPE xvif_queue_%s_total counter\n",
				    key, xc_help_for(key), key);
			head = true;
			fprintf(f, "xvif_queue_%s_total{", key);
			xc_prom_label(f, "vif", xc_get(v->xv_rec, "name"), true);
			xc_prom_label(f, "queue", xc_get(v->xv_q[k].xq_rec, "id"),
			    false);
			fprintf(f, "} %s\n", xc_get(v->xv_q[k].xq_cnt, key));
		}
	}
}

static void
xc_prom(FILE *f, const struct xc_reply *g)
{
	const struct ctl_rec *t = NULL, *r;
	const struct xc_vif *v;
	unsigned int i, j;

	xc_prom_head(f, "xvif_", "info", "A vif: its domain, handle, MAC "
	    "and state", "gauge");
	for (i = 0; i < g->xr_nvif; i++) {
		r = g->xr_vif[i].xv_rec;
		fputs("xvif_info{", f);
		xc_prom_label(f, "vif", xc_get(r, "name"), true);
		xc_prom_label(f, "domid", xc_get(r, "domid"), false);
		xc_prom_label(f, "handle", xc_get(r, "handle"), false);
		xc_prom_label(f, "mac", xc_get(r, "mac"), false);
		xc_prom_label(f, "state", xc_get(r, "state"), false);
		fputs("} 1\n", f);
	}
	xc_prom_gauge(f, g, "state_num", "XenbusState xvifd last wrote");
	xc_prom_gauge(f, g, "carrier", "1 if the interface has its carrier");
	xc_prom_gauge(f, g, "mtu", "The interface's MTU");
	xc_prom_gauge(f, g, "queues", "Queues the frontend connected");
	for (i = 0; i < g->xr_nvif && t == NULL; i++)
		t = g->xr_vif[i].xv_cnt;
	for (j = 0; t != NULL && j < t->r_n; j++) {
		if (!xc_is_counter(t->r_key[j]))
			continue;
		fprintf(f, "# HELP xvif_%s_total %s\n# TYPE xvif_%s_total "
		    "counter\n", t->r_key[j], xc_help_for(t->r_key[j]),
		    t->r_key[j]);
		for (i = 0; i < g->xr_nvif; i++) {
			v = &g->xr_vif[i];
			if (!xc_is_number(xc_get(v->xv_cnt, t->r_key[j])))
				continue;
			fprintf(f, "xvif_%s_total{", t->r_key[j]);
			xc_prom_label(f, "vif", xc_get(v->xv_rec, "name"), true);
			fprintf(f, "} %s\n", xc_get(v->xv_cnt, t->r_key[j]));
		}
		xc_prom_queue_counter(f, g, t->r_key[j]);
	}
	r = g->xr_daemon;
	fprintf(f, "# HELP xvifd_vifs Vifs xvifd knows\n# TYPE xvifd_vifs "
	    "gauge\nxvifd_vifs %s\n", xc_get(r, "vifs"));
	fprintf(f, "# HELP xvifd_ctl_bad_requests_total Bad requests on the "
	    "control socket\n# TYPE xvifd_ctl_bad_requests_total counter\n"
	    "xvifd_ctl_bad_requests_total %s\n", xc_get(r, "ctl_bad_requests"));
}

void
xc_print(FILE *f, enum ctl_cmd cmd, enum xc_format fmt,
    const struct ctl_rec *recs, unsigned int n)
{
	struct xc_reply g;

	xc_group(recs, n, &g);
	if (fmt == XC_JSON)
		xc_json(f, cmd, &g);
	else if (fmt == XC_PROMETHEUS)
		xc_prom(f, &g);
	else
		xc_text(f, cmd, &g);
	free(g.xr_vif);
}
