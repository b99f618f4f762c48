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
        switch (t->dtype) {
        case CG_FLOAT: ((float *)t->data)[i] = (float)u; break;
        case CG_DOUBLE: ((double *)t->data)[i] = u; break;
        case CG_FLOAT16: ((uint16_t *)t->data)[i] = cg_float_to_half((float)u); break;
        case CG_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)(k & 1); break;
        case CG_INT8: ((int8_t *)t->data)[i] = (int8_t)k; break;
        case CG_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)k; break;
        case CG_INT16: ((int16_t *)t->data)[i] = (int16_t)k; break;
        case CG_UINT16: ((uint16_t *)t->data)[i] = (uint16_t)k; break;
        case CG_INT32: ((int32_t *)t->data)[i] = (int32_t)k; break;
        case CG_UINT32: ((uint32_t *)t->data)[i] = (uint32_t)k; break;
        case CG_INT64: ((int64_t *)t->data)[i] = k; break;
        case CG_UINT64: ((uint64_t *)t->data)[i] = (uint64_t)k; break;
        default: return false;
        }
    }
    return true;
}
