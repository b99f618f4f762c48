/* Ops that pick elements: Slice and Gather (both also on shape vectors). */
#include <string.h>

#include "ops/shape_internal.h"

/* One axis of a slice after clamping: element k of the output comes from
 * start + k*step. */
typedef struct slice_axis {
    int64_t start, step;
} slice_axis;

typedef struct slice_params {
    int n; /* entries in starts / ends / axes / steps */
    cg_dim starts[SHAPE_MAX_VALS], ends[SHAPE_MAX_VALS];
    int64_t axes[SHAPE_MAX_VALS], steps[SHAPE_MAX_VALS];
    bool bounds_known, axes_known;
} slice_params;

/* Slice-1: attributes starts, ends, axes. */
static cg_code slice_attrs(cg_infer_ctx *c, slice_params *p)
{
    int ns = 0, ne = 0, na = 0;
    const int64_t *s = cg_attr_ints(c->node, "starts", &ns);
    const int64_t *e = cg_attr_ints(c->node, "ends", &ne);
    const int64_t *a = cg_attr_ints(c->node, "axes", &na);
    if (!s || !e)
        return cg_ctx_fail(c, "missing attribute 'starts' or 'ends'");
    if (ns != ne || (a && na != ns) || ns > SHAPE_MAX_VALS)
        return cg_ctx_fail(c, "starts, ends and axes have %d, %d and %d entries", ns, ne, na);
    p->n = ns;
    p->bounds_known = p->axes_known = true;
    for (int k = 0; k < ns; k++) {
        p->starts[k] = cg_dim_of_i64(c->g->pool, s[k]);
        p->ends[k] = cg_dim_of_i64(c->g->pool, e[k]);
        p->axes[k] = a ? a[k] : k;
        p->steps[k] = 1;
    }
    return CG_OK;
}

/* Optional int input i of n entries; when absent axes default to 0..n-1 and steps
 * to 1 ("If not provided, ..."). False when present but not known. */
static bool optional_ints(cg_infer_ctx *c, int i, int64_t *v, int n, bool axes, bool *ok_len)
{
    int m = 0;
    *ok_len = true;
    if (!cg_ctx_has_input(c, i)) {
        for (int k = 0; k < n; k++)
            v[k] = axes ? k : 1;
        return true;
    }
    if (!shape_in_ints(c, i, v, &m, SHAPE_MAX_VALS))
        return false;
    *ok_len = m == n;
    return true;
}

/* Slice-10 and later: inputs starts, ends, axes (optional), steps (optional). */
static cg_code slice_inputs(cg_infer_ctx *c, slice_params *p)
{
    int ns = 0, ne = 0;
    bool ok_axes = true, ok_steps = true, steps_known;
    cg_code rc = cg_ctx_require_inputs(c, 3);
    if (rc != CG_OK)
        return rc;
    p->bounds_known = shape_in_vals(c, 1, p->starts, &ns, SHAPE_MAX_VALS) &&
                      shape_in_vals(c, 2, p->ends, &ne, SHAPE_MAX_VALS);
    if (!p->bounds_known) {
        p->axes_known = false;
        return CG_OK;
    }
    if (ns != ne)
        return cg_ctx_fail(c, "starts has %d entries but ends has %d", ns, ne);
    p->n = ns;
    p->axes_known = optional_ints(c, 3, p->axes, ns, true, &ok_axes);
    steps_known = optional_ints(c, 4, p->steps, ns, false, &ok_steps);
    if (!ok_axes || !ok_steps)
        return cg_ctx_fail(c, "axes and steps must have as many entries as starts (%d)", ns);
    p->axes_known &= steps_known;
    return CG_OK;
}

/* ONNX Slice: negative bounds count from the back; then start is clamped to [0, dim]
 * (steps > 0) or [0, dim-1] (steps < 0) and end to [0, dim] or [-1, dim-1]. Returns
 * the output length; *start gets the clamped start. */
static int64_t slice_len(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t *s0)
{
    if (start < 0)
        start += dim;
    if (end < 0)
        end += dim;
    int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? dim : dim - 1;
    start = start < 0 ? 0 : start > hi ? hi : start;
    end = end < lo ? lo : end > hi ? hi : end;
    *s0 = start;
    /* ceil(diff / |step|) written as (diff-1)/|step|+1 so |INT64_MIN| never appears */
    if (step > 0)
        return end > start ? (end - start - 1) / step + 1 : 0;
    int64_t mag = step == INT64_MIN ? INT64_MAX : -step;
    return start > end ? (start - end - 1) / mag + 1 : 0;
}

