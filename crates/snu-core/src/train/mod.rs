//! What turns a network's output into an update: the readout over time, the losses, dropout
//! on layer inputs, and the optimizers.

pub mod dropout;
pub mod loss;
pub mod optim;
pub mod readout;
