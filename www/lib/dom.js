// @ts-check
// Small typed DOM helpers.

/**
 * The element with `id`, checked to be an instance of `type`.
 * @template {HTMLElement | SVGElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`page: #${id} is missing or not a ${type.name}`);
  return el;
}

/**
 * A new element with text and attributes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [text]
 * @param {Record<string, string>} [attrs]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/**
 * A message for people from anything thrown (the package's errors say "field: reason").
 * @param {unknown} e
 * @returns {string}
 */
export function errorText(e) {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A number with thousands separators.
 * @param {number} n
 * @returns {string}
 */
export function int(n) {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * One CSV field, quoted when it holds a quote, comma or line break.
 * @param {string} v
 * @returns {string}
 */
export function csvCell(v) {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Offer `text` to the user as a CSV file called `name`.
 * @param {string} name
 * @param {string} text
 */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = el("a", undefined, { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