/* The dim a slice leaves when the size is not a known number: unchanged for the
 * whole-axis slices exporters write ([0:INT_MAX] and [-1:INT_MIN:-1]), else unknown. */
static cg_dim slice_symbolic(cg_dim d, int64_t start, int64_t end, int64_t step)
{
    if (step == 1 && start == 0 && end >= INT32_MAX)
        return d;
    if (step == -1 && start == -1 && end <= INT32_MIN)
        return d;
    return cg_dim_unknown();
}

static cg_code slice_axes(cg_infer_ctx *c, const slice_params *p, const cg_shape *in,
                          cg_shape *out, slice_axis *ax)
{
    bool seen[CG_MAX_RANK] = {false};
    *out = *in;
    for (int k = 0; k < in->rank; k++)
        ax[k] = (slice_axis){0, 1};
    for (int k = 0; k < p->n; k++) {
        int a;
        int64_t s, e;
        cg_code rc = cg_ctx_axis(c, p->axes[k], in->rank, &a);
        if (rc != CG_OK)
            return rc;
        if (seen[a])
            return cg_ctx_fail(c, "axis %lld is repeated", (long long)p->axes[k]);
        if (p->steps[k] == 0)
            return cg_ctx_fail(c, "step on axis %d is 0", a);
        seen[a] = true;
        ax[a].step = p->steps[k];
        if (!cg_dim_to_i64(p->starts[k], &s) || !cg_dim_to_i64(p->ends[k], &e))
            out->d[a] = cg_dim_unknown();
        else if (!cg_dim_is_known(in->d[a]))
            out->d[a] = slice_symbolic(in->d[a], s, e, p->steps[k]);
        else
            out->d[a] = cg_dim_known(slice_len(in->d[a].v, s, e, p->steps[k], &ax[a].start));
    }
    return CG_OK;
}

/* Flat source index of each output element; false when out is not small. */
static bool slice_index(const cg_shape *in, const cg_shape *out, const slice_axis *ax,
                        int64_t *idx)
{
    int64_t o[CG_MAX_RANK], dims[CG_MAX_RANK];
    if (!shape_is_small(out) || !cg_shape_is_static(in))
        return false;
    for (int a = 0; a < in->rank; a++)
        dims[a] = in->d[a].v;
    for (int64_t k = 0; k < cg_shape_numel(out); k++) {
        shape_unravel(out, k, o);
        for (int a = 0; a < in->rank; a++)
            o[a] = ax[a].start + o[a] * ax[a].step;
        idx[k] = shape_ravel(dims, in->rank, o);
    }
    return true;
}

/* Known contents, or a shape vector's elements, through the slice. */
static cg_code slice_fold(cg_infer_ctx *c, const cg_value *in, const cg_shape *out,
                          const slice_axis *ax)
{
    int64_t idx[SHAPE_MAX_VALS];
    cg_dim v[SHAPE_MAX_VALS], r[SHAPE_MAX_VALS];
    int n = 0;
    const cg_tensor *t = cg_ctx_in_data(c, 0);
    if (!slice_index(&in->shape, out, ax, idx))
        return CG_OK;
    if (t) {
        const cg_tensor *srcs[1] = {t};
        return shape_fold_gather(c, 0, out, srcs, NULL, idx);
    }
    if (in->shape.rank != 1 || !cg_ctx_in_dimvals(c, 0, v, &n, SHAPE_MAX_VALS))
        return CG_OK;
    for (int64_t k = 0; k < out->d[0].v; k++) {
        if (idx[k] < 0 || idx[k] >= n)
            return CG_OK;
        r[k] = v[idx[k]];
    }
    return shape_set_out_vals(c, 0, in->dtype, false, r, (int)out->d[0].v);
}

