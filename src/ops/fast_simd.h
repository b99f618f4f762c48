/* Branch-free float32 math for the fast elementwise loops: every function is
 * inlined into a loop body and written with selects only (no calls, no
 * branches), so GCC vectorizes the loop. Accuracy: exp within about 2 ulp over
 * its whole range (Cephes expf polynomial); the others within a few ulp.
 * Included by fast_elementwise.c only. */
#ifndef CG_OPS_FAST_SIMD_H
#define CG_OPS_FAST_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Builds each hot loop for AVX-512, AVX2 and the baseline, picked at load time
 * (GCC function multiversioning through a glibc ifunc); the build itself stays
 * baseline x86-64. Elsewhere, one plain version. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(CG_NO_CLONES)
#define CG_FAST_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CG_FAST_CLONES
#endif

#define CG_INLINE static inline __attribute__((always_inline))

/* 2^k for -126 <= k <= 127, through the exponent bits. */
CG_INLINE float pow2i_f32(int32_t k)
{
    int32_t bits = (k + 127) * (1 << 23);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* e^x. The input is clamped to [-104, 89] (e^-104 already rounds to 0, e^89
 * overflows), so the integer part never leaves range; 2^k is applied in two
 * halves, so results that overflow become inf and the tiny ones subnormal or
 * 0 by IEEE rounding. NaN in, NaN out. */
CG_INLINE float cg_exp_f32(float x)
{
    const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float cx = x > 89.0f ? 89.0f : x;
    cx = cx < -104.0f ? -104.0f : cx;
    cx = x != x ? 0.0f : cx; /* NaN would make (int32_t)kf undefined; it is put back below */
    float kf = (cx * 1.44269504088896341f + round_magic) - round_magic;
    /* x - k*ln2 in two steps: 0.693359375 has 9 bits, so k*hi is exact */
    float r = cx - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t k = (int32_t)kf, k1 = k / 2;
    float y = p * pow2i_f32(k1) * pow2i_f32(k - k1);
    return x != x ? x : y;
}

/* e^x - 1 without cancellation near 0: a Taylor polynomial for |x| < 0.5
 * (truncation below 1e-9 relative), e^x - 1 outside (which then loses at most
 * a bit and a half). */
CG_INLINE float cg_expm1_f32(float x)
{
    float t = 1.0f / 362880;
    t = t * x + 1.0f / 40320;
    t = t * x + 1.0f / 5040;
    t = t * x + 1.0f / 720;
    t = t * x + 1.0f / 120;
    t = t * x + 1.0f / 24;
    t = t * x + 1.0f / 6;
    t = t * x + 0.5f;
    t = (t * x) * x + x;
    float e = cg_exp_f32(x) - 1.0f;
    return fabsf(x) < 0.5f ? t : e;
}

/* 1 / (1 + e^-x) from e = e^-|x| <= 1, which never overflows: 1/(1+e) for
 * x >= 0, e/(1+e) below. */
CG_INLINE float cg_sigmoid_f32(float x)
{
    float e = cg_exp_f32(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return x >= 0 ? s : e * s;
}

/* tanh|x| = -u / (2 + u) with u = e^(-2|x|) - 1 in (-1, 0]: no overflow and no
 * cancellation near 0. Past |x| = 10 the result is 1 in float. */
CG_INLINE float cg_tanh_f32(float x)
{
    float a = fabsf(x);
    a = a > 10.0f ? 10.0f : a;
    float u = cg_expm1_f32(-2.0f * a);
    return copysignf(-u / (2.0f + u), x);
}

#endif
