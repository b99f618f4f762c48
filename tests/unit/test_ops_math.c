/* Shape functions of the elementwise, activation, reduction and resize ops, run
 * through cg_graph_infer_shapes on small graphs built with graph.h. Expected values
 * come from the ONNX operator docs cited next to each case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "support/graph_build.h"

/* ---- building graphs ---- */

/* shape: "N,3,?,224" -> symbol N, 3, unknown, 224; "" -> scalar; "*" -> unknown rank. */
static void input(cg_graph *g, const char *name, cg_dtype t, const char *shape)
{
    gb_input(g, name, t, gb_parse_shape(g, shape));
}

/* A graph input whose contents are known element by element, as Shape's output is. */
static void input_dimvals(cg_graph *g, const char *name, const char *elems)
{
    cg_shape s = gb_parse_shape(g, elems);
    int64_t n = s.rank;
    int v = gb_input(g, name, CG_INT64, cg_shape_of(1, &n));
    g->values[v].dimvals = malloc((size_t)s.rank * sizeof(cg_dim));
    assert_non_null(g->values[v].dimvals);
    memcpy(g->values[v].dimvals, s.d, (size_t)s.rank * sizeof(cg_dim));
    g->values[v].n_dimvals = s.rank;
}

static void init_i64(cg_graph *g, const char *name, int rank, const int64_t *dims, const int64_t *vals)
{
    gb_initializer(g, name, gb_tensor(CG_INT64, rank, dims, vals));
}

static void init_f32(cg_graph *g, const char *name, int rank, const int64_t *dims, const float *vals)
{
    gb_initializer(g, name, gb_tensor(CG_FLOAT, rank, dims, vals));
}

/* A node named after its first output; the pointer is valid until the next node. */
static cg_node *node(cg_graph *g, const char *op, const char *ins, const char *outs)
{
    return gb_node(g, NULL, op, ins, outs);
}

/* ---- checking results ---- */

static void expect_dimvals(const cg_graph *g, const char *name, const char *want)
{
    const cg_value *v = gb_find(g, name);
    char have[256] = "", d[64];
    assert_non_null(v->dimvals);
    for (int i = 0; i < v->n_dimvals; i++) {
        cg_dim_format(v->dimvals[i], d, sizeof d);
        strcat(strcat(have, i ? "," : ""), d);
    }
    assert_string_equal(have, want);
}

/* Infers, expects CG_ERR_INVALID with exactly this one-line message; frees g. */
static void expect_error(cg_graph *g, const char *want)
{
    cg_status st = {0};
    assert_int_equal(cg_graph_infer_shapes(g, NULL, &st), CG_ERR_INVALID);
    assert_string_equal(st.msg, want);
    assert_null(strchr(st.msg, '\n'));
    cg_graph_free(g);
}

/* ---- broadcasting ---- */

/* Numpy broadcasting (ONNX Broadcasting.md examples). */
static void test_numpy_broadcast(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "2,3,4,5");
    input(g, "b", CG_FLOAT, "5");
    input(g, "c", CG_FLOAT, "1,4,5");
    input(g, "d", CG_FLOAT, "2,1,1,5");
    input(g, "s", CG_FLOAT, "");
    node(g, "Add", "a,b", "y1");
    node(g, "Mul", "c,d", "y2");
    node(g, "Div", "s,a", "y3");
    node(g, "Pow", "b,s", "y4");
    gb_infer_ok(g);
    gb_expect_shape(g, "y1", "[2,3,4,5]");
    gb_expect_shape(g, "y2", "[2,1,4,5]");
    gb_expect_shape(g, "y3", "[2,3,4,5]");
    gb_expect_shape(g, "y4", "[5]");
    assert_int_equal(gb_find(g, "y1")->dtype, CG_FLOAT);
    assert_int_equal(g->nodes[0].macs, 0);
    cg_graph_free(g);
}

static void test_broadcast_symbolic(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(14);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    input(g, "bias", CG_FLOAT, "1,3,1,1");
    input(g, "row", CG_FLOAT, "N,1");
    input(g, "col", CG_FLOAT, "1,M");
    input(g, "k", CG_FLOAT, "?,W");
    node(g, "Add", "x,bias", "y1");
    node(g, "Sub", "row,col", "y2");
    node(g, "Mul", "x,k", "y3");
    gb_infer_ok(g);
    gb_expect_shape(g, "y1", "[N,3,H,W]");
    gb_expect_shape(g, "y2", "[N,M]");
    gb_expect_shape(g, "y3", "[N,3,?,W]"); /* H with ?: either may be 1, so unknown */
    cg_graph_free(g);
}

static void test_broadcast_mismatch(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "1,3,4");
    input(g, "b", CG_FLOAT, "5");
    node(g, "Add", "a,b", "y");
    expect_error(g, "test.onnx: node 'y' (Add): shapes [1,3,4] and [5] cannot broadcast");
}

