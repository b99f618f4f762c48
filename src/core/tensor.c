#include "convgraph/tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Element count and byte size of a dtype/dims pair, with every check a tensor
 * needs (dtype, rank, negative dims, overflow, CG_TENSOR_MAX_BYTES). */
static cg_code tensor_size(cg_dtype dtype, int rank, const int64_t *dims, int64_t *numel_out,
                           int64_t *nbytes_out, cg_status *st)
{
    size_t esize = cg_dtype_size(dtype);
    if (esize == 0)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "tensors of type %s are not supported", cg_dtype_name(dtype));
    if (rank < 0 || rank > CG_MAX_RANK)
        return cg_fail(st, CG_ERR_UNSUPPORTED, "tensor rank %d is outside 0..%d", rank, CG_MAX_RANK);
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return cg_fail(st, CG_ERR_FORMAT, "tensor dim %d is negative (%lld)", i, (long long)dims[i]);
        if (cg_mul_overflows(numel, dims[i], &numel))
            return cg_fail(st, CG_ERR_FORMAT, "tensor element count overflows 64 bits");
    }
    int64_t nbytes;
    if (cg_mul_overflows(numel, (int64_t)esize, &nbytes) || nbytes > CG_TENSOR_MAX_BYTES)
        return cg_fail(st, CG_ERR_NOMEM, "tensor of %lld elements of %s is too large", (long long)numel,
                       cg_dtype_name(dtype));
    *numel_out = numel;
    *nbytes_out = nbytes;
    return CG_OK;
}

static void tensor_set_shape(cg_tensor *t, cg_dtype dtype, int rank, const int64_t *dims, int64_t numel,
                             int64_t nbytes)
{
    t->dtype = dtype;
    t->rank = rank;
    if (rank > 0)
        memcpy(t->dims, dims, (size_t)rank * sizeof dims[0]);
    t->numel = numel;
    t->nbytes = (size_t)nbytes;
}

cg_tensor *cg_tensor_new(cg_dtype dtype, int rank, const int64_t *dims, cg_status *st)
{
    int64_t numel, nbytes;
    if (tensor_size(dtype, rank, dims, &numel, &nbytes, st) != CG_OK)
        return NULL;
    cg_tensor *t = calloc(1, sizeof *t);
    if (t && nbytes > 0 && !(t->data = calloc(1, (size_t)nbytes))) {
        free(t);
        t = NULL;
    }
    if (!t) {
        cg_fail(st, CG_ERR_NOMEM, "out of memory allocating %lld bytes", (long long)nbytes);
        return NULL;
    }
    tensor_set_shape(t, dtype, rank, dims, numel, nbytes);
    return t;
}

cg_code cg_tensor_view_init(cg_tensor *t, cg_dtype dtype, int rank, const int64_t *dims, void *data,
                            cg_status *st)
{
    int64_t numel, nbytes;
    cg_code rc = tensor_size(dtype, rank, dims, &numel, &nbytes, st);
    if (rc != CG_OK)
        return rc;
    if (!data && nbytes > 0)
        return cg_fail(st, CG_ERR_INVALID, "a view of %lld bytes needs data", (long long)nbytes);
    memset(t, 0, sizeof *t);
    tensor_set_shape(t, dtype, rank, dims, numel, nbytes);
    t->data = nbytes > 0 ? data : NULL;
    t->borrowed = true;
    return CG_OK;
}

cg_code cg_tensor_unloaded_init(cg_tensor *t, cg_dtype dtype, int rank, const int64_t *dims, cg_status *st)
{
    int64_t numel, nbytes;
    cg_code rc = tensor_size(dtype, rank, dims, &numel, &nbytes, st);
    if (rc != CG_OK)
        return rc;
    memset(t, 0, sizeof *t);
    tensor_set_shape(t, dtype, rank, dims, numel, nbytes);
    t->borrowed = true;
    return CG_OK;
}

bool cg_tensor_same_shape(const cg_tensor *a, const cg_tensor *b)
{
    return a->dtype == b->dtype && a->rank == b->rank &&
           memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]) == 0;
}

void cg_tensor_free(cg_tensor *t)
{
    if (t) {
        if (!t->borrowed)
            free(t->data);
        free(t);
    }
}

cg_tensor *cg_tensor_clone(const cg_tensor *t, cg_status *st)
{
    cg_tensor *c = cg_tensor_new(t->dtype, t->rank, t->dims, st);
    if (c && t->nbytes)
        memcpy(c->data, t->data, t->nbytes);
    return c;
}

cg_shape cg_tensor_shape(const cg_tensor *t) { return cg_shape_of(t->rank, t->dims); }

