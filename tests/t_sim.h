/*
 * t_sim.h -- test support: a simulated Xen host (build/xvif-sim host) run
 * as a child of the test case, always killed by t_sim_host_stop().
 */
#ifndef XVIF_T_SIM_H
#define XVIF_T_SIM_H

#include <sys/types.h>

#include "t.h"

struct t_sim {
	pid_t	ts_pid;
	char	ts_dir[256];		/* the host's --dir */
	char	ts_sock[300];		/* its dom0 XenStore socket */
};

/*
 * Start `$BUILD/xvif-sim host --dir <t_tmpdir>/host` (BUILD defaults to
 * "build"), wait up to 10 s for its socket, set XENSTORED_PATH to it.
 * Returns false (and records a failure) if the host did not come up.
 */
bool	t_sim_host_start(struct t_ctx *, struct t_sim *);
/* SIGTERM, then SIGKILL after 5 s; records a failure if it had died. */
void	t_sim_host_stop(struct t_ctx *, struct t_sim *);

#endif