static void test_unknown_rank_propagates(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "*");
    input(g, "b", CG_FLOAT, "3");
    node(g, "Add", "a,b", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "?");
    assert_int_equal(gb_find(g, "y")->dtype, CG_FLOAT);
    cg_graph_free(g);
}

/* Max/Min/Sum/Mean broadcast from opset 8; before, all shapes must match (Max-6 docs). */
static void test_variadic(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "3,1");
    input(g, "b", CG_FLOAT, "1,4");
    input(g, "c", CG_FLOAT, "4");
    node(g, "Sum", "a,b,c", "y1");
    node(g, "Max", "a", "y2");
    node(g, "Mean", "c,b", "y3");
    gb_infer_ok(g);
    gb_expect_shape(g, "y1", "[3,4]");
    gb_expect_shape(g, "y2", "[3,1]");
    gb_expect_shape(g, "y3", "[1,4]");
    cg_graph_free(g);

    g = gb_graph(6);
    input(g, "a", CG_FLOAT, "2,?");
    input(g, "b", CG_FLOAT, "2,3");
    node(g, "Min", "a,b", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[2,3]");
    cg_graph_free(g);

    g = gb_graph(6);
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b", CG_FLOAT, "3");
    node(g, "Max", "a,b", "y");
    expect_error(g, "test.onnx: node 'y' (Max): shapes [2,3] and [3] cannot broadcast "
                    "(before opset 8 all inputs must have the same shape)");
}

/* Opset 6 `broadcast`/`axis` (Add-6 docs), shapes from onnx's pytorch-operator tests. */
static void test_legacy_broadcast(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(6);
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b3", CG_FLOAT, "3");
    input(g, "b21", CG_FLOAT, "2,1");
    input(g, "b13", CG_FLOAT, "1,3");
    input(g, "big", CG_FLOAT, "2,3,4,5");
    input(g, "b34", CG_FLOAT, "3,4");
    input(g, "b45", CG_FLOAT, "4,5");
    input(g, "b2", CG_FLOAT, "2");
    input(g, "b11", CG_FLOAT, "1,1");
    cg_node *n = node(g, "Add", "a,b3", "add_broadcast");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 1);
    n = node(g, "Add", "a,b21", "add_size1");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 0);
    n = node(g, "Sub", "a,b13", "add_singleton");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 0);
    n = node(g, "Mul", "big,b34", "mid");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 1);
    n = node(g, "Div", "big,b45", "suffix");
    gb_attr_int(n, "broadcast", 1);
    n = node(g, "Pow", "big,b2", "front");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 0);
    n = node(g, "Add", "a,b11", "one_element"); /* "element size 1" fits at any axis */
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 1);
    node(g, "Add", "a,a", "same");
    gb_infer_ok(g);
    gb_expect_shape(g, "add_broadcast", "[2,3]");
    gb_expect_shape(g, "add_size1", "[2,3]");
    gb_expect_shape(g, "add_singleton", "[2,3]");
    gb_expect_shape(g, "mid", "[2,3,4,5]");
    gb_expect_shape(g, "suffix", "[2,3,4,5]");
    gb_expect_shape(g, "front", "[2,3,4,5]");
    gb_expect_shape(g, "one_element", "[2,3]");
    gb_expect_shape(g, "same", "[2,3]");
    cg_graph_free(g);
}

static void test_legacy_broadcast_errors(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(6);
    input(g, "big", CG_FLOAT, "2,3,4,5");
    input(g, "b3", CG_FLOAT, "3");
    cg_node *n = node(g, "Add", "big,b3", "y");
    gb_attr_int(n, "broadcast", 1); /* suffix: 3 vs 5 */
    expect_error(g, "test.onnx: node 'y' (Add): shapes [2,3,4,5] and [3] cannot broadcast (legacy broadcast)");

    g = gb_graph(6);
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b", CG_FLOAT, "3");
    node(g, "Add", "a,b", "y"); /* numpy would accept this; opset 6 needs broadcast=1 */
    expect_error(g, "test.onnx: node 'y' (Add): shapes [2,3] and [3] cannot broadcast "
                    "(broadcast=0 requires equal shapes)");

    g = gb_graph(1);
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b", CG_FLOAT, "3,4");
    n = node(g, "Mul", "a,b", "y");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 1);
    expect_error(g, "test.onnx: node 'y' (Mul): shapes [2,3] and [3,4] cannot broadcast "
                    "(legacy broadcast: B does not fit at axis)");
}

