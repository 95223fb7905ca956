//! The streaming CSV import ([`CsvImport`]) gives the whole-file import's result whatever the
//! chunking: the real exports in `../shared/data` (Facebook, TikTok, KAG), the constructed
//! report samples in `tests/data/imports/` (UTF-16 with a byte-order mark, preambles, footers,
//! semicolons), and constructed edge cases (CRLF and lone CR line ends, quoted fields across
//! lines, a BOM, surrogate pairs, invalid text), split at every byte boundary, byte by byte, and
//! at seeded random boundaries. The row limit stops at the first row past it, at the same line
//! whatever the chunking.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::error::{Error, ErrorCode};
use crosslearn::import::{
    import_csv, import_csv_as, import_csv_mapped, ColumnMapping, CsvImport, ImportFormat,
    ImportReport, StreamStop,
};

fn shared(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/imports/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// Import `bytes` pushed in the given chunks (`cuts` are the chunk boundaries, ascending).
fn streamed(import: CsvImport<'_>, bytes: &[u8], cuts: &[usize]) -> Result<ImportReport, Error> {
    let mut import = import;
    let mut from = 0;
    let mut early: Option<StreamStop> = None;
    for &to in cuts.iter().chain(std::iter::once(&bytes.len())) {
        if let Err(stop) = import.push(&bytes[from..to]) {
            early = Some(stop);
            break;
        }
        from = to;
    }
    let result = import.finish();
    if let Some(stop) = &early {
        // An early stop is final, and is what finish() answers.
        assert_eq!(result.as_ref().err(), Some(stop));
    }
    result.map_err(|stop| match stop {
        StreamStop::Invalid(e) => e,
        other => panic!("unexpected stop without a row limit: {other}"),
    })
}

/// A small deterministic generator (xorshift64*) for random cut points.
struct Cuts(u64);

impl Cuts {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }

    /// Random ascending boundaries with chunks of 1..=max bytes.
    fn chunks(&mut self, len: usize, max: usize) -> Vec<usize> {
        let mut cuts = Vec::new();
        let mut at = 0;
        loop {
            at += 1 + self.next(max);
            if at >= len {
                return cuts;
            }
            cuts.push(at);
        }
    }
}

/// Check that every chunking gives `expected`: one piece, byte by byte (every boundary at
/// once), single cuts (at every byte of a text shorter than `EVERY_CUT`, else at `strided`
/// evenly spaced bytes plus every byte of the first `strided.min(64)`), and seeded random chunkings with
/// chunks of at most `max` bytes for each `max` in `random`.
fn check(
    name: &str,
    bytes: &[u8],
    expected: &Result<ImportReport, Error>,
    strided: usize,
    random: &[usize],
) {
    const EVERY_CUT: usize = 2048;
    let make = CsvImport::new;
    assert_eq!(&streamed(make(), bytes, &[]), expected, "{name}: one piece");
    let bytewise: Vec<usize> = (1..bytes.len()).collect();
    assert_eq!(
        &streamed(make(), bytes, &bytewise),
        expected,
        "{name}: byte by byte"
    );
    let cuts: Vec<usize> = if bytes.len() < EVERY_CUT {
        (1..bytes.len()).collect()
    } else {
        (1..strided.min(64))
            .chain((1..strided).map(|i| i * bytes.len() / strided))
            .collect()
    };
    for cut in cuts {
        assert_eq!(
            &streamed(make(), bytes, &[cut]),
            expected,
            "{name}: cut at byte {cut}"
        );
    }
    let mut rng = Cuts(0x9E37_79B9_7F4A_7C15 ^ bytes.len() as u64);
    for &max in random {
        let cuts = rng.chunks(bytes.len(), max);
        assert_eq!(
            &streamed(make(), bytes, &cuts),
            expected,
            "{name}: random chunks of at most {max} bytes ({} chunks)",
            cuts.len() + 1
        );
    }
}

const RANDOM: &[usize] = &[2, 7, 64, 1000, 16_384];

/// The first `n` lines of a text (a prefix small enough to cut at every byte).
fn head_lines(bytes: &[u8], n: usize) -> &[u8] {
    let end = bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(n - 1)
        .map_or(bytes.len(), |(i, _)| i + 1);
    &bytes[..end]
}

#[test]
fn real_exports_import_identically_in_any_chunking() {
    for (name, format) in [
        (
            "src_ads_creative_facebook_all_data.csv",
            ImportFormat::FacebookExport,
        ),
        (
            "src_ads_tiktok_ads_all_data.csv",
            ImportFormat::TiktokExport,
        ),
        ("KAG_conversion_data.csv", ImportFormat::KagConversion),
    ] {
        let bytes = shared(name);
        let whole = import_csv(&bytes);
        let report = whole.as_ref().unwrap();
        assert_eq!(report.format, format);
        assert!(report.rows > 500, "{name}: {} rows", report.rows);
        // The whole file: one piece, byte by byte, strided cuts, random chunkings.
        // (A whole export takes a while to import unoptimised: few single cuts here; the
        // byte-by-byte run already puts a boundary at every byte, and the head below is cut at
        // every byte.)
        check(name, &bytes, &whole, 3, &[16_384]);
        // Its first 8 lines (the delimiter decided before 8 KiB are in), cut at every byte.
        let head = head_lines(&bytes, 8);
        check(name, head, &import_csv(head), 150, RANDOM);
    }
}

