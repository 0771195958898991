#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian or Ubuntu: the C tool chain and
# headers Fyne builds with, the real SIP peers the tests talk to (Kamailio with its presence
# modules for the voicemail and busy lamps, SIPp, baresip), Xvfb
# with imagemagick and x11-utils (screenshots, window places) and xdotool (types the keyboard
# shortcuts that open the settings and journal windows) for GUI tests, sipvicious (the scanners
# the security tests point at a running Lineup), a private D-Bus with gnome-keyring and
# secret-tool (the OS keyring test runs a Secret Service of its own), dunst (the notification
# daemon of the desktop-bus test), mingw-w64 (make dist
# cross-builds the Windows .exe), desktop-file-utils, xdg-utils and file (the package tests
# validate the desktop entry, open links with xdg-open and check the .exe), and the Go modules.
# Run as root or with sudo; it does nothing that is already done.
set -euo pipefail

packages=(
  gcc make pkg-config git ca-certificates
  libgl1-mesa-dev xorg-dev
  kamailio kamailio-tls-modules kamailio-presence-modules
  sip-tester baresip-core sipvicious
  xvfb imagemagick x11-utils xdotool
  dbus dbus-bin gnome-keyring libsecret-tools dunst
  gcc-mingw-w64-x86-64 desktop-file-utils xdg-utils file xz-utils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts Kamailio as a service on install; the project runs its own on loopback only.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  $SUDO systemctl stop kamailio || true
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Go 1.26 or newer is needed (https://go.dev/doc/install); it is not on PATH." >&2
  exit 1
fi
go mod download
# Fyne's packaging tool, pinned as a tool of its own module so that its Fyne does not become the app's.
go mod download -modfile=tools/go.mod
