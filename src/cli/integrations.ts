import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../agent/config.ts";
import { EdgewatchError } from "../protocol/errors.ts";
import { configOption, defineCommand, EXIT_OK, parse, resolveConfig, UsageError } from "./command.ts";

const SUBJECTS = ["prometheus", "grafana", "alertmanager"] as const;
type Subject = (typeof SUBJECTS)[number];
const RULE_FILES = ["alerts-edgewatch.yml", "alerts-compat.yml", "recording.yml"];

interface Options {
  config: Config;
  target: string;
  hub: string | null;
  runbookBase: string | null;
}

/** The repository's (or npm package's) integrations/ folder, next to dist/ or src/. */
function integrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "integrations", "prometheus"))) return join(dir, "integrations");
    dir = dirname(dir);
  }
  throw new EdgewatchError(
    "EW_NO_INTEGRATIONS",
    "cannot find the integrations/ folder beside this edgewatch (it ships in the repository and the npm package, not in a copied dist/ alone)",
  );
}

const read = (root: string, path: string) => readFileSync(join(root, path), "utf8");
/** A YAML double-quoted scalar (JSON strings are valid YAML). */
const q = (s: string) => JSON.stringify(s);

function runbooks(text: string, base: string | null): string {
  return base ? text.replaceAll("runbook_url: docs/operations.md#", `runbook_url: ${base.replace(/\/$/, "")}#`) : text;
}

function prometheusFiles(root: string, o: Options): Map<string, string> {
  const { id, site } = o.config.device;
  let main: string;
  if (o.hub) {
    main = read(root, "prometheus/scrape-hub-sd.yml").replace(
      "https://hub.example.net/sd",
      `${o.hub.replace(/\/$/, "")}/sd`,
    );
  } else {
    main = read(root, "prometheus/scrape-direct.yml")
      .replace('targets: ["pi-zero-cam.local:8080"]', `targets: [${q(o.target)}]`)
      .replace("device: pi-zero-cam", `device: ${q(id)}`)
      .replace("site: default", `site: ${q(site)}`);
  }
  const files = new Map([["prometheus.yml", main]]);
  for (const f of RULE_FILES) files.set(f, runbooks(read(root, `prometheus/${f}`), o.runbookBase));
  return files;
}

function grafanaFiles(root: string, o: Options): Map<string, string> {
  const { id, site } = o.config.device;
  const device = JSON.parse(read(root, "grafana/dashboards/edgewatch-device.json")) as {
    templating: { list: { name: string; current: unknown }[] };
  };
  for (const v of device.templating.list) {
    const value = v.name === "device" ? id : v.name === "site" ? site : null;
    if (value !== null) v.current = { selected: true, text: value, value };
  }
  return new Map([
    ["dashboards/edgewatch-device.json", `${JSON.stringify(device, null, 2)}\n`],
    ["dashboards/edgewatch-fleet.json", read(root, "grafana/dashboards/edgewatch-fleet.json")],
    ["provisioning/datasources/edgewatch.yml", read(root, "grafana/provisioning/datasources/edgewatch.yml")],
    ["provisioning/dashboards/edgewatch.yml", read(root, "grafana/provisioning/dashboards/edgewatch.yml")],
  ]);
}

function alertmanagerFiles(root: string, o: Options): Map<string, string> {
  const { id, site } = o.config.device;
  const header = `# Written by edgewatch integrations print alertmanager for ${id} at site ${site}.\n`;
  return new Map([
    ["alertmanager.yml", header + read(root, "alertmanager/alertmanager.yml")],
    ["templates/edgewatch.tmpl", read(root, "alertmanager/templates/edgewatch.tmpl")],
  ]);
}

const BUILD: Record<Subject, (root: string, o: Options) => Map<string, string>> = {
  prometheus: prometheusFiles,
  grafana: grafanaFiles,
  alertmanager: alertmanagerFiles,
};

export default defineCommand({
  name: "integrations",
  usage: `Usage: edgewatch integrations print prometheus|grafana|alertmanager [options]

Prints the configuration shipped in integrations/ with this device's name and site (device.id,
device.site) and address filled in from the agent config. Without --out it prints the main file:
  prometheus    prometheus.yml: scrapes this device, loads the alert and recording rules
  grafana       the device dashboard (its device and site variables preset)
  alertmanager  alertmanager.yml: routes by severity, inhibition, templates
With --out DIR it writes the whole set there (rule files, dashboards and provisioning files,
notification templates), ready to copy to the Prometheus, Grafana or Alertmanager host.
docs/integrations.md walks through each from a fresh install.

Options:
  -c, --config FILE     agent config (default: $EDGEWATCH_CONFIG, else the built-in defaults)
  --target HOST:PORT    address Prometheus scrapes (default: <device.id>.local:<http.port>)
  --hub URL             prometheus: discover devices through the edgewatch hub at URL instead
  --runbook-base URL    where docs/operations.md is published (alerts' runbook links point there)
  --out DIR             write every file of the set into DIR (created when missing)
  -h, --help            this help`,
  async run(args) {
    const { values, positionals } = parse(args, {
      ...configOption,
      target: { type: "string" },
      hub: { type: "string" },
      "runbook-base": { type: "string" },
      out: { type: "string" },
    });
    const [verb, subject, ...rest] = positionals;
    if (verb !== "print")
      throw new UsageError(`expected "print", got ${verb === undefined ? "nothing" : JSON.stringify(verb)}`);
    if (!(SUBJECTS as readonly string[]).includes(subject ?? "")) {
      throw new UsageError(
        `expected one of ${SUBJECTS.join(", ")} after "print", got ${subject === undefined ? "nothing" : JSON.stringify(subject)}`,
      );
    }
    if (rest.length) throw new UsageError(`unexpected ${JSON.stringify(rest[0])}`);
    for (const k of ["hub", "runbook-base"] as const) {
      const v = values[k];
      if (v !== undefined && !/^https?:\/\/[^\s/]+/.test(v))
        throw new UsageError(`--${k}: expected an http(s) URL, got ${JSON.stringify(v)}`);
    }
    if (values.target !== undefined && !/^[A-Za-z0-9.[\]:_-]+:\d{1,5}$/.test(values.target)) {
      throw new UsageError(
        `--target: expected HOST:PORT (e.g. pi-gym.local:8080), got ${JSON.stringify(values.target)}`,
      );
    }
    const config = resolveConfig(values);
    const files = BUILD[subject as Subject](integrationsDir(), {
      config,
      target: values.target ?? `${config.device.id}.local:${config.http.port}`,
      hub: values.hub ?? null,
      runbookBase: values["runbook-base"] ?? null,
    });
    if (!values.out) {
      process.stdout.write([...files.values()][0] as string);
      return EXIT_OK;
    }
    for (const [name, text] of files) {
      const path = join(values.out, name);
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
      } catch (err) {
        throw new EdgewatchError("EW_WRITE", `cannot write ${path}: ${(err as Error).message}`, { cause: err });
      }
      process.stdout.write(`wrote ${path}\n`);
    }
    return EXIT_OK;
  },
});
