import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

/**
 * The import rules of docs/architecture.md, checked over a source tree. Folders are layered:
 * a file imports only from its own folder and from folders listed before it. Each `src/<family>`
 * or `src/agent/<module>` subfolder is a module whose only doors, for its siblings, are index.ts,
 * types.ts, module.ts and config.ts (its config section, which a program composes into its schema);
 * the folder that holds a module may use the whole of it: it wires it.
 */
export const LAYERS = [
  "protocol",
  "lib",
  "config",
  "http",
  "notify",
  "rules",
  "jobs",
  "agent",
  "demo",
  "hub",
  "cli",
  "entry",
];
/** Families every program shares: they never import a program's code. */
export const SHARED = ["protocol", "lib", "config", "http", "notify", "rules", "jobs"];
const PROGRAMS = ["agent", "hub"];
const DOORS = new Set(["index.ts", "types.ts", "module.ts", "config.ts"]);

export interface ImportEdge {
  from: string;
  to: string;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mts)$/.test(p) && !p.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** Every relative import between files under `root` (paths relative to `root`, "/"-separated). */
export function importGraph(root: string): { files: string[]; edges: ImportEdge[] } {
  const files = sources(root).map((f) => relative(root, f).split(sep).join("/"));
  const edges: ImportEdge[] = [];
  for (const f of files) {
    const text = readFileSync(join(root, f), "utf8").replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = (m[1] ?? m[2]) as string;
      const to = normalize(join(dirname(f), spec))
        .split(sep)
        .join("/");
      if (files.includes(to)) edges.push({ from: f, to });
    }
  }
  return { files, edges };
}

/** Strongly connected components with more than one member (Tarjan): each one is a cycle. */
export function cycles(nodes: string[], edges: [string, string][]): string[][] {
  const adj = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const [a, b] of edges) if (a !== b) adj.get(a)?.push(b);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return out.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

const top = (f: string) => (f.includes("/") ? (f.split("/")[0] as string) : "");

/** The module a file belongs to: `agent/recovery`, `notify/channels`, or its family for top-level files. */
function moduleOf(f: string): string {
  const parts = f.split("/");
  if (parts.length >= 3) return `${parts[0]}/${parts[1]}`;
  return parts.length === 2 ? (parts[0] as string) : "";
}

/** Every broken rule in the tree under `root` (a `src/` folder), one line each, sorted. */
export function violations(root: string): string[] {
  const { files, edges } = importGraph(root);
  const out: string[] = [];
  for (const c of cycles(
    files,
    edges.map((e) => [e.from, e.to]),
  ))
    out.push(`file cycle: ${c.join(" ↔ ")}`);
  const folders = [...new Set(files.map((f) => dirname(f)))];
  for (const c of cycles(
    folders,
    edges.map((e) => [dirname(e.from), dirname(e.to)]),
  ))
    out.push(`folder cycle: ${c.join(" ↔ ")}`);
  for (const { from, to } of edges) {
    const [a, b] = [top(from), top(to)];
    if (SHARED.includes(a) && PROGRAMS.includes(b)) out.push(`shared imports a program: ${from} → ${to}`);
    else if (a && b && a !== b && LAYERS.includes(a) && LAYERS.includes(b) && LAYERS.indexOf(b) > LAYERS.indexOf(a))
      out.push(`import against the layers: ${from} → ${to}`);
    const mod = moduleOf(to);
    // A folder may use the modules nested in it (it wires them); a sibling only through their doors.
    const owner = dirname(from) === "." ? "" : dirname(from);
    const nested = to.startsWith(`${owner}/`) && to.split("/").length > owner.split("/").length + 1;
    if (to.split("/").length >= 3 && moduleOf(from) !== mod && !from.startsWith(`${mod}/`) && !nested) {
      const rest = to.slice(mod.length + 1);
      if (!DOORS.has(rest)) out.push(`reaches into another module's internals: ${from} → ${to}`);
    }
  }
  return [...new Set(out)].sort();
}
