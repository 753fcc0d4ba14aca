#!/usr/bin/env bash
# Startup benchmark of the Aspire AppHost, for both node builds: for each node count given (default: 5 20) and each
# build (default: jit then aot, alternating; --builds jit or --builds aot for one, --builds jit,composite for the composite
# ReadyToRun build), runs
#   dotnet run --project Liaa.AppHost -c Release --no-build -- --nodes N --port <free> --node-build BUILD
# on free loopback ports (no launch profile, so a running cluster on 8468/18888 is left alone), and
# prints the time from that command to every node answering /health with 200, the resident memory of
# DCP (all its processes), the dashboard, the AppHost and the `dotnet run` wrapper, and the load
# average, the CPU time (user+sys) each of them had used by then (less sensitive to other load than the
# wall-clock figures), and a timeline in seconds from the command: when DCP's API server process appeared, and for each
# node when its process appeared and when it first answered /health with 200. Then stops the AppHost with SIGTERM (what Ctrl+C does; a script's background job ignores
# SIGINT) and checks that nothing it started is left.
# The AOT build is Liaa.Node compiled ahead of time into artifacts/aot/ by the AppHost itself when its sources
# changed (it needs clang), the composite build the same way into artifacts/composite/: a run in which the AppHost
# compiled it is reported as such, then run again.
# --direct starts the built AppHost (Liaa.AppHost/bin/Release/net10.0/Liaa.AppHost) instead of `dotnet run`, which
# evaluates the project with MSBuild first even with --no-build.
# Build first: dotnet build Liaa.AppHost -c Release
set -u
cd "$(dirname "$0")/.."
builds=(jit aot)
direct=""
while [ $# -gt 0 ]; do
  case "$1" in
    --builds) IFS=, read -r -a builds <<<"$2"; shift 2 ;;
    --direct) direct=1; shift ;;  # start the built AppHost itself instead of `dotnet run` (no MSBuild evaluation)
    *) break ;;
  esac
done
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(5 20)

free_tcp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
free_udp_run() { python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 60000 - n)
    try:
        socks = []
        for p in range(base, base + n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p)); socks.append(s)
        for s in socks: s.close()
        print(base); break
    except OSError:
        for s in socks: s.close()
PY
}
# CPU seconds (user + system) the given processes have used so far (live processes only).
cpu_s() { local ticks=0 t; for pid in "$@"; do [ -r /proc/$pid/stat ] && t=$(sed 's/.*) //' /proc/$pid/stat | awk '{print $12 + $13}') && ticks=$((ticks + t)); done; echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc; }
rss_mb() { local total=0; for pid in "$@"; do [ -r /proc/$pid/status ] && total=$((total + $(awk '/VmRSS/ {print $2}' /proc/$pid/status))); done; echo $((total / 1024)); }
descendants() { local pid; for pid in $(pgrep -P "$1" || true); do echo "$pid"; descendants "$pid"; done; }

