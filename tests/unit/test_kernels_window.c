/* Reference kernels of the window-ops family (src/ops/conv.c, src/ops/pool.c) on
 * hand-computed cases: each test builds a one-node graph through graph.h, runs it
 * with cg_graph_run and compares every output element. Cases marked "ONNX docs"
 * are the numbers of the operator's examples in the ONNX operator spec
 * (onnx/backend/test/case/node/<op>.py). */
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

/* ------------------------------------------------------------ one-node graphs */

enum { MAX_IO = 3 };

typedef struct one_node {
    cg_graph *g;
    cg_node *node;
    int n_in;
} one_node;

/* op with inputs "in0".."in{n_in-1}" ("" where omit_mask has the bit) and outputs
 * "out0".."out{n_out-1}". Inputs are declared without dtype or shape: the run's
 * tensors decide them. */
static one_node make_node(const char *op, int64_t opset, int n_in, unsigned omit_mask, int n_out)
{
    cg_status st = {0};
    one_node o = {gb_graph(opset), NULL, n_in};
    char names[2 * MAX_IO][16];
    const char *in[MAX_IO], *out[MAX_IO];
    for (int i = 0; i < n_in; i++) {
        snprintf(names[i], sizeof names[i], "in%d", i);
        in[i] = (omit_mask >> i) & 1 ? "" : names[i];
        if (!((omit_mask >> i) & 1))
            assert_int_equal(cg_graph_add_input(o.g, gb_value(o.g, names[i]), &st), CG_OK);
    }
    for (int i = 0; i < n_out; i++) {
        snprintf(names[MAX_IO + i], sizeof names[0], "out%d", i);
        out[i] = names[MAX_IO + i];
    }
    o.node = cg_graph_add_node(o.g, "k", op, "", &st);
    assert_non_null(o.node);
    assert_int_equal(cg_node_set_inputs(o.g, o.node, in, n_in, &st), CG_OK);
    assert_int_equal(cg_node_set_outputs(o.g, o.node, out, n_out, &st), CG_OK);
    for (int i = 0; i < n_out; i++)
        assert_int_equal(cg_graph_add_output(o.g, cg_graph_find(o.g, out[i]), &st), CG_OK);
    return o;
}

static void attr_int(one_node *o, const char *name, int64_t v) { gb_attr_int(o->node, name, v); }
static void attr_float(one_node *o, const char *name, float v) { gb_attr_float(o->node, name, v); }
static void attr_str(one_node *o, const char *name, const char *s) { gb_attr_str(o->node, name, s); }

/* "2,2" -> INTS [2,2] */
static void attr_ints(one_node *o, const char *name, const char *list)
{
    gb_attr_ints_csv(o->node, name, list);
}

/* A tensor of dims "1,1,5,5" filled from vals (NULL: 0, 1, 2, ...). */
static cg_tensor *tensor(cg_dtype dtype, const char *dims, const double *vals)
{
    cg_status st = {0};
    int64_t d[CG_MAX_RANK];
    int rank = 0;
    for (const char *p = dims; *p && rank < CG_MAX_RANK;) {
        char *end;
        d[rank++] = strtoll(p, &end, 10);
        p = *end ? end + 1 : end;
    }
    cg_tensor *t = cg_tensor_new(dtype, rank, d, &st);
    assert_non_null(t);
    for (int64_t i = 0; i < t->numel; i++) {
        double v = vals ? vals[i] : (double)i;
        switch (dtype) {
        case CG_FLOAT: ((float *)t->data)[i] = (float)v; break;
        case CG_DOUBLE: ((double *)t->data)[i] = v; break;
        case CG_INT8: ((int8_t *)t->data)[i] = (int8_t)v; break;
        default: fail_msg("tensor(): dtype %d not handled", (int)dtype);
        }
    }
    return t;
}

static cg_tensor *tf(const char *dims, const double *vals)
{
    return tensor(CG_FLOAT, dims, vals);
}

/* Runs o with the given tensors (NULL where an input is omitted; all consumed),
 * frees the graph and returns the outputs. */
