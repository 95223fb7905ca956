// @ts-check
// The ad editor: every input re-scores the draft locally with the wasm package (copy attributes,
// niche, calibrated CTR with its interval, benchmark, recommendations, chart) within one frame.
// The only network calls fetch public things: the page, the package, the model files and the
// published niche wisdom (lib/config.js).
import init, { CopyExtractor, GroundedCtr, NicheModel, copyAnatomy, exploreBriefs, recommend, normalize } from "./pkg/lite/crosslearn_lite.js";
import { CTR_MODEL_FILE, MODEL_BASE, NICHE_MODEL_FILE } from "./lib/config.js";
import { byId, el, errorText } from "./lib/dom.js";
import {
  CTAS, FORMATS, HOOKS, PLATFORMS, TIMED_FORMATS, VISUAL_TAGS,
  actionText, applyPattern, attributeNoun, creativeHas, ctrPct, human, humanValue, liftPct, ordinal,
} from "./lib/creative.js";
import { VIEW_BOX, distributionSvg } from "./lib/chart.js";
import { loadReleases, describeSource } from "./lib/releases.js";
import { isStale, percentileLabel, percentileOf, platformCtr, resolveAll, resolveWisdom } from "./lib/wisdom.js";
import { setupImport } from "./lib/import-ui.js";
import { setupExplore } from "./lib/explore.js";
import { posteriorAdvice } from "./lib/advice.js";
import { exampleCopy, exampleFromQuery } from "./lib/examples.js";
import { loadDemoNotice, loadReleaseStatus, missingReason } from "./lib/why.js";

/** @typedef {import("./pkg/lite/crosslearn_lite.js").CreativeAttributes} CreativeAttributes */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").ReleasedRate} ReleasedRate */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").Recommendations} Recommendations */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").Recommendation} Recommendation */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").Niche} Niche */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").Platform} Platform */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").HookType} HookType */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").CtaStyle} CtaStyle */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").AdFormat} AdFormat */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").PlatformCopy} PlatformCopy */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").ReadCopy} ReadCopy */
/** @typedef {import("./pkg/lite/crosslearn_lite.js").VisualTag} VisualTag */
/** @typedef {import("./lib/wisdom.js").ResolvedWisdom} ResolvedWisdom */
/** @typedef {import("./lib/wisdom.js").ReleaseSet} ReleaseSet */

/**
 * One scored draft (the editor's current state, or a saved variant).
 * @typedef {object} Scored
 * @property {string} headline the copy after the field shown first, one field per line
 * @property {string} body the field shown first
 * @property {PlatformCopy} copy the fields as typed
 * @property {CreativeAttributes} creative
 * @property {{ niche: Niche, confidence: number, detected: boolean }} niche
 * @property {{ ctr: number, low: number, high: number }} score
 * @property {number | null} percentile
 * @property {ResolvedWisdom | null} wisdom
 */

/**
 * Performance counters the browser test reads (docs/editor.md): per input event, the time from
 * the event to the updated score in the DOM.
 * @typedef {{ latencies: number[], updates: number }} EditorPerf
 */
const perfWindow = /** @type {Window & { __editorPerf?: EditorPerf }} */ (window);
/** @type {EditorPerf} */
const perf = { latencies: [], updates: 0 };
perfWindow.__editorPerf = perf;

const form = byId("editor", HTMLFormElement);
const f = {
  platform: byId("platform", HTMLSelectElement),
  headline: byId("headline", HTMLInputElement),
  body: byId("body", HTMLTextAreaElement),
  description: byId("description", HTMLInputElement),
  headlines: byId("headlines", HTMLTextAreaElement),
  descriptions: byId("descriptions", HTMLTextAreaElement),
  copyFields: byId("copy-fields", HTMLDivElement),
  hook: byId("hook", HTMLSelectElement),
  cta: byId("cta", HTMLSelectElement),
  format: byId("format", HTMLSelectElement),
  duration: byId("duration", HTMLInputElement),
  hour: byId("hour", HTMLSelectElement),
  niche: byId("niche", HTMLSelectElement),
  tags: byId("tags", HTMLDivElement),
};
const out = {
  status: byId("wisdom-status", HTMLDivElement),
  error: byId("editor-error", HTMLParagraphElement),
  hookReadout: byId("hook-readout", HTMLSpanElement),
  ctaReadout: byId("cta-readout", HTMLSpanElement),
  ctr: byId("ctr", HTMLParagraphElement),
  ctrInterval: byId("ctr-interval", HTMLParagraphElement),
  ctrBasis: byId("ctr-basis", HTMLParagraphElement),
  percentile: byId("percentile", HTMLSpanElement),
  percentileLabel: byId("percentile-label", HTMLSpanElement),
  percentileBasis: byId("percentile-basis", HTMLParagraphElement),
  score: byId("score", HTMLSpanElement),
  scoreBar: byId("score-bar", HTMLSpanElement),
  scoreBasis: byId("score-basis", HTMLParagraphElement),
  nicheName: byId("niche-name", HTMLParagraphElement),
  nicheConfidence: byId("niche-confidence", HTMLParagraphElement),
  chart: byId("chart", SVGSVGElement),
  chartTitle: byId("chart-title", HTMLHeadingElement),
  chartCaption: byId("chart-caption", HTMLElement),
  recs: byId("recommendations", HTMLOListElement),
  recsNote: byId("recs-note", HTMLParagraphElement),
  already: byId("already", HTMLUListElement),
  alreadySummary: byId("already-summary", HTMLElement),
  compare: byId("compare", HTMLTableElement),
  compareEmpty: byId("compare-empty", HTMLParagraphElement),
  modelInfo: byId("model-info", HTMLSpanElement),
};

