#!/bin/sh
# edgewatch status protocol v1 client for shell scripts (POSIX sh: dash, busybox ash, bash).
# Needs only: awk, mv, rm, mkdir, date, touch, od, wc (all POSIX; /dev/urandom for the event name).
#
#   edgewatch-status.sh set [-s SOURCE] [-d DIR] key=value [key:=JSON] ...
#   edgewatch-status.sh event [-s SOURCE] [-d DIR] [--code C] [-f k=v ...] LEVEL MESSAGE
#   edgewatch-status.sh heartbeat [-d DIR] SOURCE
#   edgewatch-status.sh metric [-s SOURCE] [-d DIR] [--type gauge|counter] [--help-text H] NAME VALUE [label=value ...]
#
# LIMITS (a shell cannot parse JSON; these are deliberate, see clients/README.md):
#  * `set` merges TOP-LEVEL keys only. Nested key paths (today.photos=3) are refused: set a whole
#    object instead (today:='{"photos":3}'), which replaces that key's previous object.
#  * It can merge only into a fragment it wrote itself (one top-level key per line). A fragment in any
#    other layout (written by another client for the same source) is replaced, with a warning.
#  * Values: an integer/decimal number, true, false or null is written as JSON; anything else as a JSON
#    string (escaped: \" \\ \n \t \r \b \f \u00XX; other bytes, e.g. UTF-8, pass through). key:=JSON
#    inserts JSON text verbatim (one line, not validated: invalid JSON makes the agent keep the last
#    good fragment and warn).
#  * `metric` keeps the source's samples in status.d/.SOURCE.metrics.tsv (a dot file: never read as a
#    fragment) and rewrites the fragment's "metrics" key from it, so each call changes one sample and
#    keeps the others. Label values are strings; a metric written by another client for the same source
#    is replaced.
#  * Timestamps have millisecond precision when `date` supports %N (GNU, busybox), else .000.
# Exit status: 0 ok, 1 failed (cannot write, fragment too big), 2 bad usage (bad source, level, key=value).
set -u

EW_PROG=edgewatch-status.sh
EW_USAGE="Usage:
  $EW_PROG set [-s SOURCE] [-d DIR] key=value [key:=JSON] ...
  $EW_PROG event [-s SOURCE] [-d DIR] [--code C] [-f k=v ...] LEVEL MESSAGE
  $EW_PROG heartbeat [-d DIR] SOURCE
  $EW_PROG metric [-s SOURCE] [-d DIR] [--type gauge|counter] [--help-text H] NAME VALUE [label=value ...]

set        merges top-level keys into SOURCE's fragment status.d/SOURCE.json (default source: cli).
           key=value: a number, true, false or null is JSON; anything else a string.
           key:=JSON: raw one-line JSON (e.g. today:='{\"photos\":3}'). Nested paths are not supported.
event      records an event; LEVEL is one of debug, info, warning, error, critical.
heartbeat  bumps SOURCE's fragment mtime (creates the fragment when missing).
metric     sets one sample of SOURCE's own Prometheus metric NAME (the fragment's \"metrics\" key);
           the sample with the same labels is replaced, the others are kept.

Options:
  -s, --source S   the writing program's name ([a-z0-9][a-z0-9_-]{0,63})
  -d, --dir DIR    status directory (default: \$EDGEWATCH_DIR, else /run/edgewatch)
      --code C     event code, e.g. CAP-001
  -f, --field k=v  event field (repeatable; same value rules as set)
      --type T     metric type: gauge (default) or counter
      --help-text H  the metric's HELP text
  -h, --help       this help
Exit status: 0 ok, 1 failed, 2 bad usage."

ew_usage_error() {
  printf '%s: %s\n\n%s\n' "$EW_PROG" "$1" "$EW_USAGE" >&2
  exit 2
}

ew_fail() {
  printf '%s: %s\n' "$EW_PROG" "$1" >&2
  exit 1
}

