/* Ops that change the shape but not the element order: Reshape, Flatten,
 * Squeeze, Unsqueeze; plus Transpose and Expand, which reorder or repeat. */
#include <string.h>

#include "ops/broadcast.h"
#include "ops/shape_internal.h"

/* Output 0 = input 0 under shape s: known contents and int vectors follow along. */
static cg_code finish_same_order(cg_infer_ctx *c, const cg_value *in, const cg_shape *s)
{
    cg_ctx_set_out(c, 0, in->dtype, s);
    c->node->macs = 0;
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    if (t)
        return shape_fold_reshape(c, 0, t, s);
    cg_dim d[SHAPE_MAX_VALS];
    int n = 0;
    bool vector = s->rank == 0 || (s->rank == 1 && cg_dim_is_known(s->d[0]));
    if (vector && cg_ctx_in_dimvals(c, 0, d, &n, SHAPE_MAX_VALS) &&
        n == (s->rank == 0 ? 1 : s->d[0].v))
        return shape_set_out_vals(c, 0, in->dtype, s->rank == 0, d, n);
    return CG_OK;
}

/* A shape of `rank` unknown dims (rank < 0: unknown rank). */
static cg_shape unknown_dims(int rank)
{
    cg_shape s = cg_shape_unknown();
    s.rank = rank > CG_MAX_RANK ? -1 : rank;
    for (int k = 0; k < s.rank; k++)
        s.d[k] = cg_dim_unknown();
    return s;
}

/* Length of a 1-D input whose contents are unknown, or -1. */
static int vector_len(const cg_infer_ctx *c, int i)
{
    const cg_value *v = cg_ctx_in(c, i);
    bool ok = v && v->shape.rank == 1 && cg_dim_is_known(v->shape.d[0]);
    if (!ok || v->shape.d[0].v > CG_MAX_RANK)
        return -1;
    return (int)v->shape.d[0].v;
}

/* ---- Reshape ---- */

/* Input dims against target dims (except `skip`): equal symbols cancel, known
 * numbers multiply. ok: every dim was known or symbolic without overflow. */
typedef struct reshape_balance {
    bool ok, in_syms, out_syms;
    int64_t in_known, out_known;
    bool used[CG_MAX_RANK]; /* input symbols cancelled by a target symbol */
} reshape_balance;

/* Multiplies a known dim into acc; false on overflow. Symbols pass untouched;
 * unknown dims fail. */
static bool times(int64_t *acc, cg_dim d)
{
    if (cg_dim_is_unknown(d))
        return false;
    return !cg_dim_is_known(d) || !cg_mul_overflows(*acc, d.v, acc);
}

static reshape_balance balance(const cg_shape *in, const cg_shape *out, int skip)
{
    reshape_balance b = {.ok = false, .in_known = 1, .out_known = 1};
    if (in->rank < 0)
        return b;
    for (int k = 0; k < in->rank; k++)
        if (!times(&b.in_known, in->d[k]))
            return b;
    for (int k = 0; k < out->rank; k++) {
        if (k == skip)
            continue;
        if (!times(&b.out_known, out->d[k]))
            return b;
        if (!cg_dim_is_symbolic(out->d[k]))
            continue;
        int m = 0;
        while (m < in->rank && (b.used[m] || !cg_dim_equal(in->d[m], out->d[k])))
            m++;
        if (m < in->rank)
            b.used[m] = true;
        else
            b.out_syms = true;
    }
    for (int k = 0; k < in->rank; k++)
        b.in_syms |= cg_dim_is_symbolic(in->d[k]) && !b.used[k];
    b.ok = true;
    return b;
}

/* What the -1 stands for: the input's elements over the other target dims. When
 * symbols do not cancel it stays unknown rather than guess; fails only when known
 * numbers cannot match. */
