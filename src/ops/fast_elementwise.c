/* Float32 fast paths for the unary activations, Clip and the two-input
 * arithmetic ops (fast_elementwise.h). Every loop is a plain pass over
 * contiguous floats without calls, which GCC vectorizes at -O3; y == x (the
 * executor's in-place runs) passes GCC's runtime overlap check, so in-place
 * loops stay vectorized. Compiled with -O3 -fno-math-errno (sqrtf inlines);
 * no -ffast-math: NaN and inf keep the reference semantics. */
#include "ops/fast_elementwise.h"

#include <math.h>
#include <string.h>

#include "ops/fast_simd.h"

/* ---- unary ---- */

typedef struct unary_args {
    float alpha_f;
    double alpha, beta;
} unary_args;

/* One vectorizable loop per op: v is x[i], the expression is y[i]. */
#define DEFINE_UNARY(name, expr)                                                        \
    CG_FAST_CLONES static void name(const float *x, float *y, int64_t n, const unary_args *p) \
    {                                                                                   \
        const float alpha_f = p->alpha_f;                                               \
        const double alpha = p->alpha, beta = p->beta;                                  \
        (void)alpha_f, (void)alpha, (void)beta;                                         \
        for (int64_t i = 0; i < n; i++) {                                               \
            float v = x[i];                                                             \
            y[i] = (expr);                                                              \
        }                                                                               \
    }

/* The formulas of activation.c's f_* functions. Products and quotients of two
 * floats rounded once equal the reference's double result rounded once; the
 * hard sigmoids stay in double (their a*x + b has two roundings in float). The
 * min/max are written as fmin/fmax read with a NaN argument: NaN -> 1. */
static inline double clamp01(double v) { return v < 1 ? (v > 0 ? v : 0) : 1; }

DEFINE_UNARY(relu_f32, !(v <= 0) ? v : 0.0f) /* NaN stays, -0 -> +0 */
DEFINE_UNARY(leaky_relu_f32, v >= 0 ? v : alpha_f * v)
DEFINE_UNARY(elu_f32, v >= 0 ? v : alpha_f * cg_expm1_f32(v))
DEFINE_UNARY(sigmoid_f32, cg_sigmoid_f32(v))
DEFINE_UNARY(hard_sigmoid_f32, (float)clamp01(alpha * v + beta))
DEFINE_UNARY(hard_swish_f32, (float)(v * clamp01(v * (1.0 / 6) + 0.5)))
DEFINE_UNARY(tanh_f32, cg_tanh_f32(v))
DEFINE_UNARY(exp_f32, cg_exp_f32(v))
DEFINE_UNARY(neg_f32, -v)
DEFINE_UNARY(abs_f32, fabsf(v))
DEFINE_UNARY(sqrt_f32, sqrtf(v))
DEFINE_UNARY(reciprocal_f32, 1.0f / v)

typedef void (*unary_loop)(const float *, float *, int64_t, const unary_args *);

static const struct {
    const char *op_type;
    unary_loop loop;
} FAST_UNARY[] = {
    {"Relu", relu_f32},       {"LeakyRelu", leaky_relu_f32},     {"Elu", elu_f32},
    {"Sigmoid", sigmoid_f32}, {"HardSigmoid", hard_sigmoid_f32}, {"HardSwish", hard_swish_f32},
    {"Tanh", tanh_f32},       {"Exp", exp_f32},                  {"Neg", neg_f32},
    {"Abs", abs_f32},         {"Sqrt", sqrt_f32},                {"Reciprocal", reciprocal_f32},
};

/* Elements a thread takes at the least: below two such chunks one thread runs
 * the whole loop (a fork costs about what 16K simple elements do). */
#define ELEMENT_GRAIN 16384

typedef struct unary_job {
    unary_loop loop;
    unary_args args;
    const float *x;
    float *y;
} unary_job;

static void unary_chunk(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const unary_job *j = arg;
    (void)chunk;
    j->loop(j->x + lo, j->y + lo, hi - lo, &j->args);
}

bool cg_fast_unary_f32(const cg_run_ctx *c, double alpha, double beta, const float *x, float *y, int64_t n)
{
    for (size_t i = 0; i < sizeof FAST_UNARY / sizeof FAST_UNARY[0]; i++) {
        if (strcmp(FAST_UNARY[i].op_type, c->node->op_type) != 0)
            continue;
        /* alpha comes from a float attribute: (float)alpha is exact */
        unary_job j = {FAST_UNARY[i].loop, {(float)alpha, alpha, beta}, x, y};
        cg_run_parallel(c, n, ELEMENT_GRAIN, unary_chunk, &j);
        return true;
    }
    return false;
}