/* ONNX Slice-1/10/11/13. */
cg_code shape_infer_slice(cg_infer_ctx *c)
{
    slice_params params;
    slice_axis ax[CG_MAX_RANK];
    memset(&params, 0, sizeof params);
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc == CG_OK)
        rc = c->opset < 10 ? slice_attrs(c, &params) : slice_inputs(c, &params);
    if (rc != CG_OK)
        return rc;
    const cg_value *in = cg_ctx_in(c, 0);
    cg_shape out = in->shape;
    c->node->macs = 0;
    if (in->shape.rank >= 0 && !params.axes_known) {
        for (int k = 0; k < out.rank; k++)
            out.d[k] = cg_dim_unknown();
    } else if (in->shape.rank >= 0) {
        if ((rc = slice_axes(c, &params, &in->shape, &out, ax)) != CG_OK)
            return rc;
    }
    cg_ctx_set_out(c, 0, in->dtype, &out);
    return in->shape.rank >= 0 && params.axes_known ? slice_fold(c, in, &out, ax) : CG_OK;
}

/* ---- Gather ---- */

/* ONNX Gather: "index values are expected to be within bounds [-s, s-1] along
 * axis of size s. It is an error if any of the index values are out of bounds." */
static cg_code gather_indices(cg_infer_ctx *c, const cg_tensor *ix, cg_dim dim, int axis,
                              int64_t *norm)
{
    for (int64_t k = 0; k < ix->numel; k++) {
        int64_t v = cg_tensor_get_i64(ix, k);
        if (!cg_dim_is_known(dim)) {
            norm[k] = v;
            continue;
        }
        if (v < -dim.v || v >= dim.v)
            return cg_ctx_fail(c, "index %lld is out of bounds for axis %d of size %lld",
                               (long long)v, axis, (long long)dim.v);
        norm[k] = v < 0 ? v + dim.v : v;
    }
    return CG_OK;
}

/* Output dims: data[:axis] + indices + data[axis+1:]. */
static cg_shape gather_shape(const cg_shape *data, const cg_shape *ix, int axis)
{
    cg_shape out = cg_shape_unknown();
    if (ix->rank < 0)
        return out;
    out.rank = 0;
    for (int k = 0; k < axis; k++)
        out.d[out.rank++] = data->d[k];
    for (int k = 0; k < ix->rank; k++)
        out.d[out.rank++] = ix->d[k];
    for (int k = axis + 1; k < data->rank; k++)
        out.d[out.rank++] = data->d[k];
    return out;
}

static cg_code gather_fold(cg_infer_ctx *c, const cg_tensor *t, const cg_shape *out,
                           const int64_t *norm, int q, int axis)
{
    int64_t idx[SHAPE_MAX_VALS], o[CG_MAX_RANK], src[CG_MAX_RANK];
    for (int64_t k = 0; k < cg_shape_numel(out); k++) {
        shape_unravel(out, k, o);
        /* o = [outer..., index position (q dims)..., inner...] */
        int64_t pos = 0, m = 0;
        for (int a = 0; a < q; a++)
            pos = pos * out->d[axis + a].v + o[axis + a];
        for (int a = 0; a < axis; a++)
            src[m++] = o[a];
        src[m++] = norm[pos];
        for (int a = axis + 1; a < t->rank; a++)
            src[m++] = o[a - 1 + q];
        idx[k] = shape_ravel(t->dims, t->rank, src);
    }
    const cg_tensor *srcs[1] = {t};
    return shape_fold_gather(c, 0, out, srcs, NULL, idx);
}

/* A shape vector's elements picked by known indices (Shape -> Gather). */
static cg_code gather_vals(cg_infer_ctx *c, const cg_value *data, const cg_tensor *ix,
                           const int64_t *norm)
{
    cg_dim v[SHAPE_MAX_VALS], r[SHAPE_MAX_VALS];
    int n = 0;
    if (ix->rank > 1 || ix->numel > SHAPE_MAX_VALS ||
        !cg_ctx_in_dimvals(c, 0, v, &n, SHAPE_MAX_VALS))
        return CG_OK;
    for (int64_t k = 0; k < ix->numel; k++) {
        int64_t i = norm[k] < 0 ? norm[k] + n : norm[k];
        if (i < 0 || i >= n)
            return cg_ctx_fail(c, "index %lld is out of bounds for a vector of %d",
                               (long long)norm[k], n);
        r[k] = v[i];
    }
    return shape_set_out_vals(c, 0, data->dtype, ix->rank == 0, r, (int)ix->numel);
}

