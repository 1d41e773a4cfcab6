/*
 * ctl.h -- the control socket's protocol, shared by xvifd (ctl.c, the
 * server) and xvifctl (the client), documented in man/xvifctl.8.
 *
 * A client connects to <state-dir>/xvifd.sock, writes one request line
 * and reads the reply up to its last line; the daemon then closes.
 *
 *	request:  "xvif/1 list" | "xvif/1 show IF" | "xvif/1 stats [IF]" "\n"
 *	reply:    "xvif/1 ok" "\n", records, "end" "\n"
 *	       or "xvif/1 error CODE TEXT" "\n"
 *	record:   TYPE (" " KEY "=" VALUE)* "\n"
 *
 * TYPE is daemon, vif, queue (after its vif) or counters (a vif's
 * totals after the vif; a queue's own, with queue=N, after the queue);
 * list gives vif records only, show and stats everything.  KEY is [a-z0-9_]+; VALUE has every byte
 * outside '!'..'~', and '%', written as %XX (hex), so a record is one
 * line of words whatever a guest or a toolstack put in a name.  CODE is
 * one of the words below.  A client ignores record types and keys it does
 * not know: a later daemon may add some; "xvif/2" would change the rest.
 */
#ifndef XVIF_CTL_H
#define XVIF_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define CTL_VERSION	"xvif/1"
#define CTL_SOCK_NAME	"xvifd.sock"
#define CTL_STATE_DIR	"/run/xvifd"	/* xvifd's default --state-dir */
#define CTL_REQ_MAX	256	/* a request line, newline included */
#define CTL_CLIENTS_MAX	16	/* served at once; more are refused */
#define CTL_CLIENTS_USER 4	/* of them, one user's (but root's) */
#define CTL_CLIENTS_ROOT 2	/* of them, kept for root */
#define CTL_TIMEOUT_MS	5000	/* a client's whole exchange */
#define CTL_USER_RATE	10	/* requests a second, one user's (but root's) */
#define CTL_RATE_USERS	16	/* users whose rate is kept, the latest */
#define CTL_USERS_RATE	40	/* requests a second, all users' but root's */
#define CTL_REPLY_MAX	(64u << 20)	/* what a client reads at most */
#define CTL_REC_KEYS	64	/* keys a record may have */

/* Error codes of a reply ("xvif/1 error CODE ..."). */
#define CTL_E_NOT_FOUND	"not-found"
#define CTL_E_USAGE	"bad-request"
#define CTL_E_BUSY	"busy"
#define CTL_E_NOMEM	"no-memory"

enum ctl_cmd { CTL_LIST, CTL_SHOW, CTL_STATS };

struct ctl_req {
	enum ctl_cmd	cr_cmd;
	char		cr_if[PROTO_IFNAMSIZ];	/* "": every vif */
};

/*
 * Untrusted: one request line (without its newline) of len bytes.  0 and
 * *req filled, or -EINVAL with *why saying what is wrong.
 */
/*
 * Where xvifd and xvifctl meet, written in one place for both: the state
 * directory of the xvifd serving backend domain `domid` of a simulated
 * host in sim_dir (SIM/xvifd, SIM/xvifd.N for a driver domain), and the
 * control socket's path in a state directory, which must fit a
 * sockaddr_un.  0, or -ENAMETOOLONG if it does not fit buf (or the
 * socket address).
 */
int	ctl_sim_state_dir(char *buf, size_t len, const char *sim_dir,
	    unsigned long domid);
int	ctl_sock_path(char *buf, size_t len, const char *state_dir);
/* The longest state directory whose socket path fits (ctl_sock_path). */
size_t	ctl_state_dir_max(void);
int	ctl_req_parse(const char *line, size_t len, struct ctl_req *req,
	    const char **why);
const char *ctl_cmd_name(enum ctl_cmd);

/* A growing reply; oom once an allocation failed (then nothing more). */
struct ctl_buf {
	char	*cb_p;
	size_t	 cb_len, cb_cap;
	bool	 cb_oom;
};

void	ctl_buf_free(struct ctl_buf *);
void	ctl_buf_add(struct ctl_buf *, const char *s, size_t n);
void	ctl_buf_str(struct ctl_buf *, const char *s);
/* " key=value", the value escaped. */
void	ctl_buf_kv(struct ctl_buf *, const char *key, const char *val);
void	ctl_buf_kvu(struct ctl_buf *, const char *key, uint64_t val);

/*
 * One record parsed in place from a line (without its newline): words
 * split, values unescaped; keys past the first CTL_REC_KEYS are checked
 * and left out (a later daemon's).  -EINVAL if the line is not a record.
 */
struct ctl_rec {
	const char	*r_type;
	unsigned int	 r_n;
	const char	*r_key[CTL_REC_KEYS];
	const char	*r_val[CTL_REC_KEYS];
};

int	ctl_rec_parse(char *line, struct ctl_rec *);
/* The value of key, or NULL. */
const char *ctl_rec_get(const struct ctl_rec *, const char *key);

#endif
