# debug_repl.sh - the interactive `vmscope debug` in a real terminal
# (tmux): Tab completion from the command table, history kept in the
# history file, Up arrow recalls, an empty line repeats a step, Ctrl-C
# stops a guest that runs forever.
. tests/testlib.sh

command -v tmux >/dev/null 2>&1 || { echo "tmux not installed"; exit 77; }
boot_sector "$TMP/spin.img" <<'ASM'
    .code16
    .globl _start
_start:
    mov $5, %ax
1:  inc %bx
    jmp 1b
    .org 510
    .byte 0x55, 0xaa
ASM
sock="$TMP/tmux.sock"
T() { tmux -S "$sock" "$@"; }
screen() { T capture-pane -p -t dbg; }
wait_for() {  # PATTERN: poll the screen for up to 10 s
    i=0
    while [ $i -lt 100 ]; do
        screen | grep -q -- "$1" && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

export VMSCOPE_HISTORY="$TMP/history"
T new-session -d -s dbg -x 120 -y 40 "$PROG debug $TMP/spin.img; sleep 30"
wait_for '(vmscope)' || fail "no prompt: $(screen)"

T send-keys -t dbg 'info regi' Tab Enter
wait_for '^eax 0x00000000' && ok "Tab completes 'info regi' and the command runs" ||
    fail "completion: $(screen | tail -5)"
T send-keys -t dbg 'stepi' Enter
wait_for 'Stepped 1 instruction to 0x7c03' || fail "stepi: $(screen | tail -5)"
T send-keys -t dbg Enter
wait_for 'Stepped 1 instruction to 0x7c04' && ok "an empty line repeats stepi" ||
    fail "repeat: $(screen | tail -5)"
T send-keys -t dbg 'print/x $bx' Enter
wait_for '^0x1$' || fail "print: $(screen | tail -5)"
T send-keys -t dbg Up Up Enter
i=0
while [ "$(screen | grep -c '^Stepped 1 instruction')" != 3 ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
[ "$(screen | grep -c '^Stepped 1 instruction')" = 3 ] && ok "Up recalls history" ||
    fail "history recall: $(screen | tail -5)"
T send-keys -t dbg 'continue' Enter
sleep 1
T send-keys -t dbg C-c
wait_for 'Interrupted at 0x7c0' && ok "Ctrl-C stops a running guest" ||
    fail "Ctrl-C: $(screen)"
T send-keys -t dbg 'quit' Enter
i=0
while ! grep -q '^print/x \$bx$' "$TMP/history" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1))
done
grep -q '^print/x \$bx$' "$TMP/history" && ok "history file written" ||
    fail "history file: $(cat "$TMP/history" 2>&1)"
T kill-server 2>/dev/null
finish
