/* The fast Conv path on oneDNN (C API 2.6): one convolution primitive per node,
 * prepared on first use and cached in the node's kernel state. A node the
 * layout pass stored channels-last (cg.layout NHWC) runs on NHWC tensors as
 * they are, oneDNN's own choice on AVX-512, with no reorders. Otherwise the
 * layout is chosen by timing between oneDNN's preferred one (nhwc/blocked; the
 * NCHW tensors reordered in and out, weights once) and plain NCHW (no
 * reorders). Bias, the residual Z (a sum post-op on the destination) and the
 * activation (an eltwise post-op) are fused in. Threads: oneDNN here runs on
 * OpenMP, whose count is set per call from the options. */
#ifdef CG_HAVE_DNNL
#include "runtime/fast_conv.h"

#include <dnnl.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "convgraph/runtime.h"
#include "ops/window_attrs.h"

static atomic_long fast_runs;
static atomic_int forced = -1; /* cg_fast_conv_force_candidate */

/* Everything the prepared primitive depends on: a different key rebuilds it. */
typedef struct dconv_key {
    int64_t x[4], w[4], y[4];
    int64_t stride[2], dilation[2], pad_l[2], pad_r[2], group;
    cg_conv_epilogue ep; /* z always NULL here: has_z says whether there is one */
    bool has_b, has_z;
    bool nhwc;          /* X, Z and Y stored channels-last (the node's cg.layout) */
    const void *w_data; /* non-constant W: reordered again each run */
} dconv_key;

typedef struct dconv_state {
    dconv_key key;
    bool declined; /* oneDNN refused this case: the reference kernel runs */
    bool w_const;  /* W is an initializer: its reorder is done once */
    dnnl_format_tag_t act_tag; /* what X and Y are asked in: any (oneDNN's pick) or nchw */
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_t conv, src_in, dst_out, z_in, w_in;
    /* user_*: the NCHW tensors (handles set per run); the others oneDNN's layouts,
     * the same objects as user_* where no reorder is needed. */
    dnnl_memory_t user_src, user_dst, user_z, user_w, bias, src, dst, wei;
} dconv_state;

static void dconv_state_free(void *p)
{
    dconv_state *s = p;
    if (!s)
        return;
    dnnl_primitive_t prims[] = {s->conv, s->src_in, s->dst_out, s->z_in, s->w_in};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (prims[i])
            dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[] = {s->user_src, s->user_dst, s->user_z, s->user_w, s->bias};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (mems[i])
            dnnl_memory_destroy(mems[i]);
    if (s->src && s->src != s->user_src)
        dnnl_memory_destroy(s->src);
    if (s->dst && s->dst != s->user_dst)
        dnnl_memory_destroy(s->dst);
    if (s->wei && s->wei != s->user_w)
        dnnl_memory_destroy(s->wei);
    if (s->strm)
        dnnl_stream_destroy(s->strm);
    if (s->eng)
        dnnl_engine_destroy(s->eng);
    free(s);
}

/* oneDNN 2.6's brgconv crashes (SIGSEGV in its JIT code) when an output row or
 * column reads nothing but padding: a 1x1 kernel with a bottom pad, or a
 * dilated kernel whose taps all miss a small input. Real models never pad that
 * much; such convs go to the reference kernel. */
static bool every_output_reads_input(int64_t n, int64_t out, int64_t kernel, int64_t stride,
                                     int64_t dilation, int64_t pad_l)
{
    for (int64_t o = 0; o < out; o++) {
        int64_t lo, hi;
        cg_run_tap_range(o * stride - pad_l, dilation, kernel, 0, n, &lo, &hi);
        if (hi <= lo)
            return false;
    }
    return true;
}

