/* Reference kernels of the elementwise, activation, normalization, reduction and
 * matrix ops, run through cg_graph_run on tiny graphs. Every expected value is
 * computed by hand (the working is in the comment next to it) from the ONNX
 * operator docs cited in each case. */
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
#include "convgraph/runtime.h"
#include "ops/broadcast.h"

#define TOL 1e-5

/* ---- building graphs ---- */

/* A graph input declared with this dtype and static shape. */
static void input(cg_graph *g, const char *name, cg_dtype t, int rank, const int64_t *dims)
{
    gb_input(g, name, t, cg_shape_of(rank, dims));
}

static void initializer(cg_graph *g, const char *name, cg_dtype t, int rank, const int64_t *dims,
                        const void *data)
{
    gb_initializer(g, name, gb_tensor(t, rank, dims, data));
}

/* Adds node `op` reading `ins` and writing `outs`, which all become graph outputs.
 * The pointer is valid until the next node is added. */
static cg_node *node(cg_graph *g, const char *op, const char *ins, const char *outs)
{
    cg_node *n = gb_node(g, "n", op, ins, outs);
    gb_outputs(g, outs);
    return n;
}

static void expect_values(const cg_tensor *t, int64_t n, const double *want)
{
    gb_expect_values(t, n, want, TOL);
}

/* One-node graph over float inputs x (and y): runs it and checks output 0. */
typedef struct case1 {
    cg_graph *g;
    cg_named_tensor *out;
    int n_out;
    cg_tensor *in[4];
    int n_in;
} case1;

static void finish(case1 *k)
{
    cg_named_tensors_free(k->out, k->n_out);
    for (int i = 0; i < k->n_in; i++)
        cg_tensor_free(k->in[i]);
    cg_graph_free(k->g);
}

static const char *const XYZ[] = {"x", "y", "z", "w"};

/* Declares and feeds graph inputs x, y, ... of the given dtype/shapes/data. */
static void feed(case1 *k, cg_dtype t, int rank, const int64_t *dims, const void *data)
{
    input(k->g, XYZ[k->n_in], t, rank, dims);
    k->in[k->n_in++] = gb_tensor(t, rank, dims, data);
}

static const cg_tensor *go(case1 *k)
{
    k->out = gb_run(k->g, k->n_in, XYZ, k->in, &k->n_out);
    return k->out[0].tensor;
}

/* ---- broadcast.c ---- */

static void test_bcast_index_and_iterator(void **state)
{
    (void)state;
    int64_t out[3] = {2, 3, 4}, in[3] = {2, 1, 4};
    cg_bcast b;
    assert_true(cg_bcast_init(&b, 3, out, 3, in, 0));
    assert_false(b.identity);
    /* output (1, 2, 3) = flat 23 reads input (1, 0, 3) = flat 7 */
    assert_int_equal(cg_bcast_index(&b, 23), 7);
    cg_bcast_iter it = cg_bcast_begin(&b);
    for (int64_t e = 0; e < 24; e++, cg_bcast_next(&it))
        assert_int_equal(it.index, cg_bcast_index(&b, e));
    int64_t bad[1] = {3};
    assert_false(cg_bcast_init(&b, 3, out, 1, bad, 2)); /* 3 vs 4 */
    int64_t r[CG_MAX_RANK];
    int rank;
    int64_t a2[2] = {3, 1};
    assert_true(cg_bcast_dims(3, in, 2, a2, &rank, r)); /* [2,1,4] x [3,1] -> [2,3,4] */
    assert_int_equal(rank, 3);
    gb_expect_dims(&(cg_tensor){.rank = rank, .dims = {r[0], r[1], r[2]}}, 3, out);
}

/* ---- elementwise ---- */

static void test_add_broadcasts_a_vector(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(14)};
    int64_t xd[3] = {2, 3, 4}, yd[1] = {4};
    float x[24], y[4] = {10, 20, 30, 40};
    double want[24];
    for (int i = 0; i < 24; i++) {
        x[i] = (float)i;
        want[i] = i + y[i % 4]; /* the vector repeats along the last axis */
    }
    feed(&k, CG_FLOAT, 3, xd, x);
    feed(&k, CG_FLOAT, 1, yd, y);
    node(k.g, "Add", "x,y", "z");
    const cg_tensor *z = go(&k);
    gb_expect_dims(z, 3, xd);
    expect_values(z, 24, want);
    finish(&k);
}

