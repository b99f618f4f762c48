/* Operator family 'pool': MaxPool, AveragePool, LpPool and the global pools (ONNX,
 * channels first). Attributes are gated by the op version that introduced them;
 * output sizes and pads come from padding.c through cg_window_resolve_node. The
 * reference kernels read that geometry back from node->window and reduce each
 * window in doubles (exact for float32, float16, int8 and uint8 inputs). A window
 * with no tap inside the input (possible only with pads as large as the dilated
 * kernel) gives -inf (MaxPool, Indices -1), 0 (AveragePool, LpPool). */
#include "convgraph/runtime.h"
#include "ops/families.h"
#include "ops/nhwc.h"
#include "ops/window_attrs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The opset from which each optional pool attribute exists; 0 = never. */
typedef struct pool_gates {
    int64_t dilations, ceil_mode, storage_order, count_include_pad;
} pool_gates;

/* ONNX operator docs, per attribute: MaxPool storage_order 8, dilations and
 * ceil_mode 10; AveragePool count_include_pad 7, ceil_mode 10, dilations 19;
 * LpPool dilations and ceil_mode 18. */
static const pool_gates max_gates = {10, 10, 8, 0};
static const pool_gates avg_gates = {19, 10, 0, 7};
static const pool_gates lp_gates = {18, 18, 0, 0};

/* since 0: the op has no such attribute in any version. */
static cg_code refuse_unless_since(cg_infer_ctx *c, const char *attr, int64_t since)
{
    if (since == 0 && cg_node_attr(c->node, attr))
        return cg_ctx_fail(c, "attribute '%s' is not part of %s", attr, c->node->op_type);
    return since ? cg_op_refuse_attr_before(c, attr, since) : CG_OK;
}

static cg_code check_gates(cg_infer_ctx *c, const pool_gates *g)
{
    cg_code rc = refuse_unless_since(c, "dilations", g->dilations);
    if (rc == CG_OK)
        rc = refuse_unless_since(c, "ceil_mode", g->ceil_mode);
    if (rc == CG_OK)
        rc = refuse_unless_since(c, "storage_order", g->storage_order);
    if (rc == CG_OK)
        rc = refuse_unless_since(c, "count_include_pad", g->count_include_pad);
    return rc;
}

/* Flags that do not change shapes still must be valid 0/1 ints. */
static cg_code check_flags(cg_infer_ctx *c)
{
    bool ignored;
    cg_code rc = cg_op_read_flag(c, "storage_order", false, &ignored);
    return rc == CG_OK ? cg_op_read_flag(c, "count_include_pad", false, &ignored) : rc;
}

/* MaxPool from 12 also takes int8/uint8 ("T: ... tensor(int8), tensor(uint8)"). */
static cg_code check_pool_dtype(cg_infer_ctx *c, cg_dtype t)
{
    bool max12 = c->opset >= 12 && strcmp(c->node->op_type, "MaxPool") == 0;
    if (t == CG_UNDEFINED || cg_dtype_is_float(t) ||
        (max12 && (t == CG_INT8 || t == CG_UINT8)))
        return CG_OK;
    return cg_ctx_fail(c, "input X is %s but must be a float type%s", cg_dtype_name(t),
                       max12 ? " or int8/uint8" : "");
}

static cg_code read_pool_window(cg_infer_ctx *c, int spatial, cg_window *w)
{
    bool present;
    cg_window_init(w, CG_WINDOW_POOL, spatial);
    cg_code rc = cg_window_read_attrs(c, w);
    if (rc == CG_OK)
        rc = cg_op_read_spatial_ints(c, "kernel_shape", spatial, w->kernel, &present);
    if (rc == CG_OK && !present) /* pools have no weights to take it from */
        return cg_ctx_fail(c, "attribute 'kernel_shape' is required");
    return rc;
}

