//! The network-effect study on the frozen simulator (logic in `crosslearn::study`); prints the
//! markdown tables of `docs/network-effect.md`. **All numbers are SIMULATED.**
//!
//! `cargo run --release --bin network-effect -- [--seed N] [--network-accounts N]
//! [--new-accounts N] [--quick] [--lifts]` (`--quick`: a small network, for a smoke run;
//! `--lifts`: print the published lifts of the default release instead; `--only scale|k|size`:
//! the default table and that one section).

use crosslearn::study::{run_study, Arm, StudyConfig, StudyReport};
use crosslearn::wisdom::ReleaseConfig;

fn arg(args: &[String], name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    match args.get(i + 1).map(|v| v.parse::<u64>()) {
        Some(Ok(v)) => Some(v),
        _ => {
            eprintln!("{name} needs a non-negative integer");
            std::process::exit(2);
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:+.1} %", 100.0 * x)
}

fn run(cfg: &StudyConfig) -> StudyReport {
    match run_study(cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("study failed: {e}");
            std::process::exit(1);
        }
    }
}

fn summary_row(label: &str, r: &StudyReport) -> String {
    let g = r.arm(Arm::Guided).expect("guided arm");
    let o = r.arm(Arm::Oracle).expect("oracle arm");
    let u = r.arm(Arm::Unguided).expect("unguided arm");
    format!(
        "| {label} | {}/15 | {} | {:.1} % | {} | {} | {:.1} / {:.1} / {:.1} | {:.0} / {:.0} / {:.0} | {:.2}x | {:.2}x |",
        r.published_niches,
        r.published_lifts,
        100.0 * r.guided_fallback_share,
        pct(g.ctr_gain),
        pct(o.ctr_gain),
        g.mean_launches_to_winner,
        u.mean_launches_to_winner,
        o.mean_launches_to_winner,
        g.median_launches_to_winner,
        u.median_launches_to_winner,
        o.median_launches_to_winner,
        r.speedup(Arm::Guided).unwrap_or(f64::NAN),
        r.speedup(Arm::Oracle).unwrap_or(f64::NAN),
    )
}

const SUMMARY_HEADER: &str = "| setting | niches published | lifts published | guided fallback | guided CTR gain | oracle CTR gain | mean launches to 1st winner (guided / unguided / oracle) | median | guided speed-up (means) | oracle speed-up (means) |\n|---|---|---|---|---|---|---|---|---|---|";

/// The published lifts of every niche next to the simulator's true effect (per-value mean over
/// platforms is not computed: the true column is the Meta term, for orientation).
fn print_lifts(cfg: &StudyConfig) {
    let (releases, _, _) = match crosslearn::study::build_wisdom(cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("study failed: {e}");
            std::process::exit(1);
        }
    };
    println!("| niche | attribute | value | accounts | lift | 95 % interval |");
    println!("|---|---|---|---|---|---|");
    for (niche, w) in &releases {
        for l in &w.lifts {
            println!(
                "| {} | {} | {} | {} | {:.3} | {:.3}-{:.3} |",
                niche.as_str(),
                l.attribute.as_str(),
                l.value,
                l.accounts,
                l.lift,
                l.lift_interval[0],
                l.lift_interval[1]
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let mut base = StudyConfig::default();
    if quick {
        base.network_accounts = 300;
        base.new_accounts = 90;
    }
    if let Some(v) = arg(&args, "--seed") {
        base.seed = v;
    }
    if let Some(v) = arg(&args, "--network-accounts") {
        base.network_accounts = v.min(u64::from(u32::MAX)) as u32;
    }
    if let Some(v) = arg(&args, "--new-accounts") {
        base.new_accounts = v.min(u64::from(u32::MAX)) as u32;
    }
    println!("**SIMULATED DATA - not real ad performance.** Frozen simulator `simulator-v1`, seed {}, wisdom network {} accounts (all opted in), {} new accounts, first {} launches, winner = top {:.0} % true CTR of the niche x platform, horizon {} launches.\n",
        base.seed, base.network_accounts, base.new_accounts, base.launches,
        100.0 * (1.0 - base.winner_quantile), base.winner_horizon);

    if args.iter().any(|a| a == "--lifts") {
        print_lifts(&base);
        return;
    }
    let main_run = run(&base);
    println!(
        "### Default setting (effect_scale 1, k {}, epsilon {})\n",
        base.release.k, base.release.epsilon
    );
    println!("| arm | mean true CTR, first {} | vs unguided | paired gain | CTR meta / tiktok / google_ads | winners among first {} | launches to 1st winner (mean, median) | no winner in {} |", base.launches, base.launches, base.winner_horizon);
    println!("|---|---|---|---|---|---|---|---|");
    for a in &main_run.arms {
        let pc: Vec<String> = a
            .platform_ctr
            .iter()
            .map(|c| c.map_or("-".into(), |c| format!("{:.3} %", 100.0 * c)))
            .collect();
        println!(
            "| {} | {:.3} % | {} | {} | {} | {:.1} % | {:.2}, {:.1} | {:.1} % |",
            a.arm.as_str(),
            100.0 * a.mean_ctr,
            pct(a.ctr_gain),
            pct(a.mean_paired_gain),
            pc.join(" / "),
            100.0 * a.winner_share,
            a.mean_launches_to_winner,
            a.median_launches_to_winner,
            100.0 * a.never_won_share
        );
    }
    println!(
        "\ncontributing accounts {}, niches published {}/15, lifts published {}\n",
        main_run.contributing_accounts, main_run.published_niches, main_run.published_lifts
    );

    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    let show = |section: &str| only.is_none_or(|o| o == section);
    if show("scale") {
        println!(
            "### By effect_scale (k {}, epsilon {})\n",
            base.release.k, base.release.epsilon
        );
        println!("{SUMMARY_HEADER}");
        for scale in [0.5, 1.0, 2.0] {
            let r = if scale == 1.0 {
                main_run.clone()
            } else {
                run(&StudyConfig {
                    effect_scale: scale,
                    ..base.clone()
                })
            };
            println!("{}", summary_row(&format!("effect_scale {scale}"), &r));
        }
    }
    if show("k") {
        println!("\n### By k and epsilon (effect_scale 1)\n");
        println!("{SUMMARY_HEADER}");
        for k in [5u32, 50] {
            for epsilon in [0.5, 1.0, 4.0, 1000.0] {
                let release = ReleaseConfig {
                    k,
                    epsilon,
                    budget_per_window: base.release.budget_per_window.max(epsilon),
                    ..base.release
                };
                let r = if release == base.release {
                    main_run.clone()
                } else {
                    run(&StudyConfig {
                        release,
                        ..base.clone()
                    })
                };
                let label = if epsilon >= 1000.0 {
                    format!("k {k}, epsilon {epsilon} (almost no noise: reference)")
                } else {
                    format!("k {k}, epsilon {epsilon}")
                };
                println!("{}", summary_row(&label, &r));
            }
        }
    }
    if !show("size") {
        return;
    }
    println!(
        "\n### By network size (effect_scale 1, k {}, epsilon {})\n",
        base.release.k, base.release.epsilon
    );
    println!("{SUMMARY_HEADER}");
    let sizes = if quick {
        vec![base.network_accounts, 3 * base.network_accounts]
    } else {
        vec![3_000, base.network_accounts, 150_000]
    };
    for n in sizes {
        let r = if n == base.network_accounts {
            main_run.clone()
        } else {
            run(&StudyConfig {
                network_accounts: n,
                ..base.clone()
            })
        };
        println!(
            "{}",
            summary_row(&format!("{n} accounts ({} per niche)", n / 15), &r)
        );
    }
}