/* ONNX Gather-1/11/13 (negative indices from 11). */
cg_code shape_infer_gather(cg_infer_ctx *c)
{
    int axis = 0;
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc != CG_OK)
        return rc;
    const cg_value *data = cg_ctx_in(c, 0), *ixv = cg_ctx_in(c, 1);
    int r = data->shape.rank;
    cg_shape out = cg_shape_unknown();
    c->node->macs = 0;
    if (r == 0)
        return cg_ctx_fail(c, "data must have rank >= 1, got a scalar");
    if (r > 0) {
        if ((rc = cg_ctx_axis(c, cg_attr_int(c->node, "axis", 0), r, &axis)) != CG_OK)
            return rc;
        if (ixv->shape.rank >= 0 && (rc = shape_check_rank(c, r - 1 + ixv->shape.rank)) != CG_OK)
            return rc;
        out = gather_shape(&data->shape, &ixv->shape, axis);
    }
    cg_ctx_set_out(c, 0, data->dtype, &out);
    const cg_tensor *ix = cg_ctx_in_data(c, 1), *t = cg_ctx_in_data(c, 0);
    int64_t norm[SHAPE_MAX_VALS];
    if (r < 0 || !ix || ix->numel > SHAPE_MAX_VALS || !cg_dtype_is_int(ix->dtype))
        return CG_OK;
    if ((rc = gather_indices(c, ix, data->shape.d[axis], axis, norm)) != CG_OK)
        return rc;
    if (t && shape_is_small(&out))
        return gather_fold(c, t, &out, norm, ix->rank, axis);
    return r == 1 && !t ? gather_vals(c, data, ix, norm) : CG_OK;
}

/* ---- kernels ---- */

/* Slice's starts/ends/axes/steps as plain integers at run time (attributes in
 * Slice-1, inputs from Slice-10; absent axes are 0..n-1 and absent steps 1). */
static cg_code slice_run_params(cg_run_ctx *c, int64_t v[4][SHAPE_MAX_VALS], int *n)
{
    static const char *const names[4] = {"starts", "ends", "axes", "steps"};
    int cnt[4] = {0, 0, -1, -1};
    for (int k = 0; k < 4; k++) {
        if (c->opset < 10) {
            const int64_t *a = k < 3 ? cg_attr_ints(c->node, names[k], &cnt[k]) : NULL;
            cnt[k] = a ? cnt[k] : -1;
            if (cnt[k] > SHAPE_MAX_VALS)
                return cg_run_fail(c, CG_ERR_INVALID, "%s has %d entries", names[k], cnt[k]);
            if (a)
                memcpy(v[k], a, (size_t)cnt[k] * sizeof **v);
        } else if (cg_run_in(c, k + 1)) {
            cg_code rc = shape_run_ints(c, k + 1, v[k], &cnt[k], SHAPE_MAX_VALS);
            if (rc != CG_OK)
                return rc;
        }
    }
    *n = cnt[0];
    for (int k = 0; k < 4; k++) {
        if (cnt[k] < 0 && k >= 2) /* default axes / steps */
            for (int j = 0; j < *n; j++)
                v[k][j] = k == 2 ? j : 1;
        else if (cnt[k] != *n)
            return cg_run_fail(c, CG_ERR_INVALID, "%s has %d entries but starts has %d", names[k],
                               cnt[k], *n);
    }
    return CG_OK;
}

/* Per input axis: first element and step, checked against the inferred output. */
static cg_code slice_run_axes(cg_run_ctx *c, const cg_tensor *in, const cg_tensor *out,
                              int64_t *first, int64_t *step)
{
    int64_t v[4][SHAPE_MAX_VALS];
    int n = 0;
    cg_code rc = slice_run_params(c, v, &n);
    for (int a = 0; a < in->rank; a++) {
        first[a] = 0;
        step[a] = 1;
    }
    for (int k = 0; rc == CG_OK && k < n; k++) {
        int64_t a = v[2][k] < 0 ? v[2][k] + in->rank : v[2][k];
        if (a < 0 || a >= in->rank || v[3][k] == 0)
            return cg_run_fail(c, CG_ERR_INVALID, "axis %lld with step %lld is invalid for rank %d",
                               (long long)v[2][k], (long long)v[3][k], in->rank);
        step[a] = v[3][k];
        int64_t len = slice_len(in->dims[a], v[0][k], v[1][k], step[a], &first[a]);
        if (len != out->dims[a])
            return cg_run_fail(c, CG_ERR_INVALID, "axis %lld gives %lld elements, the output has %lld",
                               (long long)a, (long long)len, (long long)out->dims[a]);
    }
    return rc;
}

