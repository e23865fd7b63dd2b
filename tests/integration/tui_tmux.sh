#!/bin/sh
# tui_tmux.sh - the real vmscope binary in a real terminal (tmux): drive
# the hello lesson with send-keys, check the screen with capture-pane, quit
# (answering the "VMs are running" question), and check that the terminal
# was given back exactly as it was (stty settings, no alternate screen
# left behind).  Then the same start, ended by SIGTERM instead.
. tests/testlib.sh

command -v tmux >/dev/null 2>&1 || { echo "tmux not installed"; exit 77; }
[ -x "$PROG" ] || { echo "$PROG not built"; exit 77; }
"$PROG" --has-tui 2>/dev/null || { echo "this vmscope has no TUI"; exit 77; }

SOCK="vmscope-test-$$"
T="tmux -L $SOCK"
trap '$T kill-server 2>/dev/null; rm -rf "$TMP"' EXIT
# A session that outlives the others, so the server does not exit (and race
# with the next new-session) whenever the test's session is killed.
$T new-session -d -s keep "sleep 600"

# wait_for REGEX [SECONDS]: poll the pane until REGEX shows up
wait_for() {
    i=0
    while [ $i -lt $(( ${2:-10} * 10 )) ]; do
        $T capture-pane -p -t ui > "$TMP/screen" 2>/dev/null
        grep -Eq "$1" "$TMP/screen" && return 0
        sleep 0.1; i=$((i + 1))
    done
    echo "--- screen while waiting for /$1/:"; cat "$TMP/screen"
    return 1
}

# start: a shell in a 100x30 terminal that records the tty settings before
# and after vmscope, and vmscope's exit status
start() {
    cat > "$TMP/run.sh" <<SH
ulimit -c 0
stty -g > "$TMP/before"
echo \$\$ > "$TMP/pid"
"$PROG" hello
echo "status=\$?" > "$TMP/status.tmp"
stty -g > "$TMP/after"
mv "$TMP/status.tmp" "$TMP/status"
echo SHELL-BACK
sleep 60
SH
    rm -f "$TMP/status" "$TMP/before" "$TMP/after"
    $T new-session -d -s ui -x 100 -y 30 \
        "TERM=xterm-256color VMSCOPE_HISTORY=$TMP/history exec sh $TMP/run.sh"
}