static cg_code infer_minus_one(cg_infer_ctx *c, const cg_shape *in, cg_shape *out, int skip)
{
    reshape_balance b = balance(in, out, skip);
    char sa[160], sb[160];
    cg_dim r = cg_dim_unknown();
    if (b.ok && !b.out_syms && (b.out_known == 0 || (!b.in_syms && b.in_known % b.out_known != 0)))
        return cg_ctx_fail(c, "cannot reshape %s to %s: the -1 cannot be inferred",
                           shape_str(in, sa, sizeof sa), shape_str(out, sb, sizeof sb));
    if (b.ok && !b.out_syms && b.in_known % b.out_known == 0) {
        r = cg_dim_known(b.in_known / b.out_known);
        for (int k = 0; k < in->rank; k++)
            if (cg_dim_is_symbolic(in->d[k]) && !b.used[k])
                r = cg_dim_mul(c->g->pool, r, in->d[k]);
    }
    out->d[skip] = r;
    return CG_OK;
}

/* Without a -1 the element counts must agree wherever they can be compared. */
static cg_code check_counts(cg_infer_ctx *c, const cg_shape *in, const cg_shape *out)
{
    reshape_balance b = balance(in, out, -1);
    char sa[160], sb[160];
    if (!b.ok || b.in_syms || b.out_syms || b.in_known == b.out_known)
        return CG_OK;
    shape_str(in, sa, sizeof sa);
    shape_str(out, sb, sizeof sb);
    if (cg_shape_is_static(in) && cg_shape_is_static(out))
        return cg_ctx_fail(c, "cannot reshape %s (%lld elements) to %s (%lld elements)", sa,
                           (long long)b.in_known, sb, (long long)b.out_known);
    return cg_ctx_fail(c, "cannot reshape %s to %s: the element counts differ", sa, sb);
}

/* Resolves the target's 0s ("the actual dimension value is unchanged (i.e. taken
 * from the input tensor)" unless allowzero) and rejects values below -1. */
static cg_code reshape_dims(cg_infer_ctx *c, const cg_shape *in, const cg_dim *t, int n,
                            bool allowzero, cg_shape *out, int *minus_one)
{
    bool zero = false;
    *minus_one = -1;
    out->rank = n;
    for (int k = 0; k < n; k++) {
        int64_t v;
        out->d[k] = t[k];
        if (!cg_dim_to_i64(t[k], &v))
            continue;
        if (v < -1 || (v == -1 && *minus_one >= 0))
            return cg_ctx_fail(c, "shape element %d is %lld: only one -1 and no other "
                                  "negative value is allowed", k, (long long)v);
        if (v == -1) {
            *minus_one = k;
        } else if (v == 0 && !allowzero) {
            if (in->rank >= 0 && k >= in->rank)
                return cg_ctx_fail(c, "shape element %d is 0 but the input has rank %d", k,
                                   in->rank);
            out->d[k] = in->rank >= 0 ? in->d[k] : cg_dim_unknown();
        }
        zero |= v == 0;
    }
    /* Reshape-14: "it is invalid for the shape tensor to contain both a zero value
     * and -1" when allowzero is set. */
    if (allowzero && zero && *minus_one >= 0)
        return cg_ctx_fail(c, "shape holds both 0 and -1 while allowzero=1");
    return CG_OK;
}

static cg_code reshape_target(cg_infer_ctx *c, cg_dim *t, int *n, bool *known)
{
    *known = true;
    if (c->opset < 5) { /* Reshape-1: "shape" is an attribute */
        int cnt = 0;
        const int64_t *v = cg_attr_ints(c->node, "shape", &cnt);
        if (!v && !cg_node_attr(c->node, "shape"))
            return cg_ctx_fail(c, "missing attribute 'shape'");
        if (cnt > CG_MAX_RANK)
            return shape_check_rank(c, cnt);
        for (int k = 0; k < cnt; k++)
            t[k] = cg_dim_of_i64(c->g->pool, v[k]);
        *n = cnt;
        return CG_OK;
    }
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc != CG_OK)
        return rc;
    *known = shape_in_vals(c, 1, t, n, SHAPE_MAX_VALS);
    return *known ? shape_check_rank(c, *n) : CG_OK;
}

/* ONNX Reshape-1/5/13/14. */
cg_code shape_infer_reshape(cg_infer_ctx *c)
{
    cg_dim t[SHAPE_MAX_VALS];
    int n = 0, minus_one = -1;
    bool known = false;
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = reshape_target(c, t, &n, &known);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    cg_shape out = unknown_dims(known ? n : vector_len(c, 1));
    bool allowzero = c->opset >= 14 && cg_attr_int(c->node, "allowzero", 0) != 0;
    if (known)
        rc = reshape_dims(c, &in->shape, t, n, allowzero, &out, &minus_one);
    if (rc == CG_OK && minus_one >= 0)
        rc = infer_minus_one(c, &in->shape, &out, minus_one);
    if (rc == CG_OK && known && minus_one < 0)
        rc = check_counts(c, &in->shape, &out);
    return rc == CG_OK ? finish_same_order(c, in, &out) : rc;
}