/* Float32 everywhere, 1-D or 2-D, nothing empty. */
static bool operands_fit(const cg_run_ctx *c, const cg_conv_epilogue *ep)
{
    const cg_tensor *x = cg_run_in(c, 0), *w = cg_run_in(c, 1), *b = cg_run_in(c, 2);
    const cg_tensor *y = cg_run_out(c, 0);
    return x && w && y && x->dtype == CG_FLOAT && w->dtype == CG_FLOAT &&
           y->dtype == CG_FLOAT && (!b || b->dtype == CG_FLOAT) &&
           (!ep->z || ep->z->dtype == CG_FLOAT) && x->rank >= 3 && x->rank <= 4 &&
           w->rank == x->rank && y->rank == x->rank && x->numel > 0 && y->numel > 0;
}

/* Dims as 4-D NCHW (1-D runs as 2-D with H = 1) and the window's H and W axes
 * (run-window axes 1 and 2). */
static void key_geometry(dconv_key *k, const cg_tensor *x, const cg_tensor *w,
                         const cg_tensor *y, const cg_run_window *rw)
{
    int skip = 4 - x->rank;
    for (int i = 0; i < 4; i++) {
        k->x[i] = i < 2 ? x->dims[i] : i - 2 < skip ? 1 : x->dims[i - skip];
        k->w[i] = i < 2 ? w->dims[i] : i - 2 < skip ? 1 : w->dims[i - skip];
        k->y[i] = i < 2 ? y->dims[i] : i - 2 < skip ? 1 : y->dims[i - skip];
    }
    for (int i = 0; i < 2; i++) {
        k->stride[i] = rw->stride[1 + i];
        k->dilation[i] = rw->dilation[1 + i] - 1; /* oneDNN counts the gaps */
        k->pad_l[i] = rw->pad_begin[1 + i];
        k->pad_r[i] = rw->pad_end[1 + i];
    }
}

/* The case the fast path covers: operands_fit, every output reading some input,
 * channels that agree. Fills the key from the tensors and node->window. */
static bool dconv_key_make(cg_run_ctx *c, const cg_conv_epilogue *ep, dconv_key *k)
{
    const cg_tensor *x = cg_run_in(c, 0), *b = cg_run_in(c, 2);
    cg_tensor *y = cg_run_out(c, 0);
    cg_run_window rw;
    cg_status quiet = {0}, *saved = c->st;
    if (!operands_fit(c, ep))
        return false;
    c->st = &quiet; /* a misfit is the reference kernel's to report */
    cg_code rc = cg_run_window_get(c, x, y, &rw);
    c->st = saved;
    if (rc != CG_OK || rw.spatial > 2 || c->node->window->w.kind != CG_WINDOW_CONV)
        return false;
    memset(k, 0, sizeof *k);
    key_geometry(k, x, cg_run_in(c, 1), y, &rw);
    for (int i = 0; i < 2; i++)
        if (!every_output_reads_input(k->x[2 + i], k->y[2 + i], k->w[2 + i], k->stride[i],
                                      k->dilation[i] + 1, k->pad_l[i]))
            return false;
    k->group = cg_attr_int(c->node, "group", 1);
    k->ep = *ep;
    k->ep.z = NULL;
    k->has_b = b != NULL;
    k->has_z = ep->z != NULL;
    k->nhwc = cg_node_is_nhwc(c->node);
    return k->group >= 1 && k->x[1] == k->w[1] * k->group && k->y[1] == k->w[0] &&
           k->w[0] % k->group == 0 && (!b || b->numel == k->w[0]) &&
           (!ep->z || ep->z->numel == y->numel);
}

static bool ints_equal(const int64_t *a, const int64_t *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof *a) == 0;
}

/* Field by field: memcmp on the whole struct would read its padding. */
static bool dconv_key_equal(const dconv_key *a, const dconv_key *b)
{
    return ints_equal(a->x, b->x, 4) && ints_equal(a->w, b->w, 4) && ints_equal(a->y, b->y, 4) &&
           ints_equal(a->stride, b->stride, 2) && ints_equal(a->dilation, b->dilation, 2) &&
           ints_equal(a->pad_l, b->pad_l, 2) && ints_equal(a->pad_r, b->pad_r, 2) &&
           a->group == b->group && a->ep.act == b->ep.act && a->ep.alpha == b->ep.alpha &&
           a->ep.beta == b->ep.beta &&
           a->ep.min == b->ep.min && a->ep.max == b->ep.max && a->has_b == b->has_b &&
           a->has_z == b->has_z && a->nhwc == b->nhwc && a->w_data == b->w_data;
}

