#!/usr/bin/env bash
# Installs the Debian packages trec needs to build and test, and nothing
# else. Silent and quick when everything is already there (it only asks
# dpkg), so every `make check` and `make demo` can call it first.
set -euo pipefail

PACKAGES=(
	build-essential     # gcc, make, libc headers
	clang llvm          # BPF programs; libFuzzer builds
	libclang-rt-14-dev  # libFuzzer/ASan runtime for clang
	libbpf-dev bpftool libelf-dev zlib1g-dev  # the recorder
	libzstd-dev         # block compression
	liblzma-dev xz-utils  # .gnu_debugdata (xz mini-debuginfo) symbols and their test
	libiberty-dev       # C++ and Rust demangling at record time (cplus_demangle's demanglers)
	libcmocka-dev       # unit tests
	libncurses-dev      # the interactive report (trec report on a terminal)
	tmux                # drives it in tests/e2e/tui.t
	systemtap-sdt-dev   # USDT probes
	gnuplot-nox libxml2-utils  # report and benchmark tooling
	chromium            # flame graph tests open the SVG in headless Chromium
	pkg-config
	linux-perf          # comparisons with perf in tests and benchmarks
	python3             # JSON checks in end-to-end tests
	libc6-dbg           # libc's debug symbols: record-time debug files (__libc_start_call_main) and their test
	nodejs              # JIT frames end to end (node --perf-basic-prof) in tests/e2e/unwind.t
	golang-go           # go tool pprof reads trec convert --to pprof in tests/e2e/convert.t
	protobuf-compiler   # protoc --decode / --decode_raw read the Perfetto export (tests/e2e/convert_perfetto.t)
)

# speedscope's web app, from npm into a local directory: tests/e2e/convert.t
# opens it from these files in headless Chromium (no network at test time).
SPEEDSCOPE_DIR=${TREC_SPEEDSCOPE_DIR:-/opt/trec-speedscope}
SPEEDSCOPE_VERSION=1.25.0

install_speedscope() {
	[ -f "$SPEEDSCOPE_DIR/node_modules/speedscope/dist/release/index.html" ] && return 0
	command -v npm >/dev/null 2>&1 || return 0
	echo "setup-deps: installing speedscope@$SPEEDSCOPE_VERSION into $SPEEDSCOPE_DIR" >&2
	"${SUDO[@]}" mkdir -p "$SPEEDSCOPE_DIR"
	"${SUDO[@]}" npm install --silent --no-audit --no-fund --prefix "$SPEEDSCOPE_DIR" \
		"speedscope@$SPEEDSCOPE_VERSION"
}

# DuckDB's engine as its Node.js package (the binary ships inside the npm
# package; Debian has no duckdb): tests/e2e/json_export.t runs the SQL of
# docs/JSON.md with it.
DUCKDB_DIR=${TREC_DUCKDB_DIR:-/opt/trec-duckdb}
DUCKDB_VERSION=1.5.6-r.1

install_duckdb() {
	[ -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ] && return 0
	command -v npm >/dev/null 2>&1 || return 0
	echo "setup-deps: installing @duckdb/node-api@$DUCKDB_VERSION into $DUCKDB_DIR" >&2
	"${SUDO[@]}" mkdir -p "$DUCKDB_DIR"
	"${SUDO[@]}" npm install --silent --no-audit --no-fund --prefix "$DUCKDB_DIR" \
		"@duckdb/node-api@$DUCKDB_VERSION"
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "setup-deps: this is not a Debian-based system; install the equivalents of:" >&2
	echo "  ${PACKAGES[*]}" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	# "install ok installed" is the only state that means usable.
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
SUDO=()
if [ ${#missing[@]} -eq 0 ]; then
	[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
	install_speedscope
	install_duckdb
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "setup-deps: missing packages: ${missing[*]}" >&2
		echo "setup-deps: not root and no sudo: install them as root, then rerun" >&2
		exit 1
	fi
	SUDO=(sudo)
fi

echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists are refreshed only now that something must be fetched.
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_speedscope
install_duckdb
