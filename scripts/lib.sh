# shellcheck shell=bash
# shellcheck disable=SC2034  # BPF4J_JDK and the package lists are set here and read by the scripts that source this file
# Shared by ./bpf4j and scripts/test: finding a JDK >= 25, and the Debian packages each of them needs.
#
#   source scripts/lib.sh
#   bpf4j_find_jdk || exit 1      # sets BPF4J_JDK (a JDK home) or says in one line what is missing, on stderr
#   bpf4j_ensure_packages WHO WHY PACKAGE… || exit 1   # installs the missing ones (root) or says how
#
# Where the JDK search looks, in order: $JAVA_HOME, `java` on PATH, then the JDKs under /usr/lib/jvm (newest
# first). BPF4J_JVM_DIR replaces /usr/lib/jvm (meant for testing the "no JDK" path).

# What building the CLI needs beyond a JDK: the tools' BPF C is compiled by clang-19 against libbpf's headers.
BPF4J_BUILD_PACKAGES=(clang-19 libbpf-dev)
# What the tests need beyond that: the references they compare with (bpftool, bpftrace, libbpf-tools), trace
# readers, the network and perf tools, a C toolchain for test programs, USDT headers, a browser for screenshots, and
# Go for `go tool pprof` (it must read the pprof files bpf4j writes).
BPF4J_TEST_PACKAGES=(
  "${BPF4J_BUILD_PACKAGES[@]}" llvm-19 bpftool bpftrace libbpf-tools babeltrace2 iproute2 linux-perf
  gcc make pkg-config libelf-dev zlib1g-dev systemtap-sdt-dev chromium golang-go
)

# What scripts/bpftrace-suite/run needs: the reference tracer, a C toolchain and USDT headers for the suite's test
# programs, curl for its source, and the commands its cases call (pidof, setsid, bpftool, strace, python).
BPF4J_BTSUITE_PACKAGES=(bpftrace gcc libc6-dev systemtap-sdt-dev curl sysvinit-utils util-linux bpftool strace python-is-python3)

BPF4J_MIN_JAVA=25
BPF4J_JDK=''

