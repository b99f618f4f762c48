/* Operator family 'elementwise': Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean share
 * one broadcasting shape function, which also folds tiny known constants and carries
 * shape arithmetic (`H*2`) through shape subgraphs; PRelu broadcasts its slope onto X. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ops/families.h"

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
    case ARITH_MAX: return a > b ? a : b;
    case ARITH_MIN: return a < b ? a : b;
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

/* One entry per since-version (ONNX operator docs, opsets up to 17). */
const cg_op_def cg_ops_elementwise[] = {
    {"", "Add", 1, infer_elementwise},   {"", "Add", 6, infer_elementwise},
    {"", "Add", 7, infer_elementwise},   {"", "Add", 13, infer_elementwise},
    {"", "Add", 14, infer_elementwise},  {"", "Sub", 1, infer_elementwise},
    {"", "Sub", 6, infer_elementwise},   {"", "Sub", 7, infer_elementwise},
    {"", "Sub", 13, infer_elementwise},  {"", "Sub", 14, infer_elementwise},
    {"", "Mul", 1, infer_elementwise},   {"", "Mul", 6, infer_elementwise},
    {"", "Mul", 7, infer_elementwise},   {"", "Mul", 13, infer_elementwise},
    {"", "Mul", 14, infer_elementwise},  {"", "Div", 1, infer_elementwise},
    {"", "Div", 6, infer_elementwise},   {"", "Div", 7, infer_elementwise},
    {"", "Div", 13, infer_elementwise},  {"", "Div", 14, infer_elementwise},
    {"", "Pow", 1, infer_elementwise},   {"", "Pow", 7, infer_elementwise},
    {"", "Pow", 12, infer_elementwise},  {"", "Pow", 13, infer_elementwise},
    {"", "Pow", 15, infer_elementwise},  {"", "Max", 1, infer_elementwise},
    {"", "Max", 6, infer_elementwise},   {"", "Max", 8, infer_elementwise},
    {"", "Max", 12, infer_elementwise},  {"", "Max", 13, infer_elementwise},
    {"", "Min", 1, infer_elementwise},   {"", "Min", 6, infer_elementwise},
    {"", "Min", 8, infer_elementwise},   {"", "Min", 12, infer_elementwise},
    {"", "Min", 13, infer_elementwise},  {"", "Sum", 1, infer_elementwise},
    {"", "Sum", 6, infer_elementwise},   {"", "Sum", 8, infer_elementwise},
    {"", "Sum", 13, infer_elementwise},  {"", "Mean", 1, infer_elementwise},
    {"", "Mean", 6, infer_elementwise},  {"", "Mean", 8, infer_elementwise},
    {"", "Mean", 13, infer_elementwise}, {"", "PRelu", 1, infer_prelu},
    {"", "PRelu", 6, infer_prelu},       {"", "PRelu", 7, infer_prelu},
    {"", "PRelu", 9, infer_prelu},       {"", "PRelu", 16, infer_prelu},
    {NULL, NULL, 0, NULL},
};