/**
 * @param {HTMLSelectElement} select
 * @param {[string, string][]} options
 */
function fill(select, options) {
  select.replaceChildren(...options.map(([v, t]) => el("option", t, { value: v })));
}

fill(f.platform, PLATFORMS);
fill(f.hook, [["", "Auto (from copy)"], ...HOOKS.map((h) => /** @type {[string, string]} */ ([h, human(h)]))]);
fill(f.cta, [["", "Auto (from copy)"], ...CTAS.map((c) => /** @type {[string, string]} */ ([c, human(c)]))]);
fill(f.format, FORMATS.map((x) => [x, human(x)]));
fill(f.hour, [["", "Not set"], ...Array.from({ length: 24 }, (_, h) => /** @type {[string, string]} */ ([String(h), `${String(h).padStart(2, "0")}:00`]))]);
f.hour.value = "19";
for (const t of VISUAL_TAGS) {
  const id = `tag-${t}`;
  const box = el("input", undefined, { type: "checkbox", id, name: "tag", value: t });
  const label = el("label", human(t), { for: id });
  const wrap = el("span", undefined, { class: "tag" });
  wrap.append(box, label);
  f.tags.append(wrap);
}

out.status.textContent = "Loading the scoring engine and models…";
const [, ctrBytes, nicheBytes] = await Promise.all([
  init(),
  fetchBytes(MODEL_BASE + CTR_MODEL_FILE),
  fetchBytes(MODEL_BASE + NICHE_MODEL_FILE),
]);
const nicheModel = NicheModel.load(nicheBytes);
// Rules v2 read what a user types (docs/data-layer.md); imports keep v1 like the rest of the data.
const extractor = CopyExtractor.withRules("v2");
fill(f.niche, [["", "Auto-detect"], ...nicheNamesSorted().map((n) => /** @type {[string, string]} */ ([n, human(n)]))]);
/** The grounded model as fitted to the real exports (the file). */
const populationModel = GroundedCtr.fromJson(new TextDecoder().decode(ctrBytes));
/** The population model with the loaded releases' base rates (what imported rows are scored with
 * and what an import personalises). */
let releasedModel = populationModel;
/** That model personalised with the user's own imported results (which never leave the page). */
/** @type {GroundedCtr | null} */
let personalModel = null;
/** The model every score on the page comes from: `personalModel`, else `releasedModel`. */
let ctrModel = populationModel;
out.modelInfo.textContent = `CTR model: ${CTR_MODEL_FILE} (${sourcesText(populationModel)}; reproduce: ${populationModel.provenance.command}). Niche model: ${NICHE_MODEL_FILE}.`;

/**
 * The model's data sources as a sentence part: "fitted to 1459 REAL creatives (a.csv 249, ...)".
 * @param {GroundedCtr} model
 */
function sourcesText(model) {
  const p = model.provenance;
  const real = p.sources.filter((x) => x.real);
  const simulated = p.sources.filter((x) => !x.real);
  let text = `fitted to ${model.realCreatives} REAL creatives (${real.map((x) => `${x.name} ${x.creatives}`).join(", ")})`;
  if (simulated.length > 0) text += ` and SIMULATED ones (${simulated.map((x) => `${x.name} ${x.creatives}`).join(", ")})`;
  return text;
}

/** The platforms the grounded model has a base rate for. */
const MODEL_PLATFORMS = new Set(["meta", "tiktok", "google_ads"]);

/**
 * The base rate of every (niche, platform) the loaded releases publish a CTR distribution for,
 * from the release the page uses for that niche.
 * @returns {ReleasedRate[]}
 */
/**
 * The release a niche wisdom record's benchmarks come from: the record itself
 * (`<niche>/<period>`), or, when they come from a separate distribution release
 * (`distribution_period` set; docs/privacy.md, "The distribution release"), that one as well.
 * @param {{ niche: string, period: number, distribution_period?: number | null }} w
 * @returns {string}
 */
function benchmarkRelease(w) {
  const own = `${w.niche}/${w.period}`;
  return w.distribution_period == null ? own : `${own}, benchmarks dist:${w.distribution_period}:${w.niche}`;
}

function releasedRates() {
  /** @type {ReleasedRate[]} */
  const rates = [];
  for (const r of resolveAll(releaseSets)) {
    const niche = r.wisdom.niche;
    for (const p of r.wisdom.platforms) {
      const q = p.ctr;
      if (!q || !MODEL_PLATFORMS.has(p.platform) || !(0 < q.p10 && q.p10 <= q.p50 && q.p50 <= q.p90 && q.p90 < 1)) continue;
      rates.push({
        niche, platform: p.platform, p10: q.p10, p50: q.p50, p90: q.p90, accounts: p.accounts,
        release_id: `${benchmarkRelease(r.wisdom)}${r.source === "snapshot" ? " (SIMULATED snapshot)" : ""}`,
      });
    }
  }
  return rates;
}

