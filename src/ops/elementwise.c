/* Operator family 'elementwise': Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean share
 * one broadcasting shape function, which also folds tiny known constants and carries
 * shape arithmetic (`H*2`) through shape subgraphs; PRelu broadcasts its slope onto X. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/broadcast.h"
#include "ops/elem_convert.h"
#include "ops/families.h"
#include "ops/fast_elementwise.h"

/* Known inputs and outputs up to this many elements are computed at inference time. */
#define FOLD_MAX_NUMEL 64
/* Longest int64 vector carried element by element (shape subgraphs). */
#define DIMVALS_MAX 64
#define SHAPE_TEXT 256

typedef enum arith {
    ARITH_ADD,
    ARITH_SUB,
    ARITH_MUL,
    ARITH_DIV,
    ARITH_POW,
    ARITH_MAX,
    ARITH_MIN,
    ARITH_MEAN, /* summed like ARITH_ADD, divided by the input count at the end */
} arith;

typedef struct elementwise_op {
    const char *op_type;
    arith kind;
    int numpy_since; /* first opset with numpy (multidirectional) broadcasting */
    bool variadic;
} elementwise_op;

/* Numpy broadcasting from Add/Sub/Mul/Div/Pow-7 and Max/Min/Sum/Mean-8 (ONNX operator docs). */
static const elementwise_op ELEMENTWISE_OPS[] = {
    {"Add", ARITH_ADD, 7, false}, {"Sub", ARITH_SUB, 7, false}, {"Mul", ARITH_MUL, 7, false},
    {"Div", ARITH_DIV, 7, false}, {"Pow", ARITH_POW, 7, false}, {"Max", ARITH_MAX, 8, true},
    {"Min", ARITH_MIN, 8, true},  {"Sum", ARITH_ADD, 8, true},  {"Mean", ARITH_MEAN, 8, true},
};

/* Output shape, plus where input 1 sits inside it under the legacy (opset < 7)
 * `broadcast`/`axis` rule; -1 means numpy alignment (right-aligned). */
typedef struct layout {
    cg_shape out;
    int b_start;
} layout;

static const elementwise_op *find_elementwise(const char *op_type)
{
    for (size_t i = 0; i < sizeof ELEMENTWISE_OPS / sizeof ELEMENTWISE_OPS[0]; i++)
        if (strcmp(ELEMENTWISE_OPS[i].op_type, op_type) == 0)
            return &ELEMENTWISE_OPS[i];
    return NULL;
}

static const char *shape_text(const cg_shape *s, char buf[SHAPE_TEXT])
{
    cg_shape_format(s, buf, SHAPE_TEXT);
    return buf;
}

static cg_code fail_shapes(cg_infer_ctx *c, const cg_shape *a, const cg_shape *b, const char *why)
{
    char sa[SHAPE_TEXT], sb[SHAPE_TEXT];
    return cg_ctx_fail(c, "shapes %s and %s cannot broadcast%s", shape_text(a, sa), shape_text(b, sb), why);
}

/* Two dims that must be equal: false when both are known and differ; otherwise
 * the better-known of the two. */
static bool merge_dims(cg_dim a, cg_dim b, cg_dim *out)
{
    if (cg_dim_is_known(a) && cg_dim_is_known(b)) {
        *out = a;
        return a.v == b.v;
    }
    *out = cg_dim_is_known(b) || cg_dim_is_unknown(a) ? b : a;
    return true;
}

/* ---- checks and shapes ---- */

static cg_code check_arity(cg_infer_ctx *c, const elementwise_op *op)
{
    int n = c->node->n_inputs;
    if (op->variadic ? n < 1 : n != 2)
        return cg_ctx_fail(c, "takes %s inputs, got %d", op->variadic ? "1 or more" : "2", n);
    return cg_ctx_require_inputs(c, n);
}

/* All inputs share one type, except Pow's exponent from opset 12 (Pow-12 spec: T1). */
static cg_code check_dtypes(cg_infer_ctx *c, const elementwise_op *op, cg_dtype *out)
{
    int n = c->node->n_inputs;
    if (op->kind == ARITH_POW && c->opset >= 12)
        n = 1;
    const cg_value *first = NULL;
    for (int i = 0; i < n; i++) {
        const cg_value *v = cg_ctx_in(c, i);
        if (v->dtype == CG_UNDEFINED)
            continue; /* produced by an unsupported op: nothing to check against */
        if (first && v->dtype != first->dtype)
            return cg_ctx_fail(c, "inputs '%s' (%s) and '%s' (%s) must have the same type", first->name,
                               cg_dtype_name(first->dtype), v->name, cg_dtype_name(v->dtype));
        if (!first)
            first = v;
    }
    *out = first ? first->dtype : CG_UNDEFINED;
    return CG_OK;
}

