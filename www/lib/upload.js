// @ts-check
// "Upload these records to my account": after a local import, send the same CSV file to the
// account's records endpoint (`POST /api/accounts/{id}/records`, `Content-Type: text/csv`). The
// server imports it with the same core and the same record ids, so a second upload stores
// nothing twice. Nothing is sent until the user has read the consent text and ticked the box.

/** Data rows the server takes in one upload (worker/src/service/accounts.rs `MAX_CSV_ROWS`). */
export const MAX_UPLOAD_ROWS = 500;

/**
 * What the user agrees to before an upload, in plain words.
 * @param {number} rows records that will be sent
 * @param {string} account the account id
 * @returns {string}
 */
export function consentText(rows, account) {
  const who = account.trim() ? `account “${account.trim()}”` : "your account";
  return (
    `Uploading sends this file (${rows} record${rows === 1 ? "" : "s"}: ad copy and metrics) to this ` +
    `server and stores it in ${who}. The records are used for your account's own insights; ` +
    "they count towards cross-learning only if the account has opted in, and then only as " +
    "noised aggregates over many accounts. You can export or erase the account's data at any time."
  );
}

/**
 * @typedef {{ ok: true, stored: number, alreadyStored: number, rejected: number, lines: number[] }
 *   | { ok: false, status: number, message: string }} UploadResult
 */

/**
 * Upload CSV bytes to an account.
 * @param {{ base: string, account: string, token: string, bytes: ArrayBuffer,
 *   agreed: boolean, fetchFn?: typeof fetch }} o
 * @returns {Promise<UploadResult>}
 */
export async function uploadCsv(o) {
  if (!o.agreed) return { ok: false, status: 0, message: "Tick the box to agree before uploading." };
  const account = o.account.trim();
  if (!account || !o.token.trim()) return { ok: false, status: 0, message: "Enter the account id and its token." };
  const f = o.fetchFn ?? fetch;
  let res;
  try {
    res = await f(`${o.base.replace(/\/$/, "")}/api/accounts/${encodeURIComponent(account)}/records`, {
      method: "POST",
      headers: { authorization: `Bearer ${o.token.trim()}`, "content-type": "text/csv" },
      body: o.bytes,
    });
  } catch (e) {
    return { ok: false, status: 0, message: `The server could not be reached (${e instanceof Error ? e.message : String(e)}).` };
  }
  /** @type {any} */
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (!res.ok) {
    const message = json?.error?.message ?? `HTTP ${res.status}`;
    return { ok: false, status: res.status, message };
  }
  /** @type {{ status: string, line?: number }[]} */
  const results = json?.results ?? [];
  return {
    ok: true,
    stored: json?.stored ?? 0,
    alreadyStored: json?.already_stored ?? 0,
    rejected: json?.rejected ?? 0,
    lines: results.filter((r) => r.status === "rejected" && typeof r.line === "number").map((r) => /** @type {number} */ (r.line)),
  };
}

/**
 * One line for the page about an upload's outcome.
 * @param {UploadResult} r
 * @returns {string}
 */
export function describeUpload(r) {
  if (!r.ok) return `Upload failed: ${r.message}`;
  const lines = r.lines.length ? ` (lines ${r.lines.slice(0, 10).join(", ")}${r.lines.length > 10 ? ", …" : ""})` : "";
  return `Uploaded: ${r.stored} stored, ${r.alreadyStored} already stored, ${r.rejected} rejected${lines}.`;
}
