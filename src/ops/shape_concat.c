/* Ops that join, cut or grow along axes: Concat, Split, Pad. */
#include <stdlib.h>
#include <string.h>

#include "ops/shape_internal.h"

/* ---- Concat ---- */

/* The rank and dtype every input shares; fails naming two shapes that disagree. */
static cg_code concat_common(cg_infer_ctx *c, int *rank, cg_dtype *dt)
{
    int first = -1;
    *rank = -1;
    *dt = CG_UNDEFINED;
    for (int i = 0; i < c->node->n_inputs; i++) {
        const cg_value *v = cg_ctx_in(c, i);
        char a[160], b[160];
        if (!v)
            return cg_ctx_fail(c, "input %d is missing", i);
        if (*dt == CG_UNDEFINED)
            *dt = v->dtype;
        else if (v->dtype != CG_UNDEFINED && v->dtype != *dt)
            return cg_ctx_fail(c, "input %d is %s but input 0 is %s", i, cg_dtype_name(v->dtype),
                               cg_dtype_name(*dt));
        if (v->shape.rank < 0)
            continue;
        if (first >= 0 && v->shape.rank != *rank)
            return cg_ctx_fail(c, "input %d has shape %s but input %d has %s: ranks differ", i,
                               shape_str(&v->shape, a, sizeof a), first,
                               shape_str(&cg_ctx_in(c, first)->shape, b, sizeof b));
        if (first < 0)
            first = i;
        *rank = v->shape.rank;
    }
    return CG_OK;
}

/* The earliest input before `upto` whose dim k is a known number. */
static int first_known(cg_infer_ctx *c, int upto, int k)
{
    for (int j = 0; j < upto; j++) {
        const cg_shape *s = &cg_ctx_in(c, j)->shape;
        if (s->rank > k && cg_dim_is_known(s->d[k]))
            return j;
    }
    return 0;
}

/* ONNX Concat: "All input tensors must have the same shape, except for the
 * dimension size of the axis to concatenate on"; that dim is their sum. */
static cg_code concat_dims(cg_infer_ctx *c, int axis, cg_shape *out)
{
    out->d[axis] = cg_dim_known(0);
    for (int i = 0; i < c->node->n_inputs; i++) {
        const cg_shape *s = &cg_ctx_in(c, i)->shape;
        if (s->rank < 0) {
            out->d[axis] = cg_dim_unknown();
            continue;
        }
        out->d[axis] = cg_dim_add(c->g->pool, out->d[axis], s->d[axis]);
        for (int k = 0; k < s->rank; k++) {
            char a[160], b[160];
            if (k == axis || cg_dim_is_unknown(s->d[k]))
                continue;
            bool both_known = cg_dim_is_known(s->d[k]) && cg_dim_is_known(out->d[k]);
            if (both_known && s->d[k].v != out->d[k].v) {
                int j = first_known(c, i, k);
                return cg_ctx_fail(c, "input %d has shape %s but input %d has %s; only axis %d "
                                      "may differ", i, shape_str(s, a, sizeof a), j,
                                   shape_str(&cg_ctx_in(c, j)->shape, b, sizeof b), axis);
            }
            /* a known number beats a symbol, which beats unknown */
            bool better = cg_dim_is_unknown(out->d[k]) ||
                          (cg_dim_is_symbolic(out->d[k]) && cg_dim_is_known(s->d[k]));
            if (better)
                out->d[k] = s->d[k];
        }
    }
    return CG_OK;
}

/* Known contents when every input's are known; a shape vector element by element
 * when every input is a known vector (data or dimvals, in any mix). */
