// A small SVG line chart for Prometheus range results: the series, an
// optional band (lower and upper), points marked anomalous, and a dashed
// forecast after the last value. Values are [unix seconds, "string"].

const ns = "http://www.w3.org/2000/svg";

function node(tag, attrs) {
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

export function lineChart({ values = [], lower, upper, anomalous = [], forecast }) {
  const W = 900, H = 260, L = 60, R = 10, T = 10, B = 24;
  const pts = (vs) => (vs || []).map(([t, v]) => [Number(t), Number(v)]).filter(([, v]) => Number.isFinite(v));
  const main = pts(values), lo = pts(lower), hi = pts(upper), fc = pts(forecast);
  const all = [...main, ...lo, ...hi, ...fc];
  const svg = node("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `line chart of ${main.length} points` });
  if (!all.length) {
    const t = node("text", { x: L, y: H / 2 });
    t.textContent = "No data in this range.";
    svg.append(t);
    return svg;
  }
  let [t0, t1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [v0, v1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (t1 === t0) t1 = t0 + 1;
  if (v1 === v0) { v1 += 1; v0 -= 1; }
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v - v0) / (v1 - v0)) * (H - T - B);
  const path = (ps) => ps.map(([t, v], i) => `${i ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  svg.append(node("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
  for (const v of [v0, (v0 + v1) / 2, v1]) {
    const t = node("text", { x: 4, y: y(v) + 4 });
    t.textContent = Number(v.toPrecision(4)).toString();
    svg.append(t);
  }
  for (const tt of [t0, t1]) {
    const t = node("text", { x: Math.min(x(tt), W - 120), y: H - 6 });
    t.textContent = new Date(tt * 1000).toLocaleString();
    svg.append(t);
  }
  if (lo.length && hi.length) {
    const hiBy = new Map(hi.map(([t, v]) => [t, v]));
    const both = lo.filter(([t]) => hiBy.has(t));
    if (both.length) {
      const d = path(both) + " " + both.slice().reverse().map(([t]) => `L${x(t).toFixed(1)},${y(hiBy.get(t)).toFixed(1)}`).join(" ") + " Z";
      svg.append(node("path", { class: "band", d }));
    }
  }
  if (main.length) svg.append(node("path", { class: "line", d: path(main) }));
  if (fc.length) svg.append(node("path", { class: "forecast", d: path(fc) }));
  const at = new Set(anomalous.map(Number));
  for (const [t, v] of main) if (at.has(t)) svg.append(node("circle", { class: "anomaly", cx: x(t), cy: y(v), r: 3 }));
  return svg;
}
