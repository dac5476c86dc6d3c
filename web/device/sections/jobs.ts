// Jobs and transfers: jobs and queues (from /api/jobs), transfers (live, from the status document).
import { $, h, isObj, numOf, setEmpty, stamp } from "../../shared/dom.ts";

let lastJobs: unknown = null;
const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
const badState = (v: unknown) => /fail|error|dead|overdue|timeout/.test(str(v));

/** Jobs (from /api/jobs), queues, and transfers (live, from the status document). */
export function renderJobs(transfersOf: unknown, body: unknown = lastJobs): void {
  lastJobs = body;
  const el = $("jobs");
  const out: HTMLElement[] = [];
  const jobs = isObj(body) && Array.isArray(body.jobs) ? body.jobs.filter(isObj) : [];
  const th = (t: string) => h("th", { scope: "col" }, t);
  if (jobs.length) {
    out.push(
      h(
        "table",
        {},
        h("caption", { class: "muted" }, "Jobs"),
        h("thead", {}, h("tr", {}, th("Job"), th("Last run"), th("Last success"))),
        h(
          "tbody",
          {},
          ...jobs.slice(0, 20).map((j) => {
            const st = j.overdue === true ? "overdue" : str(j.last_status) || "never run";
            return h(
              "tr",
              {},
              h("td", {}, str(j.name)),
              h("td", { "data-tone": badState(st) ? "bad" : undefined }, st),
              h("td", {}, j.last_success ? stamp(j.last_success) : "—"),
            );
          }),
        ),
      ),
    );
  }
  const queues = isObj(body) && Array.isArray(body.queues) ? body.queues.filter(isObj) : [];
  for (const sys of queues) {
    const qs = Array.isArray(sys.queues) ? sys.queues.filter(isObj) : [];
    const line = qs
      .map((q) => {
        const states = isObj(q.states)
          ? Object.entries(q.states)
              .map(([k, v]) => `${v} ${k}`)
              .join(", ")
          : "";
        return `${str(q.name)}: ${states || "empty"}${numOf(q.workers) !== undefined ? `; ${q.workers} worker(s)` : ""}`;
      })
      .join(" · ");
    out.push(
      h(
        "p",
        { "data-tone": sys.up === false ? "bad" : undefined },
        h("strong", {}, `${str(sys.system)} queues`),
        sys.up === false ? `: down${sys.error ? ` (${str(sys.error)})` : ""}` : `: ${line || "none"}`,
      ),
    );
  }
  const transfers = isObj(transfersOf) ? Object.entries(transfersOf) : [];
  if (transfers.length) {
    out.push(
      h(
        "table",
        {},
        h("caption", { class: "muted" }, "Transfers"),
        h("thead", {}, h("tr", {}, th("Transfer"), th("State"), th("Files verified / failed"), th("Last end"))),
        h(
          "tbody",
          {},
          ...transfers.slice(0, 20).map(([name, v]) => {
            const t = isObj(v) ? v : {};
            const st = str(t.last_status ?? t.status) || "—";
            return h(
              "tr",
              {},
              h("td", {}, name, t.dest ? h("span", { class: "when" }, `→ ${str(t.dest)}`) : ""),
              h(
                "td",
                { "data-tone": badState(st) ? "bad" : undefined },
                st,
                t.last_error ? h("span", { class: "when" }, str(t.last_error)) : "",
              ),
              h("td", {}, `${str(t.verified ?? 0)} / ${str(t.failed ?? 0)}`),
              h("td", {}, t.last_end ? stamp(t.last_end) : "—"),
            );
          }),
        ),
      ),
    );
  }
  setEmpty("jobs", !out.length);
  if (!out.length)
    out.push(
      h(
        "p",
        { class: "muted" },
        lastJobs === null ? "Jobs are not available on this agent" : "No jobs or transfers recorded",
      ),
    );
  el.replaceChildren(...out);
}