/* ---- Flatten ---- */

static cg_dim dims_product(cg_infer_ctx *c, const cg_shape *s, int from, int to)
{
    cg_dim p = cg_dim_known(1);
    for (int k = from; k < to; k++)
        p = cg_dim_mul(c->g->pool, p, s->d[k]);
    return p;
}

/* ONNX Flatten: "the first dimension of the output tensor is (d_0 X d_1 ... d_(axis-1)),
 * the second (d_axis X d_(axis+1) ... X dn)"; axis in [0, R] before 11, [-r, r] from 11. */
cg_code shape_infer_flatten(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    int r = in->shape.rank;
    cg_shape out = unknown_dims(2);
    if (r >= 0) {
        int64_t axis = cg_attr_int(c->node, "axis", 1);
        int64_t a = axis < 0 && c->opset >= 11 ? axis + r : axis;
        if (a < 0 || a > r)
            return cg_ctx_fail(c, "axis %lld is out of range for rank %d", (long long)axis, r);
        out.d[0] = dims_product(c, &in->shape, 0, (int)a);
        out.d[1] = dims_product(c, &in->shape, (int)a, r);
    }
    return finish_same_order(c, in, &out);
}

/* ---- Squeeze / Unsqueeze ---- */

/* Axes from the attribute before opset 13, from input 1 from 13. *given: the node
 * names axes at all; *known: their values are known. */
static cg_code read_axes(cg_infer_ctx *c, int64_t *axes, int *n, bool *given, bool *known)
{
    *n = 0;
    *known = true;
    if (c->opset < 13) {
        const int64_t *v = cg_attr_ints(c->node, "axes", n);
        *given = cg_node_attr(c->node, "axes") != NULL;
        if (*n > SHAPE_MAX_VALS)
            return cg_ctx_fail(c, "%d axes is more than any supported rank", *n);
        if (*n > 0)
            memcpy(axes, v, (size_t)*n * sizeof *axes);
        return CG_OK;
    }
    *given = cg_ctx_has_input(c, 1);
    *known = !*given || shape_in_ints(c, 1, axes, n, SHAPE_MAX_VALS);
    return CG_OK;
}

/* Normalizes axes against rank into a membership mask; duplicates are errors. */
static cg_code axes_mask(cg_infer_ctx *c, const int64_t *axes, int n, int rank, bool *mask)
{
    memset(mask, 0, (size_t)rank * sizeof *mask);
    for (int k = 0; k < n; k++) {
        int a;
        cg_code rc = cg_ctx_axis(c, axes[k], rank, &a);
        if (rc != CG_OK)
            return rc;
        if (mask[a])
            return cg_ctx_fail(c, "axis %lld is repeated", (long long)axes[k]);
        mask[a] = true;
    }
    return CG_OK;
}

/* Squeeze with no axes removes "all the single dimensions"; with a dim that is not
 * known the result's rank is not known either. */
static cg_shape squeeze_all(const cg_shape *in)
{
    cg_shape out = {0};
    for (int k = 0; k < in->rank; k++) {
        if (!cg_dim_is_known(in->d[k]))
            return cg_shape_unknown();
        if (in->d[k].v != 1)
            out.d[out.rank++] = in->d[k];
    }
    return out;
}

/* ONNX Squeeze-1/11/13: "If an axis is selected with shape entry not equal to one,
 * an error is raised." */