/* ONNX Slice: output element i along an axis is input element start + i*step. */
cg_code shape_run_slice(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    int64_t first[CG_MAX_RANK], step[CG_MAX_RANK], in_strides[CG_MAX_RANK];
    int64_t src[CG_MAX_RANK], dst[CG_MAX_RANK], off = 0;
    cg_code rc = shape_run_check(c, in, out, out ? out->numel : 0);
    if (rc == CG_OK && out->rank != in->rank)
        rc = cg_run_fail(c, CG_ERR_INVALID, "output rank %d differs from input rank %d", out->rank,
                         in->rank);
    if (rc == CG_OK)
        rc = slice_run_axes(c, in, out, first, step);
    if (rc != CG_OK || out->numel == 0)
        return rc;
    /* Channels-last storage (ops.h): the same copy over the stored order
     * [N, H, W, C], every per-axis array permuted alike. */
    static const int nhwc_axis[4] = {0, 2, 3, 1};
    bool nhwc = in->rank == 4 && cg_node_is_nhwc(c->node);
    int64_t in_dims[CG_MAX_RANK], out_dims[CG_MAX_RANK], at[CG_MAX_RANK], by[CG_MAX_RANK];
    for (int a = 0; a < in->rank; a++) {
        int l = nhwc ? nhwc_axis[a] : a;
        in_dims[a] = in->dims[l];
        out_dims[a] = out->dims[l];
        at[a] = first[l];
        by[a] = step[l];
    }
    shape_strides(in_dims, in->rank, in_strides);
    shape_strides(out_dims, out->rank, dst);
    for (int a = 0; a < in->rank; a++) {
        off += at[a] * in_strides[a];
        /* a single element never steps, so a huge step cannot overflow */
        src[a] = out_dims[a] > 1 ? by[a] * in_strides[a] : 0;
    }
    shape_copy_block(out->data, 0, dst, in->data, off, src, out_dims, out->rank, cg_dtype_size(in->dtype));
    return CG_OK;
}

/* ONNX Gather: out[outer, j..., inner] = data[outer, indices[j...], inner]; indices
 * in [-s, s-1] ("It is an error if any of the index values are out of bounds"). */
cg_code shape_run_gather(cg_run_ctx *c)
{
    const cg_tensor *data = cg_run_in(c, 0), *ix = cg_run_in(c, 1);
    cg_tensor *out = cg_run_out(c, 0);
    cg_code rc = shape_run_check(c, data, out, out ? out->numel : 0);
    if (rc != CG_OK)
        return rc;
    if (!ix || !cg_dtype_is_int(ix->dtype) || data->rank < 1)
        return cg_run_fail(c, CG_ERR_INVALID, "needs data of rank >= 1 and integer indices");
    int64_t axis = cg_attr_int(c->node, "axis", 0);
    axis = axis < 0 ? axis + data->rank : axis;
    if (axis < 0 || axis >= data->rank)
        return cg_run_fail(c, CG_ERR_INVALID, "axis is out of range for rank %d", data->rank);
    int64_t outer = 1, inner = 1, dim = data->dims[axis];
    for (int a = 0; a < axis; a++)
        outer *= data->dims[a];
    for (int a = (int)axis + 1; a < data->rank; a++)
        inner *= data->dims[a];
    if (out->numel != outer * ix->numel * inner)
        return cg_run_fail(c, CG_ERR_INVALID, "output has %lld elements, expected %lld",
                           (long long)out->numel, (long long)(outer * ix->numel * inner));
    for (int64_t j = 0; j < ix->numel; j++) {
        int64_t v = shape_tensor_get_i64(ix, j);
        if (v < -dim || v >= dim)
            return cg_run_fail(c, CG_ERR_INVALID, "index %lld (indices element %lld) is out of "
                               "bounds for axis %lld of size %lld", (long long)v, (long long)j,
                               (long long)axis, (long long)dim);
    }
    size_t row = (size_t)inner * cg_dtype_size(data->dtype);
    for (int64_t o = 0; row > 0 && o < outer; o++)
        for (int64_t j = 0; j < ix->numel; j++) {
            int64_t v = shape_tensor_get_i64(ix, j);
            v = v < 0 ? v + dim : v;
            memcpy((uint8_t *)out->data + (size_t)(o * ix->numel + j) * row,
                   (const uint8_t *)data->data + (size_t)(o * dim + v) * row, row);
        }
    return CG_OK;
}
