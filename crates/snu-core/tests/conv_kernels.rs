//! The convolution kernels against an independent reference: the convolution written here from
//! its definition (in f64), its gradients derived by hand, and finite differences of a scalar
//! loss, over geometries that cover every option (kernel shape, stride, padding, dilation,
//! channels) and row counts that exercise the chunked parallel loop. Every kernel is checked:
//! im2col, and the direct kernel with each instruction set this CPU has and its portable loops.
#![allow(clippy::needless_range_loop)]

use snu_core::kernels::conv::{
    col2im, conv_backward, conv_forward, conv_forward_with, conv_input_grad_with,
    conv_weight_grad_with, im2col, ConvGeometry, ConvKernel,
};
use snu_core::kernels::conv_direct;
use snu_core::kernels::rng::Rng;

/// y[o, i, j] = sum_{c,u,v} w[o, c, u, v] x[c, i*s - p + u*d, j*s - p + v*d], straight from the definition.
fn naive_forward(g: &ConvGeometry, x: &[f64], w: &[f64]) -> Vec<f64> {
    let [oh, ow] = g.out_hw();
    let (kh, kw) = (g.kernel[0], g.kernel[1]);
    let mut y = vec![0.0; g.out_c * oh * ow];
    for o in 0..g.out_c {
        for i in 0..oh {
            for j in 0..ow {
                let mut sum = 0.0;
                for c in 0..g.in_c {
                    for u in 0..kh {
                        for v in 0..kw {
                            let yy = (i * g.stride[0] + u * g.dilation[0]) as isize
                                - g.padding[0] as isize;
                            let xx = (j * g.stride[1] + v * g.dilation[1]) as isize
                                - g.padding[1] as isize;
                            if yy < 0 || xx < 0 || yy >= g.in_h as isize || xx >= g.in_w as isize {
                                continue;
                            }
                            let wi = ((o * g.in_c + c) * kh + u) * kw + v;
                            sum += w[wi] * x[(c * g.in_h + yy as usize) * g.in_w + xx as usize];
                        }
                    }
                }
                y[(o * oh + i) * ow + j] = sum;
            }
        }
    }
    y
}

/// The gradients of `L = sum(r * y)` by the chain rule through the same loops: dW and dx.
fn naive_backward(g: &ConvGeometry, x: &[f64], w: &[f64], r: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let [oh, ow] = g.out_hw();
    let (kh, kw) = (g.kernel[0], g.kernel[1]);
    let (mut dw, mut dx) = (vec![0.0; w.len()], vec![0.0; x.len()]);
    for o in 0..g.out_c {
        for i in 0..oh {
            for j in 0..ow {
                let d = r[(o * oh + i) * ow + j];
                for c in 0..g.in_c {
                    for u in 0..kh {
                        for v in 0..kw {
                            let yy = (i * g.stride[0] + u * g.dilation[0]) as isize
                                - g.padding[0] as isize;
                            let xx = (j * g.stride[1] + v * g.dilation[1]) as isize
                                - g.padding[1] as isize;
                            if yy < 0 || xx < 0 || yy >= g.in_h as isize || xx >= g.in_w as isize {
                                continue;
                            }
                            let wi = ((o * g.in_c + c) * kh + u) * kw + v;
                            let xi = (c * g.in_h + yy as usize) * g.in_w + xx as usize;
                            dw[wi] += d * x[xi];
                            dx[xi] += d * w[wi];
                        }
                    }
                }
            }
        }
    }
    (dw, dx)
}

fn geometry(
    in_c: usize,
    hw: [usize; 2],
    out_c: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
) -> ConvGeometry {
    ConvGeometry {
        in_c,
        in_h: hw[0],
        in_w: hw[1],
        out_c,
        kernel,
        stride,
        padding,
        dilation,
    }
}

