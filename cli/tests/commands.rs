//! Every command of `crosslearn` on the real exports in `../shared/data`: `--help`, the output
//! checked against the core's own answers (not hard-coded numbers), and bad input (one-line
//! error, non-zero exit, no panic).

mod common;

use common::*;
use crosslearn::import::import_csv;
use crosslearn::insights::{account_insights, InsightOptions};
use crosslearn::model::grounded::GroundedModel;
use crosslearn::model::CreativeAttributes;
use crosslearn::niche::{account_niche, Niche, NicheModel};
use crosslearn::wisdom::WisdomBook;

const FB: &str = "src_ads_creative_facebook_all_data.csv";
const TT: &str = "src_ads_tiktok_ads_all_data.csv";
const KAG: &str = "KAG_conversion_data.csv";

const FB_SAMPLE: &str = FB;
const TT_SAMPLE: &str = TT;

fn niche_model() -> NicheModel {
    NicheModel::from_bytes(include_bytes!("../../models/niche-v2.bin")).unwrap()
}

fn ctr_model() -> GroundedModel {
    GroundedModel::from_json(include_str!("../../models/ctr-grounded-v1.json")).unwrap()
}

/// The attributes the CLI scores a record with: its own, and the detected niche when it has none.
fn scored_attrs(model: &NicheModel, r: &crosslearn::record::CreativeRecord) -> CreativeAttributes {
    let mut a = CreativeAttributes::from(r);
    let d = model.detect(&text_of(r));
    if a.niche.is_none() && d.niche != Niche::Unknown {
        a.niche = Some(d.niche);
    }
    a
}

fn text_of(r: &crosslearn::record::CreativeRecord) -> String {
    match (r.headline.trim().is_empty(), r.body.trim().is_empty()) {
        (false, false) => format!("{}\n{}", r.headline.trim(), r.body.trim()),
        (false, true) => r.headline.trim().to_string(),
        (true, _) => r.body.trim().to_string(),
    }
}

