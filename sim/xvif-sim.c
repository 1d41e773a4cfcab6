/*
 * xvif-sim -- a simulated Xen host on an ordinary Linux machine: XenStore,
 * hypervisor (grants, event channels, domain memory) and toolstack.  This
 * file is only the command table; each command lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

static const struct simcmd {
	const char	*sc_name;
	int		(*sc_main)(int, char **);
	const char	*sc_usage;
	const char	*sc_help;
} simcmds[] = {
	{ "host", simcmd_host, "--dir DIR",
	  "run a simulated Xen host (XenStore, hypervisor) until SIGTERM" },
	{ "create", simcmd_create, "--dir DIR [--name NAME] [--pages N]",
	  "create a guest domain (16384 pages unless --pages); prints its\n"
	  "             domid" },
	{ "destroy", simcmd_destroy, "--dir DIR [--keep-devices] DOMID",
	  "destroy a guest domain and its devices, as xl destroy does;\n"
	  "             --keep-devices: it dies with no toolstack to remove\n"
	  "             its devices (backends see only @releaseDomain)" },
	{ "attach", simcmd_attach,
	  "--dir DIR DOMID [mac=M] [script=S] [vifname=N] [bridge=B] [devid=D]\n"
	  "             [ip=IP] [mtu=MTU] [rate=RATE[@INTERVAL]]\n"
	  "             [antispoof=0|1]",
	  "add a vif to a domain, as xl network-attach does" },
	{ "detach", simcmd_detach, "--dir DIR DOMID DEVID",
	  "remove a vif from a domain, as xl network-detach does" },
	{ "netfront", simcmd_netfront, "--dir DIR DOMID DEVID --netns NAME\n"
	  "             [--no-sg] [--no-rx-notify] [--no-offload | --no-gso]\n"
	  "             [--queues N] [--split-evtchn] [--misbehave MODE]\n"
	  "             [--vanish] [--timeout SECS] [--ring-index N] [--rx-kick]",
	  "be domain DOMID's netfront for vif DEVID, eth0 in netns NAME" },
	{ NULL, NULL, NULL, NULL }
};

static void
usage(FILE *f)
{
	const struct simcmd *c;

	fprintf(f, "usage: xvif-sim COMMAND [ARGS]\n\n");
	for (c = simcmds; c->sc_name != NULL; c++)
		fprintf(f, "  %-8s %s\n  %8s   %s\n", c->sc_name, c->sc_usage,
		    "", c->sc_help);
}

int
main(int argc, char **argv)
{
	const struct simcmd *c;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (c = simcmds; c->sc_name != NULL; c++)
		if (strcmp(c->sc_name, argv[1]) == 0)
			return c->sc_main(argc - 1, argv + 1);
	fprintf(stderr, "xvif-sim: unknown command '%s' (try xvif-sim --help)\n",
	    argv[1]);
	return 2;
}
