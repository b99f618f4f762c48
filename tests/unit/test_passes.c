/* Converter passes on small graphs built with graph.h's API: each pass must leave
 * a graph that sorts, infers and computes what the original computed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "support/graph_build.h"
#include "convgraph/graph_edit.h"
#include "convgraph/passes.h"
#include "convgraph/runtime.h"

/* ---------------------------------------------------------------- building */

/* A float32 graph input; dims < 0 are the symbol named by `sym`. */
static void add_input(cg_graph *g, const char *name, int rank, const int64_t *dims, const char *sym)
{
    const char *syms[CG_MAX_RANK];
    for (int i = 0; i < rank; i++)
        syms[i] = sym;
    gb_float_input(g, name, rank, dims, syms);
}

static void add_weight_values(cg_graph *g, const char *name, int rank, const int64_t *dims,
                              const float *values)
{
    gb_initializer(g, name, gb_tensor(CG_FLOAT, rank, dims, values));
}

static void set_ints(cg_node *n, const char *name, int count, const int64_t *v)
{
    assert_int_equal(cg_node_set_ints(n, name, v, count, NULL), CG_OK);
}

/* ---------------------------------------------------------------- running */

/* Runs g on input `x` of the given dims (deterministic data); returns output 0. */
static cg_tensor *run_once(cg_graph *g, int rank, const int64_t *dims)
{
    cg_tensor *x = cg_tensor_new(CG_FLOAT, rank, dims, NULL);
    gb_fill_seeded(x, 3);
    cg_named_tensor in = {"x", x};
    cg_named_tensor *outs = NULL;
    int n_outs = 0;
    cg_status st = {0};
    if (cg_graph_run(g, &in, 1, &outs, &n_outs, &st) != CG_OK)
        fail_msg("%s", st.msg);
    cg_tensor_free(x);
    cg_tensor *y = outs[0].tensor;
    outs[0].tensor = NULL;
    cg_named_tensors_free(outs, n_outs);
    return y;
}

static void assert_ints(const cg_node *n, const char *name, int count, const int64_t *want)
{
    int got_n;
    const int64_t *got = cg_attr_ints(n, name, &got_n);
    assert_int_equal(got_n, count);
    for (int i = 0; i < count; i++)
        if (got[i] != want[i])
            fail_msg("%s[%d] = %lld, want %lld", name, i, (long long)got[i], (long long)want[i]);
}

/* ---------------------------------------------------------------- explicit_pads */

