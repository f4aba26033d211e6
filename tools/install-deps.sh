#!/bin/sh
# install-deps.sh: installs the Debian packages dory needs to build and test,
# if any is missing (`make deps` runs it; nothing else does). Uses apt-get when
# root, sudo otherwise, and says what to do when neither works. Safe to run
# repeatedly: it installs only what is missing. libclang-rt-dev holds clang's
# sanitizer and libFuzzer runtimes (`make asan-clang`, `make fuzz`); chromium
# renders the deployment report in its screenshot test (tests/py/test_report.py).
set -eu
PKGS="gcc make python3 python3-venv libprotobuf-c-dev protobuf-c-compiler libonnx-dev libcjson-dev clang libclang-rt-dev gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm minizinc clang-format chromium"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"
else
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run as root: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing
