/* Differential test of the window kernels (src/ops/conv.c, src/ops/pool.c).
 *
 * Draws seeded random configurations of Conv, ConvTranspose, MaxPool (with
 * Indices), AveragePool and LpPool: 1-D to 3-D, every auto_pad mode, groups,
 * dilations, strides, output_padding/output_shape, ceil_mode, count_include_pad,
 * storage_order; float32 mostly, float64 and (MaxPool) int8 too. Each one becomes
 * a one-node graph run with cg_graph_run, and its output is compared with a
 * second, naive implementation written here from the
 * ONNX operator spec alone: output sizes and pads from the spec formulas (never
 * padding.c), every output position computed by enumerating kernel taps and the
 * input coordinate they read, ConvTranspose in the gather form
 * y[o] = sum over i, k with i*s - pad_begin + k*d == o.
 *
 *   window_diff [--count N] [--seed S] [-v]
 *
 * Prints "N passed, M failed" and exits non-zero on any failure. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/graph.h"
#include "convgraph/runtime.h"

enum { MAXS = 3 };

typedef enum op_kind { OP_CONV, OP_CONV_T, OP_MAX, OP_AVG, OP_LP, OP_COUNT } op_kind;
static const char *const op_names[] = {"Conv", "ConvTranspose", "MaxPool", "AveragePool",
                                       "LpPool"};
/* Opsets that have every attribute drawn here: AveragePool dilations came in 19,
 * LpPool dilations and ceil_mode in 18, MaxPool dilations and ceil_mode in 10. */
static const int64_t op_opsets[] = {11, 11, 12, 19, 18};

typedef enum pad_mode { PAD_NOTSET, PAD_VALID, PAD_SAME_UPPER, PAD_SAME_LOWER } pad_mode;
static const char *const pad_names[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};

typedef struct config {
    op_kind op;
    int spatial;
    int64_t batch, in_c, out_c, group;
    int64_t in[MAXS], k[MAXS], s[MAXS], d[MAXS], pads[2 * MAXS];
    int64_t out_pad[MAXS], out_shape[MAXS];
    pad_mode pad;
    bool pads_attr;     /* write the pads attribute (NOTSET) */
    bool kernel_attr;   /* write kernel_shape (always for pools) */
    bool ceil_mode, count_pad, bias, has_out_shape, indices;
    int storage_order;
    int64_t p;
    cg_dtype dtype; /* float32 mostly; float64 for all, int8 for MaxPool (opset 12) */
} config;

/* What the spec says the geometry is, per axis. */
typedef struct geometry {
    int64_t out[MAXS], pb[MAXS], pe[MAXS];
} geometry;

/* ---------------------------------------------------------------- random numbers */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* Uniform in [lo, hi]. */
static int64_t rng_int(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
}

static bool rng_chance(int percent)
{
    return rng_int(0, 99) < percent;
}

static double rng_value(void)
{
    return (double)rng_int(-1000000, 1000000) / 1000000.0;
}

/* ---------------------------------------------------------------- geometry (ONNX spec) */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return -floor_div(-a, b);
}

static int64_t dilated(const config *c, int a)
{
    return (c->k[a] - 1) * c->d[a] + 1;
}

/* ONNX Conv/pools: "SAME_UPPER: the extra padding is added at the end"; ConvTranspose:
 * "If (auto_pads == SAME_UPPER): pads[start_i] = total_padding[i]/2 ... Else:
 * pads[start_i] = total_padding[i] - (total_padding[i]/2)". */
static void split_total(const config *c, int a, int64_t total, geometry *g)
{
    g->pb[a] = c->pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
    g->pe[a] = total - g->pb[a];
}

