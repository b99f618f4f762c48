/* Operator family 'conv': Conv and ConvTranspose (ONNX, channels first).
 * Shape functions check operands and attributes; output sizes and pads come from
 * padding.c through cg_window_resolve_node. The reference kernels read that
 * geometry back from node->window and compute in doubles (float32, float64 and
 * float16 tensors through the same loop), 1-D to 3-D, tap by tap.
 *
 * Fused epilogue (Conv only). A fusion pass in FAST sessions may fold what
 * follows a Conv into it, through internal attributes and a 4th input:
 *   y = act(conv(x, W) + B + Z)
 *   cg.activation  STRING  "Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid",
 *                          "HardSigmoid" (the ONNX ops' definitions) or "Swish"
 *                          (x * sigmoid(x), SiLU); absent: no activation
 *   cg.alpha       FLOAT   LeakyRelu's slope (default 0.01, as ONNX), HardSigmoid's
 *                          alpha (default 0.2)
 *   cg.beta        FLOAT   HardSigmoid's beta (default 0.5)
 *   cg.min, cg.max FLOAT   Clip's bounds (default: unbounded); min <= max
 *   input 3, "Z"           optional, same dtype and shape as Y, added before act
 * The shape function validates all of it; both kernels honour it (the reference
 * kernel in its plain loop, after the sum).
 *
 * Fast path: in FAST sessions Conv first tries cg_fast_conv_run
 * (src/runtime/fast_conv*.c, oneDNN when built with it), which declines what it
 * does not cover (other dtypes, 3-D, a case oneDNN refuses); the reference
 * kernel runs then, and always under CG_KERNELS_REFERENCE. */
#include "convgraph/runtime.h"
#include "ops/families.h"
#include "ops/window_attrs.h"
#include "ops/nhwc.h"
#include "runtime/fast_conv.h"

#include <stdlib.h>
#include <string.h>

/* The operands and attributes both ops share. */
typedef struct conv_args {
    const cg_value *x, *w, *b;
    int spatial;
    int64_t group;
    bool transpose;
    bool kernel_known; /* false when W's spatial dims are not all known */
    cg_window win;
} conv_args;

static cg_dim dim_at(const cg_shape *s, int i)
{
    return s->rank > i ? s->d[i] : cg_dim_unknown();
}

static cg_code read_group(cg_infer_ctx *c, int64_t *group)
{
    const cg_attr *a = cg_node_attr(c->node, "group");
    *group = 1;
    if (!a)
        return CG_OK;
    /* ONNX Conv: "number of groups input channels and output channels are divided into" */
    if (a->type != CG_ATTR_INT || a->i < 1)
        return cg_ctx_fail(c, "attribute 'group' must be an int >= 1");
    *group = a->i;
    return CG_OK;
}

/* The kernel from W's spatial dims; unknown when any of them is not a number. */
static void kernel_from_w(conv_args *a)
{
    const cg_shape *ws = &a->w->shape;
    a->kernel_known = ws->rank == a->spatial + 2;
    for (int i = 0; a->kernel_known && i < a->spatial; i++) {
        a->kernel_known = cg_dim_is_known(ws->d[2 + i]);
        a->win.kernel[i] = ws->d[2 + i].v;
    }
}

/* ONNX Conv: kernel_shape "If not present, should be inferred from input W";
 * when present it must agree with W wherever W's dims are known. */
static cg_code read_kernel(cg_infer_ctx *c, conv_args *a)
{
    char attr_s[64], w_s[128];
    bool present;
    cg_code rc = cg_op_read_spatial_ints(c, "kernel_shape", a->spatial, a->win.kernel, &present);
    if (rc != CG_OK || !present) {
        kernel_from_w(a);
        return rc;
    }
    a->kernel_known = true;
    const cg_shape *ws = &a->w->shape;
    for (int i = 0; ws->rank == a->spatial + 2 && i < a->spatial; i++) {
        cg_dim k = ws->d[2 + i];
        if (cg_dim_is_known(k) && k.v != a->win.kernel[i]) {
            cg_shape_format(ws, w_s, sizeof w_s);
            return cg_ctx_fail(c, "kernel_shape %s disagrees with W of shape %s",
                               cg_ints_format(a->win.kernel, a->spatial, attr_s,
                                              sizeof attr_s), w_s);
        }
    }
    return CG_OK;
}

