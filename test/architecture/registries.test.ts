// One contract per registry, run on every member the registry lists (as unstorage's testDriver does):
// a new channel, collector, rule or recovery action is one file plus one list line, and this file
// picks it up with nothing else to edit. And every member file in a registry's folder is listed.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { z } from "zod";
import { collectorFactories } from "../../src/agent/collectors/index.ts";
import type { CollectContext } from "../../src/agent/collectors/types.ts";
import { configJsonSchemaObject, validateConfig } from "../../src/agent/config.ts";
import { createAction, kinds } from "../../src/agent/recovery/actions/index.ts";
import { ruleDefinitions } from "../../src/agent/rules/index.ts";
import { createRules, publishInto } from "../../src/agent/rules/module.ts";
import type { RuleInput } from "../../src/agent/rules/types.ts";
import { DeviceState } from "../../src/agent/state.ts";
import { channelTypes } from "../../src/notify/channels/index.ts";
import type { Notification } from "../../src/notify/types.ts";
import { isPlainObject } from "../../src/protocol/json.ts";
import { RuleEngine } from "../../src/rules/engine.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** Each registry: its folder, its list file, and the files in the folder that are not members. */
const REGISTRIES = [
  { name: "channels", dir: "src/notify/channels", support: [] as string[] },
  {
    name: "collectors",
    dir: "src/agent/collectors",
    support: ["types.ts", "module.ts", "config.ts", "runner.ts", "read.ts", "camera-test.ts"],
  },
  {
    name: "rules",
    dir: "src/agent/rules",
    support: ["types.ts", "kit.ts", "module.ts", "config.ts", "silence-api.ts"],
  },
  { name: "recovery actions", dir: "src/agent/recovery/actions", support: ["types.ts", "reboot.ts"] },
  {
    name: "exports",
    dir: "src/agent/exports",
    support: [
      "types.ts",
      "module.ts",
      "config.ts",
      "common.ts",
      "follow.ts",
      "queue.ts",
      "sender.ts",
      "prom-series.ts",
      "ha-discovery.ts",
    ],
  },
];

test("every member file in a registry's folder is listed in its index.ts", () => {
  for (const r of REGISTRIES) {
    const index = readFileSync(join(ROOT, r.dir, "index.ts"), "utf8");
    const listed = new Set([...index.matchAll(/from "\.\/([\w.-]+\.ts)"/g)].map((m) => m[1]));
    const members = readdirSync(join(ROOT, r.dir)).filter(
      (f) => f.endsWith(".ts") && f !== "index.ts" && !r.support.includes(f),
    );
    assert.ok(members.length > 0, `${r.name}: found members`);
    assert.deepEqual(
      members.filter((f) => !listed.has(f)),
      [],
      `${r.name}: files in ${r.dir} missing from its index.ts (list them, or name them as support files here)`,
    );
  }
});

const unique = (what: string, names: string[]) =>
  assert.deepEqual(
    names.filter((n, i) => names.indexOf(n) !== i),
    [],
    `${what}: names are unique`,
  );