CG_FAST_CLONES static void clip_loop(const float *x, float *y, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        v = v < lo ? lo : v; /* comparisons with NaN are false: NaN stays */
        y[i] = v > hi ? hi : v;
    }
}

typedef struct clip_job {
    const float *x;
    float *y;
    float lo, hi;
} clip_job;

static void clip_chunk(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const clip_job *j = arg;
    (void)chunk;
    clip_loop(j->x + lo, j->y + lo, hi - lo, j->lo, j->hi);
}

void cg_fast_clip_f32(const cg_run_ctx *c, const float *x, float *y, int64_t n, float lo, float hi)
{
    clip_job j = {x, y, lo, hi};
    cg_run_parallel(c, n, ELEMENT_GRAIN, clip_chunk, &j);
}

/* ---- binary ---- */

/* The reference's combine_f64 on floats: + - * / of two floats rounded once
 * equal the double result rounded once; Max/Min let a NaN on either side win. */
#define OP_ADD(a, b) ((a) + (b))
#define OP_SUB(a, b) ((a) - (b))
#define OP_MUL(a, b) ((a) * (b))
#define OP_DIV(a, b) ((a) / (b))
#define OP_MAX(a, b) ((a) > (b) || (a) != (a) ? (a) : (b))
#define OP_MIN(a, b) ((a) < (b) || (a) != (a) ? (a) : (b))

/* vv: y = a op b; vs: y = a op s; sv: y = s op b. y may be a (in place). */
#define DEFINE_BINARY(name, OP)                                                              \
    CG_FAST_CLONES static void name##_vv(const float *a, const float *b, float *y, int64_t n) \
    {                                                                                        \
        for (int64_t i = 0; i < n; i++) {                                                    \
            float l = a[i], r = b[i];                                                        \
            y[i] = OP(l, r);                                                                 \
        }                                                                                    \
    }                                                                                        \
    CG_FAST_CLONES static void name##_vs(const float *a, float s, float *y, int64_t n)      \
    {                                                                                        \
        for (int64_t i = 0; i < n; i++) {                                                    \
            float l = a[i];                                                                  \
            y[i] = OP(l, s);                                                                 \
        }                                                                                    \
    }                                                                                        \
    CG_FAST_CLONES static void name##_sv(float s, const float *b, float *y, int64_t n)      \
    {                                                                                        \
        for (int64_t i = 0; i < n; i++) {                                                    \
            float r = b[i];                                                                  \
            y[i] = OP(s, r);                                                                 \
        }                                                                                    \
    }

DEFINE_BINARY(add, OP_ADD)
DEFINE_BINARY(sub, OP_SUB)
DEFINE_BINARY(mul, OP_MUL)
DEFINE_BINARY(div, OP_DIV)
DEFINE_BINARY(max, OP_MAX)
DEFINE_BINARY(min, OP_MIN)

typedef struct binary_loops {
    const char *op_type;
    void (*vv)(const float *, const float *, float *, int64_t);
    void (*vs)(const float *, float, float *, int64_t);
    void (*sv)(float, const float *, float *, int64_t);
} binary_loops;

static const binary_loops FAST_BINARY[] = {
    {"Add", add_vv, add_vs, add_sv}, {"Sub", sub_vv, sub_vs, sub_sv}, {"Mul", mul_vv, mul_vs, mul_sv},
    {"Div", div_vv, div_vs, div_sv}, {"Max", max_vv, max_vs, max_sv}, {"Min", min_vv, min_vs, min_sv},
};

static const binary_loops *find_binary(const char *op_type)
{
    for (size_t i = 0; i < sizeof FAST_BINARY / sizeof FAST_BINARY[0]; i++)
        if (strcmp(FAST_BINARY[i].op_type, op_type) == 0)
            return &FAST_BINARY[i];
    return NULL;
}

/* How an input lines up with the output (numpy, right-aligned). */
typedef enum operand_kind {
    OPERAND_FULL,    /* the output's dims: element e feeds element e */
    OPERAND_SCALAR,  /* one element */
    OPERAND_CHANNEL, /* [N|1,C,1,1] or [C,1,1] under a rank-4 output */
    OPERAND_OTHER,
} operand_kind;

