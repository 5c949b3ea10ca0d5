#!/usr/bin/env bash
# `carrack image run` of a Debian minbase image (debootstrap, one gzip layer) running /bin/true,
# beside `podman run --rm` of the same image (imported with skopeo; podman's runc), interleaved
# in one run, each sample the wall time of the whole command:
#
#   snapshot-warm   carrack image run, the layer's snapshot already there (the second run)
#   snapshot-cold   carrack image run into an empty snapshot directory (the first run)
#   full-unpack     carrack image run --no-snapshots (unpacks the image every time)
#   podman          podman --runtime runc run --rm --network none IMAGE /bin/true, with
#                   --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 (podman sets both to
#                   1048576, which fails where the caller's hard limits are lower; runc's default
#                   spec, which carrack's run uses, has nofile 1024 and no nproc)
#   umoci+runc      umoci unpack of the image into a fresh bundle, then runc run of it (the
#                   "no snapshotter" way: what the cold run is compared with)
#
#   sudo benches/image_run.sh [ROUNDS]     (default 15; needs root, debootstrap, podman,
#                                           skopeo, runc; the image is cached in the work dir)
set -euo pipefail
rounds=${1:-15}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CARRACK_BENCH_DIR:-/var/tmp/carrack-bench}/image-run
mkdir -p "$work"
# Two builds: with --example, cargo builds only that example, not carrack's binary.
(cd "$repo" && cargo build --release -q -p carrack-runtime --bin carrack &&
    cargo build --release -q -p carrack-unpack --example layers_from_dirs)
carrack=$repo/target/release/carrack
layers_from_dirs=$repo/target/release/examples/layers_from_dirs
cd "$work"
if [ ! -d minbase ]; then
    debootstrap --variant=minbase bookworm minbase.tmp http://deb.debian.org/debian >debootstrap.log
    mv minbase.tmp minbase
fi
if [ ! -f img/index.json ]; then
    rm -rf img
    "$layers_from_dirs" img deb gzip minbase >/dev/null
fi
podman rmi -f localhost/carrack-bench:deb >/dev/null 2>&1 || true
skopeo copy -q oci:img:deb containers-storage:localhost/carrack-bench:deb
# The same image with /bin/true as its command, for umoci + runc (a tag of its own).
umoci config --image img:deb --tag deb-true --config.cmd /bin/true >/dev/null
umoci_runc() { # N: unpack into a fresh bundle and run it with runc, then remove both
    rm -rf "$work/umoci-bundle"
    umoci unpack --image img:deb-true "$work/umoci-bundle" &&
        sed -i 's/"terminal": *true/"terminal": false/' "$work/umoci-bundle/config.json" &&
        runc --root "$work/runc-state" run -b "$work/umoci-bundle" "carrack-bench-$1"
}
export CARRACK_DATA_DIR=$work/data
rm -rf "$CARRACK_DATA_DIR"
"$carrack" image run --snapshots "$work/warm" img:deb -- /bin/true 2>/dev/null # make the snapshot

ms() { # COMMAND... -> milliseconds it took (its output discarded; a failure stops the script)
    local t0 t1
    t0=$(date +%s%N)
    # Inside $(…) a failure would only end the subshell: stop the whole run instead.
    "$@" >/dev/null 2>&1 || { echo "image_run.sh: failed: $*" >&2; kill $$; }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000)) | awk '{printf "%.1f\n", $1 / 1000}'
}
declare -A samples
for ((i = 0; i < rounds; i++)); do
    samples[snapshot-warm]+="$(ms "$carrack" image run --snapshots "$work/warm" img:deb -- /bin/true) "
    rm -rf "$work/cold"
    sync
    samples[snapshot-cold]+="$(ms "$carrack" image run --snapshots "$work/cold" img:deb -- /bin/true) "
    samples[full-unpack]+="$(ms "$carrack" image run --no-snapshots img:deb -- /bin/true) "
    samples[podman]+="$(ms podman --runtime runc run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 localhost/carrack-bench:deb /bin/true) "
    samples[umoci+runc]+="$(ms umoci_runc "$i") "
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A med
echo "image: Debian bookworm minbase, $(du -sh img | cut -f1) as one gzip layer; $rounds rounds, interleaved"
echo
echo "| command | median ms |"
echo "|---|---|"
for k in snapshot-warm snapshot-cold full-unpack podman umoci+runc; do
    med[$k]=$(echo "${samples[$k]}" | median)
    echo "| $k | ${med[$k]} |"
done
echo
awk -v w="${med[snapshot-warm]}" -v c="${med[snapshot-cold]}" -v f="${med[full-unpack]}" -v p="${med[podman]}" -v u="${med[umoci+runc]}" 'BEGIN {
    printf "snapshot-warm / podman = %.2f\nsnapshot-cold / umoci+runc = %.2f\nsnapshot-warm / full-unpack = %.3f\nsnapshot-cold / full-unpack = %.2f\n", w / p, c / u, w / f, c / f }'
podman rmi -f localhost/carrack-bench:deb >/dev/null 2>&1 || true
rm -rf "$work/cold" "$work/warm" "$CARRACK_DATA_DIR" "$work/umoci-bundle" "$work/runc-state"
