/* Operator family 'reduce': ReduceMean and its siblings (ReduceSum, ReduceMax, ...),
 * which share one shape function. The reduced axes come from the `axes` attribute or,
 * from ReduceSum-13 and the others' version 18, from the optional `axes` input. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/broadcast.h"
#include "ops/families.h"
#include "convgraph/runtime.h"

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


/* ---- kernels ---- */

typedef enum reduce_kind {
    RED_SUM, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_L1, RED_L2, RED_LOG_SUM, RED_LOG_SUM_EXP,
    RED_SUM_SQUARE,
} reduce_kind;

static const struct {
    const char *op_type;
    reduce_kind kind;
} REDUCE_KINDS[] = {
    {"ReduceSum", RED_SUM},   {"ReduceMean", RED_MEAN},     {"ReduceMax", RED_MAX},
    {"ReduceMin", RED_MIN},   {"ReduceProd", RED_PROD},     {"ReduceL1", RED_L1},
    {"ReduceL2", RED_L2},     {"ReduceLogSum", RED_LOG_SUM}, {"ReduceLogSumExp", RED_LOG_SUM_EXP},
    {"ReduceSumSquare", RED_SUM_SQUARE},
};

static bool find_reduce_kind(const char *op_type, reduce_kind *k)
{
    for (size_t i = 0; i < sizeof REDUCE_KINDS / sizeof REDUCE_KINDS[0]; i++)
        if (strcmp(REDUCE_KINDS[i].op_type, op_type) == 0) {
            *k = REDUCE_KINDS[i].kind;
            return true;
        }
    return false;
}

/* Which axes the run reduces, from the attribute or (newer versions) input 1, with
 * the same rules as the shape function; `all` when none are listed unless
 * noop_with_empty_axes=1 (then nothing is reduced: the op copies). */
static cg_code kernel_axes(cg_run_ctx *c, int rank, bool reduced[CG_MAX_RANK])
{
    int n = 0;
    int64_t axes[CG_MAX_RANK];
    const cg_tensor *t = cg_run_in(c, 1);
    if (t) {
        if (t->numel > CG_MAX_RANK || !cg_dtype_is_int(t->dtype))
            return cg_run_fail(c, CG_ERR_INVALID, "axes must be at most %d integers", CG_MAX_RANK);
        for (n = 0; n < (int)t->numel; n++)
            axes[n] = cg_tensor_get_i64(t, n);
    } else {
        const int64_t *a = cg_attr_ints(c->node, "axes", &n);
        if (n > CG_MAX_RANK)
            return cg_run_fail(c, CG_ERR_INVALID, "axes lists %d entries", n);
        for (int i = 0; i < n; i++)
            axes[i] = a[i];
    }
    bool noop = cg_attr_int(c->node, "noop_with_empty_axes", 0) != 0;
    for (int d = 0; d < rank; d++)
        reduced[d] = n == 0 && !noop;
    for (int i = 0; i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (a < 0 || a >= rank)
            return cg_run_fail(c, CG_ERR_INVALID, "axis %lld is out of range for rank %d", (long long)axes[i], rank);
        reduced[a] = true;
    }
    return CG_OK;
}

/* Maps every input element to its output element: the output, viewed with the
 * reduced dims kept as 1, broadcasts onto the input. reduced[] gets the axes. */
static cg_code map_to_output(cg_run_ctx *c, const cg_tensor *x, const cg_tensor *y, cg_bcast *map,
                             bool reduced[CG_MAX_RANK], bool *any)
{
    int64_t kept[CG_MAX_RANK], numel = 1;
    cg_code rc = kernel_axes(c, x->rank, reduced);
    if (rc != CG_OK)
        return rc;
    *any = false;
    for (int d = 0; d < x->rank; d++) {
        *any = *any || reduced[d];
        kept[d] = reduced[d] ? 1 : x->dims[d];
        numel *= kept[d];
    }
    if (numel != y->numel || !cg_bcast_init(map, x->rank, x->dims, x->rank, kept, 0))
        return cg_run_fail(c, CG_ERR_INVALID, "output size %lld does not match the reduction", (long long)y->numel);
    return CG_OK;
}

