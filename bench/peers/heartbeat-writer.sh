#!/bin/sh
# A recorder stand-in that writes the gym recorder's heartbeat file (atomic tmp + rename, naive local ISO
# timestamp with microseconds, as Python's datetime.now().isoformat()) every INTERVAL seconds.
# Usage: heartbeat-writer.sh FILE INTERVAL PIDFILE
file=$1 interval=$2 pidfile=$3
echo $$ > "$pidfile"
while :; do
  printf '{"timestamp":"%s","state":"recording"}' "$(date +%Y-%m-%dT%H:%M:%S.%6N)" > "$file.tmp"
  mv "$file.tmp" "$file"
  sleep "$interval"
done