static void test_dtype_mismatch(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "3");
    input(g, "i", CG_INT64, "3");
    node(g, "Add", "a,i", "y");
    expect_error(g, "test.onnx: node 'y' (Add): inputs 'a' (float32) and 'i' (int64) must have the same type");

    /* Pow-12: the exponent has its own type constraint T1 */
    g = gb_graph(12);
    input(g, "a", CG_FLOAT, "3");
    input(g, "i", CG_INT64, "3");
    node(g, "Pow", "a,i", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[3]");
    assert_int_equal(gb_find(g, "y")->dtype, CG_FLOAT);
    cg_graph_free(g);

    g = gb_graph(11);
    input(g, "a", CG_FLOAT, "3");
    input(g, "i", CG_INT64, "3");
    node(g, "Pow", "a,i", "y");
    expect_error(g, "test.onnx: node 'y' (Pow): inputs 'a' (float32) and 'i' (int64) must have the same type");
}

/* PRelu-7+: slope unidirectionally broadcastable to X (PRelu-7 docs). */
static void test_prelu(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(9);
    input(g, "x", CG_FLOAT, "N,3,8,8");
    input(g, "s", CG_FLOAT, "3,1,1");
    input(g, "s1", CG_FLOAT, "1");
    node(g, "PRelu", "x,s", "y1");
    node(g, "PRelu", "x,s1", "y2");
    gb_infer_ok(g);
    gb_expect_shape(g, "y1", "[N,3,8,8]");
    gb_expect_shape(g, "y2", "[N,3,8,8]");
    cg_graph_free(g);

    g = gb_graph(9);
    input(g, "x", CG_FLOAT, "1,3,8,8");
    input(g, "s", CG_FLOAT, "3");
    node(g, "PRelu", "x,s", "y");
    expect_error(g, "test.onnx: node 'y' (PRelu): slope shape [3] cannot broadcast to X's shape [1,3,8,8]");

    g = gb_graph(9);
    input(g, "x", CG_FLOAT, "1,1,8");
    input(g, "s", CG_FLOAT, "2,1,8");
    node(g, "PRelu", "x,s", "y"); /* would grow X: not unidirectional */
    expect_error(g, "test.onnx: node 'y' (PRelu): slope shape [2,1,8] cannot broadcast to X's shape [1,1,8]");

    g = gb_graph(6); /* PRelu-6 sets no rule for slope's shape */
    input(g, "x", CG_FLOAT, "1,3,8,8");
    input(g, "s", CG_FLOAT, "3");
    node(g, "PRelu", "x,s", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[1,3,8,8]");
    cg_graph_free(g);
}

/* ---- shape arithmetic and folding ---- */

static void test_shape_arithmetic(void **state)
{
    (void)state;
    static const int64_t one = 1, four = 4, two = 2, scale[4] = {1, 1, 2, 2};
    cg_graph *g = gb_graph(13);
    input_dimvals(g, "hw", "H,W");
    input_dimvals(g, "nchw", "N,3,H,W");
    init_i64(g, "two", 0, NULL, &two);
    init_i64(g, "one", 1, &one, &one);
    init_i64(g, "scale", 1, &four, scale);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    node(g, "Mul", "hw,two", "doubled");
    node(g, "Add", "hw,one", "plus1");
    node(g, "Div", "hw,two", "halved");
    node(g, "Sub", "doubled,hw", "diff");
    node(g, "Mul", "nchw,scale", "sizes");
    node(g, "Resize", "x,,,sizes", "up");
    gb_infer_ok(g);
    gb_expect_shape(g, "doubled", "[2]");
    assert_int_equal(gb_find(g, "doubled")->dtype, CG_INT64);
    expect_dimvals(g, "doubled", "H*2,W*2");
    expect_dimvals(g, "plus1", "H+1,W+1");
    expect_dimvals(g, "halved", "floor(H/2),floor(W/2)");
    expect_dimvals(g, "diff", "H*2-H,W*2-W");
    expect_dimvals(g, "sizes", "N,3,H*2,W*2");
    gb_expect_shape(g, "up", "[N,3,H*2,W*2]");
    cg_graph_free(g);
}

static void test_constant_folding(void **state)
{
    (void)state;
    static const int64_t three = 3, two = 2, one = 1;
    static const int64_t a[3] = {1, 2, 3}, b[1] = {10}, num[2] = {7, -7}, zero[1] = {0};
    static const float f[2] = {1.5f, 2.0f}, half[1] = {0.5f};
    cg_graph *g = gb_graph(13);
    init_i64(g, "a", 1, &three, a);
    init_i64(g, "b", 1, &one, b);
    init_i64(g, "num", 1, &two, num);
    init_i64(g, "two", 0, NULL, &two);
    init_i64(g, "zero", 1, &one, zero);
    init_f32(g, "f", 1, &two, f);
    init_f32(g, "half", 1, &one, half);
    node(g, "Add", "a,b", "sum");
    node(g, "Div", "num,two", "quot");
    node(g, "Div", "a,zero", "by_zero");
    node(g, "Mean", "f,half", "mean");
    node(g, "Pow", "f,two", "sq");
    gb_infer_ok(g);
    const cg_tensor *t = gb_find(g, "sum")->data;
    assert_non_null(t);
    assert_int_equal(cg_tensor_get_i64(t, 0), 11);
    assert_int_equal(cg_tensor_get_i64(t, 2), 13);
    t = gb_find(g, "quot")->data; /* int Div truncates toward zero */
    assert_non_null(t);
    assert_int_equal(cg_tensor_get_i64(t, 0), 3);
    assert_int_equal(cg_tensor_get_i64(t, 1), -3);
    assert_null(gb_find(g, "by_zero")->data);
    gb_expect_shape(g, "by_zero", "[3]");
    t = gb_find(g, "mean")->data;
    assert_non_null(t);
    assert_int_equal(t->dtype, CG_FLOAT);
    assert_true(cg_tensor_get_f64(t, 0) == 1.0 && cg_tensor_get_f64(t, 1) == 1.25);
    t = gb_find(g, "sq")->data; /* Pow-12+: float base, int64 exponent */
    assert_non_null(t);
    assert_true(cg_tensor_get_f64(t, 0) == 2.25 && cg_tensor_get_f64(t, 1) == 4.0);
    cg_graph_free(g);
}

/* Opset 6 `axis` lines B up with A's first dim: B[i] is added to row i. */
static void test_constant_folding_legacy(void **state)
{
    (void)state;
    static const int64_t dims[2] = {2, 3}, two = 2, a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {10, 20};
    cg_graph *g = gb_graph(6);
    init_i64(g, "a", 2, dims, a);
    init_i64(g, "b", 1, &two, b);
    cg_node *n = node(g, "Add", "a,b", "y");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 0);
    gb_infer_ok(g);
    const cg_tensor *t = gb_find(g, "y")->data;
    assert_non_null(t);
    static const int64_t want[6] = {11, 12, 13, 24, 25, 26};
    for (int i = 0; i < 6; i++)
        assert_int_equal(cg_tensor_get_i64(t, i), want[i]);
    cg_graph_free(g);
}

