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
for prog in xvifd xvifctl; do
	missing=
	for o in $(opts "$prog"); do
		[ "$o" = --help ] && continue
		grep -qE -- "Fl -${o#--}( |$)" "$MAN/$prog.8" || missing="$missing $o"
	done
	t_eq "$prog.8 documents each option of $prog --help" "${missing:-none}" none
done
t_done