# Prints the full version (25.0.3, 17.0.15, 1.8.0_292, …) of the JDK at home $1, or nothing when it is not a
# JDK. A JDK here has bin/java and bin/javac (Maven compiles with it). Reads the `release` file (no JVM start);
# falls back to `java -version` only when that file is missing.
bpf4j_jdk_full_version() {
  local home=$1 v=
  [[ -x $home/bin/java && -x $home/bin/javac ]] || return 0
  if [[ -r $home/release ]]; then
    # read with builtins: the launcher runs this for every JDK it looks at, and each fork shows in start-up time
    local line
    while IFS= read -r line; do
      if [[ $line == JAVA_VERSION=* ]]; then
        v=${line#JAVA_VERSION=}
        v=${v//\"/}
        break
      fi
    done <"$home/release"
  fi
  if [[ -z $v ]]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
  fi
  [[ -n $v ]] && printf '%s\n' "$v"
  return 0
}

# The feature version (8, 17, 25, …) of a full version string.
bpf4j_feature_version() {
  local v=$1
  [[ $v == 1.* ]] && v=${v#1.}          # 1.8.0_292 -> 8
  v=${v%%[!0-9]*}                        # 25.0.3 -> 25, 25-ea -> 25
  [[ -n $v ]] && printf '%s\n' "$v"
  return 0
}

# Prints the feature version of the JDK at home $1, or nothing when it is not a JDK.
bpf4j_jdk_version() {
  bpf4j_feature_version "$(bpf4j_jdk_full_version "$1")"
}

# The JDK home that contains the `java` found on PATH (through symlinks such as /etc/alternatives).
bpf4j_path_java_home() {
  local j
  j=$(command -v java 2>/dev/null) || return 0
  j=$(readlink -f "$j") || return 0
  printf '%s\n' "${j%/bin/java}"
}

# "Java 17.0.15, too old" or "not a JDK (…)" for the full version $1 (empty: not a JDK).
bpf4j_describe_jdk() {
  if [[ -n $1 ]]; then echo "Java $1, too old"; else echo "not a JDK (no bin/java and bin/javac)"; fi
}

# Sets BPF4J_JDK to a JDK home >= $BPF4J_MIN_JAVA and returns 0; otherwise says what was found, what is
# missing and how to get it, on stderr, and returns 1.
bpf4j_find_jdk() {
  local v full home best='' best_v='' checked=() jvm_dir=${BPF4J_JVM_DIR:-/usr/lib/jvm}
  BPF4J_JDK=

  if [[ -n ${JAVA_HOME:-} ]]; then
    full=$(bpf4j_jdk_full_version "$JAVA_HOME")
    v=$(bpf4j_feature_version "$full")
    if [[ -n $v && $v -ge $BPF4J_MIN_JAVA ]]; then BPF4J_JDK=$JAVA_HOME; return 0; fi
    checked+=("JAVA_HOME=$JAVA_HOME: $(bpf4j_describe_jdk "$full")")
  else
    checked+=("JAVA_HOME: not set")
  fi

  home=$(bpf4j_path_java_home)
  if [[ -n $home ]]; then
    full=$(bpf4j_jdk_full_version "$home")
    v=$(bpf4j_feature_version "$full")
    if [[ -n $v && $v -ge $BPF4J_MIN_JAVA ]]; then BPF4J_JDK=$home; return 0; fi
    checked+=("java on PATH: $(command -v java) in $home: $(bpf4j_describe_jdk "$full")")
  else
    checked+=("java on PATH: none")
  fi

  if [[ -d $jvm_dir ]]; then
    local found=()
    for home in "$jvm_dir"/*/; do
      home=${home%/}
      [[ -d $home && ! -L $home ]] || continue    # skip alias links such as java-1.17.0-openjdk-amd64
      full=$(bpf4j_jdk_full_version "$home")
      v=$(bpf4j_feature_version "$full")
      [[ -n $v ]] || continue
      found+=("${home##*/} (Java $full)")
      [[ $v -ge $BPF4J_MIN_JAVA ]] || continue
      # newest wins: compare full versions (25.0.3 > 25.0.1), as sort -V orders them
      if [[ -z $best_v || $(printf '%s\n%s\n' "$best_v" "$full" | sort -V | tail -n1) == "$full" ]]; then
        best=$home best_v=$full
      fi
    done
    if [[ -n $best ]]; then BPF4J_JDK=$best; return 0; fi
    checked+=("$jvm_dir: ${found[*]:-no JDK}")
  else
    checked+=("$jvm_dir: does not exist")
  fi

  # One line: what is missing, where it looked, and what to do. As root, where apt has a JDK package, install it.
  local pkg=openjdk-$BPF4J_MIN_JAVA-jdk-headless cand=
  if command -v apt-cache >/dev/null 2>&1; then
    cand=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
  fi
  local looked
  looked=$(printf '%s; ' "${checked[@]}")
  looked=${looked%; }
  if [[ -n $cand && $cand != "(none)" && $EUID -eq 0 && -z ${BPF4J_NO_INSTALL:-} ]]; then
    bpf4j_ensure_packages "${BPF4J_APT_LOG:--}" "for Java $BPF4J_MIN_JAVA's Foreign Function & Memory API" "$pkg" || return 1
    BPF4J_NO_INSTALL=1 bpf4j_find_jdk
    return
  fi
  if [[ -n $cand && $cand != "(none)" ]]; then
    echo "bpf4j: needs a JDK $BPF4J_MIN_JAVA or newer and found none ($looked); as root run: apt-get install $pkg" >&2
  else
    echo "bpf4j: needs a JDK $BPF4J_MIN_JAVA or newer and found none ($looked); install one (e.g. Eclipse Temurin $BPF4J_MIN_JAVA) under $jvm_dir or point JAVA_HOME at it" >&2
  fi
  return 1
}

# MAVEN_OPTS for running Maven 3.9 on JDK 25 without its sun.misc.Unsafe deprecation warnings (Guice) on every run.
bpf4j_maven_opts() {
  printf '%s\n' "${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"
}

# bpf4j_ensure_packages LOG WHY PACKAGE…: makes sure the Debian packages are installed. Missing ones are installed
# with apt-get when running as root (one line says which and why; apt's output goes to LOG, or to stdout when LOG is
# -); otherwise, or when apt fails, one line on stderr gives the exact command to run, and it returns 1.
# Not a Debian system (no dpkg-query): returns 0 and lets the build say what it lacks.
bpf4j_ensure_packages() {
  local log=$1 why=$2 p line
  shift 2
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local -A installed=()
  while IFS= read -r line; do
    [[ $line == *' install ok installed' ]] && installed[${line%% *}]=1
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null)
  local missing=()
  for p; do [[ -n ${installed[$p]:-} ]] || missing+=("$p"); done
  ((${#missing[@]})) || return 0

  local cmd="apt-get install ${missing[*]}"
  if [[ $EUID -ne 0 || -n ${BPF4J_NO_INSTALL:-} ]]; then
    echo "${BPF4J_ME:-bpf4j}: ${missing[*]} not installed ($why); as root run: $cmd" >&2
    return 1
  fi
  echo "${BPF4J_ME:-bpf4j}: installing ${missing[*]} with apt-get ($why)" >&2
  local where=" (apt's output: $log)"
  if [[ $log == - ]]; then log=/dev/stdout where=; else mkdir -p "${log%/*}"; fi
  # Without package lists (a fresh machine) or with stale ones the install fails at once: update, then retry.
  if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
         { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }
       } >>"$log" 2>&1; then
    echo "${BPF4J_ME:-bpf4j}: $cmd failed$where; run it yourself, then try again" >&2
    return 1
  fi
}

# bpf4j_surefire_counts DIR STAMP: prints "TESTS FAILURES ERRORS SKIPPED", summed over the Surefire reports under DIR
# newer than the file STAMP (those of the run that started when STAMP was touched).
bpf4j_surefire_counts() {
  local tests=0 failures=0 errors=0 skipped=0 report line attr n
  while IFS= read -r -d '' report; do
    line=$(grep -m1 -o '<testsuite [^>]*>' "$report" || true)
    for attr in tests failures errors skipped; do
      n=$(sed -n "s/.* $attr=\"\([0-9]*\)\".*/\1/p" <<<"$line")
      declare "$attr=$(( ${!attr} + ${n:-0} ))"
    done
  done < <(find "$1" -path '*/target/*-reports/TEST-*.xml' -newer "$2" -print0)
  echo "$tests $failures $errors $skipped"
}