static bool w_is_constant(const cg_run_ctx *c)
{
    int v = c->node->inputs[1];
    return v >= 0 && c->g->values[v].is_initializer;
}

static dnnl_status_t md_nchw(dnnl_memory_desc_t *md, const int64_t *d, dnnl_format_tag_t tag)
{
    dnnl_dims_t dims = {d[0], d[1], d[2], d[3]};
    return dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

/* W as oihw, or goihw ([G, M/G, C/G, kh, kw]) for grouped and depthwise convs. */
static dnnl_status_t md_weights(dnnl_memory_desc_t *md, const dconv_key *k, bool any)
{
    if (k->group == 1)
        return md_nchw(md, k->w, any ? dnnl_format_tag_any : dnnl_oihw);
    dnnl_dims_t dims = {k->group, k->w[0] / k->group, k->w[1], k->w[2], k->w[3]};
    return dnnl_memory_desc_init_by_tag(md, 5, dims, dnnl_f32,
                                        any ? dnnl_format_tag_any : dnnl_goihw);
}

static dnnl_alg_kind_t act_alg(cg_conv_act act)
{
    switch (act) {
    case CG_CONV_ACT_RELU:
    case CG_CONV_ACT_LEAKY_RELU:
        return dnnl_eltwise_relu; /* alpha: the negative slope */
    case CG_CONV_ACT_CLIP:
        return dnnl_eltwise_clip_v2; /* min(max(x, alpha), beta) */
    case CG_CONV_ACT_HARD_SWISH:
        return dnnl_eltwise_hardswish; /* x * relu6(x + 3) / 6 in 2.6 */
    case CG_CONV_ACT_SIGMOID:
        return dnnl_eltwise_logistic;
    case CG_CONV_ACT_HARD_SIGMOID: /* linear(alpha, beta), then clip to [0, 1]: make_attr */
        return dnnl_eltwise_linear;
    case CG_CONV_ACT_SWISH:
        return dnnl_eltwise_swish; /* x * sigmoid(alpha x), alpha = 1 */
    case CG_CONV_ACT_NONE:
        break;
    }
    return dnnl_alg_kind_undef;
}

/* The eltwise post-op's alpha and beta for the activation. */
static void act_params(const cg_conv_epilogue *ep, float *alpha, float *beta)
{
    switch (ep->act) {
    case CG_CONV_ACT_CLIP:
        *alpha = ep->min;
        *beta = ep->max;
        return;
    case CG_CONV_ACT_LEAKY_RELU:
        *alpha = ep->alpha;
        *beta = 0.0f;
        return;
    case CG_CONV_ACT_HARD_SIGMOID:
        *alpha = ep->alpha;
        *beta = ep->beta;
        return;
    case CG_CONV_ACT_SWISH:
        *alpha = 1.0f;
        *beta = 0.0f;
        return;
    default:
        *alpha = *beta = 0.0f;
    }
}

/* Z becomes a sum post-op (Z is placed in the destination first), then the
 * activation an eltwise post-op: y = act(conv + B + Z) as the contract says. */
static dnnl_status_t make_attr(const dconv_key *k, bool has_z, dnnl_primitive_attr_t *attr)
{
    dnnl_post_ops_t po = NULL;
    dnnl_status_t s = dnnl_primitive_attr_create(attr);
    if (s == dnnl_success)
        s = dnnl_post_ops_create(&po);
    if (s == dnnl_success && has_z)
        s = dnnl_post_ops_append_sum(po, 1.0f);
    if (s == dnnl_success && k->ep.act != CG_CONV_ACT_NONE) {
        float alpha, beta;
        act_params(&k->ep, &alpha, &beta);
        s = dnnl_post_ops_append_eltwise(po, 1.0f, act_alg(k->ep.act), alpha, beta);
    }
    if (s == dnnl_success && k->ep.act == CG_CONV_ACT_HARD_SIGMOID)
        s = dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip_v2, 0.0f, 1.0f);
    if (s == dnnl_success)
        s = dnnl_primitive_attr_set_post_ops(*attr, po);
    if (po)
        dnnl_post_ops_destroy(po);
    return s;
}

