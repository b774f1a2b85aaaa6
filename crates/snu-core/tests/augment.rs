//! Elastic distortions and shifts against their definitions and closed-form statistics.

use snu_core::augment::{displacement, distort, gaussian_kernel, Distortion};
use snu_core::kernels::rng::Rng;

const NONE: Distortion = Distortion {
    alpha: 0.0,
    sigma: 4.0,
    shift: 0,
};

fn image(seed: u64, len: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| rng.uniform() as f32).collect()
}

#[test]
fn no_distortion_is_the_identity() {
    let x = image(1, 3 * 2 * 28 * 28);
    assert_eq!(distort(&x, 3, [2, 28, 28], NONE, 5).unwrap(), x);
}

#[test]
fn shifts_move_every_channel_by_whole_pixels_and_cover_the_range() {
    let (h, w, count, shift) = (9, 7, 400, 2);
    let x = image(2, count * 2 * h * w);
    let out = distort(&x, count, [2, h, w], Distortion { shift, ..NONE }, 9).unwrap();
    let mut seen = std::collections::HashSet::new();
    for i in 0..count {
        let (src, dst) = (
            &x[i * 2 * h * w..(i + 1) * 2 * h * w],
            &out[i * 2 * h * w..(i + 1) * 2 * h * w],
        );
        // Find the shift that explains the output, and check it explains every pixel of both channels.
        let found = (-2..=2)
            .flat_map(|dy| (-2..=2).map(move |dx| (dy, dx)))
            .find(|&(dy, dx)| {
                (0..2 * h * w).all(|k| {
                    let (c, y, x) = (k / (h * w), (k % (h * w)) / w, k % w);
                    let (sy, sx) = (y as isize - dy, x as isize - dx);
                    let expected = if sy < 0 || sx < 0 || sy >= h as isize || sx >= w as isize {
                        0.0
                    } else {
                        src[c * h * w + sy as usize * w + sx as usize]
                    };
                    dst[k] == expected
                })
            });
        seen.insert(
            found.unwrap_or_else(|| panic!("image {i}: no whole-pixel shift within 2 explains it")),
        );
    }
    assert_eq!(seen.len(), 25, "every shift in [-2, 2]^2 occurs");
}

#[test]
fn the_displacement_field_has_the_closed_form_spread() {
    // u ~ U(-1, 1) has variance 1/3; a normalised kernel k smooths it along both axes, so a pixel
    // far from the border has variance alpha^2 / 3 * (sum k_i^2)^2 and mean 0; u and v are independent.
    let (alpha, sigma, h, w) = (34.0f32, 4.0f32, 40, 40);
    let kernel = gaussian_kernel(sigma);
    assert!((kernel.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    let s2: f64 = kernel.iter().map(|&k| (k as f64).powi(2)).sum();
    let expected = (alpha as f64).powi(2) / 3.0 * s2 * s2;
    let mut rng = Rng::new(3);
    let n = 3000;
    let (mut su, mut suu, mut sv, mut svv, mut suv) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let center = (h / 2) * w + w / 2;
    for _ in 0..n {
        let (u, v) = displacement(&mut rng, h, w, alpha, &kernel);
        let (a, b) = (u[center] as f64, v[center] as f64);
        su += a;
        suu += a * a;
        sv += b;
        svv += b * b;
        suv += a * b;
    }
    let nf = n as f64;
    let (var_u, var_v) = (suu / nf - (su / nf).powi(2), svv / nf - (sv / nf).powi(2));
    // The sample variance of n draws has a relative standard error of about sqrt(2 / n) = 2.6 %.
    for var in [var_u, var_v] {
        assert!(
            (var / expected - 1.0).abs() < 0.1,
            "variance {var} against {expected}"
        );
    }
    let sd = expected.sqrt();
    assert!(
        (su / nf).abs() < 4.0 * sd / nf.sqrt() && (sv / nf).abs() < 4.0 * sd / nf.sqrt(),
        "means {} {}",
        su / nf,
        sv / nf
    );
    let corr = (suv / nf) / (var_u * var_v).sqrt();
    assert!(corr.abs() < 0.1, "u and v correlate: {corr}");
}

#[test]
fn elastic_outputs_are_convex_combinations_and_a_flat_interior_stays_flat() {
    let (h, w) = (28, 28);
    let d = Distortion {
        alpha: 8.0,
        sigma: 4.0,
        shift: 0,
    };
    let x = image(4, 5 * h * w);
    let out = distort(&x, 5, [1, h, w], d, 11).unwrap();
    assert!(
        out.iter().all(|&v| (0.0..=1.0).contains(&v)),
        "bilinear values stay within the image's range and 0"
    );
    assert_ne!(out, x);
    // A constant image: every pixel whose source point lies inside keeps the constant.
    let flat = vec![0.5f32; h * w];
    let out = distort(&flat, 1, [1, h, w], d, 11).unwrap();
    let inside = out.iter().filter(|&&v| (v - 0.5).abs() < 1e-6).count();
    assert!(
        inside > h * w / 2,
        "{inside} of {} pixels kept the constant",
        h * w
    );
    assert!(out.iter().all(|&v| v <= 0.5 + 1e-6));
}

#[test]
fn the_same_seed_gives_the_same_distortion_and_each_image_its_own() {
    let d = Distortion {
        alpha: 34.0,
        sigma: 4.0,
        shift: 2,
    };
    let x = image(5, 28 * 28);
    let two = [x.clone(), x.clone()].concat();
    let a = distort(&two, 2, [1, 28, 28], d, 7).unwrap();
    let b = distort(&two, 2, [1, 28, 28], d, 7).unwrap();
    assert_eq!(a, b);
    assert_ne!(
        &a[..784],
        &a[784..],
        "two copies of one image get different distortions"
    );
    assert_ne!(a, distort(&two, 2, [1, 28, 28], d, 8).unwrap());
    // Image i's distortion does not depend on the other images of the call.
    let first_alone = distort(&x, 1, [1, 28, 28], d, 7).unwrap();
    assert_eq!(&a[..784], &first_alone[..]);
}

#[test]
fn bad_arguments_are_refused() {
    let x = image(6, 28 * 28);
    let e = |d: Distortion| distort(&x, 1, [1, 28, 28], d, 0).unwrap_err().to_string();
    assert_eq!(
        e(Distortion {
            alpha: f32::NAN,
            ..NONE
        }),
        "alpha: expected a number in [0, 1000] (pixels), got NaN"
    );
    assert_eq!(
        e(Distortion {
            alpha: 5.0,
            sigma: 0.0,
            shift: 0
        }),
        "sigma: expected a number in (0, 1000] (pixels), got 0"
    );
    assert_eq!(
        distort(&x, 2, [1, 28, 28], NONE, 0)
            .unwrap_err()
            .to_string(),
        "images: expected 2 images of [1, 28, 28] = 1568 values, got 784"
    );
}