static void test_mul_broadcasts_both_ways(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(14)};
    int64_t xd[3] = {2, 1, 4}, yd[2] = {3, 1}, zd[3] = {2, 3, 4};
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[3] = {1, 10, 100};
    double want[24];
    for (int i = 0; i < 2; i++) /* z[i,j,l] = x[i,0,l] * y[j,0] */
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 4; l++)
                want[(i * 3 + j) * 4 + l] = x[i * 4 + l] * y[j];
    feed(&k, CG_FLOAT, 3, xd, x);
    feed(&k, CG_FLOAT, 2, yd, y);
    node(k.g, "Mul", "x,y", "z");
    const cg_tensor *z = go(&k);
    gb_expect_dims(z, 3, zd);
    expect_values(z, 24, want);
    finish(&k);
}

/* Add-6 broadcast=1 axis=1: B [3] lines up with A's dim 1 (ONNX Add-6 docs). */
static void test_legacy_broadcast_axis(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(6)};
    int64_t xd[3] = {2, 3, 2}, yd[1] = {3};
    float x[12] = {0}, y[3] = {1, 2, 3};
    double want[12];
    for (int i = 0; i < 12; i++)
        want[i] = y[(i / 2) % 3];
    feed(&k, CG_FLOAT, 3, xd, x);
    feed(&k, CG_FLOAT, 1, yd, y);
    cg_node *n = node(k.g, "Add", "x,y", "z");
    gb_attr_int(n, "broadcast", 1);
    gb_attr_int(n, "axis", 1);
    expect_values(go(&k), 12, want);
    finish(&k);
}

/* Integer Div truncates toward zero; x/0 is defined as 0 here (no crash). */
static void test_int_div_truncates_and_survives_zero(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(14)};
    int64_t d[1] = {4};
    int32_t x[4] = {7, -7, 5, INT32_MIN}, y[4] = {2, 2, 0, -1};
    double want[4] = {3, -3, 0, INT32_MIN}; /* INT32_MIN / -1 wraps to itself */
    feed(&k, CG_INT32, 1, d, x);
    feed(&k, CG_INT32, 1, d, y);
    node(k.g, "Div", "x,y", "z");
    expect_values(go(&k), 4, want);
    finish(&k);
}

static void test_max_propagates_nan_and_mean_divides(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(13)};
    int64_t d[1] = {3};
    float x[3] = {1, NAN, 5}, y[3] = {2, 0, 4}, w[3] = {3, 3, 3};
    feed(&k, CG_FLOAT, 1, d, x);
    feed(&k, CG_FLOAT, 1, d, y);
    feed(&k, CG_FLOAT, 1, d, w);
    node(k.g, "Max", "x,y,z", "m");
    node(k.g, "Mean", "x,y,z", "a");
    go(&k);
    expect_values(k.out[0].tensor, 3, (double[]){3, NAN, 5});
    expect_values(k.out[1].tensor, 3, (double[]){2, NAN, 4}); /* (1+2+3)/3, (5+4+3)/3 */
    finish(&k);
}

/* Pow-15: float base, int64 exponent (T1 may differ from T). */
static void test_pow_with_int_exponent(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(15)};
    int64_t d[1] = {3}, y[3] = {2, 0, -1};
    float x[3] = {3, 5, 4};
    feed(&k, CG_FLOAT, 1, d, x);
    feed(&k, CG_INT64, 1, d, y);
    node(k.g, "Pow", "x,y", "z");
    expect_values(go(&k), 3, (double[]){9, 1, 0.25});
    finish(&k);
}

/* PRelu-16: slope [2,1] broadcast onto X [2,2]. */
static void test_prelu_slope_broadcasts(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(16)};
    int64_t xd[2] = {2, 2}, sd[2] = {2, 1};
    float x[4] = {-1, 2, -3, 4}, s[2] = {0.5f, 2};
    feed(&k, CG_FLOAT, 2, xd, x);
    feed(&k, CG_FLOAT, 2, sd, s);
    node(k.g, "PRelu", "x,y", "z");
    expect_values(go(&k), 4, (double[]){-0.5, 2, -6, 4});
    finish(&k);
}

