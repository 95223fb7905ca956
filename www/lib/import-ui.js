// @ts-check
// The CSV import panel: hands the file to the import Web Worker, shows progress, the import
// report (accepted / rejected with reasons, ignored columns) and a sortable, filterable table of
// the scored records, and exports them as CSV.
import { byId, csvCell, download, el, int } from "./dom.js";
import { ctrPct, human, ordinal } from "./creative.js";
import { resolveAll } from "./wisdom.js";
import { MAX_UPLOAD_ROWS, consentText, describeUpload, uploadCsv } from "./upload.js";

/** @typedef {import("../import-worker.js").ScoredRow} ScoredRow */
/** @typedef {import("../import-worker.js").ImportMessage} ImportMessage */
/** @typedef {import("../import-worker.js").ImportRequest} ImportRequest */
/** @typedef {import("./wisdom.js").ReleaseSet} ReleaseSet */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").NicheWisdom} NicheWisdom */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").RejectedRecord} RejectedRecord */

/** Rows per scoring batch in the worker. */
const BATCH = 500;
/** Rows drawn in the table at once (the export has all of them). */
const SHOWN = 200;
/** Rejected rows listed on the page (all of them are in the rejected-rows CSV). */
const REJECTED_SHOWN = 200;

/**
 * Import timings the browser test reads (docs/editor.md).
 * @typedef {{ parseMs: number, scoreMs: number, totalMs: number, personalMs: number, progressEvents: number, rows: number, accepted: number, rejected: number }} ImportPerf
 */

/**
 * @typedef {object} Column
 * @property {keyof ScoredRow} key
 * @property {string} title
 * @property {(r: ScoredRow) => string} show
 * @property {boolean} [num]
 */

/** @type {Column[]} */
const COLUMNS = [
  { key: "record_id", title: "Record", show: (r) => r.record_id },
  { key: "platform", title: "Platform", show: (r) => human(r.platform) },
  { key: "niche", title: "Niche", show: (r) => (r.niche === "unknown" ? "—" : `${human(r.niche)}${r.niche_source === "detected" ? " (detected)" : ""}`) },
  { key: "hook_type", title: "Hook", show: (r) => human(r.hook_type) },
  { key: "cta_style", title: "CTA", show: (r) => human(r.cta_style) },
  { key: "impressions", title: "Impressions", show: (r) => int(r.impressions), num: true },
  { key: "actual_ctr", title: "Actual CTR", show: (r) => ctrPct(r.actual_ctr), num: true },
  { key: "predicted_ctr", title: "Predicted CTR", show: (r) => (r.predicted_ctr === null ? `— (${r.error ?? "not scored"})` : ctrPct(r.predicted_ctr)), num: true },
  { key: "percentile", title: "Actual vs niche", show: (r) => (r.percentile === null ? "no benchmark" : `${ordinal(r.percentile)} pct · ${r.label}`), num: true },
];

/**
 * @param {{ ctrJson: () => string, nicheBytes: Uint8Array, releases: () => ReleaseSet[], personalised: (json: string | null) => void }} deps
 *   `ctrJson` the grounded CTR model the page uses before personalisation (with the releases' base rates), as a file; `personalised` gets the model personalised with the
 *   imported results (null: nothing usable, back to the population model)
 */