static cg_named_tensor *run(one_node *o, cg_tensor **ins, int *n_out)
{
    char names[MAX_IO][16];
    const char *given_names[MAX_IO] = {NULL};
    cg_tensor *given[MAX_IO] = {NULL};
    int n = 0;
    for (int i = 0; i < o->n_in; i++) {
        if (!ins[i])
            continue;
        snprintf(names[n], sizeof names[n], "in%d", i);
        given_names[n] = names[n];
        given[n++] = ins[i];
    }
    cg_named_tensor *outs = gb_run(o->g, n, given_names, given, n_out);
    for (int i = 0; i < n; i++)
        cg_tensor_free(given[i]);
    cg_graph_free(o->g);
    return outs;
}

static void expect(const cg_tensor *t, const char *dims, const double *want)
{
    cg_status st = {0};
    cg_tensor *shape_only = tensor(CG_FLOAT, dims, NULL);
    assert_int_equal(t->rank, shape_only->rank);
    for (int i = 0; i < t->rank; i++)
        assert_int_equal(t->dims[i], shape_only->dims[i]);
    for (int64_t i = 0; i < t->numel; i++) {
        double got = cg_tensor_get_f64(t, i);
        if (got < want[i] - 1e-4 || got > want[i] + 1e-4)
            fail_msg("element %lld: got %g, want %g", (long long)i, got, want[i]);
    }
    cg_tensor_free(shape_only);
    (void)st;
}

/* Runs o on (x, w, b) and checks its one output. */
static void run_expect(one_node *o, cg_tensor *x, cg_tensor *w, cg_tensor *b, const char *dims,
                       const double *want)
{
    cg_tensor *ins[MAX_IO] = {x, w, b};
    int n_out = 0;
    cg_named_tensor *outs = run(o, ins, &n_out);
    assert_int_equal(n_out, 1);
    expect(outs[0].tensor, dims, want);
    cg_named_tensors_free(outs, n_out);
}

static const double ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

/* ------------------------------------------------------------ Conv */

/* ONNX docs, test_basic_conv_with_padding / _without_padding: x = 0..24 (5x5),
 * W = ones 3x3. */
static void conv_docs_pads(void **state)
{
    (void)state;
    one_node o = make_node("Conv", 11, 2, 0, 1);
    attr_ints(&o, "pads", "1,1,1,1");
    static const double want[] = {12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108,
                                  117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    run_expect(&o, tf("1,1,5,5", NULL), tf("1,1,3,3", ones9), NULL, "1,1,5,5", want);

    o = make_node("Conv", 11, 2, 0, 1);
    static const double valid[] = {54, 63, 72, 99, 108, 117, 144, 153, 162};
    run_expect(&o, tf("1,1,5,5", NULL), tf("1,1,3,3", ones9), NULL, "1,1,3,3", valid);
}

/* ONNX docs, test_conv_with_strides_padding / _no_padding / _and_asymmetric_padding. */
static void conv_docs_strides(void **state)
{
    (void)state;
    one_node o = make_node("Conv", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2,2");
    attr_ints(&o, "pads", "1,1,1,1");
    run_expect(&o, tf("1,1,7,5", NULL), tf("1,1,3,3", ones9), NULL, "1,1,4,3",
               (const double[]){12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124});

    o = make_node("Conv", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2,2");
    attr_ints(&o, "pads", "1,0,1,0");
    static const double asym[] = {21, 33, 99, 117, 189, 207, 171, 183};
    run_expect(&o, tf("1,1,7,5", NULL), tf("1,1,3,3", ones9), NULL, "1,1,4,2", asym);

    o = make_node("Conv", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2,2");
    static const double none[] = {54, 72, 144, 162, 234, 252};
    run_expect(&o, tf("1,1,7,5", NULL), tf("1,1,3,3", ones9), NULL, "1,1,3,2", none);
}

/* SAME_UPPER puts the odd pixel of padding at the end, SAME_LOWER at the begin:
 * x = [1,2,3,4], W = [1,1], stride 1 -> total 1. */
static void conv_same_split(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 4}, w[] = {1, 1};
    one_node o = make_node("Conv", 11, 2, 0, 1);
    attr_str(&o, "auto_pad", "SAME_UPPER");
    run_expect(&o, tf("1,1,4", x), tf("1,1,2", w), NULL, "1,1,4", (const double[]){3, 5, 7, 4});

    o = make_node("Conv", 11, 2, 0, 1);
    attr_str(&o, "auto_pad", "SAME_LOWER");
    run_expect(&o, tf("1,1,4", x), tf("1,1,2", w), NULL, "1,1,4", (const double[]){1, 3, 5, 7});

    o = make_node("Conv", 11, 2, 0, 1);
    attr_str(&o, "auto_pad", "VALID");
    attr_ints(&o, "strides", "2");
    run_expect(&o, tf("1,1,4", x), tf("1,1,2", w), NULL, "1,1,2", (const double[]){3, 7});
}

/* Depthwise (group = C) with a bias: channel 0 sums, channel 1 takes x00 - x11. */
static void conv_depthwise_bias(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 4, 5, 6, 7, 8}, w[] = {1, 1, 1, 1, 1, 0, 0, -1};
    static const double b[] = {0.5, 1};
    one_node o = make_node("Conv", 11, 3, 0, 1);
    attr_int(&o, "group", 2);
    run_expect(&o, tf("1,2,2,2", x), tf("2,1,2,2", w), tf("2", b), "1,2,1,1",
               (const double[]){10.5, -2});
}

/* Two groups of two input channels and one output channel each, plus an omitted B. */
static void conv_groups_no_bias(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 4}, w[] = {1, 10, 100, 1000};
    one_node o = make_node("Conv", 11, 3, 1u << 2, 1);
    attr_int(&o, "group", 2);
    /* y0 = 1*1 + 2*10 = 21, y1 = 3*100 + 4*1000 = 4300 */
    run_expect(&o, tf("1,4,1", x), tf("2,2,1", w), NULL, "1,2,1", (const double[]){21, 4300});
}

/* 1-D dilation 2: y[o] = x[o] + 10 x[o+2] + 100 x[o+4]. */
static void conv_dilated_1d(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 4, 5, 6, 7}, w[] = {1, 10, 100};
    one_node o = make_node("Conv", 11, 2, 0, 1);
    attr_ints(&o, "dilations", "2");
    run_expect(&o, tf("1,1,7", x), tf("1,1,3", w), NULL, "1,1,3",
               (const double[]){531, 642, 753});
}