/* ConvTranspose's output_shape: the spec lists spatial dims only; onnxruntime
 * (conv_transpose_attributes.h) also takes the full [N, C, spatial...] form and
 * uses its spatial tail, so both are read. */
static cg_code read_output_shape(cg_infer_ctx *c, conv_args *a)
{
    const cg_attr *at = cg_node_attr(c->node, "output_shape");
    if (!at)
        return CG_OK;
    if (at->type != CG_ATTR_INTS)
        return cg_ctx_fail(c, "attribute 'output_shape' must be a list of ints");
    int skip = at->n == a->spatial + 2 ? 2 : 0;
    if (at->n != a->spatial + skip)
        return cg_ctx_fail(c, "attribute 'output_shape' has %d values but %s needs %d "
                              "(%d spatial dims)", at->n, c->node->op_type, a->spatial,
                           a->spatial);
    memcpy(a->win.output_shape, at->ints + skip, (size_t)a->spatial * sizeof(int64_t));
    a->win.has_output_shape = true;
    return CG_OK;
}

static cg_code read_window(cg_infer_ctx *c, conv_args *a)
{
    bool present;
    cg_window_init(&a->win, a->transpose ? CG_WINDOW_CONV_TRANSPOSE : CG_WINDOW_CONV,
                   a->spatial);
    cg_code rc = cg_window_read_attrs(c, &a->win);
    if (rc == CG_OK)
        rc = read_kernel(c, a);
    if (rc != CG_OK || !a->transpose)
        return rc;
    rc = cg_op_read_spatial_ints(c, "output_padding", a->spatial, a->win.output_padding,
                                 &present);
    return rc == CG_OK ? read_output_shape(c, a) : rc;
}

/* Conv: W is [M, C/group, k...]; ConvTranspose: W is [C, M/group, k...]. */
static cg_code check_channels(cg_infer_ctx *c, const conv_args *a)
{
    cg_dim in_c = dim_at(&a->x->shape, 1);
    cg_dim w0 = dim_at(&a->w->shape, 0), w1 = dim_at(&a->w->shape, 1);
    long long g = (long long)a->group;
    if (!a->transpose) {
        int64_t want = 0;
        if (cg_dim_is_known(w1) && cg_mul_overflows(w1.v, a->group, &want))
            return cg_ctx_fail(c, "W's %lld channels per group times group %lld overflow",
                               (long long)w1.v, g);
        if (cg_dim_is_known(in_c) && cg_dim_is_known(w1) && want != in_c.v)
            return cg_ctx_fail(c, "input X has %lld channels but W expects %lld (group %lld)",
                               (long long)in_c.v, (long long)want, g);
        if (cg_dim_is_known(w0) && w0.v % a->group != 0)
            return cg_ctx_fail(c, "W has %lld output channels, not a multiple of group %lld",
                               (long long)w0.v, g);
        return CG_OK;
    }
    if (cg_dim_is_known(in_c) && cg_dim_is_known(w0) && in_c.v != w0.v)
        return cg_ctx_fail(c, "input X has %lld channels but W expects %lld (group %lld)",
                           (long long)in_c.v, (long long)w0.v, g);
    if (cg_dim_is_known(in_c) && in_c.v % a->group != 0)
        return cg_ctx_fail(c, "input X has %lld channels, not a multiple of group %lld",
                           (long long)in_c.v, g);
    return CG_OK;
}

/* Output channels M: W.dim0 for Conv, W.dim1 * group for ConvTranspose. */
static cg_dim out_channels(cg_infer_ctx *c, const conv_args *a)
{
    if (!a->transpose)
        return dim_at(&a->w->shape, 0);
    cg_dim per_group = dim_at(&a->w->shape, 1);
    if (!cg_dim_is_known(per_group)) /* "N*2" for a symbolic W.dim1 */
        return cg_dim_mul(c->g->pool, per_group, cg_dim_known(a->group));
    int64_t m = cg_macs_mul_int(per_group.v, a->group);
    return m < 0 ? cg_dim_unknown() : cg_dim_known(m);
}