/** The base rates the page's models are built on (kept here: read on every keystroke). */
/** @type {ReleasedRate[]} */
let ratesInUse = [];

/** Why the loaded releases' posteriors could not be used, when they could not. */
/** @type {string | null} */
let posteriorError = null;

/**
 * The format-2 posterior tables of the releases the page uses, one per niche.
 * @returns {import("./pkg/lite/crosslearn_lite.js").PosteriorTable[]}
 */
function posteriorTables() {
  return resolveAll(releaseSets).flatMap((r) => (r.posteriors && r.posteriors.published ? [r.posteriors] : []));
}

/**
 * `model` on the loaded releases: their base rates and, per niche, their posteriors as effect
 * priors (when a table is malformed, the page says so and uses the base rates alone).
 * @param {GroundedCtr} model
 * @param {ReleasedRate[]} rates
 * @param {import("./pkg/lite/crosslearn_lite.js").PosteriorTable[]} tables
 */
function onReleases(model, rates, tables) {
  const based = model.withReleasedRates(rates);
  try {
    const combined = based.withEffectPosteriors(tables);
    based.free();
    posteriorError = null;
    return combined;
  } catch (e) {
    posteriorError = errorText(e);
    return based;
  }
}

/** Rebuild the models on the loaded releases (after the releases load). */
function applyReleases() {
  const rates = releasedRates();
  ratesInUse = rates;
  const tables = posteriorTables();
  const next = onReleases(populationModel, rates, tables);
  if (releasedModel !== populationModel) releasedModel.free();
  releasedModel = next;
  if (personalModel) {
    const mine = onReleases(personalModel, rates, tables);
    personalModel.free();
    personalModel = mine;
  }
  ctrModel = personalModel ?? releasedModel;
}

/**
 * The "based on" line under the score: what this prediction stands on.
 * @param {CreativeAttributes} creative
 */
function renderBasis(creative) {
  const own = ctrModel.personalRecords;
  const rate = ratesInUse.find((r) => r.niche === creative.niche && r.platform === creative.platform);
  const effects = creative.niche ? ctrModel.effectRelease(creative.niche) : undefined;
  out.ctrBasis.dataset.own = String(own);
  out.ctrBasis.dataset.release = rate ? rate.release_id : "";
  out.ctrBasis.dataset.effects = effects ?? "";
  out.ctrBasis.textContent = `Based on ${populationModel.realCreatives} real creatives from public ad exports` +
    (rate
      ? `, with the base rate of ${rate.accounts} ${human(rate.niche)} accounts on ${human(rate.platform)} (release ${rate.release_id})`
      : ", with the exports' base rate (no released CTR for this niche and platform)") +
    (effects
      ? `; attribute effects combined with release ${effects}'s posteriors`
      : posteriorError ? `; the release posteriors could not be used (${posteriorError})` : "") +
    `; your own records: ${own === 0 ? "none (import a CSV below to personalise the model on this device)" : `${own}, used on this device only`}.` +
    (own === 0 ? " The interval is for one new creative of a new account, so it is wide." : " The interval is for one new creative of yours.");
}

// The page opens on a filled example draft (`?example=<niche>&platform=<platform>`; default
// fitness), unless the browser restored a draft.
// The example is written into the fields of the platform the page opens on (Google Ads has
// headlines and descriptions, not a headline and a body: filling those left a Google Ads draft
// empty, its niche undetected and its benchmark missing).
const start = exampleFromQuery(location.search);
if (start.platform) f.platform.value = start.platform;
if ([f.headline, f.body, f.description, f.headlines, f.descriptions].every((x) => x.value === "")) {
  fillCopy(exampleCopy(start.example, f.platform.value));
}

/** @type {ReleaseSet[]} */
let releaseSets = [];
/** @type {import("./lib/why.js").ReleaseStatus | null} */
let releaseStatus = null;
/** The local demo's notice (`demo.json`, written by scripts/dev.sh): its data are SIMULATED. */
/** @type {string | null} */
let demoNotice = null;
const releaseLoad = Promise.all([
  loadReleases().then((sets) => {
    releaseSets = sets;
    recCache.clear();
    applyReleases();
  }),
  loadReleaseStatus().then((st) => {
    releaseStatus = st;
  }),
  loadDemoNotice().then((n) => {
    demoNotice = n;
  }),
]).then(() => update());

/**
 * @param {string} url
 * @returns {Promise<Uint8Array>}
 */
async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** @returns {Niche[]} */
function nicheNamesSorted() {
  /** @type {Niche[]} */
  const all = ["automotive", "beauty", "ecommerce", "education", "entertainment", "fashion", "finance", "fitness", "food", "health", "home_decor", "real_estate", "saas", "tech", "travel"];
  return all;
}

/** Recommendations per (source, release id): a release does not change between keystrokes. */
/** @type {Map<string, Recommendations>} */
const recCache = new Map();

/**
 * @param {ResolvedWisdom} rw
 * @returns {Recommendations}
 */
function recommendationsOf(rw) {
  const key = `${rw.source}:${rw.wisdom.niche}/${rw.wisdom.period}`;
  let r = recCache.get(key);
  if (!r) {
    r = recommend(rw.wisdom, null, { max_per_attribute: 3, include_weak: true });
    recCache.set(key, r);
  }
  return r;
}

// --- Copy fields: each platform's ad anatomy -------------------------------------------------

