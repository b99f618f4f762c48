/* Operator family 'activation': ops whose output has the input's shape and type
 * (the activations plus the pointwise math ops Exp, Log, Neg, Abs, Reciprocal).
 * One shape function checks the type and copies the shape; Clip and Softmax add
 * their own attribute/input checks in front of it. One table of pointwise
 * functions drives one kernel loop per dtype. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/elem_convert.h"
#include "ops/families.h"
#include "ops/fast_elementwise.h"

typedef enum dtype_class {
    DTYPES_FLOAT,             /* float16, float, double, bfloat16 */
    DTYPES_FLOAT_AND_SIGNED,  /* ... plus int8, int16, int32, int64 */
    DTYPES_NUMERIC,           /* ... plus every integer type */
} dtype_class;

/* Ops whose type constraint is wider than float types, from the opset that widened it
 * (ONNX operator docs: Relu-14, Clip-12, Erf-9). */
static const struct {
    const char *op_type;
    int since;
    dtype_class accepts;
} WIDER_TYPES[] = {
    {"Relu", 14, DTYPES_FLOAT_AND_SIGNED},
    {"Clip", 12, DTYPES_NUMERIC},
    {"Erf", 9, DTYPES_NUMERIC},
    {"Neg", 6, DTYPES_FLOAT_AND_SIGNED},
    {"Abs", 6, DTYPES_NUMERIC},
};

static dtype_class accepted_types(const cg_infer_ctx *c)
{
    for (size_t i = 0; i < sizeof WIDER_TYPES / sizeof WIDER_TYPES[0]; i++)
        if (strcmp(WIDER_TYPES[i].op_type, c->node->op_type) == 0 && c->opset >= WIDER_TYPES[i].since)
            return WIDER_TYPES[i].accepts;
    return DTYPES_FLOAT;
}

static bool dtype_in_class(cg_dtype t, dtype_class cls)
{
    bool is_signed = t == CG_INT8 || t == CG_INT16 || t == CG_INT32 || t == CG_INT64;
    switch (cls) {
    case DTYPES_FLOAT_AND_SIGNED: return cg_dtype_is_float(t) || is_signed;
    case DTYPES_NUMERIC: return cg_dtype_is_float(t) || cg_dtype_is_int(t);
    default: return cg_dtype_is_float(t);
    }
}

/* The shared shape function: Y has X's shape and type. */
static cg_code infer_unary(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *x = cg_ctx_in(c, 0);
    dtype_class cls = accepted_types(c);
    static const char *const class_names[] = {"float", "float or signed integer", "numeric"};
    if (x->dtype != CG_UNDEFINED && !dtype_in_class(x->dtype, cls))
        return cg_ctx_fail(c, "input '%s' has type %s; opset %lld accepts %s types", x->name,
                           cg_dtype_name(x->dtype), (long long)c->opset, class_names[cls]);
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}

/* Clip-11+ bounds are optional inputs: scalars ("tensor of empty shape") of X's type. */
static cg_code check_clip_bound(cg_infer_ctx *c, int i, const char *what)
{
    const cg_value *x = cg_ctx_in(c, 0), *b = cg_ctx_in(c, i);
    if (!b)
        return CG_OK;
    if (b->shape.rank > 0) {
        char s[128];
        cg_shape_format(&b->shape, s, sizeof s);
        return cg_ctx_fail(c, "%s '%s' must be a scalar, got shape %s", what, b->name, s);
    }
    if (x->dtype != CG_UNDEFINED && b->dtype != CG_UNDEFINED && b->dtype != x->dtype)
        return cg_ctx_fail(c, "%s '%s' (%s) must have the input's type %s", what, b->name,
                           cg_dtype_name(b->dtype), cg_dtype_name(x->dtype));
    return CG_OK;
}

