/* Seeded pseudo-random data: SplitMix64 (Steele, Lea, Flood: "Fast splittable
 * pseudorandom number generators", 2014), tiny and fully specified, so any
 * language reproduces the same numbers. */
#include "convgraph/tensor.h"

uint64_t cg_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

bool cg_tensor_fill_random(cg_tensor *t, uint64_t seed)
{
    uint64_t s = seed;
    for (int64_t i = 0; i < t->numel; i++) {
        /* the top 53 bits as a fraction of 2^53, scaled to [-1, 1) */
        double u = (double)(cg_splitmix64(&s) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
        int64_t k = (int64_t)(cg_splitmix64(&s) % 10);
        if (cg_dtype_is_float(t->dtype) && t->dtype != CG_BFLOAT16)
            cg_tensor_set_f64(t, i, u);
        else if (cg_dtype_is_int(t->dtype) || t->dtype == CG_BOOL)
            cg_tensor_set_i64(t, i, t->dtype == CG_BOOL ? (k & 1) : k);
        else
            return false;
    }
    return true;
}
