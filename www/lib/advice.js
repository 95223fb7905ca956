// @ts-check
// Advice from a release's format-2 posteriors, as the editor shows it: which values, their lift
// against the niche's average choice with its 95 % interval, and how strong. No DOM here; the page
// then keeps only what its CTR model predicts to raise the ad's CTR (www/app.js).
import { attributeNoun, human, humanValue, liftPct } from "./creative.js";

/** @typedef {import("../pkg/lite/crosslearn_lite.js").PosteriorTable} PosteriorTable */
/** @typedef {import("./wisdom.js").WisdomSource} WisdomSource */

/**
 * One piece of advice, whichever release format its evidence comes from.
 * @typedef {object} Advice
 * @property {string} attribute `hook_type`, `cta_style`, `visual_tag`, `posting_hour`, `duration`
 * @property {string} value
 * @property {"strong" | "weak"} strength strong when the 95 % interval of the lift excludes no gain
 * @property {number} lift
 * @property {string} cite the evidence, in words
 * @property {string} used how it is cited under "Patterns you already use"
 * @property {Record<string, string>} data `data-*` attributes of its list item
 */

/** The editor's attribute name of a format-2 factor (format, duration, hour: not advised). */
export const FACTOR_ATTRIBUTE = /** @type {Record<string, string>} */ ({ hook: "hook_type", cta: "cta_style", visual: "visual_tag" });

/**
 * Advice candidates from a format-2 release: every hook, CTA and visual value with a posterior
 * (its contrast against the niche's average choice, log-odds, with its sd).
 * @param {PosteriorTable} table
 * @param {WisdomSource} source where the release was read (a snapshot is labelled SIMULATED)
 * @returns {{ items: Advice[], note: string, empty: string }}
 */
export function posteriorAdvice(table, source) {
  const niche = human(table.niche);
  const simulated = source === "snapshot" ? ", SIMULATED" : "";
  /** @type {Advice[]} */
  const items = [];
  for (const v of table.values) {
    const attribute = FACTOR_ATTRIBUTE[v.cell.factor];
    if (!attribute) continue;
    const lift = Math.exp(v.mean);
    const [lo, hi] = [Math.exp(v.mean - 1.96 * v.sd), Math.exp(v.mean + 1.96 * v.sd)];
    const shrunk = v.source === "global" ? "the all-niche estimate (the niche's own did not clear its gate)" : `the ${niche} estimate shrunk towards all niches'`;
    // An explorers' release (`contribute: split`): learnt from creatives whose attributes were
    // drawn at random, so the lift is not the quality of the ads that happened to use the value.
    const basis = v.release_id.endsWith("/explorers") ? `${shrunk}, from exploring accounts' randomised creatives` : shrunk;
    items.push({
      attribute, value: v.cell.value, strength: lo > 1 ? "strong" : "weak", lift,
      cite: `${humanValue(attribute, v.cell.value)} ${attributeNoun(attribute)}s: ${liftPct(lift)} CTR against the average ${attributeNoun(attribute)} choice in ${niche} (95 % interval ${liftPct(lo)} to ${liftPct(hi)}; ${basis}; release ${v.release_id}, format 2${simulated}).`,
      used: `${human(v.cell.value)} ${attributeNoun(attribute)}: ${liftPct(lift)} CTR in ${niche} (release ${v.release_id}, format 2)`,
      data: { lift: String(lift), accounts: "", release: v.release_id, format: "2" },
    });
  }
  return {
    items,
    note: `From the ${niche} release's format-2 posteriors (${table.release_id}), ordered by the CTR model's predicted change for this ad (the model takes the same posteriors as its effect priors). Each lift compares a value with the niche's average choice (evidence, not a prediction); "weak" means its 95 % interval includes no gain.`,
    empty: items.length === 0
      ? `The ${niche} release's format-2 posteriors (${table.release_id}) show no hook, CTA or visual value: none cleared its gate at this release's k and noise; more contributing ${niche} accounts would show some in a later period.`
      : "The CTR model predicts no gain for this ad from any value the release has a posterior for.",
  };
}