/* Multidirectional numpy broadcasting over all inputs (ONNX Broadcasting.md). */
static cg_code layout_numpy(cg_infer_ctx *c, layout *lay)
{
    lay->out = cg_ctx_in(c, 0)->shape;
    lay->b_start = -1;
    for (int i = 1; i < c->node->n_inputs; i++) {
        cg_shape acc = lay->out;
        cg_code rc = cg_ctx_broadcast(c, &acc, &cg_ctx_in(c, i)->shape, &lay->out);
        if (rc != CG_OK)
            return rc;
    }
    return CG_OK;
}

/* Max/Min/Sum/Mean before opset 8: "All inputs and outputs must have the same shape"
 * (ONNX Max-6 spec). */
static cg_code layout_same_shape(cg_infer_ctx *c, layout *lay)
{
    lay->out = cg_ctx_in(c, 0)->shape;
    lay->b_start = -1;
    for (int i = 1; i < c->node->n_inputs; i++) {
        const cg_shape *s = &cg_ctx_in(c, i)->shape;
        if (s->rank < 0)
            continue;
        if (lay->out.rank < 0) {
            lay->out = *s;
            continue;
        }
        cg_shape merged = lay->out;
        bool same = merged.rank == s->rank;
        for (int d = 0; same && d < s->rank; d++)
            same = merge_dims(merged.d[d], s->d[d], &merged.d[d]);
        if (!same)
            return fail_shapes(c, &lay->out, s, " (before opset 8 all inputs must have the same shape)");
        lay->out = merged;
    }
    return CG_OK;
}

/* Where B's dims start inside A's under the legacy rule: at `axis`, else as a suffix;
 * without broadcast=1 the shapes must match (ONNX Add-1/Add-6 spec text). */
static cg_code legacy_b_start(cg_infer_ctx *c, const cg_shape *a, const cg_shape *b, int *start)
{
    const cg_attr *axis = cg_node_attr(c->node, "axis");
    if (cg_attr_int(c->node, "broadcast", 0) == 0) {
        *start = 0;
        return a->rank == b->rank ? CG_OK : fail_shapes(c, a, b, " (broadcast=0 requires equal shapes)");
    }
    if (b->rank > a->rank)
        return fail_shapes(c, a, b, " (legacy broadcast: B has more dims than A)");
    *start = a->rank - b->rank;
    if (!axis || cg_shape_numel(b) == 1) /* a 1-element B fits anywhere */
        return CG_OK;
    cg_code rc = cg_ctx_axis(c, axis->i, a->rank, start);
    if (rc == CG_OK && *start + b->rank > a->rank)
        return fail_shapes(c, a, b, " (legacy broadcast: B does not fit at axis)");
    return rc;
}

/* Add/Sub/Mul/Div/Pow before opset 7: B lines up with a contiguous run of A's dims;
 * each of B's dims equals A's or is 1 (size-1 expansion, as in onnx's pytorch-operator
 * test_operator_add_size1_broadcast). The output has A's shape. */
static cg_code layout_legacy(cg_infer_ctx *c, layout *lay)
{
    const cg_shape *a = &cg_ctx_in(c, 0)->shape, *b = &cg_ctx_in(c, 1)->shape;
    lay->out = *a;
    lay->b_start = -1;
    if (a->rank < 0 || b->rank < 0)
        return CG_OK;
    cg_code rc = legacy_b_start(c, a, b, &lay->b_start);
    if (rc != CG_OK)
        return rc;
    bool bcast = cg_attr_int(c->node, "broadcast", 0) != 0;
    for (int j = 0; j < b->rank; j++) {
        cg_dim *o = &lay->out.d[lay->b_start + j];
        if (bcast && cg_dim_is_known(b->d[j]) && b->d[j].v == 1)
            continue;
        if (!merge_dims(*o, b->d[j], o))
            return fail_shapes(c, a, b, bcast ? " (legacy broadcast)" : " (broadcast=0 requires equal shapes)");
    }
    return CG_OK;
}

static cg_code infer_layout(cg_infer_ctx *c, const elementwise_op *op, layout *lay)
{
    if (c->opset >= op->numpy_since)
        return layout_numpy(c, lay);
    return op->variadic ? layout_same_shape(c, lay) : layout_legacy(c, lay);
}

/* ---- constant folding ---- */

static bool fold_dtype(cg_dtype t)
{
    return t == CG_FLOAT || t == CG_DOUBLE || t == CG_FLOAT16 || t == CG_INT32 || t == CG_INT64;
}

static int input_start(const layout *lay, int i, const cg_tensor *in)
{
    return i == 1 && lay->b_start >= 0 ? lay->b_start : lay->out.rank - in->rank;
}

/* Known contents must agree with the inferred layout before they are indexed. */
static bool fits_layout(const cg_tensor *in, int start, const cg_shape *out)
{
    if (start < 0 || start + in->rank > out->rank)
        return false;
    for (int j = 0; j < in->rank; j++)
        if (in->dims[j] != 1 && in->dims[j] != out->d[start + j].v)
            return false;
    return true;
}

