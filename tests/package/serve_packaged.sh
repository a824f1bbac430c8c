#!/usr/bin/env bash
# The packaged berthd serves the packaged plugins (tests/package/deb_test.cmake): started from the
# unpacked root, waited for until its stdout says ready with four modules serving (60 s at most,
# a bound, not a schedule), each module's /healthz and the admin's asked once, then SIGTERM: it
# must exit 0. Usage: serve_packaged.sh BERTHD CONFIG WORK_DIR
set -euo pipefail
berthd=$1 config=$2 work=$3
out=$work/serve.out
err=$work/serve.err

"$berthd" --config "$config" >"$out" 2>"$err" &
pid=$!
fail() {
  echo "serve_packaged: $*" >&2
  echo "--- berthd stdout" >&2; cat "$out" >&2
  echo "--- berthd stderr" >&2; tail -n 40 "$err" >&2
  kill -KILL "$pid" 2>/dev/null || true
  exit 1
}

# Ready once the banner is out: "berthd <version> ready", the admin line, one line a module.
modules=()
deadline=$((SECONDS + 60))
while :; do
  kill -0 "$pid" 2>/dev/null || fail "berthd exited before it was ready"
  if grep -q ' ready$' "$out"; then
    mapfile -t modules < <(grep -oE 'http://127\.0\.0\.1:[0-9]+  serving 1\.0\.0$' "$out" | cut -d' ' -f1)
    [ "${#modules[@]}" -eq 4 ] && break
  fi
  [ "$SECONDS" -lt "$deadline" ] || fail "not ready with 4 modules serving within 60 s"
  sleep 0.1
done
admin=$(grep -oE '^  admin +http://127\.0\.0\.1:[0-9]+' "$out" | grep -oE 'http://.*') || fail "no admin URL"

for url in "$admin" "${modules[@]}"; do
  curl -fsS --max-time 10 -o /dev/null "$url/healthz" || fail "GET $url/healthz failed"
done

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || fail "berthd exited $rc on SIGTERM"
echo "served ${#modules[@]} modules and the admin API, stopped with 0"
