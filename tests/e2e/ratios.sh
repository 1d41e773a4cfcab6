#!/bin/bash
# ratios.sh LOG -- the xvif/netback table of one make e2e run: for each
# metric both backends reported, "e2e <metric>: xvif V netback V ratio R",
# V the mean of the backend's figures (one per round: the xvif and netback
# phases, then phase rematch in the other order) and R the ratio of the
# means; with more than one round, "(rounds r1 r2 ...)": the ratio of
# each round's pair, which shows how far to trust R.
# Used by run.sh after a run and by scripts/bench (the newest run).
grep -a -o 'E2E: METRIC .*' "$1" | awk '
	{
		k = $3 " " $4; n[k]++; v[k, n[k]] = $5; sum[k] += $5
		if (!($4 in seen)) { seen[$4] = 1; order[++m] = $4 }
	}
	END {
		for (i = 1; i <= m; i++) {
			x = "xvif " order[i]; b = "netback " order[i]
			if (!n[x] || !n[b]) continue
			mx = sum[x] / n[x]; mb = sum[b] / n[b]
			r = mb != 0 ? sprintf("%.2f", mx / mb) : "-"
			line = sprintf("e2e %s: xvif %.4g netback %.4g ratio %s",
			    order[i], mx, mb, r)
			k = n[x] < n[b] ? n[x] : n[b]
			if (k > 1) {
				line = line " (rounds"
				for (j = 1; j <= k; j++)
					line = line (v[b, j] != 0 ? sprintf(" %.2f",
					    v[x, j] / v[b, j]) : " -")
				line = line ")"
			}
			print line
		}
	}'