/* ---- activations ---- */

static void test_unary(void **state)
{
    (void)state;
    static const char *const ops[] = {"Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid",
                                      "HardSwish", "Tanh", "Sqrt", "Erf", "Softmax", "LogSoftmax"};
    cg_graph *g = gb_graph(14);
    input(g, "x", CG_FLOAT16, "N,C,7");
    char out[16];
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        snprintf(out, sizeof out, "y%zu", i);
        node(g, ops[i], "x", out);
    }
    gb_infer_ok(g);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        snprintf(out, sizeof out, "y%zu", i);
        gb_expect_shape(g, out, "[N,C,7]");
        assert_int_equal(gb_find(g, out)->dtype, CG_FLOAT16);
    }
    cg_graph_free(g);
}

/* Relu accepts signed integers from opset 14 (Relu-14 docs). */
static void test_unary_dtypes(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(14);
    input(g, "i", CG_INT32, "4");
    node(g, "Relu", "i", "y");
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "y")->dtype, CG_INT32);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "i", CG_INT32, "4");
    node(g, "Relu", "i", "y");
    expect_error(g, "test.onnx: node 'y' (Relu): input 'i' has type int32; opset 13 accepts float types");

    g = gb_graph(14);
    input(g, "u", CG_UINT8, "4");
    node(g, "Relu", "u", "y");
    expect_error(g, "test.onnx: node 'y' (Relu): input 'u' has type uint8; "
                    "opset 14 accepts float or signed integer types");
}

