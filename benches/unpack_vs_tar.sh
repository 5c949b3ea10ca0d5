#!/usr/bin/env bash
# Unpacking a Debian-sized image: carrack beside GNU tar and umoci, interleaved in one run, on
# the same ext4 filesystem and on tmpfs. Prints medians, ratios and peak RSS.
#
#   sudo benches/unpack_vs_tar.sh [ROUNDS]        (default 5; needs root for tmpfs and owners)
#
# The image: `debootstrap --variant=minbase bookworm` (~200 MB), then two delta layers made by
# carrack's layers_from_dirs example from copies of that tree (whiteouts of /usr/share/doc,
# /usr/share/man, /usr/share/locale, /var/lib/apt/lists; a 20 MB binary file and its hard link;
# small edits). Layouts are built once, gzip and zstd, under $CARRACK_BENCH_DIR
# (/var/tmp/carrack-bench). Every run writes to a fresh directory; ext4 outputs are removed in
# one batch at the end (a fresh `rm -rf` of many files slows file creation on ext4 for a while).
#
# What each tool does per run:
#   carrack-gz   carrack image unpack (gzip layers; blob digests and diff_ids verified)
#   tar-gz       tar -xzpf of each layer blob, in order (no verification, whiteouts not applied)
#   umoci-gz     umoci raw unpack (verifies blobs)
#   carrack-zst  carrack image unpack of the same layers as zstd
#   tar-zst      tar --zstd -xpf of each zstd layer, in order
#   carrack-bundle / umoci-bundle   carrack image bundle / umoci unpack (rootfs + config.json +
#                carrack.tree / umoci's mtree manifest)
set -euo pipefail

