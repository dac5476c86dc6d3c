#!/usr/bin/env python3
"""edgewatch status protocol v1 client for Python programs (stdlib only, Python 3.7+).

Copy this one file next to your program (or put it on PYTHONPATH) and::

    import edgewatch_status as ew
    ew.update_status("scheduler", {"today": {"expected_photos": 750}})
    ew.update_status("scheduler", status="waiting")          # keyword form, like seed 000's update_status(**fields)
    ew.emit_event("scheduler", "error", "sunrise lookup failed", code="SCH-002", fields={"attempt": 3})
    ew.heartbeat("scheduler")
    ew.set_metric("recorder", "recorder_upload_queue_size", 4)                       # a gauge
    ew.set_metric("recorder", "uploads", 41, labels={"result": "ok"}, type="counter", help="Uploads by result")

Rules (the same as the TypeScript library, src/protocol/ — see docs/protocol.md):

* status dir: the ``dir`` argument, else ``$EDGEWATCH_DIR`` (when not empty), else ``/run/edgewatch``;
* each program owns ``status.d/<source>.json``, ``<source>`` matching ``[a-z0-9][a-z0-9_-]{0,63}``;
* ``update_status`` reads the program's own fragment, deep-merges (objects recursively, any other
  value replaced), stamps ``updated_at`` (ISO 8601 UTC with milliseconds) and replaces the file
  whole: a dot-named temp file in the same folder, then ``rename()``. Readers never see half a file
  and no other program writes this file, so no lock is needed;
* ``heartbeat`` touches the fragment's mtime (creating ``{"updated_at": ...}`` when it is missing);
* ``emit_event`` writes ``events/tmp/<name>`` then renames it into ``events/new/`` (a maildir);
* a fragment is at most 1 MiB, an event at most 64 KiB;
* the reserved key ``metrics`` holds the program's own Prometheus metrics: name → number, or
  ``{"type": "gauge"|"counter", "help": ..., "samples": [{"labels": {...}, "value": N}]}``; names and
  labels follow Prometheus' rules, ``edgewatch_`` names and the labels ``device``/``site`` are reserved.

Several threads of one process may call these functions: fragment updates are serialised by a lock.
Two *processes* must not write the same source.

Command line (exit 0 ok, 1 failed, 2 bad usage)::

    python3 edgewatch_status.py set [-s SOURCE] [-d DIR] key.path=value ...
    python3 edgewatch_status.py event [-s SOURCE] [-d DIR] [--code C] [-f k=v ...] LEVEL MESSAGE
    python3 edgewatch_status.py heartbeat [-d DIR] SOURCE
    python3 edgewatch_status.py metric [-s SOURCE] [-d DIR] [--type gauge|counter] [--help-text H] NAME VALUE [label=value ...]
"""

import binascii
import datetime
import json
import os
import re
import sys
import threading
import time as _time

__all__ = [
    "EdgewatchError",
    "update_status",
    "write_fragment",
    "read_fragment",
    "heartbeat",
    "emit_event",
    "set_metric",
    "status_dir",
    "deep_merge",
    "SOURCE_RE",
    "STATUSES",
    "LEVELS",
]

DEFAULT_STATUS_DIR = "/run/edgewatch"
SOURCE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
STATUSES = ("idle", "waiting", "capturing", "creating_video", "backing_up", "uploading", "error")
LEVELS = ("debug", "info", "warning", "error", "critical")
MAX_FRAGMENT_BYTES = 1024 * 1024
MAX_EVENT_BYTES = 64 * 1024
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?")
_KEY_RE = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
METRIC_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_LABEL_RE = METRIC_NAME_RE
_FAMILY_KEYS = ("type", "help", "samples")

_lock = threading.RLock()
_seq = 0