/** The form element holding each anatomy field (`primary_text` and `ad_text` share the text box). */
const FIELD_ELEMENT = /** @type {Record<string, "body" | "headline" | "description" | "headlines" | "descriptions">} */ ({
  primary_text: "body", ad_text: "body", body: "body", headline: "headline", description: "description",
  headlines: "headlines", descriptions: "descriptions",
});
/** @type {Record<string, string>} */
const PLACEHOLDER = {
  primary_text: "e.g. Tired of dull, dry skin? Our serum restores it overnight.",
  ad_text: "e.g. 5 ways to save on your electric bill",
  body: "What the ad says…",
  headline: "e.g. Glow in 7 days",
  description: "e.g. Free shipping over $30",
  headlines: "One per line, e.g.\nStill paying too much for car insurance?\nCompare 40 insurers",
  descriptions: "One per line, e.g.\nGet a quote in 2 minutes.",
};

/**
 * Show, order and label the copy fields the platform's ads have (the package's anatomy).
 * @param {Platform} platform
 */
function applyAnatomy(platform) {
  const fields = /** @type {import("./pkg/lite/crosslearn_lite.js").CopyField[]} */ (copyAnatomy(platform));
  const wrappers = /** @type {HTMLElement[]} */ ([...f.copyFields.querySelectorAll("[data-copy]")]);
  for (const w of wrappers) w.hidden = true;
  for (const field of fields) {
    const id = FIELD_ELEMENT[field.key];
    const wrap = wrappers.find((w) => w.dataset.copy === id);
    if (!wrap) continue;
    wrap.hidden = false;
    f.copyFields.append(wrap); // the order the platform shows them
    byId(`${id}-label`, HTMLLabelElement).textContent = field.shown_first ? `${field.label} (shown first)` : field.label;
    const input = /** @type {HTMLInputElement | HTMLTextAreaElement} */ (f[id]);
    input.placeholder = PLACEHOLDER[field.key] ?? "";
    input.dataset.field = field.key;
    const list = field.max_entries > 1;
    if (!list) input.maxLength = field.hard_limit ? field.max_chars : id === "body" ? 5000 : 300;
    const limit = list
      ? `Up to ${field.max_entries}, ${field.max_chars} characters each.`
      : field.hard_limit ? `Up to ${field.max_chars} characters.` : `About ${field.max_chars} characters show before the text is cut.`;
    byId(`${id}-hint`, HTMLParagraphElement).textContent = field.shown_first ? `${limit} The hook is read from its opening.` : limit;
  }
}

/**
 * The copy as the platform's own fields, from the visible inputs.
 * @param {Platform} platform
 * @returns {PlatformCopy}
 */
function platformCopy(platform) {
  /** @param {string} t */
  const lines = (t) => t.split("\n").map((x) => x.trim()).filter((x) => x !== "");
  switch (platform) {
    case "meta": return { platform, primary_text: f.body.value, headline: f.headline.value, description: f.description.value };
    case "google_ads": return { platform, headlines: lines(f.headlines.value), descriptions: lines(f.descriptions.value) };
    case "tiktok": return { platform, ad_text: f.body.value };
    default: return { platform: "unknown", headline: f.headline.value, body: f.body.value };
  }
}

/**
 * Fill the inputs from saved copy (a variant).
 * @param {PlatformCopy} copy
 */
function fillCopy(copy) {
  switch (copy.platform) {
    case "meta": f.body.value = copy.primary_text ?? ""; f.headline.value = copy.headline ?? ""; f.description.value = copy.description ?? ""; break;
    case "google_ads": f.headlines.value = (copy.headlines ?? []).join("\n"); f.descriptions.value = (copy.descriptions ?? []).join("\n"); break;
    case "tiktok": f.body.value = copy.ad_text ?? ""; break;
    default: f.headline.value = copy.headline ?? ""; f.body.value = copy.body ?? "";
  }
}

/**
 * Say what the hook and CTA were read from, in the user's own words.
 * @param {ReadCopy} read
 * @param {Platform} platform
 */
function renderReadout(read, platform) {
  const a = read.attributes;
  if (!read.hook_field) {
    out.hookReadout.textContent = "Hook: — (type the copy)";
  } else {
    const field = copyAnatomy(platform).find((x) => x.key === read.hook_field);
    const name = (field ? field.label : read.hook_field).toLowerCase();
    const where = field && field.max_entries > 1 ? `${name.replace(/s$/, "")} ${read.hook_index + 1}` : `the ${name}`;
    out.hookReadout.replaceChildren(`Hook: ${human(a.hook_type)}, read from ${where}: `, el("q", read.opening));
  }
  out.hookReadout.dataset.hook = a.hook_type;
  out.ctaReadout.textContent = `Call to action: ${a.cta_style === "none" ? "none found" : human(a.cta_style)}`;
  out.ctaReadout.dataset.cta = a.cta_style;
}

/**
 * Read the form, fill the "Auto" options from the copy, and score the draft.
 * @returns {Scored}
 */