rounds=${1:-5}
work=${CARRACK_BENCH_DIR:-/var/tmp/carrack-bench}
repo=$(cd "$(dirname "$0")/.." && pwd)
for t in debootstrap umoci tar zstd gzip /usr/bin/time; do
    command -v "$t" >/dev/null || { echo "needs $t (apt-get install debootstrap umoci zstd time)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

(cd "$repo" && cargo build --release -q -p carrack-runtime -p carrack-unpack --example layers_from_dirs)
carrack=$repo/target/release/carrack
layers_from_dirs=$repo/target/release/examples/layers_from_dirs
mkdir -p "$work"
cd "$work"

if [ ! -x minbase/bin/sh ]; then
    rm -rf minbase
    debootstrap --variant=minbase bookworm minbase http://deb.debian.org/debian >debootstrap.log
fi
if [ ! -d v3 ]; then
    rm -rf v2 v3.tmp
    cp -a minbase v2
    rm -rf v2/usr/share/doc v2/usr/share/man
    mkdir -p v2/opt/app
    head -c 20000000 /dev/urandom >v2/opt/app/blob
    ln v2/opt/app/blob v2/opt/app/blob.hard
    echo bench >v2/etc/motd
    cp -a v2 v3.tmp
    rm -rf v3.tmp/usr/share/locale v3.tmp/var/lib/apt/lists
    echo changed >>v3.tmp/etc/hostname
    mv v3.tmp v3
fi
for c in gz zst; do
    if [ ! -f "img-$c/index.json" ]; then
        rm -rf "img-$c"
        comp=gzip; [ "$c" = zst ] && comp=zstd
        "$layers_from_dirs" "img-$c" deb "$comp" minbase v2 v3 >/dev/null
    fi
done
if [ ! -f img-small/index.json ]; then
    mkdir -p small/etc && cp -a v3/etc/. small/etc/
    "$layers_from_dirs" img-small deb gzip small >/dev/null
fi
if [ ! -f img-big/index.json ]; then
    mkdir -p big && head -c 1073741824 /dev/urandom >big/blob
    "$layers_from_dirs" img-big deb gzip big >/dev/null
    rm -rf big
fi

layers_of() { # LAYOUT -> layer blob paths of tag deb, in order
    local d hex
    d=$("$carrack" image resolve --platform linux/amd64 "$1" deb | grep -o '"sha256:[0-9a-f]*"' | head -1 | tr -d '"')
    hex=${d#sha256:}
    grep -o '"sha256:[0-9a-f]*"' "$1/blobs/sha256/$hex" | tail -n +2 | tr -d '"' | sed "s#sha256:#$1/blobs/sha256/#"
}
mapfile -t gz_layers < <(layers_of img-gz)
mapfile -t zst_layers < <(layers_of img-zst)

mkdir -p ext4 tmpfs results
if [ -n "$(ls -A ext4)" ]; then
    rm -rf "${work:?}"/ext4/*
    sleep 60 # let ext4 recover from the mass deletion before anything is timed
fi
mountpoint -q tmpfs || mount -t tmpfs -o size=16g carrack-bench tmpfs
trap 'umount '"$work"'/tmpfs 2>/dev/null || true' EXIT
out=results/$(date +%Y%m%d-%H%M%S).txt
: >"$out"

run() { # FS ROUND TOOL
    local fs=$1 round=$2 tool=$3 dest="$work/$1/r$2-$3" t0 t1 l
    case $tool in
        carrack-gz) cmd=("$carrack" image unpack -q img-gz:deb "$dest") ;;
        carrack-zst) cmd=("$carrack" image unpack -q img-zst:deb "$dest") ;;
        umoci-gz) cmd=(umoci raw unpack --image img-gz:deb "$dest") ;;
        carrack-bundle) cmd=("$carrack" image bundle -q img-gz:deb "$dest") ;;
        umoci-bundle) cmd=(umoci unpack --image img-gz:deb "$dest") ;;
        tar-gz) mkdir -p "$dest"; cmd=(sh -c 'for l in "$@"; do tar -xzpf "$l" -C '"$dest"' || exit 1; done' tar "${gz_layers[@]}") ;;
        tar-zst) mkdir -p "$dest"; cmd=(sh -c 'for l in "$@"; do tar --zstd -xpf "$l" -C '"$dest"' || exit 1; done' tar "${zst_layers[@]}") ;;
    esac
    sync
    t0=$(date +%s%N)
    /usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    t1=$(date +%s%N)
    echo "$fs $tool $(( (t1 - t0) / 1000000 )) $(cat "$work/rss")" | tee -a "$out"
}

tools=(carrack-gz tar-gz umoci-gz carrack-zst tar-zst carrack-bundle umoci-bundle)
# A warm-up round, not counted: page cache, binaries, first-write effects.
saved=$out; out=/dev/null
for tool in "${tools[@]}"; do run ext4 0 "$tool" >/dev/null; done
out=$saved
for round in $(seq 1 "$rounds"); do
    for fs in ext4 tmpfs; do
        # Rotate the order each round so no tool always runs first or after the same one.
        n=${#tools[@]}
        for i in $(seq 0 $((n - 1))); do
            run "$fs" "$round" "${tools[$(( (i + round) % n ))]}"
        done
        [ "$fs" = tmpfs ] && rm -rf "${work:?}"/tmpfs/*
    done
done
# Peak memory is flat in layer size: the same unpack of a ~20 kB image and of a 1 GiB layer.
/usr/bin/time -f %M -o rss "$carrack" image unpack -q img-small:deb "tmpfs/small" >/dev/null
echo "small carrack-gz 0 $(cat rss)" | tee -a "$out"
/usr/bin/time -f %M -o rss "$carrack" image unpack -q img-big:deb "tmpfs/big" >/dev/null
echo "big carrack-gz 0 $(cat rss)" | tee -a "$out"
rm -rf "${work:?}"/ext4/* "${work:?}"/tmpfs/*

echo
echo "medians over $rounds rounds (ms, peak RSS KiB); image: $(du -sh v3 | cut -f1) rootfs, layers gz $(du -ch "${gz_layers[@]}" | tail -1 | cut -f1), zst $(du -ch "${zst_layers[@]}" | tail -1 | cut -f1)"
awk -v rounds="$rounds" '
    { t[$1" "$2] = t[$1" "$2] " " $3; m[$1" "$2] = m[$1" "$2] " " $4 }
    function median(s,   a, n, i, j, x) {
        n = split(s, a, " ")
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
        split("ext4 tmpfs", fss, " ")
        for (f = 1; f <= 2; f++) {
            fs = fss[f]
            printf "\n%-6s %-15s %9s %9s\n", fs, "tool", "median ms", "peak KiB"
            split("carrack-gz tar-gz umoci-gz carrack-zst tar-zst carrack-bundle umoci-bundle", ts, " ")
            for (i = 1; i <= 7; i++) { k = fs " " ts[i]; med[k] = median(t[k]); printf "%-6s %-15s %9d %9d\n", fs, ts[i], med[k], median(m[k]) }
            printf "%-6s carrack-gz / tar-gz           = %.2f\n", fs, med[fs" carrack-gz"] / med[fs" tar-gz"]
            printf "%-6s carrack-gz / umoci-gz         = %.2f\n", fs, med[fs" carrack-gz"] / med[fs" umoci-gz"]
            printf "%-6s carrack-zst / tar-zst         = %.2f\n", fs, med[fs" carrack-zst"] / med[fs" tar-zst"]
            printf "%-6s carrack-bundle / umoci-bundle = %.2f\n", fs, med[fs" carrack-bundle"] / med[fs" umoci-bundle"]
        }
        printf "\npeak RSS of carrack unpack: 20 kB image %d KiB, Debian image %d KiB, one 1 GiB layer %d KiB\n", median(m["small carrack-gz"]), median(m["ext4 carrack-gz"]), median(m["big carrack-gz"])
    }' "$out" | tee "$out.summary"
