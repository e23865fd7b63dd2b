#!/bin/sh
# deps.sh - install the Debian packages vmscope needs, only those missing.
#
# Unicorn: vmscope needs libunicorn >= 2.1.4 (Debian 12 ships 2.0.1, which
# ignores guest paging).  On Debian 12 it comes from Debian's own unstable
# archive, pinned so that nothing else is taken from there.
set -eu

PKGS="make gcc libc6-dev binutils pkg-config gcc-multilib
      libncurses-dev libreadline-dev libcapstone-dev libcmocka-dev
      qemu-system-x86 gdb tmux tshark bc"
UNICORN_PKGS="libunicorn-dev libunicorn2t64"
UNICORN_MIN=2.1.4

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done

unicorn_ok() {
    v=$(pkg-config --modversion unicorn 2>/dev/null) || return 1
    printf '%s\n%s\n' "$UNICORN_MIN" "$v" | sort -V -C
}

need_pin=""
if ! unicorn_ok; then
    missing="$missing $UNICORN_PKGS"
    if ! apt-cache policy libunicorn-dev 2>/dev/null | grep -q 'Candidate: 2\.[1-9]'; then
        need_pin=1
    fi
fi

[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"

if [ -n "$need_pin" ]; then
    $SUDO sh -c 'cat > /etc/apt/sources.list.d/vmscope-unstable.sources' <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: unstable
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO sh -c 'cat > /etc/apt/preferences.d/vmscope-unicorn' <<'PIN'
# vmscope: take only libunicorn (>= 2.1.4) from unstable, nothing else.
Package: *
Pin: release a=unstable
Pin-Priority: 1

Package: libunicorn2t64 libunicorn-dev
Pin: release a=unstable
Pin-Priority: 990
PIN
fi

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
unicorn_ok || { echo "deps: libunicorn >= $UNICORN_MIN could not be installed" >&2; exit 1; }
echo "deps: done"