static cg_code infer_window_pool(cg_infer_ctx *c, const pool_gates *gates)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = check_gates(c, gates);
    if (rc == CG_OK)
        rc = check_flags(c);
    const cg_value *x = cg_ctx_in(c, 0);
    if (rc == CG_OK)
        rc = check_pool_dtype(c, x->dtype);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0; /* no multiply-accumulates: comparisons and sums only */
    cg_shape y = x->shape;
    int spatial = 0;
    if (x->shape.rank >= 0) {
        rc = cg_window_spatial_rank(c, "X", x->shape.rank, &spatial);
        cg_window w;
        if (rc == CG_OK)
            rc = read_pool_window(c, spatial, &w);
        if (rc == CG_OK)
            rc = cg_window_resolve_node(c, &w, &x->shape.d[2], &y.d[2]);
        if (rc != CG_OK)
            return rc;
    }
    cg_ctx_set_out(c, 0, x->dtype, &y);
    return CG_OK;
}

/* ONNX MaxPool-8: optional output Indices, int64, "the same shape as the output". */
static cg_code infer_max_pool(cg_infer_ctx *c)
{
    if (c->opset < 8 && cg_ctx_out(c, 1))
        return cg_ctx_fail(c, "MaxPool before opset 8 has one output; Indices came in 8");
    cg_code rc = infer_window_pool(c, &max_gates);
    const cg_value *y = cg_ctx_out(c, 0);
    if (rc == CG_OK && y)
        cg_ctx_set_out(c, 1, CG_INT64, &y->shape);
    return rc;
}

static cg_code infer_average_pool(cg_infer_ctx *c) { return infer_window_pool(c, &avg_gates); }

/* LpPool-1 has p as a float; from LpPool-2 it is an int. */
static cg_code infer_lp_pool(cg_infer_ctx *c)
{
    const cg_attr *p = cg_node_attr(c->node, "p");
    cg_attr_type want = c->opset >= 2 ? CG_ATTR_INT : CG_ATTR_FLOAT;
    if (p && p->type != want)
        return cg_ctx_fail(c, "attribute 'p' must be %s at opset %lld",
                           want == CG_ATTR_INT ? "an int" : "a float", (long long)c->opset);
    return infer_window_pool(c, &lp_gates);
}

/* ONNX GlobalAveragePool: output "N x C x 1 x 1"; onnx's shape inference accepts
 * any rank >= 2 and sets every dim after C to 1. */
static cg_code infer_global_pool(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    const cg_value *x = cg_ctx_in(c, 0);
    if (rc == CG_OK)
        rc = check_pool_dtype(c, x->dtype);
    if (rc != CG_OK)
        return rc;
    if (x->shape.rank >= 0 && x->shape.rank < 2)
        return cg_ctx_fail(c, "input X has rank %d but needs at least 2 (N, C, ...)",
                           x->shape.rank);
    cg_shape y = x->shape;
    for (int i = 2; i < y.rank; i++)
        y.d[i] = cg_dim_known(1);
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &y);
    return CG_OK;
}

/* ================================================================ kernels */

typedef enum pool_kind { POOL_MAX, POOL_AVERAGE, POOL_LP } pool_kind;

/* How one pool reduces its window; read from the node's attributes. */
typedef struct pool_op {
    pool_kind kind;
    bool count_pad;        /* AveragePool: explicit pads count in the divisor */
    double p;              /* LpPool */
    bool column_major;     /* MaxPool storage_order 1 */
} pool_op;

/* One output position's window: the first tap per axis and the valid tap range. */
typedef struct pool_taps {
    int64_t start[CG_RUN_AXES], lo[CG_RUN_AXES], hi[CG_RUN_AXES];
} pool_taps;

typedef struct pool_result {
    double value;
    int64_t at; /* MaxPool: flat in-plane offset of the max, -1 when no tap */
} pool_result;