/* 3-D, two batches, double precision: a 2x2x2 kernel of ones sums the cube. */
static void conv_3d_double(void **state)
{
    (void)state;
    static const double w[] = {1, 1, 1, 1, 1, 1, 1, 1};
    one_node o = make_node("Conv", 11, 2, 0, 1);
    cg_tensor *x = tensor(CG_DOUBLE, "2,1,2,2,2", NULL);
    run_expect(&o, x, tensor(CG_DOUBLE, "1,1,2,2,2", w), NULL, "2,1,1,1,1",
               (const double[]){28, 92});
}

/* ------------------------------------------------------------ ConvTranspose */

/* ONNX docs, test_convtranspose_1d: x = [0,1,2], W = ones [1,2,3]. */
static void conv_transpose_docs_1d(void **state)
{
    (void)state;
    static const double x[] = {0, 1, 2}, w[] = {1, 1, 1, 1, 1, 1};
    one_node o = make_node("ConvTranspose", 11, 2, 0, 1);
    run_expect(&o, tf("1,1,3", x), tf("1,2,3", w), NULL, "1,2,5",
               (const double[]){0, 1, 3, 3, 2, 0, 1, 3, 3, 2});
}

/* Stride 2 with output_padding 1: out = 2*(2-1)+1+3 = 6; the extra pixel gets no
 * input. With pads 1/1 instead: out 3, the scatter at -1 and 3 is cropped. */
