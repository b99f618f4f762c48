/* Helpers of the 'shape' family: int vectors as dims (for shape subgraphs such as
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape) and folding of small contents. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/shape_internal.h"

bool shape_in_vals(const cg_infer_ctx *c, int i, cg_dim *out, int *n, int max)
{
    return cg_ctx_in_dimvals(c, i, out, n, max);
}

bool shape_in_ints(const cg_infer_ctx *c, int i, int64_t *out, int *n, int max)
{
    cg_dim d[SHAPE_MAX_VALS];
    int k = 0;
    if (max > SHAPE_MAX_VALS)
        max = SHAPE_MAX_VALS;
    if (!shape_in_vals(c, i, d, &k, max))
        return false;
    for (int j = 0; j < k; j++)
        if (!cg_dim_to_i64(d[j], &out[j]))
            return false;
    *n = k;
    return true;
}

cg_code shape_set_out_vals(cg_infer_ctx *c, int i, cg_dtype dt, bool scalar,
                           const cg_dim *d, int n)
{
    int64_t len = n, v;
    cg_shape s = cg_shape_of(scalar ? 0 : 1, &len);
    bool literal = cg_dtype_is_int(dt);
    for (int k = 0; k < n && literal; k++)
        literal = cg_dim_to_i64(d[k], &v);
    cg_tensor *t = literal ? cg_tensor_new(dt, s.rank, &len, c->st) : NULL;
    if (literal && !t)
        return c->st ? c->st->code : CG_ERR_NOMEM;
    for (int k = 0; t && k < n; k++) {
        cg_dim_to_i64(d[k], &v);
        cg_tensor_set_i64(t, k, v);
    }
    /* Known contents are the one truth (cg_ctx_in_dimvals reads them too), so no
     * dimvals that could disagree with them after a narrowing cast. */
    if (t) {
        cg_ctx_set_out_data(c, i, t);
        return CG_OK;
    }
    cg_ctx_set_out(c, i, dt, &s);
    return cg_ctx_set_out_dimvals(c, i, d, n);
}

/* Float to float16 / bfloat16 bits; bfloat16 keeps the top half of a float,
 * rounded to nearest even (NaN stays NaN). */
bool shape_is_small(const cg_shape *s)
{
    int64_t n = cg_shape_numel(s);
    return s->rank >= 0 && n >= 0 && n <= SHAPE_MAX_VALS;
}

static bool shape_dims(const cg_shape *s, int64_t *dims)
{
    for (int k = 0; k < s->rank; k++) {
        if (!cg_dim_is_known(s->d[k]))
            return false;
        dims[k] = s->d[k].v;
    }
    return true;
}

cg_code shape_fold_gather(cg_infer_ctx *c, int i, const cg_shape *s,
                          const cg_tensor *const *srcs, const int *which,
                          const int64_t *idx)
{
    int64_t dims[CG_MAX_RANK];
    if (!shape_is_small(s) || !shape_dims(s, dims))
        return CG_OK; /* nothing to fold: the shape alone is the answer */
    cg_tensor *t = cg_tensor_new(srcs[0]->dtype, s->rank, dims, c->st);
    if (!t)
        return c->st ? c->st->code : CG_ERR_NOMEM;
    size_t es = cg_dtype_size(t->dtype);
    for (int64_t k = 0; k < t->numel; k++) {
        const cg_tensor *src = srcs[which ? which[k] : 0];
        if (src->dtype != t->dtype || idx[k] < 0 || idx[k] >= src->numel) {
            cg_tensor_free(t); /* inconsistent sources: leave the contents unknown */
            return CG_OK;
        }
        memcpy((uint8_t *)t->data + es * k, (const uint8_t *)src->data + es * idx[k], es);
    }
    cg_ctx_set_out_data(c, i, t);
    return CG_OK;
}

cg_code shape_fold_reshape(cg_infer_ctx *c, int i, const cg_tensor *src, const cg_shape *s)
{
    int64_t dims[CG_MAX_RANK];
    if (!shape_is_small(s) || !shape_dims(s, dims) || cg_shape_numel(s) != src->numel)
        return CG_OK;
    cg_tensor *t = cg_tensor_new(src->dtype, s->rank, dims, c->st);
    if (!t)
        return c->st ? c->st->code : CG_ERR_NOMEM;
    if (t->nbytes)
        memcpy(t->data, src->data, t->nbytes);
    cg_ctx_set_out_data(c, i, t);
    return CG_OK;
}

void shape_unravel(const cg_shape *s, int64_t flat, int64_t *idx)
{
    for (int k = s->rank - 1; k >= 0; k--) {
        int64_t d = s->d[k].v > 0 ? s->d[k].v : 1;
        idx[k] = flat % d;
        flat /= d;
    }
}

int64_t shape_ravel(const int64_t *dims, int rank, const int64_t *idx)
{
    int64_t flat = 0;
    for (int k = 0; k < rank; k++)
        flat = flat * dims[k] + idx[k];
    return flat;
}

const char *shape_str(const cg_shape *s, char *buf, size_t n)
{
    cg_shape_format(s, buf, n);
    return buf;
}

