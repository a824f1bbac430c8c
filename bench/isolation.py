#!/usr/bin/python3
"""bench/isolation driver: what a worker process costs (issue 11), run by bench/isolation.

1. Idle memory. berthd serves greeter and the four shop modules, all idle after start, once
   in-process and once with every module "isolation": "process". Prints each worker's VmRSS and
   Pss (/proc/PID/status, /proc/PID/smaps_rollup: Pss splits shared pages between the processes
   that map them, so it is what a worker adds), berthd's own RSS in both runs, and the totals.
2. Restart after a crash. N times: SIGSEGV to greeter's worker from outside (the host sees
   "killed by signal 11 (SIGSEGV)" as for a segfault in a handler), then GET on the module every
   millisecond until a 200; prints the time from the kill to that 200 (median, p90, max). The
   module gets restart_window_ms 1000 and a wait of 1.5 s between crashes, so each restart is a
   first one (backoff 100 ms) and the budget is never spent. With the fault test plugin built
   (build/tests/plugins/fault.so), the same for a real segfault: POST /v1/fault/segfault, from
   its 502 to the first 200.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

from berth_bench import admin_token, call, free_port, start_berthd, stop, wait_until

SHOP = ("users", "categories", "products", "payment")


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def get_status(port, target, timeout=2.0):
    """The status of one GET on a fresh connection; 0 when there is no answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", target)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


class Host:
    """berthd on greeter (+ fault, when built) and the shop modules, all in one placement."""

    def __init__(self, build, isolation, with_fault):
        self.work = tempfile.mkdtemp(prefix="berth-bench-isolation-")
        self.ports = {name: free_port() for name in ("admin", "greeter", "fault") + SHOP}
        modules = {name: {"library": os.path.join(build, "plugins", name + ".so"), "port": self.ports[name]}
                   for name in ("greeter",) + SHOP}
        if with_fault:
            modules["fault"] = {"library": os.path.join(build, "tests", "plugins", "fault.so"),
                                "port": self.ports["fault"]}
        for m in modules.values():
            if isolation == "process":
                m["isolation"] = "process"
                m["process"] = {"restart_window_ms": 1000, "max_restarts": 1000}
                if os.geteuid() == 0:  # as root berthd refuses a process module without a user
                    m["process"]["user"] = "root"
        self.var = os.path.join(self.work, "var")
        self.admin = f"http://127.0.0.1:{self.ports['admin']}"
        self.proc = start_berthd(build, self.work, {"admin": {"port": self.ports["admin"]}, "data_dir": self.var,
                                                    "threads": {"io": 1, "workers": 2}, "modules": modules})
        count = len(modules)
        if not wait_until(lambda: call("GET", self.admin + "/healthz")[1]["serving"] == count, 30):
            with open(os.path.join(self.work, "berthd.log")) as f:
                log = f.read()[-2000:]
            self.close()
            raise RuntimeError(f"berthd did not serve {count} modules ({isolation}); its log ends:\n{log}")

    def module(self, name):
        return call("GET", f"{self.admin}/modules/{name}", token=admin_token(self.var))[1]

    def worker_pid(self, name):
        worker = (self.module(name).get("active") or {}).get("worker") or {}
        return worker.get("pid", 0) if worker.get("state") == "serving" else 0

    def close(self):
        stop(self.proc)
        shutil.rmtree(self.work, ignore_errors=True)


