/* Operator family 'conv': Conv and ConvTranspose (ONNX, channels first).
 * Shape functions check operands and attributes; output sizes and pads come from
 * padding.c through cg_window_resolve_node. */
#include "ops/families.h"
#include "ops/window_attrs.h"

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
    if (a.x->shape.rank < 0) { /* nothing to resolve against: dtype only */
        cg_shape unknown = cg_shape_unknown();
        cg_ctx_set_out(c, 0, a.x->dtype, &unknown);
        return CG_OK;
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
    return CG_OK;
}

static cg_code infer_conv(cg_infer_ctx *c) { return infer_conv_common(c, false); }
static cg_code infer_conv_transpose(cg_infer_ctx *c) { return infer_conv_common(c, true); }

/* Versions from the ONNX operator docs (Conv 1, 11, 22; ConvTranspose 1, 11, 22):
 * the shape rules are the same in each, later ones only widen the types. */
const cg_op_def cg_ops_conv[] = {
    {"", "Conv", 1, infer_conv},
    {"", "Conv", 11, infer_conv},
    {"", "Conv", 22, infer_conv},
    {"", "ConvTranspose", 1, infer_conv_transpose},
    {"", "ConvTranspose", 11, infer_conv_transpose},
    {"", "ConvTranspose", 22, infer_conv_transpose},
    {NULL, NULL, 0, NULL},
};