/* ---- activations ---- */

static void test_pointwise_activations(void **state)
{
    (void)state;
    case1 k = {.g = gb_graph(14)};
    int64_t d[1] = {3};
    float x[3] = {-2, 0, 3};
    feed(&k, CG_FLOAT, 1, d, x);
    node(k.g, "Relu", "x", "relu");
    gb_attr_float(node(k.g, "LeakyRelu", "x", "leaky"), "alpha", 0.1f);
    node(k.g, "Sigmoid", "x", "sig");
    node(k.g, "HardSwish", "x", "hswish");
    node(k.g, "Elu", "x", "elu");
    go(&k);
    expect_values(k.out[0].tensor, 3, (double[]){0, 0, 3});
    expect_values(k.out[1].tensor, 3, (double[]){-0.2, 0, 3});
    expect_values(k.out[2].tensor, 3, (double[]){1 / (1 + exp(2.0)), 0.5, 1 / (1 + exp(-3.0))});
    /* x * clamp(x/6 + 1/2, 0, 1): -2 * 1/6, 0, 3 * 1 */
    expect_values(k.out[3].tensor, 3, (double[]){-2.0 / 6, 0, 3});
    expect_values(k.out[4].tensor, 3, (double[]){exp(-2.0) - 1, 0, 3});
    finish(&k);
}

/* Exp, Log, Reciprocal on floats; Neg and Abs on int32 wrap at INT32_MIN. */
static void test_pointwise_math(void **state)
{
    (void)state;
    int64_t d[1] = {3};
    float x[3] = {1, 2, 4};
    int32_t n[3] = {-5, 7, INT32_MIN};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 1, d, x);
    feed(&k, CG_INT32, 1, d, n);
    node(k.g, "Exp", "x", "e");
    node(k.g, "Log", "x", "l");
    node(k.g, "Reciprocal", "x", "r");
    node(k.g, "Neg", "y", "n");
    node(k.g, "Abs", "y", "a");
    go(&k);
    expect_values(k.out[0].tensor, 3, (double[]){exp(1.0), exp(2.0), exp(4.0)});
    expect_values(k.out[1].tensor, 3, (double[]){0, log(2.0), log(4.0)});
    expect_values(k.out[2].tensor, 3, (double[]){1, 0.5, 0.25});
    expect_values(k.out[3].tensor, 3, (double[]){5, -7, INT32_MIN});
    expect_values(k.out[4].tensor, 3, (double[]){5, 7, INT32_MIN});
    finish(&k);
}

/* Clip-6: attributes; Clip-13: optional inputs, here only min. */
static void test_clip_attribute_and_input_styles(void **state)
{
    (void)state;
    int64_t d[1] = {4}, scalar[1] = {0};
    float x[4] = {-5, -1, 1, 5}, lo = -2;
    case1 k = {.g = gb_graph(6)};
    feed(&k, CG_FLOAT, 1, d, x);
    cg_node *n = node(k.g, "Clip", "x", "y");
    gb_attr_float(n, "min", -2);
    gb_attr_float(n, "max", 2);
    expect_values(go(&k), 4, (double[]){-2, -1, 1, 2});
    finish(&k);

    case1 k2 = {.g = gb_graph(13)};
    feed(&k2, CG_FLOAT, 1, d, x);
    initializer(k2.g, "lo", CG_FLOAT, 0, scalar, &lo);
    node(k2.g, "Clip", "x,lo,", "y");
    expect_values(go(&k2), 4, (double[]){-2, -1, 1, 5});
    finish(&k2);
}

/* x = [[[0, 1], [2, 3]], [[0, 0], [0, 0]]], axis 1.
 * Softmax-11 coerces to 2-D [2, 4]: each row of 4 sums to 1.
 * Softmax-13 normalizes along dim 1 only: pairs (x[i,0,k], x[i,1,k]). */
