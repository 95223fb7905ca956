// @ts-check
// The CSV import Web Worker: parses a file with the package's importer, detects missing niches,
// scores the accepted records in batches with the grounded CTR model (the population model, so an
// imported ad is never scored by a model that has seen its own result), reporting progress, and
// then personalises that model with the results, so the page stays responsive.
import init, { GroundedCtr, NicheModel, importCsv } from "./pkg/lite/crosslearn_lite.js";
import { percentileLabel, percentileOf, platformCtr } from "./lib/wisdom.js";

/** @typedef {import("./pkg/lite/crosslearn_lite.js").CreativeRecord} CreativeRecord */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").CreativeAttributes} CreativeAttributes */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").NicheWisdom} NicheWisdom */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").RejectedRecord} RejectedRecord */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").Niche} Niche */

/**
 * A request from the page.
 * @typedef {object} ImportRequest
 * @property {ArrayBuffer} bytes the CSV file
 * @property {string} ctrModel the grounded CTR model file (JSON)
 * @property {ArrayBuffer} nicheModel the niche model file
 * @property {NicheWisdom[]} releases the release used for each niche (at most one per niche)
 * @property {number} batch rows per scoring batch
 */

/**
 * One scored record.
 * @typedef {object} ScoredRow
 * @property {string} record_id
 * @property {string} platform
 * @property {string} niche
 * @property {"declared" | "detected" | "none"} niche_source
 * @property {string} hook_type
 * @property {string} cta_style
 * @property {string} format
 * @property {number} impressions
 * @property {number} clicks
 * @property {number} actual_ctr
 * @property {number | null} predicted_ctr null when the row could not be scored
 * @property {number | null} percentile the actual CTR's percentile in its niche/platform release
 * @property {"above" | "average" | "below" | null} label
 * @property {string} text headline and body, shortened
 * @property {string | null} error why it could not be scored
 */

/**
 * The model personalised with the imported results.
 * @typedef {object} Personal
 * @property {number} used results it learnt from
 * @property {number} skipped results it could not use
 * @property {string | null} unchangedReason why nothing changed, when nothing did
 * @property {string} json the personalised model file (for `GroundedCtr.fromJson`)
 */

/**
 * A message to the page.
 * @typedef {{ type: "parsed", format: string, rows: number, accepted: number, rejected: RejectedRecord[], warnings: string[], unrecoverable: string[], parseMs: number }
 *   | { type: "progress", done: number, total: number }
 *   | { type: "done", rows: ScoredRow[], scoreMs: number }
 *   | { type: "personal", personal: Personal, ms: number }
 *   | { type: "error", message: string }} ImportMessage
 */

const scope = /** @type {{ postMessage(m: ImportMessage): void, onmessage: ((e: MessageEvent<ImportRequest>) => void) | null }} */ (
  /** @type {unknown} */ (self)
);

let ready = /** @type {Promise<unknown> | null} */ (null);

scope.onmessage = (/** @type {MessageEvent<ImportRequest>} */ e) => {
  run(e.data).catch((err) => scope.postMessage({ type: "error", message: err instanceof Error ? err.message : String(err) }));
};