static bool same_dims_right_aligned(const cg_tensor *in, const cg_tensor *out)
{
    if (in->rank > out->rank)
        return false;
    for (int d = 0; d < in->rank; d++)
        if (in->dims[d] != out->dims[out->rank - in->rank + d])
            return false;
    return in->numel == out->numel;
}

static bool is_channel_vector(const cg_tensor *in, const cg_tensor *out)
{
    const int64_t *d = in->dims + in->rank - 3; /* [C,1,1] as the last three dims */
    if (out->rank != 4 || in->rank < 3 || in->rank > 4 || d[0] != out->dims[1] || d[1] != 1 || d[2] != 1)
        return false;
    return in->rank == 3 || in->dims[0] == 1 || in->dims[0] == out->dims[0];
}

static operand_kind classify(const cg_tensor *in, const cg_tensor *out)
{
    if (same_dims_right_aligned(in, out))
        return OPERAND_FULL;
    if (in->numel == 1 && in->rank <= out->rank)
        return OPERAND_SCALAR;
    return is_channel_vector(in, out) ? OPERAND_CHANNEL : OPERAND_OTHER;
}

/* Two float32 inputs of one of the six ops, numpy broadcasting (opset 7+; an
 * older node only with equal shapes: its legacy `axis` rule is the reference's). */
static const binary_loops *binary_setup(const cg_run_ctx *c, operand_kind *ka, operand_kind *kb)
{
    const cg_tensor *a = cg_run_in(c, 0), *b = cg_run_in(c, 1), *y = cg_run_out(c, 0);
    const binary_loops *ops = c->node->domain[0] ? NULL : find_binary(c->node->op_type);
    if (!ops || c->n_in != 2 || !a || !b || !y)
        return NULL;
    if (a->dtype != CG_FLOAT || b->dtype != CG_FLOAT || y->dtype != CG_FLOAT)
        return NULL;
    *ka = classify(a, y);
    *kb = classify(b, y);
    if (*ka != OPERAND_FULL && *kb != OPERAND_FULL)
        return NULL;
    if (c->opset < 7 && (*ka != OPERAND_FULL || *kb != OPERAND_FULL))
        return NULL;
    return ops;
}

/* Channel vector v against the full tensor f, planes [lo, hi) of H*W (NCHW;
 * plane q is image q / C, channel q % C). */
static void channel_nchw(const binary_loops *ops, bool v_first, const cg_tensor *f, const cg_tensor *v,
                         cg_tensor *y, int64_t lo, int64_t hi)
{
    int64_t ch = y->dims[1], plane = y->dims[2] * y->dims[3];
    int64_t v_batch = v->rank == 4 && v->dims[0] > 1 ? ch : 0;
    const float *fd = f->data, *vd = v->data;
    float *yd = y->data;
    for (int64_t q = lo; q < hi; q++) {
        int64_t off = q * plane;
        float s = vd[q / ch * v_batch + q % ch];
        if (v_first)
            ops->sv(s, fd + off, yd + off, plane);
        else
            ops->vs(fd + off, s, yd + off, plane);
    }
}

/* Channel vector v against the full tensor f, pixel rows [lo, hi) of C (NHWC;
 * row q is image q / (H*W)). */
static void channel_nhwc(const binary_loops *ops, bool v_first, const cg_tensor *f, const cg_tensor *v,
                         cg_tensor *y, int64_t lo, int64_t hi)
{
    int64_t ch = y->dims[1], pixels = y->dims[2] * y->dims[3];
    int64_t v_batch = v->rank == 4 && v->dims[0] > 1 ? ch : 0;
    const float *fd = f->data, *vd = v->data;
    float *yd = y->data;
    for (int64_t q = lo; q < hi; q++) {
        int64_t off = q * ch;
        const float *vq = vd + q / pixels * v_batch;
        if (v_first)
            ops->vv(vq, fd + off, yd + off, ch);
        else
            ops->vv(fd + off, vq, yd + off, ch);
    }
}

typedef struct binary_job {
    const binary_loops *ops;
    operand_kind ka, kb;
    const cg_tensor *a, *b;
    cg_tensor *y;
    bool nhwc;
    float scalar; /* read before any chunk writes: an output aliasing a 1-element input 0 is harmless */
} binary_job;

