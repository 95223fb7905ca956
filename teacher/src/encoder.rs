//! A BERT sentence encoder (all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads, FFN 1536) written
//! with ndarray, reading `model.safetensors` and `tokenizer.json` as sentence-transformers ships
//! them. Output: mean-pooled last hidden states, L2-normalized (modules Transformer → Pooling
//! (mean) → Normalize).
//!
//! Tokenizer: BertNormalizer (clean text, CJK characters isolated, lower-case, accents stripped
//! by NFD), BertPreTokenizer (whitespace, punctuation isolated), WordPiece (`##` continuation,
//! `[UNK]` for a word it cannot cover or longer than 100 characters), `[CLS] … [SEP]`, truncated to
//! `max_tokens`.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use std::collections::HashMap;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Errors name the file or tensor and the reason.
pub type Result<T> = std::result::Result<T, String>;

/// Named tensors: shape and row-major values.
pub type Tensors = HashMap<String, (Vec<usize>, Vec<f32>)>;

/// Tensors of a safetensors file (F32 only; other dtypes are skipped).
pub fn read_safetensors(bytes: &[u8]) -> Result<Tensors> {
    if bytes.len() < 8 {
        return Err("safetensors: truncated header length".into());
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().map_err(|_| "safetensors: header")?) as usize;
    let header = bytes
        .get(8..8usize.saturating_add(n))
        .ok_or("safetensors: truncated header")?;
    let header: serde_json::Value =
        serde_json::from_slice(header).map_err(|e| format!("safetensors header: {e}"))?;
    let data = &bytes[8 + n..];
    let mut out = HashMap::new();
    let obj = header
        .as_object()
        .ok_or("safetensors header: not an object")?;
    for (name, v) in obj {
        if name == "__metadata__" || v["dtype"] != "F32" {
            continue;
        }
        let shape: Vec<usize> = v["shape"]
            .as_array()
            .ok_or(format!("{name}: no shape"))?
            .iter()
            .map(|d| {
                d.as_u64()
                    .map(|d| d as usize)
                    .ok_or(format!("{name}: bad shape"))
            })
            .collect::<Result<_>>()?;
        let off = v["data_offsets"]
            .as_array()
            .ok_or(format!("{name}: no offsets"))?;
        let (a, b) = (
            off[0].as_u64().ok_or(format!("{name}: bad offset"))? as usize,
            off[1].as_u64().ok_or(format!("{name}: bad offset"))? as usize,
        );
        let raw = data.get(a..b).ok_or(format!("{name}: data out of range"))?;
        if raw.len() != 4 * shape.iter().product::<usize>() {
            return Err(format!("{name}: size does not match shape"));
        }
        let vals = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.insert(name.clone(), (shape, vals));
    }
    Ok(out)
}

/// WordPiece tokenizer of a BERT `tokenizer.json`.
pub struct Tokenizer {
    vocab: HashMap<String, u32>,
    unk: u32,
    cls: u32,
    sep: u32,
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32, 0x2010..=0x2027 | 0x2030..=0x205E | 0x3000..=0x303F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0x00A1 | 0x00A7 | 0x00AB | 0x00B6 | 0x00B7 | 0x00BB | 0x00BF)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

