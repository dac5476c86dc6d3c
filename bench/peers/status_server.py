#!/usr/bin/env python3
"""The timelapse scripts' status server (Layer 2 + its /metrics), Python stdlib only, as a benchmark peer.

Exactly the seed's handlers, on ThreadingHTTPServer (one thread per request, the stdlib's
default listen backlog of 5). Usage: status_server.py PORT STATUS_FILE
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
STATUS_FILE = sys.argv[2]
STARTED = time.time()


def read_status_file():
    try:
        with open(STATUS_FILE, "r") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


class StatusHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            self._json_response({"status": "ok", "uptime_seconds": int(time.time() - STARTED)})
        elif self.path == "/status":
            self._serve_file(STATUS_FILE, "application/json")
        elif self.path == "/metrics":
            self._prometheus_metrics()
        else:
            self.send_error(404)

    def _json_response(self, data):
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", len(body))
        self.end_headers()
        self.wfile.write(body)

    def _serve_file(self, path, content_type):
        try:
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", len(data))
            self.end_headers()
            self.wfile.write(data)
        except FileNotFoundError:
            self.send_error(404)

    def _prometheus_metrics(self):
        status = read_status_file()
        device = status.get("device_id", "unknown")
        lines = []

        def gauge(name, value, help_text=""):
            if value is not None:
                lines.append(f"# HELP {name} {help_text}")
                lines.append(f"# TYPE {name} gauge")
                lines.append(f'{name}{{device="{device}"}} {value}')

        gauge("timelapse_disk_usage_percent", status.get("disk_percent"), "Disk usage percentage")
        gauge("timelapse_disk_free_bytes", status.get("disk_free_bytes"), "Free disk space in bytes")
        gauge("timelapse_cpu_temperature_celsius", status.get("cpu_temperature_celsius"), "CPU temperature")
        gauge("timelapse_uptime_seconds", status.get("uptime_seconds"), "System uptime")
        today = status.get("today", {})
        gauge("timelapse_photos_captured_today", today.get("photos_captured"), "Photos captured today")
        gauge("timelapse_photos_expected_today", today.get("expected_photos"), "Expected photos for today")
        gauge("timelapse_errors_current", len(status.get("errors", [])), "Current error count")
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", len(body))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), StatusHandler)
    print(f"listening on {PORT}", flush=True)
    server.serve_forever()