static void test_softmax_both_opset_styles(void **state)
{
    (void)state;
    int64_t d[3] = {2, 2, 2};
    float x[8] = {0, 1, 2, 3, 0, 0, 0, 0};
    double s = 1 + exp(1.0) + exp(2.0) + exp(3.0);
    case1 k = {.g = gb_graph(11)};
    feed(&k, CG_FLOAT, 3, d, x);
    gb_attr_int(node(k.g, "Softmax", "x", "y"), "axis", 1);
    expect_values(go(&k), 8,
                  (double[]){1 / s, exp(1.0) / s, exp(2.0) / s, exp(3.0) / s, .25, .25, .25, .25});
    finish(&k);

    case1 k2 = {.g = gb_graph(13)};
    feed(&k2, CG_FLOAT, 3, d, x);
    gb_attr_int(node(k2.g, "Softmax", "x", "y"), "axis", 1);
    double p = 1 / (1 + exp(2.0)); /* softmax(0, 2) and softmax(1, 3) both give p, 1-p */
    expect_values(go(&k2), 8, (double[]){p, p, 1 - p, 1 - p, .5, .5, .5, .5});
    finish(&k2);
}

/* LogSoftmax-13 along the last axis; large inputs stay finite (max subtracted). */
static void test_log_softmax_is_stable(void **state)
{
    (void)state;
    int64_t d[2] = {1, 2};
    float x[2] = {1000, 1001};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 2, d, x);
    node(k.g, "LogSoftmax", "x", "y");
    double l = log(exp(-1.0) + 1); /* log of the sum after subtracting the max 1001 */
    expect_values(go(&k), 2, (double[]){-1 - l, -l});
    finish(&k);
}

/* ---- normalization ---- */

/* X [1, 2, 2]: channel 0 = {1, 3}, channel 1 = {2, 6}. */
static void test_batch_norm_inference(void **state)
{
    (void)state;
    int64_t xd[3] = {1, 2, 2}, cd[1] = {2};
    float x[4] = {1, 3, 2, 6}, scale[2] = {2, 1}, b[2] = {0, 1}, mean[2] = {1, 4}, var[2] = {4, 1};
    case1 k = {.g = gb_graph(15)};
    feed(&k, CG_FLOAT, 3, xd, x);
    initializer(k.g, "s", CG_FLOAT, 1, cd, scale);
    initializer(k.g, "b", CG_FLOAT, 1, cd, b);
    initializer(k.g, "m", CG_FLOAT, 1, cd, mean);
    initializer(k.g, "v", CG_FLOAT, 1, cd, var);
    gb_attr_float(node(k.g, "BatchNormalization", "x,s,b,m,v", "y"), "epsilon", 0);
    /* ch0: 2*(x-1)/2 + 0 -> 0, 2; ch1: 1*(x-4)/1 + 1 -> -1, 3 */
    expect_values(go(&k), 4, (double[]){0, 2, -1, 3});
    finish(&k);
}

/* Same X: per-channel statistics ch0 mean 2 var 1, ch1 mean 4 var 4. */
static void test_instance_norm(void **state)
{
    (void)state;
    int64_t xd[3] = {1, 2, 2}, cd[1] = {2};
    float x[4] = {1, 3, 2, 6}, scale[2] = {1, 2}, b[2] = {0, 10};
    case1 k = {.g = gb_graph(6)};
    feed(&k, CG_FLOAT, 3, xd, x);
    initializer(k.g, "s", CG_FLOAT, 1, cd, scale);
    initializer(k.g, "b", CG_FLOAT, 1, cd, b);
    gb_attr_float(node(k.g, "InstanceNormalization", "x,s,b", "y"), "epsilon", 0);
    /* ch0: (x-2)/1 -> -1, 1; ch1: 2*(x-4)/2 + 10 -> 8, 12 */
    expect_values(go(&k), 4, (double[]){-1, 1, 8, 12});
    finish(&k);
}

