#!/usr/bin/env bash
# build.sh WORK_DIR OUT_DIR JAVA CLASSPATH — compiles every src/main/bpf/*.bpf.c into OUT_DIR/NAME.bpf.o.
#
# The header is this kernel's vmlinux.h written by bpf4j itself (io.bpf4j.core.btf.BtfCHeader, what
# `bpf4j btf dump` prints), regenerated when the kernel changes; the objects are CO-RE (clang -g, BTF), so they
# also load on other kernels. An object is rebuilt only when its source, a header or vmlinux.h is newer.
set -euo pipefail
work=$1 out=$2 java=$3 classpath=$4
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
clang=${BPF4J_CLANG:-clang-19}
command -v "$clang" >/dev/null || {
  echo "build.sh: $clang is not installed: the tools' BPF programs need it (apt-get install clang-19 libbpf-dev)" >&2
  exit 1
}
[[ -f /usr/include/bpf/bpf_helpers.h ]] || {
  echo "build.sh: /usr/include/bpf/bpf_helpers.h is missing (apt-get install libbpf-dev)" >&2
  exit 1
}
mkdir -p "$work" "$out"

# vmlinux.h is tied to the running kernel: its release and BTF size name it.
kernel_id="$(uname -r) $(stat -c %s /sys/kernel/btf/vmlinux 2>/dev/null || echo none)"
if [[ ! -f $work/vmlinux.h || "$(cat "$work/vmlinux.id" 2>/dev/null)" != "$kernel_id" ]]; then
  "$java" --enable-native-access=ALL-UNNAMED -cp "$classpath" io.bpf4j.core.btf.BtfCHeader "$work/vmlinux.h"
  echo "$kernel_id" >"$work/vmlinux.id"
fi

arch=$(uname -m)
case $arch in x86_64) target_arch=x86 ;; aarch64) target_arch=arm64 ;; *) target_arch=$arch ;; esac
failed=0
for c in "$src"/*.bpf.c; do
  [[ -e $c ]] || continue
  name=$(basename "$c" .c)
  o=$out/$name.o
  if [[ -f $o && $o -nt $c && $o -nt $work/vmlinux.h ]] \
     && [[ -z $(find "$src" -name '*.h' -newer "$o" -print -quit) ]]; then
    continue
  fi
  if ! "$clang" -target bpf -O2 -g -D__TARGET_ARCH_$target_arch -I "$work" -I "$src" \
       -I "/usr/include/$arch-linux-gnu" -Wall -Werror=implicit-function-declaration -c "$c" -o "$o.tmp"; then
    echo "build.sh: clang failed on $c" >&2
    failed=1
    continue
  fi
  mv -f "$o.tmp" "$o"
done
exit $failed
