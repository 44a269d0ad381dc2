#!/usr/bin/env bash
# Start-to-main overhead of the launcher against plain `java -jar`, for a small app with no Tao code
# (sample-apps' Hello, in a jar of its own). Each run records the wall-clock time just before the
# command starts and the time Hello's main() begins (it prints it), and the time the command ends.
#
#   benchmarks/scripts/launcher-startup.sh [runs]      (default 10; one warm-up run of each first)
#
# Needs launcher/target/tao-launcher.jar and sample-apps/target/tao-sample-apps-*.jar:
#   ./mvnw -q -B -pl launcher,sample-apps -am package -DskipTests
# JAVA (default: java on the PATH) runs both the plain app and the launcher. The launcher's
# development root is created in a temporary TAO_HOME before the timed runs. That warm-up run also
# fills the runtime digest cache (docs/measurement.md), which only a user other than root uses;
# RUNTIME_CACHE=off puts a directory where the cache file goes, so every run hashes the runtime.
set -euo pipefail
runs="${1:-10}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${JAVA:-java}"
launcher="$root/launcher/target/tao-launcher.jar"
samples="$(ls "$root"/sample-apps/target/tao-sample-apps-*.jar | grep -v -- -sources | head -1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A small app jar of its own: Hello only, with its Main-Class.
mkdir -p "$work/classes"
(cd "$work/classes" && unzip -q "$samples" 'dev/cloudproxy/tao/samples/plain/Hello.class')
printf 'Main-Class: dev.cloudproxy.tao.samples.plain.Hello\n' > "$work/manifest"
jar cfm "$work/hello.jar" "$work/manifest" -C "$work/classes" .
export TAO_HOME="$work/home"
if [[ "${RUNTIME_CACHE:-on}" == off ]]; then
  mkdir -p -m 700 "$TAO_HOME" "$TAO_HOME/launcher" "$TAO_HOME/launcher/runtime-digests"
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

now_us() { date +%s%6N; }

# one RUN: prints "start-to-main-us total-us"
measure() {
  local t0 out t1 main
  t0=$(now_us)
  out=$("$@" 2>/dev/null)
  t1=$(now_us)
  main=$(sed -n 's/^main //p' <<<"$out")
  echo "$((main - t0)) $((t1 - t0))"
}

plain=("$java" -jar "$work/hello.jar" --time)
tao=("$java" -jar "$launcher" "$work/hello.jar" --time)

measure "${tao[@]}" >/dev/null     # creates the development root; also a warm-up
measure "${plain[@]}" >/dev/null

: > "$work/plain.txt"
: > "$work/tao.txt"
for ((i = 0; i < runs; i++)); do   # interleaved, so that load changes hit both alike
  measure "${plain[@]}" >> "$work/plain.txt"
  measure "${tao[@]}" >> "$work/tao.txt"
done

echo "# $("$java" -version 2>&1 | head -1); $(nproc) cpus; uid $(id -u); runtime cache ${RUNTIME_CACHE:-on}; load before: $load_before"
python3 - "$work/plain.txt" "$work/tao.txt" <<'PY'
import statistics, sys
def load(p):
    rows = [tuple(int(x) for x in l.split()) for l in open(p) if l.strip()]
    return [r[0] / 1000 for r in rows], [r[1] / 1000 for r in rows]
(pm, pt), (tm, tt) = load(sys.argv[1]), load(sys.argv[2])
print(f"{'':24}{'median ms':>10}{'min ms':>10}{'max ms':>10}   (n={len(pm)})")
for name, xs in (("java -jar: start-to-main", pm), ("launcher: start-to-main", tm),
                 ("java -jar: total", pt), ("launcher: total", tt)):
    print(f"{name:24}{statistics.median(xs):10.0f}{min(xs):10.0f}{max(xs):10.0f}")
print(f"{'overhead start-to-main':24}{statistics.median(tm) - statistics.median(pm):10.0f}")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
