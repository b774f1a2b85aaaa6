//! Work that runs off the main thread (libuv's pool) and resolves a Promise: any operation of
//! `ops.rs` on a copy of its batch. Calls on one network run in the order they were made.

use crate::batch::OwnedBatch;
use crate::guard::{guard, lock, Shared};
use crate::ops::Op;
use napi::bindgen_prelude::*;

pub struct NetTask<T> {
    what: &'static str,
    net: Shared,
    batch: OwnedBatch,
    op: Op<T>,
}

impl<T> NetTask<T> {
    pub fn new(
        what: &'static str,
        net: &Shared,
        batch: OwnedBatch,
        op: Op<T>,
    ) -> AsyncTask<NetTask<T>>
    where
        NetTask<T>: Task,
    {
        AsyncTask::new(NetTask {
            what,
            net: net.clone(),
            batch,
            op,
        })
    }
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for NetTask<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> Result<T> {
        guard(self.what, || {
            (self.op)(&mut *lock(&self.net)?, &self.batch.view())
        })
    }

    fn resolve(&mut self, _env: Env, out: T) -> Result<T> {
        Ok(out)
    }
}
