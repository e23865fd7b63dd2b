# determinism.sh - the same image twice gives the same event stream, byte
# for byte; also with several VMs on several simulated pCPUs.
. tests/testlib.sh

for s in $(scenarios); do
    img="$SCN/$s/$(conf "$s" image)"
    for run in 1 2; do
        "$PROG" run --timeout 60 --trace "$TMP/$s.$run.jsonl" "$img" >/dev/null 2>&1
    done
    lines=$(wc -l <"$TMP/$s.1.jsonl")
    [ "$lines" -gt 10 ] || fail "$s: trace has only $lines events"
    if cmp -s "$TMP/$s.1.jsonl" "$TMP/$s.2.jsonl"; then ok "$s: $lines events, identical"
    else fail "$s: traces differ"; diff "$TMP/$s.1.jsonl" "$TMP/$s.2.jsonl" | head -5; fi
done

# Three VMs on two pCPUs with a short quantum: many scheduling decisions.
img="$SCN/protected/$(conf protected image)"
for run in 1 2; do
    "$PROG" run --vms 3 --pcpus 2 --quantum 20000 --timeout 60 \
        --trace "$TMP/multi.$run.jsonl" "$img" >"$TMP/multi.$run.out" 2>&1
done
sched=$(grep -c '"kind":"sched"' "$TMP/multi.1.jsonl")
[ "$sched" -gt 10 ] || fail "multi-VM run made only $sched scheduling decisions"
for p in 0 1; do
    grep -q "\"kind\":\"sched\".*\"pcpu\":$p" "$TMP/multi.1.jsonl" || fail "nothing ran on pcpu$p"
done
cmp -s "$TMP/multi.1.jsonl" "$TMP/multi.2.jsonl" && ok "3 VMs x 2 pCPUs: $sched decisions, identical" ||
    fail "multi-VM traces differ"
finish