static void pool_taps_at(const cg_run_window *rw, const int64_t *o, pool_taps *t)
{
    for (int a = 0; a < CG_RUN_AXES; a++) {
        t->start[a] = o[a] * rw->stride[a] - rw->pad_begin[a];
        cg_run_tap_range(t->start[a], rw->dilation[a], rw->kernel[a], 0, rw->in[a], &t->lo[a],
                         &t->hi[a]);
    }
}

/* ONNX AveragePool count_include_pad: "Whether include pad pixels when calculating
 * values for the edges". Only explicit pads count, and only taps inside the padded
 * extent [-pad_begin, n + pad_end): ceil_mode windows reaching past it do not
 * (PyTorch avg_pool, onnxruntime). With auto_pad SAME_* the padding never counts,
 * as in TensorFlow's AvgPool. Otherwise the divisor is the number of valid taps. */
static double pool_divisor(const cg_run_window *rw, const pool_taps *t, bool count_pad)
{
    double n = 1;
    for (int a = 0; a < CG_RUN_AXES; a++) {
        int64_t lo = t->lo[a], hi = t->hi[a];
        if (count_pad)
            cg_run_tap_range(t->start[a], rw->dilation[a], rw->kernel[a], -rw->pad_begin[a],
                             rw->in[a] + rw->pad_end[a], &lo, &hi);
        n *= (double)(hi - lo);
    }
    return n;
}

/* Folds one tap into the running result. Max: the first of equal maxima wins
 * (onnxruntime and PyTorch compare with '>'), padding never does. */
static void pool_fold(const pool_op *op, pool_result *r, double v, int64_t at)
{
    switch (op->kind) {
    case POOL_MAX:
        if (r->at < 0 || v > r->value) {
            r->value = v;
            r->at = at;
        }
        break;
    case POOL_AVERAGE: r->value += v; break;
    case POOL_LP: r->value += pow(fabs(v), op->p); break;
    }
}

static pool_result pool_point(const cg_run_window *rw, const pool_op *op, const double *x_p,
                              const int64_t *o)
{
    pool_taps t;
    pool_taps_at(rw, o, &t);
    pool_result r = {op->kind == POOL_MAX ? -INFINITY : 0, -1};
    for (int64_t k0 = t.lo[0]; k0 < t.hi[0]; k0++) {
        int64_t i0 = t.start[0] + k0 * rw->dilation[0];
        for (int64_t k1 = t.lo[1]; k1 < t.hi[1]; k1++) {
            int64_t row = (i0 * rw->in[1] + t.start[1] + k1 * rw->dilation[1]) * rw->in[2];
            for (int64_t k2 = t.lo[2]; k2 < t.hi[2]; k2++) {
                int64_t at = row + t.start[2] + k2 * rw->dilation[2];
                pool_fold(op, &r, x_p[at], at);
            }
        }
    }
    if (op->kind == POOL_AVERAGE) {
        double n = pool_divisor(rw, &t, op->count_pad);
        r.value = n > 0 ? r.value / n : 0;
    } else if (op->kind == POOL_LP) {
        r.value = pow(r.value, 1.0 / op->p);
    }
    return r;
}

/* ONNX MaxPool Indices: "flatten 1-D tensor values ... computed as flatten index
 * values"; storage_order 0 counts row major over (N, C, spatial...), 1 counts the
 * spatial dims column major (onnxruntime: c*HW + h + w*H). -1 when no tap. */
static int64_t pool_index(const cg_run_window *rw, const pool_op *op, int64_t plane,
                          int64_t at)
{
    if (at < 0)
        return -1;
    if (!op->column_major)
        return plane * rw->in_size + at;
    int64_t i2 = at % rw->in[2], i1 = (at / rw->in[2]) % rw->in[1];
    int64_t i0 = at / (rw->in[2] * rw->in[1]);
    return plane * rw->in_size + i0 + rw->in[0] * (i1 + rw->in[1] * i2);
}

