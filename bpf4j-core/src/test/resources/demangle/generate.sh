#!/bin/sh
# Regenerates cxxfilt-pairs.tsv, the fixture DemanglerTest checks every line of: "mangled<TAB>c++filt's output"
# for a sample of the C++ symbols of HotSpot's libjvm.so and of libstdc++ (every 23rd of libjvm's .symtab, every 5th
# of libstdc++'s .dynsym, in sorted order, plus every 5th of libjvm's clone-suffixed ones such as foo.isra.0.cold).
#
#   bpf4j-core/src/test/resources/demangle/generate.sh [LIBJVM] [LIBSTDCXX] > bpf4j-core/src/test/resources/demangle/cxxfilt-pairs.tsv
#
# Needs nm and c++filt (GNU binutils). The first lines say which files and which c++filt made it.
set -eu
jvm=${1:-/usr/lib/jvm/temurin-25-jdk-amd64/lib/server/libjvm.so}
cxx=${2:-/usr/lib/x86_64-linux-gnu/libstdc++.so.6}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  nm --defined-only "$jvm" | awk '{print $NF}' | grep '^_Z' | sort -u | awk 'NR % 23 == 0'
  nm --defined-only "$jvm" | awk '{print $NF}' | grep '^_Z' | grep '\.' | sort -u | awk 'NR % 5 == 0'
  nm -D --defined-only "$cxx" | awk '{print $NF}' | sed 's/@.*//' | grep '^_Z' | sort -u | awk 'NR % 5 == 0'
} | sort -u > "$tmp"
echo "# $(c++filt --version | head -1); $(basename "$jvm") $(stat -c %s "$jvm") bytes; $(readlink -f "$cxx")"
c++filt < "$tmp" | paste "$tmp" -
