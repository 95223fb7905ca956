// @ts-check
// "Explore: randomised briefs": creative briefs whose attributes the package draws at random
// (`exploreBriefs`, ChaCha20 seeded from `crypto.getRandomValues`), so what the account learns from
// them is not confounded with how good its ideas were. Made as drawn and imported with their
// `assignment` column, their records are what a release with `contribute: randomised` learns from
// (docs/network-effect.md, "An exploration cohort"). Without an account the briefs are drawn in
// the page (nothing is sent) and downloaded as a CSV to fill in; the server does not store their
// records as randomised. With the account id and token of the "Upload" form filled in, the server
// issues them to the account (`POST /api/accounts/{id}/explore`) under record ids it keeps, and
// the uploaded records made from them are stored as randomised (docs/worker.md, "Ingest rules").

import { byId, csvCell, download, el, errorText } from "./dom.js";
import { human } from "./creative.js";

/** @typedef {import("../pkg/lite/crosslearn_lite.js").RandomisedBrief} RandomisedBrief */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Platform} Platform */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").AdFormat} AdFormat */
/** A brief, with the record id the server issued it under (absent: drawn in the page). @typedef {RandomisedBrief & { record_id?: string }} Brief */

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
 * @param {Brief[]} briefs
 * @param {string} run a run id that keeps record ids of two draws apart (briefs without an
 *   issued record id)
 * @param {string} [account] the account id, if known
 * @returns {string}
 */
export function briefsCsv(briefs, run, account = "") {
  const rows = briefs.map((b, i) => [
    b.record_id ?? `explore-${run}-${i + 1}`,
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
 * @typedef {{ ok: true, briefs: Brief[] } | { ok: false, message: string }} IssueResult
 */

/**
 * Briefs the server issues to an account (`POST /api/accounts/{id}/explore`).
 * @param {{ base: string, account: string, token: string, platform: Platform, count: number,
 *   formats: AdFormat[], fetchFn?: typeof fetch }} o
 * @returns {Promise<IssueResult>}
 */
export async function issueBriefs(o) {
  const f = o.fetchFn ?? fetch;
  let res;
  try {
    res = await f(`${o.base.replace(/\/$/, "")}/api/accounts/${encodeURIComponent(o.account.trim())}/explore`, {
      method: "POST",
      headers: { authorization: `Bearer ${o.token.trim()}`, "content-type": "application/json" },
      body: JSON.stringify({ platform: o.platform, count: o.count, formats: o.formats }),
    });
  } catch (e) {
    return { ok: false, message: `The server could not be reached (${e instanceof Error ? e.message : String(e)}).` };
  }
  /** @type {{ briefs?: Brief[], error?: { message?: string } } | null} */
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok || !json?.briefs) return { ok: false, message: json?.error?.message ?? `HTTP ${res.status}` };
  return { ok: true, briefs: json.briefs };
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
  const account = byId("upload-account", HTMLInputElement);
  const token = byId("upload-token", HTMLInputElement);
  /** @type {Brief[]} */
  let briefs = [];
  const fail = (/** @type {string} */ message) => {
    briefs = [];
    status.textContent = message;
    list.replaceChildren();
    save.hidden = true;
  };
  go.addEventListener("click", async () => {
    /** @type {AdFormat[]} */
    const formats = [];
    if (video.checked) formats.push("video");
    if (image.checked) formats.push("image");
    const n = Math.min(MAX_PAGE_BRIEFS, Math.max(1, Math.round(Number(count.value) || 1)));
    const p = /** @type {Platform} */ (platform.value);
    const issued = Boolean(account.value.trim() && token.value.trim());
    if (issued) {
      go.disabled = true;
      const r = await issueBriefs({ base: location.origin, account: account.value, token: token.value, platform: p, count: n, formats });
      go.disabled = false;
      if (!r.ok) return fail(`The server did not issue briefs: ${r.message}`);
      briefs = r.briefs;
    } else {
      try {
        briefs = deps.exploreBriefs(p, n, { formats });
      } catch (e) {
        return fail(errorText(e));
      }
    }
    list.replaceChildren(...briefs.map((b) => {
      const length = b.duration_range_s ? `, ${b.duration_range_s[0]}–${b.duration_range_s[1]} s` : "";
      const tags = b.visual_tags.length ? b.visual_tags.map(human).join(", ") : "no visual elements";
      return el("li", `${human(b.hook_type)} hook, ${human(b.cta_style)} call to action, ` +
        `${human(b.format)}${length}; ${tags}; post at ${String(b.posting_hour).padStart(2, "0")}:00`,
        { "data-hook": b.hook_type, "data-cta": b.cta_style });
    }));
    const many = `${briefs.length} brief${briefs.length === 1 ? "" : "s"}`;
    status.textContent = issued
      ? `${many} drawn at random and issued to account ${account.value.trim()} by this server. ` +
        "Make each ad as drawn, run it, fill in the file's copy and results, import and upload it: " +
        "the server stores the records made from these briefs as randomised."
      : `${many} drawn at random in this page (nothing was sent). ` +
        "Make each ad as drawn, run it, fill in the file's copy and results and import it: " +
        "its assignment column marks the records randomised for this page. The server stores " +
        "records as randomised only from briefs it issued: enter the account id and token under " +
        "“Upload” first to draw them there.";
    save.hidden = false;
  });
  save.addEventListener("click", () => download(`explore-${platform.value}.csv`, briefsCsv(briefs, runId(), account.value.trim())));
}
