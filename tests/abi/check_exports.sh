#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The shared libraries export their HB_EXPORT API and nothing else
# (include/hbeat/library.h): no internal hb__ function, no data object,
# and every function an installed header declares is really there.
#
#   check_exports.sh NM LIBHBEAT LIBHBEAT_UV SOURCE_ROOT
set -eu
nm=$1; core=$2; uv=$3; root=$4
status=0

for lib in "$core" "$uv"; do
        syms=$("$nm" -D --defined-only "$lib" | awk '{print $2, $3}')
        internal=$(printf '%s\n' "$syms" | awk '$2 ~ /^hb__/ {print $2}')
        if [ -n "$internal" ]; then
                echo "FAIL: $lib exports internal symbols:" $internal
                status=1
        fi
        # D/B/R/V: initialised, uninitialised, read-only data and weak
        # objects. The API is functions only.
        data=$(printf '%s\n' "$syms" | awk '$1 ~ /^[DBRVGS]$/ {print $2}' |
               grep -v '^_' || true)
        if [ -n "$data" ]; then
                echo "FAIL: $lib exports data:" $data
                status=1
        fi
        other=$(printf '%s\n' "$syms" | awk '$1 == "T" {print $2}' |
                grep -v '^hb_' | grep -v '^_' || true)
        if [ -n "$other" ]; then
                echo "FAIL: $lib exports functions outside the hb_ API:" $other
                status=1
        fi
done

# Every function declared HB_EXPORT in an installed header is defined in
# one of the two libraries.
exported=$( ("$nm" -D --defined-only "$core"; "$nm" -D --defined-only "$uv") |
           awk '$2 == "T" {print $3}' | sort -u)
declared=$(grep -hv "^#" "$root"/include/hbeat/*.h | tr '\n' ' ' |
           grep -o 'HB_EXPORT [^;(]*(' | sed 's/($//; s/.*[ *]//' | sort -u)
for f in $declared; do
        if ! printf '%s\n' "$exported" | grep -qx "$f"; then
                echo "FAIL: $f is declared HB_EXPORT but not exported"
                status=1
        fi
done
n=$(printf '%s\n' "$declared" | wc -l)
[ "$status" -eq 0 ] && echo "ok: $n declared functions exported, nothing else"
exit "$status"
