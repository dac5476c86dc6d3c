#!/usr/bin/env python3
"""The gym recorder's watchdog.py (Task 1.2), kept line for line in its logic, for the recovery benchmark.

Only the constants come from the environment (so the benchmark can scale time down) and the
restart / reboot commands are the benchmark's test-harmless stand-ins. The design: a loop that
wakes every CHECK_INTERVAL, reads the heartbeat file, and restarts the service when the heartbeat
is older than HEARTBEAT_TIMEOUT.
"""
import json
import logging
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HEARTBEAT_FILE = Path(os.environ["HEARTBEAT_FILE"])
HEARTBEAT_TIMEOUT = float(os.environ.get("HEARTBEAT_TIMEOUT", "30"))  # seconds
CHECK_INTERVAL = float(os.environ.get("CHECK_INTERVAL", "10"))  # seconds
MAX_RESTART_ATTEMPTS = 3
RESTART_WINDOW = 600  # 10 minutes
RESTART_SETTLE = float(os.environ.get("RESTART_SETTLE", "10"))  # seed: time.sleep(10) after restart
POST_RESTART_CHECK = float(os.environ.get("POST_RESTART_CHECK", "15"))  # seed: time.sleep(15)
RESTART_CMD = json.loads(os.environ["RESTART_CMD"])
REBOOT_CMD = json.loads(os.environ.get("REBOOT_CMD", '["true"]'))

logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
logger = logging.getLogger("watchdog")


class Watchdog:
    def __init__(self):
        self.restart_count = 0
        self.restart_window_start = time.time()

    def check_heartbeat(self) -> bool:
        try:
            if not HEARTBEAT_FILE.exists():
                logger.warning("Heartbeat file not found")
                return False
            heartbeat = json.loads(HEARTBEAT_FILE.read_text())
            timestamp = datetime.fromisoformat(heartbeat["timestamp"])
            age = (datetime.now() - timestamp).total_seconds()
            if age > HEARTBEAT_TIMEOUT:
                logger.error(f"Heartbeat stale! Age: {age:.1f}s")
                return False
            return True
        except Exception as e:
            logger.error(f"Failed to read heartbeat: {e}")
            return False

    def restart_service(self):
        if time.time() - self.restart_window_start > RESTART_WINDOW:
            self.restart_count = 0
            self.restart_window_start = time.time()
        self.restart_count += 1
        try:
            subprocess.run(RESTART_CMD, check=True, timeout=30)
            time.sleep(RESTART_SETTLE)
        except subprocess.TimeoutExpired:
            logger.error("Service restart timed out!")
        except subprocess.CalledProcessError as e:
            logger.error(f"Failed to restart service: {e}")

    def trigger_reboot(self):
        subprocess.run(REBOOT_CMD, check=True, timeout=10)

    def run(self):
        while True:
            try:
                if not self.check_heartbeat():
                    self.restart_service()
                    time.sleep(POST_RESTART_CHECK)
                    if not self.check_heartbeat():
                        if self.restart_count >= MAX_RESTART_ATTEMPTS:
                            self.trigger_reboot()
                            break
                time.sleep(CHECK_INTERVAL)
            except KeyboardInterrupt:
                break
            except Exception as e:
                logger.error(f"Watchdog error: {e}")
                time.sleep(CHECK_INTERVAL)


if __name__ == "__main__":
    Watchdog().run()
