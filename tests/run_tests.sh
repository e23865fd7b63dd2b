#!/bin/sh
# run_tests.sh - every test: cmocka unit tests, then integration tests
# with real peers (QEMU as the oracle).  Prints one line per test program
# and a final "N passed, N failed" line; exits non-zero on any failure.
#
# Environment: BUILD (build directory, default build), PROG (vmscope binary).
set -u
BUILD=${BUILD:-build}
PROG=${PROG:-./vmscope}
export BUILD PROG
passed=0 failed=0 skipped=0
logdir="$BUILD/test-logs"
mkdir -p "$logdir"

run_one() {   # name, command...
    name=$1; shift
    log="$logdir/$(echo "$name" | tr '/ ' '__').log"
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); echo "PASS $name (${secs}s)"
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
    else
        failed=$((failed + 1)); echo "FAIL $name (exit $rc), last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    run_one "integration/$(basename "$t" .sh)" sh "$t"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
