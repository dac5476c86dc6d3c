#!/usr/bin/env python3
"""Benchmark peer: the timelapse scripts' status writer module ("Layer 1: Status File", programs/status_writer.py),
as the seed writes it: every program read-modify-writes ONE JSON file through a SHARED temp name.

The module part below is the seed's code unchanged, except that STATUS_FILE can be pointed elsewhere
with $EW_PEER_STATUS_FILE so that benchmark runs do not touch /tmp/timelapse_status.json.

Driver (not part of the seed): seed_rmw_writer.py WRITER N [START_AT_MS] [unique|count]
  N updates; "unique" (default): update i adds the key u_WRITER_i; "count": update i sets c_WRITER = i.
  Waits until START_AT_MS (epoch ms) first so that all writers of a run start together.
  Prints "<microseconds per update> <updates that raised>".
"""

# --- timelapse-script, programs/status_writer.py -------------------------------------------------------------
import json
import os
import time
import shutil  # noqa: F401  (imported by the seed's module)

STATUS_FILE = os.environ.get("EW_PEER_STATUS_FILE", "/tmp/timelapse_status.json")


def read_status():
    """Read current status, return empty dict if missing."""
    try:
        with open(STATUS_FILE, "r") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def update_status(**fields):
    """Merge fields into status file. Atomic write via rename."""
    status = read_status()
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(status.get(key), dict):
            status[key].update(value)
        else:
            status[key] = value
    status["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")

    tmp = STATUS_FILE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(status, f, indent=2)
    os.rename(tmp, STATUS_FILE)


# --- benchmark driver ----------------------------------------------------------------------------------
if __name__ == "__main__":
    import sys

    writer, n = sys.argv[1], int(sys.argv[2])
    count = len(sys.argv) > 4 and sys.argv[4] == "count"
    if len(sys.argv) > 3:
        delay = int(sys.argv[3]) / 1000.0 - time.time()
        if delay > 0:
            time.sleep(delay)
    errors = 0
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        try:
            if count:
                update_status(**{"c_" + writer: i})
            else:
                update_status(**{"u_%s_%d" % (writer, i): 1})
        except Exception:  # e.g. another writer renamed the shared temp file away first
            errors += 1
    print("%.1f %d" % ((time.perf_counter() - t0) * 1e6 / n, errors))
