#!/usr/bin/env bash
# Builds Puente's libFuzzer targets (swiftc -sanitize=fuzzer,address) and runs one of them.
#
#   Fuzz/run.sh csv|orders|numbers [SECONDS]   (default 60)
#   Fuzz/run.sh all [SECONDS]                  every target, one after the other
#
# The seed corpus is made of the test files (Tests/HostileCorpus/files, Samples/orders, the
# master dumps); what the fuzzer finds is kept in .build-fuzz/corpus-TARGET (git-ignored), and
# a crash is written to .build-fuzz/artifacts/ — each one becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-all}
seconds=${2:-60}
out=.build-fuzz
mkdir -p "$out/artifacts"

flags=(-sanitize=fuzzer,address -parse-as-library -swift-version 6 -O -g
       -I "$out" -I Sources/CLibXML2 -I Sources/CDeflate -I Sources/CCrypt -I Sources/CXlsxWriter
       -Xcc -I/usr/include/libxml2)
# The Swift modules the targets use, in the order they depend on each other, and their C parts.
modules=(PuenteSecurity PuenteDomain PuenteFormats)
objects=("$out/csha256.o" "$out/PuenteSecurity.o" "$out/PuenteDomain.o" "$out/PuenteFormats.o")
libraries=(-lxml2 -lz -lcrypt -lxlsxwriter)

build_modules() {
    if [ "$out/PuenteFormats.o" -nt Sources/PuenteFormats ] \
        && [ -z "$(find Sources/CSHA256 "${modules[@]/#/Sources/}" -newer "$out/PuenteFormats.o" -type f)" ]; then
        return
    fi
    echo "fuzz: building ${modules[*]} with coverage and ASan"
    # SwiftPM makes the C target's module map itself; swiftc needs one written out.
    printf 'module CSHA256 {\n    header "%s"\n    export *\n}\n' "$PWD/Sources/CSHA256/include/csha256.h" > "$out/module.modulemap"
    clang -O2 -g -fsanitize=fuzzer-no-link,address -I Sources/CSHA256/include -c Sources/CSHA256/sha256.c -o "$out/csha256.o"
    swiftc "${flags[@]}" -wmo -module-name PuenteSecurity -emit-module -emit-module-path "$out/PuenteSecurity.swiftmodule" \
        -c Sources/PuenteSecurity/*.swift -o "$out/PuenteSecurity.o"
    swiftc "${flags[@]}" -wmo -module-name PuenteDomain -emit-module -emit-module-path "$out/PuenteDomain.swiftmodule" \
        -c Sources/PuenteDomain/*.swift -o "$out/PuenteDomain.o"
    swiftc "${flags[@]}" -wmo -module-name PuenteFormats -emit-module -emit-module-path "$out/PuenteFormats.swiftmodule" \
        -c Sources/PuenteFormats/*.swift -o "$out/PuenteFormats.o"
}

seeds() {
    local corpus=$1
    mkdir -p "$corpus"
    case $2 in
        csv)
            cp Tests/HostileCorpus/files/*.csv Samples/orders/*.csv Samples/masters/*.csv "$corpus"/ ;;
        orders)
            # The first byte chooses the reader: even for XML, odd for CSV.
            for f in Tests/HostileCorpus/files/*.xml Samples/orders/*.xml; do
                { printf '\x00'; cat "$f"; } > "$corpus/x-$(basename "$f")"
            done
            for f in Tests/HostileCorpus/files/*.csv Samples/orders/*.csv; do
                { printf '\x01'; cat "$f"; } > "$corpus/c-$(basename "$f")"
            done ;;
        numbers)
            for pair in "1|6732.49" "100000000000|6732.49" "9223372036854775.807|1" "2.500|0.0001" "1e3|0x10" \
                        " 12 |-0" "1.000,50|NaN" "2026-11-28T10:15:00.123Z|1" "9900|+5"; do
                printf '%s\0%s' "${pair%%|*}" "${pair#*|}" > "$corpus/$(printf '%s' "$pair" | sha1sum | cut -c1-12)"
            done ;;
    esac
}

run() {
    local name=$1 source=$2
    build_modules
    swiftc "${flags[@]}" -module-name "Fuzz_$name" "Fuzz/$source" "${objects[@]}" "${libraries[@]}" -o "$out/fuzz-$name"
    local corpus="$out/corpus-$name"
    seeds "$corpus" "$name"
    echo "fuzz: $name for $seconds s (corpus $(ls "$corpus" | wc -l) files)"
    # -close_fd_mask=3: the target's own output does not flood the log.
    "$out/fuzz-$name" "$corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$out/artifacts/$name-" -print_final_stats=1 -close_fd_mask=3 2>&1 | tee "$out/$name.log" \
        | grep -E "^#[0-9]+.*(pulse|DONE)|ERROR|stat::|SUMMARY" || true
    echo "fuzz: $name: corpus now $(ls "$corpus" | wc -l) files; crashes: $(ls "$out/artifacts" | grep -c "^$name-" || true)"
}

case $target in
    csv) run csv CSVReaderFuzz.swift ;;
    orders) run orders OrderFileFuzz.swift ;;
    numbers) run numbers NumbersFuzz.swift ;;
    all)
        run csv CSVReaderFuzz.swift
        run orders OrderFileFuzz.swift
        run numbers NumbersFuzz.swift ;;
    *) echo "usage: Fuzz/run.sh csv|orders|numbers|all [SECONDS]" >&2; exit 64 ;;
esac
