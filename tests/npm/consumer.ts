// A strict TypeScript consumer of the installed package: type-checked only
// (`tsc -p tsconfig.json`, strict, noEmit). Every `@ts-expect-error` below must fail to compile,
// which proves the API is typed, not `any`.
import init, {
  CopyExtractor,
  copyAnatomy,
  CtrModel,
  GroundedCtr,
  ctrLayouts,
  encodeCreatives,
  inflightFeatureNames,
  prelaunchFeatureNames,
  NicheModel,
  accountNiche,
  batchLayout,
  bestPlatform,
  crossPlatformPatterns,
  exploreBriefs,
  extractCopyAttributes,
  extractCopyBatch,
  featureNames,
  generateNetwork,
  importCsv,
  initSync,
  metaEquivalent,
  networkDigest,
  nicheNames,
  normalize,
  seedKeywordNiche,
  simulatorParamsHash,
  syntheticColumns,
  unifiedFeatures,
  unifiedFeaturesBatch,
  validateJsonRecords,
  validateRecords,
} from "crosslearn";
import type {
  RandomisedBrief,
  CreativeAttributes,
  CtrLayouts,
  CtrScore,
  GroundedPrediction,
  OwnResult,
  PersonalisationReport,
  PosteriorTable,
  Provenance,
  ReleasedRate,
  CtrTrainOptions,
  ModelKind,
  ModelMetadata,
  NichePrior,
  TrainColumns,
  AccountNiche,
  AdCopy,
  CopyField,
  PlatformCopy,
  ReadCopy,
  BatchLayout,
  CopyAttributes,
  CreativeRecord,
  CtaStyle,
  HookType,
  ImportReport,
  KeywordDetection,
  Network,
  Niche,
  NicheDetection,
  RecordInput,
  RecordIssue,
  RecordSource,
  RejectedRecord,
  SimOptions,
  ValidationReport,
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

// Data layer.
const input: RecordInput = { record_id: "r1", account_id: "a1", platform: "meta", impressions: 10, clicks: 1, spend: 2, campaign_id: null };
const source: RecordSource = "generic_csv";
const report: ValidationReport = validateRecords([input], source);
const accepted: CreativeRecord[] = report.accepted;
const rejected: RejectedRecord = report.rejected[0];
const line: number | null = rejected.line;
const issue: RecordIssue = rejected.issues[0];
const issueField: string = issue.field;
const fromJson: ValidationReport = validateJsonRecords("[]");
const imported: ImportReport = importCsv(new Uint8Array(0), "generic");
const importedLine: number | null = imported.rejected[0].line;
const briefs: RandomisedBrief[] = exploreBriefs("tiktok", 3, { formats: ["video"], tagProbability: 0.3 });
const briefHook: HookType = briefs[0].hook_type;
const briefHour: number = briefs[0].posting_hour;
const editor = new CopyExtractor();
const attrs: CopyAttributes = editor.extract("Shop now", "Looking for a new coffee shop?");
const hook: HookType = attrs.hook_type;
const cta: CtaStyle = attrs.cta_style;
const copies: AdCopy[] = [{ headline: "Hi" }, { body: "there" }];
const attrList: CopyAttributes[] = extractCopyBatch(copies);
const single: CopyAttributes = extractCopyAttributes("Hi", "");
const reader = CopyExtractor.withRules("v2");
const searchAd: PlatformCopy = { platform: "google_ads", headlines: ["Still paying too much?"], descriptions: [] };
const read: ReadCopy = reader.readPlatformCopy(searchAd);
const readHook: HookType = read.attributes.hook_type;
const hookField: string | null = read.hook_field;
const fields: CopyField[] = copyAnatomy("meta");
const shownFirst: boolean = fields[0].shown_first;
// @ts-expect-error: a TikTok ad has no headlines
const badCopy: PlatformCopy = { platform: "tiktok", headlines: ["x"] };
const simOptions: SimOptions = { seed: 7, accounts: 15 };
const network: Network = generateNetwork(simOptions);
const simulated: boolean = network.simulated;
const digest: string = networkDigest(network);
const paramsHash: string = simulatorParamsHash();

// Niche detection (the model file ships in the package: crosslearn/models/niche-v2.bin).
declare const modelBytes: Uint8Array;
const model: NicheModel = NicheModel.load(modelBytes);
const detection: NicheDetection = model.detect("Join our gym");
const niche: Niche = detection.niche;
const detections: NicheDetection[] = model.detectBatch(["a", "b"]);
const probabilities: Float64Array = model.probabilitiesBatch(["a", "b"]);
const columnsOfProbabilities: Niche[] = nicheNames();
const account: AccountNiche = accountNiche(model, "fitness", ["a"]);
const undeclared: AccountNiche = accountNiche(model, null, ["a"]);
const keyword: KeywordDetection = seedKeywordNiche(["Gym deals"], ["workout plans"]);
model.free();

// CTR models (the files ship in the package: crosslearn/models/ctr-prelaunch-v1.bin, ...).
declare const ctrBytes: Uint8Array;
const ctrModel: CtrModel = CtrModel.load(ctrBytes, "pre_launch");
const anyKind: CtrModel = CtrModel.load(ctrBytes);
const kind: ModelKind = ctrModel.kind;
const ctrLayout: number = ctrModel.layout;
const ctrNames: string[] = ctrModel.featureNames;
const nFeatures: number = ctrModel.nFeatures;
const ctrMeta: ModelMetadata = ctrModel.metadata;
const trainedOn: string = ctrMeta.trained_on;
const creative: CreativeAttributes = {
  platform: "meta", niche: "fitness", hook_type: "question", cta_style: "shop_now",
  visual_tags: ["ugc"], format: "video", duration_s: 15, posting_hour: 9,
};
const minimal: CreativeAttributes = { platform: "tiktok", hook_type: "story", cta_style: "none", format: "image" };
const priors: NichePrior[] = [{ niche: "fitness", platform: "meta", ctr: 0.02 }];
const ctrScore: CtrScore = ctrModel.scoreCreative(creative, priors);
const ctrLow: number = ctrModel.scoreCreative(minimal).low;
const encoded: Float32Array = encodeCreatives([creative, minimal], null);
const ctrs: Float32Array = ctrModel.scoreBatch(encoded, 2);
const rowScore: CtrScore = ctrModel.scoreRow(encoded.subarray(0, nFeatures));
const savedModel: Uint8Array = ctrModel.toBytes();
const layouts: CtrLayouts = ctrLayouts();
const trainColumns: TrainColumns = { x: encoded, clicks: new Float64Array([3, 1]), impressions: new Float64Array([100, 100]) };
const trainOptions: CtrTrainOptions = {
  kind: "pre_launch", layout: layouts.prelaunch, featureNames: prelaunchFeatureNames(), seed: 1, l2: 2,
};
const trained: CtrModel = CtrModel.train(trainColumns, trainOptions);
const inflightNames: string[] = inflightFeatureNames();
[ctrModel, anyKind, trained].forEach((m) => m.free());

// The grounded CTR model (crosslearn/models/ctr-grounded-v1.json), personalised on the device.
declare const groundedJson: string;
const grounded: GroundedCtr = GroundedCtr.fromJson(groundedJson);
const prediction: GroundedPrediction = grounded.predict(creative);
const predictedLow: number = prediction.low;
const triples: Float64Array = grounded.predictBatch([creative, minimal]);
const ctrsOnly: Float64Array = grounded.predictCtrBatch([creative, minimal]);
const provenance: Provenance = grounded.provenance;
const realSource: boolean = provenance.sources[0].real;
const realCreatives: number = grounded.realCreatives;
const own: OwnResult[] = [{ creative, impressions: 1000, clicks: 12 }];
const mine: GroundedCtr = grounded.personalise(own);
const personalReport: PersonalisationReport | undefined = mine.personalisation;
const unchanged: string | null | undefined = personalReport?.unchanged_reason;
const ownRecords: number = mine.personalRecords;
const groundedText: string = mine.toJson();
declare const tables: PosteriorTable[];
const withPosteriors: GroundedCtr = grounded.withEffectPosteriors(tables);
const effectRelease: string | undefined = withPosteriors.effectRelease("fitness");
const withRates: GroundedCtr = grounded.withReleasedRates([
  { niche: "fitness", platform: "meta", p10: 0.004, p50: 0.01, p90: 0.03, accounts: 60, release_id: "fitness/48" },
]);
const rates: ReleasedRate[] = withRates.releasedRates;
[grounded, mine, withPosteriors, withRates].forEach((m) => m.free());
// @ts-expect-error -- an own result needs its impressions
const noImpressions: OwnResult = { creative, clicks: 1 };
// @ts-expect-error -- the model file is read as text, not bytes
GroundedCtr.fromJson(ctrBytes);

// @ts-expect-error -- the model kind is a closed union
CtrModel.load(ctrBytes, "post_launch");
// @ts-expect-error -- scoreBatch takes a Float32Array, not creatives
ctrModel.scoreBatch([creative], 1);
// @ts-expect-error -- CreativeAttributes needs a hook type
const noHook: CreativeAttributes = { platform: "meta", cta_style: "none", format: "image" };
// @ts-expect-error -- training columns are typed arrays
const plainColumns: TrainColumns = { x: [1, 2], clicks: [1], impressions: [2] };
// @ts-expect-error -- training options need a seed
const noSeed: CtrTrainOptions = { kind: "in_flight", layout: 1, featureNames: [] };
// @ts-expect-error -- the interval is numbers
const lowText: string = ctrScore.low;

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
// @ts-expect-error -- niches are a closed union
accountNiche(model, "knitting", []);
// @ts-expect-error -- the batch takes strings
model.detectBatch([1, 2]);
// @ts-expect-error -- RecordInput rejects unknown keys
const typo: RecordInput = { record_id: "r1", clikcs: 3 };
// @ts-expect-error -- the hook type is a closed union
const badHook: HookType = "clickbait";
// @ts-expect-error -- the CSV import takes bytes, not text
importCsv("record_id\n");
// @ts-expect-error -- a brief is for a platform, not any string
exploreBriefs("myspace", 1);
// @ts-expect-error -- SimOptions needs accounts
generateNetwork({ seed: 1 });

void [quality, platform, equivalent, winnerComposite, vector, consistency, rows, names, combo];
void [notAString, myspace, partial, typo, badHook];
void [briefHook, briefHour];
void [accepted, line, issueField, fromJson, importedLine, hook, cta, attrList, single, simulated];
void [digest, paramsHash, niche, detections, probabilities, columnsOfProbabilities, account];
void [undeclared, keyword];
void [kind, ctrLayout, ctrNames, trainedOn, ctrLow, ctrs, rowScore, savedModel, inflightNames];
void [noHook, plainColumns, noSeed, lowText];
