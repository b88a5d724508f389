// Vigil's UI: a small single-page application over Vigil's own API. No
// framework and no build step; every piece of data is put on the page as
// text, never as HTML.

import { lineChart } from "/static/chart.js";

const main = document.getElementById("main");
const status = document.getElementById("status");

// api fetches a Vigil API path with the saved token and returns its JSON.
async function api(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  const token = localStorage.getItem("vigil-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  const res = await fetch(path, { ...opts, headers });
  const text = await res.text();
  let body;
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (!res.ok) {
    const msg = (body && (body.error || body.message)) || text || res.statusText;
    throw new Error(`${res.status} ${msg}`);
  }
  return body;
}

// el builds an element: el("td", {class: "x"}, "text", child, …).
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function table(headers, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", { colspan: headers.length, class: "muted" }, "Nothing here."))]));
}

const when = (t) => (t && !String(t).startsWith("0001") ? new Date(t).toLocaleString() : "");
const field = (o, ...names) => { for (const n of names) if (o && o[n] !== undefined) return o[n]; return undefined; };

function primary(inc) {
  return (inc.alerts || []).find((a) => a.fingerprint === inc.primary) || (inc.alerts || [])[0] || {};
}

function statusOf(inc) {
  if (inc.resolved) return "resolved";
  if (inc.acknowledged) return "acknowledged";
  return inc.status || "open";
}

// Pages.

async function overview() {
  const [incs, signals, pipes] = await Promise.all([
    api("/api/v1/incidents"), api("/api/v1/signals").catch(() => []), api("/api/v1/pipelines").catch(() => []),
  ]);
  let anomalous = "–";
  try {
    const q = await api("/api/v1/query?query=" + encodeURIComponent("count(vigil_anomaly_state == 1) or vector(0)"));
    anomalous = q.data.result.length ? q.data.result[0].value[1] : "0";
  } catch { /* No engine: leave the dash. */ }
  const open = incs.filter((i) => !i.resolved);
  const failing = pipes.filter((p) => /fail/.test(p.last_run || ""));
  return [
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("div", { class: "n", id: "open-incidents" }, open.length), "open incidents"),
      el("div", { class: "card" }, el("div", { class: "n" }, anomalous), "series anomalous now"),
      el("div", { class: "card" }, el("div", { class: "n" }, pipes.length), "pipelines"),
      el("div", { class: "card" }, el("div", { class: "n" }, failing.length), "pipelines whose last run failed")),
    el("h2", {}, "Open incidents"),
    incidentTable(open),
    el("h2", {}, "Latest signals"),
    table(["At", "Kind", "Subject", "Score", "Detectors"], signals.slice(0, 15).map((s) =>
      el("tr", {}, el("td", {}, when(s.At)), el("td", {}, s.Kind + (s.Cleared ? " (cleared)" : "")), el("td", {}, s.Subject),
        el("td", {}, Number(s.Score).toFixed(3)), el("td", {}, s.Evidence || s.Detectors)))),
  ];
}

function incidentTable(incs) {
  return table(["Incident", "Severity", "Status", "Opened", "Root", "Alerts", "What"], incs.map((i) => {
    const p = primary(i);
    return el("tr", {},
      el("td", {}, el("a", { href: "#/incidents/" + encodeURIComponent(i.id) }, i.id)),
      el("td", { class: "sev-" + i.severity }, i.severity),
      el("td", {}, statusOf(i) + (i.flapping ? " (flapping)" : "")),
      el("td", {}, when(i.opened_at)),
      el("td", {}, i.root_node || ""),
      el("td", {}, (i.alerts || []).length),
      el("td", {}, `${p.kind || ""} ${p.subject || ""}`));
  }));
}

async function incidents() {
  const incs = await api("/api/v1/incidents");
  incs.reverse();
  return [el("h2", {}, "Incidents"), incidentTable(incs)];
}

