#!/bin/sh
# kvm_bench.sh - exits/s and single steps/s on each engine (bench_kvm),
# on this machine and, for KVM, inside the nested test guest (QEMU TCG +
# kvm-amd; labelled "nested").  Run by run_bench.sh (`make bench`).
set -u
BUILD=${BUILD:-build}
echo
echo "engine exits and single steps (tests/bench/bench_kvm.c):"
"$BUILD/bench/bench_kvm" all
sh tests/kvm/harness.sh --bench 2>&1 | grep -E '^kvm |^SKIP|^FAIL' ||
    echo "kvm      nested guest: no result"