# JSON string literal of $1 (quotes included), via awk. The value travels on stdin (any length, no
# byte of it interpreted by the shell or awk); a sentinel "x" keeps a trailing newline visible.
ew_json_string() {
  printf '%sx' "$1" | awk '
    BEGIN { for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = i; out = "\"" }
    {
      if (NR > 1) out = out "\\n"
      n = length($0)
      for (i = 1; i <= n; i++) {
        c = substr($0, i, 1)
        if (c == "\"") out = out "\\\""
        else if (c == "\\") out = out "\\\\"
        else if (c == "\t") out = out "\\t"
        else if (c == "\r") out = out "\\r"
        else if (c == "\b") out = out "\\b"
        else if (c == "\f") out = out "\\f"
        else if (c in ctl) out = out sprintf("\\u%04x", ctl[c])
        else out = out c
      }
    }
    END { sub(/x$/, "", out); printf "%s\"", out }'
}

ew_check_source() {
  case $1 in
  '' | [!abcdefghijklmnopqrstuvwxyz0123456789]* | *[!abcdefghijklmnopqrstuvwxyz0123456789_-]*)
    ew_usage_error "source name: expected [a-z0-9][a-z0-9_-]{0,63} (e.g. \"timelapse\"), got $(ew_json_string "$1")"
    ;;
  esac
  [ "${#1}" -le 64 ] || ew_usage_error "source name: expected at most 64 characters, got ${#1}"
}

ew_check_key() {
  case $1 in
  *.*)
    ew_usage_error "key $(ew_json_string "$1"): the shell client merges top-level keys only; expected a key without dots (set a whole object: ${1%%.*}:='{...}')"
    ;;
  '' | *[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-]*)
    ew_usage_error "expected a key of letters, digits, _ and -, got $(ew_json_string "$1")"
    ;;
  esac
}

# JSON text for a key=value / key:=JSON argument's value. Sets EW_VALUE.
ew_value() {
  if [ "$2" = raw ]; then
    case $1 in
    '' | *'
'*) ew_usage_error "key:=JSON: expected one line of JSON text, got $(ew_json_string "$1")" ;;
    esac
    EW_VALUE=$1
    return
  fi
  case $1 in
  true | false | null) EW_VALUE=$1 ;;
  '' | *[!0123456789.eE+-]*) EW_VALUE=$(ew_json_string "$1") ;;
  [123456789] | [123456789]*[0123456789] | -[123456789]*[0123456789] | -[0123456789] | 0)
    case $1 in
    ?*[!0123456789]*) ew_value_number "$1" ;;
    *) EW_VALUE=$1 ;;
    esac
    ;;
  *) ew_value_number "$1" ;;
  esac
}

# A JSON number literal stays a number; anything else becomes a string.
ew_value_number() {
  if printf '%s' "$1" | awk '{ n++ } END { exit !(n == 1 && $0 ~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) }'; then
    EW_VALUE=$1
  else
    EW_VALUE=$(ew_json_string "$1")
  fi
}

ew_now_iso() {
  EW_NOW=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ 2>/dev/null)
  case $EW_NOW in
  [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z) ;;
  *) EW_NOW=$(date -u +%Y-%m-%dT%H:%M:%S).000Z ;;
  esac
}

EW_SOURCE=cli
EW_DIR=${EDGEWATCH_DIR:-/run/edgewatch}
EW_CODE=
EW_HAS_CODE=0
EW_MTYPE=
EW_MHELP=
EW_HAS_MHELP=0

[ $# -gt 0 ] || ew_usage_error "expected a command: set, event or heartbeat"
for a in "$@"; do
  case $a in -h | --help | help)
    printf '%s\n' "$EW_USAGE"
    exit 0
    ;;
  esac
done
EW_CMD=$1
shift

