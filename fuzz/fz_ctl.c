/*
 * fz_ctl.c -- libFuzzer target: the control socket's words (ctl_proto.c),
 * which any local user the socket admits can write to xvifd.  The input
 * is a request line (a heap copy of exactly its size, so ASan sees any
 * read past it) and, in its second half after a NUL if there is one, a
 * reply record as a daemon might send it to xvifctl.  What must hold:
 * - a request is accepted only if it is exactly "xvif/1 CMD [IF]" with
 *   a known command, IF present where required, and IF a name Linux
 *   takes; and formatting it again gives back the same bytes;
 * - a record that parses has only well-formed keys and values without
 *   NUL, and what ctl_buf_kv writes from those values parses back to them.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_request(const uint8_t *data, size_t size)
{
	struct ctl_req req;
	const char *why = NULL;
	char *line, again[CTL_REQ_MAX + 64];
	int rc;

	if ((line = malloc(size ? size : 1)) == NULL)
		return;
	memcpy(line, data, size);
	rc = ctl_req_parse(line, size, &req, &why);
	if (rc < 0) {
		assert(rc == -EINVAL && why != NULL && *why != '\0');
		free(line);
		return;
	}
	assert(req.cr_cmd == CTL_LIST || req.cr_cmd == CTL_SHOW ||
	    req.cr_cmd == CTL_STATS);
	assert(req.cr_cmd != CTL_SHOW || req.cr_if[0] != '\0');
	assert(req.cr_cmd != CTL_LIST || req.cr_if[0] == '\0');
	assert(strlen(req.cr_if) < PROTO_IFNAMSIZ);
	assert(strchr(req.cr_if, '/') == NULL && strchr(req.cr_if, ' ') == NULL);
	snprintf(again, sizeof(again), "%s %s%s%s", CTL_VERSION,
	    ctl_cmd_name(req.cr_cmd), req.cr_if[0] != '\0' ? " " : "",
	    req.cr_if);
	assert(strlen(again) == size && memcmp(again, line, size) == 0);
	free(line);
}

static void
fz_record(const uint8_t *data, size_t size)
{
	struct ctl_rec r, r2;
	struct ctl_buf b = { 0 };
	char *line;
	unsigned int i;

	if ((line = malloc(size + 1)) == NULL)
		return;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_rec_parse(line, &r) == 0) {
		assert(r.r_type != NULL && r.r_n <= CTL_REC_KEYS);
		/* Written back with the daemon's own writer, read again. */
		ctl_buf_str(&b, "x");
		for (i = 0; i < r.r_n; i++) {
			assert(r.r_key[i][0] != '\0' &&
			    strchr(r.r_key[i], '=') == NULL);
			ctl_buf_kv(&b, r.r_key[i], r.r_val[i]);
		}
		ctl_buf_add(&b, "", 1);
		assert(!b.cb_oom);
		assert(ctl_rec_parse(b.cb_p, &r2) == 0 && r2.r_n == r.r_n);
		for (i = 0; i < r.r_n; i++)
			assert(strcmp(r2.r_key[i], r.r_key[i]) == 0 &&
			    strcmp(r2.r_val[i], r.r_val[i]) == 0);
		ctl_buf_free(&b);
	}
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);

	if (size > 4 * CTL_REQ_MAX)
		return 0;
	fz_request(data, size);
	if (nul != NULL)
		fz_record(nul + 1, size - (size_t)(nul + 1 - data));
	return 0;
}