static cg_code concat_fold(cg_infer_ctx *c, const cg_shape *out, int axis, cg_dtype dt)
{
    int n_in = c->node->n_inputs;
    if (out->rank == 1 && cg_dtype_is_int(dt)) {
        cg_dim all[SHAPE_MAX_VALS], part[SHAPE_MAX_VALS];
        int total = 0, n = 0, i = 0;
        for (; i < n_in && shape_in_vals(c, i, part, &n, SHAPE_MAX_VALS - total); i++) {
            memcpy(all + total, part, (size_t)n * sizeof *part);
            total += n;
        }
        if (i == n_in)
            return shape_set_out_vals(c, 0, dt, false, all, total);
    }
    const cg_tensor *srcs[SHAPE_MAX_VALS];
    int which[SHAPE_MAX_VALS];
    int64_t idx[SHAPE_MAX_VALS], o[CG_MAX_RANK];
    if (!shape_is_small(out) || n_in > SHAPE_MAX_VALS)
        return CG_OK;
    for (int i = 0; i < n_in; i++)
        if (!(srcs[i] = cg_ctx_in_data(c, i)) || srcs[i]->rank != out->rank)
            return CG_OK;
    for (int64_t k = 0; k < cg_shape_numel(out); k++) {
        shape_unravel(out, k, o);
        int i = 0;
        while (i < n_in - 1 && o[axis] >= srcs[i]->dims[axis])
            o[axis] -= srcs[i++]->dims[axis];
        which[k] = i;
        idx[k] = shape_ravel(srcs[i]->dims, out->rank, o);
    }
    return shape_fold_gather(c, 0, out, srcs, which, idx);
}

/* ONNX Concat-1 (axis optional, default 1), -4 (axis required), -11/13 (negative
 * axis). */
cg_code shape_infer_concat(cg_infer_ctx *c)
{
    int rank, axis;
    cg_dtype dt;
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = concat_common(c, &rank, &dt);
    if (rc != CG_OK)
        return rc;
    const cg_attr *a = cg_node_attr(c->node, "axis");
    if (!a && c->opset >= 4)
        return cg_ctx_fail(c, "missing required attribute 'axis'");
    cg_shape out = cg_shape_unknown();
    c->node->macs = 0;
    if (rank >= 0) {
        if ((rc = cg_ctx_axis(c, a ? a->i : 1, rank, &axis)) != CG_OK)
            return rc;
        out.rank = rank;
        for (int k = 0; k < rank; k++)
            out.d[k] = cg_dim_unknown();
        if ((rc = concat_dims(c, axis, &out)) != CG_OK)
            return rc;
    }
    cg_ctx_set_out(c, 0, dt, &out);
    return rank >= 0 ? concat_fold(c, &out, axis, dt) : CG_OK;
}

/* ---- Split ---- */

/* The `split` sizes: attribute up to opset 12 (Split-1 also took it as input 1),
 * input 1 from 13. *given: sizes are named; *known: their values are known. */
static cg_code split_sizes(cg_infer_ctx *c, int64_t *sz, int *n, bool *given, bool *known)
{
    const int64_t *v = c->opset < 13 ? cg_attr_ints(c->node, "split", n) : NULL;
    *given = v != NULL;
    *known = true;
    if (v) {
        if (*n > SHAPE_MAX_VALS)
            return cg_ctx_fail(c, "split has %d entries, more than supported", *n);
        memcpy(sz, v, (size_t)*n * sizeof *sz);
        return CG_OK;
    }
    if ((c->opset < 2 || c->opset >= 13) && cg_ctx_has_input(c, 1)) {
        *given = true;
        *known = shape_in_ints(c, 1, sz, n, SHAPE_MAX_VALS);
    }
    return CG_OK;
}

/* Each output's size on the axis: explicit sizes must sum to the dim; otherwise
 * "split into equal sized parts", which needs the dim to divide (before opset 18). */
static cg_code split_dims(cg_infer_ctx *c, cg_dim dim, const int64_t *sz, int n, bool given,
                          int nout, cg_dim *res)
{
    int64_t sum = 0;
    if (given) {
        if (n != nout)
            return cg_ctx_fail(c, "split has %d entries for %d outputs", n, nout);
        for (int k = 0; k < n; k++) {
            if (sz[k] < 0 || cg_add_overflows(sum, sz[k], &sum))
                return cg_ctx_fail(c, "split entry %d is %lld", k, (long long)sz[k]);
            res[k] = cg_dim_known(sz[k]);
        }
        if (cg_dim_is_known(dim) && sum != dim.v)
            return cg_ctx_fail(c, "split sizes sum to %lld but the axis has %lld",
                               (long long)sum, (long long)dim.v);
        return CG_OK;
    }
    if (cg_dim_is_known(dim) && dim.v % nout != 0)
        return cg_ctx_fail(c, "axis of size %lld does not split into %d equal parts",
                           (long long)dim.v, nout);
    for (int k = 0; k < nout; k++)
        res[k] = cg_dim_div_floor(c->g->pool, dim, cg_dim_known(nout));
    return CG_OK;
}

