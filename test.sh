#!/usr/bin/env bash
# Liaa's whole test suite: installs what the tests need from Debian when it is missing, builds,
# runs every test (unit, simulation, integration, live cluster), and ends with one line
#   tests: N passed, N failed, N skipped
# read from the test results. Exit code 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The multi-host tests (Liaa.Tests/Hosts) make network namespaces with iproute2's ip (and skip without root).
command -v ip >/dev/null 2>&1 || [[ -x /usr/sbin/ip || -x /sbin/ip ]] || need_apt+=(iproute2)
if ((${#need_apt[@]})); then
  echo "test.sh: installing from Debian: ${need_apt[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1 \
    || echo "test.sh: could not install ${need_apt[*]}; tests that need them will say so" >&2
fi

# The Kubernetes manifests' schema check (Liaa.Tests/Deploy) runs on Node.js with two npm packages, pinned in
# deploy/tools/k8s-schema/package-lock.json; without node and npm the test says so and is skipped.
k8s_schema=deploy/tools/k8s-schema
if [ ! -d "$k8s_schema/node_modules/kubernetes-models" ] && command -v npm >/dev/null 2>&1; then
  npm ci --prefix "$k8s_schema" --no-audit --no-fund --loglevel=error >/dev/null 2>&1 \
    || echo "test.sh: could not install the Kubernetes schema check (npm ci in $k8s_schema); its test will say so" >&2
fi

results="$PWD/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build Liaa.Aspire.sln -c Release -nologo -clp:ErrorsOnly
build=$?
if [ $build -ne 0 ]; then
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

# The session timeout is a guard against a hang, not a speed limit: every wait in a test has its own bound, and
# on a loaded machine (CI beside other jobs) the whole run takes several times what it takes on a quiet one.
# The suite's speed is the "test run took" line printed before the last (under 10 minutes on 2 quiet cores).
started=$SECONDS
dotnet test Liaa.Tests/Liaa.Tests.csproj -c Release --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --results-directory "$results" \
  --logger "console;verbosity=normal" -- RunConfiguration.TestSessionTimeout=1800000
status=$?
took=$(( SECONDS - started ))

trx=$(find "$results" -name '*.trx' | head -n 1)
if [ -z "$trx" ]; then
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(get passed); failed=$(get failed); errors=$(get error); timeouts=$(get timeout); aborted=$(get aborted)
# xunit v3's trx reports a skipped test as NotExecuted in its result but not in notExecuted: count total - executed.
total=$(get total); executed=$(get executed)
not_executed=$(( ${total:-0} - ${executed:-0} ))
failed=$(( ${failed:-0} + ${errors:-0} + ${timeouts:-0} + ${aborted:-0} ))
if [ $status -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
# An aborted run (session timeout, a crashed test host) leaves its unstarted tests out of every counter: say so.
aborted_run=""
if grep -q 'Aborting test run\|Test Run Aborted' "$trx"; then
  aborted_run="; the run was aborted, the tests not started yet are in no count"
  failed=$(( failed > 0 ? failed : 1 ))
fi
echo "test run took $((took / 60))m$((took % 60))s${aborted_run}"
echo "tests: ${passed:-0} passed, ${failed} failed, ${not_executed:-0} skipped"
[ $failed -eq 0 ]