/* Conv and pools, spec section "output shape". */
static void forward_axis(const config *c, int a, geometry *g)
{
    int64_t n = c->in[a], ek = dilated(c, a), s = c->s[a];
    if (c->pad == PAD_SAME_UPPER || c->pad == PAD_SAME_LOWER) {
        /* output = ceil(input / stride); pad = max(0, (out-1)*s + ek - n) */
        g->out[a] = ceil_div(n, s);
        int64_t total = (g->out[a] - 1) * s + ek - n;
        split_total(c, a, total > 0 ? total : 0, g);
        return;
    }
    if (c->pad == PAD_VALID) { /* ceil((n - ek + 1) / s) */
        g->out[a] = ceil_div(n - ek + 1, s);
        g->pb[a] = g->pe[a] = 0;
        return;
    }
    g->pb[a] = c->pads[a];
    g->pe[a] = c->pads[c->spatial + a];
    int64_t span = n + g->pb[a] + g->pe[a] - ek;
    g->out[a] = (c->ceil_mode ? ceil_div(span, s) : floor_div(span, s)) + 1;
    /* MaxPool spec: "sliding windows that would start in the right padded region
     * are ignored" (onnx PR #5741): only the begin pad counts. */
    if (c->ceil_mode && (g->out[a] - 1) * s >= n + g->pb[a])
        g->out[a]--;
}

/* ConvTranspose spec: output_shape given -> total_padding = s*(n-1) + output_padding
 * + ek - output_shape; SAME_* -> output_shape = n*s; otherwise
 * out = s*(n-1) + output_padding + ek - pads[start] - pads[end]. */
static void transpose_axis(const config *c, int a, geometry *g)
{
    int64_t n = c->in[a], ek = dilated(c, a), s = c->s[a];
    int64_t full = s * (n - 1) + c->out_pad[a] + ek;
    if (c->has_out_shape || c->pad == PAD_SAME_UPPER || c->pad == PAD_SAME_LOWER) {
        g->out[a] = c->has_out_shape ? c->out_shape[a] : n * s;
        int64_t total = full - g->out[a];
        split_total(c, a, total > 0 ? total : 0, g);
        return;
    }
    bool explicit_pads = c->pad == PAD_NOTSET;
    g->pb[a] = explicit_pads ? c->pads[a] : 0;
    g->pe[a] = explicit_pads ? c->pads[c->spatial + a] : 0;
    g->out[a] = full - g->pb[a] - g->pe[a];
}