cg_code shape_infer_squeeze(cg_infer_ctx *c)
{
    int64_t axes[SHAPE_MAX_VALS];
    int n = 0;
    bool given = false, known = false, mask[CG_MAX_RANK];
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = read_axes(c, axes, &n, &given, &known);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    cg_shape out = cg_shape_unknown();
    if (in->shape.rank >= 0 && known && n == 0) /* no axes, or an empty list */
        out = squeeze_all(&in->shape);
    if (in->shape.rank >= 0 && known && n > 0) {
        if ((rc = axes_mask(c, axes, n, in->shape.rank, mask)) != CG_OK)
            return rc;
        out.rank = 0;
        for (int k = 0; k < in->shape.rank; k++) {
            cg_dim d = in->shape.d[k];
            char s[160];
            if (mask[k] && cg_dim_is_known(d) && d.v != 1)
                return cg_ctx_fail(c, "cannot squeeze axis %d of %s: its size is not 1", k,
                                   shape_str(&in->shape, s, sizeof s));
            if (!mask[k])
                out.d[out.rank++] = d;
        }
    }
    return finish_same_order(c, in, &out);
}

/* ONNX Unsqueeze-1/11/13: axes index the output, whose rank is r + len(axes). */
cg_code shape_infer_unsqueeze(cg_infer_ctx *c)
{
    int64_t axes[SHAPE_MAX_VALS];
    int n = 0;
    bool given = false, known = false, mask[SHAPE_MAX_VALS];
    cg_code rc = cg_ctx_require_inputs(c, c->opset >= 13 ? 2 : 1);
    if (rc == CG_OK)
        rc = read_axes(c, axes, &n, &given, &known);
    if (rc == CG_OK && !given)
        rc = cg_ctx_fail(c, "missing required attribute 'axes'");
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    int r = in->shape.rank;
    int len = vector_len(c, 1); /* axes as input of unknown contents: rank only */
    cg_shape out = unknown_dims(r >= 0 && !known && len >= 0 ? r + len : -1);
    if (r >= 0 && known) {
        if ((rc = shape_check_rank(c, r + n)) != CG_OK ||
            (rc = axes_mask(c, axes, n, r + n, mask)) != CG_OK)
            return rc;
        out.rank = r + n;
        for (int k = 0, src = 0; k < out.rank; k++)
            out.d[k] = mask[k] ? cg_dim_known(1) : in->shape.d[src++];
    }
    return finish_same_order(c, in, &out);
}

/* ---- Transpose ---- */

/* ONNX Transpose: "By default, reverse the dimensions, otherwise permute the axes
 * according to the values given"; perm must be a permutation of 0..r-1. */
static cg_code read_perm(cg_infer_ctx *c, int r, int *perm)
{
    int n = 0;
    const int64_t *p = cg_attr_ints(c->node, "perm", &n);
    bool seen[CG_MAX_RANK] = {false};
    if (!p) {
        for (int k = 0; k < r; k++)
            perm[k] = r - 1 - k;
        return CG_OK;
    }
    if (n != r)
        return cg_ctx_fail(c, "perm has %d entries for an input of rank %d", n, r);
    for (int k = 0; k < n; k++) {
        if (p[k] < 0 || p[k] >= r || seen[p[k]])
            return cg_ctx_fail(c, "perm is not a permutation of 0..%d (entry %d is %lld)", r - 1,
                               k, (long long)p[k]);
        seen[p[k]] = true;
        perm[k] = (int)p[k];
    }
    return CG_OK;
}

static cg_code transpose_fold(cg_infer_ctx *c, const cg_tensor *t, const cg_shape *out,
                              const int *perm)
{
    int64_t idx[SHAPE_MAX_VALS], o[CG_MAX_RANK], src[CG_MAX_RANK];
    int64_t n = cg_shape_numel(out);
    if (!shape_is_small(out))
        return CG_OK;
    for (int64_t k = 0; k < n; k++) {
        shape_unravel(out, k, o);
        for (int a = 0; a < out->rank; a++)
            src[perm[a]] = o[a];
        idx[k] = shape_ravel(t->dims, t->rank, src);
    }
    const cg_tensor *srcs[1] = {t};
    return shape_fold_gather(c, 0, out, srcs, NULL, idx);
}

cg_code shape_infer_transpose(cg_infer_ctx *c)
{
    int perm[CG_MAX_RANK];
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    int r = in->shape.rank;
    cg_shape out = cg_shape_unknown();
    if (r < 0) {
        int n = 0;
        if (cg_attr_ints(c->node, "perm", &n))
            out = unknown_dims(n);
    } else {
        if ((rc = read_perm(c, r, perm)) != CG_OK)
            return rc;
        out.rank = r;
        for (int k = 0; k < r; k++)
            out.d[k] = in->shape.d[perm[k]];
    }
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, in->dtype, &out);
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    return t && r >= 0 ? transpose_fold(c, t, &out, perm) : CG_OK;
}