/* BatchNormalization-15 training_mode=1: batch stats and running averages. */
static void test_batch_norm_training(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 1}, cd[1] = {1};
    float x[2] = {1, 3}, one = 1, zero = 0, mean = 0, var = 1;
    case1 k = {.g = gb_graph(15)};
    feed(&k, CG_FLOAT, 2, xd, x);
    initializer(k.g, "s", CG_FLOAT, 1, cd, &one);
    initializer(k.g, "b", CG_FLOAT, 1, cd, &zero);
    initializer(k.g, "m", CG_FLOAT, 1, cd, &mean);
    initializer(k.g, "v", CG_FLOAT, 1, cd, &var);
    cg_node *n = node(k.g, "BatchNormalization", "x,s,b,m,v", "y,rm,rv");
    gb_attr_float(n, "epsilon", 0);
    gb_attr_int(n, "training_mode", 1);
    go(&k);
    /* batch mean 2, population var 1: y = -1, 1; running = 0.9*old + 0.1*batch */
    expect_values(k.out[0].tensor, 2, (double[]){-1, 1});
    expect_values(k.out[1].tensor, 1, (double[]){0.2});
    expect_values(k.out[2].tensor, 1, (double[]){1.0});
    finish(&k);
}

/* ---- matrix ops ---- */

/* A = [[1, 2], [3, 4]] given transposed, B = [[1, 0], [1, 1]] given transposed,
 * C = [10, 20]: Y = 2 * A B + 0.5 * C. A B = [[3, 2], [7, 4]]. */
static void test_gemm_transposes_and_scales(void **state)
{
    (void)state;
    int64_t d[2] = {2, 2}, cd[1] = {2};
    float at[4] = {1, 3, 2, 4}, bt[4] = {1, 1, 0, 1}, c[2] = {10, 20};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 2, d, at);
    feed(&k, CG_FLOAT, 2, d, bt);
    feed(&k, CG_FLOAT, 1, cd, c);
    cg_node *n = node(k.g, "Gemm", "x,y,z", "out");
    gb_attr_int(n, "transA", 1);
    gb_attr_int(n, "transB", 1);
    gb_attr_float(n, "alpha", 2);
    gb_attr_float(n, "beta", 0.5f);
    expect_values(go(&k), 4, (double[]){11, 14, 19, 18});
    finish(&k);
}

/* [3] x [3, 2] -> [2] (1-D A promoted to [1, 3], the 1 removed again). */
static void test_matmul_vector_times_matrix(void **state)
{
    (void)state;
    int64_t ad[1] = {3}, bd[2] = {3, 2}, yd[1] = {2};
    float a[3] = {1, 2, 3}, b[6] = {1, 0, 0, 1, 1, 1};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 1, ad, a);
    feed(&k, CG_FLOAT, 2, bd, b);
    node(k.g, "MatMul", "x,y", "z");
    const cg_tensor *z = go(&k);
    gb_expect_dims(z, 1, yd);
    expect_values(z, 2, (double[]){4, 5}); /* 1*1+2*0+3*1, 1*0+2*1+3*1 */
    finish(&k);
}

/* [2, 1, 2] x [2, 1]: batch 2, each [1, 2] row times the shared [2, 1]. int64. */
static void test_matmul_batched_int64(void **state)
{
    (void)state;
    int64_t ad[3] = {2, 1, 2}, bd[2] = {2, 1}, yd[3] = {2, 1, 1};
    int64_t a[4] = {1, 2, 3, 4}, b[2] = {10, 1};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_INT64, 3, ad, a);
    feed(&k, CG_INT64, 2, bd, b);
    node(k.g, "MatMul", "x,y", "z");
    const cg_tensor *z = go(&k);
    gb_expect_dims(z, 3, yd);
    expect_values(z, 2, (double[]){12, 34});
    finish(&k);
}

/* Gemm-13 on float16 without C (optional from Gemm-11); MatMul on uint32. */
static void test_gemm_float16_and_matmul_uint32(void **state)
{
    (void)state;
    int64_t ad[2] = {1, 2}, bd[2] = {2, 1};
    uint16_t a[2] = {cg_float_to_half(1.5f), cg_float_to_half(2)};
    uint16_t b[2] = {cg_float_to_half(2), cg_float_to_half(-1)};
    uint32_t ua[2] = {4000000000u, 1}, ub[2] = {1, 5};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT16, 2, ad, a);
    feed(&k, CG_FLOAT16, 2, bd, b);
    feed(&k, CG_UINT32, 2, ad, ua);
    feed(&k, CG_UINT32, 2, bd, ub);
    node(k.g, "Gemm", "x,y", "g");
    node(k.g, "MatMul", "z,w", "m");
    go(&k);
    expect_values(k.out[0].tensor, 1, (double[]){1}); /* 1.5*2 + 2*-1 */
    expect_values(k.out[1].tensor, 1, (double[]){4000000005.0});
    finish(&k);
}