function scoreForm() {
  const platform = /** @type {Platform} */ (f.platform.value);
  const copyIn = platformCopy(platform);
  const read = extractor.readPlatformCopy(copyIn);
  const { headline, body } = read;
  const copy = read.attributes;
  renderReadout(read, platform);
  setAutoText(f.hook, `Auto: ${human(copy.hook_type)}`);
  setAutoText(f.cta, `Auto: ${human(copy.cta_style)}`);
  const text = `${headline}\n${body}`;
  const detection = nicheModel.detect(text);
  setAutoText(f.niche, detection.niche === "unknown" ? "Auto-detect: not sure yet" : `Auto: ${human(detection.niche)} (${Math.round(detection.confidence * 100)} %)`);
  const chosenNiche = /** @type {Niche | ""} */ (f.niche.value);
  const niche = chosenNiche === ""
    ? { niche: detection.niche, confidence: detection.confidence, detected: true }
    : { niche: chosenNiche, confidence: 1, detected: false };
  const format = /** @type {AdFormat} */ (f.format.value);
  const timed = TIMED_FORMATS.has(format);
  f.duration.disabled = !timed;
  const durationText = f.duration.value.trim();
  /** @type {CreativeAttributes} */
  const creative = {
    platform: /** @type {Platform} */ (f.platform.value),
    niche: niche.niche === "unknown" ? null : niche.niche,
    hook_type: /** @type {HookType} */ (f.hook.value || copy.hook_type),
    cta_style: /** @type {CtaStyle} */ (f.cta.value || copy.cta_style),
    visual_tags: [...f.tags.querySelectorAll("input:checked")].map((b) => /** @type {VisualTag} */ (/** @type {HTMLInputElement} */ (b).value)),
    format,
    duration_s: timed && durationText !== "" ? Number(durationText) : null,
    posting_hour: f.hour.value === "" ? null : Number(f.hour.value),
  };
  const wisdom = creative.niche ? resolveWisdom(releaseSets, creative.niche) : null;
  const score = ctrModel.predict(creative);
  const bench = wisdom ? platformCtr(wisdom.wisdom, creative.platform) : null;
  const percentile = bench ? percentileOf(bench.ctr, score.ctr) : null;
  return { headline, body, copy: copyIn, creative, niche, score, percentile, wisdom };
}

/**
 * @param {HTMLSelectElement} select
 * @param {string} text
 */
function setAutoText(select, text) {
  const first = select.options[0];
  if (first && first.textContent !== text) first.textContent = text;
}

/** The draft currently shown. */
/** @type {Scored | null} */
let current = null;

/** Re-score and re-render everything that depends on the draft. */
function update() {
  let s;
  try {
    s = scoreForm();
    out.error.hidden = true;
    form.classList.remove("invalid");
  } catch (e) {
    out.error.textContent = `Cannot score this draft: ${errorText(e)}`;
    out.error.hidden = false;
    form.classList.add("invalid");
    return;
  }
  current = s;
  perf.updates++;
  renderScore(s);
  renderChart(s);
  renderRecommendations(s);
  renderStatus(s);
}

/** @param {Scored} s */
function renderScore(s) {
  renderBasis(s.creative);
  out.ctr.textContent = ctrPct(s.score.ctr);
  out.ctr.dataset.ctr = String(s.score.ctr);
  out.ctrInterval.textContent = `95 % interval ${ctrPct(s.score.low)} – ${ctrPct(s.score.high)}`;
  out.nicheName.textContent = s.niche.niche === "unknown" ? "Not detected" : human(s.niche.niche);
  out.nicheName.dataset.niche = s.niche.niche;
  out.nicheConfidence.textContent = s.niche.detected
    ? (s.niche.niche === "unknown" ? "Write more copy, or pick the niche" : `${Math.round(s.niche.confidence * 100)} % confidence (detected from the copy)`)
    : "chosen by you";
  const platformName = human(s.creative.platform);
  if (s.percentile !== null && s.wisdom) {
    const label = percentileLabel(s.percentile);
    out.percentile.textContent = `${ordinal(s.percentile)} percentile`;
    out.percentileLabel.textContent = label === "above" ? "Above average" : label === "below" ? "Below average" : "Average";
    out.percentileLabel.className = `chip ${label}`;
    out.percentile.dataset.percentile = String(s.percentile);
    const bench = platformCtr(s.wisdom.wisdom, s.creative.platform);
    out.percentileBasis.textContent = `among ${human(s.wisdom.wisdom.niche)} accounts on ${platformName} (${bench ? bench.accounts : "?"} accounts, release ${benchmarkRelease(s.wisdom.wisdom)}${s.wisdom.source === "snapshot" ? ", SIMULATED" : ""})`;
    const score01 = s.percentile / 100;
    out.score.textContent = score01.toFixed(2);
    out.scoreBar.style.width = `${(score01 * 100).toFixed(0)}%`;
  } else {
    out.percentile.textContent = "—";
    out.percentile.dataset.percentile = "";
    out.percentileLabel.textContent = "no benchmark";
    out.percentileLabel.className = "chip none";
    out.percentileBasis.textContent = s.niche.niche === "unknown"
      ? "No niche yet: write more copy or pick one."
      : `No published ${human(s.niche.niche)} benchmark on ${platformName}. ${missingReason({ niche: s.niche.niche, platform: s.creative.platform, wisdom: s.wisdom ? s.wisdom.wisdom : null, status: releaseStatus })}`;
    out.score.textContent = "—";
    out.scoreBar.style.width = "0";
  }
  let crossPlatform = "";
  try {
    const clicks = Math.round(s.score.ctr * 1_000_000);
    const n = normalize({ platform: s.creative.platform, ctr: clicks / 1_000_000, impressions: 1_000_000, clicks, spend: clicks, cpc: 1, cpm: clicks / 1000 });
    crossPlatform = ` · cross-platform CTR scale ${n.normalized_ctr.toFixed(2)}`;
  } catch {
    crossPlatform = "";
  }
  out.scoreBasis.textContent = `0 = bottom, 1 = top of the niche's CTR distribution${crossPlatform}`;
}