static dnnl_status_t make_pd(dconv_state *s, bool has_z, dnnl_primitive_desc_t *pd)
{
    const dconv_key *k = &s->key;
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_convolution_desc_t cd;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_dims_t bias_dims = {k->w[0]};
    dnnl_dims_t strides = {k->stride[0], k->stride[1]}, dilates = {k->dilation[0], k->dilation[1]};
    dnnl_dims_t pad_l = {k->pad_l[0], k->pad_l[1]}, pad_r = {k->pad_r[0], k->pad_r[1]};
    dnnl_status_t st = md_nchw(&src, k->x, s->act_tag);
    if (st == dnnl_success)
        st = md_nchw(&dst, k->y, s->act_tag);
    if (st == dnnl_success)
        st = md_weights(&wei, k, true);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&bias, 1, bias_dims, dnnl_f32, dnnl_a);
    if (st == dnnl_success)
        st = dnnl_dilated_convolution_forward_desc_init(
            &cd, dnnl_forward_inference, dnnl_convolution_direct, &src, &wei,
            k->has_b ? &bias : NULL, &dst, strides, dilates, pad_l, pad_r);
    if (st == dnnl_success)
        st = make_attr(k, has_z, &attr);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &cd, attr, s->eng, NULL);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

/* A reorder primitive from one layout to another; *prim stays NULL when equal. */
static dnnl_status_t make_reorder(dconv_state *s, const dnnl_memory_desc_t *from,
                                  const dnnl_memory_desc_t *to, dnnl_primitive_t *prim)
{
    dnnl_primitive_desc_t rpd;
    if (dnnl_memory_desc_equal(from, to))
        return dnnl_success;
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(&rpd, from, s->eng, to, s->eng, NULL);
    if (st != dnnl_success)
        return st;
    st = dnnl_primitive_create(prim, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return st;
}

/* The user-side (NCHW) memory and, when oneDNN wants another layout, its own
 * memory plus the reorder between them (to_user: oneDNN's layout -> user's). */
static dnnl_status_t make_side(dconv_state *s, const dnnl_memory_desc_t *user_md,
                               const dnnl_memory_desc_t *lib_md, bool to_user,
                               dnnl_memory_t *user, dnnl_memory_t *lib, dnnl_primitive_t *prim)
{
    dnnl_status_t st = dnnl_memory_create(user, user_md, s->eng, DNNL_MEMORY_NONE);
    if (st == dnnl_success)
        st = to_user ? make_reorder(s, lib_md, user_md, prim) : make_reorder(s, user_md, lib_md, prim);
    if (st != dnnl_success)
        return st;
    if (!*prim) {
        *lib = *user;
        return dnnl_success;
    }
    return dnnl_memory_create(lib, lib_md, s->eng, DNNL_MEMORY_ALLOCATE);
}

static dnnl_status_t make_memories(dconv_state *s, const_dnnl_primitive_desc_t pd, bool has_z)
{
    const dconv_key *k = &s->key;
    dnnl_memory_desc_t x_md, y_md, w_md, b_md;
    dnnl_dims_t bias_dims = {k->w[0]};
    const dnnl_memory_desc_t *src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    const dnnl_memory_desc_t *wei = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_format_tag_t user_tag = k->nhwc ? dnnl_acdb : dnnl_nchw;
    dnnl_status_t st = md_nchw(&x_md, k->x, user_tag);
    if (st == dnnl_success)
        st = md_nchw(&y_md, k->y, user_tag);
    if (st == dnnl_success)
        st = md_weights(&w_md, k, false);
    if (st == dnnl_success)
        st = make_side(s, &x_md, src, false, &s->user_src, &s->src, &s->src_in);
    if (st == dnnl_success)
        st = make_side(s, &y_md, dst, true, &s->user_dst, &s->dst, &s->dst_out);
    if (st == dnnl_success)
        st = make_side(s, &w_md, wei, false, &s->user_w, &s->wei, &s->w_in);
    if (st == dnnl_success && has_z && s->dst != s->user_dst) {
        st = dnnl_memory_create(&s->user_z, &y_md, s->eng, DNNL_MEMORY_NONE);
        if (st == dnnl_success)
            st = make_reorder(s, &y_md, dst, &s->z_in);
    }
    if (st == dnnl_success && k->has_b)
        st = dnnl_memory_desc_init_by_tag(&b_md, 1, bias_dims, dnnl_f32, dnnl_a);
    if (st == dnnl_success && k->has_b)
        st = dnnl_memory_create(&s->bias, &b_md, s->eng, DNNL_MEMORY_NONE);
    return st;
}

static dnnl_status_t exec2(dconv_state *s, dnnl_primitive_t p, dnnl_memory_t from,
                           dnnl_memory_t to)
{
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return dnnl_primitive_execute(p, s->strm, 2, args);
}

/* W into oneDNN's layout (a plain copy of the handle when it takes oihw). */
static dnnl_status_t load_weights(dconv_state *s, const cg_tensor *w)
{
    dnnl_status_t st = dnnl_memory_set_data_handle(s->user_w, w->data);
    if (st == dnnl_success && s->w_in)
        st = exec2(s, s->w_in, s->user_w, s->wei);
    return st == dnnl_success ? dnnl_stream_wait(s->strm) : st;
}

/* oneDNN's own "ref:any" convolution is a plain loop that ran a 7x7, 3-channel
 * conv in seconds where its blocked layout did not fit: not a fast path. */
static bool is_reference_impl(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success)
        return true;
    return !impl || strncmp(impl, "ref", 3) == 0;
}

