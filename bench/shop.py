#!/usr/bin/python3
"""bench/shop driver, run by bench/shop (which builds first).

Starts berthd with the four shop modules, creates a product with plenty of stock, then:
  - product reads: wrk GET /v1/products/{id};
  - checkouts: wrk POST /v1/checkouts, a fresh Idempotency-Key per request (bench/checkout.lua);
  - baseline: the same number of checkouts' SQLite write transactions done directly through
    SOCI with the same settings (bench/soci_baseline.cpp), with as many threads as the host has
    workers.
Prints each figure and, last, "ratio: <berth checkouts/s / baseline checkouts/s>".
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(method, url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def parse_wrk(out):
    def ms(text):
        m = re.match(r"([\d.]+)(us|ms|s)", text)
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    for pct, key in (("50%", "p50"), ("99%", "p99")):
        m = re.search(rf"^\s*{pct}\s+(\S+)", out, re.M)
        r[key] = ms(m.group(1)) if m else 0.0
    return r


def wrk(url, seconds, connections, script=None, env=None):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env).stdout
    return parse_wrk(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="berth-bench-shop-")
    host = None
    try:
        ports = {name: free_port() for name in ("admin", "users", "products", "categories", "payment")}
        plugins = {name: {"library": os.path.join(args.build, "plugins", name + ".so"), "port": ports[name]}
                   for name in ("users", "products", "categories", "payment")}
        plugins["users"]["settings"] = {"admins": ["bench-admin@shop.example"]}
        config = {"admin": {"port": ports["admin"]}, "data_dir": os.path.join(work, "var"),
                  "threads": {"io": 1, "workers": args.workers}, "plugins": plugins}
        with open(os.path.join(work, "berth.json"), "w") as f:
            json.dump(config, f)
        host = subprocess.Popen([os.path.join(args.build, "host", "berthd"), "--config", os.path.join(work, "berth.json"),
                                 "--log-level", "warn"], stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(work, "berthd.log"), "w"))
        base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for _ in range(200):
            try:
                if call("GET", base["admin"] + "/healthz")[1]["serving"] == 4:
                    break
            except OSError:
                pass
            time.sleep(0.05)

        def login(email, password):
            call("POST", base["users"] + "/v1/users", {"email": email, "password": password, "name": "Bench"})
            return call("POST", base["users"] + "/v1/sessions", {"email": email, "password": password})[1]["token"]
        admin = login("bench-admin@shop.example", "bench password")
        buyer = login("bench-buyer@shop.example", "bench password")
        _, cat = call("POST", base["categories"] + "/v1/categories", {"name": "Bench"}, admin)
        _, prod = call("POST", base["products"] + "/v1/products",
                       {"sku": "BENCH-1", "name": "Bench lamp", "price_cents": 1000, "currency": "EUR",
                        "category_id": cat["id"]}, admin)
        call("POST", base["products"] + f"/v1/products/{prod['id']}/restock", {"quantity": 1000000}, admin)

        reads = wrk(f"{base['products']}/v1/products/{prod['id']}", args.duration, args.connections)
        env = dict(os.environ, BERTH_TOKEN=buyer, BERTH_PRODUCT=str(prod["id"]), BERTH_KEY_PREFIX="bench-")
        checkouts = wrk(f"{base['payment']}/v1/checkouts", args.duration, args.connections,
                        script=os.path.join(args.source, "bench", "checkout.lua"), env=env)
        done = checkouts["requests"] - checkouts["non2xx"]
        # wrk stops counting at its deadline; checkouts it had in flight still finish on the host.
        import sqlite3
        db = sqlite3.connect(os.path.join(work, "var", "payment.db"), timeout=30)
        captured, previous = -1, -2
        while captured != previous:
            previous = captured
            time.sleep(0.5)
            captured = db.execute("SELECT COUNT(*) FROM payments WHERE status = 'captured'").fetchone()[0]
        db.close()
        _, after = call("GET", base["products"] + f"/v1/products/{prod['id']}")
        taken = 1000000 - after["stock"]

        baseline_dir = os.path.join(work, "baseline")
        os.makedirs(baseline_dir)
        out = subprocess.run([os.path.join(args.build, "bench", "berth_soci_baseline"), baseline_dir,
                              str(max(done, 1)), str(args.workers)], capture_output=True, text=True).stdout
        m = re.search(r"checkouts (\d+) seconds ([\d.e+-]+) rate ([\d.e+-]+)", out)
        baseline_rate = float(m.group(3)) if m else 0.0
        berth_rate = done / args.duration

        print(f"bench/shop: wrk -t1 -c{args.connections} -d{args.duration}s, berthd with {args.workers} workers")
        print(f"product reads:  {reads['rps']:.0f} req/s  p50 {reads['p50']:.3f} ms  p99 {reads['p99']:.3f} ms  "
              f"(non-2xx {reads['non2xx']})")
        print(f"checkouts:      {berth_rate:.0f} /s  p50 {checkouts['p50']:.3f} ms  p99 {checkouts['p99']:.3f} ms  "
              f"({done} answered 201, non-2xx {checkouts['non2xx']}; payments captured {captured}, stock taken {taken})")
        print(f"baseline:       {baseline_rate:.0f} /s  ({max(done, 1)} checkouts' SQLite write transactions through "
              f"SOCI, {args.workers} threads, same pragmas)")
        print(f"ratio: {berth_rate / baseline_rate:.3f}" if baseline_rate else "ratio: n/a")
        return 0 if checkouts["non2xx"] == 0 and captured == taken and captured >= done else 1
    finally:
        if host:
            host.terminate()
            host.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