/** @param {Scored} s */
function renderChart(s) {
  const bench = s.wisdom ? platformCtr(s.wisdom.wisdom, s.creative.platform) : null;
  if (!s.wisdom || !bench) {
    out.chart.innerHTML = "";
    out.chart.setAttribute("viewBox", "0 0 560 40");
    out.chartTitle.textContent = "CTR distribution";
    out.chartCaption.textContent = "No published distribution for this niche and platform.";
    return;
  }
  const caption = `CTR of ${human(s.wisdom.wisdom.niche)} accounts on ${human(s.creative.platform)}`;
  out.chartTitle.textContent = caption;
  out.chart.setAttribute("viewBox", VIEW_BOX);
  out.chart.innerHTML = distributionSvg(bench.ctr, s.score.ctr, s.score, `${caption}, with this ad's predicted CTR marked`);
  out.chartCaption.textContent = `Released p10–p90 of ${bench.accounts} accounts' CTR (release ${benchmarkRelease(s.wisdom.wisdom)}${s.wisdom.source === "snapshot" ? ", SIMULATED snapshot" : ""}); shaded band: this ad's 95 % interval.`;
}

/** @typedef {import("./lib/advice.js").Advice} Advice */

/**
 * Advice candidates from a format-1 release: its published lifts (`recommend`).
 * @param {ResolvedWisdom} rw
 * @returns {{ items: Advice[], note: string, empty: string }}
 */
function liftAdvice(rw) {
  const r = recommendationsOf(rw);
  const where = `${human(rw.wisdom.niche)} (all platforms)`;
  const simulated = rw.source === "snapshot" ? ", SIMULATED" : "";
  return {
    items: r.items.map((item) => {
      const ev = item.evidence;
      return {
        attribute: item.attribute, value: item.value, strength: item.strength, lift: ev.lift,
        cite: `${humanValue(item.attribute, item.value)} ${attributeNoun(item.attribute)}s: ${liftPct(ev.lift)} CTR in ${where}, based on ${ev.accounts} accounts (95 % interval ${liftPct(ev.lift_interval[0])} to ${liftPct(ev.lift_interval[1])}; release ${ev.release_id}, k ${ev.k}, ε ${Number(ev.epsilon.toPrecision(3))}${simulated}).`,
        used: `${human(item.value)} ${attributeNoun(item.attribute)}: ${liftPct(ev.lift)} CTR in ${where}, ${ev.accounts} accounts (release ${ev.release_id})`,
        data: { lift: String(ev.lift), accounts: String(ev.accounts), release: ev.release_id, format: "1" },
      };
    }),
    note: `From the ${r.published ? "published" : "unpublished"} ${human(r.niche)} release, based on ${r.based_on_accounts ?? "?"} accounts, ordered by the CTR model's predicted change for this ad. Lifts are each account's CTR with the pattern against its own average, pooled across the niche's platforms (evidence, not a prediction); "weak" means the 95 % interval includes no gain.`,
    empty: r.note ? `${r.note} Each value needs k accounts by the noisy count: more contributing ${human(r.niche)} accounts would publish lifts in a later period's release.` : "This ad already uses every pattern the release supports.",
  };
}

/** Most recommendations shown per attribute. */
const MAX_PER_ATTRIBUTE = 3;