/* Items of the split: elements, or the channel cases' planes / pixel rows. */
static int64_t binary_items(const binary_job *j, int64_t *grain)
{
    const int64_t *d = j->y->dims;
    if (j->ka != OPERAND_CHANNEL && j->kb != OPERAND_CHANNEL) {
        *grain = ELEMENT_GRAIN;
        return j->y->numel;
    }
    int64_t rows = j->nhwc ? d[0] * d[2] * d[3] : d[0] * d[1];
    *grain = 1 + ELEMENT_GRAIN / (j->y->numel / rows > 0 ? j->y->numel / rows : 1);
    return rows;
}

static void binary_chunk(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const binary_job *j = arg;
    const float *a = j->a->data, *b = j->b->data;
    float *y = j->y->data;
    bool v_first = j->ka == OPERAND_CHANNEL;
    const cg_tensor *full = v_first ? j->b : j->a, *vec = v_first ? j->a : j->b;
    (void)chunk;
    if (j->ka == OPERAND_FULL && j->kb == OPERAND_FULL)
        j->ops->vv(a + lo, b + lo, y + lo, hi - lo);
    else if (j->kb == OPERAND_SCALAR)
        j->ops->vs(a + lo, j->scalar, y + lo, hi - lo);
    else if (j->ka == OPERAND_SCALAR)
        j->ops->sv(j->scalar, b + lo, y + lo, hi - lo);
    else if (j->nhwc)
        channel_nhwc(j->ops, v_first, full, vec, j->y, lo, hi);
    else
        channel_nchw(j->ops, v_first, full, vec, j->y, lo, hi);
}

static void run_binary(const cg_run_ctx *c, const binary_loops *ops, operand_kind ka, operand_kind kb,
                       bool nhwc)
{
    binary_job j = {ops, ka, kb, cg_run_in(c, 0), cg_run_in(c, 1), cg_run_out(c, 0), nhwc, 0};
    if (j.y->numel == 0)
        return;
    if (kb == OPERAND_SCALAR || ka == OPERAND_SCALAR)
        j.scalar = *(const float *)(kb == OPERAND_SCALAR ? j.b : j.a)->data;
    int64_t grain, items = binary_items(&j, &grain);
    cg_run_parallel(c, items, grain, binary_chunk, &j);
}

bool cg_fast_binary(cg_run_ctx *c)
{
    operand_kind ka, kb;
    const binary_loops *ops = binary_setup(c, &ka, &kb);
    if (!ops || ka == OPERAND_OTHER || kb == OPERAND_OTHER)
        return false;
    run_binary(c, ops, ka, kb, false);
    return true;
}

bool cg_nhwc_order_blind(const cg_run_ctx *c)
{
    const cg_tensor *y = cg_run_out(c, 0);
    bool full = false;
    for (int i = 0; y && i < c->n_in; i++) {
        const cg_tensor *in = cg_run_in(c, i);
        operand_kind k = in ? classify(in, y) : OPERAND_OTHER;
        if (k != OPERAND_FULL && k != OPERAND_SCALAR)
            return false;
        full = full || k == OPERAND_FULL;
    }
    return full;
}

cg_code cg_nhwc_binary(cg_run_ctx *c)
{
    operand_kind ka = OPERAND_OTHER, kb = OPERAND_OTHER;
    const binary_loops *ops = binary_setup(c, &ka, &kb);
    if (!ops && !find_binary(c->node->op_type))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s has no kernel for cg.layout NHWC", c->node->op_type);
    if (!ops && (c->n_in != 2 || !cg_run_in(c, 0) || !cg_run_in(c, 1) || !cg_run_out(c, 0)))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "cg.layout NHWC needs exactly two inputs and an output");
    if (!ops && (cg_run_in(c, 0)->dtype != CG_FLOAT || cg_run_in(c, 1)->dtype != CG_FLOAT))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported with cg.layout NHWC",
                           cg_dtype_name(cg_run_in(c, 0)->dtype));
    if (!ops || ka == OPERAND_OTHER || kb == OPERAND_OTHER)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED,
                           "with cg.layout NHWC only equal shapes, a scalar or a [N|1,C,1,1] channel vector "
                           "broadcast");
    bool channel = ka == OPERAND_CHANNEL || kb == OPERAND_CHANNEL;
    if (channel && cg_run_out(c, 0)->rank != 4)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "cg.layout NHWC needs a rank-4 output");
    run_binary(c, ops, ka, kb, true);
    return CG_OK;
}
