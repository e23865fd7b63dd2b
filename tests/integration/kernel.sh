#!/usr/bin/env bash
# kernel.sh - the teaching kernel (scenarios/kernel, docs/KERNEL.md) under
# QEMU, the oracle, and on vmscope: the same serial bytes, the same status.
#
#   1. QEMU boots disk0.img (its own boot sector, loaded by SeaBIOS) with
#      disk1.img as primary slave and 2 CPUs; its transcript must equal
#      scenarios/kernel/expected.txt and its status expect_exit.  The same
#      again with disk0-chs.img, whose boot sector loads the kernel with
#      int 13h AH=02h (CHS) instead of the LBA extension.
#      mkfs writes the layout docs/KERNEL.md documents and rejects bad
#      input with one line and status 1.
#   2. vmscope (--engine unicorn) runs both disk images the same way and
#      must print the same bytes with the same status as QEMU; two traced
#      runs give the same event stream, and --pcpus 2 the same output.
#      Then the KVM engine, where it is built (else a SKIP line).  While
#      vmscope lacks a device the kernel needs, step 2 is skipped (status
#      77) with a message naming the device.
#
# QEMU gets -smp 2,sockets=2: SeaBIOS lists one MP processor entry per
# package, so with QEMU's default topology for "-smp 2" (one socket, two
# cores) the MP table would name one CPU.
#
# Environment: PROG (./vmscope), QEMU (qemu-system-x86_64), KERNEL_TIMEOUT
# (seconds per run, default 120), KERNEL_UPDATE=1 rewrites expected.txt
# from QEMU.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
cd "$(dirname "$0")/../.." || exit 2
. tests/testlib.sh

QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=${KERNEL_TIMEOUT:-120}
DIR=$SCN/kernel
SRC=scenarios/kernel

[ -f "$DIR/scenario.conf" ] || { echo "FAIL: $DIR/scenario.conf missing (make scenarios)"; exit 1; }
command -v "$QEMU" >/dev/null 2>&1 || { echo "FAIL: $QEMU not found (apt-get install qemu-system-x86)"; exit 1; }

cpus=$(conf kernel cpus)
disk1=$DIR/$(conf kernel disk)
want_rc=$(conf kernel expect_exit)

run_qemu() {	# run_qemu DISK0 OUT [NCPUS]
	n=${3:-$cpus}
	timeout -k 5 "$TIMEOUT" "$QEMU" -accel tcg -smp "$n,sockets=$n,cores=1,threads=1" \
		-m 256 -nodefaults -display none -no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-drive "file=$1,format=raw,if=ide,index=0,snapshot=on" \
		-drive "file=$disk1,format=raw,if=ide,index=1,snapshot=on" \
		</dev/null >"$2" 2>"$2.err"
}

ENGINE=unicorn
run_vmscope() {	# run_vmscope DISK0 OUT [OPTION...]
	d0=$1 out=$2
	shift 2
	timeout -k 5 "$TIMEOUT" "$PROG" run --engine "$ENGINE" --cpus "$cpus" \
		--disk "$d0" --disk "$disk1" --snapshot --timeout "$TIMEOUT" "$@" \
		</dev/null >"$out" 2>"$out.err"
}

# ---- 1. the oracle ----
for img in disk0 disk0-chs; do
	run_qemu "$DIR/$img.img" "$TMP/$img.qemu"
	rc=$?
	if [ "${KERNEL_UPDATE:-0}" = 1 ] && [ $img = disk0 ]; then
		cp "$TMP/$img.qemu" "$SRC/expected.txt"
		sed -i "s/^expect_exit=.*/expect_exit=$rc/" "$SRC/scenario.conf"
		echo "UPDATE: $SRC/expected.txt ($(wc -l <"$SRC/expected.txt") lines), expect_exit=$rc"
		want_rc=$rc
	fi
	[ "$rc" = "$want_rc" ] && ok "QEMU $img: exit status $rc" ||
		fail "QEMU $img: exit status $rc, wanted $want_rc: $(head -c 300 "$TMP/$img.qemu.err")"
	if cmp -s "$TMP/$img.qemu" "$SRC/expected.txt"; then ok "QEMU $img: output = expected.txt"
	else fail "QEMU $img: output differs from $SRC/expected.txt:"; diff "$SRC/expected.txt" "$TMP/$img.qemu" | head -20; fi
done
# The transcript shows what it must: a guard against a golden file that
# lost its point.
for line in "smp: cpu1 (local APIC id 1) started through INIT/SIPI" \
	"fs: motd.txt (147 bytes, checksum ok):" "kernel: done" \
	"pid 4 bad: killed by #PF, error 0x7"; do
	grep -qF "$line" "$SRC/expected.txt" || fail "expected.txt lacks \"$line\""
done