/* Output i's contents: the input's slab starting at `offset` along axis. */
static cg_code split_fold(cg_infer_ctx *c, int i, const cg_tensor *t, const cg_shape *out,
                          int axis, int64_t offset)
{
    int64_t idx[SHAPE_MAX_VALS], o[CG_MAX_RANK];
    if (!shape_is_small(out))
        return CG_OK;
    for (int64_t k = 0; k < cg_shape_numel(out); k++) {
        shape_unravel(out, k, o);
        o[axis] += offset;
        idx[k] = shape_ravel(t->dims, t->rank, o);
    }
    const cg_tensor *srcs[1] = {t};
    return shape_fold_gather(c, i, out, srcs, NULL, idx);
}

/* ONNX Split-1/2/11/13. */
cg_code shape_infer_split(cg_infer_ctx *c)
{
    int64_t sz[SHAPE_MAX_VALS];
    int n = 0, axis = 0, nout = c->node->n_outputs;
    bool given = false, known = true;
    cg_dim res[SHAPE_MAX_VALS];
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK && (nout < 1 || nout > SHAPE_MAX_VALS))
        rc = cg_ctx_fail(c, "has %d outputs, expected 1 to %d", nout, SHAPE_MAX_VALS);
    if (rc == CG_OK)
        rc = split_sizes(c, sz, &n, &given, &known);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    cg_shape out = in->shape;
    c->node->macs = 0;
    if (in->shape.rank < 0) {
        for (int i = 0; i < nout; i++)
            cg_ctx_set_out(c, i, in->dtype, &out);
        return CG_OK;
    }
    if ((rc = cg_ctx_axis(c, cg_attr_int(c->node, "axis", 0), in->shape.rank, &axis)) != CG_OK)
        return rc;
    for (int i = 0; i < nout; i++)
        res[i] = cg_dim_unknown();
    if (known && (rc = split_dims(c, in->shape.d[axis], sz, n, given, nout, res)) != CG_OK)
        return rc;
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    int64_t offset = 0;
    for (int i = 0; i < nout && rc == CG_OK; i++) {
        out.d[axis] = res[i];
        cg_ctx_set_out(c, i, in->dtype, &out);
        if (!t || !cg_dim_is_known(res[i]))
            continue;
        if (cg_ctx_out(c, i))
            rc = split_fold(c, i, t, &out, axis, offset);
        offset += res[i].v;
    }
    return rc;
}

/* ---- Pad ---- */

/* Pads: attribute `paddings` in Pad-1, `pads` in Pad-2, input 1 from Pad-11.
 * Layout [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
static cg_code pad_amounts(cg_infer_ctx *c, int64_t *pads, int *n, bool *known)
{
    *known = true;
    if (c->opset < 11) {
        const char *name = c->opset < 2 ? "paddings" : "pads";
        const int64_t *v = cg_attr_ints(c->node, name, n);
        if (!v)
            return cg_ctx_fail(c, "missing required attribute '%s'", name);
        if (*n > 2 * CG_MAX_RANK)
            return cg_ctx_fail(c, "'%s' has %d entries, more than any supported rank", name, *n);
        memcpy(pads, v, (size_t)*n * sizeof *pads);
        return CG_OK;
    }
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc == CG_OK)
        *known = shape_in_ints(c, 1, pads, n, 2 * CG_MAX_RANK);
    return rc;
}

/* One axis: d + begin + end. Negative pads crop, but the result may not be
 * negative; "reflect" mirrors without the edge, so it needs pads < d; "edge" needs
 * a non-empty axis to copy from. */
