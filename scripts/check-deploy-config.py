#!/usr/bin/env python3
"""Checks wrangler.toml's production environment against the deployment rules (docs/worker-edge.md):

- production has its own script name, different from the top level's, so a plain
  `wrangler deploy` (no --env) can never replace it;
- `workers_dev = false` in production (no *.workers.dev route);
- ENVIRONMENT = "production" (dev-only routes such as the fault hook refuse to run there) and no
  FAULT_INJECTION variable;
- RELEASE_CONFIG sets k >= 50 and a monthly cadence (cadence_days >= 28); its format-2 release
  ("format2") has k >= 50 (default 50) and no period other than the cadence, and its per-account
  budget ("privacy_budget") caps rho at most 1.35 (epsilon 10 at delta 1e-6) over >= 365 days.

Exits 1 naming every rule broken.
"""
import json
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
    if not isinstance(window, int) or window < 365:
        errors.append(f"env.production.vars.RELEASE_CONFIG.privacy_budget.window_days must be an integer >= 365, got {window!r}")
for e in errors:
    print(f"{path}: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"{path}: production config ok (name {prod['name']!r}, workers_dev false, k {k}, cadence {cadence} days)")