/* ONNX Conv: B is "1D bias to be added to the convolution, has size of M". */
static cg_code check_bias(cg_infer_ctx *c, const conv_args *a, cg_dim m)
{
    char b_s[128];
    if (!a->b || a->b->shape.rank < 0)
        return CG_OK;
    const cg_shape *bs = &a->b->shape;
    bool len_ok = bs->rank == 1 && (!cg_dim_is_known(bs->d[0]) || !cg_dim_is_known(m) ||
                                    bs->d[0].v == m.v);
    if (len_ok)
        return CG_OK;
    cg_shape_format(bs, b_s, sizeof b_s);
    if (cg_dim_is_known(m))
        return cg_ctx_fail(c, "B has shape %s but the op has %lld output channels", b_s,
                           (long long)m.v);
    return cg_ctx_fail(c, "B has shape %s but must be 1-D", b_s);
}

static cg_code check_operands(cg_infer_ctx *c, conv_args *a)
{
    cg_code rc = cg_op_require_same_float(c, "X", a->x->dtype, "W", a->w->dtype);
    if (rc == CG_OK && a->b)
        rc = cg_op_require_same_float(c, "X", a->x->dtype, "B", a->b->dtype);
    if (rc == CG_OK)
        rc = cg_window_spatial_rank(c, "X", a->x->shape.rank, &a->spatial);
    if (rc == CG_OK && a->w->shape.rank >= 0 && a->w->shape.rank != a->x->shape.rank)
        return cg_ctx_fail(c, "W has rank %d but X has rank %d", a->w->shape.rank,
                           a->x->shape.rank);
    if (rc == CG_OK)
        rc = read_group(c, &a->group);
    return rc == CG_OK ? check_channels(c, a) : rc;
}

/* Conv: N*M*prod(out)*(C/group)*prod(k); ConvTranspose: N*C*prod(in)*(M/group)*prod(k). */
static int64_t conv_macs(const conv_args *a, const cg_shape *y)
{
    const cg_shape *x = &a->x->shape;
    const cg_shape *big = a->transpose ? x : y; /* the side the kernel slides over */
    int64_t macs = cg_macs_mul(1, x->d[0]);
    macs = cg_macs_mul(macs, big->d[1]);
    for (int i = 0; i < a->spatial; i++)
        macs = cg_macs_mul(cg_macs_mul_int(macs, a->win.kernel[i]), big->d[2 + i]);
    return cg_macs_mul(macs, dim_at(&a->w->shape, 1)); /* C/group resp. M/group */
}

static cg_code check_epilogue_attrs(cg_infer_ctx *c)
{
    static const char *const floats[] = {"cg.alpha", "cg.beta", "cg.min", "cg.max"};
    const cg_attr *a = cg_node_attr(c->node, "cg.activation");
    if (a && (a->type != CG_ATTR_STRING || cg_conv_act_parse(a->s) < 0))
        return cg_ctx_fail(c, "attribute 'cg.activation' must be one of Relu, Clip, "
                              "LeakyRelu, HardSwish, Sigmoid, HardSigmoid, Swish");
    for (int i = 0; i < 4; i++) {
        a = cg_node_attr(c->node, floats[i]);
        if (a && a->type != CG_ATTR_FLOAT)
            return cg_ctx_fail(c, "attribute '%s' must be a float", floats[i]);
    }
    cg_conv_epilogue ep;
    cg_conv_epilogue_read(c->node, &ep);
    if (!(ep.min <= ep.max))
        return cg_ctx_fail(c, "attribute 'cg.min' %g is above 'cg.max' %g", (double)ep.min,
                           (double)ep.max);
    return CG_OK;
}

/* Z (input 3) must be exactly what Y is: it is added element by element. */
static cg_code check_epilogue_z(cg_infer_ctx *c, cg_dtype dtype, const cg_shape *y)
{
    char z_s[128], y_s[128];
    if (!cg_ctx_has_input(c, 3))
        return CG_OK;
    const cg_value *z = cg_ctx_in(c, 3);
    if (z->dtype != dtype)
        return cg_ctx_fail(c, "input Z has dtype %s but Y has %s", cg_dtype_name(z->dtype),
                           cg_dtype_name(dtype));
    bool ok = z->shape.rank < 0 || y->rank < 0 || z->shape.rank == y->rank;
    for (int i = 0; ok && z->shape.rank >= 0 && i < y->rank; i++)
        ok = !cg_dim_is_known(z->shape.d[i]) || !cg_dim_is_known(y->d[i]) ||
             z->shape.d[i].v == y->d[i].v;
    if (ok)
        return CG_OK;
    cg_shape_format(&z->shape, z_s, sizeof z_s);
    cg_shape_format(y, y_s, sizeof y_s);
    return cg_ctx_fail(c, "input Z has shape %s but Y has shape %s", z_s, y_s);
}