# measure N BUILD: one start of the AppHost with N nodes of that build; sets again=1 when the run is not to be counted.
measure() {
  local n=$1 build=$2
  again=0
  base=$(free_udp_run "$n")
  log=$(mktemp)
  # Ports found before the clock starts (each is a python3 start, ~0.1 s of CPU).
  dashboard_port=$(free_tcp); otlp_port=$(free_tcp); resource_port=$(free_tcp)
  start=$(date +%s.%N)
  ASPNETCORE_URLS="http://127.0.0.1:$dashboard_port" \
  ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://127.0.0.1:$otlp_port" \
  ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL="http://127.0.0.1:$resource_port" \
  ASPIRE_ALLOW_UNSECURED_TRANSPORT=true DOTNET_ENVIRONMENT=Development \
    setsid ${direct:+Liaa.AppHost/bin/Release/net10.0/Liaa.AppHost} ${direct:-dotnet run --project Liaa.AppHost -c Release --no-build --no-launch-profile --} --nodes "$n" --port "$base" --prometheus-port 0 --node-build "$build" >"$log" 2>&1 &
  runner=$!
  healthy=0
  deadline=$(( $(date +%s) + 180 ))
  since() { printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)"; }
  dcp_seen=""; seen=(); green=(); http=()
  # One process listing and one curl per round, whatever the node count: the loop itself shares the 2 cores.
  while [ "$healthy" -lt "$n" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    # While the AppHost compiles the AOT node (minutes, the first time), the clock of the wait starts again.
    grep -q "Native AOT node: compiling" "$log" && ! grep -q "Native AOT node: compiled in" "$log" && deadline=$(( $(date +%s) + 180 ))
    kill -0 "$runner" 2>/dev/null || { echo "   $n nodes, $build: the AppHost exited:"; sed 's/^/   | /' "$log" | tail -n 20; rm -f "$log"; return; }
    if [ -z "$dcp_seen" ]; then
      owner=$( [ -n "$direct" ] && echo "$runner" || pgrep -P "$runner" -f Liaa.AppHost | head -n 1)
      [ -n "$owner" ] && pgrep -P "$owner" -f "dcp" >/dev/null && dcp_seen=$(since)
    fi
    if [ "${#http[@]}" -lt "$n" ]; then
      now=$(since)
      while read -r name port address; do
        i=${name#node-}
        [ "$port" = "$((base + i))" ] && [ -z "${http[$i]:-}" ] && { http[$i]=$address; seen[$i]=$now; }
      done < <(pgrep -af "Liaa.Node serve --name node-" | sed -n 's/.* --name \(node-[0-9]*\) .*--port \([0-9]*\) --http \([0-9.:]*\).*/\1 \2 \3/p')
    fi
    urls=()
    for i in "${!http[@]}"; do [ -z "${green[$i]:-}" ] && urls+=(-o /dev/null "http://${http[$i]}/health"); done
    if [ "${#urls[@]}" -gt 0 ]; then
      while read -r url code; do
        if [ "$code" = 200 ]; then
          for i in "${!http[@]}"; do [ "$url" = "http://${http[$i]}/health" ] && green[$i]=$(since); done
        fi
      done < <(curl -s --parallel --parallel-max 64 -w '%{url_effective} %{http_code}\n' --max-time 1 "${urls[@]}" 2>/dev/null || true)
    fi
    healthy=${#green[@]}
    # Every round forks pgrep, curl and bc: on two cores polling faster slows what it measures.
    [ "$healthy" -lt "$n" ] && sleep 0.1
  done
  elapsed=$(echo "$(date +%s.%N) - $start" | bc)
  apphost=$( [ -n "$direct" ] && echo "$runner" || pgrep -P "$runner" -f Liaa.AppHost | head -n 1)
  [ -n "$direct" ] && runner=
  dcp=$(pgrep -f "dcp .*--monitor $apphost" || true)
  dcp_all=$(for p in $dcp; do echo "$p"; descendants "$p"; done | sort -u | while read -r p; do grep -q '/dcp' /proc/$p/cmdline 2>/dev/null && echo "$p"; done || true)
  dashboard=$(for p in $dcp; do descendants "$p"; done | while read -r p; do grep -q 'Aspire.Dashboard' /proc/$p/cmdline 2>/dev/null && echo "$p"; done || true)
  nodes=$(for p in $dcp; do descendants "$p"; done | while read -r p; do grep -q 'Liaa.Node' /proc/$p/cmdline 2>/dev/null && echo "$p"; done || true)
  prometheus=$(for p in $dcp; do descendants "$p"; done | while read -r p; do grep -q '^/usr/bin/prometheus' /proc/$p/cmdline 2>/dev/null && echo "$p"; done || true)
  if grep -qE "(Native AOT|Composite ReadyToRun) node: compiling" "$log"; then
    compiled=$(sed -n 's/.* node: compiled in \([0-9]*\) s.*/\1/p' "$log")
    echo "   ($n nodes, $build: the AppHost compiled the node first, in ${compiled:-?} s; this run is not counted, measuring again)"
    again=1
  fi
  printf '%2d nodes, %s: %5.1f s to %d/%d healthy | RSS MB: DCP %s (%d processes), dashboard %s, AppHost %s, dotnet run %s, nodes %s | load %s\n' \
    "$n" "$build" "$elapsed" "$healthy" "$n" "$(rss_mb $dcp_all)" "$(echo $dcp_all | wc -w)" "$(rss_mb $dashboard)" "$(rss_mb $apphost)" "$(rss_mb $runner)" "$(rss_mb $nodes)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  node_count=$(echo $nodes | wc -w)
  printf '   CPU s (user+sys) used by then: nodes %s (%s per node), DCP %s, dashboard %s, AppHost %s, dotnet run %s, Prometheus %s\n' \
    "$(cpu_s $nodes)" "$( [ "$node_count" -gt 0 ] && echo "scale=2; $(cpu_s $nodes) / $node_count" | bc || echo -)" "$(cpu_s $dcp_all)" "$(cpu_s $dashboard)" "$(cpu_s $apphost)" "$(cpu_s $runner)" "$( [ -n "$prometheus" ] && cpu_s $prometheus || echo -)"
  timeline="   timeline (s): DCP ${dcp_seen:-?}"
  for i in $(seq 0 $((n - 1))); do timeline="$timeline | node-$i ${seen[$i]:-?} -> ${green[$i]:-?}"; done
  echo "$timeline"
  family="$apphost $dcp_all $dashboard $nodes $prometheus $(for p in $dcp; do descendants "$p"; done)"
  stop=$(date +%s.%N)
  kill -TERM "$apphost"
  left="$family"
  for _ in $(seq 1 150); do
    left=$(for p in $left; do kill -0 "$p" 2>/dev/null && echo "$p"; done | xargs)
    [ -z "$left" ] && break
    sleep 0.1
  done
  if [ -n "$left" ]; then
    echo "   still running 15 s after SIGTERM (killed now): $left"
    kill -9 $left 2>/dev/null
  else
    printf '   SIGTERM (as Ctrl+C): every process gone after %.1f s\n' "$(echo "$(date +%s.%N) - $stop" | bc)"
  fi
  rm -f "$log"
}

for n in "${counts[@]}"; do
  for build in "${builds[@]}"; do
    measure "$n" "$build"
    if [ "$again" = 1 ]; then measure "$n" "$build"; fi
  done
done
exit 0
