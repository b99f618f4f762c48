/* Differential test of the fast Conv path against the reference kernel.
 * Each seeded random configuration (1-D/2-D, batch, channels, groups and
 * depthwise, kernel 1..7, strides, dilations, explicit asymmetric pads,
 * SAME_UPPER, SAME_LOWER, VALID, no pads; bias or not; W and B as initializers
 * or as graph inputs; the fused epilogue cg.activation with each activation and
 * the residual input Z, alone and together) is built twice as a one-node graph
 * and run in a CG_KERNELS_REFERENCE session and a CG_KERNELS_FAST session; the
 * outputs must agree within |fast - ref| <= 1e-4 + 1e-3 * |ref|. A quarter of the
 * cases run the FAST session a second time on new inputs (cached state); some
 * force one of the fast path's per-layer candidates instead of its timed choice.
 * Four more checks feed invalid epilogues (unknown activation, non-float
 * cg.alpha, cg.min > cg.max, Z of the wrong shape), which must be rejected. Prints
 * "N passed, M failed" and how many runs the fast path took; exits 1 on any
 * failure, or when a fast path is built in but float32 cases did not reach it.
 * Usage: fast_conv_diff [--count N] [--seed S] [--only N] [--verbose] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/convgraph.h"
#include "convgraph/graph_edit.h"
#include "runtime/fast_conv.h"

enum { PAD_EXPLICIT, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID, PAD_NONE };
static const char *const pad_names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", ""};
static const char *const act_names[] = {"", "Relu", "Clip", "LeakyRelu", "HardSwish", "Sigmoid",
                                        "HardSigmoid", "Swish"};

typedef struct config {
    int spatial, pad, act, threads;
    int64_t batch, in_c, out_c, group;
    int64_t in[2], k[2], s[2], d[2], pads[4], out[2];
    bool bias, w_const, z, f64, rerun;
    int candidate; /* cg_fast_conv_force_candidate: -1 = the session's own choice */
    float alpha, min, max;
} config;

/* ------------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int64_t rng_int(int64_t lo, int64_t hi) { return lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1)); }
static bool rng_chance(int percent) { return rng_int(1, 100) <= percent; }
static float rng_float(float lo, float hi) { return lo + (hi - lo) * (float)(rng_next() % 1000001) / 1e6f; }

static int64_t pick(const int64_t *v, int n) { return v[rng_int(0, n - 1)]; }

/* ------------------------------------------------------------------ drawing */

/* Depthwise (with multiplier), grouped, or plain with channel counts real
 * models use (multiples of 8/16 hit oneDNN's blocked kernels, odd ones its tails). */
static void draw_channels(config *c)
{
    static const int64_t plain_in[] = {1, 3, 4, 8, 16, 17, 32, 48, 64};
    static const int64_t plain_out[] = {1, 5, 8, 16, 32, 40, 64};
    int64_t r = rng_int(0, 9);
    if (r < 3) {
        c->group = c->in_c = rng_int(1, 40);
        c->out_c = c->in_c * (rng_chance(80) ? 1 : 2);
    } else if (r < 5) {
        c->group = rng_int(2, 4);
        c->in_c = c->group * rng_int(1, 8);
        c->out_c = c->group * rng_int(1, 8);
    } else {
        c->group = 1;
        c->in_c = pick(plain_in, 9);
        c->out_c = rng_chance(80) ? pick(plain_out, 7) : rng_int(1, 40);
    }
}

static void draw_axes(config *c)
{
    static const int64_t kernels[] = {1, 1, 3, 3, 3, 5, 7, 2, 4};
    bool square = rng_chance(70);
    for (int a = 0; a < c->spatial; a++) {
        c->k[a] = square && a > 0 ? c->k[0] : pick(kernels, 9);
        c->s[a] = square && a > 0 ? c->s[0] : rng_chance(60) ? 1 : rng_chance(75) ? 2 : 3;
        c->d[a] = rng_chance(75) ? 1 : rng_int(2, 3);
        c->in[a] = rng_int(1, 24);
        c->pads[a] = rng_int(0, c->k[a] - 1 + (rng_chance(10) ? 1 : 0));
        c->pads[c->spatial + a] = rng_chance(50) ? c->pads[a] : rng_int(0, c->k[a]);
    }
}