static void conv_transpose_output_padding_and_pads(void **state)
{
    (void)state;
    static const double x[] = {1, 2}, w[] = {1, 1, 1};
    one_node o = make_node("ConvTranspose", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2");
    attr_ints(&o, "output_padding", "1");
    run_expect(&o, tf("1,1,2", x), tf("1,1,3", w), NULL, "1,1,6",
               (const double[]){1, 1, 3, 2, 2, 0});

    o = make_node("ConvTranspose", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2");
    attr_ints(&o, "pads", "1,1");
    run_expect(&o, tf("1,1,2", x), tf("1,1,3", w), NULL, "1,1,3", (const double[]){1, 3, 2});
}

/* Groups (W is [C, M/group, k]), a bias, and dilation 2: x=[1,2], W=[1,10]. */
static void conv_transpose_groups_dilation(void **state)
{
    (void)state;
    static const double x[] = {1, 2}, w[] = {3, 4}, b[] = {0.5, -1};
    one_node o = make_node("ConvTranspose", 11, 3, 0, 1);
    attr_int(&o, "group", 2);
    run_expect(&o, tf("1,2,1", x), tf("2,1,1", w), tf("2", b), "1,2,1",
               (const double[]){3.5, 7});

    o = make_node("ConvTranspose", 11, 2, 0, 1);
    attr_ints(&o, "dilations", "2");
    run_expect(&o, tf("1,1,2", x), tf("1,1,2", (const double[]){1, 10}), NULL, "1,1,4",
               (const double[]){1, 2, 10, 20});
}

/* SAME_UPPER: out = n*s = 4, total = 2*(2-1)+3-4 = 1, begin 0 (the odd pixel at
 * the end); SAME_LOWER begins with it. Full result [1,1,3,2,2]. */
static void conv_transpose_same(void **state)
{
    (void)state;
    static const double x[] = {1, 2}, w[] = {1, 1, 1};
    one_node o = make_node("ConvTranspose", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2");
    attr_str(&o, "auto_pad", "SAME_UPPER");
    run_expect(&o, tf("1,1,2", x), tf("1,1,3", w), NULL, "1,1,4", (const double[]){1, 1, 3, 2});

    o = make_node("ConvTranspose", 11, 2, 0, 1);
    attr_ints(&o, "strides", "2");
    attr_str(&o, "auto_pad", "SAME_LOWER");
    run_expect(&o, tf("1,1,2", x), tf("1,1,3", w), NULL, "1,1,4", (const double[]){1, 3, 2, 2});
}

/* ------------------------------------------------------------ MaxPool */

/* ONNX docs, test_maxpool_2d_precomputed_pads: x = 1..25, k5, pads 2. */
static void max_pool_docs_pads(void **state)
{
    (void)state;
    double x[25];
    for (int i = 0; i < 25; i++)
        x[i] = i + 1;
    one_node o = make_node("MaxPool", 12, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "5,5");
    attr_ints(&o, "pads", "2,2,2,2");
    static const double want[] = {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25,
                                  25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25};
    run_expect(&o, tf("1,1,5,5", x), NULL, NULL, "1,1,5,5", want);
}

/* ONNX docs, test_maxpool_with_argmax_2d_precomputed_strides and
 * _column_major: x = 1..25, k2 s2 -> [[7,9],[17,19]], Indices [[6,8],[16,18]]
 * row major and [[6,16],[8,18]] column major. A second batch checks the offset. */
static void max_pool_indices(void **state)
{
    (void)state;
    double x[50];
    for (int i = 0; i < 50; i++)
        x[i] = i + 1;
    for (int order = 0; order < 2; order++) {
        one_node o = make_node("MaxPool", 12, 1, 0, 2);
        attr_ints(&o, "kernel_shape", "2,2");
        attr_ints(&o, "strides", "2,2");
        attr_int(&o, "storage_order", order);
        cg_tensor *ins[MAX_IO] = {tf("2,1,5,5", x)};
        int n_out = 0;
        cg_named_tensor *outs = run(&o, ins, &n_out);
        assert_int_equal(n_out, 2);
        expect(outs[0].tensor, "2,1,2,2", (const double[]){7, 9, 17, 19, 32, 34, 42, 44});
        static const double row[] = {6, 8, 16, 18, 31, 33, 41, 43};
        static const double col[] = {6, 16, 8, 18, 31, 41, 33, 43};
        assert_int_equal(outs[1].tensor->dtype, CG_INT64);
        expect(outs[1].tensor, "2,1,2,2", order ? col : row);
        cg_named_tensors_free(outs, n_out);
    }
}

/* ceil_mode (ONNX docs test_maxpool_2d_ceil: x = 1..16, k3 s2 -> [[11,12],[15,16]])
 * and the drop rule of onnx PR #5741: n5 k3 s3 pads 0/2 -> 2 windows (the third
 * would start in the end padding), pads 2/0 -> 3 windows. */
static void max_pool_ceil(void **state)
{
    (void)state;
    double x[16];
    for (int i = 0; i < 16; i++)
        x[i] = i + 1;
    one_node o = make_node("MaxPool", 12, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "3,3");
    attr_ints(&o, "strides", "2,2");
    attr_int(&o, "ceil_mode", 1);
    run_expect(&o, tf("1,1,4,4", x), NULL, NULL, "1,1,2,2", (const double[]){11, 12, 15, 16});

    const char *pads[] = {"0,2", "2,0"};
    const char *dims[] = {"1,1,2", "1,1,3"};
    const double *want[] = {(const double[]){3, 5}, (const double[]){1, 4, 5}};
    for (int i = 0; i < 2; i++) {
        o = make_node("MaxPool", 12, 1, 0, 1);
        attr_ints(&o, "kernel_shape", "3");
        attr_ints(&o, "strides", "3");
        attr_ints(&o, "pads", pads[i]);
        attr_int(&o, "ceil_mode", 1);
        run_expect(&o, tf("1,1,5", x), NULL, NULL, dims[i], want[i]);
    }
}

/* Padding never wins a max, even over negative numbers; dilation 2 skips taps;
 * int8 goes through the same loop. */
static void max_pool_negative_dilated_int8(void **state)
{
    (void)state;
    one_node o = make_node("MaxPool", 12, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "2");
    attr_ints(&o, "pads", "1,1");
    run_expect(&o, tf("1,1,2", (const double[]){-5, -3}), NULL, NULL, "1,1,3",
               (const double[]){-5, -3, -3});

    o = make_node("MaxPool", 12, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "2");
    attr_ints(&o, "dilations", "2");
    run_expect(&o, tensor(CG_INT8, "1,1,4", (const double[]){9, -100, -7, 100}), NULL, NULL,
               "1,1,2", (const double[]){9, 100});
}

/* ------------------------------------------------------------ AveragePool */

/* x = [1,2,3], k3 s1 pads 1/1: count_include_pad 0 divides by the valid taps,
 * 1 by all three. */
static void average_pool_count_include_pad(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3};
    for (int count = 0; count < 2; count++) {
        one_node o = make_node("AveragePool", 11, 1, 0, 1);
        attr_ints(&o, "kernel_shape", "3");
        attr_ints(&o, "pads", "1,1");
        attr_int(&o, "count_include_pad", count);
        const double *want =
            count ? (const double[]){1, 2, 5.0 / 3} : (const double[]){1.5, 2, 2.5};
        run_expect(&o, tf("1,1,3", x), NULL, NULL, "1,1,3", want);
    }
}

/* x = [1,2,3,4], k3 s2 pads 1/1 ceil_mode: windows start at -1, 1, 3; the last
 * covers x[3], one pad pixel and one position beyond the padded extent, which
 * never counts: count_include_pad 1 gives 4/2, 0 gives 4/1. */
static void average_pool_ceil_beyond_padding(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 4};
    for (int count = 0; count < 2; count++) {
        one_node o = make_node("AveragePool", 11, 1, 0, 1);
        attr_ints(&o, "kernel_shape", "3");
        attr_ints(&o, "strides", "2");
        attr_ints(&o, "pads", "1,1");
        attr_int(&o, "ceil_mode", 1);
        attr_int(&o, "count_include_pad", count);
        const double *want = count ? (const double[]){1, 3, 2} : (const double[]){1.5, 3, 4};
        run_expect(&o, tf("1,1,4", x), NULL, NULL, "1,1,3", want);
    }
}

/* auto_pad SAME_*: the padding is left out of the average as in TensorFlow's
 * AvgPool, whatever count_include_pad says (it is about explicit pads). */
static void average_pool_same_excludes_padding(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 4};
    const char *modes[] = {"SAME_UPPER", "SAME_LOWER"};
    for (int i = 0; i < 2; i++) {
        one_node o = make_node("AveragePool", 11, 1, 0, 1);
        attr_ints(&o, "kernel_shape", "2");
        attr_str(&o, "auto_pad", modes[i]);
        attr_int(&o, "count_include_pad", 1);
        const double *want =
            i ? (const double[]){1, 1.5, 2.5, 3.5} : (const double[]){1.5, 2.5, 3.5, 4};
        run_expect(&o, tf("1,1,4", x), NULL, NULL, "1,1,4", want);
    }
}

