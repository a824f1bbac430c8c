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
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from berth_bench import call, free_port, operator_token, start_berthd, stop, wait_until, wrk


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
        host = start_berthd(args.build, work, {"admin": {"port": ports["admin"]}, "data_dir": os.path.join(work, "var"),
                                               "threads": {"io": 1, "workers": args.workers}, "modules": plugins})
        base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        wait_until(lambda: call("GET", base["admin"] + "/healthz")[1]["serving"] == 4)

        def login(email, password):
            call("POST", base["users"] + "/v1/users", {"email": email, "password": password, "name": "Bench"})
            return call("POST", base["users"] + "/v1/sessions", {"email": email, "password": password})[1]["token"]
        admin = operator_token(base["admin"], os.path.join(work, "var"), "catalog:write")
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
        stop(host)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