export function setupImport(deps) {
  const file = byId("csv-file", HTMLInputElement);
  const progressWrap = byId("progress-wrap", HTMLDivElement);
  const progress = byId("progress", HTMLProgressElement);
  const progressText = byId("progress-text", HTMLSpanElement);
  const summary = byId("import-summary", HTMLDivElement);
  const rejectedBox = byId("rejected-box", HTMLDetailsElement);
  const rejectedSummary = byId("rejected-summary", HTMLElement);
  const rejectedTable = byId("rejected", HTMLTableElement);
  const rejectedMore = byId("rejected-more", HTMLParagraphElement);
  const resultsBox = byId("results-box", HTMLDivElement);
  const table = byId("scored", HTMLTableElement);
  const count = byId("table-count", HTMLParagraphElement);
  const filterText = byId("filter-text", HTMLInputElement);
  const filterPlatform = byId("filter-platform", HTMLSelectElement);
  const filterLabel = byId("filter-label", HTMLSelectElement);
  const exportButton = byId("export", HTMLButtonElement);
  const uploadConsent = byId("upload-consent", HTMLParagraphElement);
  const uploadAccount = byId("upload-account", HTMLInputElement);
  const uploadToken = byId("upload-token", HTMLInputElement);
  const uploadAgree = byId("upload-agree", HTMLInputElement);
  const uploadGo = byId("upload-go", HTMLButtonElement);
  const uploadStatus = byId("upload-status", HTMLParagraphElement);
  /** The last imported file's bytes (a copy: the original is handed to the import worker). */
  let lastBytes = new ArrayBuffer(0);
  let lastRows = 0;
  const showConsent = () => {
    uploadConsent.textContent = consentText(lastRows, uploadAccount.value) +
      (lastRows > MAX_UPLOAD_ROWS ? ` The server takes ${MAX_UPLOAD_ROWS} rows per upload: split the file, or use \`crosslearn push\`.` : "");
  };
  uploadAccount.addEventListener("input", showConsent);
  uploadGo.addEventListener("click", async () => {
    uploadGo.disabled = true;
    uploadStatus.textContent = "Uploading…";
    const r = await uploadCsv({
      base: location.origin,
      account: uploadAccount.value,
      token: uploadToken.value,
      bytes: lastBytes,
      agreed: uploadAgree.checked,
    });
    uploadStatus.textContent = describeUpload(r);
    uploadGo.disabled = false;
  });

  /** @type {ScoredRow[]} */
  let rows = [];
  /** @type {RejectedRecord[]} */
  let rejected = [];
  let fileName = "creatives.csv";
  /** @type {{ key: keyof ScoredRow, dir: 1 | -1 }} */
  let sort = { key: "predicted_ctr", dir: -1 };
  /** @type {Worker | null} */
  let worker = null;
  const perfWindow = /** @type {Window & { __importPerf?: ImportPerf }} */ (window);

  file.addEventListener("change", async () => {
    const picked = file.files?.[0];
    if (!picked) return;
    fileName = picked.name.replace(/\.csv$/i, "");
    const bytes = await picked.arrayBuffer();
    start(bytes);
  });

  /** @param {ArrayBuffer} bytes */
  function start(bytes) {
    lastBytes = bytes.slice(0);
    uploadStatus.textContent = "";
    uploadAgree.checked = false;
    worker?.terminate();
    worker = new Worker(new URL("../import-worker.js", import.meta.url), { type: "module" });
    rows = [];
    rejected = [];
    summary.hidden = true;
    rejectedBox.hidden = true;
    resultsBox.hidden = true;
    progressWrap.hidden = false;
    progress.removeAttribute("value");
    progressText.textContent = "Reading the file…";
    const t0 = performance.now();
    /** @type {ImportPerf} */
    const stats = { parseMs: 0, scoreMs: 0, totalMs: 0, personalMs: 0, progressEvents: 0, rows: 0, accepted: 0, rejected: 0 };
    let scoredText = "";
    delete perfWindow.__importPerf;
    // One release per niche: the one the editor would use.
    /** @type {NicheWisdom[]} */
    const releases = resolveAll(deps.releases()).map((r) => r.wisdom);
    /** @type {ImportRequest} */
    const req = {
      bytes,
      ctrModel: deps.ctrJson(),
      nicheModel: deps.nicheBytes.slice().buffer,
      releases,
      batch: BATCH,
    };
    worker.onmessage = (/** @type {MessageEvent<ImportMessage>} */ e) => {
      const m = e.data;
      if (m.type === "parsed") {
        stats.parseMs = m.parseMs;
        stats.rows = m.rows;
        stats.accepted = m.accepted;
        lastRows = m.rows;
        showConsent();
        stats.rejected = m.rejected.length;
        rejected = m.rejected;
        showReport(m);
        progress.max = Math.max(1, m.accepted);
        progress.value = 0;
        progressText.textContent = `Scoring 0 of ${int(m.accepted)} records…`;
      } else if (m.type === "progress") {
        stats.progressEvents++;
        progress.value = m.done;
        progressText.textContent = `Scoring ${int(m.done)} of ${int(m.total)} records…`;
      } else if (m.type === "done") {
        stats.scoreMs = m.scoreMs;
        stats.totalMs = performance.now() - t0;
        rows = m.rows;
        progress.value = progress.max;
        scoredText = `Scored ${int(rows.length)} records in ${(stats.totalMs / 1000).toFixed(1)} s, in your browser.`;
        progressText.textContent = `${scoredText} Personalising the CTR model with your results…`;
        fillPlatforms();
        resultsBox.hidden = false;
        render();
      } else if (m.type === "personal") {
        stats.personalMs = m.ms;
        progressText.textContent = `${scoredText} ` + (m.personal.used > 0
          ? `The CTR model above is now personalised with ${int(m.personal.used)} of your own results (on this device only${m.personal.skipped > 0 ? `; ${int(m.personal.skipped)} skipped` : ""}).`
          : `The CTR model above is unchanged: ${m.personal.unchangedReason ?? "no usable result"}.`);
        deps.personalised(m.personal.used > 0 ? m.personal.json : null);
        perfWindow.__importPerf = stats;
        worker?.terminate();
        worker = null;
      } else {
        progressText.textContent = `Import failed: ${m.message}`;
        progressText.classList.add("error");
        progress.value = 0;
        worker?.terminate();
        worker = null;
      }
    };
    worker.postMessage(req, [req.bytes, req.nicheModel]);
  }

  /** @param {Extract<ImportMessage, { type: "parsed" }>} m */
  function showReport(m) {
    summary.replaceChildren();
    const stats = el("div", undefined, { class: "stats" });
    /** @type {[string, string, string][]} */
    const items = [
      ["Rows read", int(m.rows), "rows"],
      ["Accepted", int(m.accepted), "accepted"],
      ["Rejected", int(m.rejected.length), "rejected"],
      ["Format", human(m.format), "format"],
    ];
    for (const [name, value, key] of items) {
      const s = el("div", undefined, { class: `stat stat-${key}` });
      s.append(el("span", name, { class: "stat-name" }), el("strong", value, { id: `import-${key}` }));
      stats.append(s);
    }
    summary.append(stats);
    for (const w of m.warnings) summary.append(el("p", `Note: ${w}`, { class: "warning" }));
    if (m.unrecoverable.length > 0) summary.append(el("p", `Not in this file (left empty): ${m.unrecoverable.join(", ")}.`, { class: "small" }));
    summary.hidden = false;
    const body = rejectedTable.tBodies[0];
    body.replaceChildren();
    for (const r of m.rejected.slice(0, REJECTED_SHOWN)) {
      const tr = body.insertRow();
      tr.insertCell().textContent = r.line === null ? "—" : String(r.line);
      tr.insertCell().textContent = r.record_id ?? "—";
      const reasons = tr.insertCell();
      const ul = el("ul");
      for (const i of r.issues) ul.append(el("li", `${i.field}: ${i.message}${i.value ? ` (value “${i.value}”)` : ""}`));
      reasons.append(ul);
    }
    rejectedSummary.textContent = `Rejected rows (${int(m.rejected.length)}), with the reasons`;
    rejectedMore.replaceChildren();
    if (m.rejected.length > REJECTED_SHOWN) rejectedMore.append(`Showing the first ${REJECTED_SHOWN}. `);
    if (m.rejected.length > 0) {
      const b = el("button", "Download all rejected rows (CSV)", { type: "button" });
      b.addEventListener("click", () => download(`${fileName}-rejected.csv`, rejectedCsv(rejected)));
      rejectedMore.append(b);
    }
    rejectedBox.hidden = m.rejected.length === 0;
    rejectedBox.open = m.rejected.length > 0;
  }

  function fillPlatforms() {
    const present = [...new Set(rows.map((r) => r.platform))].sort();
    filterPlatform.replaceChildren(el("option", "All", { value: "" }), ...present.map((p) => el("option", human(p), { value: p })));
  }

  /** @returns {ScoredRow[]} */
  function filtered() {
    const q = filterText.value.trim().toLowerCase();
    const p = filterPlatform.value;
    const l = filterLabel.value;
    const list = rows.filter((r) =>
      (p === "" || r.platform === p) &&
      (l === "" || (l === "none" ? r.label === null : r.label === l)) &&
      (q === "" || r.record_id.toLowerCase().includes(q) || r.text.toLowerCase().includes(q) || r.niche.includes(q) || r.hook_type.includes(q)),
    );
    const { key, dir } = sort;
    list.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * dir;
    });
    return list;
  }

  function render() {
    const list = filtered();
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const c of COLUMNS) {
      const th = el("th", undefined, { scope: "col" });
      if (c.num) th.className = "num";
      const active = sort.key === c.key;
      th.setAttribute("aria-sort", active ? (sort.dir === 1 ? "ascending" : "descending") : "none");
      const b = el("button", `${c.title}${active ? (sort.dir === 1 ? " ▲" : " ▼") : ""}`, { type: "button", class: "sort", "data-key": c.key });
      b.addEventListener("click", () => {
        sort = sort.key === c.key ? { key: c.key, dir: sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: c.num ? -1 : 1 };
        render();
        const again = table.querySelector(`button[data-key="${c.key}"]`);
        if (again instanceof HTMLButtonElement) again.focus();
      });
      th.append(b);
      head.append(th);
    }
    const body = table.createTBody();
    for (const r of list.slice(0, SHOWN)) {
      const tr = body.insertRow();
      tr.title = r.text;
      for (const c of COLUMNS) {
        const td = tr.insertCell();
        td.textContent = c.show(r);
        if (c.num) td.className = "num";
        if (c.key === "percentile" && r.label) td.classList.add(r.label);
      }
    }
    count.textContent = `${int(list.length)} of ${int(rows.length)} scored records match${list.length > SHOWN ? `; showing the first ${SHOWN} (the export has all of them)` : ""}.`;
  }

  for (const input of [filterText, filterPlatform, filterLabel]) input.addEventListener("input", render);
  exportButton.addEventListener("click", () => download(`${fileName}-scored.csv`, scoredCsv(filtered())));

  return { start };
}