# Options may come anywhere; positionals are re-collected in order.
EW_NPOS=0
EW_NFIELD=0
while [ $# -gt 0 ]; do
  case $1 in
  -s | --source | -d | --dir | --code | -f | --field | --type | --help-text)
    [ $# -ge 2 ] || ew_usage_error "option $1: expected a value, got nothing"
    case $1 in
    --type) EW_MTYPE=$2 ;;
    --help-text)
      EW_MHELP=$2
      EW_HAS_MHELP=1
      ;;
    -s | --source) EW_SOURCE=$2 ;;
    -d | --dir) EW_DIR=$2 ;;
    --code)
      EW_CODE=$2
      EW_HAS_CODE=1
      ;;
    -f | --field)
      EW_NFIELD=$((EW_NFIELD + 1))
      eval "EW_FIELD_$EW_NFIELD=\$2"
      ;;
    esac
    shift 2
    ;;
  --source=* | --dir=* | --code=* | --field=* | --type=* | --help-text=*)
    EW_OPTVAL=${1#*=}
    case $1 in
    --type=*) EW_MTYPE=$EW_OPTVAL ;;
    --help-text=*)
      EW_MHELP=$EW_OPTVAL
      EW_HAS_MHELP=1
      ;;
    --source=*) EW_SOURCE=$EW_OPTVAL ;;
    --dir=*) EW_DIR=$EW_OPTVAL ;;
    --code=*)
      EW_CODE=$EW_OPTVAL
      EW_HAS_CODE=1
      ;;
    --field=*)
      EW_NFIELD=$((EW_NFIELD + 1))
      eval "EW_FIELD_$EW_NFIELD=\$EW_OPTVAL"
      ;;
    esac
    shift
    ;;
  --)
    shift
    while [ $# -gt 0 ]; do
      EW_NPOS=$((EW_NPOS + 1))
      eval "EW_POS_$EW_NPOS=\$1"
      shift
    done
    ;;
  -?*) ew_usage_error "unknown option $1" ;;
  *)
    EW_NPOS=$((EW_NPOS + 1))
    eval "EW_POS_$EW_NPOS=\$1"
    shift
    ;;
  esac
done

EW_FRAGDIR=$EW_DIR/status.d

ew_mkdir() {
  [ -d "$1" ] || mkdir -p "$1" 2>/dev/null || ew_fail "cannot create status directory $1 [EW_STATUS_DIR]"
}

# Write stdin to $1 atomically: dot-named temp file in the same folder, then rename (mv in one folder).
ew_write_atomic() {
  ew_tmp=$(dirname -- "$1")/.$(basename -- "$1").$$.tmp
  if ! cat >"$ew_tmp" 2>/dev/null; then
    rm -f "$ew_tmp"
    ew_fail "cannot write $1 [EW_STATUS_WRITE]"
  fi
  if ! mv -f "$ew_tmp" "$1" 2>/dev/null; then
    rm -f "$ew_tmp"
    ew_fail "cannot write $1 [EW_STATUS_WRITE]"
  fi
}

ew_check_size() { # file, limit, what
  ew_size=$(wc -c <"$1")
  [ "$ew_size" -le "$2" ] || {
    rm -f "$1"
    ew_fail "$3 would be $ew_size bytes, over the limit of $2 bytes [EW_FRAGMENT_TOO_BIG]"
  }
}

ew_cmd_set() {
  [ "$EW_NPOS" -gt 0 ] || ew_usage_error "set: expected at least one key=value"
  ew_check_source "$EW_SOURCE"
  # Build "encoded-key<TAB>json" lines for awk, in argument order.
  ew_lines=
  ew_i=0
  while [ "$ew_i" -lt "$EW_NPOS" ]; do
    ew_i=$((ew_i + 1))
    eval "ew_arg=\$EW_POS_$ew_i"
    case $ew_arg in
    *=*) ;;
    *) ew_usage_error "expected key=value or key:=JSON, got $(ew_json_string "$ew_arg")" ;;
    esac
    ew_key=${ew_arg%%=*}
    ew_val=${ew_arg#*=}
    ew_mode=plain
    case $ew_key in *:)
      ew_key=${ew_key%:}
      ew_mode=raw
      ;;
    esac
    ew_check_key "$ew_key"
    [ "$ew_key" != updated_at ] || ew_usage_error "updated_at is set by the client itself"
    if [ "$ew_key" = status ]; then
      case $ew_val in
      idle | waiting | capturing | creating_video | backing_up | uploading | error) ;;
      *) ew_usage_error "reserved key \"status\": expected one of idle|waiting|capturing|creating_video|backing_up|uploading|error, got $(ew_json_string "$ew_val")" ;;
      esac
      ew_mode=plain
    fi
    ew_value "$ew_val" "$ew_mode"
    ew_lines="$ew_lines\"$ew_key\":$EW_VALUE
"
  done
  ew_now_iso
  ew_lines="$ew_lines\"updated_at\":\"$EW_NOW\"