static cg_code infer_conv_common(cg_infer_ctx *c, bool transpose)
{
    conv_args a = {0};
    a.transpose = transpose;
    cg_code rc = cg_ctx_require_inputs(c, 2);
    if (rc != CG_OK)
        return rc;
    a.x = cg_ctx_in(c, 0);
    a.w = cg_ctx_in(c, 1);
    a.b = cg_ctx_has_input(c, 2) ? cg_ctx_in(c, 2) : NULL;
    c->node->macs = -1;
    if (transpose && cg_ctx_has_input(c, 3))
        return cg_ctx_fail(c, "ConvTranspose takes at most 3 inputs");
    if (!transpose && (rc = check_epilogue_attrs(c)) != CG_OK)
        return rc;
    if (a.x->shape.rank < 0) { /* nothing to resolve against: dtype only */
        cg_shape unknown = cg_shape_unknown();
        cg_ctx_set_out(c, 0, a.x->dtype, &unknown);
        return check_epilogue_z(c, a.x->dtype, &unknown);
    }
    rc = check_operands(c, &a);
    if (rc == CG_OK)
        rc = read_window(c, &a);
    cg_dim m = out_channels(c, &a);
    if (rc == CG_OK)
        rc = check_bias(c, &a, m);
    if (rc != CG_OK)
        return rc;
    cg_shape y = {.rank = a.x->shape.rank};
    y.d[0] = a.x->shape.d[0];
    y.d[1] = m;
    for (int i = 0; i < a.spatial; i++)
        y.d[2 + i] = cg_dim_unknown();
    if (a.kernel_known) {
        rc = cg_window_resolve_node(c, &a.win, &a.x->shape.d[2], &y.d[2]);
        if (rc != CG_OK)
            return rc;
        c->node->macs = conv_macs(&a, &y);
    }
    cg_ctx_set_out(c, 0, a.x->dtype, &y);
    return check_epilogue_z(c, a.x->dtype, &y);
}

static cg_code infer_conv(cg_infer_ctx *c) { return infer_conv_common(c, false); }
static cg_code infer_conv_transpose(cg_infer_ctx *c) { return infer_conv_common(c, true); }

/* ================================================================ kernels */

/* The operands of one Conv/ConvTranspose run, as doubles, with the channel split.
 * Conv: W is [M, C/group, k...]; ConvTranspose: W is [C, M/group, k...]. */
typedef struct conv_run {
    cg_run_window rw;
    double *x, *w, *b; /* b NULL when B is omitted */
    double *z;         /* the fused epilogue's Z; NULL when absent */
    cg_conv_epilogue ep;
    int64_t batch, in_c, out_c, group;
    int64_t in_per_group, out_per_group;
} conv_run;

static void conv_run_free(conv_run *r)
{
    free(r->x);
    free(r->w);
    free(r->b);
    free(r->z);
}

/* What inference already checked, re-checked on the tensors so that a kernel
 * never indexes past them. */
static cg_code conv_run_check(cg_run_ctx *c, const cg_tensor *x, const cg_tensor *w,
                              const cg_tensor *b, const cg_tensor *y, conv_run *r)
{
    bool transpose = c->node->window->w.kind == CG_WINDOW_CONV_TRANSPOSE;
    int64_t per_group_total = 0;
    bool ok = r->group >= 1 && w->rank == x->rank &&
              !cg_mul_overflows(w->dims[1], r->group, &per_group_total);
    int64_t w_in = transpose ? w->dims[0] : per_group_total;
    int64_t w_out = transpose ? per_group_total : w->dims[0];
    ok = ok && x->dims[1] == w_in && y->dims[1] == w_out && y->dims[0] == x->dims[0] &&
         w_in % r->group == 0 && w_out % r->group == 0 && (!b || b->numel == w_out);
    int skip = CG_RUN_AXES - r->rw.spatial;
    for (int i = 0; ok && i < r->rw.spatial; i++)
        ok = w->dims[2 + i] == r->rw.kernel[skip + i];
    if (!ok)
        return cg_run_fail(c, CG_ERR_INVALID, "X, W, B and Y do not fit together (group %lld)",
                           (long long)r->group);
    r->batch = x->dims[0];
    r->in_c = w_in;
    r->out_c = w_out;
    r->in_per_group = w_in / r->group;
    r->out_per_group = w_out / r->group;
    return CG_OK;
}

