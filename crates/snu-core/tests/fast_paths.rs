//! The fast paths against the plain ones: event-driven spike products against dense matrix
//! products, and the parallel time loop over batch chunks against one sample at a time.
mod common;

use common::*;
use snu_core::layers::product::ProductPath;
use snu_core::Batch;
use snu_core::Network;

/// Spike input with the given fraction of ones.
fn spike_input(rng: &mut Rng, len: usize, density: f64) -> Vec<f32> {
    (0..len)
        .map(|_| (rng.uniform() < density) as u8 as f32)
        .collect()
}

fn configs() -> Vec<(&'static str, ModelCfg)> {
    let snu = SnuCfg::snu;
    let recurrent = |u| SnuCfg {
        recurrent: true,
        trainable_decay: true,
        ..SnuCfg::snu(u)
    };
    let lateral = |u| SnuCfg {
        lateral: true,
        ..SnuCfg::snu(u)
    };
    let soft_recurrent = |u| SnuCfg {
        recurrent: true,
        ..SnuCfg::ssnu(u)
    };
    let mut tbptt = ModelCfg::new(
        70,
        vec![LayerCfg::Snu(recurrent(40)), LayerCfg::Snu(snu(5))],
        Readout::Mean,
        Loss::Mse,
    );
    tbptt.tbptt = Some(3);
    vec![
        (
            "3 spiking layers",
            ModelCfg::new(
                130,
                vec![
                    LayerCfg::Snu(snu(70)),
                    LayerCfg::Snu(snu(64)),
                    LayerCfg::Snu(snu(6)),
                ],
                Readout::Sum,
                Loss::SoftmaxCe,
            ),
        ),
        (
            "recurrent, trainable decay",
            ModelCfg::new(
                90,
                vec![LayerCfg::Snu(recurrent(50)), LayerCfg::Snu(snu(4))],
                Readout::Sum,
                Loss::SoftmaxCe,
            ),
        ),
        (
            "lateral inhibition, dense readout layer",
            ModelCfg::new(
                80,
                vec![LayerCfg::Snu(lateral(33)), dense(5, Act::None)],
                Readout::Last,
                Loss::SoftmaxCe,
            ),
        ),
        (
            "recurrent sSNU on spikes",
            ModelCfg::new(
                100,
                vec![LayerCfg::Snu(soft_recurrent(20)), LayerCfg::Snu(snu(3))],
                Readout::Sequence,
                Loss::BceLogits,
            ),
        ),
        ("truncated BPTT", tbptt),
    ]
}

struct Result {
    loss: f64,
    outputs: Vec<Vec<f32>>,
    grads: Vec<(String, Vec<f64>)>,
}

fn run(
    net: &mut Network,
    path: ProductPath,
    x: &[f32],
    target: &[f32],
    steps: usize,
    batch: usize,
) -> Result {
    net.set_product_path(path);
    let loss = net
        .compute_gradients(&Batch::new(x, target, steps, batch))
        .unwrap();
    Result {
        loss,
        outputs: net.layer_outputs(),
        grads: engine_grads(net),
    }
}

