/*
 * sim.h -- the xvif-sim subcommands and what they share.  Each subcommand
 * is `int simcmd_<name>(int argc, char **argv)` (argv[0] is the name) and
 * returns the process exit status; sim/xvif-sim.c holds the table.
 *
 * Names in the host directory DIR (see README "Simulated Xen host"):
 *	DIR/xenstored.sock	XenStore as dom0 (privileged)
 *	DIR/xs-dom<N>.sock	XenStore as domain N, while N is introduced
 */
#ifndef XVIF_SIM_H
#define XVIF_SIM_H

#define SIM_XS_SOCKET		"xenstored.sock"
#define SIM_XS_DOM_SOCKET	"xs-dom%u.sock"

int	simcmd_host(int, char **);	/* sim/host.c */
int	simcmd_create(int, char **);	/* sim/tool_domain.c */
int	simcmd_destroy(int, char **);
int	simcmd_attach(int, char **);	/* sim/tool_vif.c */
int	simcmd_detach(int, char **);
int	simcmd_netfront(int, char **);	/* sim/simfe.c */

#endif