/* ---- reductions ---- */

/* x [2, 3] = [[1, 2, 3], [4, 5, 6]] */
static void test_reduce_mean_keepdims(void **state)
{
    (void)state;
    int64_t d[2] = {2, 3}, keep[2] = {1, 3}, drop[1] = {2}, axis0 = 0, axis1 = 1;
    float x[6] = {1, 2, 3, 4, 5, 6};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 2, d, x);
    gb_attr_ints(node(k.g, "ReduceMean", "x", "a"), "axes", 1, &axis0);
    cg_node *n = node(k.g, "ReduceMean", "x", "b");
    gb_attr_ints(n, "axes", 1, &axis1);
    gb_attr_int(n, "keepdims", 0);
    go(&k);
    gb_expect_dims(k.out[0].tensor, 2, keep);
    expect_values(k.out[0].tensor, 3, (double[]){2.5, 3.5, 4.5});
    gb_expect_dims(k.out[1].tensor, 1, drop);
    expect_values(k.out[1].tensor, 2, (double[]){2, 5});
    finish(&k);
}

/* ReduceSum-13: axes as input; empty axes reduce all unless noop_with_empty_axes. */
static void test_reduce_sum_axes_input(void **state)
{
    (void)state;
    int64_t d[2] = {2, 3}, one[1] = {1}, none[1] = {0}, axis = -1;
    int64_t x[6] = {1, 2, 3, 4, 5, 6};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_INT64, 2, d, x);
    initializer(k.g, "axes", CG_INT64, 1, one, &axis);
    initializer(k.g, "empty", CG_INT64, 1, none, &axis);
    node(k.g, "ReduceSum", "x,axes", "a");
    node(k.g, "ReduceSum", "x,empty", "b");
    gb_attr_int(node(k.g, "ReduceSum", "x,empty", "c"), "noop_with_empty_axes", 1);
    go(&k);
    expect_values(k.out[0].tensor, 2, (double[]){6, 15});
    expect_values(k.out[1].tensor, 1, (double[]){21});
    expect_values(k.out[2].tensor, 6, (double[]){1, 2, 3, 4, 5, 6});
    finish(&k);
}

/* float16 is widened to float for the arithmetic and stored back as half. */
static void test_add_float16(void **state)
{
    (void)state;
    int64_t d[1] = {2};
    uint16_t x[2] = {cg_float_to_half(1.5f), cg_float_to_half(2)};
    uint16_t y[2] = {cg_float_to_half(0.25f), cg_float_to_half(-1)};
    case1 k = {.g = gb_graph(14)};
    feed(&k, CG_FLOAT16, 1, d, x);
    feed(&k, CG_FLOAT16, 1, d, y);
    node(k.g, "Add", "x,y", "z");
    expect_values(go(&k), 2, (double[]){1.75, 1});
    finish(&k);
}

/* Activations on float16: computed in double, rounded to half. */
static void test_float16_activations(void **state)
{
    (void)state;
    int64_t d[2] = {1, 2};
    uint16_t x[2] = {cg_float_to_half(-1), cg_float_to_half(2)};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT16, 2, d, x);
    node(k.g, "Relu", "x", "r");
    node(k.g, "Softmax", "x", "s");
    go(&k);
    expect_values(k.out[0].tensor, 2, (double[]){0, 2});
    double p = 1 / (1 + exp(3.0)); /* softmax(-1, 2) = (p, 1 - p), to half precision */
    double want[2] = {cg_half_to_float(cg_float_to_half((float)p)),
                      cg_half_to_float(cg_float_to_half((float)(1 - p)))};
    expect_values(k.out[1].tensor, 2, want);
    finish(&k);
}

