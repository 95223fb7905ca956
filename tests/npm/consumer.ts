// A strict TypeScript consumer of the installed package: type-checked only
// (`tsc -p tsconfig.json`, strict, noEmit). Every `@ts-expect-error` below must fail to compile,
// which proves the API is typed, not `any`.
import init, {
  batchLayout,
  bestPlatform,
  crossPlatformPatterns,
  featureNames,
  initSync,
  metaEquivalent,
  normalize,
  syntheticColumns,
  unifiedFeatures,
  unifiedFeaturesBatch,
} from "crosslearn";
import type {
  BatchLayout,
  BestPlatform,
  BestPlatformOptions,
  Campaign,
  CrosslearnError,
  ErrorCode,
  Mode,
  NormalizedMetrics,
  Options,
  PatternSummary,
  Platform,
  PlatformMetrics,
  UnifiedFeaturesResult,
} from "crosslearn";

declare const wasmBytes: Uint8Array;
initSync({ module: wasmBytes });
export const ready: Promise<unknown> = init(); // the browser path (fetches the .wasm)

const meta: PlatformMetrics = {
  platform: "meta",
  ctr: 0.025,
  cpc: 1.5,
  cpm: 12,
  impressions: 10_000,
  clicks: 250,
  spend: 375,
  relevance_score: 8.5,
  engagement_rate: null, // the wire format's null is accepted
};
const mode: Mode = "seed";
const options: Options = { mode };
const n: NormalizedMetrics = normalize(meta, options);
const quality: number | null = n.normalized_quality;
const platform: Platform = n.platform;
const equivalent: PlatformMetrics = metaEquivalent({ ...meta, platform: "tiktok" });
const bestOptions: BestPlatformOptions = { minConfidence: 0.5, mode: "corrected" };
const best: BestPlatform = bestPlatform([meta], bestOptions);
const winnerComposite: number = best.metrics.composite_score;
const unified: UnifiedFeaturesResult = unifiedFeatures([meta], { hook_strength: 0.4 }, null);
const vector: Float32Array = unified.vector;
const consistency: number = unified.features.platform_consistency;
const layout: BatchLayout = batchLayout();
const columns: Float64Array = syntheticColumns(10, 7);
const rows: Float32Array = unifiedFeaturesBatch(columns, columns.length / layout.columns);
const names: string[] = featureNames();
const campaigns: Campaign[] = [{ campaign_id: "c1", platform_data: [meta] }];
const summary: PatternSummary = crossPlatformPatterns(campaigns, 2.0);
const combo: Platform[] = summary.best_platform_combo.combo;

try {
  normalize({ ...meta, cpc: -1 });
} catch (e) {
  const err = e as CrosslearnError;
  const code: ErrorCode = err.code;
  const field: string | undefined = err.field;
  const message: string = err.message;
  void [code, field, message];
}

// @ts-expect-error -- results are typed: composite_score is a number, not a string
const notAString: string = n.composite_score;
// @ts-expect-error -- mode is "seed" | "corrected"
normalize(meta, { mode: "fast" });
// @ts-expect-error -- unknown option keys are rejected by the type too
normalize(meta, { minConfidence: 0.5 });
// @ts-expect-error -- platform is a closed union
const myspace: PlatformMetrics = { ...meta, platform: "myspace" };
// @ts-expect-error -- required fields are required
const partial: PlatformMetrics = { platform: "meta", ctr: 0.02 };
// @ts-expect-error -- the batch takes a Float64Array (or number[]), not objects
unifiedFeaturesBatch([meta], 1);

void [quality, platform, equivalent, winnerComposite, vector, consistency, rows, names, combo];
void [notAString, myspace, partial];