/* x[1,2,H,W] -> op (one node, `name`) -> y, with 3x3 kernel and the given attrs. */
static cg_graph *one_window_graph(const char *op, const int64_t *xdims, const char *sym,
                                  const char *auto_pad, const int64_t *strides,
                                  const int64_t *dilations)
{
    cg_graph *g = gb_graph(17);
    add_input(g, "x", 4, xdims, sym);
    static const int64_t conv_w[] = {3, 2, 3, 3}, convt_w[] = {2, 3, 3, 3}, k[] = {3, 3};
    bool pool = strstr(op, "Pool") != NULL;
    if (!pool)
        gb_seeded_weight(g, "w", 4, strcmp(op, "Conv") == 0 ? conv_w : convt_w, 1);
    const char *ins[] = {"x", "w"}, *outs[] = {"y"};
    cg_node *n = gb_node_list(g, "n1", op, pool ? 1 : 2, ins, 1, outs);
    set_ints(n, "kernel_shape", 2, k);
    set_ints(n, "strides", 2, strides);
    if (dilations)
        set_ints(n, "dilations", 2, dilations);
    gb_attr_str(n, "auto_pad", auto_pad);
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

/* Rewrites g's node n1 to explicit pads, checks pads (and output_padding when
 * given), and that the output is the same before and after. */
static void expect_explicit(cg_graph *g, const int64_t *xdims, const int64_t *pads,
                            const int64_t *output_padding)
{
    cg_tensor *before = run_once(g, 4, xdims);
    cg_pass_report rep = {0};
    cg_status st = {0};
    if (cg_pass_explicit_pads(g, NULL, &rep, &st) != CG_OK)
        fail_msg("%s", st.msg);
    assert_int_equal(rep.changed, 1);
    assert_int_equal(rep.notes.n, 0);
    const cg_node *n = gb_node_named(g, "n1");
    assert_null(cg_node_attr(n, "auto_pad"));
    assert_ints(n, "pads", 4, pads);
    if (output_padding)
        assert_ints(n, "output_padding", 2, output_padding);
    assert_null(cg_node_attr(n, "output_shape"));
    gb_sort_and_infer(g);
    cg_tensor *after = run_once(g, 4, xdims);
    gb_expect_close(before, after, 0);
    cg_tensor_free(before);
    cg_tensor_free(after);
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

static void test_pads_same_upper_odd_total_and_dilated(void **state)
{
    /* H: n6 k3 s2 -> out 3, total 1 -> 0 top, 1 bottom (TF: extra pixel at the end).
     * W: n5 k3 s1 d2 -> ek 5, out 5, total 4 -> 2/2 (TF uses the dilated kernel). */
    static const int64_t x[] = {1, 2, 6, 5}, s[] = {2, 1}, d[] = {1, 2}, pads[] = {0, 2, 1, 2};
    expect_explicit(one_window_graph("Conv", x, NULL, "SAME_UPPER", s, d), x, pads, NULL);
}

static void test_pads_same_lower_puts_the_odd_pixel_first(void **state)
{
    static const int64_t x[] = {1, 2, 6, 6}, s[] = {2, 2}, pads[] = {1, 1, 0, 0};
    expect_explicit(one_window_graph("Conv", x, NULL, "SAME_LOWER", s, NULL), x, pads, NULL);
}

static void test_pads_valid_is_zero(void **state)
{
    static const int64_t x[] = {1, 2, 7, 6}, s[] = {2, 1}, pads[] = {0, 0, 0, 0};
    expect_explicit(one_window_graph("Conv", x, NULL, "VALID", s, NULL), x, pads, NULL);
}

static void test_pads_dilated_maxpool(void **state)
{
    /* DESIGN.md: MaxPool 5x7 k3 s2 d2 SAME_UPPER -> 3x4, pads 2,2/2,2 (TF, ONNX). */
    static const int64_t x[] = {1, 2, 5, 7}, s[] = {2, 2}, d[] = {2, 2}, pads[] = {2, 2, 2, 2};
    expect_explicit(one_window_graph("MaxPool", x, NULL, "SAME_UPPER", s, d), x, pads, NULL);
}

static void test_pads_conv_transpose_keeps_n_times_stride(void **state)
{
    /* n3 k3 s2: out 6, total 2*2+3-6 = 1 -> SAME_UPPER 0/1, no output_padding. */
    static const int64_t x[] = {1, 2, 3, 3}, s[] = {2, 2}, pads[] = {0, 0, 1, 1};
    expect_explicit(one_window_graph("ConvTranspose", x, NULL, "SAME_UPPER", s, NULL), x, pads, NULL);
}

static void test_pads_conv_transpose_stride_above_kernel(void **state)
{
    /* n3 k3 s4: out 12, total max(4*2+3-12, 0) = 0 -> pads 0, and the one missing
     * output comes back as output_padding 1 (12 = 4*2+1+3). */
    static const int64_t x[] = {1, 2, 3, 3}, s[] = {4, 4}, pads[] = {0, 0, 0, 0}, op[] = {1, 1};
    cg_graph *g = one_window_graph("ConvTranspose", x, NULL, "SAME_LOWER", s, NULL);
    assert_int_equal(g->values[cg_graph_find(g, "y")].shape.d[2].v, 12);
    expect_explicit(g, x, pads, op);
}

static void test_pads_conv_transpose_output_shape_becomes_pads(void **state)
{
    /* n3 k3 s2, output_shape [8, 6], SAME_LOWER. H: total 2*2+3-8 = -1 -> no pads,
     * one output without input: output_padding 1. W: total 1 -> 1 before (LOWER). */
    static const int64_t x[] = {1, 2, 3, 3}, s[] = {2, 2}, shape[] = {8, 6};
    static const int64_t pads[] = {0, 1, 0, 0}, op[] = {1, 0};
    cg_graph *g = one_window_graph("ConvTranspose", x, NULL, "SAME_LOWER", s, NULL);
    set_ints(&g->nodes[0], "output_shape", 2, shape);
    gb_sort_and_infer(g);
    assert_null(cg_node_attr(&g->nodes[0], "output_padding"));
    expect_explicit(g, x, pads, op);
}

static void test_pads_symbolic_dim_keeps_auto_pad(void **state)
{
    static const int64_t x[] = {1, 2, -1, 6}, s[] = {2, 2};
    cg_graph *g = one_window_graph("Conv", x, "H", "SAME_UPPER", s, NULL);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_explicit_pads(g, NULL, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(rep.notes.n, 1);
    assert_string_equal(rep.notes.lines[0],
                        "test.onnx: node 'n1' (Conv) keeps auto_pad SAME_UPPER: input H is "
                        "symbolic (H); pass --input-shape to resolve");
    assert_string_equal(cg_attr_string(gb_node_named(g, "n1"), "auto_pad", ""), "SAME_UPPER");
    cg_pass_report_free(&rep);

    /* Pinning H resolves it: n7 k3 s2 -> out 4, total 2 -> 1/1. */
    cg_pin pin;
    assert_int_equal(cg_pin_parse("x:1,2,7,6", &pin, NULL), CG_OK);
    cg_infer_options opt = {&pin, 1, NULL};
    cg_pass_report rep2 = {0};
    assert_int_equal(cg_pass_explicit_pads(g, &opt, &rep2, NULL), CG_OK);
    assert_int_equal(rep2.changed, 1);
    static const int64_t pads[] = {1, 0, 1, 1}; /* W: n6 k3 s2 -> out 3, total 1 -> 0/1 */
    assert_ints(gb_node_named(g, "n1"), "pads", 4, pads);
    cg_pass_report_free(&rep2);
    cg_graph_free(g);
}

static void test_pads_valid_needs_no_pin(void **state)
{
    /* VALID is zero pads whatever H is; a ceil_mode pool still waits for H. */
    static const int64_t x[] = {1, 2, -1, 6}, s[] = {2, 2}, zeros[] = {0, 0, 0, 0};
    cg_graph *g = one_window_graph("Conv", x, "H", "VALID", s, NULL);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_explicit_pads(g, NULL, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 1);
    assert_null(cg_node_attr(&g->nodes[0], "auto_pad"));
    assert_ints(&g->nodes[0], "pads", 4, zeros);
    gb_sort_and_infer(g);
    char after[64];
    cg_shape_format(&g->values[cg_graph_find(g, "y")].shape, after, sizeof after);
    assert_string_equal(after, "[1,3,floor((H-3)/2)+1,2]");
    cg_pass_report_free(&rep);
    cg_graph_free(g);

    g = one_window_graph("MaxPool", x, "H", "VALID", s, NULL);
    cg_attr *ceil_mode = cg_node_add_attr(&g->nodes[0], "ceil_mode", NULL);
    ceil_mode->type = CG_ATTR_INT;
    ceil_mode->i = 1;
    gb_sort_and_infer(g);
    cg_pass_report rep2 = {0};
    assert_int_equal(cg_pass_explicit_pads(g, NULL, &rep2, NULL), CG_OK);
    assert_int_equal(rep2.changed, 0);
    assert_int_equal(rep2.notes.n, 1);
    cg_pass_report_free(&rep2);
    cg_graph_free(g);
}

static void test_pads_bad_pin_is_an_error(void **state)
{
    static const int64_t x[] = {1, 2, -1, 6}, s[] = {2, 2};
    cg_graph *g = one_window_graph("Conv", x, "H", "SAME_UPPER", s, NULL);
    cg_pin pin;
    assert_int_equal(cg_pin_parse("x:1,2,7,9", &pin, NULL), CG_OK);
    cg_infer_options opt = {&pin, 1, NULL};
    cg_status st = {0};
    assert_int_equal(cg_pass_explicit_pads(g, &opt, NULL, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "--input-shape x"));
    cg_graph_free(g);
}

/* ---------------------------------------------------------------- fold_batchnorm */

/* x[1,2,5,5] -> Conv(w[3,2,3,3], b) -> c -> BatchNormalization -> y */
static cg_graph *conv_bn_graph(bool with_bias)
{
    cg_graph *g = gb_graph(15);
    static const int64_t xd[] = {1, 2, 5, 5}, wd[] = {3, 2, 3, 3}, cd[] = {3}, k[] = {3, 3};
    add_input(g, "x", 4, xd, NULL);
    gb_seeded_weight(g, "w", 4, wd, 1);
    static const float scale[] = {0.5f, 2.0f, -1.5f}, beta[] = {0.25f, -1.0f, 0.0f};
    static const float mean[] = {0.1f, -0.3f, 2.0f}, var[] = {1.0f, 0.25f, 4.0f};
    static const float bias[] = {1.0f, 0.5f, -2.0f};
    add_weight_values(g, "b", 1, cd, bias);
    add_weight_values(g, "scale", 1, cd, scale);
    add_weight_values(g, "beta", 1, cd, beta);
    add_weight_values(g, "mean", 1, cd, mean);
    add_weight_values(g, "var", 1, cd, var);
    const char *cin[] = {"x", "w", "b"}, *cout[] = {"c"};
    cg_node *conv = gb_node_list(g, "conv", "Conv", with_bias ? 3 : 2, cin, 1, cout);
    set_ints(conv, "kernel_shape", 2, k);
    const char *bin[] = {"c", "scale", "beta", "mean", "var"}, *bout[] = {"y"};
    gb_attr_float(gb_node_list(g, "bn", "BatchNormalization", 5, bin, 1, bout), "epsilon", 0.0f);
    gb_output(g, "y");
    gb_sort_and_infer(g);
    return g;
}

static void test_fold_batchnorm_numbers(void **state)
{
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        cg_graph *g = conv_bn_graph(with_bias);
        static const int64_t xd[] = {1, 2, 5, 5};
        cg_tensor *before = run_once(g, 4, xd);
        cg_pass_report rep = {0};
        assert_int_equal(cg_pass_fold_batchnorm(g, &rep, NULL), CG_OK);
        assert_int_equal(rep.changed, 1);
        assert_int_equal(g->n_nodes, 1);
        /* The Conv now produces the BN's output name, the graph output. */
        assert_string_equal(g->values[g->nodes[0].outputs[0]].name, "y");
        assert_int_equal(cg_graph_find(g, "c"), -1);
        assert_int_equal(cg_graph_find(g, "scale"), -1); /* dropped with the BN */
        /* Hand-computed with eps 0: f = scale/sqrt(var) = {0.5, 4, -0.75};
         * B' = (b - mean)*f + beta. */
        const cg_tensor *nb = g->values[g->nodes[0].inputs[2]].data;
        const float *b = nb->data;
        float want0 = with_bias ? (1.0f - 0.1f) * 0.5f + 0.25f : -0.1f * 0.5f + 0.25f;
        float want1 = with_bias ? (0.5f + 0.3f) * 4.0f - 1.0f : 0.3f * 4.0f - 1.0f;
        float want2 = with_bias ? (-2.0f - 2.0f) * -0.75f : -2.0f * -0.75f;
        assert_float_equal(b[0], want0, 1e-6);
        assert_float_equal(b[1], want1, 1e-6);
        assert_float_equal(b[2], want2, 1e-6);
        const float *w = g->values[g->nodes[0].inputs[1]].data->data;
        cg_tensor *w0 = cg_tensor_new(CG_FLOAT, 1, (int64_t[]){54}, NULL);
        gb_fill_seeded(w0, 1);
        const float *wo = w0->data;
        assert_float_equal(w[0], wo[0] * 0.5f, 1e-6);
        assert_float_equal(w[18], wo[18] * 4.0f, 1e-6);
        assert_float_equal(w[53], wo[53] * -0.75f, 1e-6);
        cg_tensor_free(w0);
        gb_sort_and_infer(g);
        cg_tensor *after = run_once(g, 4, xd);
        gb_expect_close(before, after, 1e-5);
        cg_tensor_free(before);
        cg_tensor_free(after);
        cg_pass_report_free(&rep);
        cg_graph_free(g);
    }
}

static void test_fold_batchnorm_needs_a_sole_reader(void **state)
{
    cg_graph *g = conv_bn_graph(true);
    gb_output(g, "c"); /* the Conv output is visible: folding would change it */
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_fold_batchnorm(g, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(rep.notes.n, 1);
    assert_non_null(strstr(rep.notes.lines[0], "node 'bn' (BatchNormalization) not folded: "
                                                "its input is not a Conv output read by this node alone"));
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

/* ---------------------------------------------------------------- drop_identity */

static void test_drop_identity_on_a_graph_output(void **state)
{
    /* x -> Relu -> r -> Identity -> i -> Dropout -> d -> Relu -> y -> Identity -> out */
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {2, 3};
    add_input(g, "x", 2, xd, NULL);
    gb_node_list(g, "relu1", "Relu", 1, (const char *[]){"x"}, 1, (const char *[]){"r"});
    gb_node_list(g, "id1", "Identity", 1, (const char *[]){"r"}, 1, (const char *[]){"i"});
    gb_node_list(g, "drop", "Dropout", 1, (const char *[]){"i"}, 2, (const char *[]){"d", "mask"});
    gb_node_list(g, "relu2", "Relu", 1, (const char *[]){"d"}, 1, (const char *[]){"y"});
    gb_node_list(g, "id2", "Identity", 1, (const char *[]){"y"}, 1, (const char *[]){"out"});
    gb_output(g, "out");
    gb_sort_and_infer(g);
    cg_tensor *before = run_once(g, 2, xd);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_drop_identity(g, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 3);
    assert_int_equal(g->n_nodes, 2);
    /* relu2 now writes the graph output under its own name. */
    const cg_node *relu2 = gb_node_named(g, "relu2");
    assert_string_equal(g->values[relu2->outputs[0]].name, "out");
    assert_string_equal(g->values[relu2->inputs[0]].name, "r");
    assert_int_equal(g->n_outputs, 1);
    assert_string_equal(g->values[g->outputs[0]].name, "out");
    for (const char *const *gone = (const char *const[]){"i", "d", "mask", "y", NULL}; *gone; gone++)
        assert_int_equal(cg_graph_find(g, *gone), -1);
    gb_sort_and_infer(g);
    cg_tensor *after = run_once(g, 2, xd);
    gb_expect_close(before, after, 0);
    cg_tensor_free(before);
    cg_tensor_free(after);
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

static void test_identity_from_input_to_output_stays(void **state)
{
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {4};
    add_input(g, "x", 1, xd, NULL);
    gb_node_list(g, "id", "Identity", 1, (const char *[]){"x"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_drop_identity(g, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(rep.notes.n, 1);
    assert_non_null(strstr(rep.notes.lines[0], "node 'id' (Identity) kept"));
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

static void test_dropout_in_training_or_with_its_mask_used_stays(void **state)
{
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {4};
    add_input(g, "x", 1, xd, NULL);
    cg_tensor *train = cg_tensor_new(CG_BOOL, 0, NULL, NULL);
    ((uint8_t *)train->data)[0] = 1;
    cg_graph_make_initializer(g, cg_graph_intern(g, "train", NULL), train);
    gb_node_list(g, "d1", "Dropout", 3, (const char *[]){"x", "", "train"}, 1, (const char *[]){"a"});
    gb_node_list(g, "d2", "Dropout", 1, (const char *[]){"a"}, 2, (const char *[]){"b", "mask"});
    gb_output(g, "b");
    gb_output(g, "mask");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_drop_identity(g, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(rep.notes.n, 2);
    assert_string_equal(rep.notes.lines[0], "test.onnx: node 'd1' (Dropout) kept: training_mode "
                                            "is not a constant false");
    assert_string_equal(rep.notes.lines[1], "test.onnx: node 'd2' (Dropout) kept: its mask "
                                            "output is used");
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

/* x -> Pad(pads from a Constant node, or an initializer) -> p -> Relu -> y */
static cg_graph *pad_graph(const int64_t *pads, bool from_constant)
{
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {1, 2, 3, 3}, pd[] = {8};
    add_input(g, "x", 4, xd, NULL);
    cg_tensor *t = gb_tensor(CG_INT64, 1, pd, pads);
    if (from_constant) {
        cg_node *k = gb_node_list(g, "k", "Constant", 0, NULL, 1, (const char *[]){"pads"});
        cg_attr *a = gb_attr(k, "value", CG_ATTR_TENSOR);
        a->t = t;
    } else {
        gb_initializer(g, "pads", t);
    }
    gb_node_list(g, "pad", "Pad", 2, (const char *[]){"x", "pads"}, 1, (const char *[]){"p"});
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"p"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    return g;
}

/* torch.onnx writes a Pad by zero before some AveragePools (densenet121). */
static void test_pad_by_zero_is_dropped(void **state)
{
    (void)state;
    static const int64_t zero[8] = {0}, one[8] = {0, 0, 1, 0, 0, 0, 0, 0};
    for (int from_constant = 0; from_constant < 2; from_constant++) {
        cg_graph *g = pad_graph(zero, from_constant);
        cg_pass_report rep = {0};
        assert_int_equal(cg_pass_drop_identity(g, &rep, NULL), CG_OK);
        assert_int_equal(rep.changed, 1);
        assert_null(gb_node_named(g, "pad"));
        assert_string_equal(g->values[gb_node_named(g, "relu")->inputs[0]].name, "x");
        cg_pass_report_free(&rep);
        cg_graph_free(g);
        g = pad_graph(one, from_constant);
        rep = (cg_pass_report){0};
        assert_int_equal(cg_pass_drop_identity(g, &rep, NULL), CG_OK);
        assert_int_equal(rep.changed, 0);
        assert_non_null(gb_node_named(g, "pad"));
        cg_pass_report_free(&rep);
        cg_graph_free(g);
    }
}

/* ---------------------------------------------------------------- fold_constants */

static void test_fold_constants_makes_initializers(void **state)
{
    /* k = Constant([1,2,3]); s = Add(k, a); y = Mul(x, s): k and s fold, Mul stays. */
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {3}, kd[] = {3};
    add_input(g, "x", 1, xd, NULL);
    static const float a[] = {0.5f, -1.0f, 4.0f};
    add_weight_values(g, "a", 1, kd, a);
    cg_node *k = gb_node_list(g, "k", "Constant", 0, NULL, 1, (const char *[]){"k_out"});
    cg_attr *value = cg_node_add_attr(k, "value", NULL);
    value->type = CG_ATTR_TENSOR;
    value->t = cg_tensor_new(CG_FLOAT, 1, kd, NULL);
    memcpy(value->t->data, (const float[]){1.0f, 2.0f, 3.0f}, 3 * sizeof(float));
    gb_node_list(g, "add", "Add", 2, (const char *[]){"k_out", "a"}, 1, (const char *[]){"s"});
    gb_node_list(g, "mul", "Mul", 2, (const char *[]){"x", "s"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    cg_tensor *before = run_once(g, 1, xd);
    cg_pass_report rep = {0};
    cg_status st = {0};
    if (cg_pass_fold_constants(g, 1 << 20, &rep, &st) != CG_OK)
        fail_msg("%s", st.msg);
    assert_int_equal(rep.changed, 2);
    assert_int_equal(g->n_nodes, 1);
    int s = cg_graph_find(g, "s");
    assert_true(s >= 0 && g->values[s].is_initializer);
    const float *sv = g->values[s].data->data;
    assert_true(sv[0] == 1.5f && sv[1] == 1.0f && sv[2] == 7.0f);
    assert_int_equal(cg_graph_find(g, "k_out"), -1); /* read by nothing any more */
    assert_int_equal(cg_graph_find(g, "a"), -1);
    gb_sort_and_infer(g);
    cg_tensor *after = run_once(g, 1, xd);
    gb_expect_close(before, after, 0);
    cg_tensor_free(before);
    cg_tensor_free(after);
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

static void test_fold_constants_leaves_big_results(void **state)
{
    /* Known too big from inference (not even run), and found too big by running. */
    for (int inferred = 0; inferred < 2; inferred++) {
        cg_graph *g = gb_graph(13);
        static const int64_t xd[] = {8}, kd[] = {8};
        add_input(g, "x", 1, xd, NULL);
        gb_seeded_weight(g, "a", 1, kd, 1);
        gb_node_list(g, "neg", "Relu", 1, (const char *[]){"a"}, 1, (const char *[]){"r"});
        gb_node_list(g, "add", "Add", 2, (const char *[]){"x", "r"}, 1, (const char *[]){"y"});
        gb_output(g, "y");
        if (inferred)
            gb_sort_and_infer(g);
        else
            assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
        cg_pass_report rep = {0};
        assert_int_equal(cg_pass_fold_constants(g, 4, &rep, NULL), CG_OK);
        assert_int_equal(rep.changed, 0);
        assert_int_equal(g->n_nodes, 2);
        assert_int_equal(rep.notes.n, 1);
        assert_non_null(strstr(rep.notes.lines[0],
                               "node 'neg' (Relu) not folded: an output has more than 4 elements"));
        cg_pass_report_free(&rep);
        cg_graph_free(g);
    }
}

static void test_fold_constants_notes_what_cannot_run(void **state)
{
    /* A custom-domain op on constants: no kernel, so it stays with a note. */
    cg_graph *g = gb_graph(13);
    static const int64_t kd[] = {2};
    gb_seeded_weight(g, "a", 1, kd, 1);
    cg_node *n = cg_graph_add_node(g, "odd", "Mystery", "com.example", NULL);
    assert_int_equal(cg_node_set_inputs(g, n, (const char *[]){"a"}, 1, NULL), CG_OK);
    assert_int_equal(cg_node_set_outputs(g, n, (const char *[]){"y"}, 1, NULL), CG_OK);
    gb_output(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_fold_constants(g, 100, &rep, NULL), CG_OK);
    assert_int_equal(rep.changed, 0);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(rep.notes.n, 1);
    assert_string_equal(rep.notes.lines[0],
                        "test.onnx: node 'odd' (Mystery) not folded: no kernel for Mystery");
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

/* ---------------------------------------------------------------- pin_shapes */

static void test_pin_shapes_declares_inferred_shapes(void **state)
{
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {-1, 3};
    add_input(g, "x", 2, xd, "N");
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"x"}, 1, (const char *[]){"r"});
    gb_node_list(g, "sig", "Sigmoid", 1, (const char *[]){"r"}, 1, (const char *[]){"y"});
    gb_output(g, "y");
    gb_sort_and_infer(g);
    cg_pin pin;
    assert_int_equal(cg_pin_parse("x:2,3", &pin, NULL), CG_OK);
    cg_infer_options opt = {&pin, 1, NULL};
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_pin_shapes(g, &opt, &rep, NULL), CG_OK);
    char buf[64];
    for (const char *const *name = (const char *const[]){"x", "r", "y", NULL}; *name; name++) {
        const cg_value *v = &g->values[cg_graph_find(g, *name)];
        assert_true(v->has_declared);
        assert_int_equal(v->declared_dtype, CG_FLOAT);
        cg_shape_format(&v->declared_shape, buf, sizeof buf);
        assert_string_equal(buf, "[2,3]");
    }
    assert_int_equal(rep.changed, 3);
    assert_int_equal(rep.notes.n, 0);
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

static void test_pin_shapes_notes_ops_without_shape_function(void **state)
{
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {2, 3};
    add_input(g, "x", 2, xd, NULL);
    cg_node *n = cg_graph_add_node(g, "mystery", "Mystery", "com.example", NULL);
    assert_int_equal(cg_node_set_inputs(g, n, (const char *[]){"x"}, 1, NULL), CG_OK);
    assert_int_equal(cg_node_set_outputs(g, n, (const char *[]){"y"}, 1, NULL), CG_OK);
    gb_output(g, "y");
    assert_int_equal(cg_graph_toposort(g, NULL), CG_OK);
    cg_pass_report rep = {0};
    assert_int_equal(cg_pass_pin_shapes(g, NULL, &rep, NULL), CG_OK);
    assert_false(g->values[cg_graph_find(g, "y")].has_declared);
    assert_int_equal(rep.notes.n, 1);
    assert_string_equal(rep.notes.lines[0], "test.onnx: node 'mystery' (Mystery) has no shape "
                                            "function: its outputs stay undeclared");
    cg_pass_report_free(&rep);
    cg_graph_free(g);
}

/* ---------------------------------------------------------------- graph_edit */

static void test_rename_and_compact_keep_the_index(void **state)
{
    cg_graph *g = gb_graph(13);
    static const int64_t xd[] = {2};
    add_input(g, "x", 1, xd, NULL);
    cg_graph_intern(g, "unused1", NULL);
    gb_node_list(g, "relu", "Relu", 1, (const char *[]){"x"}, 1, (const char *[]){"r"});
    cg_graph_intern(g, "unused2", NULL);
    gb_output(g, "r");
    gb_sort_and_infer(g);
    assert_int_equal(cg_graph_rename_value(g, cg_graph_find(g, "r"), "renamed", NULL), CG_OK);
    cg_status st = {0};
    assert_int_equal(cg_graph_rename_value(g, cg_graph_find(g, "renamed"), "x", &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "the name is taken"));
    assert_int_equal(cg_graph_compact_values(g, NULL), CG_OK);
    assert_int_equal(g->n_values, 2);
    assert_int_equal(cg_graph_find(g, "unused1"), -1);
    assert_int_equal(cg_graph_find(g, "r"), -1);
    int r = cg_graph_find(g, "renamed");
    assert_int_equal(g->nodes[0].outputs[0], r);
    assert_int_equal(g->outputs[0], r);
    assert_int_equal(g->values[r].producer, 0);
    assert_int_equal(g->nodes[0].inputs[0], cg_graph_find(g, "x"));
    /* New names still intern correctly after the index was rebuilt. */
    int added = cg_graph_intern(g, "later", NULL);
    assert_int_equal(cg_graph_find(g, "later"), added);
    gb_sort_and_infer(g);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pads_same_upper_odd_total_and_dilated),
        cmocka_unit_test(test_pads_same_lower_puts_the_odd_pixel_first),
        cmocka_unit_test(test_pads_valid_is_zero),
        cmocka_unit_test(test_pads_dilated_maxpool),
        cmocka_unit_test(test_pads_conv_transpose_keeps_n_times_stride),
        cmocka_unit_test(test_pads_conv_transpose_stride_above_kernel),
        cmocka_unit_test(test_pads_conv_transpose_output_shape_becomes_pads),
        cmocka_unit_test(test_pads_symbolic_dim_keeps_auto_pad),
        cmocka_unit_test(test_pads_valid_needs_no_pin),
        cmocka_unit_test(test_pads_bad_pin_is_an_error),
        cmocka_unit_test(test_fold_batchnorm_numbers),
        cmocka_unit_test(test_fold_batchnorm_needs_a_sole_reader),
        cmocka_unit_test(test_drop_identity_on_a_graph_output),
        cmocka_unit_test(test_pad_by_zero_is_dropped),
        cmocka_unit_test(test_identity_from_input_to_output_stays),
        cmocka_unit_test(test_dropout_in_training_or_with_its_mask_used_stays),
        cmocka_unit_test(test_fold_constants_makes_initializers),
        cmocka_unit_test(test_fold_constants_leaves_big_results),
        cmocka_unit_test(test_fold_constants_notes_what_cannot_run),
        cmocka_unit_test(test_pin_shapes_declares_inferred_shapes),
        cmocka_unit_test(test_pin_shapes_notes_ops_without_shape_function),
        cmocka_unit_test(test_rename_and_compact_keep_the_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
