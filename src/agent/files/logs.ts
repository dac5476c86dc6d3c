import { promises as fsp } from "node:fs";

export const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "auto" | "python" | "syslog" | "json" | "plain";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3, critical: 4 };

const WORDS: Record<string, LogLevel> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  notice: "info",
  warn: "warning",
  warning: "warning",
  err: "error",
  error: "error",
  crit: "critical",
  critical: "critical",
  fatal: "critical",
  alert: "critical",
  emerg: "critical",
  panic: "critical",
};

// syslog severities 0–7 (RFC 5424 PRI & 7, journald PRIORITY)
const SYSLOG_SEVERITY: LogLevel[] = ["critical", "critical", "critical", "error", "warning", "info", "info", "debug"];

const PYTHON_RE = /(?:^|[\s:[\-|])(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)(?=[\s:\]\-|]|$)/;
const PRI_RE = /^<(\d{1,3})>/;
const WORD_RE =
  /(?:^|[\s[(<:])(trace|debug|info|notice|warn|warning|err|error|crit|critical|fatal|alert|emerg|panic)(?=[\s\]):>]|$)/i;

function fromJson(line: string): LogLevel | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const raw = o.level ?? o.levelname ?? o.severity ?? o.lvl ?? o.PRIORITY ?? o.priority;
  if (typeof raw === "number") {
    if (raw >= 10)
      return raw >= 60 ? "critical" : raw >= 50 ? "error" : raw >= 40 ? "warning" : raw >= 30 ? "info" : "debug"; // pino/bunyan
    return SYSLOG_SEVERITY[Math.min(7, Math.max(0, Math.floor(raw)))] ?? null;
  }
  if (typeof raw === "string") {
    if (/^[0-7]$/.test(raw)) return SYSLOG_SEVERITY[Number(raw)] ?? null; // journalctl -o json
    return WORDS[raw.toLowerCase()] ?? null;
  }
  return null;
}

/**
 * The level of one log line, or null when the line does not say. Python logging (`ERROR`, as any of
 * its default formats write it), syslog/journal (`<PRI>` prefix, or a severity word such as
 * `kernel: ... error:`), JSON lines (`level`/`levelname`/`severity`/`PRIORITY`, words or numbers).
 */
export function lineLevel(line: string, format: LogFormat = "auto"): LogLevel | null {
  if (format === "plain") return null;
  const t = line.trimStart();
  if (format === "json" || (format === "auto" && t.startsWith("{"))) {
    const l = fromJson(t);
    if (l || format === "json") return l;
  }
  if (format === "syslog" || format === "auto") {
    const pri = PRI_RE.exec(t);
    if (pri) return SYSLOG_SEVERITY[Number(pri[1]) & 7] ?? null;
  }
  if (format === "python" || format === "auto") {
    const m = PYTHON_RE.exec(line);
    if (m) return WORDS[(m[1] as string).toLowerCase()] ?? null;
    if (format === "python") return null;
  }
  const w = WORD_RE.exec(line);
  return w ? (WORDS[(w[1] as string).toLowerCase()] ?? null) : null;
}

export function atLeast(level: LogLevel | null, min: LogLevel): boolean {
  if (min === "debug") return true;
  return level !== null && RANK[level] >= RANK[min];
}

export interface TailOptions {
  /** Most lines returned. */
  lines: number;
  /** Keep only lines this returns true for (after level detection). */
  filter?: (line: string, level: LogLevel | null) => boolean;
  format?: LogFormat;
  /** Stop after reading this many bytes from the end (bounded time on a 1 GB log). Default 8 MiB. */
  maxScanBytes?: number;
  /** Longer lines are cut to this many bytes. Default 8 KiB. */
  maxLineBytes?: number;
}

export interface TailLine {
  text: string;
  level: LogLevel | null;
  truncated?: boolean;
}

export interface TailResult {
  lines: TailLine[];
  /** Bytes read from the end of the file. */
  scannedBytes: number;
  /** True when the scan stopped at maxScanBytes before the start of the file. */
  partial: boolean;
  size: number;
}

const CHUNK = 64 * 1024;

/**
 * The last matching lines of a file, oldest first, reading backwards from the end in 64 KiB chunks.
 * Memory is bounded by the chunk, the longest kept line and `lines`; time by `maxScanBytes`.
 */
export async function tailFile(path: string, opts: TailOptions): Promise<TailResult> {
  const maxScan = opts.maxScanBytes ?? 8 * 1024 * 1024;
  const maxLine = opts.maxLineBytes ?? 8 * 1024;
  const format = opts.format ?? "auto";
  const fh = await fsp.open(path, "r");
  const out: TailLine[] = [];
  try {
    const { size } = await fh.stat();
    let pos = size;
    let scanned = 0;
    let carry: Buffer[] = []; // pieces of the line that began before the current chunk, latest piece first
    let carryLen = 0;
    let carryCut = false;
    const buf = Buffer.allocUnsafe(CHUNK);
    let first = true;
    const emit = (line: Buffer, cut: boolean): boolean => {
      let text = line.toString("utf8");
      if (text.endsWith("\r")) text = text.slice(0, -1);
      if (first) {
        first = false;
        if (text === "") return false; // the file's final newline
      }
      const level = lineLevel(text, format);
      if (opts.filter && !opts.filter(text, level)) return false;
      out.push(cut ? { text, level, truncated: true } : { text, level });
      return out.length >= opts.lines;
    };
    const takeCarry = (head: Buffer): { line: Buffer; cut: boolean } => {
      const parts = carryCut ? carry.reverse() : [head, ...carry.reverse()];
      let line = Buffer.concat(parts);
      let cut = carryCut;
      if (line.length > maxLine) {
        line = line.subarray(0, maxLine);
        cut = true;
      }
      carry = [];
      carryLen = 0;
      carryCut = false;
      return { line, cut };
    };
    while (pos > 0 && scanned < maxScan) {
      const n = Math.min(CHUNK, pos);
      pos -= n;
      await fh.read(buf, 0, n, pos);
      scanned += n;
      const chunk = buf.subarray(0, n);
      let end = n;
      for (let i = n - 1; i >= 0; i--) {
        if (chunk[i] !== 0x0a) continue;
        const { line, cut } = takeCarry(Buffer.from(chunk.subarray(i + 1, end)));
        end = i;
        if (emit(line, cut)) return { lines: out.reverse(), scannedBytes: scanned, partial: pos > 0, size };
      }
      // the rest of this chunk belongs to a line that started earlier
      if (carryLen < maxLine * 2) {
        const piece = Buffer.from(chunk.subarray(0, end));
        carry.push(piece);
        carryLen += piece.length;
      } else {
        carryCut = true; // keep the line's end only; its beginning is dropped
      }
    }
    if (pos === 0 && (carryLen > 0 || carry.length > 0)) {
      const { line, cut } = takeCarry(Buffer.alloc(0));
      emit(line, cut);
    }
    return { lines: out.reverse(), scannedBytes: scanned, partial: pos > 0, size };
  } finally {
    await fh.close();
  }
}