/* ---- float types: double accumulators ---- */

static double f_init(reduce_kind k)
{
    switch (k) {
    case RED_PROD: return 1;
    case RED_MAX: return -INFINITY;
    case RED_MIN: return INFINITY;
    default: return 0;
    }
}

/* `shift` is the per-output max for LogSumExp (exp(x - max) cannot overflow). */
static double f_step(reduce_kind k, double acc, double x, double shift)
{
    switch (k) {
    case RED_MAX: return isnan(x) || x > acc ? x : acc;
    case RED_MIN: return isnan(x) || x < acc ? x : acc;
    case RED_PROD: return acc * x;
    case RED_L1: return acc + fabs(x);
    case RED_L2:
    case RED_SUM_SQUARE: return acc + x * x;
    case RED_LOG_SUM_EXP: return acc + exp(x - shift);
    default: return acc + x; /* SUM, MEAN, LOG_SUM */
    }
}

static double f_finish(reduce_kind k, double acc, int64_t count, double shift)
{
    switch (k) {
    case RED_MEAN: return acc / (double)count;
    case RED_L2: return sqrt(acc);
    case RED_LOG_SUM: return log(acc);
    case RED_LOG_SUM_EXP: return isinf(shift) ? shift : shift + log(acc);
    default: return acc;
    }
}

static void store_float(cg_tensor *t, int64_t i, double v)
{
    if (t->dtype == CG_FLOAT)
        ((float *)t->data)[i] = (float)v;
    else if (t->dtype == CG_DOUBLE)
        ((double *)t->data)[i] = v;
    else
        ((uint16_t *)t->data)[i] = cg_float_to_half((float)v);
}

static void accumulate_f(reduce_kind k, const cg_tensor *x, const cg_bcast *map, double *acc, const double *shift)
{
    cg_bcast_iter it = cg_bcast_begin(map);
    for (int64_t e = 0; e < x->numel; e++, cg_bcast_next(&it))
        acc[it.index] = f_step(k, acc[it.index], cg_tensor_get_f64(x, e), shift ? shift[it.index] : 0);
}

static cg_code reduce_float(cg_run_ctx *c, reduce_kind k, const cg_tensor *x, cg_tensor *y, const cg_bcast *map)
{
    double *acc = malloc((size_t)y->numel * sizeof *acc), *shift = NULL;
    if (!acc)
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory");
    if (k == RED_LOG_SUM_EXP) {
        shift = acc;
        for (int64_t i = 0; i < y->numel; i++)
            shift[i] = -INFINITY;
        accumulate_f(RED_MAX, x, map, shift, NULL);
        acc = malloc((size_t)y->numel * sizeof *acc);
        if (!acc) {
            free(shift);
            return cg_run_fail(c, CG_ERR_NOMEM, "out of memory");
        }
    }
    for (int64_t i = 0; i < y->numel; i++)
        acc[i] = f_init(k);
    accumulate_f(k, x, map, acc, shift);
    int64_t count = y->numel > 0 ? x->numel / y->numel : 0;
    for (int64_t i = 0; i < y->numel; i++)
        store_float(y, i, f_finish(k, acc[i], count, shift ? shift[i] : 0));
    free(acc);
    free(shift);
    return CG_OK;
}

/* ---- integer types: int64 accumulators that wrap instead of overflowing ---- */