impl Tokenizer {
    /// Parse `tokenizer.json` (a WordPiece model).
    pub fn from_json(text: &str) -> Result<Self> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("tokenizer.json: {e}"))?;
        let vocab: HashMap<String, u32> = v["model"]["vocab"]
            .as_object()
            .ok_or("tokenizer.json: model.vocab missing")?
            .iter()
            .map(|(k, id)| {
                Ok((
                    k.clone(),
                    id.as_u64().ok_or("tokenizer.json: bad id")? as u32,
                ))
            })
            .collect::<Result<_>>()?;
        let get = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or(format!("tokenizer.json: no {t} token"))
        };
        Ok(Tokenizer {
            unk: get("[UNK]")?,
            cls: get("[CLS]")?,
            sep: get("[SEP]")?,
            vocab,
        })
    }

    /// A tokenizer from an explicit vocabulary (tests).
    #[cfg(test)]
    pub fn from_vocab(tokens: &[&str]) -> Result<Self> {
        let vocab: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let get = |t: &str| vocab.get(t).copied().ok_or(format!("no {t} token"));
        Ok(Tokenizer {
            unk: get("[UNK]")?,
            cls: get("[CLS]")?,
            sep: get("[SEP]")?,
            vocab,
        })
    }

    fn normalize(text: &str) -> String {
        let mut clean = String::with_capacity(text.len());
        for c in text.chars() {
            if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) {
                continue;
            }
            if c.is_whitespace() {
                clean.push(' ');
            } else if is_cjk(c) {
                clean.push(' ');
                clean.push(c);
                clean.push(' ');
            } else {
                clean.push(c);
            }
        }
        clean
            .to_lowercase()
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .collect()
    }

    fn words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for chunk in text.split_whitespace() {
            let mut cur = String::new();
            for c in chunk.chars() {
                if is_punct(c) {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    out.push(c.to_string());
                } else {
                    cur.push(c);
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
        }
        out
    }

    fn wordpiece(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > 100 {
            out.push(self.unk);
            return;
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while end > start {
                let mut sub: String = chars[start..end].iter().collect();
                if start > 0 {
                    sub.insert_str(0, "##");
                }
                if let Some(&id) = self.vocab.get(&sub) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    pieces.push(id);
                    start = end;
                }
                None => {
                    out.push(self.unk);
                    return;
                }
            }
        }
        out.extend(pieces);
    }

    /// Token ids `[CLS] … [SEP]`, at most `max_tokens` in all.
    pub fn encode(&self, text: &str, max_tokens: usize) -> Vec<u32> {
        let mut ids = vec![self.cls];
        for w in Self::words(&Self::normalize(text)) {
            self.wordpiece(&w, &mut ids);
            if ids.len() >= max_tokens - 1 {
                break;
            }
        }
        ids.truncate(max_tokens - 1);
        ids.push(self.sep);
        ids
    }
}

struct Linear {
    /// `[in, out]` (transposed from the stored `[out, in]`).
    w: Array2<f32>,
    b: Array1<f32>,
}

impl Linear {
    fn apply(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        x.dot(&self.w) + &self.b
    }
}

struct Norm {
    g: Array1<f32>,
    b: Array1<f32>,
}

impl Norm {
    fn apply(&self, x: &mut Array2<f32>) {
        for mut row in x.rows_mut() {
            let n = row.len() as f32;
            let mean = row.sum() / n;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let inv = 1.0 / (var + 1e-12).sqrt();
            for (i, v) in row.iter_mut().enumerate() {
                *v = (*v - mean) * inv * self.g[i] + self.b[i];
            }
        }
    }
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    ln1: Norm,
    up: Linear,
    down: Linear,
    ln2: Norm,
}

/// The encoder.
pub struct Encoder {
    word: Array2<f32>,
    pos: Array2<f32>,
    typ: Array1<f32>,
    ln: Norm,
    layers: Vec<Layer>,
    heads: usize,
}

fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x / std::f32::consts::SQRT_2))
}

