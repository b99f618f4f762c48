/* Random conv nets, FAST session against REFERENCE session: what the kernel
 * differentials cannot see is how the session rewrites compose (BatchNorm
 * folding, epilogue fusion incl. SiLU, channels-last regions with their
 * Relayouts, in-place elementwise nodes, the arena, two threads). Each graph
 * chains 4 to 14 random nodes (convs of several shapes and groups, pools,
 * BatchNorm, activations, SiLU, residual and per-channel Adds and Muls,
 * channel Concats, channel shuffles and Slices, global pooling, a Flatten) over whatever earlier values fit,
 * and makes the last value and some earlier ones graph outputs. Every output
 * must match within 1e-4 of its own largest magnitude. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "runtime/fast_conv.h"
#include "support/graph_build.h"

enum { MAX_VALUES = 32, GRAPHS = 1000 };

static uint64_t rng = 88172645463325252ull;

static int64_t draw(int64_t lo, int64_t hi) /* uniform in [lo, hi] */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (int64_t)(rng % (uint64_t)(hi - lo + 1));
}

static float draw_float(float lo, float hi) { return lo + (hi - lo) * (float)draw(0, 1000000) / 1e6f; }

/* The 4-D values a new node may read, with their dims. */
typedef struct net {
    cg_graph *g;
    int n;
    char name[MAX_VALUES][16];
    int64_t dims[MAX_VALUES][4];
    int counter; /* for fresh names */
} net;

static const char *fresh(net *t, const char *prefix, char *buf)
{
    snprintf(buf, 16, "%s%d", prefix, t->counter++);
    return buf;
}

/* A float32 initializer of these dims, uniform in [-scale, scale]. */
static void weight(net *t, const char *name, int rank, const int64_t *dims, float scale)
{
    cg_tensor *w = gb_tensor(CG_FLOAT, rank, dims, NULL);
    for (int64_t i = 0; i < w->numel; i++)
        ((float *)w->data)[i] = draw_float(-scale, scale);
    gb_initializer(t->g, name, w);
}

static void keep(net *t, const char *name, int64_t n, int64_t c, int64_t h, int64_t w)
{
    if (t->n == MAX_VALUES)
        return;
    snprintf(t->name[t->n], sizeof t->name[t->n], "%s", name);
    int64_t d[4] = {n, c, h, w};
    memcpy(t->dims[t->n++], d, sizeof d);
}

/* Keeps `name` with the dims shape inference gives it (windowed ops: the
 * padding rules are src/graph/padding.c's, not this test's to restate). */
static void keep_inferred(net *t, const char *name)
{
    gb_sort_and_infer(t->g);
    const cg_shape *sh = &gb_find(t->g, name)->shape;
    assert_int_equal(sh->rank, 4);
    keep(t, name, sh->d[0].v, sh->d[1].v, sh->d[2].v, sh->d[3].v);
}

static int pick(const net *t) { return (int)draw(0, t->n - 1); }

/* Conv: 1x1, 3x3 or 5x5, stride 1 or 2, SAME_UPPER or explicit pads, groups 1
 * or depthwise; bias half the time. */
static void add_conv(net *t, int v)
{
    const int64_t *d = t->dims[v];
    int64_t k = (int64_t[]){1, 3, 3, 5}[draw(0, 3)], s = draw(1, 2);
    bool depthwise = draw(0, 3) == 0 && k > 1;
    int64_t m = depthwise ? d[1] : draw(1, 12), group = depthwise ? d[1] : 1;
    char w[16], b[16], y[16];
    fresh(t, "w", w);
    fresh(t, "b", b);
    fresh(t, "conv", y);
    weight(t, w, 4, (const int64_t[]){m, d[1] / group, k, k}, 1.5f / sqrtf((float)(d[1] / group * k * k)));
    bool bias = draw(0, 1);
    if (bias)
        weight(t, b, 1, (const int64_t[]){m}, 0.5f);
    char ins[64];
    snprintf(ins, sizeof ins, bias ? "%s,%s,%s" : "%s,%s", t->name[v], w, b);
    cg_node *n = gb_node(t->g, NULL, "Conv", ins, y);
    gb_attr_ints(n, "kernel_shape", 2, (const int64_t[]){k, k});
    gb_attr_ints(n, "strides", 2, (const int64_t[]){s, s});
    gb_attr_int(n, "group", group);
    int64_t p = k / 2;
    if (draw(0, 1))
        gb_attr_str(n, "auto_pad", "SAME_UPPER");
    else
        gb_attr_ints(n, "pads", 4, (const int64_t[]){p, p, p, p});
    keep_inferred(t, y);
}