class EdgewatchError(Exception):
    """Every failure carries a stable ``code`` (EW_...), the same codes as the TypeScript library."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


def _describe(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean %s" % ("true" if value else "false")
    if isinstance(value, (list, tuple)):
        return "an array of %d" % len(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        s = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(s, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return "number %s" % value
    return type(value).__name__


def _check_source(source):
    if not isinstance(source, str) or not SOURCE_RE.fullmatch(source):
        raise EdgewatchError(
            "EW_BAD_SOURCE",
            'source name: expected [a-z0-9][a-z0-9_-]{0,63} (e.g. "timelapse"), got %s' % _describe(source),
        )
    return source


def _check_level(level):
    if not isinstance(level, str) or level not in LEVELS:
        raise EdgewatchError("EW_BAD_LEVEL", "level: expected one of %s, got %s" % ("|".join(LEVELS), _describe(level)))
    return level


def _valid_time(v):
    if not isinstance(v, str) or not _TIME_RE.fullmatch(v):
        return False
    try:
        datetime.date(int(v[0:4]), int(v[5:7]), int(v[8:10]))
    except ValueError:
        return False
    return True


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v not in (float("inf"), float("-inf"))


def _check_metric_name(name):
    if not isinstance(name, str) or not METRIC_NAME_RE.fullmatch(name):
        return "name %s: expected [a-zA-Z_][a-zA-Z0-9_]*" % _describe(name)
    if name.startswith("__"):
        return 'name %s: names starting with "__" are reserved' % _describe(name)
    if name.startswith("edgewatch_"):
        return 'name %s: the "edgewatch_" prefix is reserved for the agent\'s own metrics' % _describe(name)
    return None


def _check_labels(labels):
    if not isinstance(labels, dict):
        return '"labels": expected an object of strings, got %s' % _describe(labels)
    if len(labels) > 16:
        return '"labels": expected at most 16 labels, got %d' % len(labels)
    for k, v in labels.items():
        if not _LABEL_RE.fullmatch(k) or k.startswith("__"):
            return 'label name %s: expected [a-zA-Z_][a-zA-Z0-9_]* not starting with "__"' % _describe(k)
        if k in ("device", "site"):
            return "label %s: reserved, the agent adds device and site itself" % _describe(k)
        if not isinstance(v, str):
            return "label %s: expected a string value, got %s" % (_describe(k), _describe(v))
        if len(v) > 1024:
            return "label %s: value over 1024 characters" % _describe(k)
    return None


def _check_family(name, v):
    bad = _check_metric_name(name)
    if bad:
        return bad
    if _number(v):
        return None
    if not isinstance(v, dict):
        return "%s: expected a number or {type, help, samples}, got %s" % (name, _describe(v))
    for k in v:
        if k not in _FAMILY_KEYS:
            return "%s: unknown key %s (expected type, help, samples)" % (name, _describe(k))
    mtype = v.get("type", "gauge")
    if mtype not in ("gauge", "counter"):
        return '%s: "type": expected "gauge" or "counter", got %s' % (name, _describe(mtype))
    if "help" in v and (not isinstance(v["help"], str) or len(v["help"]) > 1024):
        return '%s: "help": expected a string of at most 1024 characters, got %s' % (name, _describe(v["help"]))
    samples = v.get("samples")
    if not isinstance(samples, list):
        return '%s: "samples": expected a list of {labels, value}, got %s' % (name, _describe(samples))
    if len(samples) > 500:
        return '%s: "samples": expected at most 500, got %d' % (name, len(samples))
    seen = set()
    for i, smp in enumerate(samples):
        where = "%s: samples[%d]" % (name, i)
        if not isinstance(smp, dict):
            return "%s: expected {labels, value}, got %s" % (where, _describe(smp))
        for k in smp:
            if k not in ("labels", "value"):
                return "%s: unknown key %s" % (where, _describe(k))
        if not _number(smp.get("value")):
            return '%s."value": expected a finite number, got %s' % (where, _describe(smp.get("value")))
        if mtype == "counter" and smp["value"] < 0:
            return "%s: a counter cannot be negative, got %s" % (where, smp["value"])
        labels = smp.get("labels", {})
        problem = _check_labels(labels)
        if problem:
            return "%s: %s" % (where, problem)
        key = tuple(sorted(labels.items()))
        if key in seen:
            return "%s: the same labels appear twice" % where
        seen.add(key)
    return None


def _check_metrics(value):
    """Why a ``metrics`` value is not acceptable, or None (same rules as src/protocol/metrics.ts)."""
    if not isinstance(value, dict):
        return "expected an object of metric name → number or family, got %s" % _describe(value)
    if len(value) > 200:
        return "expected at most 200 metrics, got %d" % len(value)
    stems = set()
    for name, fam in value.items():
        problem = _check_family(name, fam)
        if problem:
            return problem
        stem = name[:-6] if name.endswith("_total") else name
        if stem in stems:
            return '%s: collides with another metric of the same name with or without "_total"' % name
        stems.add(stem)
    return None


def _check_fragment_value(value):
    """Why a fragment is not acceptable, or None (same rules as checkFragmentValue in fragment.ts)."""
    if not isinstance(value, dict):
        return "expected a JSON object, got %s" % _describe(value)
    if "status" in value and not (isinstance(value["status"], str) and value["status"] in STATUSES):
        return 'reserved key "status": expected one of %s, got %s' % ("|".join(STATUSES), _describe(value["status"]))
    if "updated_at" in value and not _valid_time(value["updated_at"]):
        return 'reserved key "updated_at": expected an ISO 8601 time, got %s' % _describe(value["updated_at"])
    if "metrics" in value:
        problem = _check_metrics(value["metrics"])
        if problem:
            return 'reserved key "metrics": %s' % problem
    return None


def status_dir(dir=None):
    """The status directory: ``dir``, else ``$EDGEWATCH_DIR`` when set and not empty, else ``/run/edgewatch``."""
    if dir is not None:
        return dir
    return os.environ.get("EDGEWATCH_DIR") or DEFAULT_STATUS_DIR


def _now_iso():
    """ISO 8601 UTC with milliseconds, exactly like JavaScript's Date.prototype.toISOString()."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def _dumps(value):
    """Compact JSON as UTF-8 bytes. NaN/Infinity are refused (JSON has none)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as err:
        raise EdgewatchError("EW_NOT_JSON", "expected JSON values (dict, list, str, int, float, bool, None): %s" % err)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate cannot be UTF-8: escape it as \\uXXXX, as JSON.stringify does.
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode("ascii")


def deep_merge(base, patch):
    """Objects merge recursively, any other value in ``patch`` replaces. Returns a new dict."""
    out = dict(base)
    for k, v in patch.items():
        prev = out.get(k)
        out[k] = deep_merge(prev, v) if isinstance(v, dict) and isinstance(prev, dict) else v
    return out


def _fragment_path(source, dir=None):
    return os.path.join(status_dir(dir), "status.d", source + ".json")


def _write_atomic(path, data):
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, ".%s.%d.%s.tmp" % (name, os.getpid(), binascii.hexlify(os.urandom(3)).decode()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _parse_json_bytes(buf):
    return json.loads(buf.decode("utf-8"), parse_constant=_reject_constant)


def read_fragment(source, dir=None):
    """This source's own fragment as a dict; {} when it is missing or not a valid fragment."""
    _check_source(source)
    path = _fragment_path(source, dir)
    try:
        with open(path, "rb") as f:
            # Check the size first: read(MAX + 1) would allocate a 1 MiB buffer on every update.
            if os.fstat(f.fileno()).st_size > MAX_FRAGMENT_BYTES:
                return {}
            buf = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as err:
        raise EdgewatchError("EW_STATUS_READ", "cannot read %s: %s" % (path, err.strerror or err))
    if len(buf) > MAX_FRAGMENT_BYTES:
        return {}
    try:
        value = _parse_json_bytes(buf)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return {}
    return value if _check_fragment_value(value) is None else {}