#[test]
fn every_command_has_help() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    for cmd in [
        "import", "score", "niche", "insights", "push", "wisdom", "simulate",
    ] {
        assert!(stdout(&o).contains(cmd), "{cmd} missing from --help");
        let h = run(&[cmd, "--help"]);
        assert!(h.status.success(), "{cmd} --help");
        assert!(
            stdout(&h).contains("Usage: crosslearn"),
            "{cmd}: {}",
            stdout(&h)
        );
    }
    let o = run(&["no-such-command"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn import_reports_the_cores_counts_for_each_real_export() {
    let paths = [data(FB), data(TT), data(KAG)];
    let o = run(&["import", &paths[0], &paths[1], &paths[2]]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for (p, format) in paths
        .iter()
        .zip(["facebook_export", "tiktok_export", "kag_conversion"])
    {
        let r = import_csv(&std::fs::read(p).unwrap()).unwrap();
        let line = format!(
            "{p}: format {format}, {} rows, {} accepted, {} rejected",
            r.rows,
            r.accepted.len(),
            r.rejected.len()
        );
        assert!(out.contains(&line), "{line} not in {out}");
    }
}

#[test]
fn import_to_mcdm_writes_the_structure_files_columns() {
    let dir = tempdir("mcdm");
    let out = dir.join("fb.mcdm.csv");
    let o = run(&[
        "import",
        &data(FB),
        "--to",
        "mcdm",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let structure =
        std::fs::read_to_string(data("mcdm_paid_ads_basic_performance_structure.csv")).unwrap();
    let want: Vec<String> = structure
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    let written = std::fs::read_to_string(&out).unwrap();
    let mut r = csv::Reader::from_reader(written.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, want);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let core = import_csv(&std::fs::read(data(FB)).unwrap()).unwrap();
    assert_eq!(rows.len(), core.accepted.len());
    let col = |c: &str| want.iter().position(|w| w == c).unwrap();
    let sum = |c: &str| {
        rows.iter()
            .map(|r| r[col(c)].parse::<u64>().unwrap_or(0))
            .sum::<u64>()
    };
    assert_eq!(
        sum("impressions"),
        core.accepted.iter().map(|r| r.impressions).sum::<u64>()
    );
    assert_eq!(
        sum("clicks"),
        core.accepted.iter().map(|r| r.clicks).sum::<u64>()
    );
    // The export's money is whole units already: nothing rounded, totals equal.
    assert_eq!(
        sum("spend") as f64,
        core.accepted.iter().map(|r| r.spend).sum::<f64>()
    );
    assert!(rows.iter().all(|r| &r[col("channel")] == "Facebook Ads"));
    assert!(!stdout(&o).contains("spend/revenue values rounded"));
    // KAG's float spend is rounded, and the count is said.
    let o = run(&[
        "import",
        &data(KAG),
        "--to",
        "mcdm",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout(&o).contains("spend/revenue values rounded"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn records_json_round_trips_through_import() {
    let dir = tempdir("records-json");
    let json = dir.join("tt.json");
    let o = run(&[
        "import",
        &data(TT),
        "--to",
        "records-json",
        "-o",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o2 = run(&["import", json.to_str().unwrap()]);
    assert!(o2.status.success(), "{}", stderr(&o2));
    let core = import_csv(&std::fs::read(data(TT)).unwrap()).unwrap();
    let n = core.accepted.len();
    assert!(stdout(&o2).contains(&format!(
        "format records_json, {n} rows, {n} accepted, 0 rejected"
    )));
    // Same records (the source becomes `user`, as for any posted record).
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rep = crosslearn::record::validate_json_values(
        v["records"].as_array().unwrap().clone(),
        crosslearn::record::RecordSource::TiktokExport,
    );
    assert_eq!(rep.accepted, core.accepted);
}

#[test]
fn bad_rows_are_listed_with_file_line_and_field() {
    let dir = tempdir("bad-rows");
    let p = dir.join("generic.csv");
    std::fs::write(
        &p,
        "record_id,account_id,platform,impressions,clicks,spend\n\
         a,acc,meta,1000,10,5\n\
         b,acc,meta,100,500,5\n\
         c,acc,myspace,100,5,5\n\
         d,acc,meta,lots,5,5\n",
    )
    .unwrap();
    let o = run(&["import", p.to_str().unwrap()]);
    assert_one_line_error(
        &o,
        "3 of 4 rows rejected (listed above); the 1 accepted were kept",
    );
    let out = stdout(&o);
    let f = p.display();
    assert!(out.contains("4 rows, 1 accepted, 3 rejected"), "{out}");
    assert!(
        out.contains(&format!("rejected {f}:3: clicks \"500\"")),
        "{out}"
    );
    assert!(
        out.contains(&format!("rejected {f}:4: platform \"myspace\"")),
        "{out}"
    );
    assert!(
        out.contains(&format!("rejected {f}:5: impressions")),
        "{out}"
    );
}

#[test]
fn unusable_files_are_one_line_errors() {
    let dir = tempdir("bad-files");
    let unknown = dir.join("unknown.csv");
    std::fs::write(&unknown, "foo,bar\n1,2\n").unwrap();
    let u = unknown.to_str().unwrap();
    assert_one_line_error(
        &run(&["import", u]),
        &format!("{u}: unrecognised CSV header"),
    );
    let missing = dir.join("missing.csv");
    let m = missing.to_str().unwrap();
    assert_one_line_error(&run(&["import", m]), &format!("{m}: cannot read"));
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_one_line_error(&run(&["score", empty.to_str().unwrap()]), "empty");
    let json = dir.join("broken.json");
    std::fs::write(&json, "{\"records\": [\n{\"record_id\": }").unwrap();
    assert_one_line_error(
        &run(&["insights", json.to_str().unwrap()]),
        ":2: not valid JSON",
    );
    let none = dir.join("none.csv");
    std::fs::write(
        &none,
        "record_id,account_id,platform,impressions,clicks,spend\nx,a,meta,1,2,3\n",
    )
    .unwrap();
    assert_one_line_error(
        &run(&["score", none.to_str().unwrap()]),
        "no valid records in 1 rows (first rejection: ",
    );
}

#[test]
fn score_writes_one_row_per_creative_with_intervals() {
    let dir = tempdir("score");
    let out = dir.join("tt.scored.csv");
    let o = run(&["score", &sample(TT_SAMPLE), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let core = import_csv(&std::fs::read(sample(TT_SAMPLE)).unwrap()).unwrap();
    let model = niche_model();
    let ctr = ctr_model();
    assert!(
        stderr(&o).contains("with niche-v2.bin and ctr-grounded-v1.json (fitted to "),
        "{}",
        stderr(&o)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), core.accepted.len());
    for (row, rec) in rows.iter().zip(&core.accepted) {
        assert_eq!(&row[c("record_id")], rec.record_id);
        assert_eq!(&row[c("hook_type")], rec.hook_type.as_str());
        assert_eq!(&row[c("cta_style")], rec.cta_style.as_str());
        assert_eq!(&row[c("niche")], model.detect(&text_of(rec)).niche.as_str());
        let f = |n: &str| row[c(n)].parse::<f64>().unwrap();
        assert!(
            f("predicted_ctr_low") <= f("predicted_ctr")
                && f("predicted_ctr") <= f("predicted_ctr_high")
        );
        assert!(f("predicted_ctr") > 0.0 && f("predicted_ctr") < 1.0);
        // The grounded model's prediction (the editor's and the Worker's model), no release.
        let want = ctr.predict(&scored_attrs(&model, rec)).unwrap();
        for (col, v) in [
            ("predicted_ctr", want.ctr),
            ("predicted_ctr_low", want.low),
            ("predicted_ctr_high", want.high),
        ] {
            assert_eq!(
                &row[c(col)],
                format!("{v:.6}"),
                "{col} of {}",
                rec.record_id
            );
        }
        if rec.impressions > 0 {
            assert!(
                f("observed_ctr_low") <= f("observed_ctr")
                    && f("observed_ctr") <= f("observed_ctr_high")
            );
            assert!((f("observed_ctr") - rec.clicks as f64 / rec.impressions as f64).abs() < 1e-6);
        } else {
            assert_eq!(&row[c("observed_ctr")], "");
        }
        assert_eq!(&row[c("niche_prior_ctr")], "", "no wisdom given");
    }
}

#[test]
fn score_personalise_uses_each_accounts_own_records() {
    use crosslearn::model::grounded::{personalise, CreativeObs};
    let o = run(&["score", &sample(FB_SAMPLE), "--personalise"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let core = import_csv(&std::fs::read(sample(FB_SAMPLE)).unwrap()).unwrap();
    let model = niche_model();
    let attrs: Vec<CreativeAttributes> = core
        .accepted
        .iter()
        .map(|r| scored_attrs(&model, r))
        .collect();
    let accounts: std::collections::BTreeSet<&str> = core
        .accepted
        .iter()
        .map(|r| r.account_id.as_str())
        .collect();
    let population = ctr_model();
    let mut used = 0;
    let mut mine = std::collections::BTreeMap::new();
    for a in &accounts {
        let obs: Vec<CreativeObs> = core
            .accepted
            .iter()
            .zip(&attrs)
            .filter(|(r, _)| r.account_id == *a)
            .map(|(r, x)| CreativeObs {
                account: r.account_id.clone(),
                attrs: x.clone(),
                impressions: r.impressions,
                clicks: r.clicks,
            })
            .collect();
        let p = personalise(&population, &obs).unwrap();
        used += p.used;
        mine.insert(*a, p.model);
    }
    assert!(used > 0);
    assert!(
        stderr(&o).contains(&format!(
            "personalised on each account's own records in the file ({} of {} accounts, {used} records used",
            accounts.len(),
            accounts.len()
        )),
        "{}",
        stderr(&o)
    );
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mut moved = 0;
    for ((row, rec), x) in r
        .records()
        .map(Result::unwrap)
        .zip(&core.accepted)
        .zip(&attrs)
    {
        let want = mine[rec.account_id.as_str()].predict(x).unwrap();
        assert_eq!(&row[c("predicted_ctr")], format!("{:.6}", want.ctr));
        assert_eq!(&row[c("predicted_ctr_high")], format!("{:.6}", want.high));
        moved += usize::from(
            format!("{:.6}", want.ctr) != format!("{:.6}", population.predict(x).unwrap().ctr),
        );
    }
    assert!(moved > 0, "personalisation changed no prediction");
}

/// A release made by the core from a SIMULATED network (nearly noise-free, k = 3), as the
/// Worker's bulk endpoint serves it.
fn simulated_release() -> (String, WisdomBook) {
    use crosslearn::rng::Rng;
    use crosslearn::sim::{generate_network, SimOptions};
    use crosslearn::wisdom::*;
    use std::collections::BTreeMap;
    let config = ReleaseConfig {
        k: 3,
        epsilon: 10_000.0,
        budget_per_window: 40_000.0,
        ..Default::default()
    };
    let net = generate_network(&SimOptions {
        seed: 5,
        accounts: 240,
        effect_scale: None,
    })
    .unwrap();
    let mut by: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for r in &net.records {
        by.entry(r.account_id.as_str()).or_default().push(r.clone());
    }
    let opts = InsightOptions {
        min_campaigns: 1,
        ..Default::default()
    };
    let mut pool = ContributionPool::new();
    for (id, rs) in &by {
        let c = wisdom_contribution(rs, AccountConsent { opted_in: true }, &opts, &config).unwrap();
        pool.set(id, c).unwrap();
    }
    let mut book = WisdomBook::default();
    for n in Niche::ALL {
        let w = release_wisdom(
            &pool.aggregate(n),
            ReleaseId {
                period: 1,
                niche: n,
            },
            &config,
            &mut Rng::new(3),
        )
        .unwrap();
        if w.published {
            book.insert(w);
        }
    }
    let json = serde_json::json!({ "niches": book.releases }).to_string();
    (json, book)
}

#[test]
fn score_with_a_wisdom_file_uses_its_niche_priors() {
    let dir = tempdir("score-wisdom");
    let (json, book) = simulated_release();
    let wisdom = dir.join("release.json");
    std::fs::write(&wisdom, &json).unwrap();
    let out = dir.join("fb.scored.csv");
    let o = run(&[
        "score",
        &sample(FB_SAMPLE),
        "-o",
        out.to_str().unwrap(),
        "--wisdom",
        wisdom.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mut with_prior = 0;
    for row in r.records().map(Result::unwrap) {
        let niche: Niche = row[c("niche")].parse().unwrap();
        let platform: crosslearn::Platform = row[c("platform")].parse().unwrap();
        let want = (niche != Niche::Unknown)
            .then(|| book.ctr_prior(niche, platform))
            .flatten();
        match want {
            Some(p) => {
                with_prior += 1;
                assert!((row[c("niche_prior_ctr")].parse::<f64>().unwrap() - p).abs() < 1e-6);
            }
            None => assert_eq!(&row[c("niche_prior_ctr")], ""),
        }
    }
    assert!(with_prior > 20, "{with_prior} creatives with a prior");
    // The predictions are the grounded model's on the release's base rates (one model for the
    // editor, the Worker and the CLI), and the summary names the releases it used.
    let on = ctr_model().on_releases(&book.releases, &[], None).unwrap();
    let ids = on.release_ids();
    assert!(!ids.is_empty());
    assert!(
        stderr(&o).contains(&format!("the model uses releases {}", ids.join(", "))),
        "{}",
        stderr(&o)
    );
    let core = import_csv(&std::fs::read(sample(FB_SAMPLE)).unwrap()).unwrap();
    let (model, plain) = (niche_model(), ctr_model());
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let mut moved = 0;
    for (row, rec) in r.records().map(Result::unwrap).zip(&core.accepted) {
        let a = scored_attrs(&model, rec);
        let want = on.predict(&a).unwrap();
        assert_eq!(&row[c("predicted_ctr")], format!("{:.6}", want.ctr));
        moved += usize::from(want != plain.predict(&a).unwrap());
    }
    assert_eq!(
        moved, with_prior,
        "the release moves exactly the creatives it has a rate for"
    );
    assert!(
        stderr(&o).contains(&format!("niche prior for {with_prior} creatives")),
        "{}",
        stderr(&o)
    );
    // The same release served over HTTP (the Worker's bulk endpoint, base URL given).
    let server = serve(move |s| {
        assert_eq!(s.path, "/api/cross-learning/niche-wisdom");
        Reply::json(200, json.clone())
    });
    let out2 = dir.join("fb.scored.url.csv");
    let o = run(&[
        "score",
        &sample(FB_SAMPLE),
        "-o",
        out2.to_str().unwrap(),
        "--wisdom",
        &server.url,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap());
    // Not a release.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"niches\": [{\"niche\": \"food\"}]}").unwrap();
    assert_one_line_error(
        &run(&[
            "score",
            &sample(FB_SAMPLE),
            "--wisdom",
            bad.to_str().unwrap(),
        ]),
        "releases[0]: not a wisdom release",
    );
}

#[test]
fn wisdom_prints_a_published_release_and_rejects_bad_niches() {
    let (json, book) = simulated_release();
    let one = book.releases[0].clone();
    let niche = one.niche.as_str().to_string();
    let single = serde_json::json!({"success": true, "niche": niche, "wisdom": one}).to_string();
    let n2 = niche.clone();
    let server = serve(move |s| {
        if s.path == format!("/api/cross-learning/niche-wisdom/{n2}") {
            Reply::json(200, single.clone())
        } else if s.path == "/api/cross-learning/niche-wisdom" {
            Reply::json(200, json.clone())
        } else {
            Reply::json(
                422,
                r#"{"error":{"code":"unknown_value","message":"unknown niche","field":"niche"}}"#
                    .into(),
            )
        }
    });
    let o = run(&["wisdom", "--url", &server.url]);
    assert!(o.status.success(), "{}", stderr(&o));
    for w in &book.releases {
        assert!(stdout(&o).contains(&format!("niche {} period 1: published", w.niche.as_str())));
    }
    let o = run(&["wisdom", "--url", &server.url, &niche]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("niche ").count(), 1, "{out}");
    assert!(out.contains(&format!("based on {} accounts", one.sample_size.unwrap())));
    let o = run(&["wisdom", "--url", &server.url, &niche, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["wisdom"]["niche"], niche);
    assert_one_line_error(
        &run(&["wisdom", "--url", &server.url, "astrology"]),
        "NICHE:",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_one_line_error(
        &run(&["wisdom", "--url", &format!("http://127.0.0.1:{port}")]),
        "127.0.0.1",
    );
}

#[test]
fn niche_of_a_text_and_of_an_account_match_the_core() {
    let model = niche_model();
    let text = "Claim your 3 day pass: unlimited classes at our gym, join today";
    let o = run(&["niche", text, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(got, serde_json::to_value(model.detect(text)).unwrap());
    let o = run(&["niche", text]);
    assert!(stdout(&o).starts_with(model.detect(text).niche.as_str()));

    let o = run(&["niche", "--file", &sample(FB_SAMPLE), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let core = import_csv(&std::fs::read(sample(FB_SAMPLE)).unwrap()).unwrap();
    let texts: Vec<String> = core.accepted.iter().map(text_of).collect();
    let want = account_niche(&model, None, &texts);
    assert_eq!(got[0]["account"], serde_json::to_value(&want).unwrap());
    assert_eq!(got[0]["ads"].as_array().unwrap().len(), core.accepted.len());
    let o = run(&["niche", "--file", &sample(FB_SAMPLE)]);
    assert!(stdout(&o).contains(&format!("account facebook-export: {}", want.niche.as_str())));

    let o = run(&["niche"]);
    assert_eq!(o.status.code(), Some(2), "TEXT or --file is required");
}

#[test]
fn insights_match_the_cores_insight() {
    let o = run(&["insights", &sample(FB_SAMPLE), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let core = import_csv(&std::fs::read(sample(FB_SAMPLE)).unwrap()).unwrap();
    let texts: Vec<String> = core.accepted.iter().map(text_of).collect();
    let n = account_niche(&niche_model(), None, &texts).niche;
    let opts = InsightOptions {
        niche: (n != Niche::Unknown).then_some(n),
        ..Default::default()
    };
    let want = account_insights(&core.accepted, &opts).unwrap();
    assert_eq!(got[0], serde_json::to_value(&want).unwrap());
    let o = run(&["insights", &sample(FB_SAMPLE)]);
    let out = stdout(&o);
    assert!(
        out.contains("hook types") && out.contains("CTA styles"),
        "{out}"
    );
    for s in &want.hook_types {
        assert!(
            out.contains(&format!("  {:<20} {:>7}", s.value, s.records)),
            "{out}"
        );
    }
}

#[test]
fn simulate_matches_the_cores_network() {
    let dir = tempdir("simulate");
    let out = dir.join("net.json");
    let o = run(&[
        "simulate",
        "--seed",
        "7",
        "--accounts",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let net = crosslearn::sim::generate_network(&crosslearn::sim::SimOptions {
        seed: 7,
        accounts: 5,
        effect_scale: None,
    })
    .unwrap();
    let digest = format!(
        "network digest {:016x}",
        crosslearn::sim::network_digest(&net)
    );
    assert!(stdout(&o).contains(&digest), "{}", stdout(&o));
    assert!(stdout(&o).contains("SIMULATED") || stdout(&o).to_lowercase().contains("simulat"));
    assert_eq!(
        run(&["simulate", "--seed", "x", "--out", "y"])
            .status
            .code(),
        Some(2)
    );
}

/// `explore` writes randomised briefs as a generic record CSV: with a seed they are the core's
/// `randomised_brief` draws; filled in with results, the file imports with every record
/// `assignment: randomised`; bad options are one-line errors naming the flag.
#[test]
fn explore_briefs_import_as_randomised_records() {
    use crosslearn::platform::Platform;
    use crosslearn::privacy::dgauss::{noise_rng_from_seed, uniform_below};
    use crosslearn::wisdom::explore::{randomised_brief, ExploreOptions};
    let dir = tempdir("explore");
    let briefs = dir.join("briefs.csv");
    let o = run(&[
        "explore",
        "--platform",
        "tiktok",
        "--count",
        "6",
        "--seed",
        "11",
        "--account",
        "acme",
        "--out",
        briefs.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&briefs).unwrap();
    let mut rng = noise_rng_from_seed(11);
    let _run = uniform_below(&mut rng, 1 << 32);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let b = randomised_brief(Platform::Tiktok, &ExploreOptions::default(), &mut rng).unwrap();
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[1], "acme");
        assert_eq!(cells[3], b.hook_type.as_str(), "{row}");
        assert_eq!(cells[4], b.cta_style.as_str(), "{row}");
        assert_eq!(cells[5], b.format.as_str(), "{row}");
        assert_eq!(cells[8], b.posting_hour.to_string(), "{row}");
        assert_eq!(cells[9], "randomised");
    }
    // Fill in results (and keep the drawn attributes), then import.
    let mut filled = String::from(text.lines().next().unwrap());
    filled.push('\n');
    for row in &rows {
        let keep: Vec<&str> = row.split(',').take(12).collect();
        filled.push_str(&format!("{},1000,20,5.5\n", keep.join(",")));
    }
    let results = dir.join("results.csv");
    std::fs::write(&results, filled).unwrap();
    let json = dir.join("records.json");
    let o = run(&[
        "import",
        results.to_str().unwrap(),
        "--to",
        "records-json",
        "--out",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let recs = body["records"].as_array().unwrap();
    assert_eq!(recs.len(), 6, "{body}");
    assert!(
        recs.iter().all(|r| r["assignment"] == "randomised"),
        "{body}"
    );
    assert_one_line_error(
        &run(&[
            "explore",
            "--platform",
            "meta",
            "--formats",
            "image,unknown",
        ]),
        "--formats",
    );
    assert_one_line_error(&run(&["explore", "--platform", "bing"]), "--platform");
    assert_one_line_error(
        &run(&["explore", "--platform", "meta", "--tag-probability", "2"]),
        "--tag-probability",
    );
    assert_one_line_error(
        &run(&["explore", "--platform", "meta", "--count", "0"]),
        "--count",
    );
}

#[test]
fn a_closed_pipe_ends_quietly_without_a_panic() {
    use std::io::Read;
    let mut child = bin()
        .args(["import", &data(FB), "--to", "mcdm"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then closed (`| head`)
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert!(first.starts_with(b"ad_id,"));
}

/// A constructed sample of another network's export (`tests/data/imports`, see its construct.py).
fn network_sample(name: &str) -> String {
    format!(
        "{}/../tests/data/imports/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn import_detects_bing_x_and_linkedin_reports_and_warns_on_mixed_currencies() {
    let files = [
        ("bing_ad_performance_us.csv", "microsoft_ads"),
        ("bing_ad_performance_de_utf16.csv", "microsoft_ads"),
        ("x_ads_manager_export.csv", "x_ads"),
        ("linkedin_campaign_manager_export.csv", "linkedin_ads"),
    ];
    let paths: Vec<String> = files.iter().map(|(f, _)| network_sample(f)).collect();
    let args: Vec<&str> = std::iter::once("import")
        .chain(paths.iter().map(String::as_str))
        .collect();
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for (p, (_, format)) in paths.iter().zip(files) {
        let r = import_csv(&std::fs::read(p).unwrap()).unwrap();
        let line = format!(
            "{p}: format {format}, {} rows, {} accepted, 0 rejected",
            r.rows,
            r.accepted.len()
        );
        assert!(out.contains(&line), "{line} not in {out}");
    }
    assert!(
        out.contains("currency: EUR, USD (kept on each record)"),
        "{out}"
    );
    // MCDM has no currency column: writing two currencies says so.
    let o = run(&["import", &paths[3], "--to", "mcdm"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("WARNING: the records are in 2 currencies (EUR, USD)"));
}

#[test]
fn import_with_a_mapping_reads_an_export_in_no_known_shape() {
    let csv = network_sample("unknown_shape.csv");
    let map = network_sample("unknown_shape.map");
    assert_one_line_error(&run(&["import", &csv]), "unrecognised CSV header");
    let o = run(&["import", &csv, "--mapping", &map]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("format mapped, 3 rows, 3 accepted, 0 rejected"));
    let dir = tempdir("bad-map");
    let bad = dir.join("bad.map");
    std::fs::write(&bad, "network = myspace\n").unwrap();
    assert_one_line_error(
        &run(&["import", &csv, "--mapping", bad.to_str().unwrap()]),
        "mapping line 1",
    );
}

#[test]
fn score_shows_the_network_and_its_missing_benchmark() {
    let o = run(&["score", &network_sample("bing_ad_performance_us.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert_eq!(&row[c("platform")], "google_ads");
        assert_eq!(&row[c("network")], "microsoft_ads");
        assert_eq!(&row[c("benchmark")], "none");
    }
    let o = run(&["score", &sample(TT_SAMPLE)]);
    let mut r = csv::Reader::from_reader(o.stdout.as_slice());
    let first = r.records().next().unwrap().unwrap();
    assert_eq!(
        (&first[c("network")], &first[c("benchmark")]),
        ("tiktok", "own")
    );
}
