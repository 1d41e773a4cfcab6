#!/bin/bash
# ratios.sh LOG -- the xvif/netback table of one make e2e run: for each
# metric both phases reported, "e2e <metric>: xvif V netback V ratio R".
# Used by run.sh after a run and by scripts/bench (the newest run).
grep -a -o 'E2E: METRIC .*' "$1" | awk '
	{ v[$3 " " $4] = $5; if (!($4 in seen)) { seen[$4] = 1; order[++k] = $4 } }
	END {
		for (i = 1; i <= k; i++) {
			m = order[i]; x = v["xvif " m]; b = v["netback " m]
			if (x == "" || b == "") continue
			r = (b + 0 != 0) ? sprintf("%.2f", x / b) : "-"
			printf "e2e %s: xvif %s netback %s ratio %s\n", m, x, b, r
		}
	}'
