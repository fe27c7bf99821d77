#!/usr/bin/env bash
# build.sh OUT_DIR — compiles every src/main/bpf/*.bpf.c into OUT_DIR/NAME.bpf.o.
#
# The kernel's types come from the vmlinux.h kept in the repository for this machine's architecture
# (vmlinux/ARCH/vmlinux.h, written by scripts/refresh-vmlinux with `bpf4j btf dump`), not from the building
# machine's kernel: building needs clang and libbpf's headers, neither BTF nor root. The objects are CO-RE
# (clang -g, BTF), so they load on other kernels. An object is rebuilt only when its source, a header or
# vmlinux.h is newer. The Maven build skips this script with -Dbpf4j.skipBpf (see the root pom).
set -euo pipefail
out=$1
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
arch=$(uname -m)
vmlinux=$src/vmlinux/$arch
[[ -f $vmlinux/vmlinux.h ]] || {
  echo "build.sh: there is no vmlinux.h for $arch (bpf4j-tools/src/main/bpf/vmlinux/$arch/vmlinux.h): make it with scripts/refresh-vmlinux on a $arch machine whose kernel has BTF" >&2
  exit 1
}
clang=${BPF4J_CLANG:-clang-19}
command -v "$clang" >/dev/null || {
  echo "build.sh: $clang is not installed: the tools' BPF programs need it (apt-get install clang-19 libbpf-dev)" >&2
  exit 1
}
[[ -f /usr/include/bpf/bpf_helpers.h ]] || {
  echo "build.sh: /usr/include/bpf/bpf_helpers.h is missing (apt-get install libbpf-dev)" >&2
  exit 1
}
mkdir -p "$out"

case $arch in x86_64) target_arch=x86 ;; aarch64) target_arch=arm64 ;; *) target_arch=$arch ;; esac
failed=0
for c in "$src"/*.bpf.c; do
  [[ -e $c ]] || continue
  name=$(basename "$c" .c)
  o=$out/$name.o
  if [[ -f $o && $o -nt $c ]] && [[ -z $(find "$src" -name '*.h' -newer "$o" -print -quit) ]]; then
    continue
  fi
  if ! "$clang" -target bpf -O2 -g -D__TARGET_ARCH_$target_arch -I "$vmlinux" -I "$src" \
       -I "/usr/include/$arch-linux-gnu" -Wall -Werror=implicit-function-declaration -c "$c" -o "$o.tmp"; then
    echo "build.sh: clang failed on $c" >&2
    failed=1
    continue
  fi
  mv -f "$o.tmp" "$o"
done
exit $failed
