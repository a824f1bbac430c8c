#!/usr/bin/python3
"""bench/swap driver: hot swaps under wrk load, run by bench/swap (which builds first).

Starts berthd serving swap_probe v1, measures request latency without swaps, then keeps wrk
load on the plugin while swapping between two builds N times, alternating file replacement
(the deploy contract: write beside, rename over) and the admin API. Prints requests sent,
failures, swap latency (trigger to the new generation serving), request p99 with and without
swaps, and host RSS and mapped plugin libraries before and after.

Beside wrk, a probe process sends one request every few milliseconds and times each, so the
latency can be drawn over time: the text, a JSON of every series and a PNG (latency over time
with each swap marked, RSS over swaps; bench/plots.py) go to --out (default BUILD/bench/results).

--isolation process serves the module from a worker process per generation (issue 11): berthd
then maps no plugin library at all, and the run checks instead that exactly one worker is left
(every old generation's worker stopped and reaped); RSS counts berthd and its workers.
"""
import argparse
import hashlib
import http.client
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time

from berth_bench import admin_token, call, free_port, parse_wrk, start_berthd, stop, wait_until, wrk
from plots import swap_png

PROBE_INTERVAL_S = 0.005
PROBE_MAX_SAMPLES = 500_000  # about 40 minutes of probing: the run's memory stays bounded


def deploy(src, dst):
    tmp = os.path.join(os.path.dirname(dst), "." + os.path.basename(dst) + ".tmp")
    shutil.copyfile(src, tmp)
    os.rename(tmp, dst)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def workers_of(pid):
    """The pids of berthd's children: its modules' worker processes (it starts no other)."""
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(k) for k in f.read().split()]
        except OSError:  # a thread that ended meanwhile
            pass
    return kids


def zombies_of(pid):
    """Children of berthd that ended and were not reaped."""
    found = 0
    for kid in workers_of(pid):
        try:
            with open(f"/proc/{kid}/stat") as f:
                found += f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            pass
    return found


def rss_all_kib(pid):
    """berthd's RSS and its workers' (in-process: berthd's alone)."""
    total = rss_kib(pid)
    for kid in workers_of(pid):
        try:
            total += rss_kib(kid)
        except OSError:  # reaped meanwhile
            pass
    return total


def mapped_plugins(pid):
    paths = set()
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            if "/shadow/" in line and line.rstrip().endswith(".so"):
                paths.add(line.split()[-1])
    return len(paths)


def probe(port, interval, stop_probe, out):
    """Times one GET every `interval` s on one keep-alive connection until told to stop.

    Its own process, so the driver's polling never delays a probe's read (the GIL would).
    Sends [(monotonic start, ms, answered 200)] through `out`.
    """
    samples, conn = [], None
    while not stop_probe.is_set() and len(samples) < PROBE_MAX_SAMPLES:
        t = time.monotonic()
        ok = False
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/v1/version")
            answer = conn.getresponse()
            answer.read()
            ok = answer.status == 200
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        samples.append((t, (time.monotonic() - t) * 1000, ok))
        stop_probe.wait(max(0.0, interval - (time.monotonic() - t)))
    out.send(samples)
    out.close()


class Prober:
    """The probe process: started before the quiet run, stopped after the last swap."""

    def __init__(self, port):
        self.stop_ = multiprocessing.Event()
        self.recv_, send = multiprocessing.Pipe(duplex=False)
        self.proc_ = multiprocessing.Process(target=probe, args=(port, PROBE_INTERVAL_S, self.stop_, send),
                                             daemon=True)
        self.proc_.start()
        send.close()

    def finish(self):
        """Its samples; reads them before joining, since a full pipe would block the probe's exit."""
        self.stop_.set()
        try:
            samples = self.recv_.recv() if self.recv_.poll(30) else []
        except EOFError:
            samples = []
        self.proc_.join(10)
        if self.proc_.is_alive():
            self.proc_.terminate()
        return samples


