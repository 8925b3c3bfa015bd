// @ts-check
/// <reference lib="dom" />
/**
 * The dashboard: objects and bytes stored, in total and per bucket, and the
 * last hour of requests, errors, bytes and latency as charts, from the
 * admin API's stats (refreshed every 10 s while shown).
 */
import { admin } from "./sign.js";
import { $, el, guard, size } from "./ui.js";
import { lineChart } from "./charts.js";

/**
 * A count per second (or milliseconds) for a chart: one decimal below 10.
 * @param {number} n
 */
const rate = (n) => n.toFixed(n < 10 ? 1 : 0);

/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

/** Shows the dashboard and keeps it fresh until another view is opened. */
export async function showDashboard() {
  clearInterval(timer);
  await render(true);
  timer = setInterval(() => {
    if ($("dashboard").classList.contains("hidden")) return clearInterval(timer);
    guard(() => render(false));
  }, 10_000);
}

/**
 * Draws the dashboard from the server's stats.
 * @param {boolean} fresh count the objects now rather than take a count up to 5 s old
 */
async function render(fresh) {
  const box = $("dashboard");
  /** @type {any} */
  let stats;
  try {
    stats = await admin("GET", "stats", fresh ? { fresh: "1" } : {});
  } catch (e) {
    if (!/^AccessDenied/.test(String(/** @type {Error} */ (e).message))) throw e;
    box.replaceChildren(el("p", {}, "The dashboard is for the administrator."));
    return;
  }
  const step = 10;
  const points = /** @type {any[]} */ (stats.history);
  const times = points.map((p) => p.t);
  const perSecond = (/** @type {string} */ f) => points.map((p) => p[f] / step);
  const card = (/** @type {string} */ label, /** @type {string} */ value) =>
    el(
      "div",
      { class: "card" },
      el("span", { class: "muted" }, label),
      el("strong", { "aria-label": label }, value),
    );
  box.replaceChildren(
    el("h2", {}, "Dashboard"),
    el(
      "div",
      { class: "cards" },
      card("Buckets", String(stats.buckets.length)),
      card("Objects", stats.totals.objects.toLocaleString("en")),
      card("Stored", size(stats.totals.bytes)),
      card("Noncurrent versions", stats.totals.noncurrentVersions.toLocaleString("en")),
      card("Requests in flight", String(stats.inflight)),
    ),
    el(
      "div",
      { class: "charts" },
      lineChart({
        title: "Requests per second",
        times,
        series: [{ name: "all", values: perSecond("requests") }],
        format: rate,
      }),
      lineChart({
        title: "Errors per second",
        times,
        series: [
          { name: "4xx", values: perSecond("clientErrors") },
          { name: "5xx", values: perSecond("serverErrors") },
        ],
        format: rate,
      }),
      lineChart({
        title: "Bytes per second",
        times,
        series: [
          { name: "in", values: perSecond("bytesIn") },
          { name: "out", values: perSecond("bytesOut") },
        ],
        format: (n) => size(Math.round(n)) + "/s",
      }),
      lineChart({
        title: "Latency (ms)",
        times,
        series: [
          { name: "p50", values: points.map((p) => p.p50) },
          { name: "p90", values: points.map((p) => p.p90) },
          { name: "p99", values: points.map((p) => p.p99) },
        ],
        format: (n) => rate(n) + " ms",
      }),
    ),
    el(
      "table",
      { "aria-label": "Buckets by size" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", {}, "Bucket"),
          el("th", { class: "num" }, "Objects"),
          el("th", { class: "num" }, "Bytes"),
          el("th", { class: "num hide-narrow" }, "Noncurrent versions"),
        ),
      ),
      el(
        "tbody",
        {},
        ...[...stats.buckets].sort((a, b) => b.bytes - a.bytes).map((b) =>
          el(
            "tr",
            { "data-bucket": b.bucket },
            el("td", {}, b.bucket),
            el(
              "td",
              { class: "num", "data-objects": String(b.objects) },
              b.objects.toLocaleString("en"),
            ),
            el("td", { class: "num", "data-bytes": String(b.bytes) }, size(b.bytes)),
            el("td", { class: "num hide-narrow" }, String(b.noncurrentVersions)),
          )
        ),
      ),
    ),
    el(
      "p",
      { class: "muted" },
      "Counted " + stats.countedAt.slice(0, 19).replace("T", " ") + " UTC · " + stats.version,
    ),
  );
}