static bool foldable(const cg_infer_ctx *c, const layout *lay, cg_dtype t)
{
    int64_t numel = cg_shape_numel(&lay->out);
    if (!fold_dtype(t) || numel < 0 || numel > FOLD_MAX_NUMEL)
        return false;
    for (int i = 0; i < c->node->n_inputs; i++) {
        const cg_tensor *d = cg_ctx_in_data(c, i);
        if (!d || d->numel > FOLD_MAX_NUMEL || !fits_layout(d, input_start(lay, i, d), &lay->out))
            return false;
    }
    return true;
}

/* Flat index into input `in` for output element e; `start` is the output axis that
 * the input's first axis lines up with, and size-1 axes repeat. */
static int64_t source_index(const cg_tensor *in, int start, const cg_shape *out, int64_t e)
{
    int64_t coord[CG_MAX_RANK];
    for (int d = out->rank - 1; d >= 0; d--) {
        coord[d] = e % out->d[d].v;
        e /= out->d[d].v;
    }
    int64_t idx = 0;
    for (int j = 0; j < in->rank; j++)
        idx = idx * in->dims[j] + (in->dims[j] == 1 ? 0 : coord[start + j]);
    return idx;
}

static double combine_f64(arith k, double a, double b)
{
    switch (k) {
    case ARITH_SUB: return a - b;
    case ARITH_MUL: return a * b;
    case ARITH_DIV: return a / b;
    case ARITH_POW: return pow(a, b);
    /* NaN propagates through Max/Min, as in numpy and onnxruntime. */
    case ARITH_MAX: return isnan(a) || isnan(b) ? a + b : a > b ? a : b;
    case ARITH_MIN: return isnan(a) || isnan(b) ? a + b : a < b ? a : b;
    default: return a + b; /* ADD, MEAN */
    }
}

/* a^b by squaring; false on overflow or a negative exponent. */
static bool pow_i64(int64_t a, int64_t b, int64_t *r)
{
    int64_t acc = 1;
    if (b < 0)
        return false;
    while (b > 0) {
        if ((b & 1) && cg_mul_overflows(acc, a, &acc))
            return false;
        b >>= 1;
        if (b > 0 && cg_mul_overflows(a, a, &a))
            return false;
    }
    *r = acc;
    return true;
}

/* Integer arithmetic; false when the result is not representable (overflow, division
 * by zero), in which case the node is simply not folded. Div truncates (C, ONNX
 * runtimes). */
static bool combine_i64(arith k, int64_t a, int64_t b, int64_t *r)
{
    switch (k) {
    case ARITH_SUB:
        return b != INT64_MIN && !cg_add_overflows(a, -b, r);
    case ARITH_MUL:
        return !cg_mul_overflows(a, b, r);
    case ARITH_DIV:
        if (b == 0 || (a == INT64_MIN && b == -1))
            return false;
        *r = a / b;
        return true;
    case ARITH_POW: return pow_i64(a, b, r);
    case ARITH_MAX: *r = a > b ? a : b; return true;
    case ARITH_MIN: *r = a < b ? a : b; return true;
    default: return !cg_add_overflows(a, b, r); /* ADD, MEAN */
    }
}

static void store_f64(cg_tensor *t, int64_t i, double v)
{
    if (t->dtype == CG_DOUBLE)
        ((double *)t->data)[i] = v;
    else if (t->dtype == CG_FLOAT)
        ((float *)t->data)[i] = (float)v;
    else
        ((uint16_t *)t->data)[i] = cg_float_to_half((float)v);
}

static bool store_i64(cg_tensor *t, int64_t i, int64_t v)
{
    if (t->dtype == CG_INT64) {
        ((int64_t *)t->data)[i] = v;
        return true;
    }
    if (v < INT32_MIN || v > INT32_MAX)
        return false;
    ((int32_t *)t->data)[i] = (int32_t)v;
    return true;
}

/* Computes output element e into r; false when it is not representable. */
static bool fold_element(const cg_infer_ctx *c, arith kind, const layout *lay, int64_t e, cg_tensor *r)
{
    int n = c->node->n_inputs;
    bool is_int = cg_dtype_is_int(r->dtype);
    double f = 0;
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        const cg_tensor *in = cg_ctx_in_data(c, i);
        int64_t idx = source_index(in, input_start(lay, i, in), &lay->out, e);
        if (!is_int) {
            double x = cg_tensor_get_f64(in, idx);
            f = i == 0 ? x : combine_f64(kind, f, x);
            continue;
        }
        if (!cg_dtype_is_int(in->dtype))
            return false; /* Pow-12: an integer base with a float exponent */
        int64_t x = cg_tensor_get_i64(in, idx);
        if (i == 0)
            v = x;
        else if (!combine_i64(kind, v, x, &v))
            return false;
    }
    if (!is_int) {
        store_f64(r, e, kind == ARITH_MEAN ? f / n : f);
        return true;
    }
    return store_i64(r, e, kind == ARITH_MEAN ? v / n : v);
}

