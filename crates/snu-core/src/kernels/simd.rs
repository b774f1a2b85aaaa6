//! The instruction sets of the element-wise kernels, named once. A portable x86-64 build may use
//! only SSE2, so without this the loops of the optimizers, the SNU step and the losses would run at
//! a quarter of the width AVX2 gives; `multiversion` compiles a copy per target and picks the best
//! one the CPU has at run time.

/// Wraps one function (doc comments and other attributes included) in
/// `#[multiversion(targets(...))]` with the crate's list: AVX-512, AVX2 + FMA and SSE4.1 on
/// x86-64, NEON on aarch64, and the portable build everywhere else.
macro_rules! simd_kernel {
    ($($item:tt)*) => {
        #[multiversion::multiversion(targets(
            "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl",
            "x86_64+avx2+fma",
            "x86_64+sse4.1",
            "aarch64+neon"
        ))]
        $($item)*
    };
}
pub(crate) use simd_kernel;
