#!/usr/bin/env bash
# Compare a run of the validation suite with the expected results.
#
#   conformance/compare.sh RESULTS.tsv EXPECTED.tsv
#
# Both files: file<TAB>ok<TAB>not_ok<TAB>plan(yes|no)<TAB>exit, one line per validation file; a
# first line starting with "file" is a header and skipped (run-suite.sh writes one); lines
# starting with # are comments (expected.tsv says there why a file is expected as it is).
#
# A file does worse than expected (a regression) when it has fewer `ok`, more `not ok`, lost its
# plan line, exits differently where the expected exit was 0, or is missing from RESULTS.
# It does better (an improvement, reported, not a failure) when it has more `ok`, fewer `not ok`,
# gained a plan line, or exits 0 where a non-zero exit was expected. A file both better and worse
# (e.g. more ok and more not ok) counts as a regression. A file other than a must-fail *_fail one
# that exits 0 without a plan line printed nothing: that is not counted as better than a
# non-zero exit. Files only in RESULTS are listed as new.
#
# COMPARE_IGNORE (optional): space-separated file names whose regressions are reported as
# "ignored" and do not fail the comparison (for files known to be flaky, e.g. killsig).
#
# Exit status: 0 no regression, 1 at least one regression, 2 usage or format error.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 RESULTS.tsv EXPECTED.tsv" >&2
    exit 2
fi
for f in "$1" "$2"; do
    [[ -r $f && ! -d $f ]] || { echo "compare: cannot read $f" >&2; exit 2; }
done

rc=0
awk -F'\t' -v results="$1" -v expected="$2" -v ignore="${COMPARE_IGNORE:-}" '
function bad(file, line) { printf "compare: %s:%d: malformed line (want file<TAB>ok<TAB>not_ok<TAB>plan<TAB>exit)\n", file, line > "/dev/stderr"; malformed = 1 }
function valid() { return NF == 5 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ && ($4 == "yes" || $4 == "no") && $5 ~ /^-?[0-9]+$/ }
FNR == 1 { pass++ }
FNR == 1 && $1 == "file" { next }
/^[[:space:]]*$/ { next }
/^#/ { next }
pass == 1 {
    if (!valid()) { bad(FILENAME, FNR); next }
    r_ok[$1] = $2; r_nok[$1] = $3; r_plan[$1] = $4; r_exit[$1] = $5; r_seen[$1] = 1; r_order[++rn] = $1
    next
}
{
    if (!valid()) { bad(FILENAME, FNR); next }
    e_ok[$1] = $2; e_nok[$1] = $3; e_plan[$1] = $4; e_exit[$1] = $5; e_order[++en] = $1
}
END {
    if (malformed) exit 2
    if (rn == 0) { print "compare: no results in " results > "/dev/stderr"; exit 2 }
    if (en == 0) { print "compare: no expected results in " expected > "/dev/stderr"; exit 2 }
    nreg = 0; nimp = 0; nsame = 0; nign = 0
    nig = split(ignore, igl, /[ \t,]+/)
    for (i = 1; i <= nig; i++) if (igl[i] != "") ignored[igl[i]] = 1
    for (i = 1; i <= en; i++) {
        f = e_order[i]
        want = sprintf("ok %s, not ok %s, plan %s, exit %s", e_ok[f], e_nok[f], e_plan[f], e_exit[f])
        if (!(f in r_seen)) {
            reg[++nreg] = sprintf("%-34s missing from the results (expected %s)", f, want)
            continue
        }
        worse = ""; better = ""
        if (r_ok[f] + 0 < e_ok[f] + 0) worse = worse sprintf("; ok %d < %d", r_ok[f], e_ok[f])
        if (r_ok[f] + 0 > e_ok[f] + 0) better = better sprintf("; ok %d > %d", r_ok[f], e_ok[f])
        if (r_nok[f] + 0 > e_nok[f] + 0) worse = worse sprintf("; not ok %d > %d", r_nok[f], e_nok[f])
        if (r_nok[f] + 0 < e_nok[f] + 0) better = better sprintf("; not ok %d < %d", r_nok[f], e_nok[f])
        if (e_plan[f] == "yes" && r_plan[f] == "no") worse = worse "; plan line lost"
        if (e_plan[f] == "no" && r_plan[f] == "yes") better = better "; plan line gained"
        if (e_exit[f] == 0 && r_exit[f] != 0) worse = worse sprintf("; exit %s, expected 0", r_exit[f])
        # exit 0 without a plan line is a pass only for a must-fail (*_fail) file; elsewhere the
        # file printed nothing, which is no better than failing.
        if (e_exit[f] != 0 && r_exit[f] == 0) {
            if (r_plan[f] == "yes" || f ~ /_fail$/) better = better sprintf("; exit 0, expected %s", e_exit[f])
            else note[f] = sprintf("exit 0 without a plan line, expected exit %s: no TAP at all, not counted as better", e_exit[f])
        }
        if (e_exit[f] != 0 && r_exit[f] != 0 && r_exit[f] != e_exit[f]) better = better sprintf("; exit %s, expected %s (not judged)", r_exit[f], e_exit[f])
        got = sprintf("ok %s, not ok %s, plan %s, exit %s", r_ok[f], r_nok[f], r_plan[f], r_exit[f])
        if (worse != "" && (f in ignored)) {
            ign[++nign] = sprintf("%-34s %s (expected %s): %s", f, got, want, substr(worse, 3))
        } else if (worse != "") {
            reg[++nreg] = sprintf("%-34s %s (expected %s)%s", f, got, want, (better != "" ? "  [also: " substr(better, 3) "]" : ""))
            regwhy[nreg] = substr(worse, 3)
        } else if (better != "") {
            imp[++nimp] = sprintf("%-34s %s (expected %s): %s", f, got, want, substr(better, 3))
        } else if (f in note) {
            odd[++nodd] = sprintf("%-34s %s (expected %s): %s", f, got, want, note[f])
        } else nsame++
    }
    nnew = 0
    for (i = 1; i <= rn; i++) { f = r_order[i]; if (!(f in e_ok)) extra[++nnew] = sprintf("%-34s ok %s, not ok %s, plan %s, exit %s", f, r_ok[f], r_nok[f], r_plan[f], r_exit[f]) }

    if (nreg) { printf "REGRESSIONS (%d):\n", nreg; for (i = 1; i <= nreg; i++) { print "  " reg[i]; if (i in regwhy) print "      worse: " regwhy[i] } }
    if (nign) { printf "regressions ignored (COMPARE_IGNORE) (%d):\n", nign; for (i = 1; i <= nign; i++) print "  " ign[i] }
    if (nimp) { printf "improvements (%d):\n", nimp; for (i = 1; i <= nimp; i++) print "  " imp[i] }
    if (nodd) { printf "changed, neither better nor worse (%d):\n", nodd; for (i = 1; i <= nodd; i++) print "  " odd[i] }
    if (nnew) { printf "not in the expected results (%d):\n", nnew; for (i = 1; i <= nnew; i++) print "  " extra[i] }
    printf "%d files compared: %d regressions, %d ignored, %d improvements, %d as expected, %d changed otherwise, %d new\n", en, nreg, nign, nimp, nsame, nodd, nnew
    exit (nreg ? 1 : 0)
}' "$1" "$2" || rc=$?
exit "$rc"