/* ------------------------------------------------------------ LpPool, global pools */

static void lp_pool_p(void **state)
{
    (void)state;
    static const double x[] = {3, -4, 1, 2};
    one_node o = make_node("LpPool", 18, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "2");
    attr_ints(&o, "strides", "2");
    run_expect(&o, tf("1,1,4", x), NULL, NULL, "1,1,2", (const double[]){5, 2.2360680});

    o = make_node("LpPool", 18, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "2");
    attr_ints(&o, "strides", "2");
    attr_int(&o, "p", 1);
    run_expect(&o, tf("1,1,4", x), NULL, NULL, "1,1,2", (const double[]){7, 3});

    o = make_node("LpPool", 1, 1, 0, 1); /* LpPool-1: p is a float */
    attr_ints(&o, "kernel_shape", "2");
    attr_float(&o, "p", 3.0f);
    run_expect(&o, tf("1,1,2", (const double[]){1, 2}), NULL, NULL, "1,1,1",
               (const double[]){2.0800838});
}

static void global_pools(void **state)
{
    (void)state;
    static const double x[] = {1, 2, 3, 6, -1, -2, -3, -6};
    one_node o = make_node("GlobalAveragePool", 11, 1, 0, 1);
    run_expect(&o, tf("1,2,2,2", x), NULL, NULL, "1,2,1,1", (const double[]){3, -3});

    o = make_node("GlobalMaxPool", 11, 1, 0, 1);
    run_expect(&o, tf("2,1,4", x), NULL, NULL, "2,1,1", (const double[]){6, -1});
}

