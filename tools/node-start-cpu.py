#!/usr/bin/env python3
"""CPU time of one node start: exec of `Liaa.Node serve` (a new network, no seed) until /health answers 200.

Usage: tools/node-start-cpu.py [--runs N] [--env NAME=VALUE ...] [BINARY ...]
  BINARY defaults to Liaa.Node/bin/Release/net10.0/Liaa.Node (build first: dotnet build Liaa.Node -c Release).
  With several binaries the runs alternate between them (A B A B ...), so both see the same load, e.g.
    dotnet build Liaa.Node -c Release -p:LiaaReadyToRun=false -o /tmp/liaa-il
    tools/node-start-cpu.py --runs 5 /tmp/liaa-il/Liaa.Node Liaa.Node/bin/Release/net10.0/Liaa.Node

Prints, per run, the wall time to the first 200 from /health, the CPU time (user+sys, from /proc/PID/stat)
the process had used by then and 2 s later, and its RSS; then min / median / max of the CPU per binary.
CPU time is the figure to compare on a loaded machine: wall time mostly measures the wait for a core.
Every node listens on 127.0.0.1 on free ports and is stopped (SIGTERM, then SIGKILL) by its PID.
"""
import argparse
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


def one_start(binary, extra_env):
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
        time.sleep(2)
        return wall, cpu, cpu_seconds(process.pid), rss_mb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the node processes")
    parser.add_argument("binaries", nargs="*")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binaries = args.binaries or [os.path.join(root, "Liaa.Node/bin/Release/net10.0/Liaa.Node")]
    extra_env = dict(pair.split("=", 1) for pair in args.env)
    cpu = {b: [] for b in binaries}
    print(f"load average at start: {' '.join(open('/proc/loadavg').read().split()[:3])} on {os.cpu_count()} cores")
    for run in range(args.runs):
        for binary in binaries:
            result = one_start(binary, extra_env)
            if result is None:
                print(f"{binary}: run {run + 1}: no 200 from /health within 120 s", file=sys.stderr)
                continue
            wall, at_healthy, later, rss = result
            cpu[binary].append(at_healthy)
            print(f"{binary}: run {run + 1}: healthy after {wall:.2f} s, CPU {at_healthy:.2f} s (2 s later {later:.2f} s), RSS {rss} MB",
                  flush=True)
    for binary, values in cpu.items():
        values.sort()
        if values:
            print(f"{binary}: CPU to healthy over {len(values)} runs: min {values[0]:.2f} s, "
                  f"median {values[len(values) // 2]:.2f} s, max {values[-1]:.2f} s")
    print(f"load average at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
