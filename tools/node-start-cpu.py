#!/usr/bin/env python3
r"""CPU time of one node start: exec of `Liaa.Node serve` (a new network, no seed) until /health answers 200.

Usage: tools/node-start-cpu.py [--runs N] [--after S] [--env NAME=VALUE ...] [--variant "NAME=VALUE ..." ...]
                               [--aspire-otlp URL [--otlp-api-key KEY]] [BINARY ...]
  BINARY defaults to Liaa.Node/bin/Release/net10.0/Liaa.Node (build first: dotnet build Liaa.Node -c Release).
  With several binaries the runs alternate between them (A B A B ...), so both see the same load, e.g.
    dotnet build Liaa.Node -c Release -p:LiaaReadyToRun=false -o /tmp/liaa-il
    tools/node-start-cpu.py --runs 5 /tmp/liaa-il/Liaa.Node Liaa.Node/bin/Release/net10.0/Liaa.Node

--variant adds a set of environment variables to compare (repeatable; "" is the plain node; "LABEL: A=1 B=2"
names it); the runs alternate over every binary x variant. --aspire-otlp URL adds the variables a node gets
from the Aspire AppHost (WithOtlpExporter: OTEL_EXPORTER_OTLP_ENDPOINT=URL over grpc, the API key header, 1 s
export intervals, always_on sampling, ...) as a variant of its own, or wherever a --variant says $ASPIRE.
Nodes log at Warning unless --env Logging__LogLevel__Default=Information (as under the AppHost). An OTLP
endpoint to export to: a standalone Aspire dashboard, e.g. (free ports P1 and P2, any KEY)
    ASPNETCORE_URLS=http://127.0.0.1:P1 ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:P2
    ASPIRE_ALLOW_UNSECURED_TRANSPORT=true Dashboard__Frontend__AuthMode=Unsecured Dashboard__Otlp__AuthMode=ApiKey
    Dashboard__Otlp__PrimaryApiKey=KEY ~/.nuget/packages/aspire.dashboard.sdk.linux-x64/13.6.5/tools/Aspire.Dashboard
(those variables in its environment), then
    tools/node-start-cpu.py --after 6 --env Logging__LogLevel__Default=Information \
        --aspire-otlp http://127.0.0.1:P2 --otlp-api-key KEY --variant "" --variant 'aspire: $ASPIRE'

Prints, per run, the wall time to the first 200 from /health, the CPU time (user+sys, from /proc/PID/stat)
the process had used by then and 2 s later (--after), and its RSS and PSS (from /proc/PID/smaps_rollup)
then; then per binary and variant the min / median / max of the CPU to healthy, the median CPU in the seconds after, and the median RSS.
With --parallel N each run starts N nodes at once and reports the slowest wall time and the mean CPU and memory.
CPU time is the figure to compare on a loaded machine: wall time mostly measures the wait for a core.
Every node listens on 127.0.0.1 on free ports and is stopped (SIGTERM, then SIGKILL) by its PID.
"""
import argparse
import concurrent.futures
import os
import socket
import subprocess
import sys
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def pss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def aspire_env(endpoint, api_key):
    """The OTLP variables Aspire 13.6's WithOtlpExporter gives a resource (the rest are the resource's name)."""
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "OTEL_BSP_SCHEDULE_DELAY": "1000",
        "OTEL_BLRP_SCHEDULE_DELAY": "1000",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_METRICS_EXEMPLAR_FILTER": "trace_based",
        "OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY": "in_memory",
        "OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES": "true",
        "OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES": "true",
        "OTEL_SERVICE_NAME": "node-start-cpu",
        "OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=node-start-cpu",
    }
    if api_key:
        env["OTEL_EXPORTER_OTLP_HEADERS"] = f"x-otlp-api-key={api_key}"
    return env


def parse_env(text):
    return dict(pair.split("=", 1) for pair in text.split() if not pair.endswith(":"))


def variant_name(text):
    """A variant's label: its first word when that ends with a colon ("otlp-off: A=1 B=2"), else the text."""
    words = text.split()
    return words[0][:-1] if words and words[0].endswith(":") else (text or "plain")


