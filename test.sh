#!/usr/bin/env bash
# The whole acdhub test suite, from a fresh checkout. It installs whatever it needs itself;
# CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        rustup component add "$component"
    fi
done

step "system packages"
# Real tools, not mocks: promtool and Prometheus (Debian's prometheus) for the metrics tests,
# Chromium (Debian's chromium) and Node.js for the pages' tests in a browser, nginx (Debian's
# nginx) as the proxy the tests put in front of the server. The tests run their own nginx, as
# this user, on ports they pick; never the system's service. e2fsprogs (mkfs.ext4, e2fsck) and
# util-linux (findmnt, mount's loop devices) for the disk that turns read-only under the server.
# squid (Debian's squid) as the browser's forward proxy (tests/browser/squid.test.mjs): the tests
# run their own squid, in the foreground, on ports they pick (as root it runs as Debian's `proxy`
# user, since squid refuses root); never the system's service.
# Firefox ESR (Debian's firefox-esr) for the pages' tests in a second engine: playwright-core
# cannot drive a stock Firefox, so tests/browser/firefox.test.mjs drives it over WebDriver with
# geckodriver (built below).
need=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
command -v firefox-esr >/dev/null || need+=(firefox-esr)
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
nginx=$(command -v nginx || echo /usr/sbin/nginx) # /usr/sbin is not on every user's PATH
[ -x "$nginx" ] || need+=(nginx)
squid=$(command -v squid || echo /usr/sbin/squid)
[ -x "$squid" ] || need+=(squid)
command -v mkfs.ext4 >/dev/null && command -v e2fsck >/dev/null || need+=(e2fsprogs)
command -v findmnt >/dev/null || need+=(util-linux)
# tests/tools/package.rs: dpkg-deb reads the .deb, systemd-analyze verifies its unit, strip.
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v strip >/dev/null || need+=(binutils)
# mitmproxy (Debian's) as the TLS-inspecting proxy of tests/browser/tls-inspection.test.mjs: the
# tests run its mitmdump as this user, on ports they pick; the package starts no service.
# libnss3-tools' certutil puts its CA in the test browser's NSS database.
command -v mitmdump >/dev/null || need+=(mitmproxy)
command -v certutil >/dev/null || need+=(libnss3-tools)
# nats-server (Debian's) for the cluster tests: they run their own three-server clusters as
# this user, on ports they pick; never the system's service.
natsd=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$natsd" ] || need+=(nats-server)
if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
    if [[ " ${need[*]} " == *" nats-server "* ]]; then
        # Debian's package may start a system nats-server on 4222: nothing here wants it.
        $sudo systemctl disable --now nats-server 2>/dev/null || true
    fi
    if [[ " ${need[*]} " == *" nginx "* ]] && [ -s /run/nginx.pid ]; then
        # Where packages may start services (not in a container whose policy-rc.d forbids it),
        # Debian's nginx starts serving port 80 at once. Nothing here wants it: stop it, and keep
        # it from starting at boot.
        $sudo systemctl disable --now nginx 2>/dev/null || $sudo "$nginx" -s quit
    fi
    if [[ " ${need[*]} " == *" squid "* ]]; then
        # Likewise Debian's squid starts a system squid on 3128 where services may start: stop it,
        # and keep it from starting at boot.
        $sudo systemctl disable --now squid 2>/dev/null || true
        if [ -s /run/squid.pid ]; then $sudo "$squid" -k shutdown 2>/dev/null || true; fi
    fi
fi
promtool --version | head -1
chromium --version
firefox-esr --version
node --version
"$nginx" -v
mitmdump --version | sed -n 1p
"$squid" -v | sed -n 1p
"$natsd" --version

step "cargo-deb (tests/tools/package.rs builds the .deb with it)"
# From crates.io, pinned; about a minute to build the first time.
if [ "$(cargo deb --version 2>/dev/null)" != "cargo-deb 3.8.0" ]; then
    cargo install cargo-deb --locked --version 3.8.0 --quiet
fi
cargo deb --version

step "geckodriver (tests/browser/firefox.test.mjs drives Firefox ESR with it), into target/geckodriver"
# From crates.io, pinned; about a minute and a quarter to build the first time, again only when
# the pin changes. Kept under target/, where the Firefox test looks for it (or GECKODRIVER).
geckodriver=target/geckodriver/bin/geckodriver
if [ "$("$geckodriver" --version 2>/dev/null | sed -n 1p)" != "geckodriver 0.37.1" ]; then
    cargo install geckodriver --locked --version 0.37.1 --root target/geckodriver --quiet
fi
"$geckodriver" --version | sed -n 1p

step "npm packages (tests/browser)"
# playwright-core drives Debian's Chromium, selenium-webdriver Debian's Firefox ESR through the
# geckodriver above; neither downloads a browser or a driver of its own.
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

step "Autobahn testsuite (tests/tools/autobahn.rs), into target/autobahn/venv"
# Its fuzzingclient, 0.8.2 (the last release), runs on Python 2.7 only, with the dependencies
# pinned in tests/tools/autobahn-requirements.txt. Installed once into a virtualenv under
# target/ (a few minutes: some build from source), again only when the pins change.
autobahn=target/autobahn/venv
if ! cmp -s tests/tools/autobahn-requirements.txt "$autobahn/requirements.txt"; then
    python27=""
    for candidate in python2.7 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7; do
        if "$candidate" --version >/dev/null 2>&1; then
            python27=$candidate
            break
        fi
    done
    if [ -z "$python27" ]; then
        echo "The Autobahn testsuite needs Python 2.7 and none was found: put a python2.7 on PATH" \
            "(pyenv install 2.7.18 puts one under ~/.pyenv/versions, which is searched too)." >&2
        exit 1
    fi
    export PIP_NO_PYTHON_VERSION_WARNING=1
    rm -rf "$autobahn" target/autobahn/virtualenv
    "$python27" -m pip install -q --disable-pip-version-check --target target/autobahn/virtualenv \
        virtualenv==20.15.1
    PYTHONPATH=target/autobahn/virtualenv "$python27" -m virtualenv -q "$autobahn"
    "$autobahn/bin/pip" install -q --disable-pip-version-check \
        -r tests/tools/autobahn-requirements.txt
    cp tests/tools/autobahn-requirements.txt "$autobahn/requirements.txt"
fi
"$autobahn/bin/wstest" --autobahnversion 2>/dev/null | grep -i testsuite

step "format (cargo fmt --check)"
cargo fmt --all -- --check

step "lint (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/test-output.txt

step "browser tests (Chromium and Firefox ESR, on the binary cargo test built)"
# Screenshots of the pages go to target/browser-artifacts.
(cd tests/browser &&
    ACDHUB_BIN="$PWD/../../target/debug/acdhub" ACDHUB_ARTIFACTS="$PWD/../../target/browser-artifacts" \
        node --test --test-concurrency=1 --test-reporter=spec) 2>&1 | tee target/browser-test-output.txt

# One closing line for the whole run, summed over every test binary and the browser tests.
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     /^ℹ pass /      { passed += $3 }
     /^ℹ fail /      { failed += $3 }
     /^ℹ skipped /   { ignored += $3 }
     END { printf "\ntests: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' \
    target/test-output.txt target/browser-test-output.txt
