/* Sessions: the conv-epilogue fusion pass on small graphs, the memory plan
 * (arena reuse, in-place elementwise nodes), repeated runs with the same and
 * with new input shapes, and FAST sessions computing what REFERENCE ones do. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "support/graph_build.h"
#include "convgraph/graph_edit.h"
#include "convgraph/passes.h"
#include "convgraph/runtime.h"

/* ---------------------------------------------------------------- building */

static void add_scalar(cg_graph *g, const char *name, float v)
{
    gb_initializer(g, name, gb_tensor(CG_FLOAT, 0, NULL, &v));
}

static const char *input_name(const cg_graph *g, const cg_node *n, int k)
{
    return k < n->n_inputs && n->inputs[k] >= 0 ? g->values[n->inputs[k]].name : "";
}

/* ---------------------------------------------------------------- running */

/* Error relative to the tensor's largest magnitude: random graphs subtract
 * large, nearly equal values, where an element-wise bound would judge the
 * rounding of float32 conv kernels, not the executor. */
static void assert_close_scaled(const cg_tensor *want, const cg_tensor *got, double tol)
{
    double scale = 1;
    for (int64_t i = 0; i < want->numel; i++)
        scale = fmax(scale, fabs(((const float *)want->data)[i]));
    assert_int_equal(want->numel, got->numel);
    for (int64_t i = 0; i < want->numel; i++) {
        double x = ((const float *)want->data)[i], y = ((const float *)got->data)[i];
        if (!(fabs(x - y) <= tol * scale))
            fail_msg("element %lld: %.9g vs %.9g (scale %.3g)", (long long)i, x, y, scale);
    }
}

static void assert_all_close(const cg_named_tensor *a, const cg_named_tensor *b, int n, double tol)
{
    for (int i = 0; i < n; i++) {
        assert_string_equal(a[i].name, b[i].name);
        gb_expect_close(a[i].tensor, b[i].tensor, tol);
    }
}

/* One FAST and one REFERENCE session on the same inputs (each dims set in
 * turn, twice): every output agrees. */
static void fast_matches_reference(cg_graph *(*build)(void), int rank, const int64_t *const *dims, int n_dims)
{
    cg_graph_free(gb_fast_vs_reference(build, rank, dims, n_dims, 1, 1e-5, NULL));
}

/* ---------------------------------------------------------------- fusion: structure */