static int64_t i_step(reduce_kind k, int64_t acc, int64_t x)
{
    uint64_t ua = (uint64_t)acc, ux = (uint64_t)x;
    switch (k) {
    case RED_MAX: return x > acc ? x : acc;
    case RED_MIN: return x < acc ? x : acc;
    case RED_PROD: return (int64_t)(ua * ux);
    case RED_L1: return (int64_t)(ua + (x < 0 ? 0 - ux : ux));
    case RED_SUM_SQUARE: return (int64_t)(ua + ux * ux);
    default: return (int64_t)(ua + ux); /* SUM, MEAN */
    }
}

static cg_code reduce_int(cg_run_ctx *c, reduce_kind k, const cg_tensor *x, cg_tensor *y, const cg_bcast *map)
{
    if (k == RED_L2 || k == RED_LOG_SUM || k == RED_LOG_SUM_EXP)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    int64_t *acc = malloc((size_t)y->numel * sizeof *acc);
    if (!acc)
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory");
    int64_t init = k == RED_PROD ? 1 : k == RED_MAX ? INT64_MIN : k == RED_MIN ? INT64_MAX : 0;
    for (int64_t i = 0; i < y->numel; i++)
        acc[i] = init;
    cg_bcast_iter it = cg_bcast_begin(map);
    for (int64_t e = 0; e < x->numel; e++, cg_bcast_next(&it))
        acc[it.index] = i_step(k, acc[it.index], cg_tensor_get_i64(x, e));
    int64_t count = y->numel > 0 ? x->numel / y->numel : 0;
    for (int64_t i = 0; i < y->numel; i++) {
        int64_t v = k == RED_MEAN && count > 0 ? acc[i] / count : acc[i]; /* truncates, like int Div */
        if (y->dtype == CG_INT64)
            ((int64_t *)y->data)[i] = v;
        else
            ((int32_t *)y->data)[i] = (int32_t)v; /* wraps (two's complement narrowing) */
    }
    free(acc);
    return CG_OK;
}

/* The fast path of FAST sessions: float32 Sum/Mean/Max/Min over trailing axes
 * (global pooling written as ReduceMean over H and W): each output element
 * reduces one contiguous run of the input, in double as the reference does,
 * without its per-element index mapping. False when the case is another. */
static bool reduce_trailing_f32(cg_run_ctx *c, reduce_kind k, const cg_tensor *x, cg_tensor *y,
                                const bool *reduced)
{
    bool kind_ok = k == RED_SUM || k == RED_MEAN || k == RED_MAX || k == RED_MIN;
    if (c->opts->kernels != CG_KERNELS_FAST || x->dtype != CG_FLOAT || !kind_ok || y->numel == 0)
        return false;
    int first = x->rank;
    while (first > 0 && reduced[first - 1])
        first--;
    for (int d = 0; d < first; d++)
        if (reduced[d])
            return false;
    int64_t inner = x->numel / y->numel;
    const float *in = x->data;
    float *out = y->data;
    for (int64_t o = 0; o < y->numel; o++, in += inner) {
        double acc = f_init(k);
        if (k == RED_SUM || k == RED_MEAN)
            for (int64_t i = 0; i < inner; i++)
                acc += in[i];
        else
            for (int64_t i = 0; i < inner; i++)
                acc = f_step(k, acc, in[i], 0);
        out[o] = (float)f_finish(k, acc, inner, 0);
    }
    return true;
}

static cg_code run_reduce(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    reduce_kind k;
    cg_bcast map;
    if (!x || !y || !find_reduce_kind(c->node->op_type, &k))
        return cg_run_fail(c, CG_ERR_INVALID, "missing input or output");
    if (y->dtype != x->dtype)
        return cg_run_fail(c, CG_ERR_INVALID, "output type differs from the input's");
    bool is_float = x->dtype == CG_FLOAT || x->dtype == CG_DOUBLE || x->dtype == CG_FLOAT16;
    if (!is_float && x->dtype != CG_INT32 && x->dtype != CG_INT64)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    bool any_reduced;
    bool reduced[CG_MAX_RANK];
    cg_code rc = map_to_output(c, x, y, &map, reduced, &any_reduced);
    if (rc != CG_OK || y->numel == 0)
        return rc;
    /* noop_with_empty_axes=1 and no axes: "the output tensor would be equivalent to
     * input tensor" (ReduceSum-13 docs). A reduced axis of size 1 still squares etc. */
    if (!any_reduced) {
        cg_bcast_copy(y, x, &map);
        return CG_OK;
    }
    if (reduce_trailing_f32(c, k, x, y, reduced))
        return CG_OK;
    return is_float ? reduce_float(c, k, x, y, &map) : reduce_int(c, k, x, y, &map);
}

