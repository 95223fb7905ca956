// @ts-check
// The editor's vocabulary, wording and the link between a release's patterns and a creative.
// No DOM here.

/** @typedef {import("../pkg/lite/crosslearn_lite.js").CreativeAttributes} CreativeAttributes */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Recommendation} Recommendation */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").HookType} HookType */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").CtaStyle} CtaStyle */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").VisualTag} VisualTag */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").AdFormat} AdFormat */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Platform} Platform */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Niche} Niche */

/** @type {[Platform, string][]} */
export const PLATFORMS = [
  ["meta", "Meta (Facebook / Instagram)"],
  ["tiktok", "TikTok"],
  ["google_ads", "Google Ads"],
];
/** @type {HookType[]} */
export const HOOKS = ["question", "number_list", "pain_point", "curiosity_gap", "offer", "social_proof", "urgency", "announcement", "bold_claim", "story", "other"];
/** @type {CtaStyle[]} */
export const CTAS = ["learn_more", "shop_now", "sign_up", "get_started", "book_now", "order_now", "download", "get_offer", "get_quote", "contact_us", "call_now", "apply_now", "subscribe", "watch_more", "visit", "donate", "none", "other"];
/** @type {VisualTag[]} */
export const VISUAL_TAGS = ["fast_cuts", "text_overlay", "product_demo", "before_after", "talking_head", "lifestyle", "ugc", "testimonial", "animation", "close_up", "split_screen", "captions"];
/** @type {AdFormat[]} */
export const FORMATS = ["video", "image", "carousel", "collection", "story", "text"];
/** Formats that have a duration. */
export const TIMED_FORMATS = new Set(["video", "story"]);

/**
 * A wire name for people: `pain_point` -> `Pain point`, `google_ads` -> `Google Ads`.
 * @param {string} v
 * @returns {string}
 */
export function human(v) {
  const special = /** @type {Record<string, string>} */ ({
    google_ads: "Google Ads", tiktok: "TikTok", meta: "Meta", ugc: "UGC", saas: "SaaS",
    real_estate: "Real estate", home_decor: "Home decor", number_list: "Number list",
  });
  if (v in special) return special[v];
  const s = v.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** @type {Record<string, string>} */
const ATTRIBUTE_NOUN = {
  hook_type: "hook",
  cta_style: "call to action",
  visual_tag: "visual",
  duration: "duration",
  posting_hour: "posting time",
};

/**
 * The attribute's name for people.
 * @param {string} attribute
 * @returns {string}
 */
export function attributeNoun(attribute) {
  return ATTRIBUTE_NOUN[attribute] ?? attribute;
}

/**
 * A pattern value for people: `18-20` -> `18:00-20:59`, `6-15s` -> `6-15 s`.
 * @param {string} attribute
 * @param {string} value
 * @returns {string}
 */
export function humanValue(attribute, value) {
  if (attribute === "posting_hour") {
    const [a, b] = value.split("-");
    return `${a}:00–${b}:59`;
  }
  if (attribute === "duration") return value.replace("-", "–").replace(/s$/, " s");
  return human(value);
}

/**
 * Parse a duration bucket label (`"15-30s"`) into `[lo, hi)` seconds.
 * @param {string} label
 * @returns {[number, number] | null}
 */
export function durationBucket(label) {
  const m = /^(\d+)-(\d+)s$/.exec(label);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Whether the creative already has a pattern's value.
 * @param {CreativeAttributes} c
 * @param {string} attribute
 * @param {string} value
 * @returns {boolean}
 */
export function creativeHas(c, attribute, value) {
  switch (attribute) {
    case "hook_type":
      return c.hook_type === value;
    case "cta_style":
      return c.cta_style === value;
    case "visual_tag":
      return (c.visual_tags ?? []).some((t) => t === value);
    case "posting_hour": {
      if (c.posting_hour == null) return false;
      const start = Number(value.split("-")[0]);
      return c.posting_hour >= start && c.posting_hour < start + 3;
    }
    case "duration": {
      const b = durationBucket(value);
      if (!b || c.duration_s == null) return false;
      // The core's buckets: the first whose upper end exceeds the duration; the last takes the rest.
      return c.duration_s >= b[0] && (c.duration_s < b[1] || b[1] === 600);
    }
    default:
      return false;
  }
}

/**
 * The creative with a pattern applied (the variant a recommendation suggests), or null when the
 * pattern does not apply to it (a duration on a format without one).
 * @param {CreativeAttributes} c
 * @param {string} attribute
 * @param {string} value
 * @returns {CreativeAttributes | null}
 */
export function applyPattern(c, attribute, value) {
  switch (attribute) {
    case "hook_type":
      return { ...c, hook_type: /** @type {HookType} */ (value) };
    case "cta_style":
      return { ...c, cta_style: /** @type {CtaStyle} */ (value) };
    case "visual_tag":
      return { ...c, visual_tags: [...(c.visual_tags ?? []), /** @type {VisualTag} */ (value)] };
    case "posting_hour":
      return { ...c, posting_hour: Number(value.split("-")[0]) + 1 };
    case "duration": {
      const b = durationBucket(value);
      if (!b || !TIMED_FORMATS.has(c.format)) return null;
      return { ...c, duration_s: Math.round((b[0] + Math.min(b[1], 600)) / 2) };
    }
    default:
      return null;
  }
}

/**
 * "Use a offer hook" style headline of a recommendation.
 * @param {string} attribute
 * @param {string} value
 * @returns {string}
 */
export function actionText(attribute, value) {
  const v = humanValue(attribute, value);
  switch (attribute) {
    case "hook_type":
      return `Open with a “${v}” hook`;
    case "cta_style":
      return `Use the “${v}” call to action`;
    case "visual_tag":
      return `Add a “${v}” visual`;
    case "posting_hour":
      return `Post between ${v}`;
    case "duration":
      return `Keep the video at ${v}`;
    default:
      return `${attributeNoun(attribute)}: ${v}`;
  }
}

/**
 * A lift as a signed percentage: 1.18 -> "+18 %".
 * @param {number} lift
 * @returns {string}
 */
export function liftPct(lift) {
  const p = Math.round((lift - 1) * 100);
  return `${p >= 0 ? "+" : "−"}${Math.abs(p)} %`;
}

/**
 * A CTR as a percentage with 2 decimals: 0.01234 -> "1.23 %".
 * @param {number} ctr
 * @returns {string}
 */
export function ctrPct(ctr) {
  return `${(ctr * 100).toFixed(2)} %`;
}

/**
 * An ordinal: 1 -> "1st", 22 -> "22nd".
 * @param {number} n
 * @returns {string}
 */
export function ordinal(n) {
  const r = Math.round(n);
  const t = r % 100;
  const s = t >= 11 && t <= 13 ? "th" : ["th", "st", "nd", "rd"][r % 10] ?? "th";
  return `${r}${s}`;
}
