/* Helpers every shape function uses: input/output access, known contents,
 * broadcasting and uniform error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/ops.h"

bool cg_ctx_has_input(const cg_infer_ctx *c, int i)
{
    return i >= 0 && i < c->node->n_inputs && c->node->inputs[i] >= 0;
}

cg_value *cg_ctx_in(const cg_infer_ctx *c, int i)
{
    return cg_ctx_has_input(c, i) ? &c->g->values[c->node->inputs[i]] : NULL;
}

cg_value *cg_ctx_out(const cg_infer_ctx *c, int i)
{
    if (i < 0 || i >= c->node->n_outputs || c->node->outputs[i] < 0)
        return NULL;
    return &c->g->values[c->node->outputs[i]];
}

const cg_tensor *cg_ctx_in_data(const cg_infer_ctx *c, int i)
{
    const cg_value *v = cg_ctx_in(c, i);
    return v && !cg_tensor_unloaded(v->data) ? v->data : NULL; /* not loaded: unknown */
}

bool cg_ctx_in_dimvals(const cg_infer_ctx *c, int i, cg_dim *out, int *n, int max)
{
    const cg_value *v = cg_ctx_in(c, i);
    if (!v)
        return false;
    const cg_tensor *t = cg_tensor_unloaded(v->data) ? NULL : v->data; /* known contents are exact: prefer them */
    if (t && cg_dtype_is_int(t->dtype) && t->rank <= 1 && t->numel <= max) {
        for (int64_t k = 0; k < t->numel; k++)
            out[k] = cg_dim_of_i64(c->g->pool, cg_tensor_get_i64(t, k));
        *n = (int)t->numel;
        return true;
    }
    if (!v->dimvals || v->n_dimvals > max)
        return false;
    memcpy(out, v->dimvals, (size_t)v->n_dimvals * sizeof *out);
    *n = v->n_dimvals;
    return true;
}

void cg_ctx_set_out(cg_infer_ctx *c, int i, cg_dtype dtype, const cg_shape *shape)
{
    cg_value *v = cg_ctx_out(c, i);
    if (v) {
        v->dtype = dtype;
        v->shape = *shape;
    }
}

cg_code cg_ctx_set_out_dimvals(cg_infer_ctx *c, int i, const cg_dim *d, int n)
{
    cg_value *v = cg_ctx_out(c, i);
    if (!v)
        return CG_OK;
    cg_dim *copy = malloc((size_t)(n > 0 ? n : 1) * sizeof *copy);
    if (!copy)
        return cg_ctx_fail_code(c, CG_ERR_NOMEM, "out of memory");
    if (n > 0)
        memcpy(copy, d, (size_t)n * sizeof *copy);
    free(v->dimvals);
    v->dimvals = copy;
    v->n_dimvals = n;
    return CG_OK;
}

void cg_ctx_set_out_data(cg_infer_ctx *c, int i, cg_tensor *t)
{
    cg_value *v = cg_ctx_out(c, i);
    if (!v) {
        cg_tensor_free(t);
        return;
    }
    cg_tensor_free(v->data);
    v->data = t;
    v->dtype = t->dtype;
    v->shape = cg_tensor_shape(t);
}

static cg_code ctx_vfail(cg_infer_ctx *c, cg_code code, const char *fmt, va_list ap)
{
    char what[CG_MSG_MAX];
    vsnprintf(what, sizeof what, fmt, ap);
    return cg_fail_node(c->st, code, c->g, c->node, "%s", what);
}

cg_code cg_ctx_fail(cg_infer_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cg_code rc = ctx_vfail(c, CG_ERR_INVALID, fmt, ap);
    va_end(ap);
    return rc;
}

cg_code cg_ctx_fail_code(cg_infer_ctx *c, cg_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cg_code rc = ctx_vfail(c, code, fmt, ap);
    va_end(ap);
    return rc;
}

cg_code cg_ctx_require_inputs(cg_infer_ctx *c, int min)
{
    for (int i = 0; i < min; i++)
        if (!cg_ctx_has_input(c, i))
            return cg_ctx_fail(c, "needs at least %d input%s, input %d is missing", min, min == 1 ? "" : "s", i);
    return CG_OK;
}

cg_code cg_ctx_axis(cg_infer_ctx *c, int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= rank)
        return cg_ctx_fail(c, "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return CG_OK;
}

/* One axis of numpy broadcasting; false when the dims cannot broadcast. */
static bool broadcast_dim(cg_dim a, cg_dim b, cg_dim *out)
{
    bool a1 = cg_dim_is_known(a) && a.v == 1, b1 = cg_dim_is_known(b) && b.v == 1;
    if (a1 || cg_dim_equal(a, b))
        *out = b1 ? a : b;
    else if (b1)
        *out = a;
    else if (cg_dim_is_known(a) && cg_dim_is_known(b))
        return false;
    else if (cg_dim_is_known(a) || cg_dim_is_known(b))
        *out = cg_dim_is_known(a) ? a : b; /* the symbol must equal the number */
    else
        *out = cg_dim_unknown(); /* two different symbols: either may be 1 */
    return true;
}

cg_code cg_ctx_broadcast(cg_infer_ctx *c, const cg_shape *a, const cg_shape *b, cg_shape *out)
{
    if (a->rank < 0 || b->rank < 0) {
        *out = cg_shape_unknown();
        return CG_OK;
    }
    int rank = a->rank > b->rank ? a->rank : b->rank;
    cg_shape r;
    r.rank = rank;
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        cg_dim da = ia >= 0 ? a->d[ia] : cg_dim_known(1);
        cg_dim db = ib >= 0 ? b->d[ib] : cg_dim_known(1);
        if (!broadcast_dim(da, db, &r.d[i])) {
            char sa[256], sb[256];
            cg_shape_format(a, sa, sizeof sa);
            cg_shape_format(b, sb, sizeof sb);
            return cg_ctx_fail(c, "shapes %s and %s cannot broadcast", sa, sb);
        }
    }
    *out = r;
    return CG_OK;
}