static dconv_state *dconv_prepare(const cg_run_ctx *c, const dconv_key *k, bool has_z,
                                  dnnl_format_tag_t act_tag)
{
    dconv_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->key = *k;
    s->act_tag = act_tag;
    s->w_const = w_is_constant(c);
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_engine_create(&s->eng, dnnl_cpu, 0);
    if (st == dnnl_success)
        st = dnnl_stream_create(&s->strm, s->eng, dnnl_stream_default_flags);
    if (st == dnnl_success)
        st = make_pd(s, has_z, &pd);
    if (st == dnnl_success && is_reference_impl(pd))
        st = dnnl_unimplemented;
    if (st == dnnl_success)
        st = make_memories(s, pd, has_z);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&s->conv, pd);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (st == dnnl_success && s->w_const)
        st = load_weights(s, cg_run_in(c, 1));
    s->declined = st != dnnl_success;
    return s;
}

/* Z into the destination the sum post-op accumulates onto. */
static dnnl_status_t place_z(dconv_state *s, const cg_tensor *z, cg_tensor *y)
{
    if (!z)
        return dnnl_success;
    if (!s->z_in) {
        if (y->data != z->data) /* Y may share Z's bytes */
            memcpy(y->data, z->data, y->nbytes);
        return dnnl_success;
    }
    dnnl_status_t st = dnnl_memory_set_data_handle(s->user_z, z->data);
    return st == dnnl_success ? exec2(s, s->z_in, s->user_z, s->dst) : st;
}

