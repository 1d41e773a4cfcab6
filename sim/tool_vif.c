/* tool_vif.c -- placeholder until written; see sim.h. */
#include <stdio.h>

#include "sim.h"

int
simcmd_attach(int argc, char **argv)
{
	fprintf(stderr, "xvif-sim: %s: not written yet\n", argv[0]);
	return 1;
}

int
simcmd_detach(int argc, char **argv)
{
	fprintf(stderr, "xvif-sim: %s: not written yet\n", argv[0]);
	return 1;
}
