/* Window attributes of ONNX Conv/ConvTranspose/pools and shared checks of the
 * window-ops family. The geometry itself is padding.c's job; this file only turns
 * attributes into a cg_window and hands the result back to the node. */
#include "ops/window_attrs.h"

#include <math.h>
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

/* ---------------------------------------------------------------- kernels */

/* Sizes and pads of axis i of a tensor with `spatial` spatial dims, right-aligned. */
static void run_axis_set(cg_run_window *rw, int a, const cg_window_report *rep, int i,
                         int64_t in, int64_t out)
{
    rw->in[a] = in;
    rw->out[a] = out;
    rw->kernel[a] = rep->w.kernel[i];
    rw->stride[a] = rep->w.strides[i];
    rw->dilation[a] = rep->w.dilations[i];
    rw->pad_begin[a] = rep->axes[i].pad_begin;
    rw->pad_end[a] = rep->axes[i].pad_end;
}

static void run_axis_trivial(cg_run_window *rw, int a)
{
    rw->in[a] = rw->out[a] = rw->kernel[a] = rw->stride[a] = rw->dilation[a] = 1;
    rw->pad_begin[a] = rw->pad_end[a] = 0;
}

/* True when what shape inference resolved for axis i still describes x and y. */
static bool run_axis_agrees(const cg_window_report *rep, int i, int64_t in, int64_t out)
{
    const cg_window_axis *ax = &rep->axes[i];
    return cg_dim_is_known(ax->in) && ax->in.v == in && cg_dim_is_known(ax->out) &&
           ax->out.v == out && ax->pad_begin >= 0 && ax->pad_end >= 0 &&
           rep->w.kernel[i] >= 1 && rep->w.strides[i] >= 1 && rep->w.dilations[i] >= 1;
}

cg_code cg_run_window_get(cg_run_ctx *c, const cg_tensor *x, const cg_tensor *y,
                          cg_run_window *rw)
{
    const cg_window_report *rep = c->node->window;
    if (!rep)
        return cg_run_fail(c, CG_ERR_INVALID, "no window geometry was resolved for this node");
    int spatial = rep->w.spatial;
    if (spatial < 1 || spatial > CG_RUN_AXES || x->rank != spatial + 2 || y->rank != x->rank)
        return cg_run_fail(c, CG_ERR_INVALID, "tensor ranks %d and %d do not match %d spatial dims",
                           x->rank, y->rank, spatial);
    memset(rw, 0, sizeof *rw);
    rw->spatial = spatial;
    int skip = CG_RUN_AXES - spatial;
    for (int a = 0; a < skip; a++)
        run_axis_trivial(rw, a);
    for (int i = 0; i < spatial; i++) {
        if (!run_axis_agrees(rep, i, x->dims[2 + i], y->dims[2 + i]))
            return cg_run_fail(c, CG_ERR_INVALID, "spatial dim %d: tensors (%lld in, %lld out) "
                               "disagree with the resolved window", i,
                               (long long)x->dims[2 + i], (long long)y->dims[2 + i]);
        run_axis_set(rw, skip + i, rep, i, x->dims[2 + i], y->dims[2 + i]);
    }
    rw->in_size = rw->out_size = rw->kernel_size = 1;
    for (int a = 0; a < CG_RUN_AXES; a++) { /* in and out: the tensors exist, no overflow */
        rw->in_size *= rw->in[a];
        rw->out_size *= rw->out[a];
        /* a pool's kernel only has to fit the padded input, and pads are unbounded */
        if (cg_mul_overflows(rw->kernel_size, rw->kernel[a], &rw->kernel_size))
            return cg_run_fail(c, CG_ERR_UNSUPPORTED, "the kernel has too many taps");
    }
    return CG_OK;
}

/* Integer division rounding up, for b > 0 and any sign of a. */
static int64_t div_ceil_any(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a > 0) ? q + 1 : q;
}

void cg_run_tap_range(int64_t start, int64_t d, int64_t k_count, int64_t from, int64_t to,
                      int64_t *lo, int64_t *hi)
{
    /* start + k*d >= from  <=>  k >= ceil((from - start)/d);
     * start + k*d <  to    <=>  k <  ceil((to - start)/d) */
    int64_t l = div_ceil_any(from - start, d), h = div_ceil_any(to - start, d);
    l = l < 0 ? 0 : l;
    h = h > k_count ? k_count : h;
    *lo = l;
    *hi = h > l ? h : l;
}

cg_code cg_run_require_window_dtype(cg_run_ctx *c, const char *name, const cg_tensor *t)
{
    switch (t->dtype) {
    case CG_FLOAT:
    case CG_DOUBLE:
    case CG_FLOAT16:
    case CG_INT8:
    case CG_UINT8: return CG_OK;
    default:
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s inputs are not supported (input %s)",
                           cg_dtype_name(t->dtype), name);
    }
}

double *cg_run_load_f64(cg_run_ctx *c, const cg_tensor *t)
{
    size_t n = t->numel > 0 ? (size_t)t->numel : 1;
    double *v = malloc(n * sizeof *v);
    if (!v) {
        cg_run_fail(c, CG_ERR_NOMEM, "out of memory copying a tensor of %lld elements",
                    (long long)t->numel);
        return NULL;
    }
    for (int64_t i = 0; i < t->numel; i++)
        v[i] = cg_tensor_get_f64(t, i);
    return v;
}

/* Rounded to nearest and saturated into [lo, hi]; NaN becomes 0. */
static double saturate(double v, double lo, double hi)
{
    if (isnan(v))
        return 0;
    v = nearbyint(v);
    return v < lo ? lo : v > hi ? hi : v;
}

void cg_run_store_f64(cg_tensor *t, int64_t i, double v)
{
    if (!t->data || i < 0 || i >= t->numel)
        return;
    switch (t->dtype) {
    case CG_FLOAT: ((float *)t->data)[i] = (float)v; break;
    case CG_DOUBLE: ((double *)t->data)[i] = v; break;
    case CG_FLOAT16: ((uint16_t *)t->data)[i] = cg_float_to_half((float)v); break;
    case CG_INT8: ((int8_t *)t->data)[i] = (int8_t)saturate(v, INT8_MIN, INT8_MAX); break;
    case CG_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)saturate(v, 0, UINT8_MAX); break;
    case CG_INT64: ((int64_t *)t->data)[i] = (int64_t)saturate(v, -9.2e18, 9.2e18); break;
    default: break;
    }
}