/** @param {Scored} s */
function renderRecommendations(s) {
  out.recs.replaceChildren();
  out.already.replaceChildren();
  if (!s.wisdom) {
    out.recsNote.textContent = s.niche.niche === "unknown"
      ? "Recommendations come from the niche's published wisdom: write more copy or pick the niche."
      : `No published wisdom for ${human(s.niche.niche)} yet.`;
    out.recsNote.dataset.lowered = "0";
    out.recsNote.dataset.format = "";
    out.alreadySummary.textContent = "Patterns you already use (0)";
    return;
  }
  // The better evidence when the release has it: format 2's posteriors (when they show a hook,
  // CTA or visual value), else format 1's lifts.
  const posterior = s.wisdom.posteriors && s.wisdom.posteriors.published ? posteriorAdvice(s.wisdom.posteriors, s.wisdom.source) : null;
  const table = posterior && posterior.items.length > 0 ? s.wisdom.posteriors : null;
  const source = posterior && table ? posterior : liftAdvice(s.wisdom);
  /** @type {{ item: Advice, variantCtr: number | null }[]} */
  let todo = [];
  /** @type {Advice[]} */
  const done = [];
  /** @type {Advice[]} */
  const lowered = [];
  for (const item of source.items) {
    if (creativeHas(s.creative, item.attribute, item.value)) {
      done.push(item);
      continue;
    }
    const variant = applyPattern(s.creative, item.attribute, item.value);
    if (!variant) continue;
    let variantCtr = null;
    try {
      variantCtr = ctrModel.predict(variant).ctr;
    } catch {
      variantCtr = null;
    }
    // One voice: a change the model predicts to lower this ad's CTR is not recommended.
    if (variantCtr !== null && variantCtr < s.score.ctr) {
      lowered.push(item);
      continue;
    }
    // Format 2 lists every value: only those the model predicts to raise this ad's CTR.
    if (table && (variantCtr === null || variantCtr === s.score.ctr)) continue;
    todo.push({ item, variantCtr });
  }
  // In the model's order: the largest predicted gain for this ad first (unscored last).
  todo.sort((a, b) => (b.variantCtr ?? -1) - (a.variantCtr ?? -1));
  /** @type {Map<string, number>} */
  const per = new Map();
  todo = todo.filter(({ item }) => {
    const n = (per.get(item.attribute) ?? 0) + 1;
    per.set(item.attribute, n);
    return n <= MAX_PER_ATTRIBUTE;
  });
  for (const { item, variantCtr } of todo) {
    const li = el("li", undefined, {
      class: `rec ${item.strength}`,
      "data-attribute": item.attribute,
      "data-value": item.value,
      ...Object.fromEntries(Object.entries(item.data).map(([k, v]) => [`data-${k}`, v])),
      "data-variant-ctr": variantCtr === null ? "" : String(variantCtr),
    });
    const head = el("div", undefined, { class: "rec-head" });
    head.append(el("strong", actionText(item.attribute, item.value)), el("span", item.strength === "strong" ? "strong evidence" : "weak evidence", { class: `badge ${item.strength}` }));
    li.append(head, el("p", item.cite, { class: "cite" }));
    if (variantCtr !== null) {
      const delta = variantCtr / s.score.ctr;
      li.append(el("p", variantCtr === s.score.ctr
        ? "The CTR model predicts no change for this ad with it: the niche evidence above is all there is."
        : `Predicted for this ad: ${ctrPct(s.score.ctr)} → ${ctrPct(variantCtr)} (${liftPct(delta)}).`, { class: "model-delta small" }));
    }
    out.recs.append(li);
  }
  for (const item of done) {
    out.already.append(el("li", item.used, { "data-attribute": item.attribute, "data-value": item.value }));
  }
  out.alreadySummary.textContent = `Patterns you already use (${done.length})`;
  const loweredNote = lowered.length === 0 ? "" : ` Not recommended because the CTR model predicts a lower CTR for this ad with the change: ${lowered.slice(0, 6).map((i) => actionText(i.attribute, i.value)).join("; ")}${lowered.length > 6 ? ` and ${lowered.length - 6} more` : ""}.`;
  out.recsNote.dataset.lowered = String(lowered.length);
  out.recsNote.dataset.format = table ? "2" : "1";
  const noPosterior = posterior && !table ? ` ${posterior.empty}` : "";
  out.recsNote.textContent = (todo.length === 0 ? source.empty : source.note) + loweredNote + noPosterior;
}

/** @param {Scored} s */
function renderStatus(s) {
  const now = new Date();
  const parts = [];
  let cls = "wisdom-status";
  const describe = describeSource(releaseSets);
  if (s.wisdom) {
    const w = s.wisdom;
    if (w.source === "snapshot") {
      parts.push(`Using the bundled SIMULATED snapshot release (${w.asOf ?? "undated"}) for ${human(w.wisdom.niche)}: ${describe}.`);
      cls += " simulated";
    } else if (w.source === "cached") {
      parts.push(`Offline: using the last release fetched ${w.asOf ? new Date(w.asOf).toLocaleString("en-GB") : ""}.`);
      cls += " cached";
    } else {
      parts.push(`Live niche wisdom: release ${w.wisdom.niche}/${w.wisdom.period}, ${w.wisdom.sample_size ?? "?"} accounts.`);
    }
    if (isStale(w.wisdom, now)) {
      parts.push("This release is STALE (its period ended more than one period ago).");
      cls += " stale";
    }
  } else if (s.niche.niche === "unknown") {
    parts.push(`Niche wisdom: ${describe}. Write some copy to detect the niche.`);
  } else {
    parts.push(`No wisdom for ${human(s.niche.niche)} (MISSING): ${describe}. ${missingReason({ niche: s.niche.niche, platform: s.creative.platform, wisdom: null, status: releaseStatus })}`);
    cls += " missing";
  }
  if (demoNotice) {
    parts.unshift(demoNotice);
    cls += " simulated";
  }
  const text = parts.join(" ");
  if (out.status.textContent !== text) out.status.textContent = text;
  if (out.status.className !== cls) out.status.className = cls;
}

// --- Variants --------------------------------------------------------------------------------

/** @type {Scored[]} */
const variants = [];