"
  ew_mkdir "$EW_FRAGDIR"
  ew_frag=$EW_FRAGDIR/$EW_SOURCE.json
  ew_new=$EW_FRAGDIR/.$EW_SOURCE.json.$$.new.tmp
  ew_set=$EW_FRAGDIR/.$EW_SOURCE.json.$$.set.tmp
  [ -f "$ew_frag" ] && ew_old=$ew_frag || ew_old=/dev/null
  printf '%s' "$ew_lines" >"$ew_set" 2>/dev/null || {
    rm -f "$ew_set"
    ew_fail "cannot write $ew_frag [EW_STATUS_WRITE]"
  }
  # Merge: keep the old fragment's lines whose key is not being set, then the new lines.
  if ! awk -v warnto=/dev/stderr -v frag="$ew_frag" '
    function keyof(line) { return substr(line, 1, index(line, "\":")) }
    FILENAME == ARGV[1] { newl[++m] = $0; setk[keyof($0)] = 1; next }
    { old[++o] = $0 }
    END {
      ok = (o == 0) || (o >= 2 && old[1] == "{" && old[o] == "}")
      for (i = 2; ok && i < o; i++) if (old[i] !~ /^"([^"\\]|\\.)*":/) ok = 0
      if (!ok) printf "edgewatch-status.sh: %s was not written by the shell client; replacing it\n", frag > warnto
      out = ""
      if (ok) for (i = 2; i < o; i++) {
        line = old[i]; sub(/,$/, "", line)
        if (!(keyof(line) in setk)) out = out line ",\n"
      }
      for (i = 1; i <= m; i++) out = out newl[i] (i < m ? ",\n" : "\n")
      printf "{\n%s}\n", out
    }' "$ew_set" "$ew_old" >"$ew_new"; then
    rm -f "$ew_new" "$ew_set"
    ew_fail "cannot write $ew_frag [EW_STATUS_WRITE]"
  fi
  rm -f "$ew_set"
  ew_check_size "$ew_new" 1048576 "fragment"
  mv -f "$ew_new" "$ew_frag" 2>/dev/null || {
    rm -f "$ew_new"
    ew_fail "cannot write $ew_frag [EW_STATUS_WRITE]"
  }
}

ew_cmd_heartbeat() {
  [ "$EW_NPOS" -eq 1 ] || ew_usage_error "heartbeat: expected one SOURCE, got $EW_NPOS"
  EW_SOURCE=$EW_POS_1
  ew_check_source "$EW_SOURCE"
  ew_frag=$EW_FRAGDIR/$EW_SOURCE.json
  if [ -f "$ew_frag" ]; then
    touch -c "$ew_frag" 2>/dev/null || ew_fail "cannot touch $ew_frag [EW_STATUS_WRITE]"
  else
    ew_mkdir "$EW_FRAGDIR"
    ew_now_iso
    printf '{\n"updated_at":"%s"\n}\n' "$EW_NOW" | ew_write_atomic "$ew_frag"
  fi
}

