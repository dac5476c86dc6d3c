import type { z } from "zod";

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short keys. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

type Def = {
  type?: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
};

/** The object schema's keys at `path` (through optional, default, pipe and array wrappers). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  const unwrap = () => {
    for (let i = 0; s && i < 10; i++) {
      const def = (s as unknown as { def: Def }).def;
      if (def.innerType) s = def.innerType;
      else if (def.type === "pipe" && def.in) s = def.in;
      else break;
    }
  };
  for (const seg of path) {
    unwrap();
    const def: Def | undefined = s && (s as unknown as { def: Def }).def;
    if (typeof seg === "number" && def?.element) s = def.element;
    else if (def?.shape && typeof seg === "string") s = def.shape[seg];
    else return [];
  }
  unwrap();
  const shape = s && (s as unknown as { def: Def }).def.shape;
  return shape ? Object.keys(shape) : [];
}

/** The known key nearest to an unknown one at `path`, when it is near enough to be a typo. */
export function nearKey(schema: z.ZodType, path: readonly PropertyKey[], key: string): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of keysAt(schema, path)) {
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}