/** A local server answering every request with `status` (a service having a bad moment). */
async function failingServer(t: TestContext, status: number): Promise<{ url: string; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: false, error: "contract test" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/contract`, port };
}

type JsonSchema = {
  const?: unknown;
  type?: string;
  format?: string;
  pattern?: string;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
};
const CANDIDATES = ["contract-test", "123:abc", "ew@example.org", "contract.service"];

/** A value for one schema property; URLs, hosts and ports always point at the local server. */
function sample(name: string, s: JsonSchema, local: { url: string; port: number }): unknown {
  if (s.const !== undefined) return s.const;
  if (s.anyOf?.[0]) return sample(name, s.anyOf[0], local);
  if (s.type === "array") return [sample(name, s.items ?? {}, local)];
  if (s.type === "integer" || s.type === "number") return /port/.test(name) ? local.port : 1;
  if (s.type === "boolean") return false;
  if (s.format === "uri" || /url|server|api/.test(name)) return local.url;
  if (/host/.test(name)) return "127.0.0.1";
  if (s.format === "email") return "ew@example.org";
  const re = s.pattern ? new RegExp(s.pattern) : null;
  return CANDIDATES.find((c) => !re || re.test(c)) ?? "contract-test";
}

const NOTE: Notification = {
  id: "n1",
  channel: "c",
  kind: "test",
  level: "warning",
  title: "contract",
  message: "contract test",
  device_id: "cam",
  site: "lab",
  timestamp: new Date().toISOString(),
  dedupe_key: "contract",
};

test("channels: options schema refuses a config without its required fields; a failing service is a retryable SendResult, never a throw", {
  timeout: 60_000,
}, async (t) => {
  unique(
    "channels",
    channelTypes.map((c) => c.type),
  );
  const local = await failingServer(t, 503);
  for (const ct of channelTypes) {
    const schema = ct.schema();
    const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
    assert.equal(js.properties?.type?.const, ct.type, `${ct.type}: the schema's type is the channel's type`);
    if ((js.required ?? []).length > 1)
      assert.equal(schema.safeParse({ type: ct.type }).success, false, `${ct.type}: required fields are required`);
    const cfg: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(js.properties ?? {}))
      if (js.required?.includes(k) || /url|server|api|host|port/.test(k)) cfg[k] = sample(k, p, local);
    const parsed = schema.safeParse(cfg);
    assert.ok(parsed.success, `${ct.type}: a sample config parses: ${JSON.stringify(cfg)} ${parsed.error?.message}`);
    const ch = ct.create(parsed.data, 2000);
    assert.equal(ch.type, ct.type);
    const r = await ch.send({ ...NOTE, channel: ch.name }, new AbortController().signal);
    assert.equal(r.ok, false, `${ct.type}: a 503 (or no SMTP greeting) is not a success`);
    if (!r.ok) {
      assert.equal(r.permanent, false, `${ct.type}: a failing service is worth retrying: ${r.reason}`);
      assert.ok(r.reason.length > 0, `${ct.type}: says why`);
    }
  }
});

const PROM_NAME = /^edgewatch_[a-z0-9_]+$/;

test("collectors: each factory builds from the config or says disabled; collect gives plain JSON or fails with an Error; metrics are well named", {
  timeout: 60_000,
}, async () => {
  const fixtures = join(ROOT, "test", "agent", "collectors", "fixtures");
  const config = validateConfig(
    {
      collectors: {
        proc_root: join(fixtures, "proc-this-machine"),
        sys_root: join(fixtures, "pi4-healthy", "sys"),
        redis: { url: "redis://127.0.0.1:1", timeout: "1s" },
      },
    },
    "contract.yaml",
  );
  const built = collectorFactories.map((f) => f(config)).filter((c) => c !== null);
  assert.ok(built.length >= 5, `most collectors are on by default (${built.length})`);
  unique(
    "collectors",
    built.map((c) => c.name),
  );
  const state = new DeviceState();
  for (const c of built) {
    assert.match(c.name, /^[a-z][a-z0-9_]*$/, "a collector name is a metric-label-safe word");
    assert.ok(Number.isFinite(c.intervalMs) && c.intervalMs > 0, `${c.name}: a positive interval`);
    const ctx: CollectContext = {
      config,
      state,
      now: Date.now,
      signal: AbortSignal.timeout(5000),
      procRoot: config.collectors.proc_root,
      sysRoot: config.collectors.sys_root,
    };
    let data: unknown;
    try {
      data = await c.collect(ctx);
    } catch (err) {
      assert.ok(err instanceof Error, `${c.name}: a failed run throws an Error, got ${String(err)}`);
      continue;
    }
    assert.ok(isPlainObject(data), `${c.name}: collect gives a JSON object`);
    assert.deepEqual(JSON.parse(JSON.stringify(data)), data, `${c.name}: the data is plain JSON`);
    for (const fam of c.metrics?.(data as never) ?? []) {
      assert.match(fam.name, PROM_NAME, `${c.name}: metric name`);
      assert.ok(fam.help.length > 0, `${c.name}: ${fam.name} has help`);
      if (fam.type === "counter") assert.match(fam.name, /_total$/, `${c.name}: counter ${fam.name} ends in _total`);
      for (const s of fam.samples) assert.equal(typeof s.value, "number", `${c.name}: ${fam.name} sample`);
    }
  }
});

const SEVERITIES = [null, "info", "warning", "critical"];

test("rules: each has an alerts.rules.<name> config with defaults; a built rule evaluates an empty device to well-formed conditions", () => {
  unique(
    "rules",
    ruleDefinitions.map((d) => d.name),
  );
  const config = validateConfig({}, "contract.yaml");
  const rules = config.alerts.rules as Record<string, unknown>;
  const input = { state: new DeviceState(), heartbeats: () => new Map<string, number>(), now: Date.now() };
  for (const def of ruleDefinitions) {
    assert.ok(def.description.length > 0, `${def.name}: described`);
    assert.ok(def.name in rules, `${def.name}: alerts.rules.${def.name} is in the config`);
    const rule = def.create(rules[def.name] as never, config);
    if (!rule) continue;
    assert.ok(rule.forMs >= 0 && rule.clearForMs >= 0, `${def.name}: durations`);
    assert.ok(rule.evaluate || rule.onEvent, `${def.name}: evaluates levels or events`);
    const conds = [
      ...(rule.evaluate?.(input, new Map()).conditions ?? []),
      ...(rule.onEvent?.(
        { time: new Date().toISOString(), level: "error", source: "contract", message: "contract test" },
        input,
      ) ?? []),
    ];
    for (const c of conds) {
      assert.equal(typeof c.key, "string", `${def.name}: condition key`);
      assert.ok(SEVERITIES.includes(c.severity), `${def.name}: severity ${c.severity}`);
      assert.equal(typeof c.summary, "string", `${def.name}: summary`);
    }
  }
});

test("rules: the rules module builds every enabled rule, and each runs in the shared engine, its alerts published into state", async () => {
  const config = validateConfig({}, "contract.yaml");
  const built = createRules(config);
  const enabled = ruleDefinitions.filter((d) =>
    d.create((config.alerts.rules as Record<string, never>)[d.name], config),
  );
  assert.deepEqual(
    built.map((r) => r.name),
    enabled.map((d) => d.name),
    "createRules builds the enabled definitions, in list order",
  );
  assert.ok(built.length >= 10, `found rules (${built.length})`);
  for (const rule of built) {
    const state = new DeviceState();
    const errors: string[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) };
    // every rule at once, immediately: the firing is published as it would be after `for`
    const now = Date.now();
    const engine = new RuleEngine<RuleInput>({
      rules: [{ ...rule, forMs: 0, clearForMs: 0 }],
      input: () => ({ state, heartbeats: () => new Map([["contract", now - 86_400_000]]), now }),
      publish: publishInto(state),
      log,
    });
    const seen: [string, string | null][] = [];
    state.on("alert", (a, n) => {
      seen.push([a.id, n?.kind ?? null]);
    });
    await engine.start();
    await engine.onEvent({
      time: new Date().toISOString(),
      level: "critical",
      source: "contract",
      message: "contract",
    });
    engine.stop();
    assert.deepEqual(errors, [], `${rule.name}: evaluates without error`);
    for (const [id, kind] of seen) {
      assert.ok(id === rule.name || id.startsWith(`${rule.name}:`), `${rule.name}: alert id ${id} is the rule's`);
      assert.ok(kind === null || ["firing", "flapping", "resolved"].includes(kind), `${rule.name}: notice ${kind}`);
    }
    for (const a of state.alerts.values()) assert.equal(a.rule, rule.name, `${rule.name}: alert in state`);
  }
});