/* uint64 has its own arithmetic: values above INT64_MAX compare as unsigned. */
static void test_uint64_max_and_div(void **state)
{
    (void)state;
    int64_t d[1] = {2};
    uint64_t x[2] = {UINT64_C(9223372036854775809), 7}, y[2] = {5, 0};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_UINT64, 1, d, x);
    feed(&k, CG_UINT64, 1, d, y);
    node(k.g, "Max", "x,y", "m");
    node(k.g, "Div", "x,y", "q");
    go(&k);
    const uint64_t *m = k.out[0].tensor->data, *q = k.out[1].tensor->data;
    assert_true(m[0] == UINT64_C(9223372036854775809) && m[1] == 7);
    assert_true(q[0] == UINT64_C(1844674407370955161) && q[1] == 0); /* 2^63+1 / 5; x/0 -> 0 */
    finish(&k);
}

/* Sum-6: all inputs share one shape (no broadcasting before opset 8). */
static void test_sum_of_three_at_opset_6(void **state)
{
    (void)state;
    int64_t d[1] = {2};
    float x[2] = {1, 2}, y[2] = {10, 20}, z[2] = {100, 200};
    case1 k = {.g = gb_graph(6)};
    feed(&k, CG_FLOAT, 1, d, x);
    feed(&k, CG_FLOAT, 1, d, y);
    feed(&k, CG_FLOAT, 1, d, z);
    node(k.g, "Sum", "x,y,z", "s");
    expect_values(go(&k), 2, (double[]){111, 222});
    finish(&k);
}

/* Relu-14 on int32 and Clip-13 on int8 with both bounds as inputs. */
static void test_integer_relu_and_clip(void **state)
{
    (void)state;
    int64_t d[1] = {4}, scalar[1] = {0};
    int32_t x[4] = {-3, 0, 2, INT32_MIN};
    int8_t b[4] = {-128, -5, 5, 127}, lo = -4, hi = 4;
    case1 k = {.g = gb_graph(14)};
    feed(&k, CG_INT32, 1, d, x);
    feed(&k, CG_INT8, 1, d, b);
    initializer(k.g, "lo", CG_INT8, 0, scalar, &lo);
    initializer(k.g, "hi", CG_INT8, 0, scalar, &hi);
    node(k.g, "Relu", "x", "r");
    node(k.g, "Clip", "y,lo,hi", "c");
    go(&k);
    expect_values(k.out[0].tensor, 4, (double[]){0, 0, 2, 0});
    expect_values(k.out[1].tensor, 4, (double[]){-4, -4, 4, 4});
    finish(&k);
}

/* x [2, 2] = [[3, 4], [1000, 1000]], reduced along axis 1. */
static void test_other_reductions(void **state)
{
    (void)state;
    int64_t d[2] = {2, 2}, axis = 1;
    float x[4] = {3, 4, 1000, 1000};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 2, d, x);
    const char *ops[] = {"ReduceL2", "ReduceLogSumExp", "ReduceMax", "ReduceProd", "ReduceSumSquare", "ReduceL1"};
    const char *outs[] = {"l2", "lse", "max", "prod", "ss", "l1"};
    for (int i = 0; i < 6; i++)
        gb_attr_ints(node(k.g, ops[i], "x", outs[i]), "axes", 1, &axis);
    go(&k);
    expect_values(k.out[0].tensor, 2, (double[]){5, 1000 * sqrt(2.0)});
    /* log(e^3 + e^4) = 4 + log(1 + e^-1); 1000 + log 2 without overflowing exp */
    expect_values(k.out[1].tensor, 2, (double[]){4 + log(1 + exp(-1.0)), 1000 + log(2.0)});
    expect_values(k.out[2].tensor, 2, (double[]){4, 1000});
    expect_values(k.out[3].tensor, 2, (double[]){12, 1e6});
    expect_values(k.out[4].tensor, 2, (double[]){25, 2e6});
    expect_values(k.out[5].tensor, 2, (double[]){7, 2000});
    finish(&k);
}

/* Reducing a size-1 axis keeps the shape but still applies the op (|x|^2 here);
 * only noop_with_empty_axes with no axes copies. */