/* Clip-6: min/max attributes; Clip-11+: optional scalar inputs; Clip-12+: any numeric. */
static void test_clip(void **state)
{
    (void)state;
    static const float lo = 0.0f, hi = 6.0f;
    cg_graph *g = gb_graph(6);
    input(g, "x", CG_FLOAT, "1,16,H,W");
    cg_node *n = node(g, "Clip", "x", "y");
    gb_attr(n, "min", CG_ATTR_FLOAT)->f = 0.0f;
    gb_attr(n, "max", CG_ATTR_FLOAT)->f = 6.0f;
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[1,16,H,W]");
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,16,H,W");
    input(g, "i", CG_INT64, "5");
    init_f32(g, "lo", 0, NULL, &lo);
    init_f32(g, "hi", 0, NULL, &hi);
    node(g, "Clip", "x,lo,hi", "both");
    node(g, "Clip", "x,,hi", "max_only");
    node(g, "Clip", "i", "ints");
    gb_infer_ok(g);
    gb_expect_shape(g, "both", "[1,16,H,W]");
    gb_expect_shape(g, "max_only", "[1,16,H,W]");
    gb_expect_shape(g, "ints", "[5]");
    assert_int_equal(gb_find(g, "ints")->dtype, CG_INT64);
    cg_graph_free(g);

    g = gb_graph(6);
    input(g, "x", CG_FLOAT, "4");
    init_f32(g, "lo", 0, NULL, &lo);
    node(g, "Clip", "x,lo", "y");
    expect_error(g, "test.onnx: node 'y' (Clip): takes min/max as attributes before opset 11, got 2 inputs");

    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "4");
    init_f32(g, "lo", 1, (const int64_t[]){1}, &lo);
    node(g, "Clip", "x,lo", "y");
    expect_error(g, "test.onnx: node 'y' (Clip): min 'lo' must be a scalar, got shape [1]");

    g = gb_graph(11);
    input(g, "i", CG_INT64, "4");
    node(g, "Clip", "i", "y");
    expect_error(g, "test.onnx: node 'y' (Clip): input 'i' has type int64; opset 11 accepts float types");
}

/* Softmax axis: default 1 before opset 13, -1 from 13; range [-r, r-1]. */
static void test_softmax_axis(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(11);
    input(g, "x", CG_FLOAT, "N,10");
    input(g, "v", CG_FLOAT, "10");
    node(g, "Softmax", "x", "y1");
    cg_node *n = node(g, "LogSoftmax", "x", "y2");
    gb_attr_int(n, "axis", -2);
    gb_infer_ok(g);
    gb_expect_shape(g, "y1", "[N,10]");
    gb_expect_shape(g, "y2", "[N,10]");
    cg_graph_free(g);

    g = gb_graph(13); /* default -1 suits rank 1 */
    input(g, "v", CG_FLOAT, "10");
    node(g, "Softmax", "v", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[10]");
    cg_graph_free(g);

    g = gb_graph(11); /* default 1 does not */
    input(g, "v", CG_FLOAT, "10");
    node(g, "Softmax", "v", "y");
    expect_error(g, "test.onnx: node 'y' (Softmax): axis 1 is out of range for rank 1");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,10");
    n = node(g, "LogSoftmax", "x", "y");
    gb_attr_int(n, "axis", -3);
    expect_error(g, "test.onnx: node 'y' (LogSoftmax): axis -3 is out of range for rank 2");
}

/* ---- ReduceMean ---- */

static cg_node *reduce_node(cg_graph *g, const char *out, int n_axes, const int64_t *axes, int keepdims)
{
    cg_node *n = node(g, "ReduceMean", "x", out);
    if (n_axes)
        gb_attr_ints(n, "axes", n_axes, axes);
    if (keepdims >= 0)
        gb_attr_int(n, "keepdims", keepdims);
    return n;
}

static void test_reduce_mean(void **state)
{
    (void)state;
    static const int64_t ax1 = 1, neg1 = -1, hw[2] = {2, -1};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    reduce_node(g, "keep", 1, &ax1, -1);
    reduce_node(g, "drop", 1, &ax1, 0);
    reduce_node(g, "last", 1, &neg1, 0);
    reduce_node(g, "spatial", 2, hw, 1);
    reduce_node(g, "all_keep", 0, NULL, 1);
    reduce_node(g, "all_drop", 0, NULL, 0);
    gb_infer_ok(g);
    gb_expect_shape(g, "keep", "[N,1,H,W]");
    gb_expect_shape(g, "drop", "[N,H,W]");
    gb_expect_shape(g, "last", "[N,3,H]");
    gb_expect_shape(g, "spatial", "[N,3,1,1]");
    gb_expect_shape(g, "all_keep", "[1,1,1,1]");
    gb_expect_shape(g, "all_drop", "[]");
    cg_graph_free(g);
}

static void test_reduce_mean_errors(void **state)
{
    (void)state;
    static const int64_t dup[2] = {1, -2}, far = 3;
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,3,4");
    reduce_node(g, "y", 2, dup, 1);
    expect_error(g, "test.onnx: node 'y' (ReduceMean): axes lists axis 1 more than once");

    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "2,3,4");
    reduce_node(g, "y", 1, &far, 1);
    expect_error(g, "test.onnx: node 'y' (ReduceMean): axis 3 is out of range for rank 3");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,3,4");
    init_i64(g, "axes", 1, (const int64_t[]){1}, &far);
    node(g, "ReduceMean", "x,axes", "y");
    expect_error(g, "test.onnx: node 'y' (ReduceMean): takes axes as an attribute at opset 13, got 2 inputs");

    g = gb_graph(18);
    input(g, "x", CG_FLOAT, "2,3,4");
    reduce_node(g, "y", 1, &far, 1);
    expect_error(g, "test.onnx: node 'y' (ReduceMean): takes axes as input 1 at opset 18, not as an attribute");
}