/* Computes a tiny output whose inputs are all known; leaves the output's contents
 * unknown when any element is not representable. */
static cg_code fold(cg_infer_ctx *c, arith kind, const layout *lay, cg_dtype t)
{
    int64_t dims[CG_MAX_RANK];
    for (int d = 0; d < lay->out.rank; d++)
        dims[d] = lay->out.d[d].v;
    cg_tensor *r = cg_tensor_new(t, lay->out.rank, dims, c->st);
    if (!r)
        return c->st ? c->st->code : CG_ERR_NOMEM;
    for (int64_t e = 0; e < r->numel; e++) {
        if (!fold_element(c, kind, lay, e, r)) {
            cg_tensor_free(r);
            return CG_OK;
        }
    }
    cg_ctx_set_out_data(c, 0, r);
    return CG_OK;
}

/* ---- shape arithmetic ---- */

/* Integer arithmetic with a negative operand (cg_dim_of_i64 literals such as
 * Reshape's -1); ONNX int Div truncates like C. Unknown on overflow or x/0. */
static cg_dim literal_arith(cg_strpool *p, arith k, int64_t x, int64_t y)
{
    int64_t r = 0;
    bool bad = false;
    switch (k) {
    case ARITH_ADD: bad = cg_add_overflows(x, y, &r); break;
    case ARITH_SUB: bad = __builtin_sub_overflow(x, y, &r); break;
    case ARITH_MUL: bad = cg_mul_overflows(x, y, &r); break;
    default:
        bad = y == 0 || (x == INT64_MIN && y == -1);
        r = bad ? 0 : x / y;
    }
    return bad ? cg_dim_unknown() : cg_dim_of_i64(p, r);
}

static cg_dim dim_arith(cg_strpool *p, arith k, cg_dim a, cg_dim b)
{
    int64_t x = 0, y = 0;
    bool a_num = cg_dim_to_i64(a, &x), b_num = cg_dim_to_i64(b, &y);
    if (a_num && b_num && (x < 0 || y < 0))
        return literal_arith(p, k, x, y);
    if (x < 0 || y < 0) /* a negative literal with a symbol: no readable dim */
        return cg_dim_unknown();
    switch (k) {
    case ARITH_ADD: return cg_dim_add(p, a, b);
    case ARITH_SUB: return cg_dim_sub(p, a, b);
    case ARITH_MUL: return cg_dim_mul(p, a, b);
    default: return cg_dim_div_floor(p, a, b); /* int Div truncates: floor for dims >= 0 */
    }
}

/* Add/Sub/Mul/Div of int64 vectors known element by element (e.g. Shape's output)
 * give the output element by element, so `H*2` reaches Reshape and Resize. */
static cg_code propagate_dimvals(cg_infer_ctx *c, const elementwise_op *op, const layout *lay, cg_dtype t)
{
    cg_dim a[DIMVALS_MAX], b[DIMVALS_MAX], r[DIMVALS_MAX];
    int na, nb;
    if (op->variadic || op->kind == ARITH_POW || t != CG_INT64 || lay->out.rank > 1)
        return CG_OK;
    if (!cg_ctx_in_dimvals(c, 0, a, &na, DIMVALS_MAX) || !cg_ctx_in_dimvals(c, 1, b, &nb, DIMVALS_MAX))
        return CG_OK;
    int n = na > nb ? na : nb;
    int64_t numel = cg_shape_numel(&lay->out);
    if ((na != n && na != 1) || (nb != n && nb != 1) || (numel >= 0 && numel != n))
        return CG_OK;
    for (int k = 0; k < n; k++)
        r[k] = dim_arith(c->g->pool, op->kind, a[na == 1 ? 0 : k], b[nb == 1 ? 0 : k]);
    return cg_ctx_set_out_dimvals(c, 0, r, n);
}

static cg_code infer_elementwise(cg_infer_ctx *c)
{
    const elementwise_op *op = find_elementwise(c->node->op_type);
    if (!op)
        return cg_ctx_fail_code(c, CG_ERR_UNSUPPORTED, "not an elementwise op");
    cg_dtype t = CG_UNDEFINED;
    layout lay;
    cg_code rc = check_arity(c, op);
    if (rc == CG_OK)
        rc = check_dtypes(c, op, &t);
    if (rc == CG_OK)
        rc = infer_layout(c, op, &lay);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, t, &lay.out);
    if (foldable(c, &lay, t))
        return fold(c, op->kind, &lay, t);
    return propagate_dimvals(c, op, &lay, t);
}

/* ---- PRelu ---- */

/* Slope must broadcast onto X without changing X's shape (ONNX PRelu-7: "unidirectional
 * broadcastable"). */