#[test]
fn event_driven_and_dense_products_give_the_same_outputs_and_gradients() {
    let (steps, batch) = (9, 6);
    for (name, cfg) in configs() {
        // 0.25 lies between the two crossovers: Auto adds spikes forward and multiplies densely backward.
        for density in [0.08, 0.25, 0.5] {
            let mut rng = Rng::new(17);
            let mut net = cfg.build();
            randomize_biases_and_decays(&mut net, &mut rng);
            let x = spike_input(&mut rng, steps * batch * cfg.input_size, density);
            let target = cfg.random_target(&mut rng, steps, batch);
            let dense = run(&mut net, ProductPath::Dense, &x, &target, steps, batch);
            let what = format!("{name}, input density {density}");
            let spiking = |o: &Vec<f32>| {
                let ones = o.iter().filter(|&&v| v == 1.0).count();
                o.iter().all(|&v| v == 0.0 || v == 1.0) && ones > 0 && ones < o.len()
            };
            assert!(
                dense.outputs.iter().any(spiking),
                "{what}: no layer both spikes and stays silent somewhere"
            );
            for path in [ProductPath::EventDriven, ProductPath::Auto] {
                let other = run(&mut net, path, &x, &target, steps, batch);
                assert_eq!(
                    other.outputs, dense.outputs,
                    "{what}: {path:?} changed a layer output"
                );
                assert!(
                    (other.loss - dense.loss).abs() <= 1e-5 * dense.loss.abs(),
                    "{what}: {path:?} loss {} vs {}",
                    other.loss,
                    dense.loss
                );
                assert_grads_close(
                    &other.grads,
                    &dense.grads,
                    1e-5,
                    &format!("{what}: {path:?}"),
                );
            }
        }
    }
}

#[test]
fn the_parallel_time_loop_equals_one_sample_at_a_time() {
    // 48 samples of 160 units: the batch is cut into 16 chunks run on the thread pool.
    let (steps, batch, units) = (7, 48, 160);
    let recurrent = SnuCfg {
        recurrent: true,
        trainable_decay: true,
        ..SnuCfg::snu(units)
    };
    let cfg = ModelCfg::new(
        50,
        vec![
            LayerCfg::Snu(recurrent),
            LayerCfg::Snu(SnuCfg::ssnu(units)),
            dense(4, Act::None),
        ],
        Readout::Sum,
        Loss::Mse,
    );
    let mut rng = Rng::new(3);
    let mut net = cfg.build();
    randomize_biases_and_decays(&mut net, &mut rng);
    let x = rng.vec(steps * batch * cfg.input_size, 0.0, 1.5);
    let target = cfg.random_target(&mut rng, steps, batch);
    let whole = run(&mut net, ProductPath::Auto, &x, &target, steps, batch);

    // The same samples one by one (time-major: sample b is row t*B + b at every step).
    let (n_in, n_out) = (cfg.input_size, cfg.outputs());
    let mut sum: Vec<(String, Vec<f64>)> = whole
        .grads
        .iter()
        .map(|(k, g)| (k.clone(), vec![0.0; g.len()]))
        .collect();
    let mut loss = 0.0;
    for b in 0..batch {
        let xb: Vec<f32> = (0..steps)
            .flat_map(|t| x[(t * batch + b) * n_in..(t * batch + b + 1) * n_in].to_vec())
            .collect();
        let one = run(
            &mut net,
            ProductPath::Auto,
            &xb,
            &target[b * n_out..(b + 1) * n_out],
            steps,
            1,
        );
        for (layer, (all, mine)) in whole.outputs.iter().zip(&one.outputs).enumerate() {
            let units = mine.len() / steps;
            for t in 0..steps {
                let want = &all[(t * batch + b) * units..(t * batch + b + 1) * units];
                for (u, (a, w)) in mine[t * units..(t + 1) * units]
                    .iter()
                    .zip(want)
                    .enumerate()
                {
                    assert!(
                        (a - w).abs() <= 1e-5 * (1.0 + w.abs()),
                        "layer {layer}, sample {b}, step {t}, unit {u}: {a} vs {w}"
                    );
                }
            }
        }
        loss += one.loss / batch as f64;
        for ((_, acc), (_, g)) in sum.iter_mut().zip(&one.grads) {
            acc.iter_mut()
                .zip(g)
                .for_each(|(a, v)| *a += v / batch as f64);
        }
    }
    assert!(
        (loss - whole.loss).abs() <= 1e-5 * whole.loss.abs(),
        "loss {loss} vs {}",
        whole.loss
    );
    assert_grads_close(
        &whole.grads,
        &sum,
        1e-4,
        "batch of 48 against 48 single samples",
    );
}
