// Made-up fitness records for end-to-end tests that need opted-in accounts with data.

const HOOKS = ['question', 'pain_point', 'offer', 'social_proof'];

/** `n` made-up fitness records on Meta over 3 campaigns, 4 hook types in turn. */
export const fitnessRecords = (n) =>
  Array.from({ length: n }, (_, i) => ({
    record_id: `r${i}`,
    campaign_id: `c${i % 3}`,
    platform: 'meta',
    niche: 'fitness',
    hook_type: HOOKS[i % 4],
    cta_style: 'shop_now',
    format: 'video',
    duration_s: 15 + i,
    posting_hour: 8 + i,
    impressions: 20000,
    clicks: 300 + 10 * i,
    conversions: 20,
    spend: 150,
    revenue: 600,
  }));