/* Clip-1/6 take min/max as attributes, Clip-11+ as optional inputs (ONNX Clip docs). */
static cg_code infer_clip(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    if (c->opset < 11 && c->node->n_inputs > 1)
        return cg_ctx_fail(c, "takes min/max as attributes before opset 11, got %d inputs", c->node->n_inputs);
    if (c->opset >= 11 && c->node->n_inputs > 3)
        return cg_ctx_fail(c, "takes at most 3 inputs (input, min, max), got %d", c->node->n_inputs);
    rc = check_clip_bound(c, 1, "min");
    if (rc == CG_OK)
        rc = check_clip_bound(c, 2, "max");
    return rc == CG_OK ? infer_unary(c) : rc;
}

/* Softmax/LogSoftmax axis: default 1 before opset 13, -1 from 13; range [-r, r-1]
 * (ONNX Softmax-11/13 docs). */
static cg_code infer_softmax(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    int rank = cg_ctx_in(c, 0)->shape.rank, axis;
    if (rank >= 0) {
        rc = cg_ctx_axis(c, cg_attr_int(c->node, "axis", c->opset >= 13 ? -1 : 1), rank, &axis);
        if (rc != CG_OK)
            return rc;
    }
    return infer_unary(c);
}


/* ---- kernels ---- */

/* Attributes of the pointwise functions, read once per run. */
typedef struct unary_params {
    double alpha, beta, gamma;
} unary_params;

typedef double (*unary_fn)(double x, const unary_params *p);

/* Formulas from the ONNX operator docs; computed in double, rounded once. */
/* NaN passes through (max(x, 0) in onnxruntime keeps it); negatives give +0. */
static double f_relu(double x, const unary_params *p) { (void)p; return x > 0 || isnan(x) ? x : 0; }
static double f_leaky_relu(double x, const unary_params *p) { return x >= 0 ? x : p->alpha * x; }
static double f_elu(double x, const unary_params *p) { return x >= 0 ? x : p->alpha * expm1(x); }
static double f_selu(double x, const unary_params *p)
{
    return x > 0 ? p->gamma * x : p->gamma * p->alpha * expm1(x);
}
static double f_sigmoid(double x, const unary_params *p) { (void)p; return 1 / (1 + exp(-x)); }
static double f_hard_sigmoid(double x, const unary_params *p) { return fmax(0, fmin(1, p->alpha * x + p->beta)); }
/* HardSwish-14: x * max(0, min(1, x/6 + 1/2)), i.e. HardSigmoid with alpha 1/6. */
static double f_hard_swish(double x, const unary_params *p) { (void)p; return x * fmax(0, fmin(1, x / 6 + 0.5)); }
static double f_tanh(double x, const unary_params *p) { (void)p; return tanh(x); }
static double f_sqrt(double x, const unary_params *p) { (void)p; return sqrt(x); }
static double f_erf(double x, const unary_params *p) { (void)p; return erf(x); }

static double f_exp(double x, const unary_params *p) { (void)p; return exp(x); }
static double f_log(double x, const unary_params *p) { (void)p; return log(x); }
static double f_neg(double x, const unary_params *p) { (void)p; return -x; }
static double f_abs(double x, const unary_params *p) { (void)p; return fabs(x); }
static double f_reciprocal(double x, const unary_params *p) { (void)p; return 1 / x; }

/* Signed-integer variants (Relu-14, Neg-6, Abs-6), computed in int64 and narrowed
 * back; negating the most negative value wraps to itself, as on the hardware. */
typedef int64_t (*int_unary_fn)(int64_t x);
static int64_t i_relu(int64_t x) { return x > 0 ? x : 0; }
static int64_t i_neg(int64_t x) { return (int64_t)(0 - (uint64_t)x); }
static int64_t i_abs(int64_t x) { return x < 0 ? i_neg(x) : x; }