static bool geometry_of(const config *c, geometry *g)
{
    for (int a = 0; a < c->spatial; a++) {
        if (c->op == OP_CONV_T)
            transpose_axis(c, a, g);
        else
            forward_axis(c, a, g);
        if (g->out[a] < 1)
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- naive kernels */

typedef struct dense {
    int rank;
    int64_t dims[MAXS + 2];
    int64_t numel;
    double *v;
} dense;

static dense dense_new(int rank, const int64_t *dims)
{
    dense t = {.rank = rank, .numel = 1};
    for (int i = 0; i < rank; i++) {
        t.dims[i] = dims[i];
        t.numel *= dims[i];
    }
    t.v = calloc((size_t)t.numel, sizeof *t.v);
    if (!t.v)
        abort();
    return t;
}

/* Advances a multi-index over dims (row major); false after the last. */
static bool next_index(int64_t *idx, const int64_t *dims, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        if (++idx[i] < dims[i])
            return true;
        idx[i] = 0;
    }
    return false;
}

/* Elements of an n-dim extent. */
static int64_t numel(const int64_t *dims, int n)
{
    int64_t count = 1;
    for (int i = 0; i < n; i++)
        count *= dims[i];
    return count;
}

/* Flat offset of a spatial position inside one (n, c) plane, row major. */
static int64_t plane_offset(const int64_t *pos, const int64_t *dims, int n)
{
    int64_t off = 0;
    for (int i = 0; i < n; i++)
        off = off * dims[i] + pos[i];
    return off;
}

/* ONNX Conv: y[n,m,o] = B[m] + sum_{ci, k} x[n, g*C/group + ci, o*s - pb + k*d] W[m,ci,k]
 * with zeros outside the input. */
static void naive_conv(const config *c, const geometry *g, const dense *x, const dense *w,
                       const double *b, dense *y)
{
    int S = c->spatial;
    int64_t cg = c->in_c / c->group, mg = c->out_c / c->group;
    int64_t o[MAXS] = {0}, k[MAXS] = {0}, pos[MAXS];
    int64_t plane = numel(c->in, S), kplane = numel(c->k, S), idx = 0;
    for (int64_t n = 0; n < c->batch; n++)
        for (int64_t m = 0; m < c->out_c; m++) {
            memset(o, 0, sizeof o);
            do {
                double acc = b ? b[m] : 0;
                for (int64_t ci = 0; ci < cg; ci++) {
                    int64_t ch = (m / mg) * cg + ci;
                    memset(k, 0, sizeof k);
                    do {
                        bool inside = true;
                        for (int a = 0; a < S; a++) {
                            pos[a] = o[a] * c->s[a] - g->pb[a] + k[a] * c->d[a];
                            inside = inside && pos[a] >= 0 && pos[a] < c->in[a];
                        }
                        if (!inside)
                            continue;
                        int64_t xi = (n * c->in_c + ch) * plane + plane_offset(pos, c->in, S);
                        int64_t wi = (m * cg + ci) * kplane + plane_offset(k, c->k, S);
                        acc += x->v[xi] * w->v[wi];
                    } while (next_index(k, c->k, S));
                }
                y->v[idx++] = acc;
            } while (next_index(o, g->out, S));
        }
}

/* ONNX ConvTranspose, gather form: y[n,m,o] = B[m] + sum over channels ci of m's
 * group, input positions i and taps k with i*s - pb + k*d == o of x[n,ci,i] W[ci,m',k]. */
static void naive_conv_transpose(const config *c, const geometry *g, const dense *x,
                                 const dense *w, const double *b, dense *y)
{
    int S = c->spatial;
    int64_t cg = c->in_c / c->group, mg = c->out_c / c->group;
    int64_t o[MAXS] = {0}, i[MAXS] = {0}, k[MAXS] = {0};
    int64_t plane = numel(c->in, S), kplane = numel(c->k, S), idx = 0;
    for (int64_t n = 0; n < c->batch; n++)
        for (int64_t m = 0; m < c->out_c; m++) {
            memset(o, 0, sizeof o);
            do {
                double acc = b ? b[m] : 0;
                for (int64_t ci = 0; ci < cg; ci++) {
                    int64_t ch = (m / mg) * cg + ci;
                    memset(i, 0, sizeof i);
                    do {
                        memset(k, 0, sizeof k);
                        do {
                            bool hits = true;
                            for (int a = 0; a < S; a++)
                                hits = hits && i[a] * c->s[a] - g->pb[a] + k[a] * c->d[a] == o[a];
                            if (!hits)
                                continue;
                            int64_t xi = (n * c->in_c + ch) * plane + plane_offset(i, c->in, S);
                            int64_t wi = (ch * mg + m % mg) * kplane + plane_offset(k, c->k, S);
                            acc += x->v[xi] * w->v[wi];
                        } while (next_index(k, c->k, S));
                    } while (next_index(i, c->in, S));
                }
                y->v[idx++] = acc;
            } while (next_index(o, g->out, S));
        }
}

/* One pool window: every tap k reads position o*s - pb + k*d. */
typedef struct window_sum {
    double max, sum, lp;
    int64_t argmax[MAXS];
    int64_t valid, in_padded_extent;
} window_sum;

static window_sum naive_window(const config *c, const geometry *g, const double *x_plane,
                               const int64_t *o)
{
    int S = c->spatial;
    window_sum r = {.max = -INFINITY};
    int64_t k[MAXS] = {0}, pos[MAXS];
    do {
        bool inside = true, padded = true;
        for (int a = 0; a < S; a++) {
            pos[a] = o[a] * c->s[a] - g->pb[a] + k[a] * c->d[a];
            inside = inside && pos[a] >= 0 && pos[a] < c->in[a];
            padded = padded && pos[a] >= -g->pb[a] && pos[a] < c->in[a] + g->pe[a];
        }
        r.in_padded_extent += padded;
        if (!inside)
            continue;
        double v = x_plane[plane_offset(pos, c->in, S)];
        r.valid++;
        if (v > r.max) { /* strict: the first maximum wins */
            r.max = v;
            memcpy(r.argmax, pos, sizeof pos);
        }
        r.sum += v;
        r.lp += pow(fabs(v), (double)c->p);
    } while (next_index(k, c->k, S));
    return r;
}

/* MaxPool Indices: storage_order 0 is row major over (N, C, spatial); 1 counts the
 * spatial dims column major (the first spatial dim fastest). */
static int64_t naive_index(const config *c, int64_t plane_no, const int64_t *pos)
{
    int64_t plane = numel(c->in, c->spatial), off = 0, stride = 1;
    if (c->storage_order == 0)
        return plane_no * plane + plane_offset(pos, c->in, c->spatial);
    for (int a = 0; a < c->spatial; a++) {
        off += pos[a] * stride;
        stride *= c->in[a];
    }
    return plane_no * plane + off;
}

/* AveragePool divides by the taps inside the input, or with count_include_pad and
 * explicit pads by the taps inside the padded extent; SAME padding never counts
 * (TensorFlow AvgPool). LpPool: (sum |x|^p)^(1/p). */
static void naive_pool(const config *c, const geometry *g, const dense *x, dense *y,
                       dense *indices)
{
    int S = c->spatial;
    int64_t plane = numel(c->in, S), o[MAXS], idx = 0;
    for (int64_t p = 0; p < c->batch * c->in_c; p++) {
        memset(o, 0, sizeof o);
        do {
            window_sum r = naive_window(c, g, x->v + p * plane, o);
            bool include = c->count_pad && c->pad == PAD_NOTSET;
            if (c->op == OP_MAX)
                y->v[idx] = r.max;
            else if (c->op == OP_AVG)
                y->v[idx] = r.sum / (double)(include ? r.in_padded_extent : r.valid);
            else
                y->v[idx] = pow(r.lp, 1.0 / (double)c->p);
            if (indices)
                indices->v[idx] = (double)naive_index(c, p, r.argmax);
            idx++;
        } while (next_index(o, g->out, S));
    }
}

/* True when every pool window has at least one tap inside the input (an empty
 * window has no defined max or average; such draws are redrawn). */
static bool pool_windows_nonempty(const config *c, const geometry *g)
{
    int64_t o[MAXS] = {0};
    double *zeros = calloc((size_t)(c->in[0] * (c->spatial > 1 ? c->in[1] : 1) *
                                    (c->spatial > 2 ? c->in[2] : 1)),
                           sizeof *zeros);
    bool ok = zeros != NULL;
    do {
        ok = ok && naive_window(c, g, zeros, o).valid > 0;
    } while (ok && next_index(o, g->out, c->spatial));
    free(zeros);
    return ok;
}

/* ---------------------------------------------------------------- drawing */

static void draw_axes(config *c)
{
    bool pool = c->op >= OP_MAX;
    for (int a = 0; a < c->spatial; a++) {
        int64_t max_n = c->spatial == 1 ? 12 : c->spatial == 2 ? 7 : 5;
        c->in[a] = rng_int(1, max_n);
        c->k[a] = rng_int(1, c->spatial == 3 ? 3 : 4);
        c->s[a] = rng_int(1, 3);
        c->d[a] = rng_chance(60) ? 1 : rng_int(2, 3);
        int64_t ek = dilated(c, a);
        /* pools: pads smaller than the dilated kernel (PyTorch asks for half of it) */
        int64_t max_pad = pool ? ek - 1 : 3;
        c->pads[a] = rng_int(0, max_pad);
        c->pads[c->spatial + a] = rng_int(0, max_pad);
        int64_t op_max = (c->s[a] > c->d[a] ? c->s[a] : c->d[a]) - 1;
        c->out_pad[a] = c->op == OP_CONV_T && rng_chance(40) ? rng_int(0, op_max) : 0;
    }
}

static void draw_channels(config *c)
{
    c->batch = rng_int(1, 2);
    if (c->op >= OP_MAX) {
        c->in_c = c->out_c = rng_int(1, 3);
        c->group = 1;
        return;
    }
    c->group = rng_chance(50) ? 1 : rng_int(2, 3);
    int64_t per_in = rng_chance(30) ? 1 : rng_int(1, 3); /* 1: depthwise */
    int64_t per_out = rng_int(1, 3);
    c->in_c = per_in * c->group;
    c->out_c = per_out * c->group;
}

static void draw_flags(config *c)
{
    c->pad = (pad_mode)rng_int(0, 3);
    c->pads_attr = c->pad == PAD_NOTSET && rng_chance(80);
    if (c->pad == PAD_NOTSET && !c->pads_attr)
        memset(c->pads, 0, sizeof c->pads);
    c->kernel_attr = c->op >= OP_MAX || rng_chance(50);
    c->ceil_mode = c->op >= OP_MAX && c->pad == PAD_NOTSET && rng_chance(40);
    c->count_pad = c->op == OP_AVG && rng_chance(50);
    c->bias = c->op <= OP_CONV_T && rng_chance(60);
    c->indices = c->op == OP_MAX && rng_chance(60);
    c->storage_order = c->op == OP_MAX && rng_chance(40);
    c->p = c->op == OP_LP ? rng_int(1, 3) : 2;
    c->has_out_shape = c->op == OP_CONV_T && c->pad != PAD_VALID && rng_chance(25);
    c->dtype = rng_chance(80) ? CG_FLOAT : c->op == OP_MAX && rng_chance(50) ? CG_INT8 : CG_DOUBLE;
}

/* output_shape no larger than the full ConvTranspose result: a crop of it. */
static void draw_output_shape(config *c)
{
    for (int a = 0; c->has_out_shape && a < c->spatial; a++) {
        int64_t full = c->s[a] * (c->in[a] - 1) + c->out_pad[a] + dilated(c, a);
        c->out_shape[a] = full - rng_int(0, full - 1 < 3 ? full - 1 : 3);
    }
}

static bool draw(config *c, op_kind op, geometry *g)
{
    memset(c, 0, sizeof *c);
    c->op = op;
    c->spatial = (int)rng_int(1, 3);
    draw_channels(c);
    draw_axes(c);
    draw_flags(c);
    draw_output_shape(c);
    memset(g, 0, sizeof *g);
    if (!geometry_of(c, g))
        return false;
    return c->op < OP_MAX || pool_windows_nonempty(c, g);
}

/* ---------------------------------------------------------------- the graph side */

static void fail_oom(void)
{
    fprintf(stderr, "window_diff: out of memory\n");
    exit(2);
}

static void add_ints(cg_node *n, const char *name, const int64_t *v, int count)
{
    cg_attr *a = cg_node_add_attr(n, name, NULL);
    if (!a || !(a->ints = malloc((size_t)count * sizeof *a->ints)))
        fail_oom();
    a->type = CG_ATTR_INTS;
    a->n = count;
    memcpy(a->ints, v, (size_t)count * sizeof *v);
}

static void add_int(cg_node *n, const char *name, int64_t v)
{
    cg_attr *a = cg_node_add_attr(n, name, NULL);
    if (!a)
        fail_oom();
    a->type = CG_ATTR_INT;
    a->i = v;
}

static void add_str(cg_node *n, const char *name, const char *s)
{
    cg_attr *a = cg_node_add_attr(n, name, NULL);
    if (!a || !(a->s = malloc(strlen(s) + 1)))
        fail_oom();
    a->type = CG_ATTR_STRING;
    a->s_len = strlen(s);
    memcpy(a->s, s, a->s_len + 1);
}

/* Attributes at their defaults are sometimes left out, to cover both forms. */
static void add_attrs(const config *c, cg_node *n)
{
    int S = c->spatial;
    if (c->kernel_attr)
        add_ints(n, "kernel_shape", c->k, S);
    add_ints(n, "strides", c->s, S);
    if (rng_chance(80) || c->d[0] != 1 || (S > 1 && c->d[1] != 1) || (S > 2 && c->d[2] != 1))
        add_ints(n, "dilations", c->d, S);
    if (c->pads_attr)
        add_ints(n, "pads", c->pads, 2 * S);
    if (c->pad != PAD_NOTSET || rng_chance(20))
        add_str(n, "auto_pad", pad_names[c->pad]);
    if (c->op <= OP_CONV_T && (c->group != 1 || rng_chance(30)))
        add_int(n, "group", c->group);
    if (c->op == OP_CONV_T && (rng_chance(50) || c->out_pad[0] || (S > 1 && c->out_pad[1]) ||
                               (S > 2 && c->out_pad[2])))
        add_ints(n, "output_padding", c->out_pad, S);
    if (c->has_out_shape)
        add_ints(n, "output_shape", c->out_shape, S);
    if (c->op >= OP_MAX && (c->ceil_mode || rng_chance(30)))
        add_int(n, "ceil_mode", c->ceil_mode);
    if (c->op == OP_AVG)
        add_int(n, "count_include_pad", c->count_pad);
    if (c->op == OP_MAX && (c->storage_order || rng_chance(30)))
        add_int(n, "storage_order", c->storage_order);
    if (c->op == OP_LP)
        add_int(n, "p", c->p);
}

static cg_tensor *to_tensor(const dense *d, cg_dtype dtype)
{
    cg_status st = {0};
    cg_tensor *t = cg_tensor_new(dtype, d->rank, d->dims, &st);
    if (!t)
        fail_oom();
    for (int64_t i = 0; i < d->numel; i++) {
        if (dtype == CG_DOUBLE)
            ((double *)t->data)[i] = d->v[i];
        else if (dtype == CG_INT8)
            ((int8_t *)t->data)[i] = (int8_t)d->v[i];
        else
            ((float *)t->data)[i] = (float)d->v[i];
    }
    return t;
}

static cg_graph *build_graph(const config *c, int n_inputs)
{
    cg_status st = {0};
    cg_graph *g = cg_graph_new("window_diff.onnx");
    static const char *const in_names[] = {"X", "W", "B"};
    static const char *const out_names[] = {"Y", "Indices"};
    int n_outputs = c->indices ? 2 : 1;
    if (!g || cg_graph_add_opset(g, "", op_opsets[c->op], &st) != CG_OK)
        fail_oom();
    for (int i = 0; i < n_inputs; i++)
        if (cg_graph_add_input(g, cg_graph_intern(g, in_names[i], &st), &st) != CG_OK)
            fail_oom();
    cg_node *n = cg_graph_add_node(g, "node", op_names[c->op], "", &st);
    if (!n || cg_node_set_inputs(g, n, in_names, n_inputs, &st) != CG_OK ||
        cg_node_set_outputs(g, n, out_names, n_outputs, &st) != CG_OK)
        fail_oom();
    add_attrs(c, n);
    for (int i = 0; i < n_outputs; i++)
        if (cg_graph_add_output(g, cg_graph_find(g, out_names[i]), &st) != CG_OK)
            fail_oom();
    if (cg_graph_toposort(g, &st) != CG_OK)
        fail_oom();
    return g;
}

/* ---------------------------------------------------------------- one case */

static void describe(const config *c, char *buf, size_t len)
{
    int S = c->spatial, used = 0;
    used += snprintf(buf + used, len - (size_t)used,
                     "%s %s N%lld C%lld M%lld group%lld %s%s%s%s p%lld", op_names[c->op],
                     cg_dtype_name(c->dtype),
                     (long long)c->batch, (long long)c->in_c, (long long)c->out_c,
                     (long long)c->group, pad_names[c->pad], c->ceil_mode ? " ceil" : "",
                     c->count_pad ? " count_pad" : "", c->storage_order ? " col-major" : "",
                     (long long)c->p);
    for (int a = 0; a < S && used < (int)len; a++)
        used += snprintf(buf + used, len - (size_t)used,
                         " | n%lld k%lld s%lld d%lld pads %lld/%lld op%lld%s%lld",
                         (long long)c->in[a], (long long)c->k[a], (long long)c->s[a],
                         (long long)c->d[a], (long long)c->pads[a], (long long)c->pads[S + a],
                         (long long)c->out_pad[a], c->has_out_shape ? " out_shape " : " ",
                         (long long)(c->has_out_shape ? c->out_shape[a] : -1));
}

static bool compare(const cg_tensor *got, const dense *want, const char *what, char *why,
                    size_t len)
{
    if (got->rank != want->rank) {
        snprintf(why, len, "%s: rank %d, want %d", what, got->rank, want->rank);
        return false;
    }
    for (int i = 0; i < got->rank; i++)
        if (got->dims[i] != want->dims[i]) {
            snprintf(why, len, "%s: dim %d is %lld, want %lld", what, i,
                     (long long)got->dims[i], (long long)want->dims[i]);
            return false;
        }
    for (int64_t i = 0; i < want->numel; i++) {
        double a = cg_tensor_get_f64(got, i), b = want->v[i];
        if (!(fabs(a - b) <= 1e-4 * (fabs(b) > 1 ? fabs(b) : 1))) {
            snprintf(why, len, "%s[%lld] = %.7g, want %.7g", what, (long long)i, a, b);
            return false;
        }
    }
    return true;
}

/* coarse: few distinct values, so that MaxPool windows hold ties (the first
 * maximum must win, in the value and in Indices). */
static dense random_dense(int rank, const int64_t *dims, bool coarse, cg_dtype dtype)
{
    dense d = dense_new(rank, dims);
    for (int64_t i = 0; i < d.numel; i++) {
        if (dtype == CG_INT8)
            d.v[i] = (double)rng_int(coarse ? -2 : -128, coarse ? 2 : 127);
        else if (coarse)
            d.v[i] = (double)rng_int(-2, 2) / 2;
        else
            d.v[i] = dtype == CG_DOUBLE ? rng_value() : (double)(float)rng_value();
    }
    return d;
}

/* Runs one configuration both ways; true when they agree. */
static bool run_case(const config *c, const geometry *geo, char *why, size_t len)
{
    int S = c->spatial, n_in = 1;
    int64_t xd[MAXS + 2] = {c->batch, c->in_c}, wd[MAXS + 2], yd[MAXS + 2] = {c->batch, c->out_c};
    bool transpose = c->op == OP_CONV_T;
    wd[0] = transpose ? c->in_c : c->out_c;
    wd[1] = transpose ? c->out_c / c->group : c->in_c / c->group;
    for (int a = 0; a < S; a++) {
        xd[2 + a] = c->in[a];
        wd[2 + a] = c->k[a];
        yd[2 + a] = geo->out[a];
    }
    dense x = random_dense(S + 2, xd, c->op == OP_MAX && rng_chance(50), c->dtype);
    dense w = {0}, b = {0}, y = dense_new(S + 2, yd), idx = {0};
    if (c->op <= OP_CONV_T) {
        w = random_dense(S + 2, wd, false, c->dtype);
        n_in = 2;
        if (c->bias) {
            b = random_dense(1, &c->out_c, false, c->dtype);
            n_in = 3;
        }
    }
    if (c->indices)
        idx = dense_new(S + 2, yd);
    if (c->op == OP_CONV)
        naive_conv(c, geo, &x, &w, c->bias ? b.v : NULL, &y);
    else if (transpose)
        naive_conv_transpose(c, geo, &x, &w, c->bias ? b.v : NULL, &y);
    else
        naive_pool(c, geo, &x, &y, c->indices ? &idx : NULL);

    cg_graph *g = build_graph(c, n_in);
    const dense *ins[] = {&x, &w, &b};
    static const char *const in_names[] = {"X", "W", "B"};
    cg_named_tensor named[3];
    for (int i = 0; i < n_in; i++) {
        named[i].name = (char *)in_names[i];
        named[i].tensor = to_tensor(ins[i], c->dtype);
    }
    cg_status st = {0};
    cg_named_tensor *outs = NULL;
    int n_outs = 0;
    bool ok = cg_graph_run(g, named, n_in, &outs, &n_outs, &st) == CG_OK;
    if (!ok)
        snprintf(why, len, "run failed: %.400s", st.msg);
    ok = ok && compare(outs[0].tensor, &y, "Y", why, len);
    ok = ok && (!c->indices || compare(outs[1].tensor, &idx, "Indices", why, len));
    cg_named_tensors_free(outs, n_outs);
    for (int i = 0; i < n_in; i++)
        cg_tensor_free(named[i].tensor);
    cg_graph_free(g);
    free(x.v);
    free(w.v);
    free(b.v);
    free(y.v);
    free(idx.v);
    return ok;
}

int main(int argc, char **argv)
{
    long count = 600;
    uint64_t seed = 20261130;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else {
            fprintf(stderr, "usage: window_diff [--count N] [--seed S] [-v]\n");
            return 2;
        }
    }
    rng_state = seed ? seed : 1;
    long passed = 0, failed = 0, per_op[OP_COUNT] = {0};
    for (long i = 0; i < count; i++) {
        config c;
        geometry geo;
        op_kind op = (op_kind)(i % OP_COUNT);
        while (!draw(&c, op, &geo))
            ;
        char why[512] = "", desc[768];
        bool ok = run_case(&c, &geo, why, sizeof why);
        describe(&c, desc, sizeof desc);
        if (ok) {
            passed++;
            per_op[op]++;
        } else {
            failed++;
        }
        if (!ok || verbose)
            printf("%s case %ld: %s%s%s\n", ok ? "PASS" : "FAIL", i, desc, ok ? "" : ": ",
                   why);
    }
    for (int op = 0; op < OP_COUNT; op++)
        printf("%s: %ld passed\n", op_names[op], per_op[op]);
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
