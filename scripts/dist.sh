#!/usr/bin/env bash
# make dist: the packages, built with Fyne's packaging tool (pinned in tools/go.mod, run with
# `go tool`) from the metadata in FyneApp.toml:
#   dist/lineup-VERSION-linux-amd64.tar.xz   the binary, icon and desktop entry (tel:, sip: and
#                                            callto: links), with a Makefile: `make user-install`
#                                            (~/.local) or `sudo make install`, and the
#                                            matching uninstall targets
#   dist/Lineup-VERSION-windows-amd64.exe    cross-built with mingw-w64, with its icon and
#                                            version resources
# Usage: scripts/dist.sh [OUT_DIR [linux|windows|all]]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
what=${2:-all}
mkdir -p "$out"
out=$(cd "$out" && pwd)

field() { sed -n "s/^ *$1 *= *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" FyneApp.toml | head -1; }
version=$(field Version)
build=$(field Build)
id=$(field ID)
name=$(field Name)
# The links the desktop entry opens. (FyneApp.toml's CanOpen would write them, but the packaging
# tool then adds a file argument, %F, to Exec and to the archive's Makefile, which breaks both.)
mimetypes="x-scheme-handler/tel;x-scheme-handler/sip;x-scheme-handler/callto;"

# Built once for this machine; the CC set below for the Windows build must not reach it.
fyne=$(go tool -modfile=tools/go.mod -n fyne)
work=$(mktemp -d -t lineup-dist.XXXXXX)
# The packaging tool rewrites FyneApp.toml (it counts Build up in release mode and drops the
# comments): the checkout keeps its own.
cp FyneApp.toml "$work/FyneApp.toml"
trap 'cp "$work/FyneApp.toml" FyneApp.toml; rm -f "cmd/lineup/$name.exe"; rm -rf "$work"' EXIT

linux() {
  go build -trimpath -tags release -ldflags "-s -w" -o "$work/bin/lineup" ./cmd/lineup
  "$fyne" package --os linux --exe "$work/bin/lineup" --release
  mkdir -p "$work/linux"
  tar -xJf "$name.tar.xz" -C "$work/linux"
  rm "$name.tar.xz"
  local entry
  entry=$(find "$work/linux" -name "$id.desktop")
  sed -i "/^Keywords=/a MimeType=$mimetypes" "$entry"
  desktop-file-validate "$entry"
  tar -cJf "$out/lineup-$version-linux-amd64.tar.xz" -C "$work/linux" .
  echo "built $out/lineup-$version-linux-amd64.tar.xz"
}

windows() {
  if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
    echo "dist: x86_64-w64-mingw32-gcc is missing (scripts/install-deps.sh installs gcc-mingw-w64-x86-64)" >&2
    exit 1
  fi
  # The packaging tool builds in the main package's folder and leaves Name.exe there.
  CC=x86_64-w64-mingw32-gcc "$fyne" package --os windows --src cmd/lineup --icon ../../assets/icon.png \
    --name "$name" --app-id "$id" --app-version "$version" --app-build "$build" --release
  mv "cmd/lineup/$name.exe" "$out/$name-$version-windows-amd64.exe"
  echo "built $out/$name-$version-windows-amd64.exe"
}

case $what in
  linux) linux ;;
  windows) windows ;;
  all) linux; windows ;;
  *) echo "dist: want linux, windows or all, not $what" >&2; exit 2 ;;
esac
