//! Work that runs off the main thread (libuv's pool) and resolves a Promise.
//! Inputs are copied before the task starts, so JS may reuse its arrays at once.

use crate::guard::{engine, guard, lock};
use napi::bindgen_prelude::*;
use snu_core::pool::on_pool;
use snu_core::Network as CoreNetwork;
use std::sync::{Arc, Mutex};

/// A batch: inputs `[T, B, in]`, optional targets, its shape and an optional mask `[T, B]`.
pub struct Batch {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub steps: usize,
    pub batch: usize,
    pub mask: Option<Vec<f32>>,
}

pub struct TrainTask {
    pub net: Arc<Mutex<CoreNetwork>>,
    pub data: Batch,
}

impl Task for TrainTask {
    type Output = f64;
    type JsValue = f64;

    fn compute(&mut self) -> Result<f64> {
        guard("trainStepAsync", || {
            let d = &self.data;
            let net = &mut *lock(&self.net);
            on_pool(|| net.train_step_masked(&d.x, &d.y, d.mask.as_deref(), d.steps, d.batch))
                .map_err(engine)
        })
    }

    fn resolve(&mut self, _env: Env, loss: f64) -> Result<f64> {
        Ok(loss)
    }
}

pub struct PredictTask {
    pub net: Arc<Mutex<CoreNetwork>>,
    pub data: Batch,
}

impl Task for PredictTask {
    type Output = Vec<f32>;
    type JsValue = Float32Array;

    fn compute(&mut self) -> Result<Vec<f32>> {
        guard("predictAsync", || {
            let d = &self.data;
            let net = &mut *lock(&self.net);
            on_pool(|| {
                net.forward_masked(&d.x, d.mask.as_deref(), d.steps, d.batch)
                    .map(|o| o.to_vec())
            })
            .map_err(engine)
        })
    }

    fn resolve(&mut self, _env: Env, out: Vec<f32>) -> Result<Float32Array> {
        Ok(Float32Array::new(out))
    }
}

pub struct EvaluateTask {
    pub net: Arc<Mutex<CoreNetwork>>,
    pub data: Batch,
}

impl Task for EvaluateTask {
    type Output = (f64, Vec<f32>);
    type JsValue = crate::Evaluation;

    fn compute(&mut self) -> Result<(f64, Vec<f32>)> {
        guard("evaluateAsync", || {
            let d = &self.data;
            let net = &mut *lock(&self.net);
            let loss = on_pool(|| net.loss_masked(&d.x, &d.y, d.mask.as_deref(), d.steps, d.batch))
                .map_err(engine)?;
            Ok((loss, net.last_output().to_vec()))
        })
    }

    fn resolve(&mut self, _env: Env, (loss, output): (f64, Vec<f32>)) -> Result<crate::Evaluation> {
        Ok(crate::Evaluation {
            loss,
            output: Float32Array::new(output),
        })
    }
}