static cg_code check_unidirectional(cg_infer_ctx *c, const cg_shape *x, const cg_shape *s)
{
    bool ok = s->rank <= x->rank;
    for (int j = 0; ok && j < s->rank; j++) {
        cg_dim xd = x->d[x->rank - s->rank + j], sd = s->d[j];
        ok = !(cg_dim_is_known(sd) && sd.v != 1 && cg_dim_is_known(xd) && xd.v != sd.v);
    }
    if (ok)
        return CG_OK;
    char sx[SHAPE_TEXT], ss[SHAPE_TEXT];
    return cg_ctx_fail(c, "slope shape %s cannot broadcast to X's shape %s", shape_text(s, ss), shape_text(x, sx));
}

/* Y has X's shape and type; before opset 7 the spec sets no rule for slope's shape. */
static cg_code infer_prelu(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc != CG_OK)
        return rc;
    const cg_value *x = cg_ctx_in(c, 0), *slope = cg_ctx_in(c, 1);
    if (x->dtype != CG_UNDEFINED && slope->dtype != CG_UNDEFINED && x->dtype != slope->dtype)
        return cg_ctx_fail(c, "X '%s' (%s) and slope '%s' (%s) must have the same type", x->name,
                           cg_dtype_name(x->dtype), slope->name, cg_dtype_name(slope->dtype));
    if (c->opset >= 7 && x->shape.rank >= 0 && slope->shape.rank >= 0) {
        rc = check_unidirectional(c, &x->shape, &slope->shape);
        if (rc != CG_OK)
            return rc;
    }
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}


/* ---- kernels ---- */

/* Integer arithmetic for kernels: wraps on overflow like two's-complement hardware
 * (and onnxruntime) instead of invoking C's undefined behaviour; the caller narrows
 * int32 results. Division by zero has no ONNX-defined result (onnxruntime traps);
 * we define it as 0 so a bad input cannot crash the process. */
static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t wrap_mul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }

static int64_t int_div(int64_t a, int64_t b)
{
    if (b == 0)
        return 0;
    if (b == -1) /* INT64_MIN / -1 overflows; negate with wrap-around instead */
        return (int64_t)(0 - (uint64_t)a);
    return a / b; /* C truncates toward zero, as ONNX integer Div does */
}

/* Integer power by squaring with wrap-around; a negative exponent gives 1/a^|b|
 * truncated: 1 for a == 1, +-1 for a == -1, else 0 (0 for 0^-n, see int_div). */
static int64_t int_pow(int64_t a, int64_t b)
{
    if (b < 0)
        return a == 1 ? 1 : a == -1 ? (b % 2 ? -1 : 1) : 0;
    int64_t acc = 1;
    for (; b > 0; b >>= 1) {
        if (b & 1)
            acc = wrap_mul(acc, a);
        a = wrap_mul(a, a);
    }
    return acc;
}

static int64_t combine_int(arith k, int64_t a, int64_t b)
{
    switch (k) {
    case ARITH_SUB: return wrap_add(a, (int64_t)(0 - (uint64_t)b));
    case ARITH_MUL: return wrap_mul(a, b);
    case ARITH_DIV: return int_div(a, b);
    case ARITH_POW: return int_pow(a, b);
    case ARITH_MAX: return a > b ? a : b;
    case ARITH_MIN: return a < b ? a : b;
    default: return wrap_add(a, b); /* ADD, MEAN */
    }
}

/* out[e] = out[e] (op) in[map(e)], out[e] /= n_inputs for the Mean step; one loop
 * stamped per dtype. Float results are computed in double and rounded once, which
 * equals float arithmetic for + - * / (exact double rounding) and is closer for pow. */
#define DEFINE_COMBINE_LOOP(name, T, combine, load, store)                                    \
    static void name(arith k, cg_tensor *out, const cg_tensor *in, const cg_bcast *b)        \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data;                                                                \
        cg_bcast_iter it = cg_bcast_begin(b);                                                 \
        for (int64_t e = 0; e < out->numel; e++, cg_bcast_next(&it))                          \
            o[e] = store(T, combine(k, load(o[e]), load(x[it.index])));                       \
    }                                                                                         \
    static void name##_divide(cg_tensor *out, int n)                                          \
    {                                                                                         \
        T *o = out->data;                                                                     \
        for (int64_t e = 0; e < out->numel; e++)                                              \
            o[e] = store(T, load(o[e]) / n);                                                  \
    }

/* uint64 needs its own arithmetic: its upper half does not fit int64. Wraps like the
 * hardware; x/0 is 0 as for the signed types. */
static uint64_t combine_uint(arith k, uint64_t a, uint64_t b)
{
    uint64_t acc = 1;
    switch (k) {
    case ARITH_SUB: return a - b;
    case ARITH_MUL: return a * b;
    case ARITH_DIV: return b == 0 ? 0 : a / b;
    case ARITH_POW:
        for (; b > 0; b >>= 1, a *= a)
            if (b & 1)
                acc *= a;
        return acc;
    case ARITH_MAX: return a > b ? a : b;
    case ARITH_MIN: return a < b ? a : b;
    default: return a + b; /* ADD, MEAN */
    }
}