/// Geometries covering each option alone and together.
fn geometries() -> Vec<ConvGeometry> {
    vec![
        geometry(1, [6, 6], 2, [3, 3], [1, 1], [0, 0], [1, 1]),
        geometry(2, [7, 5], 3, [3, 2], [1, 1], [1, 0], [1, 1]),
        geometry(3, [8, 8], 2, [3, 3], [2, 2], [1, 1], [1, 1]),
        geometry(1, [9, 7], 2, [2, 3], [1, 2], [0, 1], [2, 1]),
        geometry(2, [5, 5], 4, [1, 1], [1, 1], [0, 0], [1, 1]),
        geometry(2, [6, 7], 1, [5, 5], [3, 2], [2, 2], [1, 1]),
        geometry(1, [4, 4], 3, [4, 4], [1, 1], [0, 0], [1, 1]),
        geometry(3, [10, 9], 2, [3, 3], [2, 1], [2, 3], [2, 3]),
        // Stride 1 (the direct kernel): dilation, 20 filters (a full and a partial block), rows
        // of 22 (two runs of 16); padding beyond the kernel's extent (the input gradient then
        // takes im2col); padding equal to it.
        geometry(3, [9, 20], 20, [3, 3], [1, 1], [1, 2], [2, 1]),
        geometry(2, [5, 6], 5, [1, 1], [1, 1], [1, 1], [1, 1]),
        geometry(4, [7, 7], 17, [3, 3], [1, 1], [2, 2], [2, 2]),
    ]
}

/// The kernels that apply to `g` on this CPU.
fn kernels(g: &ConvGeometry) -> Vec<ConvKernel> {
    let mut all = vec![ConvKernel::Im2col];
    if conv_direct::applies(g) {
        all.extend(
            conv_direct::simd_levels()
                .into_iter()
                .map(ConvKernel::Direct),
        );
    }
    all
}