static void test_reduce_over_size_one_axis(void **state)
{
    (void)state;
    int64_t d[2] = {2, 1}, axis = -1;
    float x[2] = {-3, 0.5f};
    case1 k = {.g = gb_graph(13)};
    feed(&k, CG_FLOAT, 2, d, x);
    gb_attr_ints(node(k.g, "ReduceSumSquare", "x", "y"), "axes", 1, &axis);
    const cg_tensor *y = go(&k);
    gb_expect_dims(y, 2, d);
    expect_values(y, 2, (double[]){9, 0.25});
    finish(&k);
}

static void test_bcast_copy_expands(void **state)
{
    (void)state;
    int64_t in_d[2] = {2, 1}, out_d[2] = {2, 3};
    int64_t v[2] = {7, 9};
    cg_tensor *in = gb_tensor(CG_INT64, 2, in_d, v), *out = cg_tensor_new(CG_INT64, 2, out_d, NULL);
    cg_bcast b;
    assert_true(cg_bcast_init_numpy(&b, out, in));
    cg_bcast_copy(out, in, &b);
    expect_values(out, 6, (double[]){7, 7, 7, 9, 9, 9});
    cg_tensor_free(in);
    cg_tensor_free(out);
}

/* An unsupported dtype is a clean CG_ERR_UNSUPPORTED naming it, not a crash. */
static void test_unsupported_dtype_is_reported(void **state)
{
    (void)state;
    int64_t d[1] = {2};
    uint16_t x[2] = {1, 2};
    cg_graph *g = gb_graph(14);
    input(g, "x", CG_BFLOAT16, 1, d);
    input(g, "y", CG_BFLOAT16, 1, d);
    node(g, "Add", "x,y", "z"); /* Add-14 allows bfloat16; the kernel does not */
    cg_tensor *tx = gb_tensor(CG_BFLOAT16, 1, d, x), *ty = gb_tensor(CG_BFLOAT16, 1, d, x);
    cg_named_tensor in[2] = {{(char *)"x", tx}, {(char *)"y", ty}}, *out = NULL;
    int n_out = 0;
    cg_status st = {0};
    assert_int_equal(cg_graph_toposort(g, &st), CG_OK);
    assert_int_equal(cg_graph_run(g, in, 2, &out, &n_out, &st), CG_ERR_UNSUPPORTED);
    assert_non_null(strstr(st.msg, "bfloat16"));
    cg_tensor_free(tx);
    cg_tensor_free(ty);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bcast_index_and_iterator),
        cmocka_unit_test(test_add_broadcasts_a_vector),
        cmocka_unit_test(test_mul_broadcasts_both_ways),
        cmocka_unit_test(test_legacy_broadcast_axis),
        cmocka_unit_test(test_int_div_truncates_and_survives_zero),
        cmocka_unit_test(test_max_propagates_nan_and_mean_divides),
        cmocka_unit_test(test_pow_with_int_exponent),
        cmocka_unit_test(test_prelu_slope_broadcasts),
        cmocka_unit_test(test_pointwise_activations),
        cmocka_unit_test(test_pointwise_math),
        cmocka_unit_test(test_clip_attribute_and_input_styles),
        cmocka_unit_test(test_softmax_both_opset_styles),
        cmocka_unit_test(test_log_softmax_is_stable),
        cmocka_unit_test(test_batch_norm_inference),
        cmocka_unit_test(test_instance_norm),
        cmocka_unit_test(test_batch_norm_training),
        cmocka_unit_test(test_gemm_transposes_and_scales),
        cmocka_unit_test(test_matmul_vector_times_matrix),
        cmocka_unit_test(test_matmul_batched_int64),
        cmocka_unit_test(test_gemm_float16_and_matmul_uint32),
        cmocka_unit_test(test_reduce_mean_keepdims),
        cmocka_unit_test(test_reduce_sum_axes_input),
        cmocka_unit_test(test_add_float16),
        cmocka_unit_test(test_float16_activations),
        cmocka_unit_test(test_uint64_max_and_div),
        cmocka_unit_test(test_sum_of_three_at_opset_6),
        cmocka_unit_test(test_integer_relu_and_clip),
        cmocka_unit_test(test_other_reductions),
        cmocka_unit_test(test_reduce_over_size_one_axis),
        cmocka_unit_test(test_bcast_copy_expands),
        cmocka_unit_test(test_unsupported_dtype_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