static cg_code pad_axis(cg_infer_ctx *c, const cg_shape *in, int k, int64_t b, int64_t e,
                        const char *mode, cg_dim *out)
{
    cg_dim d = in->d[k];
    int64_t total;
    char s[160];
    if (cg_add_overflows(b, e, &total))
        return cg_ctx_fail(c, "pads %lld and %lld on axis %d overflow", (long long)b,
                           (long long)e, k);
    if (!cg_dim_is_known(d)) {
        if (total == INT64_MIN) /* -total would overflow; no dim is that large anyway */
            *out = cg_dim_unknown();
        else
            *out = total >= 0 ? cg_dim_add(c->g->pool, d, cg_dim_known(total))
                              : cg_dim_sub(c->g->pool, d, cg_dim_known(-total));
        return CG_OK;
    }
    if (cg_add_overflows(d.v, total, &total) || total < 0)
        return cg_ctx_fail(c, "pads %lld/%lld on axis %d of %s leave a negative size",
                           (long long)b, (long long)e, k, shape_str(in, s, sizeof s));
    if (strcmp(mode, "reflect") == 0 && (b >= d.v || e >= d.v) && (b > 0 || e > 0))
        return cg_ctx_fail(c, "reflect pads %lld/%lld on axis %d of %s must be smaller than "
                              "the dim", (long long)b, (long long)e, k,
                           shape_str(in, s, sizeof s));
    if (strcmp(mode, "edge") == 0 && d.v == 0 && (b > 0 || e > 0))
        return cg_ctx_fail(c, "edge padding of empty axis %d of %s", k,
                           shape_str(in, s, sizeof s));
    *out = cg_dim_known(total);
    return CG_OK;
}

/* ONNX Pad-1/2/11/13: modes constant, reflect, edge. */
cg_code shape_infer_pad(cg_infer_ctx *c)
{
    int64_t pads[2 * CG_MAX_RANK];
    int n = 0;
    bool known = false;
    cg_code rc = cg_ctx_require_inputs(c, 1);
    const char *mode = cg_attr_string(c->node, "mode", "constant");
    if (rc == CG_OK && strcmp(mode, "constant") != 0 && strcmp(mode, "reflect") != 0 &&
        strcmp(mode, "edge") != 0)
        rc = cg_ctx_fail(c, "mode '%s' is not constant, reflect or edge", mode);
    if (rc == CG_OK)
        rc = pad_amounts(c, pads, &n, &known);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    int r = in->shape.rank;
    cg_shape out = in->shape;
    c->node->macs = 0;
    if (r >= 0 && known && n != 2 * r)
        return cg_ctx_fail(c, "has %d pads for an input of rank %d (needs %d)", n, r, 2 * r);
    for (int k = 0; k < r && rc == CG_OK; k++)
        if (known)
            rc = pad_axis(c, &in->shape, k, pads[k], pads[k + r], mode, &out.d[k]);
        else
            out.d[k] = cg_dim_unknown();
    if (rc == CG_OK)
        cg_ctx_set_out(c, 0, in->dtype, &out);
    return rc;
}

/* ---- kernels ---- */

/* Input `in` has out's rank and dtype, out's dims except on axis, and fits in what
 * is left of out's axis from `at`. */
static bool concat_input_fits(const cg_tensor *in, const cg_tensor *out, int64_t axis, int64_t at)
{
    bool fits = in && in->dtype == out->dtype && in->rank == out->rank &&
                in->dims[axis] <= out->dims[axis] - at;
    for (int a = 0; fits && a < out->rank; a++)
        fits = a == axis || in->dims[a] == out->dims[a];
    return fits;
}

typedef struct concat_nhwc_job {
    const cg_run_ctx *c;
    cg_tensor *out;
    size_t es;
} concat_nhwc_job;