/* ReduceMean-18: axes is an optional input; noop_with_empty_axes keeps X as is. */
static void test_reduce_mean_18(void **state)
{
    (void)state;
    static const int64_t one = 1, neg1 = -1;
    cg_graph *g = gb_graph(18);
    input(g, "x", CG_FLOAT, "2,3,4");
    input(g, "dyn", CG_INT64, "1");
    init_i64(g, "axes", 1, &one, &neg1);
    node(g, "ReduceMean", "x,axes", "known");
    node(g, "ReduceMean", "x,dyn", "unknown_keep");
    cg_node *n = node(g, "ReduceMean", "x,dyn", "unknown_drop");
    gb_attr_int(n, "keepdims", 0);
    node(g, "ReduceMean", "x", "all");
    n = node(g, "ReduceMean", "x", "noop");
    gb_attr_int(n, "noop_with_empty_axes", 1);
    gb_infer_ok(g);
    gb_expect_shape(g, "known", "[2,3,1]");
    gb_expect_shape(g, "unknown_keep", "[?,?,?]");
    gb_expect_shape(g, "unknown_drop", "?");
    gb_expect_shape(g, "all", "[1,1,1]");
    gb_expect_shape(g, "noop", "[2,3,4]");
    cg_graph_free(g);
}

/* ReduceSum takes axes as an input from opset 13 already; the rest from 18. */
static void test_reduce_siblings(void **state)
{
    (void)state;
    static const int64_t one = 1, ax0 = 0, ax2 = 2;
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    init_i64(g, "axes", 1, &one, &ax0);
    cg_node *n = node(g, "ReduceSum", "x,axes", "sum");
    gb_attr_int(n, "keepdims", 0);
    n = node(g, "ReduceMax", "x", "max");
    gb_attr_ints(n, "axes", 1, &ax2);
    node(g, "ReduceL2", "x", "l2");
    gb_infer_ok(g);
    gb_expect_shape(g, "sum", "[3,H,W]");
    gb_expect_shape(g, "max", "[N,3,1,W]");
    gb_expect_shape(g, "l2", "[1,1,1,1]");
    cg_graph_free(g);

    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "2,3");
    init_i64(g, "axes", 1, &one, &ax0);
    node(g, "ReduceSum", "x,axes", "y");
    expect_error(g, "test.onnx: node 'y' (ReduceSum): takes axes as an attribute at opset 11, got 2 inputs");
}

/* ---- Resize and Upsample ---- */

static void test_resize_scales(void **state)
{
    (void)state;
    static const int64_t four = 4, zero = 0, eight = 8;
    static const float up[4] = {1, 1, 2, 2}, down[4] = {1, 1, 0.5f, 0.5f}, odd[4] = {1, 1, 1.5f, 0.3f};
    static const float roi[8] = {0, 0, 0.25f, 0, 1, 1, 0.75f, 1};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    input(g, "sym", CG_FLOAT, "N,3,H,W");
    init_f32(g, "up", 1, &four, up);
    init_f32(g, "down", 1, &four, down);
    init_f32(g, "odd", 1, &four, odd);
    init_f32(g, "roi", 1, &eight, roi);
    init_f32(g, "empty", 1, &zero, NULL);
    node(g, "Resize", "x,,up", "r_up");
    node(g, "Resize", "x,empty,down", "r_down");
    node(g, "Resize", "x,,odd", "r_odd");
    node(g, "Resize", "sym,,up", "r_sym");
    node(g, "Resize", "sym,,odd", "r_sym_odd");
    cg_node *n = node(g, "Resize", "x,roi,up", "r_crop");
    gb_attr_str(n, "coordinate_transformation_mode", "tf_crop_and_resize");
    gb_attr_str(n, "mode", "linear");
    gb_infer_ok(g);
    gb_expect_shape(g, "r_up", "[1,3,10,14]");
    gb_expect_shape(g, "r_down", "[1,3,2,3]");
    gb_expect_shape(g, "r_odd", "[1,3,7,2]");
    gb_expect_shape(g, "r_sym", "[N,3,H*2,W*2]");
    gb_expect_shape(g, "r_sym_odd", "[N,3,?,?]");
    gb_expect_shape(g, "r_crop", "[1,3,5,14]"); /* floor(5 * 0.5 * 2), floor(7 * 1 * 2) */
    cg_graph_free(g);
}