static const struct {
    const char *op_type;
    unary_fn fn;
    int_unary_fn int_fn;      /* NULL: float types only */
    float alpha, beta, gamma; /* attribute defaults */
} UNARY_OPS[] = {
    {"Relu", f_relu, i_relu, 0, 0, 0},
    {"LeakyRelu", f_leaky_relu, NULL, 0.01f, 0, 0},
    {"Elu", f_elu, NULL, 1.0f, 0, 0},
    /* Selu-6 defaults, the float32 values of the constants in the Selu paper. */
    {"Selu", f_selu, NULL, 1.67326319217681884765625f, 0, 1.05070102214813232421875f},
    {"Sigmoid", f_sigmoid, NULL, 0, 0, 0},
    {"HardSigmoid", f_hard_sigmoid, NULL, 0.2f, 0.5f, 0},
    {"HardSwish", f_hard_swish, NULL, 0, 0, 0},
    {"Tanh", f_tanh, NULL, 0, 0, 0},
    {"Sqrt", f_sqrt, NULL, 0, 0, 0},
    {"Erf", f_erf, NULL, 0, 0, 0},
    {"Exp", f_exp, NULL, 0, 0, 0},
    {"Log", f_log, NULL, 0, 0, 0},
    {"Neg", f_neg, i_neg, 0, 0, 0},
    {"Abs", f_abs, i_abs, 0, 0, 0},
    {"Reciprocal", f_reciprocal, NULL, 0, 0, 0},
};

/* float16 elements are IEEE half bits: widened to float, rounded back on store. */

#define DEFINE_UNARY_LOOP(name, T, load, store)                                               \
    static void name(unary_fn fn, const unary_params *p, cg_tensor *out, const cg_tensor *in) \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data;                                                                \
        for (int64_t e = 0; e < out->numel; e++)                                              \
            o[e] = store(T, fn(load(x[e]), p));                                               \
    }
DEFINE_UNARY_LOOP(unary_f32, float, AS_IS, CAST_TO)
DEFINE_UNARY_LOOP(unary_f64, double, AS_IS, CAST_TO)
DEFINE_UNARY_LOOP(unary_f16, uint16_t, cg_half_to_float, HALF_TO)

#define DEFINE_INT_UNARY_LOOP(name, T)                                                        \
    static void name(int_unary_fn fn, cg_tensor *out, const cg_tensor *in)                    \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data;                                                                \
        for (int64_t e = 0; e < out->numel; e++)                                              \
            o[e] = (T)fn(x[e]);                                                               \
    }
DEFINE_INT_UNARY_LOOP(int_unary_i8, int8_t)
DEFINE_INT_UNARY_LOOP(int_unary_i16, int16_t)
DEFINE_INT_UNARY_LOOP(int_unary_i32, int32_t)
DEFINE_INT_UNARY_LOOP(int_unary_i64, int64_t)

static cg_code check_same_shape(cg_run_ctx *c, const cg_tensor *x, const cg_tensor *y)
{
    if (!x || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "missing input or output");
    if (x->dtype != y->dtype || x->numel != y->numel)
        return cg_run_fail(c, CG_ERR_INVALID, "output does not match the input's type and size");
    return CG_OK;
}

static cg_code run_int_unary(cg_run_ctx *c, int_unary_fn fn, cg_tensor *y, const cg_tensor *x)
{
    switch (fn ? x->dtype : CG_UNDEFINED) {
    case CG_INT8: int_unary_i8(fn, y, x); return CG_OK;
    case CG_INT16: int_unary_i16(fn, y, x); return CG_OK;
    case CG_INT32: int_unary_i32(fn, y, x); return CG_OK;
    case CG_INT64: int_unary_i64(fn, y, x); return CG_OK;
    default: return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    }
}

static cg_code run_unary(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    cg_code rc = check_same_shape(c, x, y);
    if (rc != CG_OK)
        return rc;
    for (size_t i = 0; i < sizeof UNARY_OPS / sizeof UNARY_OPS[0]; i++) {
        if (strcmp(UNARY_OPS[i].op_type, c->node->op_type) != 0)
            continue;
        unary_params p = {cg_attr_float(c->node, "alpha", UNARY_OPS[i].alpha),
                          cg_attr_float(c->node, "beta", UNARY_OPS[i].beta),
                          cg_attr_float(c->node, "gamma", UNARY_OPS[i].gamma)};
        if (x->dtype == CG_FLOAT && c->opts->kernels == CG_KERNELS_FAST &&
            cg_fast_unary_f32(c, p.alpha, p.beta, x->data, y->data, x->numel))
            return CG_OK;
        if (x->dtype == CG_FLOAT)
            unary_f32(UNARY_OPS[i].fn, &p, y, x);
        else if (x->dtype == CG_DOUBLE)
            unary_f64(UNARY_OPS[i].fn, &p, y, x);
        else if (x->dtype == CG_FLOAT16)
            unary_f16(UNARY_OPS[i].fn, &p, y, x);
        else
            return run_int_unary(c, UNARY_OPS[i].int_fn, y, x);
        return CG_OK;
    }
    return cg_run_fail(c, CG_ERR_UNSUPPORTED, "no kernel for %s", c->node->op_type);
}

