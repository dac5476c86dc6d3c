// Small DOM helpers shared by the pages. Device data is untrusted: text children only, never innerHTML.
import { parseTime, stampText } from "./format.ts";

export type Obj = Record<string, unknown>;

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const numOf = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** A DOM element with text children only. */
export function h(
  tag: string,
  attrs: Record<string, string | undefined> = {},
  ...kids: (Node | string)[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...kids);
  return el;
}

/** Fills a <dl> with the rows that have a value (undefined or "" rows are left out). */
export function kv(target: HTMLElement, rows: [string, string | Node | undefined][]): void {
  const out: Node[] = [];
  for (const [k, v] of rows) {
    if (v === undefined || v === "") continue;
    out.push(h("dt", {}, k), h("dd", {}, v));
  }
  target.replaceChildren(...out);
}

/** A <time> element in the pages' timestamp format; text that is not a time stays as it was. */
export function stamp(v: unknown): HTMLElement | string {
  const t = typeof v === "number" ? v : parseTime(v);
  if (!Number.isFinite(t)) return v === undefined || v === null ? "?" : String(v);
  return h("time", { datetime: new Date(t).toISOString() }, stampText(t));
}

/** A file name that wraps only between its parts (after _ - . /), never inside one. */
export function fileName(name: string): HTMLElement {
  const el = h("span", { class: "filename" });
  for (const part of name.match(/[^_\-./]+[_\-./]*|[_\-./]+/g) ?? [name]) {
    el.append(h("span", {}, part), document.createElement("wbr"));
  }
  return el;
}

/** A card without data shrinks to its heading and one line (it must not take a full grid cell). */
export function setEmpty(id: string, empty: boolean): void {
  $(id).closest("section")?.classList.toggle("empty", empty);
}

/** The tone of a value against a warning and a critical threshold ("ok", "warn", "bad"). */
export function tone(value: number | undefined, warn: number, crit: number): string | undefined {
  if (value === undefined) return undefined;
  return value >= crit ? "bad" : value >= warn ? "warn" : "ok";
}