cg_code shape_check_rank(cg_infer_ctx *c, int rank)
{
    if (rank > CG_MAX_RANK)
        return cg_ctx_fail_code(c, CG_ERR_UNSUPPORTED, "output rank %d exceeds the supported %d",
                                rank, CG_MAX_RANK);
    return CG_OK;
}

/* ---- kernel helpers ---- */

cg_code shape_from_dims(cg_infer_ctx *c, const cg_dim *d, int n, cg_shape *s)
{
    cg_code rc = shape_check_rank(c, n);
    if (rc != CG_OK)
        return rc;
    s->rank = n;
    for (int k = 0; k < n; k++) {
        int64_t v;
        if (cg_dim_to_i64(d[k], &v) && v < 0)
            return cg_ctx_fail(c, "shape element %d is %lld, dims must be >= 0", k, (long long)v);
        s->d[k] = d[k];
    }
    return CG_OK;
}

void shape_strides(const int64_t *dims, int rank, int64_t *strides)
{
    int64_t s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        strides[k] = s;
        s *= dims[k];
    }
}

/* One row along the last axis: a memcpy when both sides are contiguous. */
static void copy_row(uint8_t *d, int64_t ds, const uint8_t *s, int64_t ss, int64_t n, size_t es)
{
    if (ds == 1 && ss == 1) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
    for (int64_t j = 0; j < n; j++)
        memcpy(d + j * ds * (int64_t)es, s + j * ss * (int64_t)es, es);
}

void shape_copy_block(void *dst, int64_t dst_off, const int64_t *dst_strides, const void *src,
                      int64_t src_off, const int64_t *src_strides, const int64_t *dims, int rank,
                      size_t es)
{
    int64_t total = 1, idx[CG_MAX_RANK] = {0};
    for (int k = 0; k < rank; k++)
        total *= dims[k];
    if (total <= 0)
        return;
    int last = rank - 1;
    int64_t n = rank > 0 ? dims[last] : 1;
    int64_t ds = rank > 0 ? dst_strides[last] : 1, ss = rank > 0 ? src_strides[last] : 1;
    for (int64_t r = 0; r < total / n; r++) {
        copy_row((uint8_t *)dst + dst_off * (int64_t)es, ds,
                 (const uint8_t *)src + src_off * (int64_t)es, ss, n, es);
        /* odometer over the axes before the last */
        for (int a = last - 1; a >= 0; a--) {
            idx[a]++;
            dst_off += dst_strides[a];
            src_off += src_strides[a];
            if (idx[a] < dims[a])
                break;
            dst_off -= dims[a] * dst_strides[a];
            src_off -= dims[a] * src_strides[a];
            idx[a] = 0;
        }
    }
}

cg_code shape_run_check(cg_run_ctx *c, const cg_tensor *in, const cg_tensor *out, int64_t numel)
{
    if (!in || !out)
        return cg_run_fail(c, CG_ERR_INVALID, "a required input or output is missing");
    if (cg_dtype_size(in->dtype) == 0)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported",
                           cg_dtype_name(in->dtype));
    if (in->dtype != out->dtype || out->numel != numel)
        return cg_run_fail(c, CG_ERR_INVALID, "output is %s with %lld elements, expected %s with %lld",
                           cg_dtype_name(out->dtype), (long long)out->numel,
                           cg_dtype_name(in->dtype), (long long)numel);
    return CG_OK;
}

cg_code shape_run_copy(cg_run_ctx *c)
{
    const cg_tensor *in = cg_run_in(c, 0);
    cg_tensor *out = cg_run_out(c, 0);
    cg_code rc = shape_run_check(c, in, out, in ? in->numel : 0);
    if (rc == CG_OK && out->nbytes)
        memcpy(out->data, in->data, out->nbytes);
    return rc;
}

cg_code shape_run_ints(cg_run_ctx *c, int i, int64_t *v, int *n, int max)
{
    const cg_tensor *t = cg_run_in(c, i);
    *n = 0;
    if (!t)
        return CG_OK;
    if (!cg_dtype_is_int(t->dtype))
        return cg_run_fail(c, CG_ERR_INVALID, "input %d must be an integer tensor, got %s", i,
                           cg_dtype_name(t->dtype));
    if (t->numel > max)
        return cg_run_fail(c, CG_ERR_INVALID, "input %d has %lld values, at most %d are supported",
                           i, (long long)t->numel, max);
    for (int64_t k = 0; k < t->numel; k++)
        v[k] = cg_tensor_get_i64(t, k);
    *n = (int)t->numel;
    return CG_OK;
}

double shape_tensor_get_f64(const cg_tensor *t, int64_t k)
{
    if (t->dtype != CG_BFLOAT16)
        return cg_tensor_get_f64(t, k);
    uint16_t h;
    uint32_t u;
    float f;
    memcpy(&h, (const uint8_t *)t->data + 2 * k, 2);
    u = (uint32_t)h << 16; /* bfloat16 is the top half of a float32 */
    memcpy(&f, &u, 4);
    return f;
}

int64_t shape_tensor_get_i64(const cg_tensor *t, int64_t k)
{
    if (t->dtype != CG_UINT64)
        return cg_tensor_get_i64(t, k);
    uint64_t u;
    memcpy(&u, (const uint8_t *)t->data + 8 * k, 8);
    /* wrap above INT64_MAX without the implementation-defined conversion */
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
}
