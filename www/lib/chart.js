// @ts-check
// The niche's CTR distribution on one platform as an SVG (no chart library): the released
// quantiles p10..p90 drawn as a density in log(CTR), with the creative marked.

/** @typedef {import("../pkg/lite/crosslearn_lite.js").MetricBenchmark} MetricBenchmark */

const W = 560;
const H = 190;
const PAD = { left: 16, right: 16, top: 26, bottom: 40 };

/**
 * @param {string} s
 * @returns {string}
 */
function esc(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}

/**
 * @param {number} v
 * @returns {string}
 */
function pct(v) {
  return `${(v * 100).toFixed(v < 0.01 ? 2 : 1)} %`;
}

/**
 * The SVG markup of the chart.
 * @param {MetricBenchmark} q released CTR quantiles of the niche on the platform
 * @param {number} ctr the creative's predicted CTR
 * @param {{ low: number, high: number }} interval its 95 % interval
 * @param {string} caption who the distribution is of (for the accessible title)
 * @returns {string}
 */
export function distributionSvg(q, ctr, interval, caption) {
  const qs = [q.p10, q.p25, q.p50, q.p75, q.p90];
  // Tails: 10 % each, as wide (in log CTR) as the neighbouring quantile segment.
  const lo = q.p10 / (q.p25 / q.p10);
  const hi = q.p90 * (q.p90 / q.p75);
  const edges = [lo, ...qs, hi];
  const mass = [0.1, 0.15, 0.25, 0.25, 0.15, 0.1];
  // The axis spans the distribution (and the creative); the interval is clipped to it.
  const xMin = Math.log(Math.min(lo, ctr) * 0.85);
  const xMax = Math.log(Math.max(hi, ctr) * 1.15);
  const sx = (/** @type {number} */ v) => PAD.left + ((Math.log(v) - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const dens = mass.map((m, i) => m / Math.max(1e-9, Math.log(edges[i + 1]) - Math.log(edges[i])));
  const dMax = Math.max(...dens);
  const baseY = H - PAD.bottom;
  const sy = (/** @type {number} */ d) => baseY - (d / dMax) * (H - PAD.top - PAD.bottom);
  const parts = [];
  parts.push(`<title>${esc(caption)}</title>`);
  for (let i = 0; i < mass.length; i++) {
    const x0 = sx(edges[i]);
    const x1 = sx(edges[i + 1]);
    const y = sy(dens[i]);
    const cls = i === 0 || i === mass.length - 1 ? "bin tail" : "bin";
    parts.push(`<rect class="${cls}" x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, x1 - x0 - 1).toFixed(1)}" height="${(baseY - y).toFixed(1)}"><title>${Math.round(mass[i] * 100)} % of accounts between ${pct(edges[i])} and ${pct(edges[i + 1])}</title></rect>`);
  }
  parts.push(`<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${baseY}" y2="${baseY}"/>`);
  const names = ["p10", "p25", "median", "p75", "p90"];
  qs.forEach((v, i) => {
    const x = sx(v).toFixed(1);
    parts.push(`<line class="tick" x1="${x}" x2="${x}" y1="${baseY}" y2="${baseY + 5}"/>`);
    // Values under p10, the median and p90 only: p25/p75 sit too close to label legibly.
    if (i % 2 === 0) {
      parts.push(`<text class="tick-label" x="${x}" y="${baseY + 18}" text-anchor="middle">${pct(v)}</text>`);
      parts.push(`<text class="tick-name" x="${x}" y="${baseY + 32}" text-anchor="middle">${names[i]}</text>`);
    }
  });
  const clip = (/** @type {number} */ v) => Math.min(Math.exp(xMax), Math.max(Math.exp(xMin), v));
  const xl = sx(clip(interval.low));
  const xh = sx(clip(interval.high));
  parts.push(`<rect class="interval" x="${xl.toFixed(1)}" y="${PAD.top - 6}" width="${Math.max(1, xh - xl).toFixed(1)}" height="${(baseY - PAD.top + 6).toFixed(1)}"/>`);
  const xc = sx(ctr);
  const anchor = xc > W * 0.8 ? "end" : xc < W * 0.2 ? "start" : "middle";
  parts.push(`<line class="marker" x1="${xc.toFixed(1)}" x2="${xc.toFixed(1)}" y1="${PAD.top - 6}" y2="${baseY}"/>`);
  parts.push(`<text class="marker-label" x="${xc.toFixed(1)}" y="${PAD.top - 10}" text-anchor="${anchor}">This ad: ${pct(ctr)}</text>`);
  return parts.join("");
}

/** The chart's viewBox. */
export const VIEW_BOX = `0 0 ${W} ${H}`;