static void add_activation(net *t, int v)
{
    static const char *const acts[] = {"Relu", "Sigmoid", "Clip", "HardSigmoid", "LeakyRelu", "Tanh", "SiLU"};
    const char *a = acts[draw(0, 6)];
    char y[16], s[16];
    fresh(t, "act", y);
    const int64_t *d = t->dims[v];
    if (strcmp(a, "SiLU") == 0) {
        gb_node(t->g, NULL, "Sigmoid", t->name[v], fresh(t, "sig", s));
        char ins[40];
        snprintf(ins, sizeof ins, draw(0, 1) ? "%s,%s" : "%2$s,%1$s", t->name[v], s);
        gb_node(t->g, NULL, "Mul", ins, y);
    } else if (strcmp(a, "Clip") == 0) {
        char lo[16], hi[16], ins[48];
        gb_initializer(t->g, fresh(t, "lo", lo), gb_tensor(CG_FLOAT, 0, NULL, (float[]){0.0f}));
        gb_initializer(t->g, fresh(t, "hi", hi), gb_tensor(CG_FLOAT, 0, NULL, (float[]){6.0f}));
        snprintf(ins, sizeof ins, "%s,%s,%s", t->name[v], lo, hi);
        gb_node(t->g, NULL, "Clip", ins, y);
    } else {
        gb_node(t->g, NULL, a, t->name[v], y);
    }
    keep(t, y, d[0], d[1], d[2], d[3]);
}

static void add_batchnorm(net *t, int v)
{
    const int64_t *d = t->dims[v];
    char p[4][16], y[16], ins[80];
    for (int i = 0; i < 4; i++)
        fresh(t, "bn", p[i]);
    weight(t, p[0], 1, &d[1], 1.0f);
    weight(t, p[1], 1, &d[1], 0.5f);
    weight(t, p[2], 1, &d[1], 0.5f);
    cg_tensor *var = gb_tensor(CG_FLOAT, 1, &d[1], NULL);
    for (int64_t i = 0; i < d[1]; i++)
        ((float *)var->data)[i] = draw_float(0.2f, 2.0f);
    gb_initializer(t->g, p[3], var);
    snprintf(ins, sizeof ins, "%s,%s,%s,%s,%s", t->name[v], p[0], p[1], p[2], p[3]);
    gb_node(t->g, NULL, "BatchNormalization", ins, fresh(t, "bnout", y));
    keep(t, y, d[0], d[1], d[2], d[3]);
}

static void add_pool(net *t, int v)
{
    const int64_t *d = t->dims[v];
    if (d[2] < 3 || d[3] < 3)
        return;
    bool max = draw(0, 1);
    int64_t k = draw(2, 3), s = draw(1, 2);
    char y[16];
    cg_node *n = gb_node(t->g, NULL, max ? "MaxPool" : "AveragePool", t->name[v], fresh(t, "pool", y));
    gb_attr_ints(n, "kernel_shape", 2, (const int64_t[]){k, k});
    gb_attr_ints(n, "strides", 2, (const int64_t[]){s, s});
    keep_inferred(t, y);
}

/* v + (or *) another value of its shape, or a per-channel vector, or a scalar. */
static void add_binary(net *t, int v)
{
    const int64_t *d = t->dims[v];
    const char *op = (const char *[]){"Add", "Mul", "Sub", "Max"}[draw(0, 3)];
    char other[16] = "", y[16], ins[40];
    for (int i = 0; i < t->n && !other[0]; i++)
        if (i != v && memcmp(t->dims[i], d, sizeof t->dims[i]) == 0 && draw(0, 1))
            snprintf(other, sizeof other, "%s", t->name[i]);
    if (!other[0]) {
        bool channel = draw(0, 1);
        weight(t, fresh(t, "k", other), channel ? 4 : 0, (const int64_t[]){1, d[1], 1, 1}, 1.0f);
    }
    snprintf(ins, sizeof ins, draw(0, 1) ? "%s,%s" : "%2$s,%1$s", t->name[v], other);
    gb_node(t->g, NULL, op, ins, fresh(t, "bin", y));
    keep(t, y, d[0], d[1], d[2], d[3]);
}

