import { deepMerge, isPlainObject, type JsonObject, RESERVED_JSON_KEYS } from "./json.ts";
import { AGENT_OWNED_KEYS } from "./names.ts";

export interface SourceFragment {
  source: string;
  data: JsonObject;
  updatedAtMs: number;
  /** The file's mtime: the source's heartbeat. */
  mtimeMs: number;
}

export interface SourceInfo {
  updated_at: string;
  heartbeat_at: string;
}

/** Top-level keys a fragment cannot set: the agent's own, `updated_at` (computed), reserved names. */
const SKIPPED = new Set<string>([...AGENT_OWNED_KEYS, "updated_at", ...RESERVED_JSON_KEYS]);

/** Merge order: oldest `updated_at` first, ties by source name. */
const older = (a: SourceFragment, b: SourceFragment): number =>
  a.updatedAtMs - b.updatedAtMs || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);

/**
 * The device document, kept up to date one fragment at a time: fragments merged oldest first, so for
 * any non-object value the fragment with the newest `updated_at` wins while objects merge key by key.
 * Agent-owned keys are dropped. A change re-merges only the top-level keys the changed fragment had
 * or has, from the fragments that hold those keys — not every fragment.
 */
export class MergedDocument {
  private readonly frags = new Map<string, SourceFragment>();
  /** Top-level key → the sources whose fragment holds it. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private newestMs: number | null = 0;
  /** The document, updated in place: only the touched keys change. */
  private readonly doc: JsonObject = {};
  private readonly sources: Record<string, SourceInfo> = {};
  /** Each source's heartbeat (its fragment's mtime, epoch ms), kept up to date in place. */
  readonly heartbeats = new Map<string, number>();

  get size(): number {
    return this.frags.size;
  }

  get(source: string): SourceFragment | undefined {
    return this.frags.get(source);
  }

  fragments(): IterableIterator<SourceFragment> {
    return this.frags.values();
  }

  set(f: SourceFragment): void {
    const prev = this.frags.get(f.source);
    if (prev) this.unindex(prev);
    this.frags.set(f.source, f);
    this.heartbeats.set(f.source, f.mtimeMs);
    this.sources[f.source] = {
      updated_at: new Date(f.updatedAtMs).toISOString(),
      heartbeat_at: new Date(f.mtimeMs).toISOString(),
    };
    for (const k of Object.keys(f.data)) {
      if (SKIPPED.has(k)) continue;
      const set = this.holders.get(k);
      if (set) set.add(f.source);
      else this.holders.set(k, new Set([f.source]));
      this.dirty.add(k);
    }
    if (prev && prev.updatedAtMs >= (this.newestMs ?? 0) && f.updatedAtMs < prev.updatedAtMs) this.newestMs = null;
    else if (this.newestMs !== null) this.newestMs = Math.max(this.newestMs, f.updatedAtMs);
  }

  /** Returns true when the source had a fragment. */
  delete(source: string): boolean {
    const prev = this.frags.get(source);
    if (!prev) return false;
    this.unindex(prev);
    this.frags.delete(source);
    this.heartbeats.delete(source);
    delete this.sources[source];
    if (prev.updatedAtMs >= (this.newestMs ?? 0)) this.newestMs = null;
    return true;
  }

  /**
   * The merged document. It is the same object every time, brought up to date in place (so a
   * change costs what it touches): callers that keep a snapshot copy it.
   */
  document(): JsonObject {
    for (const k of this.dirty) this.remerge(k);
    this.dirty.clear();
    if (this.newestMs === null) {
      this.newestMs = 0;
      for (const f of this.frags.values()) this.newestMs = Math.max(this.newestMs, f.updatedAtMs);
    }
    // updated_at and sources stay last, after the fragments' keys
    delete this.doc.updated_at;
    delete this.doc.sources;
    if (this.newestMs > 0) this.doc.updated_at = new Date(this.newestMs).toISOString();
    this.doc.sources = this.sources;
    return this.doc;
  }

  private unindex(f: SourceFragment): void {
    for (const k of Object.keys(f.data)) {
      const set = this.holders.get(k);
      if (!set) continue;
      set.delete(f.source);
      if (set.size === 0) this.holders.delete(k);
      this.dirty.add(k);
    }
  }

  /** One top-level key from its holders: the newest non-object value wins over everything older. */
  private remerge(key: string): void {
    const set = this.holders.get(key);
    if (!set) {
      delete this.doc[key];
      return;
    }
    const holders = [...set].map((s) => this.frags.get(s) as SourceFragment);
    let base: SourceFragment | null = null;
    for (const f of holders) {
      if (!isPlainObject(f.data[key]) && (base === null || older(base, f) < 0)) base = f;
    }
    const objects = holders.filter((f) => isPlainObject(f.data[key]) && (base === null || older(base, f) < 0));
    if (objects.length === 0) {
      this.doc[key] = (base as SourceFragment).data[key];
      return;
    }
    objects.sort(older);
    let value: JsonObject = {};
    for (const f of objects) value = deepMerge(value, f.data[key] as JsonObject);
    this.doc[key] = value;
  }
}

/** The device document from a set of fragments, merged once (library and CLI use). */
export function mergeFragments(fragments: Iterable<SourceFragment>): JsonObject {
  const m = new MergedDocument();
  for (const f of fragments) m.set(f);
  return m.document();
}