/* Output sizes by the DESIGN.md rules; false when some axis is empty. */
static bool output_of(config *c)
{
    for (int a = 0; a < c->spatial; a++) {
        int64_t ek = (c->k[a] - 1) * c->d[a] + 1, n = c->in[a];
        int64_t pb = c->pad == PAD_EXPLICIT ? c->pads[a] : 0;
        int64_t pe = c->pad == PAD_EXPLICIT ? c->pads[c->spatial + a] : 0;
        if (c->pad == PAD_SAME_UPPER || c->pad == PAD_SAME_LOWER)
            c->out[a] = (n + c->s[a] - 1) / c->s[a];
        else
            c->out[a] = n + pb + pe >= ek ? (n + pb + pe - ek) / c->s[a] + 1 : 0;
        if (c->out[a] < 1)
            return false;
    }
    return true;
}

static double macs_of(const config *c)
{
    double m = (double)c->batch * (double)c->out_c * (double)(c->in_c / c->group);
    for (int a = 0; a < c->spatial; a++)
        m *= (double)c->out[a] * (double)c->k[a];
    return m;
}

static void draw(config *c)
{
    do {
        memset(c, 0, sizeof *c);
        c->spatial = rng_chance(85) ? 2 : 1;
        c->batch = rng_chance(80) ? 1 : 2;
        draw_channels(c);
        draw_axes(c);
        c->pad = (int)rng_int(0, 4);
        if (rng_chance(15)) /* pointwise, as mobilenets and resnet50 are full of */
            for (int a = 0; a < c->spatial; a++) {
                c->k[a] = c->s[a] = 1;
                c->pads[a] = c->pads[c->spatial + a] = 0;
            }
    } while (!output_of(c) || macs_of(c) > 4e6);
    c->bias = rng_chance(70);
    c->w_const = rng_chance(70);
    c->f64 = rng_chance(4);
    c->act = rng_chance(35) ? 0 : (int)rng_int(1, 7);
    c->z = rng_chance(40);
    c->alpha = rng_float(0.0f, 0.5f);
    c->min = rng_float(-1.0f, 0.2f);
    c->max = c->min + rng_float(0.0f, 1.5f);
    c->threads = (int)rng_int(0, 2);
    c->rerun = rng_chance(25);
    c->candidate = rng_chance(40) ? -1 : (int)rng_int(0, 2);
}

/* ------------------------------------------------------------------ graphs */

static void fail_oom(void)
{
    fprintf(stderr, "fast_conv_diff: out of memory\n");
    exit(2);
}

static cg_attr *add_attr(cg_node *n, const char *name, cg_attr_type type)
{
    cg_attr *a = cg_node_add_attr(n, name, NULL);
    if (!a)
        fail_oom();
    a->type = type;
    return a;
}

static void add_ints(cg_node *n, const char *name, const int64_t *v, int count)
{
    cg_attr *a = add_attr(n, name, CG_ATTR_INTS);
    if (!(a->ints = malloc((size_t)count * sizeof *a->ints)))
        fail_oom();
    a->n = count;
    memcpy(a->ints, v, (size_t)count * sizeof *v);
}

static void add_str(cg_node *n, const char *name, const char *s)
{
    cg_attr *a = add_attr(n, name, CG_ATTR_STRING);
    if (!(a->s = malloc(strlen(s) + 1)))
        fail_oom();
    a->s_len = strlen(s);
    memcpy(a->s, s, a->s_len + 1);
}

static void add_attrs(const config *c, cg_node *n)
{
    int S = c->spatial;
    add_ints(n, "kernel_shape", c->k, S);
    add_ints(n, "strides", c->s, S);
    add_ints(n, "dilations", c->d, S);
    if (c->pad == PAD_EXPLICIT)
        add_ints(n, "pads", c->pads, 2 * S);
    else if (c->pad != PAD_NONE)
        add_str(n, "auto_pad", pad_names[c->pad]);
    add_attr(n, "group", CG_ATTR_INT)->i = c->group;
    if (c->act)
        add_str(n, "cg.activation", act_names[c->act]);
    if (c->act == 3 || c->act == 6) /* LeakyRelu's slope, HardSigmoid's alpha */
        add_attr(n, "cg.alpha", CG_ATTR_FLOAT)->f = c->alpha;
    if (c->act == 6)
        add_attr(n, "cg.beta", CG_ATTR_FLOAT)->f = c->min; /* any value in [-1, 0.2] */
    if (c->act == 2) {
        add_attr(n, "cg.min", CG_ATTR_FLOAT)->f = c->min;
        add_attr(n, "cg.max", CG_ATTR_FLOAT)->f = c->max;
    }
}