DEFINE_COMBINE_LOOP(combine_f32, float, combine_f64, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_d64, double, combine_f64, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_f16, uint16_t, combine_f64, cg_half_to_float, HALF_TO)
DEFINE_COMBINE_LOOP(combine_i32, int32_t, combine_int, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_l64, int64_t, combine_int, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_u64, uint64_t, combine_uint, AS_IS, CAST_TO)
/* Narrower integers: computed in int64 and narrowed, which wraps modulo 2^n exactly
 * as arithmetic in the narrow type would. */
DEFINE_COMBINE_LOOP(combine_i8, int8_t, combine_int, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_u8, uint8_t, combine_int, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_i16, int16_t, combine_int, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_u16, uint16_t, combine_int, AS_IS, CAST_TO)
DEFINE_COMBINE_LOOP(combine_u32, uint32_t, combine_int, AS_IS, CAST_TO)

typedef struct combine_loops {
    cg_dtype dtype;
    void (*combine)(arith, cg_tensor *, const cg_tensor *, const cg_bcast *);
    void (*divide)(cg_tensor *, int);
} combine_loops;

static const combine_loops COMBINE_LOOPS[] = {
    {CG_FLOAT, combine_f32, combine_f32_divide},
    {CG_DOUBLE, combine_d64, combine_d64_divide},
    {CG_INT32, combine_i32, combine_i32_divide},
    {CG_INT64, combine_l64, combine_l64_divide},
    {CG_INT8, combine_i8, combine_i8_divide},
    {CG_UINT8, combine_u8, combine_u8_divide},
    {CG_INT16, combine_i16, combine_i16_divide},
    {CG_UINT16, combine_u16, combine_u16_divide},
    {CG_UINT32, combine_u32, combine_u32_divide},
    {CG_UINT64, combine_u64, combine_u64_divide},
    {CG_FLOAT16, combine_f16, combine_f16_divide},
};

static const combine_loops *find_loops(cg_dtype t)
{
    for (size_t i = 0; i < sizeof COMBINE_LOOPS / sizeof COMBINE_LOOPS[0]; i++)
        if (COMBINE_LOOPS[i].dtype == t)
            return &COMBINE_LOOPS[i];
    return NULL;
}

/* Where input i's first axis sits in the output: right-aligned (numpy), or for B
 * under the legacy opset<7 rule at `axis` (Add-1/6 spec; a 1-element B anywhere). */
static int kernel_input_start(const cg_run_ctx *c, const elementwise_op *op, int i, const cg_tensor *in,
                              int out_rank)
{
    int start = out_rank - in->rank;
    if (i != 1 || op->variadic || c->opset >= op->numpy_since)
        return start;
    if (cg_attr_int(c->node, "broadcast", 0) == 0)
        return 0;
    const cg_attr *axis = cg_node_attr(c->node, "axis");
    if (!axis || in->numel == 1)
        return start;
    return axis->i < 0 ? (int)(axis->i + out_rank) : (int)axis->i;
}

static cg_code map_input(cg_run_ctx *c, const elementwise_op *op, int i, const cg_tensor *out, cg_bcast *b)
{
    const cg_tensor *in = cg_run_in(c, i);
    if (!in)
        return cg_run_fail(c, CG_ERR_INVALID, "input %d is missing", i);
    int start = kernel_input_start(c, op, i, in, out->rank);
    if (cg_bcast_init(b, out->rank, out->dims, in->rank, in->dims, start))
        return CG_OK;
    return cg_run_fail(c, CG_ERR_INVALID, "input %d (rank %d) does not broadcast to the output (rank %d)", i,
                       in->rank, out->rank);
}

/* Pow-12+ with an exponent type other than the base's: element by element through
 * double (integer exponent on an integer base stays exact). A float result outside
 * an integer base's range is stored as 0, since converting it is undefined in C; a
 * uint64 exponent above INT64_MAX on an integer base reads as negative (result 0/+-1). */
static cg_code run_pow_mixed(cg_run_ctx *c, cg_tensor *out, const cg_tensor *x, const cg_tensor *y)
{
    cg_bcast bx, by;
    if (!cg_bcast_init_numpy(&bx, out, x) || !cg_bcast_init_numpy(&by, out, y))
        return cg_run_fail(c, CG_ERR_INVALID, "inputs do not broadcast to the output");
    bool int_base = out->dtype == CG_INT32 || out->dtype == CG_INT64;
    for (int64_t e = 0; e < out->numel; e++) {
        int64_t ix = cg_bcast_index(&bx, e), iy = cg_bcast_index(&by, e);
        double r = pow(cg_tensor_get_f64(x, ix), cg_tensor_get_f64(y, iy));
        int64_t ri = 0;
        if (int_base && cg_dtype_is_int(y->dtype))
            ri = int_pow(cg_tensor_get_i64(x, ix), cg_tensor_get_i64(y, iy));
        else if (int_base && r > -9.2e18 && r < 9.2e18)
            ri = (int64_t)r;
        switch (out->dtype) {
        case CG_FLOAT: ((float *)out->data)[e] = (float)r; break;
        case CG_DOUBLE: ((double *)out->data)[e] = r; break;
        case CG_INT32: ((int32_t *)out->data)[e] = (int32_t)ri; break;
        default: ((int64_t *)out->data)[e] = ri; break;
        }
    }
    return CG_OK;
}

