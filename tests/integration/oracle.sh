#!/usr/bin/env bash
# oracle.sh - run the scenario guests under QEMU (the oracle) and vmscope and
# compare them byte for byte.
#
#   tests/integration/oracle.sh [--update] [NAME...]
#
# For every scenario NAME (default: every scenarios/*/scenario.conf):
#   1. run build/scenarios/NAME/IMAGE under qemu-system-x86_64 -accel tcg
#      (-smp N,sockets=N with N = the scenario's cpus=, default 1;
#      boot images as IDE disk 0, scenario.conf disk= images as the next
#      disks, all with snapshot=on; qemu_args= adds QEMU options),
#      serial port on stdout, isa-debug-exit at port 0xF4; keep the transcript
#      in $BUILD/oracle/NAME.qemu.out;
#   2. check it against the golden copy scenarios/NAME/expected.txt and the
#      exit status against expect_exit in scenario.conf (so a guest that
#      changed by accident, or a QEMU that behaves differently, is caught);
#   3. if $PROG (default ./vmscope) exists and runs, run `$PROG run --cpus N IMAGE`
#      and require the same stdout bytes and the same exit status as QEMU.
#      If it does not exist or does not run yet, print a SKIP line.
# --update rewrites the golden copy (expected.txt, expect_exit) from QEMU.
#
# Environment: PROG, BUILD (default build), SCN_BUILD (default
# build/scenarios), QEMU (default qemu-system-x86_64), ORACLE_TIMEOUT
# (seconds per run, default 60), ORACLE_NO_VMSCOPE=1 to skip step 3,
# ORACLE_VMSCOPE_ARGS (extra words after `run`, e.g. "--engine unicorn").
# Prints PASS/FAIL per scenario and "N passed, N failed"; exits 1 on failure.

# tests/run_tests.sh runs us with `sh`: this script needs bash (arrays).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u
cd "$(dirname "$0")/../.." || exit 2

BUILD=${BUILD:-build}
SCN_BUILD=${SCN_BUILD:-build/scenarios}
PROG=${PROG:-./vmscope}
QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${ORACLE_TIMEOUT:-60}
OUT=$BUILD/oracle
UPDATE=0

if [ "${1:-}" = "--update" ]; then
	UPDATE=1
	shift