static cg_tensor *random_tensor(const config *c, int rank, const int64_t *dims)
{
    cg_status st = {0};
    cg_tensor *t = cg_tensor_new(c->f64 ? CG_DOUBLE : CG_FLOAT, rank, dims, &st);
    if (!t)
        fail_oom();
    for (int64_t i = 0; i < t->numel; i++) {
        float v = rng_float(-1.0f, 1.0f);
        if (c->f64)
            ((double *)t->data)[i] = v;
        else
            ((float *)t->data)[i] = v;
    }
    return t;
}

typedef struct operands {
    cg_tensor *x, *w, *b, *z;
} operands;

static void operands_draw(const config *c, operands *o)
{
    int R = c->spatial + 2;
    int64_t xd[4] = {c->batch, c->in_c}, wd[4] = {c->out_c, c->in_c / c->group};
    int64_t yd[4] = {c->batch, c->out_c};
    for (int a = 0; a < c->spatial; a++) {
        xd[2 + a] = c->in[a];
        wd[2 + a] = c->k[a];
        yd[2 + a] = c->out[a];
    }
    o->x = random_tensor(c, R, xd);
    o->w = random_tensor(c, R, wd);
    o->b = c->bias ? random_tensor(c, 1, &c->out_c) : NULL;
    o->z = c->z ? random_tensor(c, R, yd) : NULL;
}

static void operands_free(operands *o)
{
    cg_tensor_free(o->x);
    cg_tensor_free(o->w);
    cg_tensor_free(o->b);
    cg_tensor_free(o->z);
}

static void add_value(cg_graph *g, const char *name, const cg_tensor *t, bool constant)
{
    cg_status st = {0};
    int v = cg_graph_intern(g, name, &st);
    if (v < 0)
        fail_oom();
    if (!constant) {
        if (cg_graph_add_input(g, v, &st) != CG_OK)
            fail_oom();
        return;
    }
    cg_tensor *copy = cg_tensor_clone(t, &st);
    if (!copy)
        fail_oom();
    cg_graph_make_initializer(g, v, copy);
}

/* Conv(X, W, B?, Z?) -> Y; W and B initializers when c->w_const. */
static cg_graph *build_graph(const config *c, const operands *o)
{
    cg_status st = {0};
    cg_graph *g = cg_graph_new("fast_conv_diff.onnx");
    if (!g || cg_graph_add_opset(g, "", 13, &st) != CG_OK)
        fail_oom();
    add_value(g, "X", o->x, false);
    add_value(g, "W", o->w, c->w_const);
    if (o->b)
        add_value(g, "B", o->b, c->w_const);
    if (o->z)
        add_value(g, "Z", o->z, false);
    const char *in[] = {"X", "W", o->b ? "B" : "", "Z"};
    const char *out[] = {"Y"};
    cg_node *n = cg_graph_add_node(g, "conv", "Conv", "", &st);
    if (!n || cg_node_set_inputs(g, n, in, o->z ? 4 : o->b ? 3 : 2, &st) != CG_OK ||
        cg_node_set_outputs(g, n, out, 1, &st) != CG_OK)
        fail_oom();
    add_attrs(c, n);
    if (cg_graph_add_output(g, cg_graph_find(g, "Y"), &st) != CG_OK ||
        cg_graph_toposort(g, &st) != CG_OK)
        fail_oom();
    return g;
}

/* ------------------------------------------------------------------ running */

static int bind(const config *c, const operands *o, cg_named_tensor *named)
{
    int n = 0;
    named[n++] = (cg_named_tensor){"X", o->x};
    if (!c->w_const) {
        named[n++] = (cg_named_tensor){"W", o->w};
        if (o->b)
            named[n++] = (cg_named_tensor){"B", o->b};
    }
    if (o->z)
        named[n++] = (cg_named_tensor){"Z", o->z};
    return n;
}