static bool pow_exponent_supported(cg_dtype t)
{
    return t == CG_FLOAT || t == CG_DOUBLE || t == CG_FLOAT16 || cg_dtype_is_int(t);
}

/* Pow-12+ lets the exponent's type differ from the base's (T1 in the Pow-12 docs). */
static cg_code run_pow_mixed_checked(cg_run_ctx *c, cg_tensor *out, const cg_tensor *x, const cg_tensor *y)
{
    cg_dtype t = out->dtype;
    if (t != CG_FLOAT && t != CG_DOUBLE && t != CG_INT32 && t != CG_INT64)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(t));
    if (!pow_exponent_supported(y->dtype))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s exponents are not supported", cg_dtype_name(y->dtype));
    return run_pow_mixed(c, out, x, y);
}

/* Input i, already of the output's type, broadcast into place. */
static cg_code map_same_typed_input(cg_run_ctx *c, const elementwise_op *op, int i, const cg_tensor *out,
                                    cg_bcast *b)
{
    cg_code rc = map_input(c, op, i, out, b);
    if (rc == CG_OK && cg_run_in(c, i)->dtype != out->dtype)
        return cg_run_fail(c, CG_ERR_INVALID, "input %d is %s, output %s", i,
                           cg_dtype_name(cg_run_in(c, i)->dtype), cg_dtype_name(out->dtype));
    return rc;
}

/* Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean: the output starts as input 0
 * broadcast, then each further input is folded in; Mean divides at the end. */
static cg_code run_elementwise(cg_run_ctx *c)
{
    const elementwise_op *op = find_elementwise(c->node->op_type);
    cg_tensor *out = cg_run_out(c, 0);
    const cg_tensor *x = cg_run_in(c, 0), *y = cg_run_in(c, 1);
    if (!op || !out || !x)
        return cg_run_fail(c, CG_ERR_INVALID, "missing input or output");
    /* channels-last storage: a broadcast other than a scalar has no NCHW kernel to fall back on */
    if (cg_node_is_nhwc(c->node) && !cg_nhwc_order_blind(c))
        return cg_nhwc_binary(c);
    if (c->opts->kernels == CG_KERNELS_FAST && cg_fast_binary(c))
        return CG_OK;
    if (op->kind == ARITH_POW && y && y->dtype != out->dtype)
        return run_pow_mixed_checked(c, out, x, y);
    const combine_loops *loops = find_loops(out->dtype);
    if (!loops)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(out->dtype));
    cg_bcast b;
    cg_code rc = map_same_typed_input(c, op, 0, out, &b);
    if (rc != CG_OK)
        return rc;
    cg_bcast_copy(out, x, &b);
    for (int i = 1; i < c->n_in; i++) {
        if ((rc = map_same_typed_input(c, op, i, out, &b)) != CG_OK)
            return rc;
        loops->combine(op->kind, out, cg_run_in(c, i), &b);
    }
    if (op->kind == ARITH_MEAN)
        loops->divide(out, c->n_in);
    return CG_OK;
}

/* PRelu: y = x < 0 ? slope * x : x, slope broadcast onto X (PRelu-7+). Before opset 7
 * no rule is written down; a 1-D slope of X's channel count is taken per channel
 * (axis 1), as the opset-6 era converters emitted it. */
static double mul_f64(double a, double b) { return a * b; }

/* Float products are exact in double before the one rounding; integer ones wrap. */
#define DEFINE_PRELU_LOOP(name, T, mul)                                                       \
    static void name(cg_tensor *out, const cg_tensor *in, const cg_tensor *slope, const cg_bcast *b) \
    {                                                                                         \
        T *o = out->data;                                                                     \
        const T *x = in->data, *s = slope->data;                                              \
        cg_bcast_iter it = cg_bcast_begin(b);                                                 \
        for (int64_t e = 0; e < out->numel; e++, cg_bcast_next(&it))                          \
            o[e] = x[e] < 0 ? (T)mul(s[it.index], x[e]) : x[e];                               \
    }
DEFINE_PRELU_LOOP(prelu_f32, float, mul_f64)
DEFINE_PRELU_LOOP(prelu_f64, double, mul_f64)
DEFINE_PRELU_LOOP(prelu_i32, int32_t, wrap_mul)
DEFINE_PRELU_LOOP(prelu_i64, int64_t, wrap_mul)

