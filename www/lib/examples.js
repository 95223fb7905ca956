// @ts-check
// One example ad draft per niche: the editor opens on one (`?example=<niche>`, default fitness),
// and `scripts/dev.sh` prints a link to each. Only the copy is filled; the niche is detected from
// it (tests/e2e/demo.test.mjs checks every example is detected as its niche). No DOM here.

/** @typedef {import("../pkg/lite/crosslearn_lite.js").Niche} Niche */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Platform} Platform */

/**
 * @typedef {object} Example
 * @property {string} headline
 * @property {string} body
 */

/** The niche the editor opens on without `?example=`. */
export const DEFAULT_EXAMPLE = "fitness";

/** @type {Record<Exclude<Niche, "unknown">, Example>} */
export const EXAMPLES = {
  fitness: {
    headline: "Build muscle and burn fat with our 20-minute home workout",
    body: "Personal trainer plans, gym-free strength training and protein meal guides. Start your fitness challenge today.",
  },
  beauty: {
    headline: "Glowing skin in 7 days with our vitamin C serum",
    body: "Dermatologist-tested skincare: a hydrating moisturizer, serum and cleanser for every skin type. Shop the beauty routine now.",
  },
  fashion: {
    headline: "The new summer dress collection is here",
    body: "Linen dresses, denim jackets and sneakers in every size. Free returns on all clothing and apparel. Shop the new arrivals.",
  },
  tech: {
    headline: "Noise-cancelling wireless earbuds with 30-hour battery",
    body: "Bluetooth 5.3, fast charging and a smartphone app. The gadget reviewers call the best headphones of the year. Buy now.",
  },
  ecommerce: {
    headline: "Free shipping on every order this week",
    body: "Thousands of products, daily deals and next-day delivery. Add to cart, check out in one click and save with our coupon code.",
  },
  food: {
    headline: "Fresh meal kits delivered to your door",
    body: "Chef-designed recipes, organic ingredients and 20-minute dinners. Order your first box of healthy meals and get 50 % off.",
  },
  travel: {
    headline: "Beach holidays in Greece from 299 per person",
    body: "Flights, hotels and island tours in one vacation package. Book your summer trip today and explore the Mediterranean.",
  },
  finance: {
    headline: "Grow your savings with a 4.5 % interest account",
    body: "No fees, instant transfers and a budgeting app. Invest, save and track your credit score in one place. Open an account today.",
  },
  education: {
    headline: "Learn Python online in 8 weeks",
    body: "Live classes, a certificate and a mentor for every student. Our online course takes you from beginner to job-ready. Enroll now.",
  },
  real_estate: {
    headline: "Find your dream home in the city",
    body: "Apartments and houses for sale with virtual tours. Talk to a local realtor, compare mortgage offers and book a viewing today.",
  },
  saas: {
    headline: "Project management software your team will love",
    body: "Automate workflows, track tasks and integrate with Slack. Cloud dashboard with analytics for teams. Start your free trial.",
  },
  health: {
    headline: "Talk to a doctor online in 10 minutes",
    body: "Telehealth consultations, prescriptions and vitamins delivered. Better sleep, less stress and a healthier you. Book a visit.",
  },
  entertainment: {
    headline: "Stream the new season tonight",
    body: "Thousands of movies, series and live concerts. Watch on any screen with your streaming subscription. Start watching now.",
  },
  home_decor: {
    headline: "Cozy living room ideas for under 200",
    body: "Cushions, rugs, wall art and lamps to refresh your interior. Furniture and home decor that makes any room feel like home.",
  },
  automotive: {
    headline: "Test drive the new electric SUV",
    body: "500 km range, fast charging and a 7-year warranty. Visit your local car dealer, compare financing and book a test drive.",
  },
};

/**
 * The example a page URL asks for: `?example=<niche>` (an unknown or absent name gives the
 * default one).
 * @param {string} search `location.search`
 * @returns {{ niche: Exclude<Niche, "unknown">, example: Example, platform: Platform | null }}
 */
export function exampleFromQuery(search) {
  const q = new URLSearchParams(search);
  const asked = q.get("example") ?? "";
  const niche = /** @type {Exclude<Niche, "unknown">} */ (Object.hasOwn(EXAMPLES, asked) ? asked : DEFAULT_EXAMPLE);
  const p = q.get("platform");
  const platform = p === "meta" || p === "tiktok" || p === "google_ads" ? p : null;
  return { niche, example: EXAMPLES[niche], platform };
}

/** @typedef {import("../pkg/lite/crosslearn_lite.js").PlatformCopy} PlatformCopy */

/**
 * An example as the copy fields of `platform`'s ads (what the editor shows for that platform):
 * Meta's primary text and headline; TikTok's ad text (the body); Google Ads' headlines (the
 * headline) and descriptions (the body, one sentence per description); otherwise headline and
 * body. Every platform gets the example's body, so its niche is detected on each.
 * @param {Example} example
 * @param {Platform | "unknown" | string} platform
 * @returns {PlatformCopy}
 */
export function exampleCopy(example, platform) {
  switch (platform) {
    case "meta": return { platform, primary_text: example.body, headline: example.headline, description: "" };
    case "tiktok": return { platform, ad_text: example.body };
    case "google_ads": {
      const sentences = example.body.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter((s) => s !== "");
      return { platform, headlines: [example.headline], descriptions: sentences.slice(0, 4) };
    }
    default: return { platform: "unknown", headline: example.headline, body: example.body };
  }
}