def one_start(binary, extra_env, after):
    http = free_tcp_port()
    env = dict(os.environ)
    env.setdefault("Logging__LogLevel__Default", "Warning")
    env.update(extra_env)
    command = (["dotnet", binary] if binary.endswith(".dll") else [binary]) + [
        "serve", "--address", "127.0.0.1", "--port", "0", "--http", f"127.0.0.1:{http}"]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        healthy = False
        while time.monotonic() - started < 120 and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http}/health", timeout=2) as response:
                    if response.status == 200:
                        healthy = True
                        break
            except OSError:
                pass
            time.sleep(0.01)
        wall = time.monotonic() - started
        if not healthy:
            return None
        cpu = cpu_seconds(process.pid)
        time.sleep(after)
        return wall, cpu, cpu_seconds(process.pid), rss_mb(process.pid), pss_mb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def parallel_start(binary, extra_env, after, count):
    """COUNT nodes started at once, as a cluster starts them: the slowest wall time, the mean of the rest."""
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        results = list(pool.map(lambda _: one_start(binary, extra_env, after), range(count)))
    if any(r is None for r in results):
        return None
    mean = lambda i: sum(r[i] for r in results) / count
    return max(r[0] for r in results), mean(1), mean(2), round(mean(3)), round(mean(4))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for every node process")
    parser.add_argument("--variant", action="append", default=[],
                        help='"[LABEL:] NAME=VALUE ..." to compare ("" for none); "$ASPIRE" in it stands for the --aspire-otlp variables')
    parser.add_argument("--aspire-otlp", help="add the variant a node gets under the AppHost, exporting OTLP to this URL")
    parser.add_argument("--otlp-api-key", help="the OTLP API key of that endpoint (x-otlp-api-key)")
    parser.add_argument("--after", type=float, default=2.0, help="seconds after healthy to read CPU and memory again (default 2)")
    parser.add_argument("--parallel", type=int, default=1,
                        help="start this many nodes at once per run and report their mean (CPU contention as in a cluster start)")
    parser.add_argument("binaries", nargs="*")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binaries = args.binaries or [os.path.join(root, "Liaa.Node/bin/Release/net10.0/Liaa.Node")]
    extra_env = dict(pair.split("=", 1) for pair in args.env)
    aspire = aspire_env(args.aspire_otlp, args.otlp_api_key) if args.aspire_otlp else {}
    aspire_text = " ".join(f"{k}={v}" for k, v in aspire.items())
    variants = [(variant_name(v), parse_env(v.replace("$ASPIRE", aspire_text))) for v in args.variant]
    if args.aspire_otlp and not any("$ASPIRE" in v for v in args.variant):
        variants.append(("aspire-otlp", aspire))
    if not variants:
        variants = [("", {})]
    cases = [(b, name, env) for b in binaries for name, env in variants]
    label = {(b, name): (b if len(binaries) > 1 else os.path.basename(b)) + (f" [{name}]" if name else "") for b, name, _ in cases}
    cpu = {(b, name): [] for b, name, _ in cases}
    rss = {(b, name): [] for b, name, _ in cases}
    after = {(b, name): [] for b, name, _ in cases}
    print(f"load average at start: {' '.join(open('/proc/loadavg').read().split()[:3])} on {os.cpu_count()} cores")
    for run in range(args.runs):
        for binary, name, env in cases:
            result = (one_start(binary, {**extra_env, **env}, args.after) if args.parallel == 1
                      else parallel_start(binary, {**extra_env, **env}, args.after, args.parallel))
            if result is None:
                print(f"{label[binary, name]}: run {run + 1}: no 200 from /health within 120 s", file=sys.stderr)
                continue
            wall, at_healthy, later, rss_now, pss_now = result
            cpu[binary, name].append(at_healthy)
            rss[binary, name].append(rss_now)
            after[binary, name].append(later - at_healthy)
            print(f"{label[binary, name]}: run {run + 1}: healthy after {wall:.2f} s, CPU {at_healthy:.2f} s "
                  f"({args.after:g} s later {later:.2f} s), RSS {rss_now} MB, PSS {pss_now} MB", flush=True)
    for key, values in cpu.items():
        values.sort()
        if values:
            print(f"{label[key]}: CPU to healthy over {len(values)} runs: min {values[0]:.2f} s, "
                  f"median {values[len(values) // 2]:.2f} s, max {values[-1]:.2f} s; CPU in the {args.after:g} s after: median "
                  f"{sorted(after[key])[len(values) // 2]:.2f} s; RSS median {sorted(rss[key])[len(values) // 2]} MB")
    print(f"load average at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
