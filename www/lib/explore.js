// @ts-check
// "Explore: randomised briefs": creative briefs whose attributes the package draws at random
// (`exploreBriefs`, ChaCha20 seeded from `crypto.getRandomValues`), so what the account learns from
// them is not confounded with how good its ideas were. Made as drawn and imported with their
// `assignment` column, their records are what a release with `contribute: randomised` learns from
// (docs/network-effect.md, "An exploration cohort"). Nothing is sent anywhere: the briefs are
// drawn in the page and downloaded as a CSV to fill in.

import { byId, csvCell, download, el, errorText } from "./dom.js";
import { human } from "./creative.js";

/** @typedef {import("../pkg/lite/crosslearn_lite.js").RandomisedBrief} RandomisedBrief */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Platform} Platform */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").AdFormat} AdFormat */

/** The columns of the brief file: the generic record format, as `crosslearn explore` writes it. */
export const BRIEF_COLUMNS = [
  "record_id", "account_id", "platform", "hook_type", "cta_style", "format", "duration_s",
  "visual_tags", "posting_hour", "assignment", "headline", "body", "impressions", "clicks", "spend",
];

/** The most briefs one draw gives in the page. */
export const MAX_PAGE_BRIEFS = 20;

/**
 * The brief file: one generic-format row per brief, `assignment` `randomised`, the video length
 * at the middle of its bucket, copy and results left empty for the advertiser to fill in.
 * @param {RandomisedBrief[]} briefs
 * @param {string} run a run id that keeps record ids of two draws apart
 * @param {string} [account] the account id, if known
 * @returns {string}
 */
export function briefsCsv(briefs, run, account = "") {
  const rows = briefs.map((b, i) => [
    `explore-${run}-${i + 1}`,
    account,
    b.platform,
    b.hook_type,
    b.cta_style,
    b.format,
    b.duration_range_s ? String(Math.round((b.duration_range_s[0] + b.duration_range_s[1]) / 2)) : "",
    b.visual_tags.join("|"),
    String(b.posting_hour),
    "randomised",
    "", "", "", "", "",
  ].map(csvCell).join(","));
  return [BRIEF_COLUMNS.join(","), ...rows].join("\n") + "\n";
}

/**
 * A run id from the browser's cryptographic generator (8 hex digits).
 * @returns {string}
 */
export function runId() {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0].toString(16).padStart(8, "0");
}

/**
 * Wire the "Explore" card: draw `count` briefs for the chosen platform and formats, show them,
 * and offer them as a CSV.
 * @param {{ exploreBriefs: typeof import("../pkg/lite/crosslearn_lite.js").exploreBriefs }} deps
 */
export function setupExplore(deps) {
  const platform = byId("explore-platform", HTMLSelectElement);
  const count = byId("explore-count", HTMLInputElement);
  const video = byId("explore-video", HTMLInputElement);
  const image = byId("explore-image", HTMLInputElement);
  const go = byId("explore-go", HTMLButtonElement);
  const list = byId("explore-briefs", HTMLOListElement);
  const status = byId("explore-status", HTMLParagraphElement);
  const save = byId("explore-download", HTMLButtonElement);
  /** @type {RandomisedBrief[]} */
  let briefs = [];
  go.addEventListener("click", () => {
    /** @type {AdFormat[]} */
    const formats = [];
    if (video.checked) formats.push("video");
    if (image.checked) formats.push("image");
    try {
      const n = Math.min(MAX_PAGE_BRIEFS, Math.max(1, Math.round(Number(count.value) || 1)));
      briefs = deps.exploreBriefs(/** @type {Platform} */ (platform.value), n, { formats });
    } catch (e) {
      briefs = [];
      status.textContent = errorText(e);
      list.replaceChildren();
      save.hidden = true;
      return;
    }
    list.replaceChildren(...briefs.map((b) => {
      const length = b.duration_range_s ? `, ${b.duration_range_s[0]}–${b.duration_range_s[1]} s` : "";
      const tags = b.visual_tags.length ? b.visual_tags.map(human).join(", ") : "no visual elements";
      return el("li", `${human(b.hook_type)} hook, ${human(b.cta_style)} call to action, ` +
        `${human(b.format)}${length}; ${tags}; post at ${String(b.posting_hour).padStart(2, "0")}:00`,
        { "data-hook": b.hook_type, "data-cta": b.cta_style });
    }));
    status.textContent = `${briefs.length} brief${briefs.length === 1 ? "" : "s"} drawn at random in this page. ` +
      "Make each ad as drawn, run it, fill in the file's copy and results and import it: " +
      "its assignment column marks the records randomised.";
    save.hidden = false;
  });
  save.addEventListener("click", () => download(`explore-${platform.value}.csv`, briefsCsv(briefs, runId())));
}