# ---- mkfs: the documented KFS layout (docs/KERNEL.md), bad input ----
MKFS=$DIR/mkfs
printf 'hello, kfs\n' >"$TMP/a.txt"
head -c 1300 /dev/zero | tr '\0' 'x' >"$TMP/b.dat"
if "$MKFS" -s 16 "$TMP/fs.img" "$TMP/a.txt" "$TMP/b.dat" 2>"$TMP/mkfs.err"; then
	# superblock: magic, total, nfiles, dir_lba, dir_sectors, data_lba
	sb=$(od -An -t u4 -j 8 -N 20 "$TMP/fs.img" | xargs)
	magic=$(head -c 7 "$TMP/fs.img")
	# entry 1 (b.dat): lba after a.txt's one sector, 1300 bytes
	ent=$(od -An -t u4 -j $((512 + 32 + 20)) -N 8 "$TMP/fs.img" | xargs)
	data=$(dd if="$TMP/fs.img" bs=512 skip=2 count=1 2>/dev/null | head -c 11)
	[ "$magic" = VMSKFS1 ] && [ "$sb" = "16 2 1 1 2" ] && [ "$ent" = "3 1300" ] &&
		[ "$data" = "hello, kfs" ] && [ "$(stat -c %s "$TMP/fs.img")" = 8192 ] &&
		ok "mkfs: superblock, directory and data as documented" ||
		fail "mkfs: layout: magic '$magic', superblock '$sb', entry '$ent', data '$data'"
else
	fail "mkfs failed: $(cat "$TMP/mkfs.err")"
fi
mkfs_bad() {	# mkfs_bad DESC ARGS...
	desc=$1
	shift
	"$MKFS" "$@" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] && ok "mkfs $desc: status 1, one line" ||
		fail "mkfs $desc: status $rc, stderr: $(head -c 200 "$TMP/bad.err")"
}
mkfs_bad "missing file" "$TMP/x.img" "$TMP/no-such-file"
cp "$TMP/a.txt" "$TMP/a-name-of-twenty-chr"
mkfs_bad "20-byte name" "$TMP/x.img" "$TMP/a-name-of-twenty-chr"
mkfs_bad "no files" "$TMP/x.img"
mkfs_bad "unwritable image" "$TMP/no/such/dir/x.img" "$TMP/a.txt"

# ---- 2. vmscope, once it has every device the kernel drives ----
missing=()
if [ ! -x "$PROG" ]; then
	missing+=("the program itself ($PROG: run make)")
else
	"$PROG" run --help 2>&1 | grep -q -- '--disk' ||
		missing+=("ATA disks and the boot firmware ROM (run --disk; branch pcdev)")