/* Pixels [lo, hi) of the output: each input's run of channels in turn. */
static void concat_nhwc_pixels(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const concat_nhwc_job *j = arg;
    size_t width = (size_t)j->out->dims[1] * j->es, at = 0;
    (void)chunk;
    for (int i = 0; i < j->c->n_in; i++) {
        const cg_tensor *in = cg_run_in(j->c, i);
        size_t run = (size_t)in->dims[1] * j->es;
        const unsigned char *src = (const unsigned char *)in->data + (size_t)lo * run;
        unsigned char *dst = (unsigned char *)j->out->data + (size_t)lo * width + at;
        for (int64_t p = lo; p < hi && run; p++, src += run, dst += width)
            memcpy(dst, src, run);
        at += run;
    }
}

/* Channels-last storage (nhwc.h) along axis 1: in every pixel of the output, each
 * input's run of channels in turn; pixels split across the session's threads. */
static cg_code concat_channels_nhwc(cg_run_ctx *c, cg_tensor *out)
{
    size_t es = cg_dtype_size(out->dtype);
    int64_t pixels = out->dims[0] * out->dims[2] * out->dims[3], at = 0;
    for (int i = 0; i < c->n_in; i++) {
        const cg_tensor *in = cg_run_in(c, i);
        if (!concat_input_fits(in, out, 1, at))
            return cg_run_fail(c, CG_ERR_INVALID, "input %d does not fit the output", i);
        at += in->dims[1];
    }
    if (at != out->dims[1])
        return cg_run_fail(c, CG_ERR_INVALID, "inputs fill %lld of %lld channels", (long long)at,
                           (long long)out->dims[1]);
    concat_nhwc_job j = {c, out, es};
    int64_t row = out->dims[1] * (int64_t)es;
    cg_run_parallel(c, pixels, 1 + 65536 / (row > 0 ? row : 1), concat_nhwc_pixels, &j);
    return CG_OK;
}

/* Concat: input i lands in the output at the running offset along axis. A node
 * storing rank-4 tensors channels-last (cg_node_is_nhwc) concatenates channels
 * pixel by pixel; along N the bytes are the same in both orders. */
cg_code shape_run_concat(cg_run_ctx *c)
{
    cg_tensor *out = cg_run_out(c, 0);
    const cg_tensor *first = cg_run_in(c, 0);
    cg_code rc = shape_run_check(c, first, out, out ? out->numel : 0);
    if (rc != CG_OK)
        return rc;
    int r = out->rank;
    int64_t axis = cg_attr_int(c->node, "axis", 1), dst[CG_MAX_RANK], src[CG_MAX_RANK], at = 0;
    axis = axis < 0 ? axis + r : axis;
    if (axis < 0 || axis >= r)
        return cg_run_fail(c, CG_ERR_INVALID, "axis is out of range for rank %d", r);
    if (r == 4 && axis == 1 && cg_node_is_nhwc(c->node))
        return concat_channels_nhwc(c, out);
    if (r == 4 && axis > 1 && cg_node_is_nhwc(c->node))
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "Concat along axis %lld of tensors stored "
                           "with cg.layout NHWC is not supported", (long long)axis);
    shape_strides(out->dims, r, dst);
    for (int i = 0; i < c->n_in; i++) {
        const cg_tensor *in = cg_run_in(c, i);
        if (!concat_input_fits(in, out, axis, at))
            return cg_run_fail(c, CG_ERR_INVALID, "input %d does not fit the output", i);
        shape_strides(in->dims, r, src);
        shape_copy_block(out->data, at * dst[axis], dst, in->data, 0, src, in->dims, r,
                         cg_dtype_size(out->dtype));
        at += in->dims[axis];
    }
    if (at != out->dims[axis])
        return cg_run_fail(c, CG_ERR_INVALID, "inputs fill %lld of %lld along axis %lld",
                           (long long)at, (long long)out->dims[axis], (long long)axis);
    return CG_OK;
}

/* Each output's length along axis: the `split` list (attribute before 13, input
 * from 13; Split-1 also took it as input 1), else "equal sized parts". */