static void pool_planes(const cg_run_window *rw, const pool_op *op, const double *x,
                        int64_t planes, cg_tensor *y, cg_tensor *indices)
{
    int64_t o[CG_RUN_AXES], idx = 0;
    for (int64_t p = 0; p < planes; p++) {
        const double *x_p = x + p * rw->in_size;
        for (o[0] = 0; o[0] < rw->out[0]; o[0]++)
            for (o[1] = 0; o[1] < rw->out[1]; o[1]++)
                for (o[2] = 0; o[2] < rw->out[2]; o[2]++, idx++) {
                    pool_result r = pool_point(rw, op, x_p, o);
                    cg_run_store_f64(y, idx, r.value);
                    if (indices)
                        ((int64_t *)indices->data)[idx] = pool_index(rw, op, p, r.at);
                }
    }
}

/* The fast path of FAST sessions for float32 MaxPool / AveragePool without
 * Indices: the same taps, tie rule and divisor as the reference, read straight
 * from the float data instead of a double copy of the whole tensor, with the
 * innermost axis' tap ranges computed once per call instead of per point. */
/* Visits the window's taps of one output point as `row[k2 * d2]` reads. */
#define POOL_FOR_TAPS_F32(rw, x_p, t, v, body)                                                  \
    for (int64_t k0 = (t)->lo[0]; k0 < (t)->hi[0]; k0++) {                                     \
        int64_t i0_ = (t)->start[0] + k0 * (rw)->dilation[0];                                  \
        for (int64_t k1 = (t)->lo[1]; k1 < (t)->hi[1]; k1++) {                                 \
            const float *row_ = (x_p) +                                                        \
                                (i0_ * (rw)->in[1] + (t)->start[1] + k1 * (rw)->dilation[1]) * \
                                    (rw)->in[2] +                                              \
                                (t)->start[2];                                                 \
            for (int64_t k2 = (t)->lo[2]; k2 < (t)->hi[2]; k2++) {                             \
                float v = row_[k2 * (rw)->dilation[2]];                                        \
                body;                                                                          \
            }                                                                                  \
        }                                                                                      \
    }

static float pool_max_f32(const cg_run_window *rw, const float *x_p, const pool_taps *t)
{
    bool any = false;
    float m = -INFINITY; /* no tap at all: -inf, as the reference */
    /* the first of equal maxima wins; a NaN first tap stays, a later one never wins */
    POOL_FOR_TAPS_F32(rw, x_p, t, v, {
        m = !any || v > m ? v : m;
        any = true;
    })
    return m;
}

static float pool_average_f32(const cg_run_window *rw, const pool_op *op, const float *x_p,
                              const pool_taps *t)
{
    double sum = 0;
    POOL_FOR_TAPS_F32(rw, x_p, t, v, sum += v)
    double n = pool_divisor(rw, t, op->count_pad);
    return (float)(n > 0 ? sum / n : 0);
}

static float pool_reduce_f32(const cg_run_window *rw, const pool_op *op, const float *x_p,
                             const pool_taps *t)
{
    return op->kind == POOL_MAX ? pool_max_f32(rw, x_p, t) : pool_average_f32(rw, op, x_p, t);
}

enum { POOL_ROW_CACHE = 2048 }; /* innermost output positions whose taps are cached */

static bool pool_fast_path_applies(const cg_run_ctx *c, const pool_op *op, const cg_tensor *x,
                                   const cg_tensor *indices, const cg_run_window *rw)
{
    return c->opts && c->opts->kernels == CG_KERNELS_FAST && x->dtype == CG_FLOAT && !indices &&
           op->kind != POOL_LP && rw->out[2] <= POOL_ROW_CACHE;
}

