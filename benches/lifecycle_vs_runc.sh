#!/usr/bin/env bash
# create -> start -> exit -> delete of /bin/true (busybox-static), carrack beside runc and crun
# from Debian and a floor (benches/floor/floor.c: clone into the same namespaces, pivot_root,
# exec) and a floor for this config (benches/floor/floor_config.c: the same plus exactly the
# cgroups, mounts, devices, masks and capabilities config.json asks for, with no runtime
# around them), interleaved in one run. Each runtime runs `RUNTIME --root DIR run -b BUNDLE ID`, which
# is create + start + wait + delete in one command for all three.
#
#   sudo benches/lifecycle_vs_runc.sh [ROUNDS] [COLD]   (default 200 warm, 20 cold rounds;
#                                                        needs root, gcc, runc, crun)
#   CARRACK_PROFILE=dist ...     measure another cargo profile than release
#   CARRACK_BIN=PATH ...         measure that binary, e.g. the one scripts/build-dist makes
#                                (static, lifecycle code laid out together: what to ship)
#   STATE_FS=disk ...            keep the runtimes' state roots on the disk the script runs
#                                from instead of a tmpfs
#   CARRACK_BEFORE=PATH ...      also measure that carrack binary, as "carrack-before" (the
#                                cost of a change, in the same run), with the ratio of the two
#   CARRACK_ALSO="NAME=PATH ..." also measure each of these carrack binaries, as "NAME" (e.g.
#                                dist=target/dist/carrack build-dist=PATH: builds side by side)
#   CARRACK_RO=1 ...             also measure the same carrack binary from a read-only bind of
#                                it, as "carrack-ro": it then needs no re-exec against
#                                CVE-2019-5736, so the difference is what that re-exec costs
#
# The runtimes' state roots (--root) are on a tmpfs by default, as /run is on every systemd
# host, where runc, crun and carrack keep them. This VM's /run is on ext4 (mounted with
# discard), where every state file created and removed costs each runtime tens of µs more;
# STATE_FS=disk measures that case.
#
# crun refuses this machine's hybrid cgroup layout, so everything runs in a private mount
# namespace with /sys/fs/cgroup/unified unmounted (the same for every runtime). Warm samples
# follow a cgroup join made by the script itself; cold samples follow a one-second pause,
# which on this host makes the first cgroup join pay an RCU grace period (several ms).
# Prints medians
# for both, ratios to crun, runc and the floor, and peak RSS (KiB). Each sample is timed by
# benches/floor/measure.c from fork to wait4, with nothing else inside the clock.
set -euo pipefail
rounds=${1:-200}
cold_rounds=${2:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
for t in runc crun gcc; do
    command -v "$t" >/dev/null || { echo "needs $t (apt-get install runc crun gcc)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
file -L /bin/busybox | grep -q 'statically linked' || { echo "needs busybox-static" >&2; exit 2; }

if [ -z "${CARRACK_BENCH_INNER:-}" ]; then
    [ -n "${CARRACK_BIN:-}" ] || (cd "$repo" && cargo build --profile "${CARRACK_PROFILE:-release}" -q -p carrack-runtime)
    exec unshare -m env CARRACK_BENCH_INNER=1 "$0" "$@"
fi
mount --make-rprivate /
umount /sys/fs/cgroup/unified 2>/dev/null || true

work=$(mktemp -d /tmp/carrack-lifecycle.XXXXXX)
trap 'umount "$work/state" "$work/ro" 2>/dev/null; rm -rf "$work"' EXIT
state_fs=${STATE_FS:-tmpfs}
case $state_fs in
    tmpfs)
        mkdir "$work/state"
        mount -t tmpfs -o mode=0700 carrack-bench-state "$work/state"
        ;;
    disk) mkdir "$work/state" ;;
    *) echo "STATE_FS is tmpfs or disk" >&2; exit 2 ;;