fi
has_src() { grep -lqs "$1" machine/*.c; }
has_src MM_LAPIC_BASE   || missing+=("local APIC (timer, INIT/SIPI; branch apic)")
has_src MM_IOAPIC_BASE  || missing+=("I/O APIC (branch apic)")
has_src _MP_            || missing+=("MP tables (branch apic)")
has_src PORT_I8042_CMD  || missing+=("i8042 keyboard controller (branch pcdev)")
if [ ${#missing[@]} -gt 0 ]; then
	[ "$fails" -ne 0 ] && finish
	echo "################################################################"
	echo "SKIP kernel on vmscope: vmscope lacks what the kernel needs:"
	for m in "${missing[@]}"; do echo "    - $m"; done
	echo "(the QEMU oracle half passed)"
	echo "################################################################"
	exit 77
fi
for img in disk0 disk0-chs; do
	run_vmscope "$DIR/$img.img" "$TMP/$img.vms"
	rc=$?
	q_rc=$want_rc
	[ "$rc" = "$q_rc" ] && ok "vmscope $img: exit status $rc" ||
		fail "vmscope $img: exit status $rc, QEMU $q_rc: $(head -c 300 "$TMP/$img.vms.err")"
	if cmp -s "$TMP/$img.qemu" "$TMP/$img.vms"; then ok "vmscope $img: output = QEMU's"
	else fail "vmscope $img: output differs from QEMU's:"
		diff -u --label qemu --label vmscope "$TMP/$img.qemu" "$TMP/$img.vms" | head -30
		grep -q "no usable MP configuration table" "$TMP/$img.vms" &&
			echo "hint: no valid _MP_ floating pointer in the EBDA or 0xF0000-0xFFFFF;" \
			     "the EBDA's first word is its size in KiB (the firmware writes it):" \
			     "an MP table placed at EBDA offset 0 loses its signature"
	fi
done
# Two CPUs, preemption, disks: still the same event stream twice, and the
# same output with the vCPUs on two simulated pCPUs.
run_vmscope "$DIR/disk0.img" "$TMP/t1.out" --trace "$TMP/t1.jsonl"
run_vmscope "$DIR/disk0.img" "$TMP/t2.out" --trace "$TMP/t2.jsonl"
n=$(wc -l <"$TMP/t1.jsonl")
if [ "$n" -gt 1000 ] && cmp -s "$TMP/t1.jsonl" "$TMP/t2.jsonl"; then ok "vmscope: two traced runs, $n events, identical"
else fail "vmscope: traced runs differ or are short ($n events)"; fi
grep -q '"kind":"sched","vm":0,"vcpu":1' "$TMP/t1.jsonl" ||
	fail "vmscope: the trace never schedules vCPU 1"
run_vmscope "$DIR/disk0.img" "$TMP/p2.out" --pcpus 2
cmp -s "$TMP/p2.out" "$SRC/expected.txt" && ok "vmscope --pcpus 2: output = QEMU's" ||
	fail "vmscope --pcpus 2: output differs"
# The VGA screen mirrors the console: its 25 rows are the transcript's
# last 24 lines, then the empty row the cursor stands on.
run_vmscope "$DIR/disk0.img" "$TMP/vga.out" --vga-dump "$TMP/vga.txt"
if head -n 25 "$TMP/vga.txt" | cmp -s - <(tail -n 24 "$SRC/expected.txt"; echo) &&
	grep -qx "cursor 24,0" "$TMP/vga.txt"; then ok "VGA text screen = the transcript's last 24 lines, cursor 24,0"
else fail "VGA screen differs from the transcript's tail:"; head -n 26 "$TMP/vga.txt" | diff - <(tail -n 24 "$SRC/expected.txt") | head -10; fi

# The debugger boots it the same way (disks, CPUs and symbols from
# scenario.conf): a breakpoint in ring 3 stops with that process's CR3.
cat >"$TMP/dbg.gdb" <<'GDB'
break prog_wc
continue
print $cs
print $cr3
GDB
timeout -k 5 "$TIMEOUT" "$PROG" debug --engine "$ENGINE" --batch "$TMP/dbg.gdb" kernel \
	</dev/null >"$TMP/dbg.out" 2>"$TMP/dbg.err"
wc_pd=$(sed -n 's/^proc: pid 2 wc *page directory at //p' "$SRC/expected.txt")
if grep -q "^Breakpoint 1, 0x[0-9a-f]* <prog_wc>" "$TMP/dbg.out" && grep -qx "0x1b (27)" "$TMP/dbg.out" &&
	grep -q "^$wc_pd " "$TMP/dbg.out"; then ok "vmscope debug: break prog_wc stops in ring 3 with CR3 = $wc_pd"
else fail "vmscope debug: $(tail -n 5 "$TMP/dbg.out" | tr '\n' '|') $(head -c 200 "$TMP/dbg.err")"; fi

# Four CPUs (the kernel's MAXCPU): three APs started, the same bytes.
run_qemu "$DIR/disk0.img" "$TMP/q4.out" 4
run_vmscope "$DIR/disk0.img" "$TMP/v4.out" --cpus 4
grep -q "cpu3 (local APIC id 3) started" "$TMP/q4.out" || fail "QEMU -smp 4: cpu3 did not start"
cmp -s "$TMP/q4.out" "$TMP/v4.out" && ok "4 CPUs: vmscope output = QEMU's" ||
	{ fail "4 CPUs: vmscope output differs from QEMU's"; diff "$TMP/q4.out" "$TMP/v4.out" | head -10; }

# The boot option (docs/KERNEL.md "Cooperative scheduling"): disk 1 with
# sched.cfg, one CPU, no timer.  QEMU and vmscope print the same bytes,
# the report says so, and the default transcript's timer lines are gone.
disk1_default=$disk1
disk1=$DIR/disk1-coop.img
run_qemu "$DIR/disk0.img" "$TMP/qc.out" 1
rc=$?
run_vmscope "$DIR/disk0.img" "$TMP/vc.out" --cpus 1
vrc=$?
disk1=$disk1_default
[ "$rc" = "$want_rc" ] && [ "$vrc" = "$want_rc" ] && ok "cooperative: exit status $rc on QEMU and vmscope" ||
	fail "cooperative: status $rc on QEMU, $vrc on vmscope: $(head -c 300 "$TMP/vc.out.err")"
grep -qxF "sched: cooperative round robin, no timer" "$TMP/qc.out" &&
	grep -qxF "cpu0: timer off (cooperative)" "$TMP/qc.out" && ! grep -q "timer interrupts" "$TMP/qc.out" &&
	ok "cooperative: the kernel read sched.cfg and ran without a timer" ||
	fail "cooperative: the QEMU transcript does not show the cooperative kernel"
cmp -s "$TMP/qc.out" "$TMP/vc.out" && ok "cooperative, 1 CPU: vmscope output = QEMU's" ||
	{ fail "cooperative: vmscope output differs from QEMU's"; diff "$TMP/qc.out" "$TMP/vc.out" | head -10; }

# The KVM engine, where it is built and /dev/kvm works.
ENGINE=kvm
run_vmscope "$DIR/disk0.img" "$TMP/kvm.out"
rc=$?
if grep -qi "kvm" "$TMP/kvm.out.err" && [ "$rc" = 2 ]; then
	echo "SKIP kernel on the KVM engine: $(head -n 1 "$TMP/kvm.out.err")"
elif [ "$rc" = "$want_rc" ] && cmp -s "$TMP/kvm.out" "$SRC/expected.txt"; then
	ok "vmscope --engine kvm: output and status = QEMU's"
else
	fail "vmscope --engine kvm: status $rc, output differs: $(head -c 300 "$TMP/kvm.out.err")"
	diff -u --label qemu --label kvm "$SRC/expected.txt" "$TMP/kvm.out" | head -20
fi
finish