static cg_code conv_run_load(cg_run_ctx *c, conv_run *r)
{
    const cg_tensor *x = cg_run_in(c, 0), *w = cg_run_in(c, 1), *b = cg_run_in(c, 2);
    cg_tensor *y = cg_run_out(c, 0);
    if (!x || !w || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "X, W and Y are required");
    cg_code rc = CG_OK;
    const cg_tensor *operands[] = {x, w, b, y};
    const char *names[] = {"X", "W", "B", "Y"};
    for (int i = 0; rc == CG_OK && i < 4; i++)
        if (operands[i])
            rc = cg_run_require_window_dtype(c, names[i], operands[i]);
    r->group = cg_attr_int(c->node, "group", 1);
    if (rc == CG_OK)
        rc = cg_run_window_get(c, x, y, &r->rw);
    if (rc == CG_OK)
        rc = conv_run_check(c, x, w, b, y, r);
    if (rc != CG_OK)
        return rc;
    r->x = cg_run_load_f64(c, x);
    r->w = r->x ? cg_run_load_f64(c, w) : NULL;
    r->b = r->w && b ? cg_run_load_f64(c, b) : NULL;
    return r->w && (!b || r->b) ? CG_OK : c->st->code;
}

/* Both ops pair an output position o with an input position i through a tap k:
 * Conv reads x[i] into y[o] for i = o*s - pad_begin + k*d; ConvTranspose, its
 * transpose, adds x[i] into y[o] for o = i*s - pad_begin + k*d. So for one tap and
 * one axis, the positions p of one side map to q = p*s + shift (shift = k*d -
 * pad_begin) on the other, and those with q inside [0, n) form one range; the rest
 * is zero padding (Conv) or cropped away (ConvTranspose pads, a smaller
 * output_shape). Looping tap by tap over that range needs no bounds checks. */
typedef struct tap_span {
    int64_t lo[CG_RUN_AXES], hi[CG_RUN_AXES], shift[CG_RUN_AXES];
} tap_span;

/* The positions of the `from` side (from_n of them, stepping by the stride) that
 * tap k maps into [0, to_n) of the other side. */
static void tap_span_at(const cg_run_window *rw, const int64_t *k, const int64_t *from_n,
                        const int64_t *to_n, tap_span *t)
{
    for (int a = 0; a < CG_RUN_AXES; a++) {
        t->shift[a] = k[a] * rw->dilation[a] - rw->pad_begin[a];
        cg_run_tap_range(t->shift[a], rw->stride[a], from_n[a], 0, to_n[a], &t->lo[a],
                         &t->hi[a]);
    }
}

/* acc[o] += wv * x[o*s + shift] over the span (Conv), or acc[i*s + shift] += wv * x[i]
 * (ConvTranspose, scatter = true). x and acc are one channel plane each. */
static void tap_apply(const cg_run_window *rw, const tap_span *t, double wv, const double *x,
                      double *acc, bool scatter)
{
    const int64_t *xn = rw->in, *an = rw->out; /* plane dims of x and acc */
    for (int64_t p0 = t->lo[0]; p0 < t->hi[0]; p0++) {
        int64_t q0 = p0 * rw->stride[0] + t->shift[0];
        for (int64_t p1 = t->lo[1]; p1 < t->hi[1]; p1++) {
            int64_t q1 = p1 * rw->stride[1] + t->shift[1];
            if (!scatter) { /* p indexes the output, q the input */
                const double *xr = x + (q0 * xn[1] + q1) * xn[2] + t->shift[2];
                double *ar = acc + (p0 * an[1] + p1) * an[2];
                for (int64_t p2 = t->lo[2]; p2 < t->hi[2]; p2++)
                    ar[p2] += wv * xr[p2 * rw->stride[2]];
            } else { /* p indexes the input, q the output */
                const double *xr = x + (p0 * xn[1] + p1) * xn[2];
                double *ar = acc + (q0 * an[1] + q1) * an[2] + t->shift[2];
                for (int64_t p2 = t->lo[2]; p2 < t->hi[2]; p2++)
                    ar[p2 * rw->stride[2]] += wv * xr[p2];
            }
        }
    }
}

