//! Random distortions of training images (snu-core `augment`): argument conversion only.

// napi-derive registers the functions only outside `cfg(test)`.
#![cfg_attr(test, allow(dead_code))]

use crate::args;
use crate::arrays::F32s;
use crate::guard::{engine, guard};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use snu_core::augment::{distort, Distortion};
use snu_core::limits::{MAX_SEED, MAX_WIDTH};

/// Elastic distortion (Simard et al. 2003) and random shifts of `count` images `[C, H, W]`
/// (`images` is `[count, C*H*W]`), each image from its own stream of `seed`. Returns new images.
#[napi(ts_return_type = "Float32Array")]
#[allow(clippy::too_many_arguments)]
pub fn distort_images(
    #[napi(ts_arg_type = "Float32Array")] images: Unknown,
    #[napi(ts_arg_type = "number")] count: Unknown,
    #[napi(ts_arg_type = "[number, number, number]")] shape: Vec<Unknown>,
    #[napi(ts_arg_type = "number")] alpha: Unknown,
    #[napi(ts_arg_type = "number")] sigma: Unknown,
    #[napi(ts_arg_type = "number")] shift: Unknown,
    #[napi(ts_arg_type = "number")] seed: Unknown,
) -> Result<F32s> {
    guard("distortImages", || {
        let images = args::float32(images, "images")?;
        let count = args::integer(count, "count", 1, MAX_WIDTH as u64)?;
        if shape.len() != 3 {
            return Err(args::invalid(format!(
                "shape: expected [channels, height, width], got {} values",
                shape.len()
            )));
        }
        let mut dims = [0usize; 3];
        for (i, v) in shape.into_iter().enumerate() {
            dims[i] = args::integer(v, &format!("shape[{i}]"), 1, MAX_WIDTH as u64)?;
        }
        let d = Distortion {
            alpha: args::number(alpha, "alpha")? as f32,
            sigma: args::number(sigma, "sigma")? as f32,
            shift: args::integer(shift, "shift", 0, MAX_WIDTH as u64)?,
        };
        let seed = args::integer(seed, "seed", 0, MAX_SEED)? as u64;
        Ok(F32s(
            distort(&images, count, dims, d, seed).map_err(engine)?,
        ))
    })
}
