//! A byte-exact digest of a simulated network, for reproducibility checks across builds.
//!
//! FNV-1a 64 over a canonical encoding: integers as 8 little-endian bytes, floats as the 8
//! little-endian bytes of their IEEE-754 bits (no float formatting involved), strings as length +
//! UTF-8 bytes, options as a tag byte + value, sequences as length + items, enums by wire name.
//! Equal digests natively and in wasm mean bit-identical networks.

use super::{Network, OracleEntry, SimAccount};
use crate::record::{CreativeRecord, DailyOutcome};

struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.bytes(&[0]),
            Some(x) => {
                self.bytes(&[1]);
                f(self, x);
            }
        }
    }
}

/// The digest of a network (see module docs).
pub fn network_digest(n: &Network) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.str(&n.label);
    h.str(&n.params_version);
    h.str(&n.params_hash);
    h.u64(n.seed);
    h.f64(n.effect_scale);
    h.u64(n.accounts.len() as u64);
    for a in &n.accounts {
        account(&mut h, a);
    }
    h.u64(n.records.len() as u64);
    for r in &n.records {
        record(&mut h, r);
    }
    h.u64(n.oracle.len() as u64);
    for o in &n.oracle {
        oracle(&mut h, o);
    }
    h.0
}

fn account(h: &mut Fnv, a: &SimAccount) {
    h.str(&a.account_id);
    h.str(a.niche.as_str());
    h.u64(a.platforms.len() as u64);
    for p in &a.platforms {
        h.str(p.as_str());
    }
    h.f64(a.ctr_effect);
}

fn oracle(h: &mut Fnv, o: &OracleEntry) {
    h.str(&o.record_id);
    h.f64(o.true_ctr);
    h.f64(o.true_cvr);
    h.f64(o.attribute_logit);
}

fn record(h: &mut Fnv, r: &CreativeRecord) {
    h.str(&r.record_id);
    h.str(&r.account_id);
    h.opt(r.campaign_id.as_deref(), |h, s| h.str(s));
    h.str(r.platform.as_str());
    h.opt(r.date_start.as_deref(), |h, s| h.str(s));
    h.opt(r.date_end.as_deref(), |h, s| h.str(s));
    h.opt(r.niche, |h, n| h.str(n.as_str()));
    h.str(r.hook_type.as_str());
    h.str(r.cta_style.as_str());
    h.u64(r.visual_tags.len() as u64);
    for t in &r.visual_tags {
        h.str(t.as_str());
    }
    h.str(r.format.as_str());
    h.opt(r.duration_s, |h, d| h.f64(d));
    h.opt(r.posting_hour, |h, x| h.u64(u64::from(x)));
    h.str(&r.headline);
    h.str(&r.body);
    h.u64(r.impressions);
    h.u64(r.clicks);
    h.opt(r.conversions, |h, x| h.u64(x));
    h.f64(r.spend);
    h.opt(r.revenue, |h, x| h.f64(x));
    h.opt(r.engagements, |h, x| h.u64(x));
    h.opt(r.video_views, |h, x| h.u64(x));
    h.u64(r.daily.len() as u64);
    for d in &r.daily {
        day(h, d);
    }
}

fn day(h: &mut Fnv, d: &DailyOutcome) {
    h.str(&d.date);
    h.u64(d.impressions);
    h.u64(d.clicks);
    h.opt(d.conversions, |h, x| h.u64(x));
    h.f64(d.spend);
    h.opt(d.revenue, |h, x| h.f64(x));
}