async function incidentPage(id) {
  const [inc, auto] = await Promise.all([api("/api/v1/incidents/" + encodeURIComponent(id)), api("/api/v1/automation").catch(() => [])]);
  const actions = (auto || []).filter((d) => d.incident === id);
  const why = el("input", { id: "reason", size: 40, "aria-label": "Reason", placeholder: "Reason (required)" });
  const act = (verb, extra = {}) => async () => {
    const reason = why.value.trim();
    if (!reason) { status.textContent = `Say why you ${verb} it.`; why.focus(); return; }
    try {
      await api(`/api/v1/incidents/${encodeURIComponent(id)}/${verb}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reason, ...extra }),
      });
      render();
    } catch (e) { status.textContent = e.message; }
  };
  const verdict = el("select", { id: "verdict", "aria-label": "Verdict" },
    el("option", { value: "true_positive" }, "true positive"),
    el("option", { value: "false_positive" }, "false positive"),
    el("option", { value: "duplicate" }, "duplicate"));
  const life = [];
  if (inc.acknowledged) life.push(`acknowledged by ${inc.acknowledged.by} at ${when(inc.acknowledged.at)}: ${inc.acknowledged.why || ""}`);
  if (inc.resolved) life.push(`resolved by ${inc.resolved.by} at ${when(inc.resolved.at)}: ${inc.resolved.why || ""}`);
  if (inc.feedback) life.push(`feedback: ${inc.feedback.verdict} by ${inc.feedback.by}`);
  const b = inc.blast || {};
  return [
    el("h2", {}, `${inc.id} — `, el("span", { class: "sev-" + inc.severity }, inc.severity), ` — `, el("span", { id: "incident-status" }, statusOf(inc))),
    el("p", { class: "muted" }, `Opened ${when(inc.opened_at)}, last signal ${when(inc.last_at)}; root ${inc.root_node || "unknown"}; ` +
      `blast radius: ${b.pipelines || 0} pipelines (${b.sla_pipelines || 0} with an SLA), ${b.datasets || 0} datasets.`),
    el("div", { class: "actions" }, why,
      el("button", { id: "ack", onclick: act("acknowledge"), disabled: inc.acknowledged || inc.resolved ? "" : null }, "Acknowledge"),
      el("button", { id: "resolve", onclick: act("resolve"), disabled: inc.resolved ? "" : null }, "Resolve"),
      verdict, el("button", { id: "feedback", onclick: () => act("feedback", { verdict: verdict.value })() }, "Give feedback")),
    el("ul", {}, life.map((l) => el("li", {}, l))),
    el("h2", {}, "Likely causes"),
    inc.causes && inc.causes.length
      ? table(["Node", "Score", "Evidence"], inc.causes.map((c) =>
        el("tr", {}, el("td", {}, c.node), el("td", {}, (100 * c.score).toFixed(0) + " %"), el("td", {}, (c.evidence || []).join("; ")))))
      : el("p", { class: "muted" }, "No ranking: the incident's alerts are not on the lineage graph."),
    el("h2", {}, "Timeline of alerts"),
    table(["First", "Last", "Kind", "Source", "Subject", "Role", "Firing", "Count", "Evidence"],
      (inc.alerts || []).slice().sort((x, y) => String(x.first_at).localeCompare(String(y.first_at))).map((a) =>
        el("tr", {}, el("td", {}, when(a.first_at)), el("td", {}, when(a.last_at)), el("td", {}, a.kind), el("td", {}, a.source),
          el("td", {}, a.subject), el("td", {}, a.role), el("td", {}, a.firing ? "yes" : "cleared"), el("td", {}, a.count),
          el("td", {}, a.evidence || "")))),
    el("h2", {}, "Automation"),
    actions.length ? automationTable(actions) : el("p", { class: "muted" }, "No automation policy has matched this incident. (Approvals are not built yet.)"),
  ];
}

async function pipelines() {
  const pipes = await api("/api/v1/pipelines");
  return [el("h2", {}, "Pipelines"),
    table(["Pipeline", "Schedule", "Tasks", "Last run", "Owner", "State"], pipes.map((p) =>
      el("tr", {}, el("td", {}, el("a", { href: "#/pipelines/" + encodeURIComponent(p.name) }, p.name)),
        el("td", {}, p.schedule), el("td", {}, (p.tasks || []).length), el("td", {}, p.last_run || ""),
        el("td", {}, p.owner || p.team || ""), el("td", {}, p.paused ? "paused" : p.degraded ? "degraded" : "active"))))];
}

async function pipelinePage(name) {
  const [pipes, runs] = await Promise.all([api("/api/v1/pipelines"), api("/api/v1/runs?pipeline=" + encodeURIComponent(name) + "&limit=50")]);
  const p = pipes.find((x) => x.name === name) || { tasks: [] };
  return [
    el("h2", {}, `Pipeline ${name}`),
    el("p", { class: "muted" }, `${p.schedule || ""} · ${p.description || ""}`),
    taskGraph(p.tasks || []),
    el("h2", {}, "Runs"),
    table(["Logical time", "State", "Started", "Ended", "Duration", "Error"], (runs || []).map((r) => {
      const lt = field(r, "LogicalTime", "logical_time");
      const st = field(r, "State", "state");
      const s = field(r, "Started", "started"), e = field(r, "Ended", "ended");
      const dur = s && e && !String(e).startsWith("0001") ? ((new Date(e) - new Date(s)) / 1000).toFixed(0) + " s" : "";
      return el("tr", {}, el("td", {}, el("a", { href: `#/runs/${encodeURIComponent(name)}/${encodeURIComponent(lt)}` }, when(lt))),
        el("td", { class: "st-" + st }, st), el("td", {}, when(s)), el("td", {}, when(e)), el("td", {}, dur), el("td", {}, field(r, "Error", "error") || ""));
    })),
  ];
}