/* Y of one session run on o; NULL with *why filled on failure. */
static cg_tensor *run_once(cg_session *s, const config *c, const operands *o, char *why,
                           size_t len)
{
    cg_named_tensor named[4], *outs = NULL;
    int n_outs = 0;
    cg_status st = {0};
    if (cg_session_run(s, named, bind(c, o, named), &outs, &n_outs, &st) != CG_OK) {
        snprintf(why, len, "run failed: %.400s", st.msg);
        return NULL;
    }
    cg_tensor *y = outs[0].tensor;
    outs[0].tensor = NULL;
    cg_named_tensors_free(outs, n_outs);
    return y;
}

static double element(const cg_tensor *t, int64_t i) { return cg_tensor_get_f64(t, i); }

static bool compare(const cg_tensor *got, const cg_tensor *want, char *why, size_t len)
{
    if (got->numel != want->numel || got->rank != want->rank) {
        snprintf(why, len, "Y has %lld elements, reference %lld", (long long)got->numel,
                 (long long)want->numel);
        return false;
    }
    for (int64_t i = 0; i < got->numel; i++) {
        double g = element(got, i), w = element(want, i);
        if (!(fabs(g - w) <= 1e-4 + 1e-3 * fabs(w))) {
            snprintf(why, len, "Y[%lld] = %.9g, reference %.9g", (long long)i, g, w);
            return false;
        }
    }
    return true;
}

static cg_session *session_for(cg_graph *g, cg_kernel_choice k, int threads, char *why, size_t len)
{
    cg_run_options opt = {k, threads};
    cg_status st = {0};
    cg_session *s = cg_session_new(g, &opt, &st);
    if (!s)
        snprintf(why, len, "session failed: %.400s", st.msg);
    return s;
}

static long fast_taken; /* runs of the FAST sessions that took the fast path */

/* One pass: reference and fast Y for o, compared. */
static bool compare_run(cg_session *ref, cg_session *fast, const config *c, const operands *o,
                        char *why, size_t len)
{
    cg_tensor *want = run_once(ref, c, o, why, len);
    long before = cg_fast_conv_runs(); /* session set-up may run probes of its own */
    cg_tensor *got = want ? run_once(fast, c, o, why, len) : NULL;
    fast_taken += cg_fast_conv_runs() - before;
    bool ok = got && compare(got, want, why, len);
    cg_tensor_free(want);
    cg_tensor_free(got);
    return ok;
}

static bool run_case(const config *c, char *why, size_t len)
{
    operands o = {0}, o2 = {0};
    operands_draw(c, &o);
    cg_graph *g_ref = build_graph(c, &o), *g_fast = build_graph(c, &o);
    cg_fast_conv_force_candidate(c->candidate); /* before the session: it decides the layout */
    cg_session *ref = session_for(g_ref, CG_KERNELS_REFERENCE, 1, why, len);
    cg_session *fast = ref ? session_for(g_fast, CG_KERNELS_FAST, c->threads, why, len) : NULL;
    bool ok = fast && compare_run(ref, fast, c, &o, why, len);
    if (ok && c->rerun) { /* new X and Z; W and B stay (they may be initializers) */
        operands_draw(c, &o2);
        cg_tensor *keep_w = o2.w, *keep_b = o2.b;
        o2.w = o.w;
        o2.b = o.b;
        ok = compare_run(ref, fast, c, &o2, why, len);
        o2.w = keep_w;
        o2.b = keep_b;
    }
    cg_fast_conv_force_candidate(-1);
    cg_session_free(fast);
    cg_session_free(ref);
    cg_graph_free(g_fast);
    cg_graph_free(g_ref);
    operands_free(&o2);
    operands_free(&o);
    return ok;
}

/* ------------------------------------------------------- invalid epilogues */

/* A plain 3x3 conv on [1, 2, 5, 5] spoiled by `spoil`; the run must fail with a
 * message containing `want`. */