fn random(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect()
}
fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}
fn max_diff(a: &[f32], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn forward_and_backward_match_the_definition_for_every_option() {
    let mut rng = Rng::new(7);
    for g in geometries() {
        // 37 rows: several chunks of the parallel loop, the last one short.
        matches_definition(&g, 37, 1e-3, &mut rng);
    }
}

#[test]
fn larger_images_match_the_definition() {
    // MNIST-sized and larger images, many channels, stride 1 and 2: rows of cols longer than a
    // vector register, and many chunks of the parallel loop.
    let mut rng = Rng::new(8);
    for g in [
        geometry(16, [28, 28], 3, [5, 5], [1, 1], [2, 2], [1, 1]),
        geometry(8, [33, 30], 2, [5, 4], [2, 2], [2, 1], [1, 1]),
    ] {
        matches_definition(&g, 40, 1e-3, &mut rng);
    }
}

/// Each kernel's forward pass, weight gradient and input gradient on `rows` random images
/// against `naive_forward` and `naive_backward` in f64: y and dx within 1e-4, dW within `dw_tol`.
fn matches_definition(g: &ConvGeometry, rows: usize, dw_tol: f64, rng: &mut Rng) {
    g.check("test").unwrap();
    let g = *g;
    let (n_in, n_out, k) = (g.in_len(), g.out_len(), g.patch_len());
    let x = random(rng, rows * n_in);
    let w = random(rng, g.out_c * k);
    let r = random(rng, rows * n_out);
    let (xf, wf, rf) = (to_f32(&x), to_f32(&w), to_f32(&r));
    let mut y_ref = vec![];
    let (mut dw_ref, mut dx_ref) = (vec![0.0; w.len()], vec![]);
    for row in 0..rows {
        let xr = &x[row * n_in..(row + 1) * n_in];
        y_ref.extend(naive_forward(&g, xr, &w));
        let (dwr, dxr) = naive_backward(&g, xr, &w, &r[row * n_out..(row + 1) * n_out]);
        dw_ref.iter_mut().zip(&dwr).for_each(|(a, b)| *a += b);
        dx_ref.extend(dxr);
    }
    for kernel in kernels(&g) {
        let mut y = vec![0.0f32; rows * n_out];
        conv_forward_with(kernel, &g, &xf, rows, &wf, &mut y);
        let mut dw = vec![0.0f32; w.len()];
        conv_weight_grad_with(kernel, &g, &xf, rows, &rf, &mut dw);
        let mut dx = vec![f32::NAN; x.len()];
        conv_input_grad_with(kernel, &g, &wf, &rf, rows, &mut dx);
        assert!(
            max_diff(&y, &y_ref) < 1e-4,
            "{kernel:?} {g:?}: forward {}",
            max_diff(&y, &y_ref)
        );
        assert!(
            max_diff(&dx, &dx_ref) < 1e-4,
            "{kernel:?} {g:?}: dx {}",
            max_diff(&dx, &dx_ref)
        );
        assert!(
            max_diff(&dw, &dw_ref) < dw_tol,
            "{kernel:?} {g:?}: dW {}",
            max_diff(&dw, &dw_ref)
        );
    }
    // conv_backward (the best kernel) gives the same dW with and without dx.
    let (mut dw, mut dw2, mut dx) = (
        vec![0.0f32; w.len()],
        vec![0.0f32; w.len()],
        vec![0.0f32; x.len()],
    );
    conv_backward(&g, &xf, rows, &wf, &rf, &mut dw, Some(&mut dx));
    conv_backward(&g, &xf, rows, &wf, &rf, &mut dw2, None);
    assert_eq!(dw, dw2);
    assert!(max_diff(&dx, &dx_ref) < 1e-4, "{g:?}: conv_backward dx");
}

#[test]
fn the_direct_kernels_portable_loops_match_the_definition() {
    // The reference loops of the SIMD kernels (used on CPUs without AVX2), image by image.
    let mut rng = Rng::new(9);
    for g in geometries().into_iter().filter(conv_direct::applies) {
        let (x, w) = (
            random(&mut rng, g.in_len()),
            random(&mut rng, g.out_c * g.patch_len()),
        );
        let lay = conv_direct::PaddedLayout::new(&g);
        let mut xp = vec![0.0f32; lay.len(&g)];
        conv_direct::pad_image(&g, &lay, &to_f32(&x), &mut xp);
        let mut y = vec![0.0f32; g.out_len()];
        conv_direct::forward_image_with(
            None,
            &g,
            &lay,
            &xp,
            &conv_direct::pack_weights(&g, &to_f32(&w)),
            &mut y,
        );
        assert!(max_diff(&y, &naive_forward(&g, &x, &w)) < 1e-4, "{g:?}");
    }
}

#[test]
fn gradients_match_finite_differences() {
    // L = sum(r * conv(x, W)) in f64 through the reference; the kernel's dW and dx against
    // central differences of that loss.
    let mut rng = Rng::new(11);
    for g in geometries() {
        let rows = 3;
        let (n_in, n_out) = (g.in_len(), g.out_len());
        let x = random(&mut rng, rows * n_in);
        let w = random(&mut rng, g.out_c * g.patch_len());
        let r = random(&mut rng, rows * n_out);
        let loss = |x: &[f64], w: &[f64]| -> f64 {
            (0..rows)
                .map(|row| {
                    naive_forward(&g, &x[row * n_in..(row + 1) * n_in], w)
                        .iter()
                        .zip(&r[row * n_out..])
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                })
                .sum()
        };
        let mut dw = vec![0.0f32; w.len()];
        let mut dx = vec![0.0f32; x.len()];
        conv_backward(
            &g,
            &to_f32(&x),
            rows,
            &to_f32(&w),
            &to_f32(&r),
            &mut dw,
            Some(&mut dx),
        );
        let h = 1e-5;
        for i in (0..w.len()).step_by(3) {
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[i] += h;
            wm[i] -= h;
            let fd = (loss(&x, &wp) - loss(&x, &wm)) / (2.0 * h);
            assert!(
                (dw[i] as f64 - fd).abs() < 1e-3 * (1.0 + fd.abs()),
                "{g:?}: dW[{i}] {} vs {fd}",
                dw[i]
            );
        }
        for i in (0..x.len()).step_by(5) {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += h;
            xm[i] -= h;
            let fd = (loss(&xp, &w) - loss(&xm, &w)) / (2.0 * h);
            assert!(
                (dx[i] as f64 - fd).abs() < 1e-3 * (1.0 + fd.abs()),
                "{g:?}: dx[{i}] {} vs {fd}",
                dx[i]
            );
        }
    }
}

#[test]
fn col2im_is_the_adjoint_of_im2col() {
    // <im2col(x), c> = <x, col2im(c)> for any x and c: the definition of the adjoint.
    let mut rng = Rng::new(3);
    for g in geometries() {
        let x = random(&mut rng, g.in_len());
        let c = random(&mut rng, g.patch_len() * g.positions());
        let mut cols = vec![0.0f32; c.len()];
        im2col(&g, &to_f32(&x), &mut cols);
        let mut back = vec![0.0f32; x.len()];
        col2im(&g, &to_f32(&c), &mut back);
        let lhs: f64 = cols.iter().zip(&c).map(|(&a, &b)| a as f64 * b).sum();
        let rhs: f64 = back.iter().zip(&x).map(|(&a, &b)| a as f64 * b).sum();
        assert!(
            (lhs - rhs).abs() < 1e-4 * (1.0 + lhs.abs()),
            "{g:?}: {lhs} vs {rhs}"
        );
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    // Stride 2 (im2col) and stride 1 (the direct kernel where the CPU has one).
    for g in [
        geometry(3, [10, 9], 4, [3, 3], [2, 1], [1, 1], [1, 2]),
        geometry(3, [10, 9], 20, [3, 3], [1, 1], [1, 1], [1, 2]),
    ] {
        let mut rng = Rng::new(5);
        let rows = 50;
        let x = to_f32(&random(&mut rng, rows * g.in_len()));
        let w = to_f32(&random(&mut rng, g.out_c * g.patch_len()));
        let dy = to_f32(&random(&mut rng, rows * g.out_len()));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut y = vec![0.0f32; rows * g.out_len()];
                conv_forward(&g, &x, rows, &w, &mut y);
                let mut dw = vec![0.0f32; w.len()];
                let mut dx = vec![0.0f32; x.len()];
                conv_backward(&g, &x, rows, &w, &dy, &mut dw, Some(&mut dx));
                (y, dw, dx)
            })
        };
        assert_eq!(run(1), run(3), "{g:?}");
    }
}

