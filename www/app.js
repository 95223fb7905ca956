// The metric-normalizer page: every keystroke re-normalizes locally with the wasm package.
import init, { normalize } from "./pkg/crosslearn.js";

const form = document.getElementById("metrics");
const status = document.getElementById("status");
const table = document.getElementById("result");

const pct = (v) => (v === "" ? null : Number(v) / 100);
const num = (v) => (v === "" ? null : Number(v));

function readMetrics() {
  const f = new FormData(form);
  const platform = String(f.get("platform"));
  const score = num(String(f.get("score")));
  return {
    platform,
    ctr: pct(String(f.get("ctr"))),
    cpc: num(String(f.get("cpc"))),
    cpm: num(String(f.get("cpm"))),
    impressions: num(String(f.get("impressions"))),
    clicks: num(String(f.get("clicks"))),
    spend: num(String(f.get("spend"))),
    revenue: num(String(f.get("revenue"))) ?? 0,
    engagement_rate: pct(String(f.get("engagement_rate"))),
    quality_score: platform === "google_ads" ? score : null,
    relevance_score: platform === "meta" ? score : null,
  };
}

const rows = [
  ["CTR", "normalized_ctr"],
  ["CPC (cheaper is better)", "normalized_cpc"],
  ["CPM (cheaper is better)", "normalized_cpm"],
  ["Engagement", "normalized_engagement"],
  ["Quality", "normalized_quality"],
  ["Composite score", "composite_score"],
  ["Confidence (from impressions)", "confidence"],
];

function render(n) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const [label, key] of rows) {
    const v = n[key];
    const tr = body.insertRow();
    tr.insertCell().textContent = label;
    const cell = tr.insertCell();
    if (v === null || v === undefined) {
      cell.textContent = "no signal";
    } else {
      cell.textContent = v.toFixed(3);
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.round(v * 60)}px`;
      cell.append(bar);
    }
  }
  const tr = body.insertRow();
  tr.insertCell().textContent = "ROAS";
  tr.insertCell().textContent = `${n.roas.toFixed(2)}×`;
}

function update() {
  try {
    const n = normalize(readMetrics());
    render(n);
    table.hidden = false;
    status.className = "status";
    status.textContent = "Scores update as you type.";
  } catch (e) {
    table.hidden = true;
    status.className = "status error";
    status.textContent = e instanceof Error ? e.message : String(e);
  }
}

await init();
form.addEventListener("input", update);
update();