/* Every tap of one (input channel, output channel) kernel slice w_k. */
static void taps_apply(const cg_run_window *rw, const double *w_k, const double *x,
                       double *acc, bool scatter)
{
    int64_t k[CG_RUN_AXES];
    tap_span t;
    const int64_t *from_n = scatter ? rw->in : rw->out, *to_n = scatter ? rw->out : rw->in;
    for (k[0] = 0; k[0] < rw->kernel[0]; k[0]++)
        for (k[1] = 0; k[1] < rw->kernel[1]; k[1]++)
            for (k[2] = 0; k[2] < rw->kernel[2]; k[2]++) {
                double wv = w_k[(k[0] * rw->kernel[1] + k[1]) * rw->kernel[2] + k[2]];
                tap_span_at(rw, k, from_n, to_n, &t);
                tap_apply(rw, &t, wv, x, acc, scatter);
            }
}

/* ONNX Conv: y[n, m, o] = B[m] + sum over the channels ci of m's group and taps k of
 * x[n, g*C/group + ci, o*s - pad_begin + k*d] * W[m, ci, k].
 * ONNX ConvTranspose (W is [C, M/group, k...]): every x[n, c, i] adds
 * x * W[c, m', k] to y[n, m, i*s - pad_begin + k*d] for the outputs m of c's group.
 * One output plane is accumulated in doubles, then stored. */
static void conv_output_plane(const conv_run *r, bool transpose, int64_t n, int64_t m,
                              double *acc)
{
    const cg_run_window *rw = &r->rw;
    int64_t g = m / r->out_per_group, mg = m % r->out_per_group;
    for (int64_t p = 0; p < rw->out_size; p++)
        acc[p] = r->b ? r->b[m] : 0;
    for (int64_t ci = 0; ci < r->in_per_group; ci++) {
        int64_t ch = g * r->in_per_group + ci;
        const double *x_c = r->x + (n * r->in_c + ch) * rw->in_size;
        int64_t w_slice = transpose ? ch * r->out_per_group + mg : m * r->in_per_group + ci;
        taps_apply(rw, r->w + w_slice * rw->kernel_size, x_c, acc, transpose);
    }
}

/* y = act(acc + Z) over one output plane starting at element `base`. */
static void epilogue_apply(const conv_run *r, int64_t base, double *acc)
{
    if (r->ep.act == CG_CONV_ACT_NONE && !r->z)
        return;
    for (int64_t p = 0; p < r->rw.out_size; p++)
        acc[p] = cg_conv_act_apply(&r->ep, acc[p] + (r->z ? r->z[base + p] : 0));
}

static cg_code conv_compute(cg_run_ctx *c, const conv_run *r, bool transpose, cg_tensor *y)
{
    const cg_run_window *rw = &r->rw;
    double *acc = malloc((size_t)(rw->out_size > 0 ? rw->out_size : 1) * sizeof *acc);
    if (!acc)
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory for an output plane");
    for (int64_t n = 0; n < r->batch; n++)
        for (int64_t m = 0; m < r->out_c; m++) {
            conv_output_plane(r, transpose, n, m, acc);
            int64_t base = (n * r->out_c + m) * rw->out_size;
            epilogue_apply(r, base, acc);
            for (int64_t p = 0; p < rw->out_size; p++)
                cg_run_store_f64(y, base + p, acc[p]);
        }
    free(acc);
    return CG_OK;
}

/* Z must be Y's twin before either kernel reads it element by element. */
static cg_code epilogue_load(cg_run_ctx *c, cg_conv_epilogue *ep)
{
    cg_conv_epilogue_read(c->node, ep);
    ep->z = c->n_in > 3 ? cg_run_in(c, 3) : NULL;
    const cg_tensor *y = cg_run_out(c, 0);
    if (!ep->z)
        return CG_OK;
    bool same = y && cg_tensor_same_shape(ep->z, y);
    return same ? CG_OK : cg_run_fail(c, CG_ERR_INVALID, "input Z does not match Y");
}