def write_fragment(source, data, dir=None):
    """Replace this source's fragment whole with ``data`` (a dict), atomically."""
    _check_source(source)
    problem = _check_fragment_value(data)
    if problem:
        raise EdgewatchError("EW_FRAGMENT_INVALID", "%s: %s" % (source, problem))
    body = _dumps(data)
    if len(body) > MAX_FRAGMENT_BYTES:
        raise EdgewatchError("EW_FRAGMENT_TOO_BIG", "%s: fragment would be over the 1 MiB limit" % source)
    folder = os.path.join(status_dir(dir), "status.d")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        raise EdgewatchError("EW_STATUS_DIR", "cannot create status directory %s: %s" % (folder, err.strerror or err))
    path = os.path.join(folder, source + ".json")
    try:
        _write_atomic(path, body)
    except OSError as err:
        raise EdgewatchError("EW_STATUS_WRITE", "cannot write %s: %s" % (path, err.strerror or err))


def update_status(source, partial=None, dir=None, **fields):
    """Deep-merge ``partial`` (and/or keyword fields) into this source's fragment; stamp ``updated_at``.

    Returns the new fragment. Raises EdgewatchError (e.g. ``status="bogus"``) and changes nothing then.
    """
    _check_source(source)
    if partial is None:
        partial = {}
    if not isinstance(partial, dict):
        raise EdgewatchError("EW_FRAGMENT_INVALID", "%s: expected an object to merge, got %s" % (source, _describe(partial)))
    if fields:
        partial = deep_merge(partial, fields)
    with _lock:
        nxt = deep_merge(read_fragment(source, dir), partial)
        nxt["updated_at"] = _now_iso()
        write_fragment(source, nxt, dir)
    return nxt


