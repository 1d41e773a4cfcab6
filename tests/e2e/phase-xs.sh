#!/bin/bash
# phase-xs.sh -- the differential check of the simulator: the XenStore
# client cases of t_xs_client that use only dom0 rights ("dom0: ..."), run
# here against Xen's own xenstored (XS_TEST_REAL=1).  The runner runs the
# same cases against the simulator on the host and compares.
PHASE=xs
. /e2e/lib.sh
cd /tmp || exit 1
XS_TEST_REAL=1 T_TIMEOUT=60 timeout -k 5 300 /e2e/bin/t_xs_client 'dom0:' > /tmp/xs.out 2>&1
echo "t_xs_client exit $?"
indent t_xs_client < /tmp/xs.out
grep -E '^(PASS|FAIL) ' /tmp/xs.out | sed -E 's/^(PASS|FAIL) [^:]*: /E2E: XSCASE \1 /' | cut -c1-200
exit 0
