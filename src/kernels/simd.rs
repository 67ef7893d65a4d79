//! Four `f32` lanes: WebAssembly SIMD128 when the build has `+simd128` (the browser package),
//! with relaxed SIMD's fused multiply-add when it also has `+relaxed-simd` (the package's
//! `kindling_relaxed_bg.wasm`, for engines that validate it), a plain array elsewhere (native
//! builds, where LLVM turns it into the host's vector code).
//! The kernels are written once against this type, so native tests check the code that runs
//! in the browser.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{
        f32x4_add, f32x4_max, f32x4_pmax, f32x4_pmin, f32x4_splat, v128, v128_load, v128_store,
    };

    /// Four `f32` lanes in one SIMD128 register.
    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    impl F32x4 {
        /// All lanes `x`.
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            Self(f32x4_splat(x))
        }

        /// Four values from `src[0..4]` (no alignment needed).
        #[inline(always)]
        pub fn load(src: &[f32]) -> Self {
            assert!(src.len() >= 4);
            // SAFETY: four readable values checked above; wasm loads need no alignment.
            Self(unsafe { v128_load(src.as_ptr() as *const v128) })
        }

        /// Four values at `src`.
        ///
        /// # Safety
        /// `src..src + 4` must be readable.
        #[inline(always)]
        pub unsafe fn read(src: *const f32) -> Self {
            // SAFETY: the caller guarantees four readable values; no alignment needed.
            Self(unsafe { v128_load(src as *const v128) })
        }

        /// Writes the lanes to `dst[0..4]`.
        #[inline(always)]
        pub fn store(self, dst: &mut [f32]) {
            assert!(dst.len() >= 4);
            // SAFETY: four writable values checked above; wasm stores need no alignment.
            unsafe { v128_store(dst.as_mut_ptr() as *mut v128, self.0) }
        }

        /// `self + a · b`, lane by lane: a multiply and an add (SIMD128 has no fused form).
        #[cfg(not(target_feature = "relaxed-simd"))]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            Self(f32x4_add(self.0, core::arch::wasm32::f32x4_mul(a.0, b.0)))
        }

        /// `self + a · b`, lane by lane: relaxed SIMD's `f32x4.relaxed_madd`, one fused
        /// multiply-add where the CPU has one (rounded once or twice, as the engine chooses).
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            Self(core::arch::wasm32::f32x4_relaxed_madd(a.0, b.0, self.0))
        }

        /// `self + other`, lane by lane.
        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            Self(f32x4_add(self.0, other.0))
        }

        /// Each lane at least `lo`; a NaN lane stays NaN.
        #[inline(always)]
        pub fn max(self, lo: Self) -> Self {
            Self(f32x4_pmax(self.0, lo.0))
        }

        /// The larger of each pair of lanes; NaN when either is NaN (`f32x4.max`), as burn's
        /// max pooling lets a NaN win.
        #[inline(always)]
        pub fn max_or_nan(self, other: Self) -> Self {
            Self(f32x4_max(self.0, other.0))
        }

        /// Each lane limited to `[lo, hi]`; a NaN lane stays NaN (pseudo-min/max keep the
        /// first operand unless the comparison holds).
        #[inline(always)]
        pub fn clamp(self, lo: Self, hi: Self) -> Self {
            Self(f32x4_pmin(f32x4_pmax(self.0, lo.0), hi.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    /// Four `f32` lanes as an array (LLVM vectorizes the lane loops natively).
    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    impl F32x4 {
        /// All lanes `x`.
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            Self([x; 4])
        }

        /// Four values from `src[0..4]`.
        #[inline(always)]
        pub fn load(src: &[f32]) -> Self {
            Self([src[0], src[1], src[2], src[3]])
        }

        /// Four values at `src`.
        ///
        /// # Safety
        /// `src..src + 4` must be readable.
        #[inline(always)]
        pub unsafe fn read(src: *const f32) -> Self {
            // SAFETY: the caller guarantees four readable values.
            Self(unsafe { std::ptr::read_unaligned(src as *const [f32; 4]) })
        }

        /// Writes the lanes to `dst[0..4]`.
        #[inline(always)]
        pub fn store(self, dst: &mut [f32]) {
            dst[..4].copy_from_slice(&self.0);
        }

        /// `self + a · b`, lane by lane (not fused, as on SIMD128).
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            Self(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
        }

        /// `self + other`, lane by lane.
        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            Self(std::array::from_fn(|i| self.0[i] + other.0[i]))
        }

        /// Each lane at least `lo`; a NaN lane stays NaN.
        #[inline(always)]
        pub fn max(self, lo: Self) -> Self {
            Self(std::array::from_fn(|i| {
                if self.0[i] < lo.0[i] {
                    lo.0[i]
                } else {
                    self.0[i]
                }
            }))
        }

        /// The larger of each pair of lanes; NaN when either is NaN.
        #[inline(always)]
        pub fn max_or_nan(self, other: Self) -> Self {
            Self(std::array::from_fn(|i| {
                let (a, b) = (self.0[i], other.0[i]);
                if a.is_nan() || b.is_nan() {
                    f32::NAN
                } else if b > a {
                    b
                } else {
                    a
                }
            }))
        }

        /// Each lane limited to `[lo, hi]`; a NaN lane stays NaN.
        #[inline(always)]
        pub fn clamp(self, lo: Self, hi: Self) -> Self {
            Self(std::array::from_fn(|i| {
                let x = self.0[i];
                let x = if x < lo.0[i] { lo.0[i] } else { x };
                if hi.0[i] < x { hi.0[i] } else { x }
            }))
        }
    }
}

pub use lanes::F32x4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_add_multiply_and_clamp_like_scalar_code() {
        let a = F32x4::load(&[1.0, -2.0, 7.5, f32::NAN]);
        let b = F32x4::splat(2.0);
        let mut out = [0.0f32; 4];
        F32x4::splat(1.0).mul_add(a, b).store(&mut out);
        assert_eq!(&out[..3], &[3.0, -3.0, 16.0]);
        assert!(out[3].is_nan());
        a.clamp(F32x4::splat(0.0), F32x4::splat(6.0))
            .store(&mut out);
        assert_eq!(&out[..3], &[1.0, 0.0, 6.0]);
        assert!(out[3].is_nan(), "relu6 keeps NaN, as burn's clamp does");
        F32x4::load(&[1.0, f32::NAN, -3.0, 2.0])
            .max_or_nan(F32x4::load(&[0.5, 1.0, -2.0, f32::NAN]))
            .store(&mut out);
        assert_eq!(&out[..1], &[1.0]);
        assert_eq!(out[2], -2.0);
        assert!(
            out[1].is_nan() && out[3].is_nan(),
            "NaN wins on either side"
        );
    }
}