def set_metric(source, name, value, labels=None, type=None, help=None, dir=None):
    """Set one sample of one of this program's own Prometheus metrics (the fragment's ``metrics`` key).

    Without labels, type or help the metric is a bare number (a gauge). Otherwise the sample with the
    same labels is replaced and the others of that metric are kept. Raises EdgewatchError on a bad
    name, label or value (``edgewatch_`` names and the labels device/site are reserved); nothing is
    written then. Returns the new fragment.
    """
    _check_source(source)
    with _lock:
        frag = read_fragment(source, dir)
        metrics = dict(frag.get("metrics")) if isinstance(frag.get("metrics"), dict) else {}
        if labels is None and type is None and help is None:
            metrics[name] = value
        else:
            prev = metrics.get(name) if isinstance(metrics.get(name), dict) else {}
            labels = dict(labels or {})
            samples = [s for s in prev.get("samples", []) if isinstance(s, dict) and s.get("labels", {}) != labels]
            fam = {"type": type or prev.get("type", "gauge"), "samples": samples + [{"labels": labels, "value": value}]}
            if help is not None or "help" in prev:
                fam["help"] = help if help is not None else prev["help"]
            metrics[name] = fam
        frag["metrics"] = metrics
        frag["updated_at"] = _now_iso()
        write_fragment(source, frag, dir)
    return frag


def heartbeat(source, dir=None):
    """Say "I am alive": bump the fragment's mtime (create it when missing). No field changes."""
    _check_source(source)
    path = _fragment_path(source, dir)
    with _lock:
        try:
            os.utime(path, None)
        except FileNotFoundError:
            write_fragment(source, {"updated_at": _now_iso()}, dir)
        except OSError as err:
            raise EdgewatchError("EW_STATUS_WRITE", "cannot touch %s: %s" % (path, err.strerror or err))


def _event_file_name():
    global _seq
    with _lock:
        _seq = (_seq + 1) % 1000000
        seq = _seq
    ms = int(_time.time() * 1000)
    return "%013d-%d-%06d-%s.json" % (ms, os.getpid(), seq, binascii.hexlify(os.urandom(3)).decode())


