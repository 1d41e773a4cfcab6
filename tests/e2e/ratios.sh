#!/bin/bash
# ratios.sh LOG -- the xvif/netback table of one make e2e run: for each
# metric both backends reported, "e2e <metric>: xvif V netback V ratio R",
# V the mean of the backend's figures (one per round: the xvif and netback
# phases, then phase rematch in the other order) and R the ratio of the
# means; with more than one round, "(rounds r1 r2 ...)": the ratio of
# each round's pair, which shows how far to trust R.  A figure says its
# round ("round=K", lib.sh's metric): a round where one backend has no
# figure (its iperf3 failed) has no pair, and the others' pairs are not
# shifted by it.  A log from before the tag pairs figures by their order.  Then the same for
# phase hop's pair, relay/veth: what one userspace hop costs in that dom0.
# For a time in ms or s, the difference of the means follows ("+D ms"):
# xvif's extra round trip beside relay's is what a process in the path
# costs, and a create's 7 s of domain building hide a backend's +0.5 s in
# a ratio of 1.07.
# Used by run.sh after a run and by scripts/bench (the newest run).
grep -a -o 'E2E: METRIC .*' "$1" | awk '
	{
		k = $3 " " $4; n[k]++; sum[k] += $5
		r = $6 ~ /^round=[0-9]+$/ ? substr($6, 7) + 0 : n[k]
		v[k, r] = $5; has[k, r] = 1
		if (!(r in rseen)) { rseen[r] = 1; rounds[++nr] = r }
		if (!($4 in seen)) { seen[$4] = 1; order[++m] = $4 }
	}
	function pair(a, b,    i, j, k, x, y, mx, my, r, line, rl) {
		for (i = 1; i <= m; i++) {
			x = a " " order[i]; y = b " " order[i]
			if (!n[x] || !n[y]) continue
			mx = sum[x] / n[x]; my = sum[y] / n[y]
			r = my != 0 ? sprintf("%.2f", mx / my) : "-"
			line = sprintf("e2e %s: %s %.4g %s %.4g ratio %s",
			    order[i], a, mx, b, my, r)
			rl = ""; k = 0
			for (j = 1; j <= nr; j++) {
				r = rounds[j]
				if (!has[x, r] || !has[y, r]) continue
				k++
				rl = rl (v[y, r] != 0 ? sprintf(" %.2f",
				    v[x, r] / v[y, r]) : " -")
			}
			if (k > 1)
				line = line " (rounds" rl ")"
			if (order[i] ~ /_ms$/)
				line = line sprintf(" %+.3g ms", mx - my)
			else if (order[i] ~ /_s$/)
				line = line sprintf(" %+.3g s", mx - my)
			print line
		}
	}
	END { pair("xvif", "netback"); pair("relay", "veth") }'