def memory(build, settle):
    lines = []
    host = Host(build, "in-process", False)
    try:
        time.sleep(settle)  # idle: let start-up threads and allocations settle as they would
        inproc_rss, inproc_pss = status_kib(host.proc.pid, "VmRSS"), pss_kib(host.proc.pid)
    finally:
        host.close()
    host = Host(build, "process", False)
    try:
        time.sleep(settle)
        host_rss, host_pss = status_kib(host.proc.pid, "VmRSS"), pss_kib(host.proc.pid)
        lines.append(f"in-process: berthd VmRSS {inproc_rss} KiB, Pss {inproc_pss} KiB (5 modules)")
        lines.append(f"process:    berthd VmRSS {host_rss} KiB, Pss {host_pss} KiB (5 modules, none mapped)")
        total_rss = total_pss = 0
        for name in ("greeter",) + SHOP:
            pid = host.worker_pid(name)
            rss, pss = status_kib(pid, "VmRSS"), pss_kib(pid)
            total_rss += rss
            total_pss += pss
            lines.append(f"  worker {name:<11} pid {pid:>7}: VmRSS {rss:>6} KiB, Pss {pss:>6} KiB")
        lines.append(f"process:    workers VmRSS {total_rss} KiB, Pss {total_pss} KiB in all; "
                     f"berthd + workers Pss {host_pss + total_pss} KiB vs {inproc_pss} KiB in-process "
                     f"(+{(host_pss + total_pss - inproc_pss) / 5:.0f} KiB Pss per module)")
    finally:
        host.close()
    return lines


def summary(label, ms):
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return (f"{label}: median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms, max {ms[-1]:.1f} ms, "
            f"min {ms[0]:.1f} ms over {len(ms)} (includes the first restart's 100 ms backoff)")


def restarts(build, crashes, with_fault):
    lines = []
    host = Host(build, "process", with_fault)
    try:
        port = host.ports["greeter"]
        by_kill = []
        for _ in range(crashes):
            pid = host.worker_pid("greeter")
            if not pid:
                raise RuntimeError("greeter has no serving worker")
            t0 = time.monotonic()
            os.kill(pid, signal.SIGSEGV)
            while get_status(port, "/v1/greetings/bench") != 200:
                time.sleep(0.001)
            by_kill.append((time.monotonic() - t0) * 1000)
            wait_until(lambda: host.worker_pid("greeter") not in (0, pid), 10)
            time.sleep(1.5)  # past restart_window_ms: the next crash is a first restart again
        lines.append(summary("restart after SIGSEGV (kill to first 200)", by_kill))
        if with_fault:
            fault, by_fault = host.ports["fault"], []
            for _ in range(crashes):
                conn = http.client.HTTPConnection("127.0.0.1", fault, timeout=10)
                conn.request("POST", "/v1/fault/segfault")  # the route takes no body
                answer = conn.getresponse()
                answer.read()
                conn.close()
                t0 = time.monotonic()
                if answer.status != 502:
                    lines.append(f"POST /v1/fault/segfault answered {answer.status}, not 502: not measured")
                    break
                while get_status(fault, "/v1/ok") != 200:
                    time.sleep(0.001)
                by_fault.append((time.monotonic() - t0) * 1000)
                time.sleep(1.5)
            if by_fault:
                lines.append(summary("restart after a segfault in a handler (502 to first 200)", by_fault))
        restarts_seen = host.module("greeter")["active"]["worker"]["restarts"]
        lines.append(f"greeter's worker restarts on the admin API: {restarts_seen} (expected {crashes})")
    finally:
        host.close()
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--crashes", type=int, default=15)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds idle before memory is read")
    ap.add_argument("--out", help="directory for isolation.txt and isolation.json (default BUILD/bench/results)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)  # the config's library paths are read relative to the config file
    out = args.out or os.path.join(args.build, "bench", "results")
    with_fault = os.path.exists(os.path.join(args.build, "tests", "plugins", "fault.so"))
    lines = ["bench/isolation: idle memory per worker, and restart time after a crash"]
    lines += memory(args.build, args.settle)
    lines += restarts(args.build, args.crashes, with_fault)
    if not with_fault:
        lines.append("(no build/tests/plugins/fault.so: the in-handler segfault was not measured)")
    for line in lines:
        print(line)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "isolation.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "isolation.json"), "w") as f:
        json.dump({"summary": lines}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