test("recovery actions: each kind in the list owns its schema, which every action field of the config accepts; each builds into argv arrays (no shell), labelled", () => {
  const names = kinds.map((k) => k.schema().shape.type.value);
  assert.ok(names.length >= 5);
  unique("recovery actions", names);
  // The config takes its action union from the list: the JSON Schema of an action field lists exactly these kinds.
  const js = configJsonSchemaObject() as {
    properties: Record<string, JsonSchema & { properties: Record<string, JsonSchema> }>;
  };
  const union = js.properties.recovery?.properties.restart_services?.items as {
    oneOf?: JsonSchema[];
    anyOf?: JsonSchema[];
  };
  assert.deepEqual(
    (union.oneOf ?? union.anyOf ?? []).map((o) => o.properties?.type?.const),
    names,
    "recovery.restart_services[] accepts exactly the listed kinds",
  );
  const fields: Record<string, unknown> = { argv: ["/bin/true"], unit: "contract.service", sudo: false };
  for (const kind of kinds) {
    const schema = kind.schema();
    const name = schema.shape.type.value;
    assert.equal(kind.type, name, `${name}: the kind's type is its schema's`);
    const own = z.toJSONSchema(schema, { io: "input" }) as JsonSchema;
    const spec: Record<string, unknown> = { type: name };
    for (const k of own.required ?? []) if (k !== "type") spec[k] = fields[k];
    const parsed = schema.safeParse(spec);
    assert.ok(parsed.success, `${name}: a minimal spec ${JSON.stringify(spec)} parses (add its field here)`);
    // picked up from the list: the agent's config accepts it wherever an action goes, with the kind's defaults
    const config = validateConfig({ recovery: { restart_services: [spec], emergency: { actions: [spec] } } }, "c.yaml");
    assert.deepEqual(
      config.recovery.restart_services[0],
      parsed.data,
      `${name}: the config parses it as its own schema does`,
    );
    assert.deepEqual(config.recovery.emergency.actions[0], parsed.data, `${name}: in emergency.actions[] too`);
    const a = createAction(config.recovery.restart_services[0] as never);
    assert.equal(a.kind, name);
    assert.ok(a.label.length > 0, `${name}: labelled`);
    assert.ok(a.argvs.length > 0, `${name}: says what it runs`);
    for (const argv of a.argvs) {
      assert.ok(argv.length > 0 && argv.every((x) => typeof x === "string" && x.length > 0), `${name}: argv`);
      assert.doesNotMatch(argv[0] as string, /\s/, `${name}: argv[0] is a program, not a shell line`);
    }
    // and its own schema's errors reach the user with the key path
    assert.throws(
      () => validateConfig({ recovery: { restart_services: [{ type: name, bogus: 1 }] } }, "c.yaml"),
      /recovery\.restart_services\[0\]/,
      `${name}: an unknown key in its spec is refused, with the key path`,
    );
  }
});