impl Encoder {
    /// Build from safetensors tensors (`embeddings.*`, `encoder.layer.{i}.*`, optional `bert.`
    /// prefix). `heads` attention heads.
    pub fn from_tensors(t: &Tensors, heads: usize) -> Result<Self> {
        let prefix = if t.contains_key("bert.embeddings.word_embeddings.weight") {
            "bert."
        } else {
            ""
        };
        let get = |name: &str| -> Result<&(Vec<usize>, Vec<f32>)> {
            t.get(&format!("{prefix}{name}"))
                .ok_or(format!("tensor {prefix}{name} missing"))
        };
        let mat = |name: &str| -> Result<Array2<f32>> {
            let (shape, v) = get(name)?;
            if shape.len() != 2 {
                return Err(format!("tensor {name}: expected 2 dimensions"));
            }
            Array2::from_shape_vec((shape[0], shape[1]), v.clone()).map_err(|e| e.to_string())
        };
        let vec1 = |name: &str| -> Result<Array1<f32>> { Ok(Array1::from(get(name)?.1.clone())) };
        let lin = |name: &str| -> Result<Linear> {
            Ok(Linear {
                w: mat(&format!("{name}.weight"))?
                    .reversed_axes()
                    .as_standard_layout()
                    .to_owned(),
                b: vec1(&format!("{name}.bias"))?,
            })
        };
        let norm = |name: &str| -> Result<Norm> {
            Ok(Norm {
                g: vec1(&format!("{name}.weight"))?,
                b: vec1(&format!("{name}.bias"))?,
            })
        };
        let mut layers = Vec::new();
        while t.contains_key(&format!(
            "{prefix}encoder.layer.{}.attention.self.query.weight",
            layers.len()
        )) {
            let p = format!("encoder.layer.{}", layers.len());
            layers.push(Layer {
                q: lin(&format!("{p}.attention.self.query"))?,
                k: lin(&format!("{p}.attention.self.key"))?,
                v: lin(&format!("{p}.attention.self.value"))?,
                o: lin(&format!("{p}.attention.output.dense"))?,
                ln1: norm(&format!("{p}.attention.output.LayerNorm"))?,
                up: lin(&format!("{p}.intermediate.dense"))?,
                down: lin(&format!("{p}.output.dense"))?,
                ln2: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        if layers.is_empty() {
            return Err("no encoder layers".into());
        }
        let word = mat("embeddings.word_embeddings.weight")?;
        let hidden = word.ncols();
        if heads == 0 || hidden % heads != 0 {
            return Err(format!(
                "hidden size {hidden} is not a multiple of {heads} heads"
            ));
        }
        Ok(Encoder {
            word,
            pos: mat("embeddings.position_embeddings.weight")?,
            typ: mat("embeddings.token_type_embeddings.weight")?
                .row(0)
                .to_owned(),
            ln: norm("embeddings.LayerNorm")?,
            layers,
            heads,
        })
    }

    /// Hidden size.
    pub fn dim(&self) -> usize {
        self.word.ncols()
    }

    /// Sentence embeddings of a batch of token-id sequences (mean pooling, L2-normalized). The
    /// sequences are concatenated for the dense layers; attention stays within a sequence.
    pub fn embed(&self, batch: &[Vec<u32>]) -> Result<Array2<f32>> {
        let h = self.dim();
        let total: usize = batch.iter().map(Vec::len).sum();
        let mut x = Array2::<f32>::zeros((total, h));
        let mut r = 0;
        for ids in batch {
            if ids.len() > self.pos.nrows() {
                return Err(format!("sequence of {} tokens is too long", ids.len()));
            }
            for (i, &id) in ids.iter().enumerate() {
                let id = id as usize;
                if id >= self.word.nrows() {
                    return Err(format!("token id {id} out of the vocabulary"));
                }
                let mut row = x.row_mut(r);
                row += &self.word.row(id);
                row += &self.pos.row(i);
                row += &self.typ;
                r += 1;
            }
        }
        self.ln.apply(&mut x);
        let dh = h / self.heads;
        let scale = 1.0 / (dh as f32).sqrt();
        for l in &self.layers {
            let (q, k, v) = (
                l.q.apply(&x.view()),
                l.k.apply(&x.view()),
                l.v.apply(&x.view()),
            );
            let mut ctx = Array2::<f32>::zeros((total, h));
            let mut start = 0;
            for ids in batch {
                let n = ids.len();
                for hd in 0..self.heads {
                    let cols = s![start..start + n, hd * dh..(hd + 1) * dh];
                    let (qh, kh, vh) = (q.slice(cols), k.slice(cols), v.slice(cols));
                    let mut att = qh.dot(&kh.t()) * scale;
                    for mut row in att.rows_mut() {
                        let m = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                        row.mapv_inplace(|v| (v - m).exp());
                        let sum = row.sum();
                        row /= sum;
                    }
                    ctx.slice_mut(cols).assign(&att.dot(&vh));
                }
                start += n;
            }
            let mut y = l.o.apply(&ctx.view()) + &x;
            l.ln1.apply(&mut y);
            let mut up = l.up.apply(&y.view());
            up.mapv_inplace(gelu);
            let mut z = l.down.apply(&up.view()) + &y;
            l.ln2.apply(&mut z);
            x = z;
        }
        let mut out = Array2::<f32>::zeros((batch.len(), h));
        let mut start = 0;
        for (b, ids) in batch.iter().enumerate() {
            let n = ids.len();
            let mean = x
                .slice(s![start..start + n, ..])
                .mean_axis(Axis(0))
                .ok_or("empty sequence")?;
            let norm = mean.dot(&mean).sqrt().max(1e-12);
            out.row_mut(b).assign(&(mean / norm));
            start += n;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny generated BERT (hidden 4, 2 heads, 1 layer, FFN 8) as safetensors bytes.
    fn tiny_safetensors() -> Vec<u8> {
        let shapes: Vec<(&str, Vec<usize>)> = vec![
            ("embeddings.word_embeddings.weight", vec![8, 4]),
            ("embeddings.position_embeddings.weight", vec![16, 4]),
            ("embeddings.token_type_embeddings.weight", vec![2, 4]),
            ("embeddings.LayerNorm.weight", vec![4]),
            ("embeddings.LayerNorm.bias", vec![4]),
            ("encoder.layer.0.attention.self.query.weight", vec![4, 4]),
            ("encoder.layer.0.attention.self.query.bias", vec![4]),
            ("encoder.layer.0.attention.self.key.weight", vec![4, 4]),
            ("encoder.layer.0.attention.self.key.bias", vec![4]),
            ("encoder.layer.0.attention.self.value.weight", vec![4, 4]),
            ("encoder.layer.0.attention.self.value.bias", vec![4]),
            ("encoder.layer.0.attention.output.dense.weight", vec![4, 4]),
            ("encoder.layer.0.attention.output.dense.bias", vec![4]),
            ("encoder.layer.0.attention.output.LayerNorm.weight", vec![4]),
            ("encoder.layer.0.attention.output.LayerNorm.bias", vec![4]),
            ("encoder.layer.0.intermediate.dense.weight", vec![8, 4]),
            ("encoder.layer.0.intermediate.dense.bias", vec![8]),
            ("encoder.layer.0.output.dense.weight", vec![4, 8]),
            ("encoder.layer.0.output.dense.bias", vec![4]),
            ("encoder.layer.0.output.LayerNorm.weight", vec![4]),
            ("encoder.layer.0.output.LayerNorm.bias", vec![4]),
        ];
        let mut header = serde_json::Map::new();
        let mut data = Vec::new();
        let mut seed = 1u32;
        for (name, shape) in &shapes {
            let n: usize = shape.iter().product();
            let start = data.len();
            for _ in 0..n {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let v = if name.ends_with("LayerNorm.weight") {
                    1.0
                } else {
                    (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
                };
                data.extend_from_slice(&v.to_le_bytes());
            }
            header.insert(
                name.to_string(),
                serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
            );
        }
        let h = serde_json::to_vec(&header).unwrap();
        let mut out = (h.len() as u64).to_le_bytes().to_vec();
        out.extend(h);
        out.extend(data);
        out
    }

    #[test]
    fn tiny_model_embeds_batch_independent_and_normalized() {
        let t = read_safetensors(&tiny_safetensors()).expect("parses");
        let enc = Encoder::from_tensors(&t, 2).expect("builds");
        let a = vec![0u32, 3, 4, 1];
        let b = vec![0u32, 5, 1];
        let alone = enc.embed(std::slice::from_ref(&a)).unwrap();
        let both = enc.embed(&[b, a]).unwrap();
        for j in 0..4 {
            assert!(
                (alone[[0, j]] - both[[1, j]]).abs() < 1e-5,
                "attention leaks across the batch"
            );
        }
        let norm: f32 = both.row(0).iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert!(both
            .row(0)
            .iter()
            .zip(both.row(1))
            .any(|(x, y)| (x - y).abs() > 1e-3));
        assert!(
            enc.embed(&[vec![0, 99]]).is_err(),
            "token out of vocabulary must be an error"
        );
    }

    #[test]
    fn corrupt_safetensors_are_errors() {
        let bytes = tiny_safetensors();
        for len in [0, 4, 12, bytes.len() - 3] {
            assert!(read_safetensors(&bytes[..len]).is_err(), "len {len}");
        }
        let t = read_safetensors(&bytes).unwrap();
        assert!(
            Encoder::from_tensors(&t, 3).is_err(),
            "4 is not a multiple of 3 heads"
        );
    }

    #[test]
    fn wordpiece_tokenizer() {
        let tok = Tokenizer::from_vocab(&[
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", ",", "world", "!", "play", "##ing", "cafe",
        ])
        .unwrap();
        assert_eq!(tok.encode("Héllo, WORLD!", 64), vec![2, 4, 5, 6, 7, 3]);
        assert_eq!(tok.encode("playing café xyz", 64), vec![2, 8, 9, 10, 1, 3]);
        assert_eq!(tok.encode("hello hello hello hello", 4), vec![2, 4, 4, 3]);
    }
}