static cg_code conv_reference(cg_run_ctx *c, conv_run *r, bool transpose)
{
    cg_code rc = conv_run_load(c, r);
    if (rc == CG_OK && r->ep.z && !(r->z = cg_run_load_f64(c, r->ep.z)))
        rc = c->st->code;
    if (rc == CG_OK)
        rc = conv_compute(c, r, transpose, cg_run_out(c, 0));
    return rc;
}

/* A channels-last copy of t (to_nhwc) or the reverse, rank 4; NULL with st set. */
static cg_tensor *relayout_copy(const cg_run_ctx *c, const cg_tensor *t, bool to_nhwc, cg_status *st)
{
    if (!t)
        return NULL;
    cg_tensor *r = cg_tensor_new(t->dtype, t->rank, t->dims, st);
    if (r)
        cg_relayout_data(c, t->data, r->data, t->dims, cg_dtype_size(t->dtype), to_nhwc);
    return r;
}

/* A channels-last Conv the fast path turned down: the reference kernel runs on
 * NCHW copies of X and Z into an NCHW Y, stored back channels-last. */
static cg_code conv_reference_nhwc(cg_run_ctx *c, conv_run *r)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    if (!x || !y || x->rank != 4 || y->rank != 4)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "cg.layout NHWC needs 4-D X and Y");
    const cg_tensor *ins[4] = {NULL, NULL, NULL, NULL};
    for (int i = 0; i < c->n_in && i < 4; i++)
        ins[i] = c->in[i];
    cg_tensor *xn = relayout_copy(c, x, false, c->st), *zn = relayout_copy(c, r->ep.z, false, c->st);
    cg_tensor *yn = cg_tensor_new(y->dtype, y->rank, y->dims, c->st);
    cg_code rc = xn && yn && (zn || !r->ep.z) ? CG_OK : c->st->code;
    if (rc == CG_OK) {
        ins[0] = xn;
        ins[3] = zn;
        r->ep.z = zn;
        cg_tensor *outs[1] = {yn};
        cg_run_ctx sub = *c;
        sub.in = ins;
        sub.out = outs;
        sub.n_out = 1;
        rc = conv_reference(&sub, r, false);
    }
    if (rc == CG_OK)
        cg_relayout_data(c, yn->data, y->data, y->dims, cg_dtype_size(y->dtype), true);
    cg_tensor_free(xn);
    cg_tensor_free(zn);
    cg_tensor_free(yn);
    return rc;
}

static cg_code run_conv_common(cg_run_ctx *c, bool transpose)
{
    conv_run r = {0};
    cg_code rc = transpose ? CG_OK : epilogue_load(c, &r.ep);
    if (rc != CG_OK)
        return rc;
    if (!transpose && c->opts->kernels == CG_KERNELS_FAST && cg_fast_conv_run(c, &r.ep, &rc))
        return rc;
    rc = !transpose && cg_node_is_nhwc(c->node) ? conv_reference_nhwc(c, &r)
                                                : conv_reference(c, &r, transpose);
    conv_run_free(&r);
    return rc;
}

static cg_code run_conv(cg_run_ctx *c) { return run_conv_common(c, false); }
static cg_code run_conv_transpose(cg_run_ctx *c) { return run_conv_common(c, true); }

/* Versions from the ONNX operator docs (Conv 1, 11, 22; ConvTranspose 1, 11, 22):
 * the shape rules are the same in each, later ones only widen the types. */
const cg_op_def cg_ops_conv[] = {
    {"", "Conv", 1, infer_conv, run_conv},
    {"", "Conv", 11, infer_conv, run_conv},
    {"", "Conv", 22, infer_conv, run_conv},
    {"", "ConvTranspose", 1, infer_conv_transpose, run_conv_transpose},
    {"", "ConvTranspose", 11, infer_conv_transpose, run_conv_transpose},
    {"", "ConvTranspose", 22, infer_conv_transpose, run_conv_transpose},
    {NULL, NULL, 0, NULL},
};
