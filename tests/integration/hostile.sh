# hostile.sh - random guests cannot crash vmscope: 40 boot sectors of
# pseudo-random bytes (fixed seeds), each must end with a documented
# status (never a signal or a sanitizer report).
. tests/testlib.sh

mkimg() {  # seed out
    awk -v seed="$1" 'BEGIN { srand(seed); for (i = 0; i < 510; i++) printf "%c", int(rand() * 256) }' \
        LC_ALL=C >"$2"
    printf '\125\252' >>"$2"
}

for seed in $(seq 1 40); do
    mkimg "$seed" "$TMP/r.img"
    [ "$(wc -c <"$TMP/r.img")" -eq 512 ] || { fail "seed $seed: image is not 512 bytes"; continue; }
    timeout 60 "$PROG" run --max-insns 300000 --timeout 20 "$TMP/r.img" >/dev/null 2>"$TMP/r.err" </dev/null
    st=$?
    case $st in
        0|1|3|4|6|8|12|[13579]|[1-9][13579]|1[0-9][13579]|2[0-4][13579]|25[135]) ;;
        *) fail "seed $seed: status $st: $(head -c 400 "$TMP/r.err")"; continue ;;
    esac
    if grep -q "Sanitizer\|runtime error" "$TMP/r.err"; then
        fail "seed $seed: sanitizer report: $(head -c 400 "$TMP/r.err")"
    fi
done
ok "40 random guests ended with documented statuses"
finish