/* Resize-11 passes the unused one of scales/sizes as an empty tensor. */
static void test_resize_sizes(void **state)
{
    (void)state;
    static const int64_t four = 4, zero = 0, sizes[4] = {1, 3, 9, 11};
    static const float up[4] = {1, 1, 2, 2};
    cg_graph *g = gb_graph(11);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    input(g, "dyn_scales", CG_FLOAT, "4");
    init_f32(g, "empty", 1, &zero, NULL);
    init_i64(g, "sizes", 1, &four, sizes);
    init_f32(g, "up", 1, &four, up);
    node(g, "Resize", "x,empty,empty,sizes", "r_sizes");
    node(g, "Resize", "x,empty,dyn_scales", "r_dyn");
    node(g, "Resize", "x,empty,up", "r_up");
    gb_infer_ok(g);
    gb_expect_shape(g, "r_sizes", "[1,3,9,11]");
    gb_expect_shape(g, "r_dyn", "[?,?,?,?]");
    gb_expect_shape(g, "r_up", "[1,3,10,14]");
    assert_int_equal(gb_find(g, "r_up")->dtype, CG_FLOAT);
    cg_graph_free(g);

    g = gb_graph(10);
    input(g, "x", CG_UINT8, "1,3,5,7");
    init_f32(g, "up", 1, &four, up);
    node(g, "Resize", "x,up", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[1,3,10,14]");
    assert_int_equal(gb_find(g, "y")->dtype, CG_UINT8);
    cg_graph_free(g);
}

static void test_resize_errors(void **state)
{
    (void)state;
    static const int64_t four = 4, three = 3, sizes[4] = {1, 3, 9, 11};
    static const float up[4] = {1, 1, 2, 2}, neg[3] = {1, -2, 2};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_i64(g, "sizes", 1, &four, sizes);
    init_f32(g, "up", 1, &four, up);
    node(g, "Resize", "x,,up,sizes", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): scales and sizes are both given; exactly one is allowed");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    node(g, "Resize", "x", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): needs scales or sizes");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5");
    init_f32(g, "up", 1, &four, up);
    node(g, "Resize", "x,,up", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): scales has 4 values but X has rank 3");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5");
    init_f32(g, "neg", 1, &three, neg);
    node(g, "Resize", "x,,neg", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): scales[1] = -2 must be > 0");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_f32(g, "up", 1, &four, up);
    cg_node *n = node(g, "Resize", "x,,up", "y");
    gb_attr_str(n, "mode", "bilinear");
    expect_error(g, "test.onnx: node 'y' (Resize): mode 'bilinear' is not one of: nearest, linear, cubic");

    /* tf_half_pixel_for_nn is in Resize-11's list and gone from Resize-13's */
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_f32(g, "up", 1, &four, up);
    n = node(g, "Resize", "x,,up", "y");
    gb_attr_str(n, "coordinate_transformation_mode", "tf_half_pixel_for_nn");
    expect_error(g, "test.onnx: node 'y' (Resize): coordinate_transformation_mode 'tf_half_pixel_for_nn' is not "
                    "one of: half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize");

    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_f32(g, "up", 1, &four, up);
    n = node(g, "Resize", "x,up,up", "y");
    gb_attr_str(n, "coordinate_transformation_mode", "tf_half_pixel_for_nn");
    gb_attr_str(n, "nearest_mode", "round");
    expect_error(g, "test.onnx: node 'y' (Resize): nearest_mode 'round' is not one of: "
                    "round_prefer_floor, round_prefer_ceil, floor, ceil");
}

