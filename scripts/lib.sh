# Shell functions the scripts share; `. "$(dirname "$0")/lib.sh"` after setting PROG (the script's name).
# Bash only (arrays, local, printf -v).

# Messages, prefixed with the script's name.
log() { echo "${PROG:-leadership}: $*"; }
die() { echo "${PROG:-leadership}: error: $*" >&2; exit 1; }

# The repository's root (this file is in <root>/scripts).
LEADERSHIP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The servers cache, the one rule the Java tests follow too (io.leadership.testing.ServersCache):
# $LEADERSHIP_SERVERS if set and not empty, else $HOME/.cache/leadership-servers with HOME from
# the environment.
servers_cache() {
  if [ -n "${LEADERSHIP_SERVERS:-}" ]; then
    echo "$LEADERSHIP_SERVERS"
  elif [ -n "${HOME:-}" ]; then
    echo "$HOME/.cache/leadership-servers"
  else
    die "neither LEADERSHIP_SERVERS nor HOME is set: no servers cache"
  fi
}

# source_servers_env: exports what scripts/build-servers wrote to <cache>/servers.env (ETCD_36_BIN,
# CONSUL_BIN, ...); returns 1 if there is no such file.
source_servers_env() {
  local f; f="$(servers_cache)/servers.env"
  [ -f "$f" ] || return 1
  set -a
  # shellcheck disable=SC1090
  . "$f"
  set +a
}

# The pinned server versions: ETCD_36_VERSION, ETCD_35_VERSION, CONSUL_VERSION (scripts/servers.versions).
SERVERS_VERSIONS="$LEADERSHIP_ROOT/scripts/servers.versions"
read_server_versions() {
  # shellcheck disable=SC1090
  . "$SERVERS_VERSIONS"
}

# install_debian_etcd: etcd 3.4 (the contract and the scenarios run on it too) and etcdctl from
# Debian's etcd-server and etcd-client, through apt-get, if /usr/bin/etcd or /usr/bin/etcdctl is missing.
install_debian_etcd() {
  [ -x /usr/bin/etcd ] && [ -x /usr/bin/etcdctl ] && return 0
  log "installing Debian's etcd-server and etcd-client (etcd 3.4, etcdctl) for the etcd tests (apt-get)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null
}

# build_go_binary SRC NAME BINARY [--force]: builds the Go program in SRC (relative to the root) with
# the ordinary `go` command into <cache>/NAME-<hash>/BINARY and prints the binary's path on its last line.
# <hash>: the first 12 hex digits of the SHA-256 of `sha256sum` over SRC's files (go.mod, go.sum,
# *.go), sorted by name in byte order, one "<sha256>  <name>" line each; the Java side computes the
# same hash, so a changed source never runs an old binary. A cached binary is reused at once.
build_go_binary() {
  local src=$1 name=$2 binary=$3 force=${4:-}
  [ -d "$LEADERSHIP_ROOT/$src" ] || die "no $src"
  local hash cache dir bin logf t
  hash=$(cd "$LEADERSHIP_ROOT/$src" && find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum | cut -c1-12)
  cache=$(servers_cache)
  dir="$cache/$name-$hash"
  bin="$dir/$binary"
  if [ "$force" != --force ] && [ -x "$bin" ]; then
    log "cached (source hash $hash)"
    echo "$bin"
    return 0
  fi
  command -v go >/dev/null || die "go is not on PATH: $src needs Go to build"
  # GOTOOLCHAIN=local: never fetch another Go. -mod=readonly: go.mod and go.sum are the
  # source's, never rewritten by a build. CGO_ENABLED=0: no C toolchain needed.
  mkdir -p "$dir" "$cache/logs"
  logf="$cache/logs/$name-$hash.log"
  t=$SECONDS
  log "building $src (source hash $hash) with $(go version) ... (log: $logf)"
  if ! (cd "$LEADERSHIP_ROOT/$src" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0 \
        nice -n 10 go build -trimpath -o "$dir/.$binary.tmp" .) > "$logf" 2>&1; then
    tail -n 25 "$logf" | sed 's/^/  | /' >&2
    die "go build failed after $((SECONDS - t)) s; log: $logf"
  fi
  mv -f "$dir/.$binary.tmp" "$bin"
  go version -m "$bin" > "$dir/BUILDINFO"
  log "built in $((SECONDS - t)) s"
  echo "$bin"
}

# After a failed build: each failed test's own log (its body's, between the [test] markers TestMarkers
# writes into target/surefire-reports/<class>-output.txt), its last lines of ours, so that the tail of
# a CI log says why, not only which. At most 3 tests, 25 lines each.
print_failed_tests() {
  local shown=0 f line name
  for f in "$LEADERSHIP_ROOT"/*/target/surefire-reports/*-output.txt; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do
      [ "$shown" -lt 3 ] || return 0
      shown=$((shown + 1))
      name="${line#\[test\] failed }"
      name="${name%%: *}"
      echo "---- the log of ${name} (${f#"$LEADERSHIP_ROOT"/}), its last lines of ours:"
      awk -v start="[test] start ${name}" -v end="[test] end ${name}" -v failed="$line" '
        $0 == start { n = 0; inside = 1; next }
        inside && ($0 == end || $0 == failed) { exit }
        inside && ($0 ~ /(INFO|WARN|ERROR) io\.leadership/ || $0 ~ /^\[faults\]/) && $0 !~ /FaultProxy/ { buf[n++ % 25] = substr($0, 1, 240) }
        END { for (i = (n > 25 ? n - 25 : 0); i < n; i++) print "  " buf[i % 25] }' "$f"
      echo "---- ${line#\[test\] }"
    done < <(grep -a '^\[test\] failed ' "$f")
  done
  [ "$shown" -gt 0 ] || echo "---- no test marked a failure in its log: Maven's error above says what failed"
}