/* Concat on channels of v and an earlier value of v's N, H and W, if any. */
static void add_concat(net *t, int v)
{
    const int64_t *d = t->dims[v];
    for (int i = t->n - 1; i >= 0; i--) {
        const int64_t *e = t->dims[i];
        if (e[0] != d[0] || e[2] != d[2] || e[3] != d[3])
            continue;
        char y[16], ins[40];
        snprintf(ins, sizeof ins, "%s,%s", t->name[v], t->name[i]);
        gb_attr_int(gb_node(t->g, NULL, "Concat", ins, fresh(t, "cat", y)), "axis", 1);
        keep(t, y, d[0], d[1] + e[1], d[2], d[3]);
        return;
    }
}

static void add_global_pool(net *t, int v)
{
    const int64_t *d = t->dims[v];
    char y[16];
    gb_node(t->g, NULL, draw(0, 1) ? "GlobalAveragePool" : "GlobalMaxPool", t->name[v], fresh(t, "gp", y));
    keep(t, y, d[0], d[1], 1, 1);
}

static void int64_initializer(net *t, const char *name, int n, const int64_t *v)
{
    int64_t d[1] = {n};
    gb_initializer(t->g, name, gb_tensor(CG_INT64, 1, d, v));
}

/* ShuffleNet's channel shuffle as torch.onnx writes it: Reshape, Transpose, Reshape. */
static void add_shuffle(net *t, int v)
{
    const int64_t *d = t->dims[v];
    int64_t groups = d[1] % 2 == 0 ? 2 : d[1] % 3 == 0 ? 3 : 1;
    int64_t mid[5] = {d[0], groups, d[1] / groups, d[2], d[3]};
    char ms[16], bs[16], m[16], tm[16], y[16], ins[40];
    int64_initializer(t, fresh(t, "ms", ms), 5, mid);
    int64_initializer(t, fresh(t, "bs", bs), 4, d);
    snprintf(ins, sizeof ins, "%s,%s", t->name[v], ms);
    gb_node(t->g, NULL, "Reshape", ins, fresh(t, "rm", m));
    gb_attr_ints(gb_node(t->g, NULL, "Transpose", m, fresh(t, "tm", tm)), "perm", 5, (const int64_t[]){0, 2, 1, 3, 4});
    snprintf(ins, sizeof ins, "%s,%s", tm, bs);
    gb_node(t->g, NULL, "Reshape", ins, fresh(t, "shuf", y));
    keep(t, y, d[0], d[1], d[2], d[3]);
}

/* A channel range, as ShuffleNet splits its branches. */
static void add_channel_slice(net *t, int v)
{
    const int64_t *d = t->dims[v];
    int64_t lo = draw(0, d[1] - 1), hi = draw(lo + 1, d[1]);
    char st[16], en[16], ax[16], y[16], ins[64];
    int64_initializer(t, fresh(t, "st", st), 1, &lo);
    int64_initializer(t, fresh(t, "en", en), 1, &hi);
    int64_initializer(t, fresh(t, "ax", ax), 1, (const int64_t[]){1});
    snprintf(ins, sizeof ins, "%s,%s,%s,%s", t->name[v], st, en, ax);
    gb_node(t->g, NULL, "Slice", ins, fresh(t, "slc", y));
    keep(t, y, d[0], hi - lo, d[2], d[3]);
}

static void add_random_node(net *t)
{
    int v = draw(0, 2) ? t->n - 1 : pick(t); /* mostly a chain, sometimes a branch */
    switch (draw(0, 11)) {
    case 10: add_shuffle(t, v); break;
    case 11: add_channel_slice(t, v); break;
    case 0: case 1: case 2:
        add_conv(t, v);
        if (draw(0, 1)) /* as real nets do: an activation right after, for the epilogue */
            add_activation(t, t->n - 1);
        break;
    case 3: case 4: add_activation(t, v); break;
    case 5: add_batchnorm(t, v); break;
    case 6: add_pool(t, v); break;
    case 7: add_binary(t, v); break;
    case 8: add_concat(t, v); break;
    default: add_global_pool(t, v); break;
    }
}

/* The graph, its input dims in *x; outputs: the last value (flattened half the
 * time) and up to two earlier ones. */
static cg_graph *random_net(int64_t *x)
{
    net t = {gb_graph(13), 0, {{0}}, {{0}}, 0};
    x[0] = draw(1, 2), x[1] = draw(1, 6), x[2] = draw(4, 14), x[3] = draw(4, 14);
    gb_float_input(t.g, "x", 4, x, NULL);
    keep(&t, "x", x[0], x[1], x[2], x[3]);
    for (int64_t i = 0, count = draw(4, 14); i < count || t.n < 2; i++)
        add_random_node(&t);
    char last[16];
    snprintf(last, sizeof last, "%s", t.name[t.n - 1]);
    if (draw(0, 1) && t.n > 1) {
        gb_node(t.g, NULL, "Flatten", last, "flat");
        snprintf(last, sizeof last, "flat");
    }
    gb_output(t.g, last);
    for (int i = 0; i < 2; i++) {
        int v = pick(&t);
        if (v > 0 && strcmp(t.name[v], last) != 0 && !gb_find(t.g, t.name[v])->is_output)
            gb_output(t.g, t.name[v]);
    }
    gb_sort_and_infer(t.g);
    return t.g;
}

