import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../demo/simulator.ts";
import { StatusReader } from "../protocol/reader.ts";
import { defineCommand, dirOption, EXIT_OK, parse } from "./command.ts";

export default defineCommand({
  name: "demo",
  summary: "run a simulated timelapse camera writing through the status protocol",
  usage: `Usage: edgewatch demo [--dir DIR] [--interval SECONDS] [--duration SECONDS]

Starts a simulated timelapse program that writes status fragments and events, and a reader that
prints the merged device document as it changes. Stops on Ctrl-C, or after --duration.

Options:
  -d, --dir DIR          status directory (default: a new temporary directory)
      --interval SECONDS seconds between simulated captures (default 2)
      --duration SECONDS stop after this long (default: run until interrupted)
  -h, --help             this help`,
  async run(args) {
    const { values } = parse(args, { ...dirOption, interval: { type: "string" }, duration: { type: "string" } }, false);
    const dir = values.dir ?? mkdtempSync(join(tmpdir(), "edgewatch-demo-"));
    const interval = Number(values.interval ?? 2);
    process.stdout.write(`edgewatch demo: status dir ${dir}\n`);
    const reader = new StatusReader({
      dir,
      onEvent: (ev) => {
        process.stdout.write(
          `event  ${ev.time} ${ev.level.padEnd(8)} ${ev.source}: ${ev.message}${ev.code ? ` [${ev.code}]` : ""}\n`,
        );
      },
      onWarning: (w) => process.stderr.write(`warning ${w.source}: ${w.reason}\n`),
      onChange: () => {
        const d = reader.document() as {
          status?: string;
          today?: { photos_captured?: number; expected_photos?: number };
        };
        process.stdout.write(
          `status ${d.status ?? "-"} photos ${d.today?.photos_captured ?? 0}/${d.today?.expected_photos ?? "?"}\n`,
        );
      },
    });
    await reader.start();
    const sim = startSimulator({ dir, intervalSeconds: interval, photosPerDay: 10, failureRate: 0.1 });
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
      if (values.duration) setTimeout(done, Number(values.duration) * 1000);
    });
    sim.stop();
    reader.stop();
    return EXIT_OK;
  },
});