test("collectors: each listed collector's own section is picked up into collectors.<key>, with its defaults, and reaches the collector", () => {
  const js = configJsonSchemaObject() as {
    properties: Record<string, { properties: Record<string, JsonSchema & { description?: string }> }>;
  };
  const props = js.properties.collectors?.properties ?? {};
  const withSection = collectorFactories.filter((f) => f.section);
  assert.ok(withSection.length >= 5, "most collectors have a section of their own");
  unique(
    "collector sections",
    withSection.map((f) => f.section?.key as string),
  );
  const defaults = validateConfig({}, "c.yaml").collectors as unknown as Record<string, unknown>;
  for (const f of withSection) {
    const { key, schema: build } = f.section as { key: string; schema: () => z.ZodType };
    const schema = build();
    assert.ok(key in props, `collectors.${key} is in the config's JSON Schema`);
    assert.equal(props[key]?.description, schema.description, `collectors.${key} is the collector's own schema`);
    assert.deepEqual(defaults[key], schema.parse(undefined), `collectors.${key} defaults are the collector's own`);
  }
  // Only the listed collectors' sections and the shared keys: a section cannot exist without its collector.
  assert.deepEqual(
    Object.keys(props).sort(),
    ["proc_root", "sys_root", "timeout", ...withSection.map((f) => f.section?.key as string)].sort(),
  );
  // A collector gets its own section: a disabled one builds nothing.
  const thermal = collectorFactories.find((f) => f.section?.key === "thermal");
  assert.ok(thermal);
  assert.equal(thermal(validateConfig({ collectors: { thermal: { enabled: false } } }, "c.yaml")), null);
  assert.notEqual(thermal(validateConfig({}, "c.yaml")), null);
});