static bool map_slope(const cg_tensor *x, const cg_tensor *slope, cg_bcast *b)
{
    if (cg_bcast_init_numpy(b, x, slope))
        return true;
    return slope->rank == 1 && x->rank >= 2 && cg_bcast_init(b, x->rank, x->dims, 1, slope->dims, 1);
}

static cg_code run_prelu(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0), *slope = cg_run_in(c, 1);
    cg_tensor *out = cg_run_out(c, 0);
    cg_bcast b;
    if (!x || !slope || !out)
        return cg_run_fail(c, CG_ERR_INVALID, "missing input or output");
    if (slope->dtype != x->dtype || out->dtype != x->dtype || out->numel != x->numel)
        return cg_run_fail(c, CG_ERR_INVALID, "X, slope and Y must share a type and X's shape");
    if (!map_slope(x, slope, &b))
        return cg_run_fail(c, CG_ERR_INVALID, "slope does not broadcast onto X");
    switch (x->dtype) {
    case CG_FLOAT: prelu_f32(out, x, slope, &b); return CG_OK;
    case CG_DOUBLE: prelu_f64(out, x, slope, &b); return CG_OK;
    case CG_INT32: prelu_i32(out, x, slope, &b); return CG_OK;
    case CG_INT64: prelu_i64(out, x, slope, &b); return CG_OK;
    default: return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported", cg_dtype_name(x->dtype));
    }
}

/* One entry per since-version (ONNX operator docs, opsets up to 17). */
const cg_op_def cg_ops_elementwise[] = {
    {"", "Add", 1, infer_elementwise, run_elementwise},   {"", "Add", 6, infer_elementwise, run_elementwise},
    {"", "Add", 7, infer_elementwise, run_elementwise},   {"", "Add", 13, infer_elementwise, run_elementwise},
    {"", "Add", 14, infer_elementwise, run_elementwise},  {"", "Sub", 1, infer_elementwise, run_elementwise},
    {"", "Sub", 6, infer_elementwise, run_elementwise},   {"", "Sub", 7, infer_elementwise, run_elementwise},
    {"", "Sub", 13, infer_elementwise, run_elementwise},  {"", "Sub", 14, infer_elementwise, run_elementwise},
    {"", "Mul", 1, infer_elementwise, run_elementwise},   {"", "Mul", 6, infer_elementwise, run_elementwise},
    {"", "Mul", 7, infer_elementwise, run_elementwise},   {"", "Mul", 13, infer_elementwise, run_elementwise},
    {"", "Mul", 14, infer_elementwise, run_elementwise},  {"", "Div", 1, infer_elementwise, run_elementwise},
    {"", "Div", 6, infer_elementwise, run_elementwise},   {"", "Div", 7, infer_elementwise, run_elementwise},
    {"", "Div", 13, infer_elementwise, run_elementwise},  {"", "Div", 14, infer_elementwise, run_elementwise},
    {"", "Pow", 1, infer_elementwise, run_elementwise},   {"", "Pow", 7, infer_elementwise, run_elementwise},
    {"", "Pow", 12, infer_elementwise, run_elementwise},  {"", "Pow", 13, infer_elementwise, run_elementwise},
    {"", "Pow", 15, infer_elementwise, run_elementwise},  {"", "Max", 1, infer_elementwise, run_elementwise},
    {"", "Max", 6, infer_elementwise, run_elementwise},   {"", "Max", 8, infer_elementwise, run_elementwise},
    {"", "Max", 12, infer_elementwise, run_elementwise},  {"", "Max", 13, infer_elementwise, run_elementwise},
    {"", "Min", 1, infer_elementwise, run_elementwise},   {"", "Min", 6, infer_elementwise, run_elementwise},
    {"", "Min", 8, infer_elementwise, run_elementwise},   {"", "Min", 12, infer_elementwise, run_elementwise},
    {"", "Min", 13, infer_elementwise, run_elementwise},  {"", "Sum", 1, infer_elementwise, run_elementwise},
    {"", "Sum", 6, infer_elementwise, run_elementwise},   {"", "Sum", 8, infer_elementwise, run_elementwise},
    {"", "Sum", 13, infer_elementwise, run_elementwise},  {"", "Mean", 1, infer_elementwise, run_elementwise},
    {"", "Mean", 6, infer_elementwise, run_elementwise},  {"", "Mean", 8, infer_elementwise, run_elementwise},
    {"", "Mean", 13, infer_elementwise, run_elementwise}, {"", "PRelu", 1, infer_prelu, run_prelu},
    {"", "PRelu", 6, infer_prelu, run_prelu},       {"", "PRelu", 7, infer_prelu, run_prelu},
    {"", "PRelu", 9, infer_prelu, run_prelu},       {"", "PRelu", 16, infer_prelu, run_prelu},
    {NULL, NULL, 0, NULL, NULL},
};
