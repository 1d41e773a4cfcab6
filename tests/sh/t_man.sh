#!/bin/bash
# Every manual page in man/ renders without a warning (man --warnings), and
# each option xvifd and xvifctl take is in its page.
. "$(dirname "$0")/lib.sh"
MAN=$(cd "$(dirname "$0")/../../man" && pwd)
n=0
for page in "$MAN"/*.[0-9]; do
	n=$((n + 1))
	err=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	if [ -z "$err" ]; then
		t_pass "$(basename "$page"): no warnings"
	else
		t_fail "$(basename "$page"): warnings" "$(head -3 <<<"$err")"
	fi
done
t_ok "found the pages (xvifd.8 and xvifctl.8 at least)" test "$n" -ge 2
# opts PROG: the long options its --help lists.
opts() { "$PWD/$BUILD/$1" --help 2>&1 | grep -oE -- '--[a-z][a-z-]+' | sort -u; }
for page in xvifd.8 xvifctl.8 xvif-sim.1; do
	prog=${page%.*}
	missing=
	for o in $(opts "$prog"); do
		[ "$o" = --help ] && continue
		grep -qE -- "Fl -${o#--}( |$)" "$MAN/$page" || missing="$missing $o"
	done
	t_eq "$page documents each option of $prog --help" "${missing:-none}" none
done
# xvif-sim's --misbehave modes, as its netfront lists them.
modes=$("$PWD/$BUILD/xvif-sim" netfront --help 2>&1 | sed -n '/^MODE:/,$p' |
	sed 's/^MODE://' | tr -s ' \n' '\n' | grep -v '^$')
missing=
for m in $modes; do grep -q -- "$m" "$MAN/xvif-sim.1" || missing="$missing $m"; done
t_eq "xvif-sim.1 names each --misbehave mode" "${missing:-none}" none
t_done