static void pool_planes_f32(const cg_run_window *rw, const pool_op *op, const float *x,
                            int64_t planes, float *y)
{
    pool_taps row_taps[POOL_ROW_CACHE];
    int64_t o[CG_RUN_AXES] = {0, 0, 0}, idx = 0;
    for (o[2] = 0; o[2] < rw->out[2]; o[2]++)
        pool_taps_at(rw, o, &row_taps[o[2]]);
    for (int64_t p = 0; p < planes; p++)
        for (o[0] = 0; o[0] < rw->out[0]; o[0]++)
            for (o[1] = 0; o[1] < rw->out[1]; o[1]++) {
                pool_taps t;
                o[2] = 0;
                pool_taps_at(rw, o, &t);
                for (int64_t w = 0; w < rw->out[2]; w++) {
                    t.start[2] = row_taps[w].start[2];
                    t.lo[2] = row_taps[w].lo[2];
                    t.hi[2] = row_taps[w].hi[2];
                    y[idx++] = pool_reduce_f32(rw, op, x + p * rw->in_size, &t);
                }
            }
}

/* A node stored channels-last (cg.layout NHWC, nhwc.h) has no NCHW planes to
 * fall back on: it runs the NHWC kernel in every kernel mode, or fails. */
static cg_code run_window_pool_nhwc(cg_run_ctx *c, const pool_op *op, const cg_run_window *rw,
                                    const cg_tensor *x, cg_tensor *y, const cg_tensor *indices)
{
    if (op->kind == POOL_LP)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "LpPool has no kernel for cg.layout NHWC");
    if (indices)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED,
                           "MaxPool's Indices output is not supported with cg.layout NHWC");
    return cg_nhwc_window_pool(c, rw, x, y, op->kind == POOL_MAX, op->count_pad);
}

/* Checks the operands, then reduces every (n, c) plane. */
static cg_code run_window_pool(cg_run_ctx *c, const pool_op *op)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0), *indices = cg_run_out(c, 1);
    cg_run_window rw;
    if (!x || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "X and Y are required");
    cg_code rc = cg_run_require_window_dtype(c, "X", x);
    if (rc == CG_OK)
        rc = cg_run_window_get(c, x, y, &rw);
    if (rc != CG_OK)
        return rc;
    if (x->dtype != y->dtype || x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1] ||
        (indices && (indices->dtype != CG_INT64 || indices->numel != y->numel)))
        return cg_run_fail(c, CG_ERR_INVALID, "X, Y and Indices do not fit together");
    if (op->kind != POOL_MAX && !cg_dtype_is_float(x->dtype))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported",
                           cg_dtype_name(x->dtype));
    if (cg_node_is_nhwc(c->node))
        return run_window_pool_nhwc(c, op, &rw, x, y, indices);
    if (pool_fast_path_applies(c, op, x, indices, &rw)) {
        pool_planes_f32(&rw, op, x->data, x->dims[0] * x->dims[1], y->data);
        return CG_OK;
    }
    double *xd = cg_run_load_f64(c, x);
    if (!xd)
        return c->st->code;
    pool_planes(&rw, op, xd, x->dims[0] * x->dims[1], y, indices);
    free(xd);
    return CG_OK;
}

static cg_code run_max_pool(cg_run_ctx *c)
{
    pool_op op = {.kind = POOL_MAX};
    op.column_major = cg_attr_int(c->node, "storage_order", 0) == 1;
    return run_window_pool(c, &op);
}

static cg_code run_average_pool(cg_run_ctx *c)
{
    pool_op op = {.kind = POOL_AVERAGE};
    op.count_pad = cg_attr_int(c->node, "count_include_pad", 0) == 1 && c->node->window &&
                   c->node->window->w.auto_pad == CG_AUTO_PAD_NOTSET;
    return run_window_pool(c, &op);
}

/* ONNX LpPool: y = (sum over the window of |x|^p)^(1/p), p defaults to 2; an int
 * from LpPool-2, a float in LpPool-1. Padding adds nothing to the sum. */
static cg_code run_lp_pool(cg_run_ctx *c)
{
    pool_op op = {.kind = POOL_LP, .p = 2};
    const cg_attr *p = cg_node_attr(c->node, "p");
    if (p)
        op.p = p->type == CG_ATTR_FLOAT ? (double)p->f : (double)p->i;
    if (!(op.p > 0) || !isfinite(op.p))
        return cg_run_fail(c, CG_ERR_INVALID, "attribute 'p' is %g but must be positive", op.p);
    return run_window_pool(c, &op);
}