/* ---- Clip ---- */

/* y = min(max(x, lo), hi) in the input's own type. NaN passes through (fmax/fmin
 * would drop it; onnxruntime keeps it). When lo > hi every element becomes hi, as
 * min(max(x, lo), hi) reads (numpy.clip and onnxruntime agree). */
#define DEFINE_CLIP_LOOP(name, T)                                                             \
    static void name(cg_tensor *out, const cg_tensor *in, const cg_tensor *lo_t, const cg_tensor *hi_t, \
                     double lo_attr, double hi_attr)                                          \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data;                                                                \
        bool has_lo = lo_t || lo_attr > -INFINITY, has_hi = hi_t || hi_attr < INFINITY;       \
        T lo = lo_t ? *(const T *)lo_t->data : has_lo ? (T)lo_attr : 0;                       \
        T hi = hi_t ? *(const T *)hi_t->data : has_hi ? (T)hi_attr : 0;                       \
        for (int64_t e = 0; e < out->numel; e++) {                                            \
            T v = x[e];                                                                       \
            if (has_lo && v < lo)                                                             \
                v = lo;                                                                       \
            if (has_hi && v > hi)                                                             \
                v = hi;                                                                       \
            o[e] = v;                                                                         \
        }                                                                                     \
    }
DEFINE_CLIP_LOOP(clip_f32, float)
DEFINE_CLIP_LOOP(clip_f64, double)
DEFINE_CLIP_LOOP(clip_i8, int8_t)
DEFINE_CLIP_LOOP(clip_u8, uint8_t)
DEFINE_CLIP_LOOP(clip_i16, int16_t)
DEFINE_CLIP_LOOP(clip_u16, uint16_t)
DEFINE_CLIP_LOOP(clip_i32, int32_t)
DEFINE_CLIP_LOOP(clip_u32, uint32_t)
DEFINE_CLIP_LOOP(clip_i64, int64_t)
DEFINE_CLIP_LOOP(clip_u64, uint64_t)

typedef void (*clip_loop)(cg_tensor *, const cg_tensor *, const cg_tensor *, const cg_tensor *, double, double);

static clip_loop find_clip_loop(cg_dtype t)
{
    switch (t) {
    case CG_FLOAT: return clip_f32;
    case CG_DOUBLE: return clip_f64;
    case CG_INT8: return clip_i8;
    case CG_UINT8: return clip_u8;
    case CG_INT16: return clip_i16;
    case CG_UINT16: return clip_u16;
    case CG_INT32: return clip_i32;
    case CG_UINT32: return clip_u32;
    case CG_INT64: return clip_i64;
    case CG_UINT64: return clip_u64;
    default: return NULL;
    }
}

/* A Clip-11+ bound input: present, one element of X's type; NULL when omitted. */
static cg_code clip_bound(cg_run_ctx *c, int i, const cg_tensor **out)
{
    const cg_tensor *b = cg_run_in(c, i);
    *out = NULL;
    if (!b)
        return CG_OK;
    if (b->numel != 1 || b->dtype != cg_run_in(c, 0)->dtype)
        return cg_run_fail(c, CG_ERR_INVALID, "bound input %d must be one element of the input's type", i);
    *out = b;
    return CG_OK;
}

/* Clip-1/6: min/max attributes, defaulting to the float range (Clip-6 docs: no bound);
 * Clip-11+: optional scalar inputs. */