/* ---- Expand ---- */

/* Expand's target: dims known element by element; a negative one is an error. */
static cg_code expand_target(cg_infer_ctx *c, cg_shape *s, bool *known)
{
    cg_dim d[SHAPE_MAX_VALS];
    int n = 0;
    *known = shape_in_vals(c, 1, d, &n, SHAPE_MAX_VALS);
    if (!*known)
        return CG_OK;
    return shape_from_dims(c, d, n, s);
}

/* Source index of each output element under numpy broadcasting (size-1 dims repeat). */
static cg_code expand_fold(cg_infer_ctx *c, const cg_tensor *t, const cg_shape *out)
{
    int64_t idx[SHAPE_MAX_VALS], o[CG_MAX_RANK], src[CG_MAX_RANK];
    int64_t n = cg_shape_numel(out);
    int lead = out->rank - t->rank;
    if (!shape_is_small(out) || lead < 0)
        return CG_OK;
    for (int64_t k = 0; k < n; k++) {
        shape_unravel(out, k, o);
        for (int a = 0; a < t->rank; a++)
            src[a] = t->dims[a] == 1 ? 0 : o[a + lead];
        idx[k] = shape_ravel(t->dims, t->rank, src);
    }
    const cg_tensor *srcs[1] = {t};
    return shape_fold_gather(c, 0, out, srcs, NULL, idx);
}

/* ONNX Expand-8/13: "Broadcast the input tensor following the given shape and the
 * broadcast rule" (numpy's; either side's 1s stretch). */
cg_code shape_infer_expand(cg_infer_ctx *c)
{
    cg_shape target = cg_shape_unknown(), out = cg_shape_unknown();
    bool known = false;
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc == CG_OK)
        rc = expand_target(c, &target, &known);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    int len = vector_len(c, 1);
    if (known && in->shape.rank >= 0)
        rc = cg_ctx_broadcast(c, &in->shape, &target, &out);
    else if (in->shape.rank >= 0 && len >= 0)
        out = unknown_dims(len > in->shape.rank ? len : in->shape.rank);
    if (rc != CG_OK)
        return rc;
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, in->dtype, &out);
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    return t && known ? expand_fold(c, t, &out) : CG_OK;
}

/* ---- kernels ---- */

/* Transpose: output axis k walks input axis perm[k], so its source stride is the
 * input's stride along perm[k] ("perm ... permute the axes", reversed by default). */
cg_code shape_run_transpose(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    cg_code rc = shape_run_check(c, in, out, in ? in->numel : 0);
    if (rc != CG_OK)
        return rc;
    int n = 0, r = in->rank;
    const int64_t *p = cg_attr_ints(c->node, "perm", &n);
    int64_t in_strides[CG_MAX_RANK], src[CG_MAX_RANK], dst[CG_MAX_RANK];
    if ((p && n != r) || out->rank != r)
        return cg_run_fail(c, CG_ERR_INVALID, "perm has %d entries for rank %d", n, r);
    shape_strides(in->dims, r, in_strides);
    shape_strides(out->dims, r, dst);
    for (int k = 0; k < r; k++) {
        int64_t a = p ? p[k] : r - 1 - k;
        if (a < 0 || a >= r || out->dims[k] != in->dims[a])
            return cg_run_fail(c, CG_ERR_INVALID, "perm entry %d (%lld) does not fit the shapes", k,
                               (long long)a);
        src[k] = in_strides[a];
    }
    shape_copy_block(out->data, 0, dst, in->data, 0, src, out->dims, r, cg_dtype_size(in->dtype));
    return CG_OK;
}

/* Expand: numpy broadcast of the input into the inferred output shape. */
cg_code shape_run_expand(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    cg_bcast b;
    cg_code rc = shape_run_check(c, in, out, out ? out->numel : 0);
    if (rc != CG_OK)
        return rc;
    if (!cg_bcast_init_numpy(&b, out, in))
        return cg_run_fail(c, CG_ERR_INVALID, "input does not broadcast to the output shape");
    cg_bcast_copy(out, in, &b);
    return CG_OK;
}
