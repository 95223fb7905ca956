#!/usr/bin/env python3
"""Checks wrangler.toml's production environment against the deployment rules (docs/worker-edge.md):

- production has its own script name, different from the top level's, so a plain
  `wrangler deploy` (no --env) can never replace it;
- `workers_dev = false` in production (no *.workers.dev route);
- the KV namespaces RELEASES (published releases) and MODELS (the model files the Worker reads
  instead of embedding: the niche classifier) are bound, as at the top level;
- ENVIRONMENT = "production" (dev-only routes such as the fault hook refuse to run there) and no
  FAULT_INJECTION variable;
- RELEASE_CONFIG sets k >= 50 and a monthly cadence (cadence_days >= 28); its format-2 release
  ("format2") has k >= 50 (default 50) and no period other than the cadence, and its per-account
  budget ("privacy_budget") caps rho at most 1.35 (epsilon 10 at delta 1e-6) over >= 365 days;
- its distribution release ("distributions", optional) has a cadence of at least the regular one
  and a positive epsilon;
- an account's total yearly loss while both formats are published stays within epsilon 10 at delta
  1e-6: 13 format-1 releases (at most 13 periods start in 365 days, one niche per period) at the
  format-1 epsilon, plus, with "distributions", ceil(365 / its cadence) distribution releases at
  its epsilon, plus 13 format-2 releases converted from rho (basic composition).

Exits 1 naming every rule broken.
"""
import json
import math
import pathlib
import sys
import tomllib

path = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent / "wrangler.toml")
cfg = tomllib.loads(path.read_text(encoding="utf-8"))
prod = cfg.get("env", {}).get("production")
errors = []
if prod is None:
    errors.append("[env.production] is missing")