/**
 * The scored table as CSV (fractions, not percentages; empty where there is no value).
 * @param {ScoredRow[]} list
 * @returns {string}
 */
export function scoredCsv(list) {
  const head = ["record_id", "platform", "niche", "niche_source", "hook_type", "cta_style", "format", "impressions", "clicks", "actual_ctr", "predicted_ctr", "percentile", "benchmark", "score_error"];
  const lines = [head.join(",")];
  for (const r of list) {
    lines.push([
      r.record_id, r.platform, r.niche, r.niche_source, r.hook_type, r.cta_style, r.format,
      String(r.impressions), String(r.clicks), r.actual_ctr.toFixed(6),
      r.predicted_ctr === null ? "" : r.predicted_ctr.toFixed(6),
      r.percentile === null ? "" : r.percentile.toFixed(1), r.label ?? "", r.error ?? "",
    ].map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * @param {RejectedRecord[]} list
 * @returns {string}
 */
function rejectedCsv(list) {
  const lines = ["line,record_id,field,value,reason"];
  for (const r of list) {
    for (const i of r.issues) {
      lines.push([r.line === null ? "" : String(r.line), r.record_id ?? "", i.field, i.value, i.message].map(csvCell).join(","));
    }
  }
  return lines.join("\n") + "\n";
}