static cg_code split_run_sizes(cg_run_ctx *c, int64_t dim, int64_t *sz)
{
    int n = 0, nout = c->n_out;
    const int64_t *v = c->opset < 13 ? cg_attr_ints(c->node, "split", &n) : NULL;
    if (v && n == nout) {
        memcpy(sz, v, (size_t)n * sizeof *sz);
        return CG_OK;
    }
    if (!v && (c->opset < 2 || c->opset >= 13) && cg_run_in(c, 1)) {
        cg_code rc = shape_run_ints(c, 1, sz, &n, SHAPE_MAX_VALS);
        if (rc != CG_OK || n == nout)
            return rc;
    } else if (!v && nout > 0 && dim % nout == 0) {
        for (int i = 0; i < nout; i++)
            sz[i] = dim / nout;
        return CG_OK;
    }
    return cg_run_fail(c, CG_ERR_INVALID, "cannot split %lld into %d outputs", (long long)dim, nout);
}

/* Split: output i is the input's slab [offset_i, offset_i + size_i) along axis. */
cg_code shape_run_split(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    int64_t sz[SHAPE_MAX_VALS], src[CG_MAX_RANK], dst[CG_MAX_RANK], at = 0;
    if (!in || in->rank < 1 || c->n_out < 1 || c->n_out > SHAPE_MAX_VALS)
        return cg_run_fail(c, CG_ERR_INVALID, "needs an input of rank >= 1 and 1 to %d outputs",
                           SHAPE_MAX_VALS);
    int64_t axis = cg_attr_int(c->node, "axis", 0);
    axis = axis < 0 ? axis + in->rank : axis;
    if (axis < 0 || axis >= in->rank)
        return cg_run_fail(c, CG_ERR_INVALID, "axis is out of range for rank %d", in->rank);
    cg_code rc = split_run_sizes(c, in->dims[axis], sz);
    shape_strides(in->dims, in->rank, src);
    for (int i = 0; rc == CG_OK && i < c->n_out; i++) {
        cg_tensor *out = cg_run_out(c, i);
        if (sz[i] < 0 || sz[i] > in->dims[axis] - at)
            return cg_run_fail(c, CG_ERR_INVALID, "split sizes exceed the axis of %lld",
                               (long long)in->dims[axis]);
        if (out) {
            bool fits = out->rank == in->rank && out->dims[axis] == sz[i];
            for (int a = 0; fits && a < in->rank; a++)
                fits = a == axis || out->dims[a] == in->dims[a];
            rc = fits ? shape_run_check(c, in, out, out->numel)
                      : cg_run_fail(c, CG_ERR_INVALID, "output %d does not fit the split", i);
            if (rc != CG_OK)
                return rc;
            shape_strides(out->dims, out->rank, dst);
            shape_copy_block(out->data, 0, dst, in->data, at * src[axis], src, out->dims,
                             out->rank, cg_dtype_size(in->dtype));
        }
        at += sz[i];
    }
    return rc;
}

/* Pad amounts at run time: `paddings` (Pad-1), `pads` (Pad-2) or input 1 (Pad-11),
 * laid out [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. */
static cg_code pad_run_amounts(cg_run_ctx *c, int rank, int64_t *pads)
{
    int n = 0;
    if (c->opset < 11) {
        const int64_t *v = cg_attr_ints(c->node, c->opset < 2 ? "paddings" : "pads", &n);
        if (v && n == 2 * rank && n > 0)
            memcpy(pads, v, (size_t)n * sizeof *pads);
    } else {
        cg_code rc = shape_run_ints(c, 1, pads, &n, 2 * CG_MAX_RANK);
        if (rc != CG_OK)
            return rc;
    }
    if (n != 2 * rank)
        return cg_run_fail(c, CG_ERR_INVALID, "has %d pads for rank %d", n, rank);
    return CG_OK;
}

/* The constant-mode fill value as one element of the output's dtype: attribute
 * `value` before Pad-11, optional scalar input 2 from Pad-11; 0 when absent. */