static dnnl_status_t dconv_execute(dconv_state *s, cg_run_ctx *c, const cg_tensor *z)
{
    const cg_tensor *x = cg_run_in(c, 0), *b = cg_run_in(c, 2);
    cg_tensor *y = cg_run_out(c, 0);
    dnnl_status_t st = dnnl_memory_set_data_handle(s->user_src, x->data);
    if (st == dnnl_success)
        st = dnnl_memory_set_data_handle(s->user_dst, y->data);
    if (st == dnnl_success && b)
        st = dnnl_memory_set_data_handle(s->bias, b->data);
    if (st == dnnl_success && !s->w_const)
        st = load_weights(s, cg_run_in(c, 1));
    if (st == dnnl_success && s->src_in)
        st = exec2(s, s->src_in, s->user_src, s->src);
    if (st == dnnl_success)
        st = place_z(s, z, y);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, s->src}, {DNNL_ARG_WEIGHTS, s->wei},
                              {DNNL_ARG_DST, s->dst}, {DNNL_ARG_BIAS, s->bias}};
    if (st == dnnl_success)
        st = dnnl_primitive_execute(s->conv, s->strm, b ? 4 : 3, args);
    if (st == dnnl_success && s->dst_out)
        st = exec2(s, s->dst_out, s->dst, s->user_dst);
    return st == dnnl_success ? dnnl_stream_wait(s->strm) : st;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The best of two runs on the real operands; < 0 when a run fails. */
static double time_runs(dconv_state *s, cg_run_ctx *c, const cg_tensor *z)
{
    double best = -1;
    for (int i = 0; i < 2; i++) {
        double t0 = now_ms();
        if (dconv_execute(s, c, z) != dnnl_success)
            return -1;
        double t = now_ms() - t0;
        best = best < 0 || t < best ? t : best;
    }
    return best;
}

/* Layouts are chosen by measurement, once per shape: oneDNN's own (blocked or
 * nhwc; its fastest 3x3 kernels) against plain NCHW, which needs no reorders
 * in and out (a 1x1 conv is then one GEMM) and won for many of mobilenet_v2's
 * thin layers. (Also tried, and dropped for losing: an own NCHW depthwise
 * kernel, 3-7x slower than oneDNN's with its reorders; OpenBLAS SGEMM for 1x1
 * convs, best on 6 of resnet50's 53 convs and 1% of its conv time.) A state
 * that declined is kept too, so the choice is not retried. */
static dconv_state *dconv_choose(cg_run_ctx *c, const dconv_key *k, const cg_tensor *z)
{
    if (k->nhwc) /* channels-last in and out: oneDNN's own pick on AVX-512, no reorders */
        return dconv_prepare(c, k, z != NULL, dnnl_acdb);
    static const dnnl_format_tag_t tags[] = {dnnl_format_tag_any, dnnl_nchw};
    dconv_state *best = NULL;
    double best_ms = 0;
    int only = atomic_load(&forced);
    only = only > 1 ? -1 : only; /* 2 asks for NHWC, which this conv is not stored in */
    /* Y written over Z (an in-place plan) would feed a timing run's result to the
     * next: then oneDNN's pick is taken untimed. */
    bool can_time = !z || z->data != cg_run_out(c, 0)->data;
    for (int i = 0; i < 2; i++) {
        if ((only >= 0 && i != only) || (!can_time && i > 0))
            continue;
        dconv_state *s = dconv_prepare(c, k, z != NULL, tags[i]);
        double ms = s && !s->declined ? (can_time ? time_runs(s, c, z) : 0) : -1;
        if (s && (!best || (ms >= 0 && (best->declined || ms < best_ms)))) {
            dconv_state_free(best);
            best = s;
            best_ms = ms;
            best->declined = ms < 0;
        } else {
            dconv_state_free(s);
        }
    }
    return best;
}

/* The state for this run: the cached one when the key still matches. */
static dconv_state *dconv_state_get(cg_run_ctx *c, const dconv_key *k, const cg_tensor *z)
{
    dconv_state *s = *c->state;
    if (s && *c->state_free == dconv_state_free && dconv_key_equal(&s->key, k))
        return s;
    if (s && *c->state_free)
        (*c->state_free)(s);
    *c->state = NULL;
    s = dconv_choose(c, k, z);
    if (s) {
        *c->state = s;
        *c->state_free = dconv_state_free;
    }
    return s;
}