/* GlobalAveragePool / GlobalMaxPool: one window covering every dim after C. */
static cg_code run_global_pool(cg_run_ctx *c, pool_kind kind)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    if (!x || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "X and Y are required");
    cg_code rc = cg_run_require_window_dtype(c, "X", x);
    if (rc == CG_OK && cg_node_is_nhwc(c->node))
        return cg_nhwc_global_pool(c, kind == POOL_MAX);
    if (rc != CG_OK)
        return rc;
    int64_t planes = 0;
    if (x->rank < 2 || !cg_dtype_is_float(x->dtype) || x->dtype != y->dtype ||
        cg_mul_overflows(x->dims[0], x->dims[1], &planes) || y->numel != planes)
        return cg_run_fail(c, CG_ERR_INVALID, "X (%s) and Y do not fit together",
                           cg_dtype_name(x->dtype));
    int64_t plane = planes > 0 ? x->numel / planes : 0;
    for (int64_t p = 0; p < planes; p++) {
        double acc = kind == POOL_MAX ? -INFINITY : 0;
        for (int64_t i = 0; i < plane; i++) {
            double v = cg_tensor_get_f64(x, p * plane + i);
            acc = kind == POOL_MAX ? (v > acc ? v : acc) : acc + v;
        }
        cg_run_store_f64(y, p, kind == POOL_MAX || plane == 0 ? acc : acc / (double)plane);
    }
    return CG_OK;
}

static cg_code run_global_average_pool(cg_run_ctx *c) { return run_global_pool(c, POOL_AVERAGE); }
static cg_code run_global_max_pool(cg_run_ctx *c) { return run_global_pool(c, POOL_MAX); }

/* Versions from the ONNX operator docs: MaxPool 1, 8, 10, 11, 12, 22; AveragePool
 * 1, 7, 10, 11, 19, 22; LpPool 1, 2, 11, 18, 22; GlobalAveragePool and
 * GlobalMaxPool 1, 22. Differences between versions are read from ctx->opset. */
const cg_op_def cg_ops_pool[] = {
    {"", "MaxPool", 1, infer_max_pool, run_max_pool},
    {"", "MaxPool", 8, infer_max_pool, run_max_pool},
    {"", "MaxPool", 10, infer_max_pool, run_max_pool},
    {"", "MaxPool", 11, infer_max_pool, run_max_pool},
    {"", "MaxPool", 12, infer_max_pool, run_max_pool},
    {"", "MaxPool", 22, infer_max_pool, run_max_pool},
    {"", "AveragePool", 1, infer_average_pool, run_average_pool},
    {"", "AveragePool", 7, infer_average_pool, run_average_pool},
    {"", "AveragePool", 10, infer_average_pool, run_average_pool},
    {"", "AveragePool", 11, infer_average_pool, run_average_pool},
    {"", "AveragePool", 19, infer_average_pool, run_average_pool},
    {"", "AveragePool", 22, infer_average_pool, run_average_pool},
    {"", "LpPool", 1, infer_lp_pool, run_lp_pool},
    {"", "LpPool", 2, infer_lp_pool, run_lp_pool},
    {"", "LpPool", 11, infer_lp_pool, run_lp_pool},
    {"", "LpPool", 18, infer_lp_pool, run_lp_pool},
    {"", "LpPool", 22, infer_lp_pool, run_lp_pool},
    {"", "GlobalAveragePool", 1, infer_global_pool, run_global_average_pool},
    {"", "GlobalAveragePool", 22, infer_global_pool, run_global_average_pool},
    {"", "GlobalMaxPool", 1, infer_global_pool, run_global_max_pool},
    {"", "GlobalMaxPool", 22, infer_global_pool, run_global_max_pool},
    {NULL, NULL, 0, NULL},
};
