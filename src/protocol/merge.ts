import { deepMerge, type JsonObject } from "./json.ts";
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

/**
 * The device document: fragments merged oldest first, so for any non-object value the fragment
 * with the newest `updated_at` wins while objects merge key by key. Agent-owned keys are dropped.
 */
export function mergeFragments(fragments: Iterable<SourceFragment>): JsonObject {
  const sorted = [...fragments].sort((a, b) => a.updatedAtMs - b.updatedAtMs || (a.source < b.source ? -1 : 1));
  let doc: JsonObject = {};
  const sources: Record<string, SourceInfo> = {};
  let newest = 0;
  for (const f of sorted) {
    const clean: JsonObject = { ...f.data };
    for (const k of AGENT_OWNED_KEYS) delete clean[k];
    delete clean.updated_at;
    doc = deepMerge(doc, clean);
    newest = Math.max(newest, f.updatedAtMs);
    sources[f.source] = {
      updated_at: new Date(f.updatedAtMs).toISOString(),
      heartbeat_at: new Date(f.mtimeMs).toISOString(),
    };
  }
  if (newest > 0) doc.updated_at = new Date(newest).toISOString();
  doc.sources = sources;
  return doc;
}
