/* Operator family 'pool': MaxPool, AveragePool, LpPool and the global pools (ONNX,
 * channels first). Attributes are gated by the op version that introduced them;
 * output sizes and pads come from padding.c through cg_window_resolve_node. */
#include "ops/families.h"
#include "ops/window_attrs.h"

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

/* Versions from the ONNX operator docs: MaxPool 1, 8, 10, 11, 12, 22; AveragePool
 * 1, 7, 10, 11, 19, 22; LpPool 1, 2, 11, 18, 22; GlobalAveragePool and
 * GlobalMaxPool 1, 22. Differences between versions are read from ctx->opset. */
const cg_op_def cg_ops_pool[] = {
    {"", "MaxPool", 1, infer_max_pool},
    {"", "MaxPool", 8, infer_max_pool},
    {"", "MaxPool", 10, infer_max_pool},
    {"", "MaxPool", 11, infer_max_pool},
    {"", "MaxPool", 12, infer_max_pool},
    {"", "MaxPool", 22, infer_max_pool},
    {"", "AveragePool", 1, infer_average_pool},
    {"", "AveragePool", 7, infer_average_pool},
    {"", "AveragePool", 10, infer_average_pool},
    {"", "AveragePool", 11, infer_average_pool},
    {"", "AveragePool", 19, infer_average_pool},
    {"", "AveragePool", 22, infer_average_pool},
    {"", "LpPool", 1, infer_lp_pool},
    {"", "LpPool", 2, infer_lp_pool},
    {"", "LpPool", 11, infer_lp_pool},
    {"", "LpPool", 18, infer_lp_pool},
    {"", "LpPool", 22, infer_lp_pool},
    {"", "GlobalAveragePool", 1, infer_global_pool},
    {"", "GlobalAveragePool", 22, infer_global_pool},
    {"", "GlobalMaxPool", 1, infer_global_pool},
    {"", "GlobalMaxPool", 22, infer_global_pool},
    {NULL, NULL, 0, NULL},
};
