"""Helpers shared by the bench/*.py drivers: ports, a berthd child, JSON over HTTP, wrk output."""
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(method, url, body=None, token=None, timeout=60):
    """(status, parsed JSON body) for one request; HTTP errors are answers, not exceptions."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def start_berthd(build, work, config):
    """Writes config into work/berth.json and starts berthd on it; logs go to work/berthd.log."""
    path = os.path.join(work, "berth.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return subprocess.Popen([os.path.join(build, "host", "berthd"), "--config", path, "--log-level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "berthd.log"), "w"))


def admin_token(data_dir):
    """The admin API's bearer token, as an operator reads it from <data_dir>/admin.token."""
    with open(os.path.join(data_dir, "admin.token")) as f:
        return f.read().strip()


def operator_token(admin_url, data_dir, scope):
    """A token with `scope` for an operator, minted through the admin API (POST /tokens)."""
    code, body = call("POST", admin_url + "/tokens", {"subject": "bench-operator", "scope": scope},
                      admin_token(data_dir))
    if code != 201:
        raise RuntimeError(f"POST /tokens answered {code}: {body}")
    return body["token"]


def wait_until(ready, seconds=10):
    """Polls ready() (connection errors count as not yet) until it is true or time runs out."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            if ready():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def stop(host):
    if host:
        host.terminate()
        host.wait(timeout=30)


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def parse_wrk(out):
    """rps, requests, non2xx, socket_errors, p50 and p99 (ms) from `wrk --latency` output."""
    r = {"rps": 0.0, "requests": 0, "non2xx": 0, "socket_errors": 0, "p50": 0.0, "p99": 0.0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    r["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    for pct, key in (("50%", "p50"), ("99%", "p99")):
        m = re.search(rf"^\s*{pct}\s+(\S+)", out, re.M)
        r[key] = _ms(m.group(1)) if m else 0.0
    return r


def wrk(url, seconds, connections, script=None, env=None, wait=True):
    """Runs wrk -t1; returns parse_wrk's dict, or the running Popen when wait is False."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    p = subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return parse_wrk(p.communicate()[0]) if wait else p