/* Contents that would overflow or are not numbers fail with a message, never crash. */
static void test_resize_bad_values(void **state)
{
    (void)state;
    static const int64_t four = 4, eight = 8, neg_sizes[4] = {1, -3, 4, 4};
    static const float huge[4] = {1, 1, 1e30f, 1}, roi_nan[8] = {0, 0, 0, 0, 1, 1, NAN, 1};
    static const float not_a_number[4] = {1, 1, NAN, 1}, up[4] = {1, 1, 2, 2};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_f32(g, "huge", 1, &four, huge);
    node(g, "Resize", "x,,huge", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): output dim 2 = 5 * 1e+30 is out of range");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_f32(g, "nan", 1, &four, not_a_number);
    node(g, "Resize", "x,,nan", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): scales[2] = nan must be > 0");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_i64(g, "sizes", 1, &four, neg_sizes);
    node(g, "Resize", "x,,,sizes", "y");
    expect_error(g, "test.onnx: node 'y' (Resize): sizes[1] = -3 is negative");

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,5,7");
    init_f32(g, "roi", 1, &eight, roi_nan);
    init_f32(g, "up", 1, &four, up);
    cg_node *n = node(g, "Resize", "x,roi,up", "y");
    gb_attr_str(n, "coordinate_transformation_mode", "tf_crop_and_resize");
    expect_error(g, "test.onnx: node 'y' (Resize): output dim 2 = 5 * nan is out of range");

    /* sizes known only partly (an unknown element) give an unknown dim, not an error */
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,3,H,W");
    input_dimvals(g, "sizes", "1,3,?,W");
    node(g, "Resize", "x,,,sizes", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[1,3,?,W]");
    cg_graph_free(g);
}

/* Upsample-7: scales attribute; Upsample-9: scales input; deprecated from opset 10. */
static void test_upsample(void **state)
{
    (void)state;
    static const int64_t four = 4;
    static const float up[4] = {1, 1, 2, 3}, shrink[4] = {1, 1, 0.5f, 1};
    cg_graph *g = gb_graph(7);
    input(g, "x", CG_FLOAT, "1,3,4,5");
    cg_node *n = node(g, "Upsample", "x", "y");
    gb_attr_floats(n, "scales", 4, up);
    gb_attr_str(n, "mode", "linear");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[1,3,8,15]");
    cg_graph_free(g);

    g = gb_graph(9);
    input(g, "x", CG_FLOAT, "N,3,4,5");
    init_f32(g, "up", 1, &four, up);
    node(g, "Upsample", "x,up", "y");
    gb_infer_ok(g);
    gb_expect_shape(g, "y", "[N,3,8,15]");
    cg_graph_free(g);

    g = gb_graph(7);
    input(g, "x", CG_FLOAT, "1,3,4,5");
    n = node(g, "Upsample", "x", "y");
    gb_attr_floats(n, "scales", 4, shrink);
    expect_error(g, "test.onnx: node 'y' (Upsample): scales[2] = 0.5 must be >= 1");

    g = gb_graph(7);
    input(g, "x", CG_FLOAT, "1,3,4,5");
    node(g, "Upsample", "x", "y");
    expect_error(g, "test.onnx: node 'y' (Upsample): needs the 'scales' attribute at opset 7");

    g = gb_graph(10);
    input(g, "x", CG_FLOAT, "1,3,4,5");
    init_f32(g, "up", 1, &four, up);
    node(g, "Upsample", "x,up", "y");
    expect_error(g, "test.onnx: node 'y' (Upsample): Upsample is deprecated from opset 10 "
                    "(model imports opset 10); use Resize");
}

/* The version a model's opset picks: the newest since-version <= opset (ONNX docs). */
static void test_registered_versions(void **state)
{
    (void)state;
    static const struct {
        const char *op;
        int64_t opset;
        int since; /* 0: no version applies */
    } cases[] = {
        {"Add", 6, 6},         {"Add", 12, 7},        {"Pow", 14, 13},       {"Max", 11, 8},
        {"Sum", 17, 13},       {"PRelu", 15, 9},      {"Relu", 17, 14},      {"LeakyRelu", 17, 16},
        {"HardSwish", 13, 0},  {"Erf", 8, 0},         {"Clip", 12, 12},      {"Softmax", 12, 11},
        {"LogSoftmax", 13, 13}, {"ReduceMean", 17, 13}, {"ReduceMean", 18, 18}, {"Resize", 9, 0},
        {"ReduceSum", 17, 13}, {"ReduceMax", 12, 12}, {"ReduceProd", 18, 18},
        {"Resize", 12, 11},    {"Resize", 19, 13},    {"Upsample", 8, 7},    {"Upsample", 11, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cg_op_def *d = cg_op_find("", cases[i].op, cases[i].opset);
        if (cases[i].since == 0)
            assert_null(d);
        else if (!d || d->since_version != cases[i].since)
            fail_msg("%s at opset %lld: got version %d, want %d", cases[i].op, (long long)cases[i].opset,
                     d ? d->since_version : 0, cases[i].since);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_broadcast),
        cmocka_unit_test(test_broadcast_symbolic),
        cmocka_unit_test(test_broadcast_mismatch),
        cmocka_unit_test(test_unknown_rank_propagates),
        cmocka_unit_test(test_variadic),
        cmocka_unit_test(test_legacy_broadcast),
        cmocka_unit_test(test_legacy_broadcast_errors),
        cmocka_unit_test(test_dtype_mismatch),
        cmocka_unit_test(test_prelu),
        cmocka_unit_test(test_shape_arithmetic),
        cmocka_unit_test(test_constant_folding),
        cmocka_unit_test(test_constant_folding_legacy),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_unary_dtypes),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_softmax_axis),
        cmocka_unit_test(test_reduce_mean),
        cmocka_unit_test(test_reduce_mean_errors),
        cmocka_unit_test(test_reduce_mean_18),
        cmocka_unit_test(test_reduce_siblings),
        cmocka_unit_test(test_resize_scales),
        cmocka_unit_test(test_resize_sizes),
        cmocka_unit_test(test_resize_errors),
        cmocka_unit_test(test_resize_bad_values),
        cmocka_unit_test(test_upsample),
        cmocka_unit_test(test_registered_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
