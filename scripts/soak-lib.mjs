// Helpers shared by the soak (scripts/soak.mjs) and its hello-world control
// (scripts/soak-control.mjs): per-process RSS sampling and the least-squares trend.
import { execFileSync } from 'node:child_process';

/** RSS (KiB) of each process in process group `pgid`, keyed `comm[pid]`. */
export function groupRssKib(pgid) {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,rss=,comm=', '-g', String(pgid)], { encoding: 'utf8' });
  } catch {
    return {};
  }
  const rss = {};
  for (const line of out.trim().split('\n')) {
    const [pid, kib, comm] = line.trim().split(/\s+/);
    if (comm && comm !== 'ps') rss[`${comm}[${pid}]`] = Number(kib);
  }
  return rss;
}

/** Least-squares slope of ys over xs. */
export function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