esac
gcc -O2 -o "$work/floor" "$repo/benches/floor/floor.c"
gcc -O2 -o "$work/measure" "$repo/benches/floor/measure.c"
gcc -O2 -o "$work/floor-config" "$repo/benches/floor/floor_config.c"
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
carrack=${CARRACK_BIN:-$repo/target/${CARRACK_PROFILE:-release}/carrack}
"$carrack" spec --bundle "$work/bundle"
sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"\/bin\/true"/; s/"ociVersion": "1.3.0"/"ociVersion": "1.0.2"/' "$work/bundle/config.json" # Debian's runc 1.1 refuses newer versions
grep -q '"/bin/true"' "$work/bundle/config.json"

one() { # NAME -> "NAME µs KiB"
    local name=$1 m
    case $name in
        carrack) cmd=("$carrack" --root "$work/state/carrack" run -b "$work/bundle" "b$i") ;;
        carrack-before) cmd=("$CARRACK_BEFORE" --root "$work/state/carrack-before" run -b "$work/bundle" "b$i") ;;
        carrack-ro) cmd=("$work/ro/carrack" --root "$work/state/carrack-ro" run -b "$work/bundle" "b$i") ;;
        runc) cmd=(runc --root "$work/state/runc" run -b "$work/bundle" "b$i") ;;
        crun) cmd=(crun --root "$work/state/crun" run -b "$work/bundle" "b$i") ;;
        floor) cmd=("$work/floor" "$work/bundle/rootfs") ;;
        floor-config) cmd=("$work/floor-config" "$work/bundle/rootfs" "b$i") ;;
        *) cmd=("${also[$name]}" --root "$work/state/$name" run -b "$work/bundle" "b$i") ;;
    esac
    m=$("$work/measure" "${cmd[@]}" 2>"$work/err") || { cat "$work/err" >&2; exit 1; }
    echo "${prefix}$name $m"
}
prefix=""

# A cgroup join of this shell's own, right before each warm sample: it takes the kernel's
# threadgroup lock as crun's and runc's joins do, so each of their warm samples finds it warm
# whichever runtime ran before (carrack's start does not take it).
warm_cg=
while IFS=: read -r _ ctl path; do
    case $ctl in
        "") d=/sys/fs/cgroup$path ;;
        name=*) continue ;;
        *) d=/sys/fs/cgroup/${ctl%%,*}$path ;;
    esac
    if [ -w "$d/cgroup.procs" ]; then warm_cg=$d; break; fi
done </proc/self/cgroup
warm() { if [ -n "$warm_cg" ]; then echo $BASHPID >"$warm_cg/cgroup.procs"; fi; }

tools=(carrack runc crun floor floor-config)
if [ -n "${CARRACK_BEFORE:-}" ]; then tools+=(carrack-before); fi
declare -A also=()
for entry in ${CARRACK_ALSO:-}; do
    name=${entry%%=*}
    case $name in carrack|carrack-before|carrack-ro|runc|crun|floor|floor-config|"$entry") echo "CARRACK_ALSO: NAME=PATH, NAME not a built-in" >&2; exit 2 ;; esac
    also[$name]=$(realpath "${entry#*=}")
    tools+=("$name")
done
if [ -n "${CARRACK_RO:-}" ]; then
    # Same binary, on a read-only mount (in this script's own mount namespace).
    mkdir -p "$work/ro"
    cp "$carrack" "$work/ro/carrack"
    mount --bind "$work/ro" "$work/ro"
    mount -o remount,bind,ro "$work/ro"
    tools+=(carrack-ro)