fi
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for c in scenarios/*/scenario.conf; do
		[ -e "$c" ] || continue
		n=${c#scenarios/}
		names+=("${n%/scenario.conf}")
	done
fi

if ! command -v "$QEMU" >/dev/null 2>&1; then
	echo "FAIL oracle: $QEMU not found (apt-get install qemu-system-x86)"
	echo "0 passed, ${#names[@]} failed"
	exit 1
fi

# Is there a vmscope that runs at all?  (Not yet while the engine is written.)
vms_ok=0
vms_why=""
if [ "${ORACLE_NO_VMSCOPE:-0}" = 1 ]; then
	vms_why="ORACLE_NO_VMSCOPE=1"
elif [ ! -x "$PROG" ]; then
	vms_why="$PROG does not exist (build it with make)"
elif ! "$PROG" --help >/dev/null 2>&1 && ! "$PROG" --version >/dev/null 2>&1; then
	vms_why="$PROG does not run yet (--help and --version fail)"
else
	vms_ok=1
fi

mkdir -p "$OUT"
pass=0
fail=0

conf_get() {	# conf_get FILE KEY
	sed -n "s/^$2=//p" "$1" | head -n 1
}

for name in "${names[@]}"; do
	conf=$SCN_BUILD/$name/scenario.conf
	src=scenarios/$name
	if [ ! -f "$conf" ]; then
		echo "FAIL $name: $conf missing (run 'make scenarios')"
		fail=$((fail + 1))
		continue
	fi
	image=$SCN_BUILD/$name/$(conf_get "$conf" image)
	kind=$(conf_get "$conf" kind)
	want_rc=$(conf_get "$src/scenario.conf" expect_exit)
	cpu=$(conf_get "$conf" qemu_cpu)
	ncpus=$(conf_get "$conf" cpus)
	ncpus=${ncpus:-1}
	case $kind in
	boot)      # disk 0 is the image; scenario.conf disk= lines are the next
		   # drives.  snapshot=on: QEMU never writes the build's files.
		   boot=(-drive "format=raw,file=$image,if=ide,index=0,snapshot=on")
		   unit=1
		   for d in $(sed -n 's/^disk=//p' "$conf"); do
			boot+=(-drive "format=raw,file=$SCN_BUILD/$name/$d,if=ide,index=$unit,snapshot=on")
			unit=$((unit + 1))
		   done ;;
	multiboot) boot=(-kernel "$image")
		   # cmdline=: arguments after the image name on both sides
		   args=$(conf_get "$conf" cmdline)
		   [ -n "$args" ] && boot+=(-append "$args") ;;
	*)         echo "FAIL $name: kind '$kind' cannot run under QEMU"
		   fail=$((fail + 1)); continue ;;
	esac
	[ -n "$cpu" ] && boot+=(-cpu "$cpu")
	# One socket per vCPU: SeaBIOS lists one MP processor entry per package
	# (docs/SCENARIOS.md), and vmscope lists every vCPU.
	smp=(-smp "$ncpus,sockets=$ncpus,cores=1,threads=1")
	# qemu_args= in scenario.conf: extra QEMU words (e.g. "-vga std" for
	# a guest that uses the VGA BIOS's int 10h).
	extra=$(conf_get "$conf" qemu_args)
	[ -n "$extra" ] && read -r -a words <<<"$extra" && boot+=("${words[@]}")
	# Several vCPUs: QEMU's one-thread round-robin TCG.  Multi-threaded TCG
	# made code one CPU rewrote run stale on another ~1 run in 16 (its
	# code-page TLB flushes reach other vCPUs asynchronously).
	accel=tcg
	[ "$ncpus" -gt 1 ] && accel=tcg,thread=single

	# SeaBIOS writes its log to the debugcon port 0x402, not to the serial
	# port, and -nodefaults adds no VGA: stdout holds only the guest's bytes.
	q_out=$OUT/$name.qemu.out
	timeout -k 5 "$TIMEOUT" "$QEMU" -accel "$accel" -nodefaults -display none \
		-no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -m 256 "${smp[@]}" \
		"${boot[@]}" </dev/null >"$q_out" 2>"$OUT/$name.qemu.err"
	q_rc=$?

	if [ $UPDATE = 1 ]; then
		cp "$q_out" "$src/expected.txt"
		sed -i "s/^expect_exit=.*/expect_exit=$q_rc/" "$src/scenario.conf"
		want_rc=$q_rc
		echo "UPDATE $name: $src/expected.txt ($(wc -l <"$q_out") lines), expect_exit=$q_rc"
	fi

	why=""
	if [ "$q_rc" = 124 ] || [ "$q_rc" = 137 ]; then
		why="QEMU timed out after ${TIMEOUT}s"
	elif [ "$q_rc" != "$want_rc" ]; then
		why="QEMU exit status $q_rc, expected $want_rc"
	elif ! cmp -s "$q_out" "$src/expected.txt"; then
		why="QEMU output differs from $src/expected.txt:
$(diff -u "$src/expected.txt" "$q_out" | head -n 20)"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $name: $why"
		[ -s "$OUT/$name.qemu.err" ] && sed 's/^/    qemu: /' "$OUT/$name.qemu.err" | head -n 5
		fail=$((fail + 1))
		continue
	fi

	if [ $vms_ok = 0 ]; then
		echo "SKIP $name vmscope comparison: $vms_why"
		echo "PASS $name (QEMU matches the golden transcript, exit $q_rc)"
		pass=$((pass + 1))
		continue
	fi

	v_out=$OUT/$name.vmscope.out
	timeout -k 5 "$TIMEOUT" "$PROG" run --cpus "$ncpus" ${ORACLE_VMSCOPE_ARGS:-} "$image" </dev/null >"$v_out" 2>"$OUT/$name.vmscope.err"
	v_rc=$?
	if [ "$v_rc" = 124 ] || [ "$v_rc" = 137 ]; then
		why="vmscope timed out after ${TIMEOUT}s"
	elif ! cmp -s "$q_out" "$v_out"; then
		why="vmscope output differs from QEMU's:
$(diff -u --label qemu --label vmscope "$q_out" "$v_out" | head -n 20)"
	elif [ "$v_rc" != "$q_rc" ]; then
		why="vmscope exit status $v_rc, QEMU $q_rc"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $name: $why"
		[ -s "$OUT/$name.vmscope.err" ] && sed 's/^/    vmscope: /' "$OUT/$name.vmscope.err" | head -n 5
		fail=$((fail + 1))
	else
		echo "PASS $name (vmscope = QEMU, $(wc -l <"$q_out") lines, exit $q_rc)"
		pass=$((pass + 1))
	fi
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
