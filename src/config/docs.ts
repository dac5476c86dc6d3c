import { z } from "zod";

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  const?: unknown;
};

export type { JsonSchema };

/** The JSON Schema of a config file (what a user writes: input side, defaults optional). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(" or ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "values"}`;
  if (s.type === "object" && !s.properties && s.additionalProperties && typeof s.additionalProperties === "object") {
    return `map of ${typeOf(s.additionalProperties)}`;
  }
  const t = Array.isArray(s.type) ? s.type.join(" or ") : (s.type ?? "any");
  const bits: string[] = [];
  if (s.format) bits.push(s.format);
  if (s.minimum !== undefined || s.maximum !== undefined) bits.push(`${s.minimum ?? ""}–${s.maximum ?? ""}`);
  if (s.pattern) bits.push(`\`${s.pattern}\``);
  return bits.length ? `${t} (${bits.join(", ")})` : t;
}

function rows(s: JsonSchema, path: string, out: string[]): void {
  const props = s.properties ?? {};
  for (const [key, child] of Object.entries(props)) {
    const p = path ? `${path}.${key}` : key;
    const def = child.default === undefined ? "" : `\`${JSON.stringify(child.default)}\``;
    const isSection = child.type === "object" && child.properties && Object.keys(child.properties).length > 0;
    out.push(
      `| \`${p}\` | ${isSection ? "section" : typeOf(child)} | ${isSection ? "" : def} | ${(child.description ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
    );
    if (isSection) rows(child, p, out);
    if (child.type === "array" && child.items?.properties) rows(child.items, `${p}[]`, out);
    for (const alt of child.anyOf ?? child.oneOf ?? []) {
      if (alt.properties) rows(alt, `${p}${child.type === "array" ? "[]" : ""}`, out);
    }
  }
}

/** Reference table rows (key, type, default, what) of any config schema (the hub's uses it too). */
export function schemaRows(schema: z.ZodType): string[] {
  const out: string[] = [];
  rows(jsonSchemaOf(schema), "", out);
  return out;
}

/**
 * docs/config.md, generated from a program's schema (`source` names the file that composes it) so the
 * reference cannot drift from the code.
 */
export function configMarkdown(schema: JsonSchema, source: string): string {
  const out: string[] = [];
  rows(schema, "", out);
  return `# edgewatch configuration reference

<!-- Generated from ${source} by \`npm run schema\`; test/config/generated.test.ts fails when it is stale. -->

One YAML file, given by \`--config FILE\` or \`EDGEWATCH_CONFIG\`; with neither, the defaults below apply.
\`edgewatch config check FILE\` prints every problem at once (or \`ok\`), each naming the file, the key
path, what was expected and what was got:

\`\`\`
device.yaml: notify.channels[1].url: expected an http(s) URL, got "htp:/x"
device.yaml: htpp: unknown key (a typo?)
\`\`\`

- **Unknown keys are errors**, so a typo never passes silently.
- **Secrets**: any string may reference the environment as \`\${NAME}\` or \`\${NAME:-default}\`; an unset
  variable without a default is an error. Write \`$\${\` for a literal \`\${\`.
- **Durations** accept a number of seconds or a string such as \`500ms\`, \`30s\`, \`5m\`, \`2h\`, \`1d\`.
- \`EDGEWATCH_DIR\` overrides \`status_dir\`.
- Editors: \`schema/config.schema.json\` is the JSON Schema (add
  \`# yaml-language-server: $schema=…/schema/config.schema.json\` at the top of the file).

| key | type | default | what |
| --- | --- | --- | --- |
${out.join("\n")}
`;
}