static bool expect_rejected(int spoil, const char *want, char *why, size_t len)
{
    config c = {.spatial = 2, .pad = PAD_NONE, .batch = 1, .in_c = 2, .out_c = 2, .group = 1,
                .in = {5, 5}, .k = {3, 3}, .s = {1, 1}, .d = {1, 1}, .out = {3, 3}, .z = true,
                .w_const = true, .candidate = -1};
    operands o = {0};
    operands_draw(&c, &o);
    if (spoil == 3) { /* Z one row short */
        cg_tensor_free(o.z);
        cg_status st = {0};
        o.z = cg_tensor_new(CG_FLOAT, 4, (int64_t[]){1, 2, 2, 3}, &st);
    }
    cg_graph *g = build_graph(&c, &o);
    cg_node *n = &g->nodes[0];
    if (spoil == 0)
        add_str(n, "cg.activation", "Tanh");
    else if (spoil == 1)
        add_attr(n, "cg.alpha", CG_ATTR_INT)->i = 1;
    else if (spoil == 2) {
        add_str(n, "cg.activation", "Clip");
        add_attr(n, "cg.min", CG_ATTR_FLOAT)->f = 1.0f;
        add_attr(n, "cg.max", CG_ATTR_FLOAT)->f = 0.0f;
    }
    cg_session *s = session_for(g, CG_KERNELS_FAST, 1, why, len);
    cg_tensor *y = s ? run_once(s, &c, &o, why, len) : NULL;
    bool ok = !y && strstr(why, want) != NULL;
    if (!ok)
        snprintf(why, len, "spoiled epilogue %d was not rejected with '%s'", spoil, want);
    cg_tensor_free(y);
    cg_session_free(s);
    cg_graph_free(g);
    operands_free(&o);
    return ok;
}

static void describe(const config *c, char *buf, size_t len)
{
    int S = c->spatial;
    snprintf(buf, len,
             "%dD N%lld C%lld M%lld g%lld in %lldx%lld k %lldx%lld s %lldx%lld d %lldx%lld "
             "%s pads %lld,%lld/%lld,%lld bias %d const %d act '%s' z %d %s threads %d cand %d",
             S, (long long)c->batch, (long long)c->in_c, (long long)c->out_c,
             (long long)c->group, (long long)c->in[0], (long long)(S > 1 ? c->in[1] : 1),
             (long long)c->k[0], (long long)(S > 1 ? c->k[1] : 1), (long long)c->s[0],
             (long long)(S > 1 ? c->s[1] : 1), (long long)c->d[0],
             (long long)(S > 1 ? c->d[1] : 1), c->pad == PAD_NONE ? "no-pads" : pad_names[c->pad],
             (long long)c->pads[0], (long long)(S > 1 ? c->pads[1] : 0),
             (long long)c->pads[S], (long long)(S > 1 ? c->pads[S + 1] : 0), c->bias, c->w_const,
             act_names[c->act], c->z, c->f64 ? "f64" : "f32", c->threads, c->candidate);
}

int main(int argc, char **argv)
{
    long count = 1200;
    uint64_t seed = 20261130;
    long only = -1; /* --only N: draw every case, run case N alone */
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else {
            fprintf(stderr, "usage: fast_conv_diff [--count N] [--seed S] [--only N] [--verbose]\n");
            return 2;
        }
    }
    long passed = 0, failed = 0, f32_runs = 0;
    char why[512], desc[512];
    for (long i = 0; i < count; i++) {
        config c;
        if (only >= 0 && i != only)
            continue;
        rng_state = (seed + (uint64_t)i) * 0x9E3779B97F4A7C15ull | 1; /* one stream per case */
        draw(&c);
        describe(&c, desc, sizeof desc);
        if (verbose) { /* before the run, so that a crash names its case */
            printf("run  case %ld: %s\n", i, desc);
            fflush(stdout);
        }
        bool ok = run_case(&c, why, sizeof why);
        f32_runs += c.f64 ? 0 : c.rerun ? 2 : 1;
        passed += ok;
        failed += !ok;
        if (!ok)
            printf("%s case %ld: %s%s%s\n", ok ? "ok  " : "FAIL", i, desc, ok ? "" : ": ",
                   ok ? "" : why);
    }
    static const char *const rejections[] = {"cg.activation", "cg.alpha", "cg.min",
                                             "input Z has shape"};
    for (int i = 0; i < 4; i++) {
        bool ok = expect_rejected(i, rejections[i], why, sizeof why);
        passed += ok;
        failed += !ok;
        if (!ok)
            printf("FAIL %s\n", why);
    }
    long fast = fast_taken;
    printf("%ld passed, %ld failed; the fast path took %ld of %ld float32 runs (%s)\n", passed,
           failed, fast, f32_runs, cg_fast_conv_available() ? "oneDNN" : "not built in");
    bool reached = !cg_fast_conv_available() || fast * 100 >= f32_runs * 90; /* the rest: all-padding outputs */
    if (!reached)
        printf("too few float32 runs reached the fast path\n");
    return failed == 0 && reached ? 0 : 1;
}