bool cg_fast_conv_run(cg_run_ctx *c, const cg_conv_epilogue *ep, cg_code *rc)
{
    dconv_key k;
    if (!dconv_key_make(c, ep, &k))
        return false;
    k.w_data = w_is_constant(c) ? cg_run_in(c, 1)->data : NULL;
    omp_set_num_threads(cg_run_thread_count(c)); /* oneDNN is built on OpenMP */
    dconv_state *s = dconv_state_get(c, &k, ep->z);
    if (!s || s->declined)
        return false; /* out of memory here too: the reference kernel reports it */
    dnnl_status_t st = dconv_execute(s, c, ep->z);
    atomic_fetch_add(&fast_runs, 1);
    *rc = st == dnnl_success
              ? CG_OK
              : cg_run_fail(c, CG_ERR_UNSUPPORTED, "oneDNN convolution failed (status %d)",
                            (int)st);
    return true;
}

/* A view of value v at its inferred shape, a symbolic batch taken as 1; the
 * probe never reads the bytes, so a placeholder stands in for them. */
static bool probe_view(const cg_graph *g, int v, cg_tensor *t)
{
    static float placeholder;
    cg_status quiet = {0};
    if (v < 0)
        return true;
    const cg_shape *sh = &g->values[v].shape;
    int64_t dims[CG_MAX_RANK];
    for (int i = 0; i < sh->rank; i++) {
        if (!cg_dim_is_known(sh->d[i]) && i > 0)
            return false;
        dims[i] = cg_dim_is_known(sh->d[i]) ? sh->d[i].v : 1;
    }
    return sh->rank > 0 && cg_tensor_view_init(t, g->values[v].dtype, sh->rank, dims, &placeholder,
                                               &quiet) == CG_OK;
}

/* Whether oneDNN has a real (not reference) kernel for this key channels-last. */
static bool nhwc_primitive_exists(const dconv_key *k)
{
    dconv_state s = {.key = *k, .act_tag = dnnl_acdb};
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_engine_create(&s.eng, dnnl_cpu, 0);
    if (st == dnnl_success)
        st = make_pd(&s, k->has_z, &pd);
    bool ok = st == dnnl_success && !is_reference_impl(pd);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (s.eng)
        dnnl_engine_destroy(s.eng);
    return ok;
}

bool cg_fast_conv_nhwc_ok(const cg_graph *g, const cg_node *n)
{
    int only = atomic_load(&forced);
    if (only == 0 || only == 1)
        return false;
    cg_tensor t[5] = {0};
    const cg_tensor *in[4] = {NULL, NULL, NULL, NULL};
    cg_tensor *out[1] = {&t[4]};
    int n_in = n->n_inputs < 4 ? n->n_inputs : 4;
    if (n->n_inputs > 4 || n->n_outputs < 1 || !probe_view(g, n->outputs[0], &t[4]))
        return false;
    for (int i = 0; i < n_in; i++) {
        if (!probe_view(g, n->inputs[i], &t[i]))
            return false;
        in[i] = n->inputs[i] >= 0 ? &t[i] : NULL;
    }
    cg_status quiet = {0};
    cg_run_options o = {CG_KERNELS_FAST, 1};
    void *state = NULL;
    void (*state_free)(void *) = NULL;
    cg_run_ctx c = {g, n, cg_graph_opset(g, n->domain), n_in, in, 1, out, &quiet, &o, &state, &state_free};
    cg_conv_epilogue e;
    cg_conv_epilogue_read(n, &e);
    e.z = in[3];
    dconv_key k;
    if (!dconv_key_make(&c, &e, &k))
        return false;
    k.nhwc = true;
    return nhwc_primitive_exists(&k);
}

bool cg_fast_conv_available(void) { return true; }
long cg_fast_conv_runs(void) { return atomic_load(&fast_runs); }
void cg_fast_conv_force_candidate(int which) { atomic_store(&forced, which); }
#else
typedef int cg_fast_conv_dnnl_unused; /* ISO C: no empty translation unit */
#endif
