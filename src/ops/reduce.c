/* Operator family 'reduce': ReduceMean and its siblings (ReduceSum, ReduceMax, ...),
 * which share one shape function. The reduced axes come from the `axes` attribute or,
 * from ReduceSum-13 and the others' version 18, from the optional `axes` input. */
#include <stdbool.h>
#include <string.h>

#include "ops/families.h"

/* The opset from which each reduction takes axes as input 1 (ONNX operator docs:
 * ReduceSum-13, every other Reduce* op 18). */
static const struct {
    const char *op_type;
    int axes_input_since;
} REDUCE_OPS[] = {
    {"ReduceMean", 18}, {"ReduceSum", 13},     {"ReduceMax", 18},       {"ReduceMin", 18},
    {"ReduceProd", 18}, {"ReduceL1", 18},      {"ReduceL2", 18},        {"ReduceLogSum", 18},
    {"ReduceLogSumExp", 18}, {"ReduceSumSquare", 18},
};

static bool axes_is_input(const cg_infer_ctx *c)
{
    for (size_t i = 0; i < sizeof REDUCE_OPS / sizeof REDUCE_OPS[0]; i++)
        if (strcmp(REDUCE_OPS[i].op_type, c->node->op_type) == 0)
            return c->opset >= REDUCE_OPS[i].axes_input_since;
    return false;
}

/* Which input axes are reduced; `known` is false when the axes input's contents are
 * not known at inference time. */
typedef struct reduce_axes {
    bool known;
    bool reduced[CG_MAX_RANK];
} reduce_axes;

/* Marks each listed axis, normalized against rank; repeats are an error. */
static cg_code mark_axes(cg_infer_ctx *c, const int64_t *axes, int n, int rank, reduce_axes *ra)
{
    for (int i = 0; i < n; i++) {
        int a;
        cg_code rc = cg_ctx_axis(c, axes[i], rank, &a);
        if (rc != CG_OK)
            return rc;
        if (ra->reduced[a])
            return cg_ctx_fail(c, "axes lists axis %d more than once", a);
        ra->reduced[a] = true;
    }
    return CG_OK;
}

static void mark_all(int rank, reduce_axes *ra)
{
    for (int d = 0; d < rank; d++)
        ra->reduced[d] = true;
}

/* ReduceSum-13, ReduceMean-18, ...: axes is input 1 (int64, 1-D); when empty or absent,
 * every axis is reduced unless noop_with_empty_axes=1 (ONNX ReduceSum-13 docs). */
static cg_code axes_from_input(cg_infer_ctx *c, int rank, reduce_axes *ra)
{
    const cg_value *v = cg_ctx_in(c, 1);
    bool noop = cg_attr_int(c->node, "noop_with_empty_axes", 0) != 0;
    if (v && v->dtype != CG_UNDEFINED && v->dtype != CG_INT64)
        return cg_ctx_fail(c, "axes '%s' must be int64, got %s", v->name, cg_dtype_name(v->dtype));
    if (v && v->shape.rank > 1)
        return cg_ctx_fail(c, "axes '%s' must be 1-D, got rank %d", v->name, v->shape.rank);
    const cg_tensor *t = cg_ctx_in_data(c, 1);
    bool empty = !v || (v->shape.rank == 1 && cg_dim_is_known(v->shape.d[0]) && v->shape.d[0].v == 0);
    if (!empty && !t) {
        ra->known = false;
        return CG_OK;
    }
    if (empty || t->numel == 0) {
        if (!noop)
            mark_all(rank, ra);
        return CG_OK;
    }
    if (t->numel > CG_MAX_RANK)
        return cg_ctx_fail(c, "axes '%s' has %lld entries but the input has rank %d", v->name,
                           (long long)t->numel, rank);
    int64_t axes[CG_MAX_RANK];
    for (int64_t i = 0; i < t->numel; i++)
        axes[i] = cg_tensor_get_i64(t, i);
    return mark_axes(c, axes, (int)t->numel, rank, ra);
}

/* Earlier versions: the `axes` attribute; absent means every axis. */
static cg_code axes_from_attr(cg_infer_ctx *c, int rank, reduce_axes *ra)
{
    int n;
    const int64_t *axes = cg_attr_ints(c->node, "axes", &n);
    if (!axes || n == 0) {
        mark_all(rank, ra);
        return CG_OK;
    }
    return mark_axes(c, axes, n, rank, ra);
}