else:
    top, name = cfg.get("name"), prod.get("name")
    if not name or name == top:
        errors.append(f"env.production.name must be set and differ from the top-level name {top!r}, got {name!r}")
    if prod.get("workers_dev") is not False:
        errors.append(f"env.production.workers_dev must be false, got {prod.get('workers_dev')!r}")
    # Bindings are not inherited by an environment: every KV namespace the Worker reads must be
    # repeated (without MODELS, detect-niche and friends would answer 503 model_unavailable).
    kv_bindings = {ns.get("binding") for ns in prod.get("kv_namespaces", [])}
    for binding in ("RELEASES", "MODELS"):
        if binding not in kv_bindings:
            errors.append(f"env.production.kv_namespaces must bind {binding} (docs/worker-edge.md \"Production\")")
    v = prod.get("vars", {})
    if v.get("ENVIRONMENT") != "production":
        errors.append(f"env.production.vars.ENVIRONMENT must be \"production\", got {v.get('ENVIRONMENT')!r}")
    if "FAULT_INJECTION" in v:
        errors.append("env.production.vars.FAULT_INJECTION must not be set")
    try:
        release = json.loads(v.get("RELEASE_CONFIG", "{}"))
    except json.JSONDecodeError as e:
        release = {}
        errors.append(f"env.production.vars.RELEASE_CONFIG: not JSON ({e})")
    k = release.get("k")
    if not isinstance(k, int) or k < 50:
        errors.append(f"env.production.vars.RELEASE_CONFIG.k must be an integer >= 50, got {k!r}")
    # The documented cadence (docs/privacy.md): monthly, so a year composes to at most ~12 releases.
    cadence = release.get("cadence_days", 7)
    if not isinstance(cadence, int) or cadence < 28:
        errors.append(f"env.production.vars.RELEASE_CONFIG.cadence_days must be an integer >= 28 (monthly), got {cadence!r}")
    f2 = release.get("format2", {})
    if not isinstance(f2, dict):
        errors.append(f"env.production.vars.RELEASE_CONFIG.format2 must be an object, got {f2!r}")
        f2 = {}
    k2 = f2.get("k", 50)
    if not isinstance(k2, int) or k2 < 50:
        errors.append(f"env.production.vars.RELEASE_CONFIG.format2.k must be an integer >= 50, got {k2!r}")
    if "period_days" in f2 and f2["period_days"] != cadence:
        errors.append(f"env.production.vars.RELEASE_CONFIG.format2.period_days must equal cadence_days ({cadence!r}), got {f2['period_days']!r}")
    budget = release.get("privacy_budget", {})
    if not isinstance(budget, dict):
        errors.append(f"env.production.vars.RELEASE_CONFIG.privacy_budget must be an object, got {budget!r}")
        budget = {}
    cap, window = budget.get("rho_cap", 1.35), budget.get("window_days", 365)
    if not isinstance(cap, (int, float)) or not 0 < cap <= 1.35:
        errors.append(f"env.production.vars.RELEASE_CONFIG.privacy_budget.rho_cap must be in (0, 1.35] (epsilon <= 10 at delta 1e-6), got {cap!r}")
    ecap = budget.get("epsilon_cap", 10)
    if not isinstance(ecap, (int, float)) or not 0 < ecap <= 10:
        errors.append(f"env.production.vars.RELEASE_CONFIG.privacy_budget.epsilon_cap must be in (0, 10] (an account's total epsilon at delta 1e-6 over the window), got {ecap!r}")
    if not isinstance(window, int) or window < 365:
        errors.append(f"env.production.vars.RELEASE_CONFIG.privacy_budget.window_days must be an integer >= 365, got {window!r}")
    # Total per-account loss over any 365 days (docs/privacy.md, "An account's total loss").
    per_year = -(-365 // cadence) if isinstance(cadence, int) and cadence > 0 else 13
    dist = release.get("distributions")
    dist_year, dist_note = 0.0, ""
    if dist is not None:
        if not isinstance(dist, dict):
            errors.append(f"env.production.vars.RELEASE_CONFIG.distributions must be an object, got {dist!r}")
        else:
            dc, de = dist.get("cadence_days", 91), dist.get("epsilon", 0.47)
            if not isinstance(dc, int) or not isinstance(cadence, int) or dc < cadence:
                errors.append(f"env.production.vars.RELEASE_CONFIG.distributions.cadence_days must be an integer >= cadence_days ({cadence!r}), got {dc!r}")
            elif not isinstance(de, (int, float)) or de <= 0:
                errors.append(f"env.production.vars.RELEASE_CONFIG.distributions.epsilon must be > 0, got {de!r}")
            else:
                n = -(-365 // dc)
                dist_year = n * de
                dist_note = f" plus {n} distribution releases at epsilon {de}"
    eps1 = release.get("epsilon", 1.0)
    eps2, delta2 = f2.get("epsilon", 1.0), f2.get("delta", 1e-6)
    if all(isinstance(x, (int, float)) and x > 0 for x in (eps1, eps2, delta2)):
        # rho of one format-2 release from (epsilon, delta): the smallest rho whose epsilon(delta) reaches eps2.
        lo, hi = 0.0, eps2
        for _ in range(200):
            mid = (lo + hi) / 2
            if mid + 2 * math.sqrt(mid * math.log(1 / delta2)) < eps2:
                lo = mid
            else:
                hi = mid
        rho_year = per_year * lo
        total = per_year * eps1 + dist_year + rho_year + 2 * math.sqrt(rho_year * math.log(1 / 1e-6))
        if total > 10.0:
            errors.append(
                f"env.production.vars.RELEASE_CONFIG: an account's yearly loss would be epsilon {total:.2f} at delta 1e-6 "
                f"({per_year} format-1 releases at epsilon {eps1}{dist_note} plus {per_year} format-2 releases); it must be <= 10"
            )
for e in errors:
    print(f"{path}: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"{path}: production config ok (name {prod['name']!r}, workers_dev false, k {k}, cadence {cadence} days)")