function renderVariants() {
  out.compare.replaceChildren();
  out.compare.hidden = variants.length === 0;
  out.compareEmpty.hidden = variants.length >= 2;
  if (variants.length === 0) return;
  const best = Math.max(...variants.map((v) => v.score.ctr));
  const head = out.compare.createTHead().insertRow();
  head.append(el("th", "", { scope: "col" }));
  variants.forEach((_, i) => head.append(el("th", `Variant ${String.fromCharCode(65 + i)}`, { scope: "col" })));
  const body = out.compare.createTBody();
  /** @type {[string, (v: Scored) => string][]} */
  const rows = [
    ["Headline", (v) => v.headline || "—"],
    ["Body", (v) => (v.body.length > 90 ? `${v.body.slice(0, 90)}…` : v.body) || "—"],
    ["Platform", (v) => human(v.creative.platform)],
    ["Niche", (v) => (v.niche.niche === "unknown" ? "—" : human(v.niche.niche))],
    ["Hook", (v) => human(v.creative.hook_type)],
    ["Call to action", (v) => human(v.creative.cta_style)],
    ["Format", (v) => human(v.creative.format) + (v.creative.duration_s ? `, ${v.creative.duration_s} s` : "")],
    ["Visuals", (v) => (v.creative.visual_tags ?? []).map(human).join(", ") || "—"],
    ["Posting hour", (v) => (v.creative.posting_hour == null ? "—" : `${String(v.creative.posting_hour).padStart(2, "0")}:00`)],
    ["Predicted CTR", (v) => ctrPct(v.score.ctr)],
    ["95 % interval", (v) => `${ctrPct(v.score.low)} – ${ctrPct(v.score.high)}`],
    ["Percentile", (v) => (v.percentile === null ? "—" : `${ordinal(v.percentile)} (${percentileLabel(v.percentile)})`)],
    ["Score", (v) => (v.percentile === null ? "—" : (v.percentile / 100).toFixed(2))],
  ];
  for (const [name, get] of rows) {
    const tr = body.insertRow();
    tr.append(el("th", name, { scope: "row" }));
    for (const v of variants) {
      const td = tr.insertCell();
      td.textContent = get(v);
      if (name === "Predicted CTR" && v.score.ctr === best && variants.length > 1) {
        td.classList.add("best");
        td.append(el("span", " best", { class: "badge strong" }));
      }
    }
  }
  const actions = body.insertRow();
  actions.append(el("th", "", { scope: "row" }));
  variants.forEach((v, i) => {
    const td = actions.insertCell();
    const load = el("button", "Edit", { type: "button", "aria-label": `Load variant ${String.fromCharCode(65 + i)} into the editor` });
    load.addEventListener("click", () => loadVariant(v));
    const remove = el("button", "Remove", { type: "button", "aria-label": `Remove variant ${String.fromCharCode(65 + i)}` });
    remove.addEventListener("click", () => {
      variants.splice(variants.indexOf(v), 1);
      renderVariants();
    });
    td.append(load, " ", remove);
  });
}

/** @param {Scored} v */
function loadVariant(v) {
  f.platform.value = v.creative.platform;
  applyAnatomy(v.creative.platform);
  fillCopy(v.copy);
  f.hook.value = v.creative.hook_type;
  f.cta.value = v.creative.cta_style;
  f.format.value = v.creative.format;
  f.duration.value = v.creative.duration_s == null ? "" : String(v.creative.duration_s);
  f.hour.value = v.creative.posting_hour == null ? "" : String(v.creative.posting_hour);
  f.niche.value = v.niche.detected ? "" : v.niche.niche;
  for (const box of f.tags.querySelectorAll("input")) {
    const b = /** @type {HTMLInputElement} */ (box);
    b.checked = (v.creative.visual_tags ?? []).some((t) => t === b.value);
  }
  update();
  const first = f.copyFields.querySelector("[data-copy]:not([hidden]) input, [data-copy]:not([hidden]) textarea");
  if (first instanceof HTMLElement) first.focus();
}

byId("add-variant", HTMLButtonElement).addEventListener("click", () => {
  if (!current) return;
  variants.push(current);
  renderVariants();
});

// --- Wiring ----------------------------------------------------------------------------------

/** Whether the person has edited the form (the example is then theirs, not moved). */
let edited = false;
form.addEventListener("input", (e) => {
  edited = true;
  const t0 = e.timeStamp;
  update();
  perf.latencies.push(performance.now() - t0);
});
form.addEventListener("change", (e) => {
  edited = true;
  if (e.target === f.platform) applyAnatomy(/** @type {Platform} */ (f.platform.value));
  update();
});
applyAnatomy(/** @type {Platform} */ (f.platform.value));
form.addEventListener("submit", (e) => e.preventDefault());
update();
await releaseLoad;
// Opened without `&platform=`: when the example's niche has no CTR benchmark on the platform
// shown, the example moves to the niche's platform with the most accounts behind one, so the
// page never opens on an empty benchmark it could have filled (the reason is shown otherwise).
if (!start.platform && !edited) {
  const rw = resolveWisdom(releaseSets, start.niche);
  const best = rw?.wisdom.platforms.filter((p) => p.ctr).sort((a, b) => b.accounts - a.accounts)[0];
  if (rw && best && !platformCtr(rw.wisdom, /** @type {Platform} */ (f.platform.value))) {
    f.platform.value = best.platform;
    applyAnatomy(best.platform);
    fillCopy(exampleCopy(start.example, best.platform));
    update();
  }
}

setupExplore({ exploreBriefs });

setupImport({
  ctrJson: () => releasedModel.toJson(),
  nicheBytes,
  releases: () => releaseSets,
  personalised: (json) => {
    personalModel?.free();
    personalModel = json === null ? null : GroundedCtr.fromJson(json);
    ctrModel = personalModel ?? releasedModel;
    update();
  },
});

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  navigator.serviceWorker.register("./sw.js").catch(() => {
    // Offline support is optional: the page works without it.
  });
}
document.body.dataset.ready = "true";