static void pad_fill_value(cg_run_ctx *c, const cg_tensor *out, uint8_t *elem)
{
    cg_tensor one = {.dtype = out->dtype, .rank = 0, .numel = 1,
                     .nbytes = cg_dtype_size(out->dtype), .data = elem};
    const cg_tensor *v = c->opset >= 11 ? cg_run_in(c, 2) : NULL;
    if (v && v->numel > 0 && v->dtype == out->dtype)
        memcpy(elem, v->data, one.nbytes);
    else if (v && v->numel > 0)
        cg_tensor_set_f64(&one, 0, shape_tensor_get_f64(v, 0));
    else
        cg_tensor_set_f64(&one, 0, c->opset < 11 ? cg_attr_float(c->node, "value", 0) : 0);
}

/* Source index along one axis for output index o (-1: the constant). ONNX Pad:
 * "reflect - pads with the reflection of the vector mirrored on the first and last
 * values of the vector along each axis"; "edge - pads with the edge values". */
static int64_t pad_source(int64_t o, int64_t begin, int64_t n, char mode)
{
    int64_t i = o - begin;
    if (i >= 0 && i < n)
        return i;
    if (mode == 'c' || n == 0)
        return -1;
    if (mode == 'e' || n == 1)
        return i < 0 ? 0 : n - 1;
    int64_t period = 2 * (n - 1); /* reflect: mirror without repeating the edge */
    i %= period;
    i = i < 0 ? i + period : i;
    return i < n ? i : period - i;
}

/* Walks the output; each element comes from the mapped input element or is the
 * fill value. maps[a] holds the source index of every output index on axis a. */
static void pad_fill(cg_tensor *out, const cg_tensor *in, int64_t *const *maps,
                     const uint8_t *elem)
{
    size_t es = cg_dtype_size(out->dtype);
    int64_t o[CG_MAX_RANK] = {0}, stride[CG_MAX_RANK];
    shape_strides(in->dims, in->rank, stride);
    for (int64_t k = 0; k < out->numel; k++) {
        int64_t src = 0;
        for (int a = 0; a < out->rank && src >= 0; a++)
            src = maps[a][o[a]] < 0 ? -1 : src + maps[a][o[a]] * stride[a];
        memcpy((uint8_t *)out->data + (size_t)k * es,
               src >= 0 ? (const uint8_t *)in->data + (size_t)src * es : elem, es);
        for (int a = out->rank - 1; a >= 0 && ++o[a] == out->dims[a]; a--)
            o[a] = 0;
    }
}

/* ONNX Pad-1/2/11/13: modes constant, reflect, edge; negative pads crop. */
cg_code shape_run_pad(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    int64_t pads[2 * CG_MAX_RANK], *maps[CG_MAX_RANK], total = 0;
    uint8_t elem[16] = {0};
    cg_code rc = shape_run_check(c, in, out, out ? out->numel : 0);
    if (rc == CG_OK && out->rank != in->rank)
        rc = cg_run_fail(c, CG_ERR_INVALID, "output rank differs from the input's");
    if (rc == CG_OK)
        rc = pad_run_amounts(c, in->rank, pads);
    if (rc != CG_OK || out->numel == 0)
        return rc;
    char mode = cg_attr_string(c->node, "mode", "constant")[0]; /* 'c', 'r' or 'e' */
    for (int a = 0; a < in->rank; a++) {
        int64_t len;
        bool bad = cg_add_overflows(in->dims[a], pads[a], &len) ||
                   cg_add_overflows(len, pads[a + in->rank], &len) || len != out->dims[a];
        if (bad || (mode != 'c' && in->dims[a] == 0))
            return cg_run_fail(c, CG_ERR_INVALID, "pads %lld/%lld do not fit axis %d", (long long)pads[a],
                               (long long)pads[a + in->rank], a);
        total += out->dims[a];
    }
    int64_t *buf = malloc((size_t)(total > 0 ? total : 1) * sizeof *buf);
    if (!buf)
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory");
    int64_t at = 0;
    for (int a = 0; a < in->rank; at += out->dims[a], a++) {
        maps[a] = buf + at;
        for (int64_t o = 0; o < out->dims[a]; o++)
            maps[a][o] = pad_source(o, pads[a], in->dims[a], mode);
    }
    pad_fill_value(c, out, elem);
    pad_fill(out, in, maps, elem);
    free(buf);
    return CG_OK;
}