ew_cmd_event() {
  [ "$EW_NPOS" -eq 2 ] || ew_usage_error "event: expected LEVEL and MESSAGE, got $EW_NPOS argument(s)"
  ew_check_source "$EW_SOURCE"
  case $EW_POS_1 in
  debug | info | warning | error | critical) ;;
  *) ew_usage_error "level: expected one of debug|info|warning|error|critical, got $(ew_json_string "$EW_POS_1")" ;;
  esac
  [ -n "$EW_POS_2" ] || ew_usage_error "MESSAGE: expected a non-empty message"
  ew_now_iso
  ew_body="{\"time\":\"$EW_NOW\",\"level\":\"$EW_POS_1\",\"source\":\"$EW_SOURCE\",\"message\":$(ew_json_string "$EW_POS_2")"
  [ "$EW_HAS_CODE" = 0 ] || ew_body="$ew_body,\"code\":$(ew_json_string "$EW_CODE")"
  if [ "$EW_NFIELD" -gt 0 ]; then
    ew_body="$ew_body,\"fields\":{"
    ew_i=0
    while [ "$ew_i" -lt "$EW_NFIELD" ]; do
      ew_i=$((ew_i + 1))
      eval "ew_arg=\$EW_FIELD_$ew_i"
      case $ew_arg in
      *=*) ;;
      *) ew_usage_error "--field: expected k=v, got $(ew_json_string "$ew_arg")" ;;
      esac
      ew_key=${ew_arg%%=*}
      ew_mode=plain
      case $ew_key in *:)
        ew_key=${ew_key%:}
        ew_mode=raw
        ;;
      esac
      case $ew_key in
      '' | *[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-]*)
        ew_usage_error "--field: expected a key of letters, digits, _, - and ., got $(ew_json_string "$ew_key")"
        ;;
      esac
      ew_value "${ew_arg#*=}" "$ew_mode"
      [ "$ew_i" -eq 1 ] || ew_body="$ew_body,"
      ew_body="$ew_body\"$ew_key\":$EW_VALUE"
    done
    ew_body="$ew_body}"
  fi
  ew_body="$ew_body}"
  ew_ms=$(date +%s%3N 2>/dev/null)
  case $ew_ms in
  [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;;
  *) ew_ms=$(date +%s)000 ;;
  esac
  ew_hex=$(od -An -N3 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
  [ -n "$ew_hex" ] || ew_hex=000000
  ew_name=$(printf '%013d-%d-%06d-%s.json' "$ew_ms" "$$" 1 "$ew_hex")
  ew_mkdir "$EW_DIR/events/tmp"
  ew_mkdir "$EW_DIR/events/new"
  ew_tmp=$EW_DIR/events/tmp/$ew_name
  printf '%s\n' "$ew_body" >"$ew_tmp" 2>/dev/null || {
    rm -f "$ew_tmp"
    ew_fail "cannot write event to $EW_DIR/events/new [EW_EVENT_WRITE]"
  }
  ew_size=$(wc -c <"$ew_tmp")
  [ "$ew_size" -le 65536 ] || {
    rm -f "$ew_tmp"
    ew_fail "event would be $ew_size bytes, over the 64 KiB limit [EW_EVENT_TOO_BIG]"
  }
  mv -f "$ew_tmp" "$EW_DIR/events/new/$ew_name" 2>/dev/null || {
    rm -f "$ew_tmp"
    ew_fail "cannot write event to $EW_DIR/events/new [EW_EVENT_WRITE]"
  }
}

# A Prometheus metric or label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
ew_prom_name() {
  case $1 in
  '' | [!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_]* | *[!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_]*) return 1 ;;
  __*) return 1 ;;
  esac
  return 0
}