def emit_event(source, level, message, code=None, fields=None, time=None, dir=None):
    """Record an event for the agent (maildir: events/tmp/<name> renamed into events/new/).

    ``level`` is one of debug|info|warning|error|critical; ``time`` (ISO 8601) defaults to now.
    Returns the event as written.
    """
    _check_source(source)
    _check_level(level)
    if not isinstance(message, str) or message == "":
        raise EdgewatchError("EW_EVENT_INVALID", '"message": expected a non-empty string, got %s' % _describe(message))
    if code is not None and not isinstance(code, str):
        raise EdgewatchError("EW_EVENT_INVALID", '"code": expected a string, got %s' % _describe(code))
    if fields is not None and not isinstance(fields, dict):
        raise EdgewatchError("EW_EVENT_INVALID", '"fields": expected an object, got %s' % _describe(fields))
    if time is not None and not _valid_time(time):
        raise EdgewatchError("EW_EVENT_INVALID", '"time": expected an ISO 8601 time, got %s' % _describe(time))
    ev = {"time": time if time is not None else _now_iso(), "level": level, "source": source, "message": message}
    if code is not None:
        ev["code"] = code
    if fields is not None:
        ev["fields"] = fields
    body = _dumps(ev)
    if len(body) > MAX_EVENT_BYTES:
        raise EdgewatchError("EW_EVENT_TOO_BIG", "event would be %d bytes, over the 64 KiB limit" % len(body))
    base = status_dir(dir)
    tmp_dir = os.path.join(base, "events", "tmp")
    new_dir = os.path.join(base, "events", "new")
    name = _event_file_name()
    try:
        os.makedirs(tmp_dir, exist_ok=True)
        os.makedirs(new_dir, exist_ok=True)
        fd = os.open(os.path.join(tmp_dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.rename(os.path.join(tmp_dir, name), os.path.join(new_dir, name))
    except OSError as err:
        try:
            os.unlink(os.path.join(tmp_dir, name))
        except OSError:
            pass
        raise EdgewatchError("EW_EVENT_WRITE", "cannot write event to %s: %s" % (new_dir, err.strerror or err))
    return ev


# ---------------------------------------------------------------------------------------------------
# Command line


_USAGE = """Usage:
  edgewatch_status.py set [-s SOURCE] [-d DIR] key.path=value ...
  edgewatch_status.py event [-s SOURCE] [-d DIR] [--code C] [-f k=v ...] LEVEL MESSAGE
  edgewatch_status.py heartbeat [-d DIR] SOURCE
  edgewatch_status.py metric [-s SOURCE] [-d DIR] [--type gauge|counter] [--help-text H] NAME VALUE [label=value ...]

set        deep-merges the values into SOURCE's fragment (default source: "cli").
           A value is parsed as JSON when it parses (42, true, {"a":1}, "\\"quoted\\""), else kept as a string.
event      records an event; LEVEL is one of debug, info, warning, error, critical.
heartbeat  bumps SOURCE's fragment mtime (creates the fragment when missing).
metric     sets one sample of SOURCE's own Prometheus metric NAME (the fragment's "metrics" key);
           the sample with the same labels is replaced, the others are kept.

Options:
  -s, --source S   the writing program's name ([a-z0-9][a-z0-9_-]{0,63})
  -d, --dir DIR    status directory (default: $EDGEWATCH_DIR, else /run/edgewatch)
      --code C     event code, e.g. CAP-001
  -f, --field k=v  event field (repeatable); v is JSON when it parses
      --type T     metric type: gauge (default) or counter
      --help-text H  the metric's HELP text
  -h, --help       this help
Exit status: 0 ok, 1 failed (e.g. cannot write), 2 bad usage."""


class _Usage(Exception):
    pass


def _parse_assignment(arg):
    eq = arg.find("=")
    if eq <= 0:
        raise _Usage("expected key.path=value, got %s" % json.dumps(arg, ensure_ascii=False))
    key, text = arg[:eq], arg[eq + 1 :]
    if not _KEY_RE.fullmatch(key):
        raise _Usage(
            "expected a key path of letters, digits, _ and - joined by dots, got %s" % json.dumps(key, ensure_ascii=False)
        )
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        value = text
    return key, value


def _set_path(target, path, value):
    keys = path.split(".")
    cur = target
    for k in keys[:-1]:
        if not isinstance(cur.get(k), dict):
            cur[k] = {}
        cur = cur[k]
    cur[keys[-1]] = value


def _parse_args(argv, with_values):
    """Tiny strict option parser: returns (options, positionals)."""
    opts = {"source": "cli", "dir": None, "code": None, "field": [], "type": None, "help": None}
    names = {"-s": "source", "--source": "source", "-d": "dir", "--dir": "dir", "--code": "code", "-f": "field", "--field": "field"}
    names.update({"--type": "type", "--help-text": "help"})
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            pos.extend(argv[i + 1 :])
            break
        key, inline = a, None
        if a.startswith("--") and "=" in a:
            key, inline = a.split("=", 1)
        if key in names and names[key] in with_values:
            if inline is None:
                i += 1
                if i >= len(argv):
                    raise _Usage("option %s: expected a value, got nothing" % key)
                inline = argv[i]
            name = names[key]
            if name == "field":
                opts["field"].append(inline)
            else:
                opts[name] = inline
        elif a.startswith("-") and a != "-":
            raise _Usage("unknown option %s" % a)
        else:
            pos.append(a)
        i += 1
    return opts, pos


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help") or "-h" in argv or "--help" in argv:
        print(_USAGE)
        return 0 if argv else 2
    verb, rest = argv[0], argv[1:]
    try:
        if verb == "set":
            opts, pos = _parse_args(rest, ("source", "dir"))
            if not pos:
                raise _Usage("set: expected at least one key.path=value")
            patch = {}
            for a in pos:
                k, v = _parse_assignment(a)
                _set_path(patch, k, v)
            update_status(opts["source"], patch, dir=opts["dir"])
        elif verb == "event":
            opts, pos = _parse_args(rest, ("source", "dir", "code", "field"))
            if len(pos) != 2:
                raise _Usage("event: expected LEVEL and MESSAGE, got %d argument%s" % (len(pos), "" if len(pos) == 1 else "s"))
            level, message = pos
            try:
                _check_level(level)
            except EdgewatchError as err:
                raise _Usage(str(err))
            if message == "":
                raise _Usage("MESSAGE: expected a non-empty message")
            fields = None
            for f in opts["field"]:
                k, v = _parse_assignment(f)
                fields = fields if fields is not None else {}
                fields[k] = v
            emit_event(opts["source"], level, message, code=opts["code"], fields=fields, dir=opts["dir"])
        elif verb == "metric":
            opts, pos = _parse_args(rest, ("source", "dir", "type", "help"))
            if len(pos) < 2:
                raise _Usage("metric: expected NAME VALUE [label=value ...]")
            name, text = pos[0], pos[1]
            try:
                value = json.loads(text, parse_constant=_reject_constant)
            except ValueError:
                value = None
            if not _number(value):
                raise _Usage("metric VALUE: expected a number, got %s" % json.dumps(text, ensure_ascii=False))
            labels = {}
            for a in pos[2:]:
                eq = a.find("=")
                if eq <= 0:
                    raise _Usage("expected label=value, got %s" % json.dumps(a, ensure_ascii=False))
                labels[a[:eq]] = a[eq + 1 :]
            problem = _check_family(name, {"type": opts["type"] or "gauge", "samples": [{"labels": labels, "value": value}]})
            if problem:
                raise _Usage(problem)
            plain = not labels and opts["type"] is None and opts["help"] is None
            set_metric(
                opts["source"], name, value, labels=None if plain else labels, type=opts["type"], help=opts["help"], dir=opts["dir"]
            )
        elif verb == "heartbeat":
            opts, pos = _parse_args(rest, ("dir",))
            if len(pos) != 1:
                raise _Usage("heartbeat: expected one SOURCE, got %d" % len(pos))
            heartbeat(pos[0], dir=opts["dir"])
        else:
            raise _Usage('expected "set", "event", "heartbeat" or "metric", got %s' % json.dumps(verb, ensure_ascii=False))
    except _Usage as err:
        sys.stderr.write("edgewatch_status: %s\n\n%s\n" % (err, _USAGE))
        return 2
    except EdgewatchError as err:
        sys.stderr.write("edgewatch_status %s: %s [%s]\n" % (verb, err, err.code))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
