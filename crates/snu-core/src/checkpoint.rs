//! Checkpoints: a versioned binary file with a checksum, holding the spec, the weights,
//! the optimizer state and the dropout generator's position, so that loading resumes
//! training exactly (the same updates and the same dropout masks as without the stop).
//!
//! ```text
//! "SNUCKPT\0" | u32 version | u32 len, spec JSON | u32 count, per parameter:
//!   u32 len, name | u32 ndim, u64 dims | f32 values | u64 optimizer step | u8 has moments,
//!   then per parameter m and v | 4 x u64 dropout generator state (version 2 on)
//!   | u64 FNV-1a of everything before
//! ```
//! All integers and floats little-endian. Version 1 files (without the dropout state) still
//! load; their dropout masks restart from the spec's seed.

use crate::bail;
use crate::error::Result;
use crate::kernels::rng::Rng;
use crate::network::Network;
use crate::spec::ModelSpec;

pub const MAGIC: &[u8; 8] = b"SNUCKPT\0";
pub const VERSION: u32 = 2;
/// The oldest format version `load` reads.
pub const OLDEST_VERSION: u32 = 1;

/// FNV-1a, 64 bit: detects truncation and bit flips.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub fn save(net: &Network) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let spec = net.spec.to_json();
    out.extend_from_slice(&(spec.len() as u32).to_le_bytes());
    out.extend_from_slice(spec.as_bytes());
    let params = net.params();
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    for p in params {
        out.extend_from_slice(&(p.name.len() as u32).to_le_bytes());
        out.extend_from_slice(p.name.as_bytes());
        out.extend_from_slice(&(p.shape.len() as u32).to_le_bytes());
        for &d in &p.shape {
            out.extend_from_slice(&(d as u64).to_le_bytes());
        }
        put_f32s(&mut out, &p.value);
    }
    let opt = &net.optimizer;
    out.extend_from_slice(&opt.step.to_le_bytes());
    let has_moments = !opt.m.is_empty();
    out.push(has_moments as u8);
    if has_moments {
        for (m, v) in opt.m.iter().zip(&opt.v) {
            put_f32s(&mut out, m);
            put_f32s(&mut out, v);
        }
    }
    for word in net.dropout_rng.state() {
        out.extend_from_slice(&word.to_le_bytes());
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

fn put_f32s(out: &mut Vec<u8>, xs: &[f32]) {
    for x in xs {
        out.extend_from_slice(&x.to_le_bytes());
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.buf.len() - self.pos < n {
            bail!("checkpoint: truncated while reading {what}");
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }
    fn f32s(&mut self, n: usize, what: &str) -> Result<Vec<f32>> {
        let bytes = self.take(n.saturating_mul(4), what)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
}

/// Stored values must be finite: the checksum catches damage, not an edited file re-sealed with
/// a new checksum, and NaN weights would train on silently.
fn finite(values: &[f32], what: &str) -> Result<()> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!(
            "checkpoint: {what} holds a non-finite value ({} at index {i}); the file was edited or written from a diverged model",
            values[i]
        );
    }
    Ok(())
}

pub fn load(bytes: &[u8]) -> Result<Network> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        bail!("checkpoint: not an snu checkpoint (the file does not start with the snu header)");
    }
    if bytes.len() < MAGIC.len() + 4 + 8 {
        bail!("checkpoint: truncated ({} bytes)", bytes.len());
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        bail!("checkpoint: format version {version} is not supported (this snu reads versions {OLDEST_VERSION} to {VERSION})");
    }
    let (body, tail) = bytes.split_at(bytes.len() - 8);
    if fnv1a(body) != u64::from_le_bytes(tail.try_into().unwrap()) {
        bail!("checkpoint: checksum mismatch: the file is corrupt or truncated");
    }
    let mut r = Reader { buf: body, pos: 12 };
    let spec_len = r.u32("spec length")? as usize;
    let spec_json = std::str::from_utf8(r.take(spec_len, "spec")?)
        .map_err(|_| crate::error::Error("checkpoint: spec is not UTF-8".into()))?;
    let spec = ModelSpec::from_json(spec_json)
        .map_err(|e| crate::error::Error(format!("checkpoint: {e}")))?;
    // The weights the spec defines follow in the file, 4 bytes each: a spec claiming more than
    // the bytes left is refused before any of them is allocated (a crafted 1 kB file must not
    // make `load` allocate gigabytes).
    let values = spec.param_count()?;
    let left = (body.len() - r.pos) as u128;
    if values * 4 > left {
        bail!(
            "checkpoint: its spec defines {values} parameter values ({} bytes) but only {left} bytes follow the spec: the file is not a checkpoint of this model",
            values * 4
        );
    }
    let mut net = Network::new(spec)?;
    let count = r.u32("parameter count")? as usize;
    if count != net.params().len() {
        bail!(
            "checkpoint: holds {count} parameters but its spec defines {}",
            net.params().len()
        );
    }
    for i in 0..count {
        let name_len = r.u32("parameter name")? as usize;
        let name = String::from_utf8_lossy(r.take(name_len, "parameter name")?).into_owned();
        let ndim = r.u32("parameter shape")? as usize;
        let mut shape = Vec::with_capacity(ndim.min(8));
        for _ in 0..ndim {
            shape.push(r.u64("parameter shape")? as usize);
        }
        let expected = &net.store.params[i];
        if expected.name != name || expected.shape != shape {
            bail!(
                "checkpoint: parameter {i} is {name} {shape:?}, expected {} {:?}",
                expected.name,
                expected.shape
            );
        }
        let values = r.f32s(expected.value.len(), &name)?;
        finite(&values, &name)?;
        net.store.params[i].value = values;
    }
    net.optimizer.step = r.u64("optimizer step")?;
    if r.take(1, "optimizer state flag")?[0] == 1 {
        for i in 0..count {
            let len = net.store.params[i].value.len();
            let name = &net.store.params[i].name;
            let (m, v) = (
                r.f32s(len, "optimizer state")?,
                r.f32s(len, "optimizer state")?,
            );
            finite(&m, &format!("the optimizer's first moment of {name}"))?;
            finite(&v, &format!("the optimizer's second moment of {name}"))?;
            net.optimizer.m.push(m);
            net.optimizer.v.push(v);
        }
    }
    if version >= 2 {
        let mut state = [0u64; 4];
        for word in &mut state {
            *word = r.u64("dropout generator state")?;
        }
        net.dropout_rng = Rng::from_state(state).ok_or_else(|| {
            crate::error::Error("checkpoint: the dropout generator state is all zero".into())
        })?;
    }
    if r.pos != body.len() {
        bail!(
            "checkpoint: {} unexpected bytes after the optimizer and dropout state",
            body.len() - r.pos
        );
    }
    Ok(net)
}
