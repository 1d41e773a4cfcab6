#!/bin/bash
# t_xenstore_tools.sh -- the stock xenstore-utils (xenstore-write, -read,
# -exists, -list, -ls, -rm, -chmod, -watch) against the XenStore server of
# `xvif-sim host`, as dom0 and as a guest domain (made with `xvif-sim
# create`, which introduces it as xl create does).  Exact outputs.
. "$(dirname "$0")/lib.sh"

for tool in xenstore-read xenstore-write xenstore-ls xenstore-watch; do
	command -v $tool >/dev/null || {
		t_fail "setup" "$tool not installed (apt-get install xenstore-utils)"
		t_done
	}
done
sim_host_start

# t_out NAME WANT CMD...: CMD's stdout+stderr and exit status, exactly.
t_out() {
	local name=$1 want=$2 got rc
	shift 2
	got=$("$@" 2>&1)
	rc=$?
	t_eq "$name" "$got (rc $rc)" "$want"
}

t_out "write two keys" " (rc 0)" xenstore-write /t/a hello /t/b "x y"
t_out "read" "hello (rc 0)" xenstore-read /t/a
t_out "read two" "hello
x y (rc 0)" xenstore-read /t/a /t/b
t_out "exists: yes" " (rc 0)" xenstore-exists /t/a
t_out "exists: no" " (rc 1)" xenstore-exists /t/none
t_out "list" "a
b (rc 0)" xenstore-list /t
t_out "initial tree" '/local = ""   (n0)
/local/domain = ""   (n0)
/local/domain/0 = ""   (n0)
/local/domain/0/domid = "0"   (n0)
/local/domain/0/name = "Domain-0"   (n0)
/tool = ""   (n0)
/tool/xenstored = ""   (n0)
/t = ""   (n0)
/t/a = "hello"   (n0)
/t/b = "x y"   (n0) (rc 0)' xenstore-ls -fp /
t_out "read missing" "xenstore-read: couldn't read path /t/none (rc 1)" \
	xenstore-read /t/none
t_out "rm" " (rc 0)" xenstore-rm /t/a
t_out "list after rm" "b (rc 0)" xenstore-list /t
t_out "mkdir-like write of a deep path" " (rc 0)" xenstore-write /t/c/d/e v
t_out "implicit parents" "c
d
e (rc 0)" sh -c 'xenstore-list /t | tail -1; xenstore-list /t/c; xenstore-list /t/c/d'
t_out "rm -t removes the subtree" " (rc 0)" xenstore-rm /t/c
t_out "exists after rm" " (rc 1)" xenstore-exists /t/c/d

# -- A guest. --
D=$("$SIM" create --dir "$SIM_DIR" --name tg 2>"$T_DIR/create.err")
if [ -z "$D" ] || [ ! -S "$SIM_DIR/xs-dom$D.sock" ]; then
	t_fail "guest: create" "no domain or no xs-dom$D.sock: $(cat "$T_DIR/create.err")"
	t_done
fi
t_pass "guest: created, socket xs-dom$D.sock"
t_out "chmod" " (rc 0)" xenstore-chmod /t/b n0 r$D
t_out "perms shown" "/t/b = \"x y\"   (n0,r$D) (rc 0)" xenstore-ls -fp /t
t_out "guest may read r$D" "x y (rc 0)" as_dom "$D" xenstore-read /t/b
t_out "guest may not write r$D" \
	"xenstore-write: could not write path /t/b (rc 1)" \
	as_dom "$D" xenstore-write /t/b evil
t_out "value unchanged" "x y (rc 0)" xenstore-read /t/b
t_out "guest denied n0" "xenstore-read: couldn't read path /tool/xenstored (rc 1)" \
	as_dom "$D" xenstore-read /tool/xenstored
t_out "guest denied dom0's home" "xenstore-ls: xs_directory (/local/domain/0): Permission denied (rc 1)" \
	as_dom "$D" xenstore-ls /local/domain/0
t_out "guest writes its data/ (relative)" " (rc 0)" \
	as_dom "$D" xenstore-write data/k v1
t_out "guest reads it back (relative)" "v1 (rc 0)" \
	as_dom "$D" xenstore-read data/k
t_out "dom0 sees the guest's node, owned by it" \
	"/local/domain/$D/data/k = \"v1\"   (n$D) (rc 0)" \
	xenstore-ls -fp /local/domain/$D/data
t_out "guest may not chmod dom0's node" \
	"xenstore-chmod: Error occurred setting permissions on '/t/b': Permission denied (rc 1)" \
	as_dom "$D" xenstore-chmod /t/b n$D

# -- Watches (each bounded by timeout). --
timeout 10 xenstore-watch -n 4 /w >"$T_DIR/watch.out" 2>&1 &
WP=$!
t_cleanup_add "w_stop $WP"
if t_wait 5 grep -qx /w "$T_DIR/watch.out"; then
	xenstore-write /w/x 1 /wx 2
	xenstore-rm /w
	xenstore-write /w 3
	wait $WP
	t_eq "xenstore-watch: initial, child, not /wx, rm, write" \
		"$(cat "$T_DIR/watch.out")" "/w
/w/x
/w
/w"
else
	t_fail "xenstore-watch" "no initial event: $(cat "$T_DIR/watch.out")"
fi
timeout 10 xenstore-watch -n 2 @introduceDomain >"$T_DIR/intro.out" 2>&1 &
WP=$!
t_cleanup_add "w_stop $WP"
if t_wait 5 grep -qx @introduceDomain "$T_DIR/intro.out"; then
	"$SIM" create --dir "$SIM_DIR" --name tg2 >/dev/null 2>&1
	wait $WP
	t_eq "xenstore-watch @introduceDomain" "$(cat "$T_DIR/intro.out")" \
		"@introduceDomain
@introduceDomain"
else
	t_fail "xenstore-watch @introduceDomain" "no initial event"
fi
# A guest's watch on dom0's node: only the initial event.
timeout 3 env XENSTORED_PATH="$SIM_DIR/xs-dom$D.sock" \
	xenstore-watch /tool >"$T_DIR/gw.out" 2>&1 &
WP=$!
t_cleanup_add "w_stop $WP"
t_wait 5 grep -qx /tool "$T_DIR/gw.out"
xenstore-write /tool/secret s
wait $WP
t_eq "guest watch sees no unreadable change" "$(cat "$T_DIR/gw.out")" "/tool"

kill -0 "$SIM_PID" 2>/dev/null && t_pass "host still running" ||
	t_fail "host still running" "it died: $(tail -3 "$T_DIR/host.log")"
kill "$SIM_PID"
wait "$SIM_PID"
rc=$?
t_eq "SIGTERM: exit 0, sockets removed" \
	"$rc $(ls "$SIM_DIR" | grep -c sock)" "0 0"
t_done
