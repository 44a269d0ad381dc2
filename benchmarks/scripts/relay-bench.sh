#!/usr/bin/env bash
# Connection setup and throughput of an unmodified app (sample-apps' EchoBench) whose TCP connections
# the agent's relay carries over Tao channels, beside plain TCP and plain JDK mutual TLS 1.3 measured
# in the same run (RelayBench in benchmarks.jar; docs/performance.md, "Wrapped connections").
#
#   benchmarks/scripts/relay-bench.sh [--connections 200] [--warmup 1000] [--bytes 16777216]
#       [--stream-warmup 5] [--rounds 5] [--passes 1] [--settle 0] [--modes tcp,tls,wrapped,both]
#
# With --settle S it waits (at most S seconds) before each mode until the TIME_WAIT rows the previous
# mode left in the kernel's TCP table have expired (this mattered while the relay read that table
# for every connection; it now asks the kernel for one socket).
#
# Needs the launcher, sample-apps and benchmarks jars:
#   ./mvnw -q -B -pl launcher,sample-apps,benchmarks -am package -DskipTests
# JAVA (default: java on the PATH) runs the harness, both EchoBench JVMs and the launcher. The domain,
# its domain service, the keys and TAO_HOME live in a temporary directory removed at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${JAVA:-java}"
cd "$root"
samples="$(ls sample-apps/target/tao-sample-apps-*.jar | grep -v -- -sources | head -1)"
for f in launcher/target/tao-launcher.jar "$samples" benchmarks/target/benchmarks.jar; do
  [[ -f "$f" ]] || { echo "relay-bench: $f is missing; build first:" >&2
    echo "  ./mvnw -q -B -pl launcher,sample-apps,benchmarks -am package -DskipTests" >&2; exit 2; }
done
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD 2>/dev/null; then commit="$commit+changes"; fi
echo "# commit $commit; $(uptime)"
exec "$java" -cp benchmarks/target/benchmarks.jar dev.cloudproxy.tao.benchmarks.RelayBench \
  --launcher launcher/target/tao-launcher.jar --samples "$samples" --template docs/domain_template.txt "$@"
