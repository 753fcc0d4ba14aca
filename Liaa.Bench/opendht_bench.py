#!/usr/bin/env python3
# The OpenDHT side of `Liaa.Bench cluster`, driven by the bench command (Liaa.Bench/ClusterBenchmark.cs).
# Needs Debian's python3-opendht (libopendht 2.4); run with /usr/bin/python3.
#
#   opendht_bench.py node [--bootstrap HOST:PORT] [--peers 8]
#       One OpenDHT node (a DhtRunner) on 127.0.0.1, rate limits off as OpenDHT's own perftest sets them
#       (its per-IP limiter otherwise treats a whole loopback cluster as one abuser). Prints
#       "OpenDHT node <id> listening on udp 127.0.0.1:<port>", then "peers <n>" each time the number of
#       good nodes in its IPv4 routing table changes, until it reaches --peers. Runs until standard
#       input closes (the bench process holds the other end, so the node dies with it, at once).
#
#   opendht_bench.py workload --bootstrap HOST:PORT --ops N --throughput-ops M [--in-flight 32] [--size 100] [--warmup 200]
#       Two client runners (a putter and a getter, so no get is answered from the putter's own storage):
#       --warmup puts and gets not measured, then N puts one at a time, N gets of those keys one at a time, then M puts and M gets with
#       --in-flight operations outstanding. Prints one line "RESULT <json>" with every latency in ms.
#       Started by the bench (LIAA_PARENT_PID set), it exits as soon as standard input closes (the bench is gone).
import argparse
import json
import os
import socket
import sys
import threading
import time

import opendht as dht


def make_config():
    config = dht.DhtConfig()
    config.setRateLimit(-1, -1)
    return config


def start_runner(bootstrap):
    runner = dht.DhtRunner()
    runner.run(port=0, ipv4="127.0.0.1", ipv6="", config=make_config())
    if bootstrap:
        host, port = bootstrap.rsplit(":", 1)
        runner.bootstrap(host, port)
    return runner


def good_nodes(runner):
    return runner.getRoutingTablesLog(socket.AF_INET).count("[good]")


def node_id(runner):
    value = runner.getNodeId()
    return value.decode() if isinstance(value, bytes) else str(value)


def run_node(args):
    runner = start_runner(args.bootstrap)
    print(f"OpenDHT node {node_id(runner)} listening on udp 127.0.0.1:{runner.getBound().getPort()}", flush=True)
    exit_when_parent_gone(0)
    last = -1
    while True:
        count = good_nodes(runner)
        if count != last:
            print(f"peers {count}", flush=True)
            last = count
        if count >= args.peers:
            break
        time.sleep(0.02)
    threading.Event().wait()


def exit_when_parent_gone(code):
    # The bench holds the other end of standard input: it closes when the bench ends, however it ends. Nothing here is
    # worth a graceful stop: a workload left running would go on for minutes, and a node's runner.shutdown() kept one
    # of 20 nodes alive 30 s after its bench was killed.
    def wait_for_parent():
        sys.stdin.read()
        os._exit(code)

    threading.Thread(target=wait_for_parent, daemon=True).start()


def run_workload(args):
    if os.environ.get("LIAA_PARENT_PID"):
        exit_when_parent_gone(1)
    putter = start_runner(args.bootstrap)
    getter = start_runner(args.bootstrap)
    warm_started = time.perf_counter()
    want = min(8, args.nodes)
    while time.perf_counter() - warm_started < 60 and (good_nodes(putter) < want or good_nodes(getter) < want):
        time.sleep(0.05)
    warmup = time.perf_counter() - warm_started
    payload = bytes((i * 7) % 256 for i in range(args.size))
    prefix = f"bench-opendht-{int(time.time() * 1000)}"

    # Not measured: the first searches and routing-table traffic (Liaa's JIT needs a longer one).
    warm = [dht.InfoHash.get(f"{prefix}-warm-{i}") for i in range(args.warmup)]
    concurrent(warm, 8, lambda key, done: putter.put(key, dht.Value(payload), done_cb=lambda ok, nodes: done(ok)))
    concurrent(warm, 8, lambda key, done: getter.get(key, get_cb=lambda v: True, done_cb=lambda ok, nodes: done(ok)))

    keys = [dht.InfoHash.get(f"{prefix}-seq-{i}") for i in range(args.ops)]
    put_ms, put_failed = [], 0
    for key in keys:
        started = time.perf_counter()
        ok = putter.put(key, dht.Value(payload))
        put_ms.append((time.perf_counter() - started) * 1000)
        put_failed += 0 if ok else 1

    get_ms, found = [], 0
    for key in keys:
        started = time.perf_counter()
        values = getter.get(key)
        get_ms.append((time.perf_counter() - started) * 1000)
        found += 1 if any(v.data == payload for v in values) else 0

    bulk = [dht.InfoHash.get(f"{prefix}-bulk-{i}") for i in range(args.throughput_ops)]
    put_rate, bulk_put_failed = concurrent(bulk, args.in_flight, lambda key, done: putter.put(key, dht.Value(payload), done_cb=lambda ok, nodes: done(ok)))

    def one_get(key, done):
        hit = []

        def on_value(value):
            if value.data == payload:
                hit.append(True)
            return True

        getter.get(key, get_cb=on_value, done_cb=lambda ok, nodes: done(bool(hit)))

    get_rate, bulk_get_missed = concurrent(bulk, args.in_flight, one_get)
    print("RESULT " + json.dumps({
        "warmup_s": warmup,
        "put_ms": put_ms,
        "put_failed": put_failed,
        "get_ms": get_ms,
        "found": found,
        "put_per_s": put_rate,
        "bulk_put_failed": bulk_put_failed,
        "get_per_s": get_rate,
        "bulk_found": len(bulk) - bulk_get_missed,
        "bulk": len(bulk),
    }), flush=True)
    putter.shutdown()
    getter.shutdown()


def concurrent(keys, in_flight, start):
    """Runs start(key, done) for every key with at most in_flight outstanding; returns (ops/s, failures)."""
    slots = threading.BoundedSemaphore(in_flight)
    lock = threading.Lock()
    finished = threading.Event()
    state = {"left": len(keys), "failed": 0}

    def done(ok):
        with lock:
            state["left"] -= 1
            state["failed"] += 0 if ok else 1
            if state["left"] == 0:
                finished.set()
        slots.release()

    started = time.perf_counter()
    for key in keys:
        slots.acquire()
        start(key, done)
    finished.wait(300)
    return len(keys) / (time.perf_counter() - started), state["failed"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    node = sub.add_parser("node")
    node.add_argument("--bootstrap")
    node.add_argument("--peers", type=int, default=8)
    workload = sub.add_parser("workload")
    workload.add_argument("--bootstrap", required=True)
    workload.add_argument("--nodes", type=int, default=20)
    workload.add_argument("--ops", type=int, default=300)
    workload.add_argument("--throughput-ops", type=int, default=1200)
    workload.add_argument("--in-flight", type=int, default=32)
    workload.add_argument("--size", type=int, default=100)
    workload.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    if args.mode == "node":
        run_node(args)
    else:
        run_workload(args)


if __name__ == "__main__":
    main()