/* Reduced axes become 1 with keepdims=1 (default) and disappear with keepdims=0. */
static cg_shape reduced_shape(const cg_shape *in, const reduce_axes *ra, bool keepdims)
{
    cg_shape out = {0};
    for (int d = 0; d < in->rank; d++) {
        if (!ra->known && keepdims)
            out.d[out.rank++] = cg_dim_unknown(); /* which dims survive is not known */
        else if (!ra->reduced[d])
            out.d[out.rank++] = in->d[d];
        else if (keepdims)
            out.d[out.rank++] = cg_dim_known(1);
    }
    if (!ra->known && !keepdims)
        return cg_shape_unknown();
    return out;
}

/* Axes moved from an attribute to input 1; each version knows only its own. */
static cg_code check_axes_source(cg_infer_ctx *c, bool from_input)
{
    if (!from_input && c->node->n_inputs > 1)
        return cg_ctx_fail(c, "takes axes as an attribute at opset %lld, got %d inputs", (long long)c->opset,
                           c->node->n_inputs);
    if (from_input && cg_node_attr(c->node, "axes"))
        return cg_ctx_fail(c, "takes axes as input 1 at opset %lld, not as an attribute", (long long)c->opset);
    return CG_OK;
}

static cg_code infer_reduce(cg_infer_ctx *c)
{
    bool from_input = axes_is_input(c);
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = check_axes_source(c, from_input);
    if (rc != CG_OK)
        return rc;
    const cg_value *x = cg_ctx_in(c, 0);
    if (x->dtype != CG_UNDEFINED && !cg_dtype_is_float(x->dtype) && !cg_dtype_is_int(x->dtype))
        return cg_ctx_fail(c, "input '%s' has type %s; expected a numeric type", x->name, cg_dtype_name(x->dtype));
    bool keepdims = cg_attr_int(c->node, "keepdims", 1) != 0;
    cg_shape out = cg_shape_unknown();
    if (x->shape.rank >= 0) {
        reduce_axes ra = {.known = true};
        rc = from_input ? axes_from_input(c, x->shape.rank, &ra) : axes_from_attr(c, x->shape.rank, &ra);
        if (rc != CG_OK)
            return rc;
        out = reduced_shape(&x->shape, &ra, keepdims);
    }
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &out);
    return CG_OK;
}

/* One entry per since-version (ONNX operator docs); the version that moves axes to an
 * input is registered too. ReduceMax/ReduceMin-20 (bool inputs) are not. */
const cg_op_def cg_ops_reduce[] = {
    {"", "ReduceMean", 1, infer_reduce},       {"", "ReduceMean", 11, infer_reduce},
    {"", "ReduceMean", 13, infer_reduce},      {"", "ReduceMean", 18, infer_reduce},
    {"", "ReduceSum", 1, infer_reduce},        {"", "ReduceSum", 11, infer_reduce},
    {"", "ReduceSum", 13, infer_reduce},       {"", "ReduceMax", 1, infer_reduce},
    {"", "ReduceMax", 11, infer_reduce},       {"", "ReduceMax", 12, infer_reduce},
    {"", "ReduceMax", 13, infer_reduce},       {"", "ReduceMax", 18, infer_reduce},
    {"", "ReduceMin", 1, infer_reduce},        {"", "ReduceMin", 11, infer_reduce},
    {"", "ReduceMin", 12, infer_reduce},       {"", "ReduceMin", 13, infer_reduce},
    {"", "ReduceMin", 18, infer_reduce},       {"", "ReduceProd", 1, infer_reduce},
    {"", "ReduceProd", 11, infer_reduce},      {"", "ReduceProd", 13, infer_reduce},
    {"", "ReduceProd", 18, infer_reduce},      {"", "ReduceL1", 1, infer_reduce},
    {"", "ReduceL1", 11, infer_reduce},        {"", "ReduceL1", 13, infer_reduce},
    {"", "ReduceL1", 18, infer_reduce},        {"", "ReduceL2", 1, infer_reduce},
    {"", "ReduceL2", 11, infer_reduce},        {"", "ReduceL2", 13, infer_reduce},
    {"", "ReduceL2", 18, infer_reduce},        {"", "ReduceLogSum", 1, infer_reduce},
    {"", "ReduceLogSum", 11, infer_reduce},    {"", "ReduceLogSum", 13, infer_reduce},
    {"", "ReduceLogSum", 18, infer_reduce},    {"", "ReduceLogSumExp", 1, infer_reduce},
    {"", "ReduceLogSumExp", 11, infer_reduce}, {"", "ReduceLogSumExp", 13, infer_reduce},
    {"", "ReduceLogSumExp", 18, infer_reduce}, {"", "ReduceSumSquare", 1, infer_reduce},
    {"", "ReduceSumSquare", 11, infer_reduce}, {"", "ReduceSumSquare", 13, infer_reduce},
    {"", "ReduceSumSquare", 18, infer_reduce}, {NULL, NULL, 0, NULL},
};