static cg_code run_clip(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0), *lo = NULL, *hi = NULL;
    cg_tensor *y = cg_run_out(c, 0);
    cg_code rc = check_same_shape(c, x, y);
    if (rc == CG_OK && c->opset >= 11)
        rc = clip_bound(c, 1, &lo);
    if (rc == CG_OK && c->opset >= 11)
        rc = clip_bound(c, 2, &hi);
    if (rc != CG_OK)
        return rc;
    clip_loop loop = find_clip_loop(x->dtype);
    if (!loop)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    double lo_attr = -INFINITY, hi_attr = INFINITY;
    if (c->opset < 11 && !cg_dtype_is_float(x->dtype)) /* Clip-6 is float-only; (T)-FLT_MAX would be UB */
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported before opset 12",
                           cg_dtype_name(x->dtype));
    if (c->opset < 11) {
        lo_attr = cg_attr_float(c->node, "min", -FLT_MAX);
        hi_attr = cg_attr_float(c->node, "max", FLT_MAX);
    }
    if (x->dtype == CG_FLOAT && c->opts->kernels == CG_KERNELS_FAST) {
        /* an absent bound as +-inf clamps nothing, as has_lo/has_hi in the loop */
        cg_fast_clip_f32(c, x->data, y->data, x->numel, lo ? *(const float *)lo->data : (float)lo_attr,
                         hi ? *(const float *)hi->data : (float)hi_attr);
        return CG_OK;
    }
    loop(y, x, lo, hi, lo_attr, hi_attr);
    return CG_OK;
}

/* ---- Softmax, LogSoftmax ---- */

/* The softmax runs over `n` elements spaced `stride` apart, for outer*stride rows.
 * Before opset 13 the input is coerced to 2-D at axis (flatten [:axis] x [axis:]) and
 * each row of the 2-D view is normalized; from 13 only the `axis` dim is
 * (ONNX Softmax-11/13 docs). */
typedef struct softmax_geom {
    int64_t outer, n, stride;
} softmax_geom;

static softmax_geom softmax_geometry(const cg_run_ctx *c, const cg_tensor *x)
{
    int64_t axis = cg_attr_int(c->node, "axis", c->opset >= 13 ? -1 : 1);
    if (axis < 0)
        axis += x->rank;
    softmax_geom g = {1, 1, 1};
    for (int d = 0; d < x->rank; d++) {
        if (d < axis)
            g.outer *= x->dims[d];
        else if (d == axis || c->opset < 13)
            g.n *= x->dims[d];
        else
            g.stride *= x->dims[d];
    }
    return g;
}

/* Numerically stable: exp(x - max) never overflows (the max term is exp(0) = 1). */
#define DEFINE_SOFTMAX_LOOP(name, T, load, store)                                             \
    static void name(const softmax_geom *g, bool log_out, cg_tensor *out, const cg_tensor *in) \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data;                                                                \
        for (int64_t r = 0; r < g->outer * g->stride; r++) {                                  \
            int64_t base = (r / g->stride) * g->n * g->stride + r % g->stride;                \
            double mx = -INFINITY, sum = 0;                                                   \
            for (int64_t k = 0; k < g->n; k++)                                                \
                mx = fmax(mx, (double)load(x[base + k * g->stride]));                         \
            for (int64_t k = 0; k < g->n; k++)                                                \
                sum += exp((double)load(x[base + k * g->stride]) - mx);                       \
            for (int64_t k = 0; k < g->n; k++) {                                              \
                double v = (double)load(x[base + k * g->stride]) - mx;                        \
                o[base + k * g->stride] = store(T, log_out ? v - log(sum) : exp(v) / sum);    \
            }                                                                                 \
        }                                                                                     \
    }
DEFINE_SOFTMAX_LOOP(softmax_f32, float, AS_IS, CAST_TO)
DEFINE_SOFTMAX_LOOP(softmax_f64, double, AS_IS, CAST_TO)
DEFINE_SOFTMAX_LOOP(softmax_f16, uint16_t, cg_half_to_float, HALF_TO)