// taskGraph draws the pipeline's tasks in order, left to right.
function taskGraph(tasks) {
  const ns = "http://www.w3.org/2000/svg";
  const w = Math.max(200, tasks.length * 150 + 20);
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "dag");
  svg.setAttribute("viewBox", `0 0 ${w} 60`);
  svg.setAttribute("width", w);
  svg.setAttribute("height", 60);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Tasks: " + tasks.join(", "));
  tasks.forEach((t, i) => {
    const x = 10 + i * 150;
    if (i > 0) {
      const path = document.createElementNS(ns, "path");
      path.setAttribute("d", `M ${x - 20} 30 L ${x} 30`);
      svg.append(path);
    }
    const rect = document.createElementNS(ns, "rect");
    for (const [k, v] of Object.entries({ x, y: 15, width: 130, height: 30 })) rect.setAttribute(k, v);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", x + 8);
    text.setAttribute("y", 35);
    text.textContent = t;
    svg.append(rect, text);
  });
  return svg;
}

async function runPage(pipeline, logical) {
  const v = await api(`/api/v1/runs/${encodeURIComponent(pipeline)}/${encodeURIComponent(logical)}`);
  const logs = el("pre", { id: "logs" }, "Choose a task to see its log.");
  const show = (task) => async () => {
    try {
      const l = await api(`/api/v1/runs/${encodeURIComponent(pipeline)}/${encodeURIComponent(logical)}/logs?task=${encodeURIComponent(task)}`);
      logs.textContent = typeof l === "string" ? l : JSON.stringify(l, null, 2);
    } catch (e) { logs.textContent = e.message; }
  };
  const run = v.run || {};
  return [
    el("h2", {}, `Run ${field(run, "ID", "id")}`),
    el("p", {}, "State: ", el("span", { class: "st-" + field(run, "State", "state") }, field(run, "State", "state")), " ", field(run, "Error", "error") || ""),
    table(["Task", "State", "Attempt", "Rows in", "Rows out", "Error", ""], (v.tasks || []).map((t) => {
      const name = field(t, "Task", "task");
      return el("tr", {}, el("td", {}, name), el("td", { class: "st-" + field(t, "State", "state") }, field(t, "State", "state")),
        el("td", {}, field(t, "Attempt", "attempt")), el("td", {}, field(t, "RowsIn", "rows_in")), el("td", {}, field(t, "RowsOut", "rows_out")),
        el("td", {}, field(t, "Error", "error") || ""), el("td", {}, el("button", { onclick: show(name) }, "Log")));
    })),
    logs,
  ];
}