#[test]
fn report_samples_import_identically_in_any_chunking() {
    for name in [
        "bing_ad_performance_us.csv",
        "bing_ad_performance_de_utf16.csv",
        "bing_api_ad_performance.csv",
        "linkedin_campaign_manager_export.csv",
        "x_ads_api_promoted_tweets.csv",
        "x_ads_manager_export.csv",
    ] {
        let bytes = sample(name);
        let whole = import_csv(&bytes);
        let report = whole.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.rows > 0 && !report.accepted.is_empty(), "{name}");
        check(name, &bytes, &whole, 150, RANDOM);
    }
    // The column-mapping import and a requested format stream the same way.
    let mapping: ColumnMapping = String::from_utf8(sample("unknown_shape.map"))
        .unwrap()
        .parse()
        .unwrap();
    let bytes = sample("unknown_shape.csv");
    let whole = import_csv_mapped(&bytes, &mapping).unwrap();
    for cut in 1..bytes.len() {
        assert_eq!(
            streamed(CsvImport::mapped(&mapping), &bytes, &[cut]).as_ref(),
            Ok(&whole),
            "mapped: cut at {cut}"
        );
    }
    let bytes = sample("bing_ad_performance_us.csv");
    let whole = import_csv_as(&bytes, ImportFormat::MicrosoftAds);
    let cuts: Vec<usize> = (1..bytes.len()).step_by(3).collect();
    assert_eq!(
        streamed(
            CsvImport::with_format(ImportFormat::MicrosoftAds),
            &bytes,
            &cuts
        ),
        whole
    );
    let wrong = streamed(CsvImport::with_format(ImportFormat::XAds), &bytes, &cuts);
    assert_eq!(wrong, import_csv_as(&bytes, ImportFormat::XAds));
    assert!(wrong.is_err());
}

/// UTF-16 text with a byte-order mark.
fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

const GENERIC: &str = "record_id,account_id,platform,impressions,clicks,spend,headline\n";

#[test]
fn edge_cases_import_identically_in_any_chunking() {
    let rows = |end: &str| {
        format!(
            "{GENERIC}r1,acc,meta,1000,12,3.5,\"Save 20%{end}today\"{end}\
             r2,acc,tiktok,800,0,1.25,plain{end}{end}r3,acc,meta,x,1,1,bad number{end}\
             r4,acc,meta,10,1{end}r2,acc,meta,5,1,1,repeated id{end}\"r5\",acc,meta,7,1,1,\"say \"\"hi\"\" 🎉\""
        )
    };
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("LF".into(), rows("\n").into_bytes()),
        ("CRLF".into(), rows("\r\n").into_bytes()),
        ("lone CR".into(), rows("\r").into_bytes()),
        ("LF + trailing".into(), (rows("\n") + "\n").into_bytes()),
        (
            "BOM".into(),
            [b"\xEF\xBB\xBF".as_slice(), rows("\r\n").as_bytes()].concat(),
        ),
        ("UTF-16 LE".into(), utf16(&rows("\r\n"), true)),
        ("UTF-16 BE".into(), utf16(&rows("\n"), false)),
        (
            "semicolons".into(),
            rows("\n").replace(',', ";").into_bytes(),
        ),
        ("tabs".into(), rows("\n").replace(',', "\t").into_bytes()),
        ("empty".into(), Vec::new()),
        ("one byte".into(), b"r".to_vec()),
        ("BOM only".into(), b"\xEF\xBB".to_vec()),
        ("header only".into(), GENERIC.as_bytes().to_vec()),
        ("blank lines".into(), b"\n\r\n\r\r\n".to_vec()),
        ("unknown header".into(), b"a,b,c\n1,2,3\n".to_vec()),
        (
            "not UTF-8".into(),
            [GENERIC.as_bytes(), b"r1,acc,meta,10,1,1,caf\xE9\n"].concat(),
        ),
        ("header not UTF-8".into(), b"record_id,\xFF\n".to_vec()),
    ];
    // UTF-16 faults: an unpaired surrogate (alone, and after an unknown header, which the
    // whole-file import never reaches), a lone high surrogate at the end, an odd byte count.
    let mut unpaired = utf16(&rows("\n"), true);
    unpaired.extend([0x00, 0xD8, 0x41, 0x00]);
    cases.push(("UTF-16 unpaired surrogate".into(), unpaired));
    let mut late = utf16("a,b,c\n1,2,3\n", true);
    late.extend([0x00, 0xDC]);
    cases.push(("UTF-16 bad after unknown header".into(), late));
    let mut trailing_high = utf16(GENERIC, false);
    trailing_high.extend([0xD8, 0x3D]);
    cases.push(("UTF-16 trailing high surrogate".into(), trailing_high));
    let mut odd = utf16(&rows("\n"), true);
    odd.push(0x41);
    cases.push(("UTF-16 odd bytes".into(), odd));
    // A delimiter decided past the first 8 KiB of a chunk: a long first row.
    let long = format!(
        "{GENERIC}r1,acc,meta,10,1,1,\"{}\"\nr2,acc,meta,10,1,1,x\n",
        "a;".repeat(5000)
    );
    cases.push(("9 KiB first row".into(), long.into_bytes()));

    for (name, bytes) in &cases {
        let whole = import_csv(bytes);
        check(name, bytes, &whole, 150, RANDOM);
    }
    // What the cases cover: accepted and rejected rows, errors of each kind.
    let lf = import_csv(&cases[0].1).unwrap();
    assert_eq!(lf.accepted.len(), 3);
    assert_eq!(lf.rejected.len(), 3);
    assert_eq!(
        lf.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        [Some(6), Some(7), Some(8)],
        "line numbers count the quoted line break and the blank line"
    );
    let err = |name: &str| {
        let (_, bytes) = cases.iter().find(|(n, _)| n == name).unwrap();
        import_csv(bytes).unwrap_err()
    };
    assert_eq!(err("empty").code, ErrorCode::EmptyInput);
    assert_eq!(err("unknown header").code, ErrorCode::Unsupported);
    assert!(err("UTF-16 unpaired surrogate")
        .to_string()
        .contains("not valid UTF-16"));
    assert!(err("UTF-16 bad after unknown header")
        .to_string()
        .contains("not valid UTF-16"));
    assert!(err("UTF-16 odd bytes").to_string().contains("odd number"));
}