#[test]
fn a_kernel_beyond_the_padded_input_or_a_zero_size_is_refused() {
    let e = |g: ConvGeometry| g.check("model spec: layers[0]").unwrap_err().to_string();
    assert_eq!(
        e(geometry(1, [4, 6], 2, [5, 3], [1, 1], [0, 0], [1, 1])),
        "model spec: layers[0].kernelSize: the kernel spans 5 pixels (kernel 5 x dilation 1) along the height, more than the padded input's 4 (4 + 2 x padding 0)"
    );
    assert!(e(geometry(1, [6, 6], 2, [3, 3], [1, 1], [0, 0], [3, 3])).contains("spans 7 pixels (kernel 3 x dilation 3) along the height, more than the padded input's 6"));
    assert_eq!(
        e(geometry(1, [6, 6], 2, [3, 3], [0, 1], [0, 0], [1, 1])),
        "model spec: layers[0].stride: expected at least 1, got 0"
    );
    assert!(
        geometry(1, [4, 4], 2, [5, 5], [1, 1], [1, 1], [1, 1])
            .check("x")
            .is_ok(),
        "padding makes room"
    );
}

// ---------------------------------------------------------------------------------------
// Pooling

use snu_core::kernels::pooling::{pool_backward, pool_forward, PoolGeometry, PoolKind};

/// Each window reduced straight from the definition; for max, the first maximum's index.
fn naive_pool(g: &PoolGeometry, kind: PoolKind, x: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let [oh, ow] = g.out_hw();
    let (mut y, mut at) = (vec![], vec![]);
    for c in 0..g.channels {
        for i in 0..oh {
            for j in 0..ow {
                let mut window = vec![];
                for u in 0..g.kernel[0] {
                    for v in 0..g.kernel[1] {
                        let idx = (c * g.in_h + i * g.stride[0] + u) * g.in_w + j * g.stride[1] + v;
                        window.push((x[idx], idx));
                    }
                }
                let sum: f64 = window.iter().map(|w| w.0).sum();
                let first_max = window
                    .iter()
                    .fold(window[0], |best, &w| if w.0 > best.0 { w } else { best });
                y.push(match kind {
                    PoolKind::Sum => sum,
                    PoolKind::Avg => sum / window.len() as f64,
                    PoolKind::Max => first_max.0,
                });
                at.push(first_max.1);
            }
        }
    }
    (y, at)
}

