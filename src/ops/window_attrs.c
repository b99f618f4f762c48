/* Window attributes of ONNX Conv/ConvTranspose/pools and shared checks of the
 * window-ops family. The geometry itself is padding.c's job; this file only turns
 * attributes into a cg_window and hands the result back to the node. */
#include "ops/window_attrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cg_code cg_op_refuse_attr_before(cg_infer_ctx *c, const char *attr, int64_t since)
{
    if (c->opset >= since || !cg_node_attr(c->node, attr))
        return CG_OK;
    return cg_ctx_fail(c, "attribute '%s' is not part of %s before opset %lld", attr,
                       c->node->op_type, (long long)since);
}

cg_code cg_op_read_ints(cg_infer_ctx *c, const char *name, int want, const char *what,
                        int64_t *out, bool *present)
{
    const cg_attr *a = cg_node_attr(c->node, name);
    *present = a != NULL;
    if (!a)
        return CG_OK;
    if (a->type != CG_ATTR_INTS)
        return cg_ctx_fail(c, "attribute '%s' must be a list of ints", name);
    if (a->n != want)
        return cg_ctx_fail(c, "attribute '%s' has %d values but %s needs %d (%s)", name,
                           a->n, c->node->op_type, want, what);
    memcpy(out, a->ints, (size_t)want * sizeof *out);
    return CG_OK;
}

cg_code cg_op_read_spatial_ints(cg_infer_ctx *c, const char *name, int spatial, int64_t *out,
                                bool *present)
{
    char what[32];
    snprintf(what, sizeof what, "%d spatial dims", spatial);
    return cg_op_read_ints(c, name, spatial, what, out, present);
}

cg_code cg_op_read_flag(cg_infer_ctx *c, const char *name, bool dflt, bool *out)
{
    const cg_attr *a = cg_node_attr(c->node, name);
    *out = dflt;
    if (!a)
        return CG_OK;
    if (a->type != CG_ATTR_INT || (a->i != 0 && a->i != 1))
        return cg_ctx_fail(c, "attribute '%s' must be the int 0 or 1", name);
    *out = a->i == 1;
    return CG_OK;
}

static cg_code read_auto_pad(cg_infer_ctx *c, cg_window *w)
{
    const cg_attr *a = cg_node_attr(c->node, "auto_pad");
    if (!a)
        return CG_OK;
    if (a->type != CG_ATTR_STRING)
        return cg_ctx_fail(c, "attribute 'auto_pad' must be a string");
    if (!cg_auto_pad_parse(a->s, a->s_len, &w->auto_pad)) /* show at most 40 bytes of it */
        return cg_ctx_fail(c, "auto_pad '%.*s' is not one of NOTSET, VALID, SAME_UPPER, "
                              "SAME_LOWER", a->s_len > 40 ? 40 : (int)a->s_len, a->s);
    return CG_OK;
}

cg_code cg_window_read_attrs(cg_infer_ctx *c, cg_window *w)
{
    bool present;
    cg_code rc = cg_op_read_spatial_ints(c, "strides", w->spatial, w->strides, &present);
    if (rc == CG_OK)
        rc = cg_op_read_spatial_ints(c, "dilations", w->spatial, w->dilations, &present);
    if (rc == CG_OK)
        rc = cg_op_read_ints(c, "pads", 2 * w->spatial, "begin and end per spatial dim",
                             w->pads, &w->has_pads);
    if (rc == CG_OK)
        rc = read_auto_pad(c, w);
    if (rc == CG_OK && w->kind == CG_WINDOW_POOL)
        rc = cg_op_read_flag(c, "ceil_mode", false, &w->ceil_mode);
    return rc;
}

cg_code cg_window_resolve_node(cg_infer_ctx *c, const cg_window *w, const cg_dim *in,
                               cg_dim *out)
{
    cg_status pst; /* padding.c's message lacks the node: prefix it here */
    cg_status_clear(&pst);
    cg_window_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return cg_ctx_fail_code(c, CG_ERR_NOMEM, "out of memory for the window report");
    rep->w = *w;
    cg_code rc = cg_window_validate(w, &pst);
    if (rc == CG_OK)
        rc = cg_padding_resolve_all(w, in, c->g->pool, rep->axes, &pst);
    if (rc != CG_OK) {
        free(rep);
        return cg_ctx_fail_code(c, rc, "%s", pst.msg);
    }
    for (int i = 0; i < w->spatial; i++)
        out[i] = rep->axes[i].out;
    free(c->node->window); /* a graph may be inferred more than once */
    c->node->window = rep;
    return CG_OK;
}

cg_code cg_window_spatial_rank(cg_infer_ctx *c, const char *input, int rank, int *spatial)
{
    if (rank < 3 || rank > 2 + CG_MAX_SPATIAL)
        return cg_ctx_fail(c, "input %s has rank %d; %s takes rank 3 to %d (N, C and 1 to "
                              "%d spatial dims)", input, rank, c->node->op_type,
                           2 + CG_MAX_SPATIAL, CG_MAX_SPATIAL);
    *spatial = rank - 2;
    return CG_OK;
}

cg_code cg_op_require_float(cg_infer_ctx *c, const char *name, cg_dtype t)
{
    if (t == CG_UNDEFINED || cg_dtype_is_float(t))
        return CG_OK;
    return cg_ctx_fail(c, "%s is %s but must be a float type", name, cg_dtype_name(t));
}

cg_code cg_op_require_same_float(cg_infer_ctx *c, const char *a_name, cg_dtype a,
                                 const char *b_name, cg_dtype b)
{
    cg_code rc = cg_op_require_float(c, a_name, a);
    if (rc == CG_OK)
        rc = cg_op_require_float(c, b_name, b);
    if (rc == CG_OK && a != CG_UNDEFINED && b != CG_UNDEFINED && a != b)
        return cg_ctx_fail(c, "%s is %s but %s is %s", a_name, cg_dtype_name(a), b_name,
                           cg_dtype_name(b));
    return rc;
}

int64_t cg_macs_mul_int(int64_t acc, int64_t v)
{
    int64_t r;
    if (acc < 0 || v < 0 || cg_mul_overflows(acc, v, &r))
        return -1;
    return r;
}

int64_t cg_macs_mul(int64_t acc, cg_dim d)
{
    return cg_dim_is_known(d) ? cg_macs_mul_int(acc, d.v) : -1;
}

/* Appends to buf, truncating silently: messages are capped at CG_MSG_MAX anyway. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, long long v)
{
    if (*used >= len)
        return;
    int w = snprintf(buf + *used, len - *used, fmt, v);
    if (w > 0)
        *used += (size_t)w;
}

const char *cg_ints_format(const int64_t *v, int n, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    append(buf, len, &used, "[", 0);
    for (int i = 0; i < n; i++)
        append(buf, len, &used, i ? ",%lld" : "%lld", (long long)v[i]);
    append(buf, len, &used, "]", 0);
    return buf;
}
