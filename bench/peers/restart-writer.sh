#!/bin/sh
# `systemctl restart recorder` stand-in: kill -9 the old writer, log the time (ms), start a new one.
# Usage: restart-writer.sh FILE INTERVAL PIDFILE MARKS
here=$(dirname "$0")
pid=$(cat "$3" 2>/dev/null)
[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
date +%s%3N >> "$4"
setsid sh "$here/heartbeat-writer.sh" "$1" "$2" "$3" </dev/null >/dev/null 2>&1 &
exit 0