ew_cmd_metric() {
  [ "$EW_NPOS" -ge 2 ] || ew_usage_error "metric: expected NAME VALUE [label=value ...]"
  ew_check_source "$EW_SOURCE"
  ew_name=$EW_POS_1
  ew_prom_name "$ew_name" || ew_usage_error "name $(ew_json_string "$ew_name"): expected [a-zA-Z_][a-zA-Z0-9_]* not starting with \"__\""
  case $ew_name in edgewatch_*)
    ew_usage_error "name $(ew_json_string "$ew_name"): the \"edgewatch_\" prefix is reserved for the agent's own metrics"
    ;;
  esac
  case $EW_MTYPE in
  '' | gauge | counter) ;;
  *) ew_usage_error "\"type\": expected \"gauge\" or \"counter\", got $(ew_json_string "$EW_MTYPE")" ;;
  esac
  ew_value_number "$EW_POS_2"
  case $EW_VALUE in \"*) ew_usage_error "metric VALUE: expected a number, got $EW_VALUE" ;; esac
  ew_mvalue=$EW_VALUE
  case $EW_MTYPE:$ew_mvalue in counter:-*) ew_usage_error "$ew_name: a counter cannot be negative, got $ew_mvalue" ;; esac
  # Labels, sorted by name, as one JSON object: the sample's identity.
  ew_pairs=
  ew_i=2
  while [ "$ew_i" -lt "$EW_NPOS" ]; do
    ew_i=$((ew_i + 1))
    eval "ew_arg=\$EW_POS_$ew_i"
    case $ew_arg in
    *=*) ;;
    *) ew_usage_error "expected label=value, got $(ew_json_string "$ew_arg")" ;;
    esac
    ew_key=${ew_arg%%=*}
    ew_prom_name "$ew_key" || ew_usage_error "label name $(ew_json_string "$ew_key"): expected [a-zA-Z_][a-zA-Z0-9_]* not starting with \"__\""
    case $ew_key in device | site) ew_usage_error "label \"$ew_key\": reserved, the agent adds device and site itself" ;; esac
    ew_pairs="$ew_pairs$ew_key	$(ew_json_string "${ew_arg#*=}")
"
  done
  ew_labels=$(printf '%s' "$ew_pairs" | sort -t '	' -k1,1 | awk -F '	' '
    { if ($1 == last) dup = 1; last = $1; out = out (NR > 1 ? "," : "") "\"" $1 "\":" $2 }
    END { if (dup) exit 3; printf "{%s}", out }') || ew_usage_error "$ew_name: the same label appears twice"
  ew_help=
  [ "$EW_HAS_MHELP" = 0 ] || ew_help=$(ew_json_string "$EW_MHELP")
  ew_mkdir "$EW_FRAGDIR"
  ew_state=$EW_FRAGDIR/.$EW_SOURCE.metrics.tsv
  ew_next=$EW_FRAGDIR/.$EW_SOURCE.metrics.$$.tmp
  [ -f "$ew_state" ] && ew_old=$ew_state || ew_old=/dev/null
  # One line per sample: name, type, help (JSON string or empty), labels (JSON), value.
  # Values travel through the environment: awk -v would undo the JSON escapes (\" and \\).
  EW_AWK_N=$ew_name EW_AWK_T=$EW_MTYPE EW_AWK_H=$ew_help EW_AWK_HH=$EW_HAS_MHELP EW_AWK_L=$ew_labels EW_AWK_V=$ew_mvalue \
    awk -F '	' -v OFS='	' '
    BEGIN { n = ENVIRON["EW_AWK_N"]; t = ENVIRON["EW_AWK_T"]; h = ENVIRON["EW_AWK_H"]; hh = ENVIRON["EW_AWK_HH"]
            l = ENVIRON["EW_AWK_L"]; v = ENVIRON["EW_AWK_V"] }
    NF == 5 { if ($1 == n) { if (t == "") t = $2; if (hh == 0 && h == "") h = $3; if ($4 == l) next }
              line[++k] = $0 }
    END {
      if (t == "") t = "gauge"
      for (i = 1; i <= k; i++) { split(line[i], f, "\t"); if (f[1] == n) { f[2] = t; f[3] = h; line[i] = f[1] OFS f[2] OFS f[3] OFS f[4] OFS f[5] } ; print line[i] }
      print n, t, h, l, v
    }' "$ew_old" >"$ew_next" 2>/dev/null || {
    rm -f "$ew_next"
    ew_fail "cannot write $ew_state [EW_STATUS_WRITE]"
  }
  ew_json=$(awk -F '	' '
    NF == 5 {
      if (!($1 in fam)) { order[++n] = $1; fam[$1] = ""; type[$1] = $2; help[$1] = $3 }
      fam[$1] = fam[$1] (fam[$1] == "" ? "" : ",") "{\"labels\":" $4 ",\"value\":" $5 "}"
    }
    END {
      out = ""
      for (i = 1; i <= n; i++) {
        m = order[i]
        out = out (i > 1 ? "," : "") "\"" m "\":{\"type\":\"" type[m] "\"" (help[m] == "" ? "" : ",\"help\":" help[m]) ",\"samples\":[" fam[m] "]}"
      }
      printf "{%s}", out
    }' "$ew_next")
  mv -f "$ew_next" "$ew_state" 2>/dev/null || {
    rm -f "$ew_next"
    ew_fail "cannot write $ew_state [EW_STATUS_WRITE]"
  }
  EW_NPOS=1
  EW_POS_1="metrics:=$ew_json"
  ew_cmd_set
}

case $EW_CMD in
set) ew_cmd_set ;;
metric) ew_cmd_metric ;;
event) ew_cmd_event ;;
heartbeat) ew_cmd_heartbeat ;;
*) ew_usage_error "expected \"set\", \"event\", \"heartbeat\" or \"metric\", got $(ew_json_string "$EW_CMD")" ;;
esac
exit 0
