/*
 * ctl_proto.c -- the control protocol's words (ctl.h): requests parsed,
 * records written and read.  Pure: no I/O, no daemon state; xvifd and
 * xvifctl both link it, and fuzz/fz_ctl.c drives the request parser with
 * what any local user could write to the socket.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "ctl.h"

int
ctl_sim_state_dir(char *buf, size_t len, const char *sim_dir,
    unsigned long domid)
{
	int n = domid == 0 ? snprintf(buf, len, "%s/xvifd", sim_dir) :
	    snprintf(buf, len, "%s/xvifd.%lu", sim_dir, domid);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

size_t
ctl_state_dir_max(void)
{
	return sizeof(((struct sockaddr_un *)0)->sun_path) - 2 -
	    strlen(CTL_SOCK_NAME);
}

int
ctl_sock_path(char *buf, size_t len, const char *state_dir)
{
	int n;

	if (strlen(state_dir) > ctl_state_dir_max())
		return -ENAMETOOLONG;
	n = snprintf(buf, len, "%s/%s", state_dir, CTL_SOCK_NAME);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static const char *const ctl_cmd_names[] = {
	[CTL_LIST] = "list",
	[CTL_SHOW] = "show",
	[CTL_STATS] = "stats",
};

const char *
ctl_cmd_name(enum ctl_cmd c)
{
	return ctl_cmd_names[c];
}

/* An interface name as Linux takes one: 1..15 bytes, no '/', ':', blank. */
static bool
ctl_ifname_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= PROTO_IFNAMSIZ)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] > '~' ||
		    s[i] == '/' || s[i] == ':')
			return false;
	return true;
}

int
ctl_req_parse(const char *line, size_t len, struct ctl_req *req,
    const char **why)
{
	const char *w[4], *p = line, *e = line + len;
	size_t wl[4];
	unsigned int n = 0, i;

	memset(req, 0, sizeof(*req));
	if (memchr(line, '\0', len) != NULL) {
		*why = "a NUL byte in the request";
		return -EINVAL;
	}
	/* Words separated by single spaces; nothing else is blank. */
	while (p < e) {
		const char *s = p;

		while (p < e && *p != ' ')
			p++;
		if (p == s || n == 4) {
			*why = p == s ? "an empty word (two spaces, or one at "
			    "an end)" : "too many words";
			return -EINVAL;
		}
		w[n] = s;
		wl[n++] = (size_t)(p - s);
		if (p < e && ++p == e) {
			*why = "a space at the end";
			return -EINVAL;
		}
	}
	if (n == 0 || wl[0] != strlen(CTL_VERSION) ||
	    memcmp(w[0], CTL_VERSION, wl[0]) != 0) {
		*why = "not a " CTL_VERSION " request";
		return -EINVAL;
	}
	if (n < 2) {
		*why = "no command";
		return -EINVAL;
	}
	for (i = 0; i < sizeof(ctl_cmd_names) / sizeof(ctl_cmd_names[0]); i++)
		if (wl[1] == strlen(ctl_cmd_names[i]) &&
		    memcmp(w[1], ctl_cmd_names[i], wl[1]) == 0)
			break;
	if (i == sizeof(ctl_cmd_names) / sizeof(ctl_cmd_names[0])) {
		*why = "unknown command";
		return -EINVAL;
	}
	req->cr_cmd = (enum ctl_cmd)i;
	if (n > 3 || (n == 3 && req->cr_cmd == CTL_LIST) ||
	    (n == 2 && req->cr_cmd == CTL_SHOW)) {
		*why = req->cr_cmd == CTL_SHOW && n == 2 ?
		    "show needs an interface" : "too many words";
		return -EINVAL;
	}
	if (n == 3) {
		if (!ctl_ifname_ok(w[2], wl[2])) {
			*why = "not an interface name";
			return -EINVAL;
		}
		memcpy(req->cr_if, w[2], wl[2]);
		req->cr_if[wl[2]] = '\0';
	}
	return 0;
}

void
ctl_buf_free(struct ctl_buf *b)
{
	free(b->cb_p);
	memset(b, 0, sizeof(*b));
}

void
ctl_buf_add(struct ctl_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->cb_oom)
		return;
	if (n > b->cb_cap - b->cb_len) {
		for (cap = b->cb_cap ? b->cb_cap : 4096; cap - b->cb_len < n;
		    cap *= 2)
			;
		if ((p = realloc(b->cb_p, cap)) == NULL) {
			b->cb_oom = true;
			return;
		}
		b->cb_p = p;
		b->cb_cap = cap;
	}
	memcpy(b->cb_p + b->cb_len, s, n);
	b->cb_len += n;
}

void
ctl_buf_str(struct ctl_buf *b, const char *s)
{
	ctl_buf_add(b, s, strlen(s));
}

void
ctl_buf_kv(struct ctl_buf *b, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)val;
	char esc[3] = { '%' };

	size_t n;

	ctl_buf_add(b, " ", 1);
	ctl_buf_str(b, key);
	ctl_buf_add(b, "=", 1);
	/* Runs that need no escape in one copy: a stats reply is mostly. */
	for (;;) {
		for (n = 0; v[n] > ' ' && v[n] <= '~' && v[n] != '%'; n++)
			;
		ctl_buf_add(b, (const char *)v, n);
		if (v[n] == '\0')
			break;
		esc[1] = hex[v[n] >> 4];
		esc[2] = hex[v[n] & 15];
		ctl_buf_add(b, esc, 3);
		v += n + 1;
	}
}

void
ctl_buf_kvu(struct ctl_buf *b, const char *key, uint64_t val)
{
	char s[24];
	int n;

	/* Digits: nothing to escape. */
	n = snprintf(s, sizeof(s), "%" PRIu64, val);
	ctl_buf_add(b, " ", 1);
	ctl_buf_str(b, key);
	ctl_buf_add(b, "=", 1);
	ctl_buf_add(b, s, (size_t)n);
}

/* Unescape s in place (%XX); -EINVAL on a bad escape or a NUL. */
static int
ctl_unescape(char *s)
{
	char *d = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*d++ = *s;
			continue;
		}
		if ((hi = proto_hexval(s[1])) < 0 || (lo = proto_hexval(s[2])) < 0 ||
		    (hi == 0 && lo == 0))
			return -EINVAL;
		*d++ = (char)(hi << 4 | lo);
		s += 2;
	}
	*d = '\0';
	return 0;
}

int
ctl_rec_parse(char *line, struct ctl_rec *r)
{
	char *w, *eq, *save = NULL;

	memset(r, 0, sizeof(*r));
	if ((w = strtok_r(line, " ", &save)) == NULL)
		return -EINVAL;
	r->r_type = w;
	while ((w = strtok_r(NULL, " ", &save)) != NULL) {
		if ((eq = strchr(w, '=')) == NULL || eq == w)
			return -EINVAL;
		*eq = '\0';
		if (ctl_unescape(eq + 1) < 0)
			return -EINVAL;
		/* Keys past ours: a later daemon's, left unread. */
		if (r->r_n == CTL_REC_KEYS)
			continue;
		r->r_key[r->r_n] = w;
		r->r_val[r->r_n++] = eq + 1;
	}
	return 0;
}

const char *
ctl_rec_get(const struct ctl_rec *r, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->r_n; i++)
		if (strcmp(r->r_key[i], key) == 0)
			return r->r_val[i];
	return NULL;
}