/* One switch for every numeric dtype; both getters go through it. */
#define CG_TENSOR_ELEMENT(t, i, conv)                                       \
    switch ((t)->dtype) {                                                   \
    case CG_FLOAT: return conv(((const float *)(t)->data)[i]);              \
    case CG_DOUBLE: return conv(((const double *)(t)->data)[i]);            \
    case CG_FLOAT16: return conv(cg_half_to_float(((const uint16_t *)(t)->data)[i])); \
    case CG_INT8: return conv(((const int8_t *)(t)->data)[i]);              \
    case CG_UINT8: return conv(((const uint8_t *)(t)->data)[i]);            \
    case CG_BOOL: return conv(((const uint8_t *)(t)->data)[i] != 0);        \
    case CG_INT16: return conv(((const int16_t *)(t)->data)[i]);            \
    case CG_UINT16: return conv(((const uint16_t *)(t)->data)[i]);          \
    case CG_INT32: return conv(((const int32_t *)(t)->data)[i]);            \
    case CG_UINT32: return conv(((const uint32_t *)(t)->data)[i]);          \
    case CG_INT64: return conv(((const int64_t *)(t)->data)[i]);            \
    case CG_UINT64: return conv(((const uint64_t *)(t)->data)[i]);          \
    default: return 0;                                                      \
    }

static int64_t to_i64(double v)
{
    if (isnan(v))
        return 0;
    if (v >= 9.2233720368547758e18)
        return INT64_MAX;
    if (v <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)v;
}
#define AS_I64(x) to_i64((double)(x))
#define AS_F64(x) ((double)(x))

int64_t cg_tensor_get_i64(const cg_tensor *t, int64_t i)
{
    if (!t->data || i < 0 || i >= t->numel)
        return 0;
    if (t->dtype == CG_INT64)
        return ((const int64_t *)t->data)[i];
    CG_TENSOR_ELEMENT(t, i, AS_I64)
}

double cg_tensor_get_f64(const cg_tensor *t, int64_t i)
{
    if (!t->data || i < 0 || i >= t->numel)
        return 0;
    CG_TENSOR_ELEMENT(t, i, AS_F64)
}

/* IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. */
float cg_half_to_float(uint16_t h)
{
    int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24); /* subnormal */
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400), exp - 25);
    return sign ? -v : v;
}

uint16_t cg_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    if (isnan(f))
        return sign | 0x7e00;
    float a = fabsf(f);
    if (a >= 65520.0f)
        return sign | 0x7c00; /* rounds to infinity */
    if (a < ldexpf(1.0f, -14)) /* subnormal half: units of 2^-24, round to nearest even */
        return sign | (uint16_t)lrintf(ldexpf(a, 24));
    int e;
    float m = frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    long mant = lrintf(ldexpf(m, 11)); /* 11 significant bits incl. the implicit one */
    if (mant == 2048) {
        mant = 1024;
        e++;
    }
    return sign | (uint16_t)(((e + 14) << 10) | (mant - 1024));
}

/* Stores v into element k of an integer tensor, wrapping like a C cast to the
 * unsigned type of the same width (two's complement, as numpy's astype). */
void cg_tensor_set_i64(cg_tensor *t, int64_t k, int64_t v)
{
    if (cg_dtype_is_float(t->dtype)) {
        cg_tensor_set_f64(t, k, (double)v);
        return;
    }
    switch (t->dtype) {
    case CG_INT8: case CG_UINT8: case CG_BOOL: {
        uint8_t u = t->dtype == CG_BOOL ? (v != 0) : (uint8_t)v;
        memcpy((uint8_t *)t->data + k, &u, 1);
        break;
    }
    case CG_INT16: case CG_UINT16: {
        uint16_t u = (uint16_t)v;
        memcpy((uint8_t *)t->data + 2 * k, &u, 2);
        break;
    }
    case CG_INT32: case CG_UINT32: {
        uint32_t u = (uint32_t)v;
        memcpy((uint8_t *)t->data + 4 * k, &u, 4);
        break;
    }
    default: {
        uint64_t u = (uint64_t)v;
        memcpy((uint8_t *)t->data + 8 * k, &u, 8);
        break;
    }
    }
}

static uint16_t float_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

void cg_tensor_set_f64(cg_tensor *t, int64_t k, double v)
{
    uint8_t *p = (uint8_t *)t->data;
    switch (t->dtype) {
    case CG_FLOAT: { float f = (float)v; memcpy(p + 4 * k, &f, 4); break; }
    case CG_DOUBLE: memcpy(p + 8 * k, &v, 8); break;
    case CG_FLOAT16: { uint16_t h = cg_float_to_half((float)v); memcpy(p + 2 * k, &h, 2); break; }
    case CG_BFLOAT16: { uint16_t h = float_to_bf16((float)v); memcpy(p + 2 * k, &h, 2); break; }
    case CG_BOOL: p[k] = v != 0; break;
    case CG_UINT64: /* the upper half of uint64 is out of int64's reach */
        if (v >= 9.2233720368547758e18 && v < 1.8446744073709552e19) {
            uint64_t u = (uint64_t)v;
            memcpy(p + 8 * k, &u, 8);
            break;
        }
        /* fall through */
    default: /* integers: callers keep v in range; NaN and overflow clamp, never UB */
        cg_tensor_set_i64(t, k, v != v ? 0 : v >= 9.2233720368547758e18 ? INT64_MAX
                                   : v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v);
        break;
    }
}