/// Rows `1..=n` of a generic CSV: row `i` is on line `i + 1`.
fn generic_rows(n: usize) -> String {
    let mut csv = GENERIC.to_string();
    for i in 1..=n {
        csv.push_str(&format!("r{i},acc,meta,1000,{},2.5,Ad {i}\n", i % 50));
    }
    csv
}

#[test]
fn the_row_limit_stops_at_the_first_row_past_it_in_any_chunking() {
    let limit = 500;
    let at_limit = generic_rows(limit);
    let over = generic_rows(limit + 40);
    let mut rng = Cuts(42);
    for max in [1, 3, 100, 4096, usize::MAX / 2] {
        let cuts = rng.chunks(over.len(), max);
        let mut import = CsvImport::new().with_row_limit(limit);
        let mut stop = None;
        let mut from = 0;
        for &to in cuts.iter().chain(std::iter::once(&over.len())) {
            if let Err(s) = import.push(&over.as_bytes()[from..to]) {
                stop = Some((s, to));
                break;
            }
            from = to;
        }
        let (stop, at) = stop.expect("the row limit stops the import");
        assert_eq!(stop, StreamStop::TooManyRows { limit, line: 502 });
        // It stopped in the chunk that completed row 501 (its line end), not later.
        let row_501_end = over.match_indices('\n').nth(501).unwrap().0 + 1;
        assert!(at >= row_501_end && from < row_501_end, "max {max}");
        assert_eq!(import.rows(), limit + 1);
        assert_eq!(import.push(b"more").unwrap_err(), stop, "a stop is final");
        assert_eq!(import.finish().unwrap_err(), stop);
        // Exactly at the limit is fine.
        let cuts = rng.chunks(at_limit.len(), max);
        let whole = import_csv(at_limit.as_bytes()).unwrap();
        assert_eq!(whole.rows, limit);
        let mut import = CsvImport::new().with_row_limit(limit);
        let mut from = 0;
        for &to in cuts.iter().chain(std::iter::once(&at_limit.len())) {
            import.push(&at_limit.as_bytes()[from..to]).unwrap();
            from = to;
        }
        assert_eq!(import.format(), Some(ImportFormat::Generic));
        assert_eq!(import.finish().unwrap(), whole);
    }
    // The header is known (and a bad one refused) once its line is complete and the delimiter
    // is chosen: from the first 8 KiB of text (or all of a shorter one).
    let text = generic_rows(400);
    let mut import = CsvImport::new();
    import.push(&text.as_bytes()[..8191]).unwrap();
    assert_eq!(import.format(), None);
    import.push(&text.as_bytes()[8191..8192]).unwrap();
    assert_eq!(import.format(), Some(ImportFormat::Generic));
    assert!(import.rows() > 100);
    let mut import = CsvImport::new();
    let bad = format!("a,b,c\n{}", "1,2,3\n".repeat(2000));
    let stop = bad
        .as_bytes()
        .chunks(100)
        .find_map(|c| import.push(c).err())
        .expect("refused before the end");
    assert!(matches!(&stop, StreamStop::Invalid(e) if e.code == ErrorCode::Unsupported));
}