#[test]
fn pooling_forward_and_backward_match_the_definition_and_finite_differences() {
    let mut rng = Rng::new(21);
    let pools = [
        PoolGeometry {
            channels: 2,
            in_h: 6,
            in_w: 6,
            kernel: [2, 2],
            stride: [2, 2],
        },
        PoolGeometry {
            channels: 3,
            in_h: 7,
            in_w: 5,
            kernel: [3, 1],
            stride: [2, 1],
        },
        PoolGeometry {
            channels: 1,
            in_h: 5,
            in_w: 8,
            kernel: [3, 2],
            stride: [1, 3],
        },
    ];
    for g in pools {
        g.check("test").unwrap();
        for kind in [PoolKind::Sum, PoolKind::Avg, PoolKind::Max] {
            let rows = 19;
            let (n_in, n_out) = (g.in_len(), g.out_len());
            let x = random(&mut rng, rows * n_in);
            let dy = random(&mut rng, rows * n_out);
            let mut y = vec![0.0f32; rows * n_out];
            let mut argmax = vec![0u32; rows * n_out];
            pool_forward(&g, kind, &to_f32(&x), rows, &mut y, &mut argmax);
            let mut dx = vec![0.0f32; rows * n_in];
            pool_backward(&g, kind, &to_f32(&dy), rows, &argmax, &mut dx);
            for r in 0..rows {
                let xr = &x[r * n_in..(r + 1) * n_in];
                let (y_ref, _) = naive_pool(&g, kind, xr);
                assert!(
                    max_diff(&y[r * n_out..(r + 1) * n_out], &y_ref) < 1e-5,
                    "{g:?} {kind:?}: forward"
                );
                // dL/dx of L = sum(dy * pool(x)) by central differences (the max is
                // differentiable where the maximum is unique, as with random inputs).
                let loss = |x: &[f64]| {
                    naive_pool(&g, kind, x)
                        .0
                        .iter()
                        .zip(&dy[r * n_out..])
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                };
                for i in 0..n_in {
                    let h = 1e-6;
                    let (mut xp, mut xm) = (xr.to_vec(), xr.to_vec());
                    xp[i] += h;
                    xm[i] -= h;
                    let fd = (loss(&xp) - loss(&xm)) / (2.0 * h);
                    let got = dx[r * n_in + i] as f64;
                    assert!(
                        (got - fd).abs() < 1e-4,
                        "{g:?} {kind:?}: dx[{i}] {got} vs {fd}"
                    );
                }
            }
        }
    }
}

#[test]
fn pooling_that_does_not_tile_the_input_is_refused() {
    let g = |h: usize, w: usize, k: [usize; 2], s: [usize; 2]| PoolGeometry {
        channels: 1,
        in_h: h,
        in_w: w,
        kernel: k,
        stride: s,
    };
    assert_eq!(
        g(7, 8, [2, 2], [2, 2]).check("model spec: layers[1]").unwrap_err().to_string(),
        "model spec: layers[1]: windows of 2 every 2 pixels do not tile the input's height of 7 (the last 1 pixels would be dropped); choose a size and stride that divide it"
    );
    assert!(g(4, 4, [5, 1], [1, 1])
        .check("p")
        .unwrap_err()
        .to_string()
        .contains("a window of 5 pixels along the height is larger than the input's 4"));
    assert!(g(4, 4, [2, 2], [0, 2])
        .check("p")
        .unwrap_err()
        .to_string()
        .contains("p.stride: expected at least 1, got 0"));
    assert!(g(28, 28, [2, 2], [2, 2]).check("p").is_ok());
}

// ---------------------------------------------------------------------------------------
// Event-driven convolution of spike inputs

use snu_core::kernels::conv::{
    conv_forward_spikes, conv_weight_grad, conv_weight_grad_spikes, transpose_kernel,
};
use snu_core::kernels::spikes::SpikeMatrix;

#[test]
fn event_driven_forward_and_weight_gradient_equal_the_dense_ones_on_spikes() {
    let mut rng = Rng::new(31);
    for g in geometries() {
        for density in [0.02, 0.3, 1.0] {
            let rows = 23;
            let (n_in, n_out) = (g.in_len(), g.out_len());
            let x: Vec<f32> = (0..rows * n_in)
                .map(|_| (rng.uniform() < density) as u8 as f32)
                .collect();
            let mut bits = SpikeMatrix::default();
            assert!(bits.pack(&x, rows, n_in));
            let w = to_f32(&random(&mut rng, g.out_c * g.patch_len()));
            let dy = to_f32(&random(&mut rng, rows * n_out));
            let (mut dense, mut events) = (vec![0.0f32; rows * n_out], vec![1.0f32; rows * n_out]);
            conv_forward(&g, &x, rows, &w, &mut dense);
            conv_forward_spikes(&g, &bits, &transpose_kernel(&g, &w), &mut events);
            let worst = dense
                .iter()
                .zip(&events)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-4,
                "{g:?} at {density}: forward differs by {worst}"
            );
            let (mut dw_dense, mut dw_events) = (vec![0.5f32; w.len()], vec![0.5f32; w.len()]);
            conv_weight_grad(&g, &x, rows, &dy, &mut dw_dense);
            conv_weight_grad_spikes(&g, &bits, &dy, &mut dw_events);
            let worst = dw_dense
                .iter()
                .zip(&dw_events)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "{g:?} at {density}: dW differs by {worst}");
        }
    }
}
