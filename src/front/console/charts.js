// @ts-check
/// <reference lib="dom" />
/**
 * Line charts drawn as plain SVG: a few series over the same times, the
 * largest value and the time span labelled. Colours come from the style
 * sheet (classes s0, s1, s2), so they follow the light or dark theme.
 */
const SVG = "http://www.w3.org/2000/svg";
const W = 600;
const H = 150;
const PAD = { left: 64, right: 8, top: 10, bottom: 20 };

/**
 * An SVG element with attributes and children.
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...(Node | string)} children
 */
function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

/**
 * A figure holding one chart: its title, the lines and a legend.
 * @param {{
 *   title: string,
 *   times: number[],
 *   series: { name: string, values: number[] }[],
 *   format: (n: number) => string,
 * }} chart
 */
export function lineChart(chart) {
  const { times, series, format } = chart;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const x = (/** @type {number} */ i) =>
    PAD.left + (i / Math.max(1, times.length - 1)) * (W - PAD.left - PAD.right);
  const y = (/** @type {number} */ v) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const plot = svg(
    "svg",
    {
      viewBox: `0 0 ${W} ${H}`,
      role: "img",
      "aria-label": chart.title + ", largest " + format(max),
      class: "chart",
    },
    svg("line", { x1: PAD.left, y1: y(0), x2: W - PAD.right, y2: y(0), class: "axis" }),
    svg("line", { x1: PAD.left, y1: y(max), x2: W - PAD.right, y2: y(max), class: "grid" }),
    svg(
      "text",
      { x: PAD.left - 4, y: y(max) + 4, "text-anchor": "end", class: "label" },
      format(max),
    ),
    svg("text", { x: PAD.left - 4, y: y(0), "text-anchor": "end", class: "label" }, "0"),
    svg("text", { x: PAD.left, y: H - 4, class: "label" }, ago(times[0])),
    svg("text", { x: W - PAD.right, y: H - 4, "text-anchor": "end", class: "label" }, "now"),
    ...series.map((s, i) =>
      svg("polyline", {
        points: s.values.map((v, j) => `${x(j).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
        class: "line s" + i,
      })
    ),
  );
  const legend = document.createElement("figcaption");
  legend.append(chart.title + " ");
  series.forEach((s, i) => {
    const swatch = document.createElement("span");
    swatch.className = "swatch s" + i;
    const last = s.values.at(-1) ?? 0;
    legend.append(swatch, s.name + " " + format(last) + " ");
  });
  const figure = document.createElement("figure");
  figure.append(plot, legend);
  return figure;
}

/**
 * How long ago a time was, for the left end of a chart.
 * @param {number | undefined} t
 */
function ago(t) {
  if (t === undefined) return "";
  const minutes = Math.round((Date.now() - t) / 60_000);
  return minutes >= 1 ? minutes + " min ago" : "now";
}
