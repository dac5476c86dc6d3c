import { join } from "node:path";
import { JsonLinesFile, readTail } from "../lib/jsonl.ts";

/**
 * One verified file: its source and the copy matched by checksum at `verified_at`. The disk
 * safeguard (self-healing) reads exactly this format from <state_dir>/transfers/verified.jsonl
 * (and the rotated verified.jsonl.1): a source file whose path, size and mtime still match a record
 * has a verified copy at `dest` and may be deleted to free space.
 */
export interface VerifiedFile {
  /** Absolute source path. */
  path: string;
  size: number;
  mtime_ms: number;
  /** sha256 of the source file (hex). */
  sha256: string;
  /** Where the verified copy is: an absolute local path or user@host:/path. */
  dest: string;
  /** ISO 8601. */
  verified_at: string;
}

/** The transfer ledger rotates (one old file kept) past this size: ~60k records per file. */
export const TRANSFER_LEDGER_MAX_BYTES = 16 * 1024 * 1024;

export function transfersDir(stateDir: string): string {
  return join(stateDir, "transfers");
}

export function verifiedLedgerPath(stateDir: string): string {
  return join(transfersDir(stateDir), "verified.jsonl");
}

export class TransferLedger {
  private readonly file: JsonLinesFile;
  constructor(
    readonly stateDir: string,
    maxBytes = TRANSFER_LEDGER_MAX_BYTES,
  ) {
    this.file = new JsonLinesFile(verifiedLedgerPath(stateDir), maxBytes);
  }

  get path(): string {
    return this.file.path;
  }

  /** One append for a whole batch. */
  async recordAll(list: VerifiedFile[]): Promise<void> {
    if (list.length) await this.file.appendMany(list as unknown as Record<string, unknown>[]);
  }

  /** The newest records, newest last. */
  async recent(limit = 50): Promise<VerifiedFile[]> {
    return (await readTail(this.file.path, limit)) as unknown as VerifiedFile[];
  }
}
