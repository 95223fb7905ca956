//! `crosslearn`: the native command line of the crosslearn core (docs/cli.md).
//!
//! One entry point for everything a marketer or an engineer does with exports on their own
//! machine: import and validate CSV exports, score creatives, detect niches, compute the
//! account's insight table, push records to a Worker account, read published wisdom, and run
//! the simulator. The domain work is the core's (`crosslearn` crate); this crate only reads
//! files, parses arguments, prints, and talks HTTP.
//!
//! Errors are one line on stderr (`crosslearn: error: FILE:LINE: field: reason` where those
//! are known) and exit code 1; usage errors are clap's, exit code 2. Nothing here panics on
//! input.
#![deny(missing_docs)]

/// Print to standard output like `print!`, as a `Result`: a closed pipe (`crosslearn ... | head`)
/// becomes [`BROKEN_PIPE`] (a quiet exit) instead of the panic `print!` would raise.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::write_stdout(format_args!($($t)*), false) };
}

/// [`out!`] with a line end.
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => { $crate::write_stdout(format_args!($($t)*), true) };
}

mod commands;
mod http;
mod input;
mod models;
mod push;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Command-line arguments.
#[derive(Parser, Debug)]
#[command(
    name = "crosslearn",
    version,
    about = "Cross-platform ad learning on your own exports: import, score, niche, insights, push, wisdom",
    long_about = "Cross-platform ad learning on your own exports.\n\n\
        Input files are CSV exports in a detected format (Facebook / TikTok ads exports, \
        KAG_conversion_data.csv, Microsoft Advertising, X and LinkedIn reports, the generic \
        record CSV; `import --mapping` for any other shape) or a records JSON file written by \
        `crosslearn import --to records-json`. See docs/cli.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats of `import --to`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    /// Improvado's MCDM `paid_ads__basic_performance` table (CSV, one row per record or day).
    Mcdm,
    /// `{"records": [...]}`: the Worker's ingest body (RecordInput objects).
    RecordsJson,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Detect each file's format, validate every row, and report accepted and rejected rows.
    Import {
        /// CSV exports (or records JSON files).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the accepted records in this normalised format.
        #[arg(long, value_enum)]
        to: Option<ImportTarget>,
        /// Output file for `--to` (default: standard output).
        #[arg(long, short, requires = "to")]
        out: Option<PathBuf>,
        /// How many rejected rows to list (all are counted).
        #[arg(long, default_value_t = 20)]
        show: usize,
        /// A column-mapping file for exports in no known shape (docs/data-layer.md,
        /// "Column-mapping files"); applies to every CSV file given.
        #[arg(long, value_name = "MAP")]
        mapping: Option<PathBuf>,
    },
    /// Score every creative: niche, hook and CTA read from the copy, observed CTR and the
    /// grounded model's CTR (the editor's and the Worker's), each with a 95 % interval; writes a
    /// scored CSV.
    Score {
        /// The export (CSV) or records JSON file.
        file: PathBuf,
        /// Scored CSV output (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// A published wisdom release (a JSON file, or an http(s) URL of a Worker): its CTR
        /// distribution per niche and platform becomes the model's base rate, its format-2
        /// posteriors the attribute effects' priors.
        #[arg(long, value_name = "FILE|URL")]
        wisdom: Option<String>,
        /// Personalise the model per account on that account's own records in the file (its
        /// intercept, attribute deviations and creative spread, on this machine), then score its
        /// creatives with it. In-sample: each record's own result is among those learned from.
        #[arg(long)]
        personalise: bool,
    },
    /// Detect the niche of one ad text, or of every ad in a file and of the whole account.
    Niche {
        /// The ad text (headline and body joined).
        #[arg(required_unless_present = "file", conflicts_with = "file")]
        text: Option<String>,
        /// An export (CSV) or records JSON file: one line per ad, then the account's niche.
        #[arg(long)]
        file: Option<PathBuf>,
        /// How many per-ad lines to print with --file (the account line always follows).
        #[arg(long, default_value_t = 10)]
        show: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The account's own insight table (what works for it, from its own records).
    Insights {
        /// The export (CSV) or records JSON file.
        file: PathBuf,
        /// Print the core's insight JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// Fewest distinct campaigns for patterns.
        #[arg(long, default_value_t = 3)]
        min_campaigns: u32,
    },
    /// Upload the accepted records to a Worker account, in batches, resumable.
    Push(push::PushArgs),
    /// Fetch and print a published wisdom release from a Worker.
    Wisdom {
        /// The Worker's base URL (`http://127.0.0.1:8787`).
        #[arg(long)]
        url: String,
        /// One niche (all published niches when absent).
        niche: Option<String>,
        /// Print the JSON as received.
        #[arg(long)]
        json: bool,
    },
    /// The SIMULATED demo network of `scripts/dev.sh`: check its size against the release
    /// gates (every niche and platform must publish) and write it as SQL for the local D1.
    DemoNetwork {
        /// The simulator seed (batch b uses seed + b).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Number of accounts (a multiple of 15).
        #[arg(long)]
        accounts: u32,
        /// The release config JSON the Worker publishes with (wrangler.toml RELEASE_CONFIG);
        /// the core's defaults when absent.
        #[arg(long)]
        release_config: Option<String>,
        /// Write the SQL here (for `wrangler d1 execute DB --local --file`).
        #[arg(long)]
        sql: Option<PathBuf>,
        /// Seed only the accounts that pass the insight's data gate (the others change no
        /// release; leaving them out cuts the seeding time).
        #[arg(long)]
        only_contributors: bool,
        /// The first N accounts are seeded through the public API (scripts/seed-demo.mjs):
        /// counted in the plan, not written to the SQL.
        #[arg(long, default_value_t = 0)]
        api_accounts: u32,
        /// Write at most N records per campaign of each account in the SQL (the first ones):
        /// the same accounts contribute, to the same platforms, from fewer records; a smaller,
        /// faster seeding (the demo's end-to-end test). All records when absent.
        #[arg(long)]
        records_per_campaign: Option<u32>,
        /// Which gates must all pass with probability >= 99 % (else exit 1).
        #[arg(long, value_enum, default_value_t = commands::Rule::Platforms)]
        rule: commands::Rule,
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Randomised creative briefs (the exploration cohort): a record CSV to fill in and import.
    Explore {
        /// The platform: meta, tiktok or google_ads.
        #[arg(long)]
        platform: String,
        /// How many briefs.
        #[arg(long, default_value_t = 10)]
        count: u32,
        /// Formats you can make on the platform, comma-separated (drawn uniformly).
        #[arg(long, default_value = "image,video")]
        formats: String,
        /// Probability of each visual tag.
        #[arg(long, default_value_t = 0.3)]
        tag_probability: f64,
        /// Account id to fill in.
        #[arg(long)]
        account: Option<String>,
        /// Seed the draws (reproducible; default: the operating system's entropy).
        #[arg(long)]
        seed: Option<u64>,
        /// Output CSV (default: standard output).
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Draw the briefs from this Worker for `--account` (`POST /api/accounts/{id}/explore`),
        /// so that it stores their records as randomised; needs `--account` and `--token-file`.
        #[arg(long)]
        url: Option<String>,
        /// The account's token (one line), with `--url`.
        #[arg(long)]
        token_file: Option<PathBuf>,
    },
    /// Generate a simulated network (SIMULATED data) to a JSON file.
    Simulate {
        /// The simulator seed.
        #[arg(long)]
        seed: u64,
        /// Number of accounts.
        #[arg(long, default_value_t = 60)]
        accounts: u32,
        /// Scale of the simulated creative effects (default: the frozen parameters').
        #[arg(long)]
        effect_scale: Option<f64>,
        /// Output JSON file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// The error of a write to a closed standard output.
pub const BROKEN_PIPE: &str = "standard output closed";

/// Write to standard output (see [`out!`]).
pub fn write_stdout(args: std::fmt::Arguments<'_>, newline: bool) -> Result<(), String> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let r = o
        .write_fmt(args)
        .and_then(|_| if newline { o.write_all(b"\n") } else { Ok(()) });
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BROKEN_PIPE.to_string()),
        Err(e) => Err(format!("standard output: {e}")),
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Import {
            files,
            to,
            out,
            show,
            mapping,
        } => commands::import(&files, to, out.as_deref(), show, mapping.as_deref()),
        Command::Score {
            file,
            out,
            wisdom,
            personalise,
        } => commands::score(&file, out.as_deref(), wisdom.as_deref(), personalise),
        Command::Niche {
            text,
            file,
            show,
            json,
        } => commands::niche(text.as_deref(), file.as_deref(), show, json),
        Command::Insights {
            file,
            json,
            min_campaigns,
        } => commands::insights(&file, json, min_campaigns),
        Command::Push(args) => push::run(&args),
        Command::Wisdom { url, niche, json } => commands::wisdom(&url, niche.as_deref(), json),
        Command::Simulate {
            seed,
            accounts,
            effect_scale,
            out,
        } => commands::simulate(seed, accounts, effect_scale, &out),
        Command::Explore {
            platform,
            count,
            formats,
            tag_probability,
            account,
            seed,
            out,
            url,
            token_file,
        } => match (url.as_deref(), token_file.as_deref()) {
            (Some(_), None) => Err("--url needs --token-file".to_string()),
            (None, Some(_)) => Err("--token-file needs --url".to_string()),
            (url, token_file) => commands::explore(
                &platform,
                count,
                &formats,
                tag_probability,
                account.as_deref(),
                seed,
                out.as_deref(),
                url.zip(token_file),
            ),
        },
        Command::DemoNetwork {
            seed,
            accounts,
            release_config,
            sql,
            only_contributors,
            api_accounts,
            records_per_campaign,
            rule,
            json,
        } => commands::demo_network(
            commands::DemoOptions {
                seed,
                accounts,
                only_contributors,
                api_accounts,
                records_per_campaign,
            },
            release_config.as_deref(),
            sql.as_deref(),
            rule,
            json,
        ),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`| head`): nothing more to say to anyone.
        Err(e) if e == BROKEN_PIPE => ExitCode::SUCCESS,
        Err(e) => {
            // One line: a multi-line cause is folded so scripts can grep the message.
            eprintln!("crosslearn: error: {}", e.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