async function seriesPage() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const query = params.get("q") || "";
  const hours = Number(params.get("h") || 6);
  const input = el("input", { id: "query", value: query, size: 60, "aria-label": "PromQL query", placeholder: "e.g. rate(http_requests_total[5m])" });
  const range = el("select", { "aria-label": "Range" }, [1, 6, 24, 168].map((h) => el("option", { value: h, selected: h === hours ? "" : null }, h < 48 ? `${h} h` : `${h / 24} d`)));
  const form = el("form", { class: "actions", onsubmit: (e) => { e.preventDefault(); location.hash = `#/series?q=${encodeURIComponent(input.value)}&h=${range.value}`; } },
    input, range, el("button", { type: "submit" }, "Draw"));
  const out = [el("h2", {}, "Series explorer"), form];
  if (!query) {
    out.push(el("p", { class: "muted" }, "A plain metric name also draws the band the detector expected, the points it called anomalous, and the forecast."));
    return out;
  }
  const end = Date.now() / 1000, start = end - hours * 3600, step = Math.max(15, Math.round(hours * 3600 / 400));
  const rangeQuery = (q, s = start, e = end) =>
    api(`/api/v1/query_range?query=${encodeURIComponent(q)}&start=${s}&end=${e}&step=${step}`).then((r) => r.data.result).catch(() => []);
  const main = await rangeQuery(query);
  const plain = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(query.trim());
  let lower = [], upper = [], state = [], forecast = [];
  if (plain) {
    const sel = `{source_metric="${query.trim()}"}`;
    [lower, upper, state, forecast] = await Promise.all([
      rangeQuery("vigil_anomaly_expected_lower" + sel), rangeQuery("vigil_anomaly_expected_upper" + sel),
      rangeQuery("vigil_anomaly_state" + sel), rangeQuery(`vigil_forecast{source_metric="${query.trim()}", bound="mean"}`, end, end + 24 * 3600),
    ]);
  }
  out.push(el("p", { class: "muted" }, `${main.length} series`));
  for (const s of main.slice(0, 8)) {
    const key = JSON.stringify({ ...s.metric, __name__: undefined });
    const same = (list) => list.find((x) => JSON.stringify({ ...x.metric, __name__: undefined, source_metric: undefined, bound: undefined }) === key);
    out.push(el("h2", {}, labelsText(s.metric)));
    out.push(lineChart({
      values: s.values, lower: (same(lower) || {}).values, upper: (same(upper) || {}).values,
      anomalous: (same(state) || { values: [] }).values.filter((p) => p[1] === "1").map((p) => p[0]),
      forecast: (same(forecast) || {}).values,
    }));
  }
  return out;
}

const labelsText = (m) => `${m.__name__ || ""}{${Object.entries(m).filter(([k]) => k !== "__name__").map(([k, v]) => `${k}="${v}"`).join(", ")}}`;

function automationTable(ds) {
  return table(["At", "Policy", "Action", "Target", "Outcome", "Guardrail", "Reason", "Result"], ds.slice().reverse().map((d) =>
    el("tr", {}, el("td", {}, when(d.at)), el("td", {}, d.policy), el("td", {}, d.action), el("td", {}, d.target),
      el("td", {}, d.outcome), el("td", {}, d.guardrail || ""), el("td", {}, d.reason), el("td", {}, d.result || ""))));
}

async function controls() {
  const [cs, auto] = await Promise.all([api("/api/v1/controls?limit=200"), api("/api/v1/automation").catch(() => [])]);
  return [el("h2", {}, "Automation decisions"), automationTable((auto || []).slice(-200)),
    el("h2", {}, "Audit log"), el("p", { class: "muted" }, "Control actions on the runtime, by whom and why; the automation's are under automation:<policy>."),
    table(["At", "Action", "Target", "By", "Reason", "Parameters"], (cs || []).slice().reverse().map((c) =>
      el("tr", {}, el("td", {}, when(field(c, "At", "at"))), el("td", {}, field(c, "Action", "action")), el("td", {}, field(c, "Target", "target")),
        el("td", {}, field(c, "Actor", "By", "by")), el("td", {}, field(c, "Reason", "reason")), el("td", {}, field(c, "Params", "params") || ""))))];
}

// Routing and refresh.

async function render() {
  const [path] = location.hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let page;
  switch (parts[0]) {
    case undefined: page = overview(); break;
    case "incidents": page = parts[1] ? incidentPage(parts[1]) : incidents(); break;
    case "pipelines": page = parts[1] ? pipelinePage(parts[1]) : pipelines(); break;
    case "runs": page = runPage(parts[1], parts[2]); break;
    case "series": page = seriesPage(); break;
    case "controls": page = controls(); break;
    default: page = Promise.resolve([el("p", {}, "No such page.")]);
  }
  try {
    const nodes = await page;
    main.replaceChildren(...nodes);
    status.textContent = "Updated " + new Date().toLocaleTimeString();
  } catch (e) {
    main.replaceChildren(el("p", { class: "error", role: "alert" }, e.message,
      /401|403/.test(e.message) ? " — give an API token above." : ""));
  }
}

document.getElementById("token").value = localStorage.getItem("vigil-token") || "";
document.getElementById("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  localStorage.setItem("vigil-token", document.getElementById("token").value);
  render();
});
window.addEventListener("hashchange", render);
// Live pages refresh every five seconds while visible; the series page
// and pages with a form being filled do not.
setInterval(() => {
  if (document.visibilityState !== "visible") return;
  if (/^#\/series/.test(location.hash) || document.activeElement?.tagName === "INPUT" || document.activeElement?.tagName === "SELECT") return;
  render();
}, 5000);
render();