/* ------------------------------------------------------------ refusals */

/* Calls op's kernel directly on tensors shape inference never saw. */
static cg_code call_kernel(one_node *o, int64_t opset, const cg_tensor *x, cg_tensor *y,
                           cg_status *st)
{
    const cg_op_def *def = cg_op_find("", o->node->op_type, opset);
    assert_non_null(def);
    assert_non_null(def->run);
    const cg_tensor *ins[] = {x};
    cg_tensor *outs[] = {y};
    cg_run_ctx c = {o->g, o->node, opset, 1, ins, 1, outs, st};
    return def->run(&c);
}

/* A dtype without a kernel is CG_ERR_UNSUPPORTED naming it (a SKIP for the
 * conformance runner); a node whose window was never resolved is an error, not a
 * crash. */
static void kernels_refuse_bad_input(void **state)
{
    (void)state;
    cg_status st = {0};
    int64_t dims[] = {1, 1, 2};
    cg_tensor *xi = cg_tensor_new(CG_INT32, 3, dims, &st);
    cg_tensor *yi = cg_tensor_new(CG_INT32, 3, dims, &st);
    one_node o = make_node("MaxPool", 12, 1, 0, 1);
    attr_ints(&o, "kernel_shape", "1");
    assert_int_equal(call_kernel(&o, 12, xi, yi, &st), CG_ERR_UNSUPPORTED);
    assert_non_null(strstr(st.msg, "int32 inputs are not supported"));

    cg_tensor *xf = tf("1,1,2", NULL), *yf = tf("1,1,2", NULL);
    st = (cg_status){0};
    assert_int_equal(call_kernel(&o, 12, xf, yf, &st), CG_ERR_INVALID);
    assert_non_null(strstr(st.msg, "no window geometry"));
    cg_graph_free(o.g);

    o = make_node("GlobalAveragePool", 11, 1, 0, 1);
    st = (cg_status){0};
    assert_int_equal(call_kernel(&o, 11, xi, yi, &st), CG_ERR_UNSUPPORTED);
    st = (cg_status){0};
    assert_int_equal(call_kernel(&o, 11, xf, yf, &st), CG_ERR_INVALID); /* Y is not N x C */
    cg_graph_free(o.g);
    cg_tensor *list[] = {xi, yi, xf, yf};
    for (int i = 0; i < 4; i++)
        cg_tensor_free(list[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_docs_pads),
        cmocka_unit_test(conv_docs_strides),
        cmocka_unit_test(conv_same_split),
        cmocka_unit_test(conv_depthwise_bias),
        cmocka_unit_test(conv_groups_no_bias),
        cmocka_unit_test(conv_dilated_1d),
        cmocka_unit_test(conv_3d_double),
        cmocka_unit_test(conv_transpose_docs_1d),
        cmocka_unit_test(conv_transpose_output_padding_and_pads),
        cmocka_unit_test(conv_transpose_groups_dilation),
        cmocka_unit_test(conv_transpose_same),
        cmocka_unit_test(max_pool_docs_pads),
        cmocka_unit_test(max_pool_indices),
        cmocka_unit_test(max_pool_ceil),
        cmocka_unit_test(max_pool_negative_dilated_int8),
        cmocka_unit_test(average_pool_count_include_pad),
        cmocka_unit_test(average_pool_ceil_beyond_padding),
        cmocka_unit_test(average_pool_same_excludes_padding),
        cmocka_unit_test(lp_pool_p),
        cmocka_unit_test(global_pools),
        cmocka_unit_test(kernels_refuse_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