/** @param {ImportRequest} req */
async function run(req) {
  ready ??= init();
  await ready;
  const ctr = GroundedCtr.fromJson(req.ctrModel);
  const nicheModel = NicheModel.load(new Uint8Array(req.nicheModel));
  try {
    const t0 = performance.now();
    const report = importCsv(new Uint8Array(req.bytes));
    const parseMs = performance.now() - t0;
    scope.postMessage({
      type: "parsed", format: report.format, rows: report.rows, accepted: report.accepted.length,
      rejected: report.rejected, warnings: report.warnings, unrecoverable: report.unrecoverable, parseMs,
    });
    /** @type {Map<string, NicheWisdom>} */
    const byNiche = new Map(req.releases.map((w) => [w.niche, w]));
    const records = report.accepted;
    /** @type {ScoredRow[]} */
    const rows = [];
    /** @type {import("./pkg/lite/crosslearn_lite.js").OwnResult[]} */
    const own = [];
    const t1 = performance.now();
    const batch = Math.max(1, req.batch);
    for (let start = 0; start < records.length; start += batch) {
      const chunk = records.slice(start, start + batch);
      rows.push(...scoreChunk(chunk, ctr, nicheModel, byNiche, own));
      scope.postMessage({ type: "progress", done: Math.min(records.length, start + batch), total: records.length });
      // Let the progress message go out before the next batch.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    scope.postMessage({ type: "done", rows, scoreMs: performance.now() - t1 });
    // Then learn from the results (the table is already shown).
    const t2 = performance.now();
    const mine = ctr.personalise(own);
    try {
      const report = mine.personalisation;
      const personal = {
        used: report?.used ?? 0,
        skipped: report?.skipped.length ?? 0,
        unchangedReason: report?.unchanged_reason ?? null,
        json: (report?.used ?? 0) > 0 ? mine.toJson() : "",
      };
      scope.postMessage({ type: "personal", personal, ms: performance.now() - t2 });
    } finally {
      mine.free();
    }
  } finally {
    ctr.free();
    nicheModel.free();
  }
}

/**
 * @param {CreativeRecord[]} chunk
 * @param {GroundedCtr} ctr
 * @param {NicheModel} nicheModel
 * @param {Map<string, NicheWisdom>} byNiche
 * @param {import("./pkg/lite/crosslearn_lite.js").OwnResult[]} own collects the scored rows' results
 * @returns {ScoredRow[]}
 */
function scoreChunk(chunk, ctr, nicheModel, byNiche, own) {
  // Niche: declared when the file has it, else detected from the copy (none without copy).
  /** @type {(Niche | null)[]} */
  const niches = chunk.map((r) => (r.niche && r.niche !== "unknown" ? r.niche : null));
  /** @type {("declared" | "detected" | "none")[]} */
  const sources = niches.map((n) => (n ? "declared" : "none"));
  /** @type {number[]} */
  const needs = [];
  chunk.forEach((r, i) => {
    if (niches[i] === null && (r.headline + r.body).trim() !== "") needs.push(i);
  });
  const detected = nicheModel.detectBatch(needs.map((i) => `${chunk[i].headline}\n${chunk[i].body}`));
  needs.forEach((i, k) => {
    const d = detected[k];
    if (d && d.niche !== "unknown") {
      niches[i] = d.niche;
      sources[i] = "detected";
    }
  });
  /** @type {CreativeAttributes[]} */
  const attrs = chunk.map((r, i) => ({
    platform: r.platform, niche: niches[i], hook_type: r.hook_type, cta_style: r.cta_style,
    visual_tags: r.visual_tags, format: r.format, duration_s: r.duration_s, posting_hour: r.posting_hour,
  }));
  /** @type {(number | null)[]} */
  let scores;
  /** @type {(string | null)[]} */
  const errors = chunk.map(() => null);
  try {
    scores = [...ctr.predictCtrBatch(attrs)];
  } catch {
    // One bad row must not sink its batch: score the batch row by row.
    scores = attrs.map((a, i) => {
      try {
        return ctr.predict(a).ctr;
      } catch (e) {
        errors[i] = e instanceof Error ? e.message : String(e);
        return null;
      }
    });
  }
  chunk.forEach((r, i) => {
    if (errors[i] === null) own.push({ creative: attrs[i], impressions: r.impressions, clicks: r.clicks });
  });
  return chunk.map((r, i) => {
    const niche = niches[i];
    const actual = r.impressions > 0 ? r.clicks / r.impressions : 0;
    const w = niche ? byNiche.get(niche) : undefined;
    const bench = w ? platformCtr(w, r.platform) : null;
    const p = bench ? percentileOf(bench.ctr, actual) : null;
    const text = `${r.headline} ${r.body}`.trim();
    return {
      record_id: r.record_id, platform: r.platform, niche: niche ?? "unknown", niche_source: sources[i],
      hook_type: r.hook_type, cta_style: r.cta_style, format: r.format, impressions: r.impressions, clicks: r.clicks,
      actual_ctr: actual, predicted_ctr: scores[i] ?? null, percentile: p, label: p === null ? null : percentileLabel(p),
      text: text.length > 120 ? `${text.slice(0, 120)}…` : text, error: errors[i],
    };
  });
}