fi
# Each program's page cache dropped, so each is read back the way an installed binary is after a
# boot (the kernel's read-around on the first faults), not kept in the folios the linker's or
# cp's writes left: the kernel maps whole folios around a fault, so a freshly linked copy and an
# evicted one of the same binary differ by up to 0.8 MB of peak RSS.
progs=("$carrack" "$(command -v runc)" "$(command -v crun)" "$work/floor" "$work/floor-config" ${CARRACK_BEFORE:+"$CARRACK_BEFORE"} "${also[@]}")
[ -z "${CARRACK_RO:-}" ] || progs+=("$work/ro/carrack")
sync
for p in "${progs[@]}"; do dd if="$p" iflag=nocache count=0 status=none; done
for i in $(seq 1 "$rounds"); do
    n=${#tools[@]}
    for k in $(seq 0 $((n - 1))); do
        warm
        one "${tools[$(( (k + i) % n ))]}"
    done
done >"$work/samples"
prefix="cold-"
for i in $(seq $((rounds + 1)) $((rounds + cold_rounds))); do
    n=${#tools[@]}
    for k in $(seq 0 $((n - 1))); do
        sleep 1
        one "${tools[$(( (k + i) % n ))]}"
    done
done >>"$work/samples"

export ALSO_NAMES="${!also[*]}"
echo "runc: $(runc --version | head -1); crun: $(crun --version | head -1); carrack: $("$carrack" --version | head -1) ($carrack)${CARRACK_BEFORE:+; carrack-before: $CARRACK_BEFORE}"
echo "create+start+exit+delete of /bin/true, $rounds warm and $cold_rounds cold interleaved rounds, state roots on $state_fs (median µs, peak RSS KiB of the runtime process)"
awk '
    function median(s,   a, n, i, j, x) {
        n = split(s, a, " ")
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { t[$1] = t[$1] " " $2; m[$1] = m[$1] " " $3 }
    END {
        printf "%-14s %10s %10s %10s\n", "runtime", "warm µs", "cold µs", "peak KiB"
        nr = split("carrack runc crun floor floor-config carrack-before carrack-ro" (ENVIRON["ALSO_NAMES"] == "" ? "" : " " ENVIRON["ALSO_NAMES"]), rs, " ")
        for (i = 1; i <= nr; i++) {
            r = rs[i]; if (!(r in t)) continue
            med[r] = median(t[r]); cold[r] = median(t["cold-" r])
            printf "%-14s %10d %10d %10d\n", r, med[r], cold[r], median(m[r])
            if (i > 7) also_rows = also_rows sprintf("%s: / crun = %.2f warm, %.2f cold, %.2f RSS; / floor = %.2f warm, %.2f cold, %.2f RSS\n", r, med[r] / med["crun"], cold[r] / cold["crun"], median(m[r]) / median(m["crun"]), med[r] / med["floor"], cold[r] / cold["floor"], median(m[r]) / median(m["floor"]))
        }
        if ("carrack-before" in t)
            printf "carrack / carrack-before = %.3f warm, %.3f cold\n", med["carrack"] / med["carrack-before"], cold["carrack"] / cold["carrack-before"]
        if ("carrack-ro" in t)
            printf "carrack - carrack-ro (the sealed re-exec) = %d µs warm, %d µs cold\n", med["carrack"] - med["carrack-ro"], cold["carrack"] - cold["carrack-ro"]
        printf "warm: carrack / crun = %.2f, / runc = %.2f, / floor = %.2f, / floor-config = %.2f; floor-config / floor = %.2f\n", med["carrack"] / med["crun"], med["carrack"] / med["runc"], med["carrack"] / med["floor"], med["carrack"] / med["floor-config"], med["floor-config"] / med["floor"]
        printf "RSS: carrack / crun = %.2f, / floor = %.2f\n", median(m["carrack"]) / median(m["crun"]), median(m["carrack"]) / median(m["floor"])
        printf "%s", also_rows
        printf "cold: carrack / crun = %.2f, / runc = %.2f, / floor = %.2f, / floor-config = %.2f; floor-config / floor = %.2f\n", cold["carrack"] / cold["crun"], cold["carrack"] / cold["runc"], cold["carrack"] / cold["floor"], cold["carrack"] / cold["floor-config"], cold["floor-config"] / cold["floor"]
    }' "$work/samples"