wait_status() {
    i=0
    while [ ! -f "$TMP/status" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    cat "$TMP/status" 2>/dev/null
}

check_restored() {  # what
    if [ -f "$TMP/before" ] && cmp -s "$TMP/before" "$TMP/after"; then
        ok "$1: tty settings restored"
    else
        fail "$1: tty settings differ: $(cat "$TMP/before" 2>/dev/null) vs $(cat "$TMP/after" 2>/dev/null)"
    fi
    if wait_for "SHELL-BACK" 5 && ! grep -q "Registers\|Lesson" "$TMP/screen"; then
        ok "$1: the normal screen is back (no TUI frames left)"
    else
        fail "$1: the TUI is still on the screen"; cat "$TMP/screen"
    fi
}

# ---- 1: drive the lesson, quit with q, y ----
start
if wait_for "Step 1 of [0-9]+: Power on" 15; then ok "lesson pane shows step 1"
else fail "no lesson on screen"; fi
grep -q "answer>" "$TMP/screen" && ok "the prompt asks for the answer" || fail "no answer prompt"
$T send-keys -t ui -l "0x7c00"   # -l: tmux would read 0x7c00 as a code point
$T send-keys -t ui Enter
wait_for "Your answer: 0x7c00 \(right\)" && ok "answer checked and revealed" || fail "answer not shown"
$T send-keys -t ui F5
wait_for "Step 2 of [0-9]+: Talking to the UART" && ok "F5 ran to the next lesson step" \
    || fail "the lesson did not advance"
grep -q "Event breakpoint" "$TMP/screen" && ok "the stop is in the log" \
    || fail "the stop line is missing"
$T send-keys -t ui -l "0x3f9"
$T send-keys -t ui Enter
wait_for "Your answer: 0x3f9 \(right\)" && ok "second answer" || fail "second answer"
$T send-keys -t ui F11
wait_for "Stepped 1 instruction" && ok "F11 steps" || fail "F11 did not step"
$T send-keys -t ui q
wait_for "Quit\? \(y/n\)" && ok "q asks while the VM runs" || fail "q did not ask"
$T send-keys -t ui y
st=$(wait_status)
[ "$st" = "status=0" ] && ok "quit with status 0" || fail "quit: $st"
check_restored "quit"
$T kill-session -t ui 2>/dev/null

# ---- 2: SIGTERM while the UI is up ----
start
wait_for "Step 1 of" 15 || fail "second start"
pid=$(cat "$TMP/pid")
# vmscope replaced nothing: it is the child of that shell
vpid=$(pgrep -P "$pid" 2>/dev/null | head -n 1)
if [ -n "$vpid" ]; then
    kill -TERM "$vpid"
    st=$(wait_status)
    [ "$st" = "status=143" ] && ok "SIGTERM ends with 128+15" || fail "SIGTERM: $st"
    check_restored "SIGTERM"
else
    fail "cannot find the vmscope process"
fi
$T kill-session -t ui 2>/dev/null

# ---- 2b: a fatal signal (the handler restores, then dies of it) ----
start
wait_for "Step 1 of" 15 || fail "third start"
vpid=$(pgrep -P "$(cat "$TMP/pid")" 2>/dev/null | head -n 1)
if [ -n "$vpid" ]; then
    kill -ABRT "$vpid"
    st=$(wait_status)
    [ "$st" = "status=134" ] && ok "SIGABRT: died of the signal (134)" || fail "SIGABRT: $st"
    check_restored "SIGABRT"
else
    fail "cannot find the vmscope process"
fi

# ---- 3: colours, NO_COLOR, ASCII frames ----
# look ENV ARGS...: start vmscope with ENV, capture the screen with its
# escape sequences (capture-pane -e) into $TMP/look, quit
look_start() {
    env=$1; shift
    $T kill-session -t ui 2>/dev/null
    $T new-session -d -s ui -x 100 -y 30 \
        "TERM=xterm-256color VMSCOPE_HISTORY=$TMP/history $env $PROG --no-lesson $* hello"
    wait_for "Registers" 15 || return 1
    $T capture-pane -e -p -t ui > "$TMP/look"
}
look_quit() {
    $T send-keys -t ui q
    wait_for "Quit" 5 && $T send-keys -t ui y
    return 0
}
look() {
    look_start "$@" && look_quit
}
ESC=$(printf '\033')
colour="$ESC\[(3|4)[0-7]m"
look "" && grep -Eq "$colour" "$TMP/look" && ok "colours by default" || fail "no colours"
look "NO_COLOR=1" && ! grep -Eq "$colour" "$TMP/look" && grep -q "$ESC\[7m" "$TMP/look" \
    && ok "NO_COLOR: no colours, reverse video instead" || fail "NO_COLOR not honoured"
look "" --ascii && ! grep -q "$(printf '\342\224')" "$TMP/look" && grep -q "+\[Registers" "$TMP/look" \
    && ok "--ascii: ASCII frames" || fail "--ascii still draws Unicode"
# ---- 4: resizing (a separate run: tmux keeps a resized alternate screen's
# lines when it goes back to the normal one, so the restore checks above
# are made without a resize) ----
look_start "" && {
    # resize below the minimum and back (KEY_RESIZE)
    $T resize-window -t ui -x 70 -y 20
    wait_for "needs a terminal of at least 80x24" 5 && ok "too small: a clear message" \
        || fail "no message when too small"
    $T resize-window -t ui -x 120 -y 40
    # a frame line wider than the old 100 columns: more than 100 box lines in it
    wait_for "Registers" 5 && awk -F"$(printf '\342\224\200')" 'NF > 101 { f = 1 } END { exit !f }' "$TMP/screen" \
        && ok "enlarged: the layout is back at 120 columns" || fail "no layout after enlarging"
    look_quit
}
look "LANG=C LC_ALL=C" && grep -q "+\[Registers" "$TMP/look" \
    && ok "C locale: ASCII frames" || fail "C locale draws Unicode"
# ---- 5: the VGA console and typing to the guest ----
# A boot sector writing yellow-on-blue text to 0xB8000, then echoing i8042
# make codes as hex to COM1 (test_tui_panes.c has the longer one).
boot_sector "$TMP/vga.img" <<'EOF'
	.code16
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	$0xB800, %ax
	movw	%ax, %es
	movw	$msg, %si
	xorw	%di, %di
	movb	$0x1E, %ah
1:	lodsb
	testb	%al, %al
	jz	echo
	stosw
	jmp	1b
echo:	inb	$0x64, %al
	testb	$1, %al
	jz	echo
	inb	$0x60, %al
	testb	$0x80, %al
	jnz	echo
	movb	%al, %ah
	shrb	$4, %al
	call	nib
	movb	%ah, %al
	call	nib
	movb	$' ', %al
	outb	%al, %dx
	jmp	echo
nib:	andb	$0xF, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	1f
	addb	$7, %al
1:	movw	$0x3F8, %dx
	outb	%al, %dx
	ret
msg:	.asciz	"vmscope VGA here"
	.org	510
	.byte	0x55, 0xAA
EOF
if [ -f "$TMP/vga.img" ]; then
    $T kill-session -t ui 2>/dev/null
    $T new-session -d -s ui -x 100 -y 30 \
        "TERM=xterm-256color VMSCOPE_HISTORY=$TMP/history $PROG --layout '-(console:5,log:1)' $TMP/vga.img"
    wait_for "Console" 15 && $T send-keys -t ui F5
    if wait_for "vmscope VGA here" 10; then
        $T capture-pane -e -p -t ui > "$TMP/look"
        grep "mscope VGA here" "$TMP/look" | grep -Eq "$ESC\[([0-9]+;)*44(;[0-9]+)*m" \
            && ok "VGA console: the guest's text on its blue background" \
            || fail "VGA console: no blue background"
        $T send-keys -t ui F6 h i
        # typing does not stop the run; Esc ends typing, o stops the run
        wait_for "typing to keyboard" 5 && $T send-keys -t ui Escape
        wait_for "keys are the TUI's again" 5 && $T send-keys -t ui o
        grep -q "running" "$TMP/screen" && ok "typing to a running guest does not stop it" \
            || fail "typing stopped the guest"
        wait_for "stopped by a key" 5 && $T send-keys -t ui o  # o again: stopped now
        wait_for "23 17 " 10 && ok "typed keys reach the guest's keyboard (serial log: 23 17)" \
            || fail "typed keys did not reach the guest"
    else
        fail "VGA console not shown"
    fi
    $T send-keys -t ui q
    wait_for "Quit" 5 && $T send-keys -t ui y
else
    fail "cannot assemble the VGA boot sector"
fi
finish