/* x[1,2,6,6] -> Conv -> c -> act -> y */
static cg_graph *conv_act_graph(const char *act, int64_t opset)
{
    cg_graph *g = gb_graph(opset);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    gb_node_list(g, "act", act, 1, (const char *[]){"c"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static int fuse(cg_graph *g)
{
    cg_pass_report rep = {0};
    cg_status st = {0};
    if (cg_pass_fuse_conv_epilogue(g, &rep, &st) != CG_OK)
        fail_msg("%s", st.msg);
    int changed = rep.changed;
    cg_pass_report_free(&rep);
    return changed;
}

static void test_fuse_conv_relu(void **state)
{
    (void)state;
    cg_graph *g = conv_act_graph("Relu", 13);
    assert_int_equal(fuse(g), 1);
    assert_int_equal(g->n_nodes, 1);
    const cg_node *c = &g->nodes[0];
    assert_string_equal(c->op_type, "Conv");
    assert_string_equal(cg_attr_string(c, "cg.activation", ""), "Relu");
    assert_string_equal(g->values[c->outputs[0]].name, "y"); /* the graph output keeps its name */
    assert_int_equal(c->n_inputs, 3);
    assert_int_equal(cg_graph_find(g, "c"), -1);
    gb_sort_and_infer(g);
    assert_int_equal(fuse(g), 0); /* idempotent */
    cg_graph_free(g);
}

static void test_fuse_each_activation(void **state)
{
    (void)state;
    static const char *const acts[] = {"Relu", "LeakyRelu", "HardSwish", "Sigmoid", "Clip", "HardSigmoid", "Tanh"};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        cg_graph *g = conv_act_graph(acts[i], 14);
        bool fusable = strcmp(acts[i], "Tanh") != 0;
        assert_int_equal(fuse(g), fusable);
        if (fusable)
            assert_string_equal(cg_attr_string(&g->nodes[0], "cg.activation", ""), acts[i]);
        cg_graph_free(g);
    }
}

/* x -> Conv -> Clip(c, Constant 0, Constant 6) -> y */
static cg_graph *conv_constant_clip_graph(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    for (int i = 0; i < 2; i++) {
        cg_node *k = gb_node_list(g, i ? "khi" : "klo", "Constant", 0, NULL, 1, (const char *[]){i ? "hi" : "lo"});
        cg_attr *a = cg_node_add_attr(k, "value", NULL);
        assert_non_null(a);
        a->type = CG_ATTR_TENSOR;
        a->t = cg_tensor_new(CG_FLOAT, 0, NULL, NULL);
        *(float *)a->t->data = i ? 6.0f : 0.0f;
    }
    gb_node_list(g, "clip", "Clip", 3, (const char *[]){"c", "lo", "hi"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_fuse_leaky_alpha_and_clip_bounds(void **state)
{
    (void)state;
    cg_graph *g = conv_act_graph("LeakyRelu", 13);
    gb_attr_float(&g->nodes[1], "alpha", 0.2f);
    assert_int_equal(fuse(g), 1);
    assert_float_equal(cg_attr_float(&g->nodes[0], "cg.alpha", 0), 0.2f, 0);
    cg_graph_free(g);

    /* Clip-13 with constant bounds (Relu6) */
    g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    add_scalar(g, "lo", 0.0f);
    add_scalar(g, "hi", 6.0f);
    gb_node_list(g, "clip", "Clip", 3, (const char *[]){"c", "lo", "hi"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    assert_int_equal(fuse(g), 1);
    assert_float_equal(cg_attr_float(&g->nodes[0], "cg.min", -1), 0.0f, 0);
    assert_float_equal(cg_attr_float(&g->nodes[0], "cg.max", -1), 6.0f, 0);
    cg_graph_free(g);

    /* Clip-13 with only a max: no lower bound */
    g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    add_scalar(g, "hi", 6.0f);
    gb_node_list(g, "clip", "Clip", 3, (const char *[]){"c", "", "hi"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    assert_int_equal(fuse(g), 1);
    assert_true(isinf(cg_attr_float(&g->nodes[0], "cg.min", 0)));
    cg_graph_free(g);

    /* Clip-13 with bounds from Constant nodes (as torch.onnx exports Relu6) */
    g = conv_constant_clip_graph();
    assert_int_equal(fuse(g), 1);
    const cg_node *conv = gb_node_named(g, "conv");
    assert_float_equal(cg_attr_float(conv, "cg.min", -1), 0.0f, 0);
    assert_float_equal(cg_attr_float(conv, "cg.max", -1), 6.0f, 0);
    cg_graph_free(g);

    /* Clip-6 attributes */
    g = conv_act_graph("Clip", 6);
    gb_attr_float(&g->nodes[1], "min", -1.0f);
    gb_attr_float(&g->nodes[1], "max", 2.5f);
    assert_int_equal(fuse(g), 1);
    assert_float_equal(cg_attr_float(&g->nodes[0], "cg.min", 0), -1.0f, 0);
    assert_float_equal(cg_attr_float(&g->nodes[0], "cg.max", 0), 2.5f, 0);
    cg_graph_free(g);
}

static void test_clip_with_a_computed_bound_is_not_fused(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_float_input(g, "lo", 0, NULL, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    gb_node_list(g, "clip", "Clip", 2, (const char *[]){"c", "lo"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    assert_int_equal(fuse(g), 0);
    assert_int_equal(g->n_nodes, 2);
    cg_graph_free(g);
}

/* x -> Conv -> BatchNormalization -> Relu -> y */
static cg_graph *conv_bn_relu_graph(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    static const int64_t cd[] = {3};
    gb_seeded_weight(g, "scale", 1, cd, 2);
    gb_seeded_weight(g, "beta", 1, cd, 3);
    gb_seeded_weight(g, "mean", 1, cd, 4);
    cg_tensor *var = cg_tensor_new(CG_FLOAT, 1, cd, NULL);
    for (int i = 0; i < 3; i++)
        ((float *)var->data)[i] = 0.5f + (float)i;
    cg_graph_make_initializer(g, cg_graph_intern(g, "var", NULL), var);
    gb_node_list(g, "bn", "BatchNormalization", 5, (const char *[]){"c", "scale", "beta", "mean", "var"}, 1,
             (const char *[]){"b"});
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"b"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_fuse_conv_bn_relu(void **state)
{
    (void)state;
    cg_graph *g = conv_bn_relu_graph();
    assert_int_equal(cg_pass_fold_batchnorm(g, NULL, NULL), CG_OK);
    gb_sort_and_infer(g);
    assert_int_equal(fuse(g), 1);
    assert_int_equal(g->n_nodes, 1);
    assert_string_equal(cg_attr_string(&g->nodes[0], "cg.activation", ""), "Relu");
    assert_string_equal(g->values[g->nodes[0].outputs[0]].name, "y");
    cg_graph_free(g);
}

/* x -> conv1 -> c1 ; x -> conv2 -> c2 (node order: conv1 first);
 * Add(c1, c2) or Add(c2, c1) -> s [-> Relu -> y] */
static cg_graph *residual_graph(bool c1_first, bool with_relu)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv1", "x", "c1", 2, 2, 1);
    gb_conv3x3(g, "conv2", "x", "c2", 2, 2, 5);
    const char *ab[] = {c1_first ? "c1" : "c2", c1_first ? "c2" : "c1"};
    gb_node_list(g, "add", "Add", 2, ab, 1, (const char *[]){with_relu ? "s" : "y"});
    if (with_relu)
        gb_node_list(g, "relu", "Relu", 1, (const char *[]){"s"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_fuse_residual_add_relu(void **state)
{
    (void)state;
    for (int variant = 0; variant < 4; variant++) {
        bool c1_first = variant & 1, with_relu = variant & 2;
        cg_graph *g = residual_graph(c1_first, with_relu);
        assert_int_equal(fuse(g), 1);
        assert_int_equal(g->n_nodes, 2);
        const cg_node *c = gb_node_named(g, "conv1");
        assert_non_null(c);
        assert_int_equal(c->n_inputs, 4);
        assert_string_equal(input_name(g, c, 2), "conv1_b");
        assert_string_equal(input_name(g, c, 3), "c2");
        assert_string_equal(g->values[c->outputs[0]].name, "y");
        assert_string_equal(cg_attr_string(c, "cg.activation", "none"), with_relu ? "Relu" : "none");
        /* Z is produced by conv2, which now sorts first. */
        assert_string_equal(g->nodes[0].name, "conv2");
        assert_null(cg_node_attr(gb_node_named(g, "conv2"), "cg.activation"));
        cg_status st = {0};
        assert_int_equal(cg_graph_toposort(g, &st), CG_OK);
        cg_graph_free(g);
    }
}

static void test_residual_add_needs_equal_shapes(void **state)
{
    (void)state;
    /* c [1,2,6,6] + a per-channel [2,1,1] tensor: broadcast, not a residual. */
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 2, 2, 1);
    gb_seeded_weight(g, "k", 3, (const int64_t[]){2, 1, 1}, 2);
    gb_node_list(g, "add", "Add", 2, (const char *[]){"c", "k"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    assert_int_equal(fuse(g), 0);
    cg_graph_free(g);
}

static void test_conv_with_two_readers_is_not_fused(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 2, 2, 1);
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"c"}, 1, (const char *[]){"r"});
    gb_node_list(g, "sig", "Sigmoid", 1, (const char *[]){"c"}, 1, (const char *[]){"s"});
    gb_output(g, "r");
    gb_output(g, "s");
    gb_sort_and_infer(g);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_fuse_conv_epilogue(g, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(g->n_nodes, 3);
    assert_int_equal(rep.notes.n, 1);
    assert_non_null(strstr(rep.notes.lines[0], "node 'conv' (Conv) not fused: its output has 2 readers"));
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

static void test_conv_output_that_is_a_graph_output_is_not_fused(void **state)
{
    (void)state;
    cg_graph *g = conv_act_graph("Relu", 13);
    gb_output(g, "c");
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_fuse_conv_epilogue(g, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(rep.notes.n, 1);
    assert_non_null(strstr(rep.notes.lines[0], "not fused: its output is a graph output"));
    cg_pass_report_free(&rep);
    cg_graph_free(g);
    /* The residual case: with c1 visible, conv1 keeps it; conv2 may still take
     * the Add, with c1 as its Z. */
    g = residual_graph(true, true);
    gb_output(g, "c1");
    assert_int_equal(fuse(g), 1);
    const cg_node *c1 = gb_node_named(g, "conv1"), *c2 = gb_node_named(g, "conv2");
    assert_int_equal(c1->n_inputs, 3);
    assert_null(cg_node_attr(c1, "cg.activation"));
    assert_string_equal(g->values[c1->outputs[0]].name, "c1");
    assert_string_equal(input_name(g, c2, 3), "c1");
    assert_string_equal(g->values[c2->outputs[0]].name, "y");
    cg_graph_free(g);
    /* ... and with both visible, nothing fuses. */
    g = residual_graph(true, true);
    gb_output(g, "c1");
    gb_output(g, "c2");
    assert_int_equal(fuse(g), 0);
    cg_graph_free(g);
}

/* ---------------------------------------------------------------- sessions */

static void test_reference_session_leaves_the_graph_alone(void **state)
{
    (void)state;
    cg_graph *g = conv_bn_relu_graph();
    cg_session *s = gb_session(g, CG_KERNELS_REFERENCE);
    assert_int_equal(g->n_nodes, 3);
    cg_session_free(s);
    /* cg_graph_run: fast kernels, no rewrite either */
    int n;
    cg_named_tensor *out = NULL, in = {"x", cg_tensor_new(CG_FLOAT, 4, (const int64_t[]){1, 2, 6, 6}, NULL)};
    assert_int_equal(cg_graph_run(g, &in, 1, &out, &n, NULL), CG_OK);
    assert_int_equal(g->n_nodes, 3);
    cg_named_tensors_free(out, n);
    cg_tensor_free(in.tensor);
    cg_graph_free(g);
}

/* Nodes other than the layout pass's Relayouts (tests/unit/test_layout.c). */
static int model_nodes(const cg_graph *g)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += strcmp(g->nodes[i].domain, CG_LAYOUT_DOMAIN) != 0;
    return n;
}

static void test_fast_session_folds_batchnorm(void **state)
{
    (void)state;
    cg_graph *g = conv_bn_relu_graph();
    cg_session *s = gb_session(g, CG_KERNELS_FAST);
    assert_null(gb_node_named(g, "bn"));
    cg_session_memory_info info;
    cg_session_memory(s, &info);
    assert_int_equal(info.arena_bytes, 0); /* nothing planned before the first run */
    /* Relu is fused only when the Conv kernel computes the epilogue. */
    assert_int_equal(model_nodes(g), info.fused_convs ? 1 : 2);
    cg_session_free(s);
    cg_graph_free(g);
}

/* Once the Clip is in the epilogue its Constant bounds feed nothing and go. */
static void test_fast_session_drops_dead_constants(void **state)
{
    (void)state;
    cg_graph *g = conv_constant_clip_graph();
    cg_session *s = gb_session(g, CG_KERNELS_FAST);
    int n;
    cg_named_tensor *out = gb_session_run_x(s, 4, (const int64_t[]){1, 2, 6, 6}, 0, &n);
    cg_session_memory_info info;
    cg_session_memory(s, &info);
    assert_int_equal(model_nodes(g), info.fused_convs ? 1 : 4);
    cg_named_tensors_free(out, n);
    cg_session_free(s);
    cg_graph_free(g);
    static const int64_t d1[] = {1, 2, 6, 6};
    fast_matches_reference(conv_constant_clip_graph, 4, (const int64_t *const[]){d1}, 1);
}

/* Which activation conv_act_for_fast builds (fast_matches_reference takes a
 * builder without arguments). */
static const char *fast_act;

static cg_graph *conv_act_for_fast(void)
{
    cg_graph *g = conv_act_graph(fast_act, strcmp(fast_act, "Clip") == 0 ? 6 : 14);
    if (strcmp(fast_act, "LeakyRelu") == 0)
        gb_attr_float(&g->nodes[1], "alpha", 0.2f);
    if (strcmp(fast_act, "Clip") == 0) {
        gb_attr_float(&g->nodes[1], "min", -0.5f);
        gb_attr_float(&g->nodes[1], "max", 0.75f);
    }
    if (strcmp(fast_act, "HardSigmoid") == 0) { /* not the defaults: both must reach the kernel */
        gb_attr_float(&g->nodes[1], "alpha", 0.3f);
        gb_attr_float(&g->nodes[1], "beta", 0.4f);
    }
    return g;
}

/* x -> Conv -> c; s = Sigmoid(c); y = Mul(c, s) or Mul(s, c): SiLU, as
 * torch.onnx exports nn.SiLU (efficientnet). */
static bool silu_mul_swapped;
static float gate_alpha; /* 0: the gate is Sigmoid; else HardSigmoid(alpha, beta 0.5) */

static cg_graph *conv_silu_graph(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 6, 6}, NULL);
    gb_conv3x3(g, "conv", "x", "c", 3, 2, 1);
    cg_node *gate = gb_node(g, "sig", gate_alpha ? "HardSigmoid" : "Sigmoid", "c", "s");
    if (gate_alpha)
        gb_attr_float(gate, "alpha", gate_alpha);
    gb_node(g, "mul", "Mul", silu_mul_swapped ? "s,c" : "c,s", "y");
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_fuse_silu_either_order(void **state)
{
    (void)state;
    for (int swapped = 0; swapped < 2; swapped++) {
        silu_mul_swapped = swapped;
        cg_graph *g = conv_silu_graph();
        assert_int_equal(fuse(g), 1);
        assert_int_equal(g->n_nodes, 1);
        assert_string_equal(cg_attr_string(&g->nodes[0], "cg.activation", ""), "Swish");
        assert_string_equal(g->values[g->nodes[0].outputs[0]].name, "y");
        cg_graph_free(g);
        static const int64_t d1[] = {1, 2, 6, 6};
        fast_matches_reference(conv_silu_graph, 4, (const int64_t *const[]){d1}, 1);
    }
}

/* x * HardSigmoid(x) with alpha 1/6, beta 1/2 is HardSwish (torch.onnx's
 * nn.Hardswish at opset 13); with another alpha it is no activation the
 * epilogue has, and the conv output has two readers: nothing fuses. */
static void test_fuse_hard_swish_from_hard_sigmoid_and_mul(void **state)
{
    (void)state;
    silu_mul_swapped = true;
    gate_alpha = 1.0f / 6;
    cg_graph *g = conv_silu_graph();
    assert_int_equal(fuse(g), 1);
    assert_string_equal(cg_attr_string(&g->nodes[0], "cg.activation", ""), "HardSwish");
    cg_graph_free(g);
    static const int64_t d1[] = {1, 2, 6, 6};
    fast_matches_reference(conv_silu_graph, 4, (const int64_t *const[]){d1}, 1);
    gate_alpha = 0.2f;
    g = conv_silu_graph();
    assert_int_equal(fuse(g), 0);
    cg_graph_free(g);
    gate_alpha = 0;
    silu_mul_swapped = false;
}

/* The Sigmoid's output also read elsewhere (here: a graph output): no SiLU. */
static void test_silu_with_a_visible_sigmoid_is_not_fused(void **state)
{
    (void)state;
    silu_mul_swapped = false;
    cg_graph *g = conv_silu_graph();
    gb_output(g, "s");
    assert_int_equal(fuse(g), 0);
    assert_int_equal(g->n_nodes, 3);
    cg_graph_free(g);
}

static void test_fast_fused_activations_match_reference(void **state)
{
    (void)state;
    static const char *const acts[] = {"Relu", "LeakyRelu", "HardSwish", "Sigmoid", "Clip", "HardSigmoid"};
    static const int64_t d1[] = {1, 2, 6, 6};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        fast_act = acts[i];
        fast_matches_reference(conv_act_for_fast, 4, (const int64_t *const[]){d1}, 1);
    }
}

static void test_fast_conv_bn_relu_matches_reference(void **state)
{
    (void)state;
    static const int64_t d1[] = {1, 2, 6, 6};
    fast_matches_reference(conv_bn_relu_graph, 4, (const int64_t *const[]){d1}, 1);
}

/* A small residual network with symbolic H and W:
 * x -> conv_a -> bn -> relu -> conv_b -> (+ skip conv_s(x)) -> relu -> r
 * r -> sigmoid -> g ; m = Mul(r, g) (swish, in place) ; y = Clip(conv_c(m), 0, 6) ; also outputs r */
static cg_graph *resnet_block(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 3, -1, -1}, (const char *const[]){"", "", "H", "W"});
    gb_conv3x3(g, "conv_a", "x", "a", 4, 3, 1);
    static const int64_t cd[] = {4};
    gb_seeded_weight(g, "scale", 1, cd, 2);
    gb_seeded_weight(g, "beta", 1, cd, 3);
    gb_seeded_weight(g, "mean", 1, cd, 4);
    cg_tensor *var = cg_tensor_new(CG_FLOAT, 1, cd, NULL);
    for (int i = 0; i < 4; i++)
        ((float *)var->data)[i] = 0.5f + (float)i;
    cg_graph_make_initializer(g, cg_graph_intern(g, "var", NULL), var);
    gb_node_list(g, "bn", "BatchNormalization", 5, (const char *[]){"a", "scale", "beta", "mean", "var"}, 1,
             (const char *[]){"an"});
    gb_node_list(g, "relu_a", "Relu", 1, (const char *[]){"an"}, 1, (const char *[]){"ar"});
    gb_conv3x3(g, "conv_b", "ar", "b", 4, 4, 6);
    gb_conv3x3(g, "conv_s", "x", "sk", 4, 3, 7);
    gb_node_list(g, "add", "Add", 2, (const char *[]){"b", "sk"}, 1, (const char *[]){"s"});
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"s"}, 1, (const char *[]){"r"});
    gb_node_list(g, "sig", "Sigmoid", 1, (const char *[]){"r"}, 1, (const char *[]){"gt"});
    gb_node_list(g, "mul", "Mul", 2, (const char *[]){"gt", "r"}, 1, (const char *[]){"m"});
    gb_conv3x3(g, "conv_c", "m", "cc", 2, 4, 8);
    add_scalar(g, "zero", 0.0f);
    add_scalar(g, "six", 6.0f);
    gb_node_list(g, "clip", "Clip", 3, (const char *[]){"cc", "zero", "six"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_output(g, "r");
    gb_sort_and_infer(g);
    return g;
}

static void test_fast_residual_block_matches_reference_across_shapes(void **state)
{
    (void)state;
    static const int64_t d1[] = {1, 3, 7, 5}, d2[] = {1, 3, 4, 9}, d3[] = {1, 3, 1, 1};
    fast_matches_reference(resnet_block, 4, (const int64_t *const[]){d1, d2, d3}, 3);
}

/* x -> Conv -> Conv -> ... (n convs) -> y: no two neighbours can share memory,
 * but every other intermediate can. */
static cg_graph *conv_chain(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 8, 8}, NULL);
    char in[16] = "x", out[16], name[16];
    for (int i = 0; i < 6; i++) {
        snprintf(out, sizeof out, i == 5 ? "y" : "t%d", i);
        snprintf(name, sizeof name, "conv%d", i);
        gb_conv3x3(g, name, in, out, 2, 2, i);
        memcpy(in, out, sizeof in);
    }
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_arena_reuses_memory_on_a_chain(void **state)
{
    (void)state;
    cg_graph *g = conv_chain();
    cg_session *s = gb_session(g, CG_KERNELS_REFERENCE);
    int n;
    cg_named_tensor *out = gb_session_run_x(s, 4, (const int64_t[]){1, 2, 8, 8}, 0, &n);
    cg_named_tensors_free(out, n);
    cg_session_memory_info info;
    cg_session_memory(s, &info);
    size_t one = 2 * 8 * 8 * sizeof(float); /* 512 bytes, already 64-aligned */
    assert_int_equal(info.intermediate_bytes, 5 * one);
    assert_int_equal(info.arena_bytes, 2 * one); /* ping-pong between two buffers */
    assert_int_equal(info.in_place_nodes, 0);
    assert_true(info.weight_bytes > 0);
    cg_session_free(s);
    cg_graph_free(g);
}

/* x -> Relu -> Neg -> Abs -> Sigmoid -> Tanh -> y: the middle ones run in place. */
static cg_graph *unary_chain(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 2, (const int64_t[]){-1, 16}, (const char *const[]){"N", ""});
    static const char *const ops[] = {"Relu", "Neg", "Abs", "Sigmoid", "Tanh"};
    static const char *const vals[] = {"x", "t0", "t1", "t2", "t3", "y"};
    for (int i = 0; i < 5; i++)
        gb_node_list(g, ops[i], ops[i], 1, &vals[i], 1, &vals[i + 1]);
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_in_place_chain_needs_one_buffer(void **state)
{
    (void)state;
    cg_graph *g = unary_chain();
    cg_session *s = gb_session(g, CG_KERNELS_FAST);
    int n;
    cg_named_tensor *out = gb_session_run_x(s, 2, (const int64_t[]){4, 16}, 0, &n);
    cg_session_memory_info info;
    cg_session_memory(s, &info);
    assert_int_equal(info.intermediate_bytes, 4 * 256);
    assert_int_equal(info.arena_bytes, 256);
    /* Neg, Abs, Sigmoid; Relu reads the graph input, Tanh writes the graph output */
    assert_int_equal(info.in_place_nodes, 3);
    cg_named_tensors_free(out, n);
    cg_session_free(s);
    cg_graph_free(g);
    static const int64_t d1[] = {4, 16}, d2[] = {1, 16};
    fast_matches_reference(unary_chain, 2, (const int64_t *const[]){d1, d2}, 2);
}

/* A value read by two nodes must survive the first: a = Relu(x); e = Exp(a) may not
 * overwrite a (Tanh still reads it); t = Tanh(a) may; s = Add(e, t) may overwrite e;
 * b = Neg(s); y = Add(b, s) + Sub(s, b) ... */
static cg_graph *shared_value_graph(void)
{
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 2, (const int64_t[]){3, 10}, NULL);
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"x"}, 1, (const char *[]){"a"});
    gb_node_list(g, "exp", "Exp", 1, (const char *[]){"a"}, 1, (const char *[]){"e"});
    gb_node_list(g, "tanh", "Tanh", 1, (const char *[]){"a"}, 1, (const char *[]){"t"});
    gb_node_list(g, "add", "Add", 2, (const char *[]){"e", "t"}, 1, (const char *[]){"s"});
    gb_node_list(g, "neg", "Neg", 1, (const char *[]){"s"}, 1, (const char *[]){"b"});
    gb_node_list(g, "sub", "Sub", 2, (const char *[]){"b", "s"}, 1, (const char *[]){"d"});
    gb_node_list(g, "mul", "Mul", 2, (const char *[]){"d", "d"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_in_place_keeps_values_still_needed(void **state)
{
    (void)state;
    cg_graph *g = shared_value_graph();
    cg_session *s = gb_session(g, CG_KERNELS_FAST);
    int n;
    cg_named_tensor *out = gb_session_run_x(s, 2, (const int64_t[]){3, 10}, 0, &n);
    cg_session_memory_info info;
    cg_session_memory(s, &info);
    /* tanh, add, sub; not exp, neg (their input lives on), nor mul (a graph output) */
    assert_int_equal(info.in_place_nodes, 3);
    /* y = (-s - s)^2 = 4 s^2 with s = exp(relu(x)) + tanh(relu(x)), in double */
    cg_tensor *x = cg_tensor_new(CG_FLOAT, 2, (const int64_t[]){3, 10}, NULL);
    gb_fill_seeded(x, 0);
    for (int64_t i = 0; i < x->numel; i++) {
        double a = fmax(((float *)x->data)[i], 0), sv = exp(a) + tanh(a);
        double want = 4 * sv * sv, got = ((float *)out[0].tensor->data)[i];
        if (fabs(got - want) > 1e-5 * (1 + fabs(want)))
            fail_msg("element %lld: %.9g, want %.9g", (long long)i, got, want);
    }
    cg_tensor_free(x);
    cg_named_tensors_free(out, n);
    cg_session_free(s);
    cg_graph_free(g);
}

/* Heap bytes in use (glibc), to see that repeated runs allocate nothing new. */
static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

/* 20 runs of a session of the given kind on the same shapes: same numbers as
 * `want`, same plan, and no heap growth once `warm` runs have been made. */
static void check_stable_runs(cg_session *s, const cg_named_tensor *want, int warm, size_t slack,
                              cg_session_memory_info *first)
{
    static const int64_t d[] = {1, 3, 6, 6};
    cg_session_memory_info now;
    size_t heap0 = 0;
    for (int i = 0; i < 20; i++) {
        int n;
        cg_named_tensor *out = gb_session_run_x(s, 4, d, 1, &n);
        assert_all_close(want, out, n, 1e-5);
        cg_named_tensors_free(out, n);
        if (i == 0)
            cg_session_memory(s, first);
        if (i == warm - 1)
            heap0 = heap_in_use();
        cg_session_memory(s, &now);
        assert_int_equal(now.arena_bytes, first->arena_bytes);
        assert_int_equal(now.arena_reserved, first->arena_reserved);
        if (i >= warm)
            if (heap_in_use() > heap0 + slack)
                fail_msg("run %d: heap grew by %zu bytes", i, heap_in_use() - heap0);
    }
}

static void test_repeated_runs_are_stable(void **state)
{
    (void)state;
    cg_graph *g = resnet_block(), *gr = resnet_block();
    cg_session *s = gb_session(g, CG_KERNELS_FAST), *r = gb_session(gr, CG_KERNELS_REFERENCE);
    static const int64_t d[] = {1, 3, 6, 6};
    int n, nr;
    cg_named_tensor *want = gb_session_run_x(r, 4, d, 1, &nr);
    /* The executor allocates nothing after the first run; oneDNN and its OpenMP
     * runtime settle in on the second, hence a warm-up of 2 for FAST. The heap is
     * the process's: OpenMP's threads, left from earlier FAST runs, now and then
     * keep a few bytes more (48 seen, in about 1 run in 10, REFERENCE sessions
     * included), so growth below 1 KiB is allowed — far below any buffer of a
     * run (the arena alone is larger). */
    cg_session_memory_info first, ref_first, now;
    check_stable_runs(r, want, 1, 1024, &ref_first);
    check_stable_runs(s, want, 2, 1024, &first);
    assert_true(first.arena_bytes > 1024 && ref_first.arena_bytes > 1024);
    /* conv_a+Relu (after the BN fold), conv_b+Add+Relu, conv_c+Clip, once the
     * Conv kernel computes the epilogue; Mul runs in place over the Sigmoid. */
    assert_true(first.fused_convs == 0 || first.fused_convs == 3);
    assert_int_equal(first.in_place_nodes, first.fused_convs ? 1 : 3);
    assert_true(first.arena_bytes > 0 && first.arena_bytes < first.intermediate_bytes);
    assert_true(ref_first.arena_bytes > 0 && ref_first.arena_bytes < ref_first.intermediate_bytes);
    /* A larger input re-plans and grows the arena; going back keeps the room. */
    cg_named_tensor *big_out = gb_session_run_x(s, 4, (const int64_t[]){1, 3, 12, 12}, 1, &n);
    cg_named_tensors_free(big_out, n);
    cg_session_memory(s, &now);
    size_t big = now.arena_reserved;
    assert_true(big > first.arena_reserved);
    cg_named_tensor *out = gb_session_run_x(s, 4, d, 1, &n);
    assert_all_close(want, out, n, 1e-5);
    cg_named_tensors_free(out, n);
    cg_session_memory(s, &now);
    assert_int_equal(now.arena_bytes, first.arena_bytes);
    assert_int_equal(now.arena_reserved, big);
    cg_named_tensors_free(want, nr);
    cg_session_free(s);
    cg_session_free(r);
    cg_graph_free(g);
    cg_graph_free(gr);
}

static void test_bad_inputs_after_a_good_run(void **state)
{
    (void)state;
    cg_graph *g = resnet_block();
    cg_session *s = gb_session(g, CG_KERNELS_FAST);
    int n;
    cg_named_tensor *good = gb_session_run_x(s, 4, (const int64_t[]){1, 3, 5, 5}, 0, &n);
    cg_named_tensors_free(good, n);
    cg_tensor *x = cg_tensor_new(CG_FLOAT, 4, (const int64_t[]){1, 4, 5, 5}, NULL);
    cg_named_tensor in = {"x", x}, *out = NULL;
    cg_status st = {0};
    assert_int_equal(cg_session_run(s, &in, 1, &out, &n, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "input 'x'"));
    cg_tensor_free(x);
    good = gb_session_run_x(s, 4, (const int64_t[]){1, 3, 5, 5}, 0, &n);
    cg_named_tensors_free(good, n);
    cg_session_free(s);
    cg_graph_free(g);
}

/* ---------------------------------------------------------------- random graphs */

/* Random DAGs of elementwise and conv nodes with random fan-out and random graph
 * outputs, run by a FAST session (arena, in place). The oracle is the same graph
 * with every value a graph output, so that nothing shares memory. */
typedef struct rng {
    uint64_t s;
} rng;

static uint32_t next_u32(rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->s >> 33);
}

static cg_graph *random_graph(uint64_t seed, bool all_outputs)
{
    static const char *const unary[] = {"Relu", "Neg", "Sigmoid", "Tanh", "Abs"};
    static const char *const binary[] = {"Add", "Sub", "Mul", "Max", "Min"};
    rng r = {seed * 2654435761u + 1};
    cg_graph *g = gb_graph(13);
    gb_float_input(g, "x", 4, (const int64_t[]){1, 2, 4, 4}, NULL);
    int n_nodes = 3 + (int)(next_u32(&r) % 10);
    char names[16][16];
    snprintf(names[0], sizeof names[0], "x");
    for (int i = 1; i <= n_nodes; i++) {
        snprintf(names[i], sizeof names[i], "v%d", i);
        const char *a = names[next_u32(&r) % (unsigned)i], *b = names[next_u32(&r) % (unsigned)i];
        char node[16];
        snprintf(node, sizeof node, "n%d", i);
        int kind = (int)(next_u32(&r) % 3);
        const char *out = names[i];
        if (kind == 0)
            gb_node_list(g, node, unary[next_u32(&r) % 5], 1, &a, 1, &out);
        else if (kind == 1)
            gb_node_list(g, node, binary[next_u32(&r) % 5], 2, (const char *[]){a, b}, 1, &out);
        else
            gb_conv3x3(g, node, a, names[i], 2, 2, i);
    }
    for (int i = 1; i <= n_nodes; i++) /* the last value always, others at random */
        if (all_outputs || i == n_nodes || next_u32(&r) % 4 == 0)
            gb_output(g, names[i]);
    gb_sort_and_infer(g);
    return g;
}

static void test_random_graphs_match_unplanned_runs(void **state)
{
    (void)state;
    int in_place = 0;
    for (uint64_t seed = 0; seed < 1000; seed++) {
        cg_graph *g = random_graph(seed, false), *all = random_graph(seed, true);
        cg_session *s = gb_session(g, CG_KERNELS_FAST), *o = gb_session(all, CG_KERNELS_REFERENCE);
        int n, no;
        cg_named_tensor *got = gb_session_run_x(s, 4, (const int64_t[]){1, 2, 4, 4}, (int)seed, &n);
        cg_named_tensor *want = gb_session_run_x(o, 4, (const int64_t[]){1, 2, 4, 4}, (int)seed, &no);
        for (int i = 0; i < n; i++) {
            int j = 0;
            while (j < no && strcmp(want[j].name, got[i].name) != 0)
                j++;
            assert_true(j < no);
            assert_close_scaled(want[j].tensor, got[i].tensor, 1e-5);
        }
        cg_session_memory_info info;
        cg_session_memory(s, &info);
        in_place += info.in_place_nodes;
        cg_named_tensors_free(got, n);
        cg_named_tensors_free(want, no);
        cg_session_free(s);
        cg_session_free(o);
        cg_graph_free(g);
        cg_graph_free(all);
    }
    assert_true(in_place > 200); /* the test does exercise in-place nodes */
}

/* ---------------------------------------------------------------- views */

static void test_tensor_view_does_not_own(void **state)
{
    (void)state;
    float buf[6] = {1, 2, 3, 4, 5, 6};
    cg_tensor *t = calloc(1, sizeof *t);
    assert_int_equal(cg_tensor_view_init(t, CG_FLOAT, 2, (const int64_t[]){2, 3}, buf, NULL), CG_OK);
    assert_int_equal(t->numel, 6);
    assert_int_equal(t->nbytes, 24);
    assert_true(t->borrowed);
    cg_tensor *c = cg_tensor_clone(t, NULL);
    assert_false(c->borrowed);
    assert_memory_equal(c->data, buf, sizeof buf);
    cg_tensor_free(c);
    cg_tensor_free(t); /* frees the struct, not buf (ASan would complain) */
    cg_tensor v;
    cg_status st = {0};
    assert_int_equal(cg_tensor_view_init(&v, CG_FLOAT, 1, (const int64_t[]){-1}, buf, &st), CG_ERR_FORMAT);
    assert_int_equal(cg_tensor_view_init(&v, CG_FLOAT, 1, (const int64_t[]){4}, NULL, &st), CG_ERR_INVALID);
    assert_int_equal(cg_tensor_view_init(&v, CG_FLOAT, 1, (const int64_t[]){0}, NULL, &st), CG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuse_conv_relu),
        cmocka_unit_test(test_fuse_each_activation),
        cmocka_unit_test(test_fuse_leaky_alpha_and_clip_bounds),
        cmocka_unit_test(test_clip_with_a_computed_bound_is_not_fused),
        cmocka_unit_test(test_fuse_conv_bn_relu),
        cmocka_unit_test(test_fuse_residual_add_relu),
        cmocka_unit_test(test_residual_add_needs_equal_shapes),
        cmocka_unit_test(test_conv_with_two_readers_is_not_fused),
        cmocka_unit_test(test_conv_output_that_is_a_graph_output_is_not_fused),
        cmocka_unit_test(test_reference_session_leaves_the_graph_alone),
        cmocka_unit_test(test_fast_session_folds_batchnorm),
        cmocka_unit_test(test_fast_session_drops_dead_constants),
        cmocka_unit_test(test_fast_fused_activations_match_reference),
        cmocka_unit_test(test_fuse_silu_either_order),
        cmocka_unit_test(test_silu_with_a_visible_sigmoid_is_not_fused),
        cmocka_unit_test(test_fuse_hard_swish_from_hard_sigmoid_and_mul),
        cmocka_unit_test(test_fast_conv_bn_relu_matches_reference),
        cmocka_unit_test(test_fast_residual_block_matches_reference_across_shapes),
        cmocka_unit_test(test_arena_reuses_memory_on_a_chain),
        cmocka_unit_test(test_in_place_chain_needs_one_buffer),
        cmocka_unit_test(test_in_place_keeps_values_still_needed),
        cmocka_unit_test(test_repeated_runs_are_stable),
        cmocka_unit_test(test_bad_inputs_after_a_good_run),
        cmocka_unit_test(test_random_graphs_match_unplanned_runs),
        cmocka_unit_test(test_tensor_view_does_not_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