def write_results(out, lines, run):
    """swap.txt (what was printed), swap.json (the figures and every series) and swap.png."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "swap.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "swap.json"), "w") as f:
        json.dump(run, f)
    png = os.path.join(out, "swap.png")
    try:
        if swap_png(png, run):
            print(f"picture:            {png}")
    except Exception as e:  # a picture is a by-product: its failure never fails the benchmark
        print(f"bench/swap: no picture: {e}", file=sys.stderr)


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--swaps", type=int, default=200)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--isolation", choices=["in-process", "process"], default="in-process")
    ap.add_argument("--out", help="directory for swap.txt, swap.json, swap.png (default BUILD/bench/results)")
    args = ap.parse_args()
    out = args.out or os.path.join(args.build, "bench", "results")

    v1 = os.path.join(args.build, "tests", "plugins", "swap_probe_v1.so")
    v2 = os.path.join(args.build, "tests", "plugins", "swap_probe_v2.so")
    sha = {v1: sha256(v1), v2: sha256(v2)}
    work = tempfile.mkdtemp(prefix="berth-bench-swap-")
    host = prober = None
    try:
        os.makedirs(os.path.join(work, "plugins"))
        library = os.path.join(work, "plugins", "probe.so")
        deploy(v1, library)
        port, admin = free_port(), free_port()
        config = {"admin": {"port": admin}, "data_dir": os.path.join(work, "var"),
                  "threads": {"io": 1, "workers": 2}, "drain_timeout_ms": 30000,
                  "watch": {"debounce_ms": 10, "poll_interval_ms": 1000},
                  "deploy": {"allowed_dirs": [os.path.dirname(library), os.path.dirname(v1)]},
                  "modules": {"probe": {"library": library, "port": port}}}
        if args.isolation == "process":
            config["modules"]["probe"]["isolation"] = "process"
            if os.geteuid() == 0:  # as root berthd refuses a process module without a user
                config["modules"]["probe"]["process"] = {"user": "root"}
        host = start_berthd(args.build, work, config)
        status_url = f"http://127.0.0.1:{admin}/modules/probe"
        var = os.path.join(work, "var")
        status = lambda: call("GET", status_url, token=admin_token(var))[1]
        wait_until(lambda: status()["state"] == "serving")
        url = f"http://127.0.0.1:{port}/v1/version"

        prober = Prober(port)
        t_begin = time.monotonic()
        quiet = wrk(url, 5, args.connections)
        quiet_span = (t_begin, time.monotonic(), quiet["p99"])
        rss_before, maps_before = rss_all_kib(host.pid), mapped_plugins(host.pid)
        workers_before = len(workers_of(host.pid))

        by_file, by_api, failed_swaps = [], [], 0
        swap_marks, rss_series, segments = [], [], []
        totals = {"requests": 0, "non2xx": 0, "socket_errors": 0}
        p99_during = []
        done = 0
        mean_swap = 0.05
        started = time.monotonic()
        while done < args.swaps:
            remaining = args.swaps - done
            segment = max(2, min(10, int(remaining * mean_swap * 1.2) + 1))
            seg_start = time.monotonic()
            load = wrk(url, segment, args.connections, wait=False)
            time.sleep(0.3)
            seg_end = time.monotonic() + segment - 0.6
            while done < args.swaps and time.monotonic() < seg_end:
                target = v2 if done % 2 == 0 else v1
                t0 = time.monotonic()
                swap_marks.append((t0, "file" if done % 4 in (0, 1) else "api"))
                if done % 4 in (0, 1):  # alternate the trigger every second swap, so each hits both targets
                    deploy(target, library)
                    while status()["sha256"] != sha[target]:
                        if time.monotonic() - t0 > 30:
                            failed_swaps += 1
                            break
                        time.sleep(0.001)
                    by_file.append((time.monotonic() - t0) * 1000)
                else:
                    code, body = call("POST", status_url + "/reload", {"library": target}, admin_token(var))
                    if code != 200 or body.get("result") != "swapped":
                        failed_swaps += 1
                    by_api.append((time.monotonic() - t0) * 1000)
                done += 1
                rss_series.append((done, rss_all_kib(host.pid)))
            result = parse_wrk(load.communicate()[0])
            segments.append((seg_start, time.monotonic(), result["p99"]))
            for k in totals:
                totals[k] += result[k]
            p99_during.append(result["p99"])
            mean_swap = (time.monotonic() - started) / max(done, 1)
        samples = prober.finish()
        prober = None

        # Let the last generations drain, then look at memory and mappings.
        for _ in range(600):
            s = status()
            if not s["draining"]:
                break
            time.sleep(0.05)
        s = status()
        # A stopped worker is reaped right after its generation drains: wait for that, bounded.
        wait_until(lambda: len(workers_of(host.pid)) <= 1, 10)
        workers_after, zombies = len(workers_of(host.pid)), zombies_of(host.pid)
        rss_after, maps_after = rss_all_kib(host.pid), mapped_plugins(host.pid)
        all_swaps = by_file + by_api
        during = max(p99_during)

        probe_ms = [ms for _, ms, ok in samples if ok]
        probe_failed = sum(1 for _, _, ok in samples if not ok)
        lines = [
            f"bench/swap: {args.swaps} swaps of swap_probe v1<->v2 under wrk -t1 -c{args.connections}, "
            f"alternating file rename and admin API, isolation {args.isolation}",
            f"requests sent:      {totals['requests']}",
            f"non-2xx:            {totals['non2xx']}",
            f"socket errors:      {totals['socket_errors']}",
            f"failed swaps:       {failed_swaps} (host counters: swaps {s['counters']['swaps']}, "
            f"failures {s['counters']['swap_failures']}, unloaded {s['counters']['unloaded']}, "
            f"retained {s['counters']['retained']})",
            f"swap latency p50/p99: all {pct(all_swaps, 50):.2f}/{pct(all_swaps, 99):.2f} ms, "
            f"file {pct(by_file, 50):.2f}/{pct(by_file, 99):.2f} ms (includes {config['watch']['debounce_ms']} ms debounce), "
            f"api {pct(by_api, 50):.2f}/{pct(by_api, 99):.2f} ms",
            f"request p99:        {during:.3f} ms during swaps (worst segment) vs {quiet['p99']:.3f} ms without "
            f"(p50 without: {quiet['p50']:.3f} ms)",
            f"host RSS:           {rss_before} KiB before, {rss_after} KiB after, growth {rss_after - rss_before} KiB"
            + (" (berthd + its workers)" if args.isolation == "process" else ""),
            f"mapped plugin libs: {maps_before} before, {maps_after} after (in berthd)",
            f"worker processes:   {workers_before} before, {workers_after} after, {zombies} unreaped",
            f"probe requests:     {len(samples)}, failed {probe_failed}, p50/p99 {pct(probe_ms, 50):.3f}/"
            f"{pct(probe_ms, 99):.3f} ms (one every {PROBE_INTERVAL_S * 1000:g} ms beside wrk, for the picture)",
            f"p99 ratio: {during / quiet['p99']:.2f}" if quiet["p99"] else "p99 ratio: n/a",
        ]
        title = (f"bench/swap: {args.swaps} swaps of swap_probe v1<->v2 ({args.isolation}); swap p50/p99 {pct(all_swaps, 50):.1f}/"
                 f"{pct(all_swaps, 99):.1f} ms\nwrk p99 {during:.2f} ms during swaps (worst run) vs "
                 f"{quiet['p99']:.2f} ms without; RSS {rss_before} -> {rss_after} KiB")
        run = {"t0": t_begin, "title": title, "connections": args.connections,
               "probe_interval_ms": PROBE_INTERVAL_S * 1000, "probe": samples, "swaps": swap_marks,
               "quiet": quiet_span, "segments": segments, "rss": rss_series, "rss_before": rss_before,
               "rss_after": rss_after, "swaps_done": done, "summary": lines}
        for line in lines[:-1]:
            print(line)
        write_results(out, lines, run)
        print(lines[-1])
        # In-process berthd maps the active build alone; in process mode it maps none, and one worker is left.
        if args.isolation == "in-process":
            placed = maps_after == 1 and workers_after == 0
        else:
            placed = maps_after == 0 and workers_after == 1 and zombies == 0
        ok = (totals["non2xx"] == 0 and totals["socket_errors"] == 0 and failed_swaps == 0 and placed
              and probe_failed == 0)
        return 0 if ok else 1
    finally:
        if prober is not None:
            prober.finish()
        stop(host)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