static cg_code run_softmax(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    cg_code rc = check_same_shape(c, x, y);
    if (rc != CG_OK)
        return rc;
    if (x->numel == 0)
        return CG_OK;
    softmax_geom g = softmax_geometry(c, x);
    bool log_out = strcmp(c->node->op_type, "LogSoftmax") == 0;
    if (x->dtype == CG_FLOAT)
        softmax_f32(&g, log_out, y, x);
    else if (x->dtype == CG_DOUBLE)
        softmax_f64(&g, log_out, y, x);
    else if (x->dtype == CG_FLOAT16)
        softmax_f16(&g, log_out, y, x);
    else
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    return CG_OK;
}

/* One entry per since-version (ONNX operator docs, opsets up to 17). */
const cg_op_def cg_ops_activation[] = {
    {"", "Relu", 1, infer_unary, run_unary},
    {"", "Relu", 6, infer_unary, run_unary},
    {"", "Relu", 13, infer_unary, run_unary},
    {"", "Relu", 14, infer_unary, run_unary},
    {"", "LeakyRelu", 1, infer_unary, run_unary},
    {"", "LeakyRelu", 6, infer_unary, run_unary},
    {"", "LeakyRelu", 16, infer_unary, run_unary},
    {"", "Elu", 1, infer_unary, run_unary},
    {"", "Elu", 6, infer_unary, run_unary},
    {"", "Selu", 1, infer_unary, run_unary},
    {"", "Selu", 6, infer_unary, run_unary},
    {"", "Sigmoid", 1, infer_unary, run_unary},
    {"", "Sigmoid", 6, infer_unary, run_unary},
    {"", "Sigmoid", 13, infer_unary, run_unary},
    {"", "HardSigmoid", 1, infer_unary, run_unary},
    {"", "HardSigmoid", 6, infer_unary, run_unary},
    {"", "HardSwish", 14, infer_unary, run_unary},
    {"", "Tanh", 1, infer_unary, run_unary},
    {"", "Tanh", 6, infer_unary, run_unary},
    {"", "Tanh", 13, infer_unary, run_unary},
    {"", "Clip", 1, infer_clip, run_clip},
    {"", "Clip", 6, infer_clip, run_clip},
    {"", "Clip", 11, infer_clip, run_clip},
    {"", "Clip", 12, infer_clip, run_clip},
    {"", "Clip", 13, infer_clip, run_clip},
    {"", "Sqrt", 1, infer_unary, run_unary},
    {"", "Sqrt", 6, infer_unary, run_unary},
    {"", "Sqrt", 13, infer_unary, run_unary},
    {"", "Erf", 9, infer_unary, run_unary},
    {"", "Erf", 13, infer_unary, run_unary},
    {"", "Exp", 1, infer_unary, run_unary},
    {"", "Exp", 6, infer_unary, run_unary},
    {"", "Exp", 13, infer_unary, run_unary},
    {"", "Log", 1, infer_unary, run_unary},
    {"", "Log", 6, infer_unary, run_unary},
    {"", "Log", 13, infer_unary, run_unary},
    {"", "Neg", 1, infer_unary, run_unary},
    {"", "Neg", 6, infer_unary, run_unary},
    {"", "Neg", 13, infer_unary, run_unary},
    {"", "Abs", 1, infer_unary, run_unary},
    {"", "Abs", 6, infer_unary, run_unary},
    {"", "Abs", 13, infer_unary, run_unary},
    {"", "Reciprocal", 1, infer_unary, run_unary},
    {"", "Reciprocal", 6, infer_unary, run_unary},
    {"", "Reciprocal", 13, infer_unary, run_unary},
    {"", "Softmax", 1, infer_softmax, run_softmax},
    {"", "Softmax", 11, infer_softmax, run_softmax},
    {"", "Softmax", 13, infer_softmax, run_softmax},
    {"", "LogSoftmax", 1, infer_softmax, run_softmax},
    {"", "LogSoftmax", 11, infer_softmax, run_softmax},
    {"", "LogSoftmax", 13, infer_softmax, run_softmax},
    {NULL, NULL, 0, NULL, NULL},
};