static cg_named_tensor *run(cg_graph *g, cg_kernel_choice k, const cg_tensor *x, int *n_out)
{
    cg_run_options o = {k, 2};
    cg_status st = {0};
    cg_session *s = cg_session_new(g, &o, &st);
    if (!s)
        fail_msg("session: %s", st.msg);
    cg_named_tensor in = {"x", (cg_tensor *)x}, *out = NULL;
    if (cg_session_run(s, &in, 1, &out, n_out, &st) != CG_OK)
        fail_msg("run: %s", st.msg);
    cg_session_free(s);
    return out;
}

/* Within 1e-4 of the reference's largest magnitude (a chain of random convs
 * can cancel large terms: an element-wise bound would judge float rounding). */
static bool close_scaled(const cg_tensor *want, const cg_tensor *got)
{
    double scale = 1e-3;
    for (int64_t i = 0; i < want->numel; i++)
        scale = fmax(scale, fabs(((const float *)want->data)[i]));
    if (want->numel != got->numel)
        return false;
    for (int64_t i = 0; i < want->numel; i++) {
        double a = ((const float *)want->data)[i], b = ((const float *)got->data)[i];
        if (!(fabs(a - b) <= 1e-4 * scale)) {
            print_message("element %lld: reference %.9g, fast %.9g (scale %.3g)\n", (long long)i, a, b, scale);
            return false;
        }
    }
    return true;
}

/* What the FAST session's rewrites did to g: nodes stored channels-last,
 * Relayouts, convs with a fused epilogue. */
static void count_rewrites(const cg_graph *g, int *nhwc, int *relayouts, int *fused)
{
    for (int i = 0; i < g->n_nodes; i++) {
        *nhwc += cg_node_is_nhwc(&g->nodes[i]);
        *relayouts += strcmp(g->nodes[i].op_type, "Relayout") == 0;
        bool conv = strcmp(g->nodes[i].op_type, "Conv") == 0;
        *fused += conv && (cg_node_attr(&g->nodes[i], "cg.activation") != NULL || g->nodes[i].n_inputs > 3);
    }
}

static void test_random_nets_fast_match_reference(void **state)
{
    (void)state;
    int passed = 0, failed = 0, nhwc = 0, relayouts = 0, fused = 0;
    for (int i = 0; i < GRAPHS; i++) {
        uint64_t seed = rng;
        int64_t xd[4];
        cg_graph *gf = random_net(xd);
        rng = seed;
        cg_graph *gr = random_net(xd);
        cg_tensor *x = gb_tensor(CG_FLOAT, 4, xd, NULL);
        for (int64_t e = 0; e < x->numel; e++)
            ((float *)x->data)[e] = draw_float(-1.0f, 1.0f);
        int nf = 0, nr = 0;
        cg_named_tensor *of = run(gf, CG_KERNELS_FAST, x, &nf), *or = run(gr, CG_KERNELS_REFERENCE, x, &nr);
        bool ok = nf == nr;
        for (int k = 0; ok && k < nf; k++)
            ok = strcmp(of[k].name, or[k].name) == 0 && close_scaled(or[k].tensor, of[k].tensor);
        if (!ok)
            print_message("graph %d (seed %llu) differs\n", i, (unsigned long long)seed);
        count_rewrites(gf, &nhwc, &relayouts, &fused);
        ok ? passed++ : failed++;
        cg_named_tensors_free(of, nf);
        cg_named_tensors_free(or, nr);
        cg_tensor_free(x);
        cg_graph_free(gf);
        cg_graph_free(gr);
    }
    print_message("%d passed, %d failed; the fast sessions ran %d nodes channels-last, %d Relayouts, "
                  "%d fused convs\n", passed, failed, nhwc, relayouts, fused);
    assert_int_equal(failed, 0);
    if (cg_fast_conv_available()) /* else no conv goes NHWC: the rest is still compared */
        assert_true(nhwc > GRAPHS && fused > GRAPHS / 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_nets_fast_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