/* One entry per since-version (ONNX operator docs); the version that moves axes to an
 * input is registered too. ReduceMax/ReduceMin-20 (bool inputs) are not. */
const cg_op_def cg_ops_reduce[] = {
    {"", "ReduceMean", 1, infer_reduce, run_reduce},       {"", "ReduceMean", 11, infer_reduce, run_reduce},
    {"", "ReduceMean", 13, infer_reduce, run_reduce},      {"", "ReduceMean", 18, infer_reduce, run_reduce},
    {"", "ReduceSum", 1, infer_reduce, run_reduce},        {"", "ReduceSum", 11, infer_reduce, run_reduce},
    {"", "ReduceSum", 13, infer_reduce, run_reduce},       {"", "ReduceMax", 1, infer_reduce, run_reduce},
    {"", "ReduceMax", 11, infer_reduce, run_reduce},       {"", "ReduceMax", 12, infer_reduce, run_reduce},
    {"", "ReduceMax", 13, infer_reduce, run_reduce},       {"", "ReduceMax", 18, infer_reduce, run_reduce},
    {"", "ReduceMin", 1, infer_reduce, run_reduce},        {"", "ReduceMin", 11, infer_reduce, run_reduce},
    {"", "ReduceMin", 12, infer_reduce, run_reduce},       {"", "ReduceMin", 13, infer_reduce, run_reduce},
    {"", "ReduceMin", 18, infer_reduce, run_reduce},       {"", "ReduceProd", 1, infer_reduce, run_reduce},
    {"", "ReduceProd", 11, infer_reduce, run_reduce},      {"", "ReduceProd", 13, infer_reduce, run_reduce},
    {"", "ReduceProd", 18, infer_reduce, run_reduce},      {"", "ReduceL1", 1, infer_reduce, run_reduce},
    {"", "ReduceL1", 11, infer_reduce, run_reduce},        {"", "ReduceL1", 13, infer_reduce, run_reduce},
    {"", "ReduceL1", 18, infer_reduce, run_reduce},        {"", "ReduceL2", 1, infer_reduce, run_reduce},
    {"", "ReduceL2", 11, infer_reduce, run_reduce},        {"", "ReduceL2", 13, infer_reduce, run_reduce},
    {"", "ReduceL2", 18, infer_reduce, run_reduce},        {"", "ReduceLogSum", 1, infer_reduce, run_reduce},
    {"", "ReduceLogSum", 11, infer_reduce, run_reduce},    {"", "ReduceLogSum", 13, infer_reduce, run_reduce},
    {"", "ReduceLogSum", 18, infer_reduce, run_reduce},    {"", "ReduceLogSumExp", 1, infer_reduce, run_reduce},
    {"", "ReduceLogSumExp", 11, infer_reduce, run_reduce}, {"", "ReduceLogSumExp", 13, infer_reduce, run_reduce},
    {"", "ReduceLogSumExp", 18, infer_reduce, run_reduce}, {"", "ReduceSumSquare", 1, infer_reduce, run_reduce},
    {"", "ReduceSumSquare", 11, infer_reduce, run_reduce}, {"", "ReduceSumSquare", 13, infer_reduce, run_reduce},
    {"", "ReduceSumSquare", 18, infer_reduce, run_reduce}, {NULL, NULL, 0, NULL, NULL},
};
