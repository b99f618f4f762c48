/* Reference kernels of the tensor-manipulation ops (src/ops/shape*.c) and Resize /
 * Upsample (src/ops/resize.c), run through cg_graph_run on tiny graphs. Every
 * expected value is worked out by hand in the comment next to it, from the ONNX
 * operator docs (several are the docs' own examples). */
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

#define TOL 1e-5

/* ---- building and running one-node graphs ---- */

typedef struct kcase {
    cg_graph *g;
    cg_node *n; /* valid until the next node is added (one node per case) */
    cg_tensor *in[6];
    const char *in_names[6];
    int n_in;
    cg_named_tensor *out;
    int n_out;
} kcase;

static kcase start(int64_t opset)
{
    kcase k = {0};
    k.g = gb_graph(opset);
    return k;
}

static void finish(kcase *k)
{
    cg_named_tensors_free(k->out, k->n_out);
    for (int i = 0; i < k->n_in; i++)
        cg_tensor_free(k->in[i]);
    cg_graph_free(k->g);
}

/* A graph input fed with this data when the case runs. */
static void feed(kcase *k, const char *name, cg_dtype t, int rank, const int64_t *dims,
                 const void *data)
{
    gb_input(k->g, name, t, cg_shape_of(rank, dims));
    k->in_names[k->n_in] = name;
    k->in[k->n_in++] = gb_tensor(t, rank, dims, data);
}

static void init(kcase *k, const char *name, cg_dtype t, int rank, const int64_t *dims,
                 const void *data)
{
    gb_initializer(k->g, name, gb_tensor(t, rank, dims, data));
}

static void init_i64(kcase *k, const char *name, int n, const int64_t *v)
{
    int64_t len = n;
    init(k, name, CG_INT64, 1, &len, v);
}

/* The case's one node; every named output is a graph output. */
static cg_node *node(kcase *k, const char *op, const char *ins, const char *outs)
{
    k->n = gb_node(k->g, "n", op, ins, outs);
    gb_outputs(k->g, outs);
    return k->n;
}

static cg_attr *attr(kcase *k, const char *name, cg_attr_type type) { return gb_attr(k->n, name, type); }
static void attr_int(kcase *k, const char *name, int64_t v) { gb_attr_int(k->n, name, v); }
static void attr_float(kcase *k, const char *name, float v) { gb_attr_float(k->n, name, v); }
static void attr_string(kcase *k, const char *name, const char *s) { gb_attr_str(k->n, name, s); }

static void attr_ints(kcase *k, const char *name, int count, const int64_t *v)
{
    gb_attr_ints(k->n, name, count, v);
}

static void attr_floats(kcase *k, const char *name, int count, const float *v)
{
    gb_attr_floats(k->n, name, count, v);
}

static cg_code try_run(kcase *k, cg_status *st)
{
    return gb_try_run(k->g, k->n_in, k->in_names, k->in, &k->out, &k->n_out, st);
}

/* Runs the case; returns output i. */
static const cg_tensor *run(kcase *k)
{
    cg_status st = {0};
    if (try_run(k, &st) != CG_OK)
        fail_msg("run failed: %s", st.msg);
    return k->out[0].tensor;
}

static void expect_fail(kcase *k, cg_code code, const char *needle)
{
    cg_status st = {0};
    cg_code rc = try_run(k, &st);
    assert_int_equal(rc, code);
    if (!strstr(st.msg, needle))
        fail_msg("message '%s' lacks '%s'", st.msg, needle);
}

static void expect_values(const cg_tensor *t, int64_t n, const double *want)
{
    gb_expect_values(t, n, want, TOL);
}

static const float X23[6] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */
static const int64_t D23[2] = {2, 3};

/* ---- moving data: Transpose, Reshape & co, Concat, Split, Expand ---- */

/* Transpose with perm [1,0,2] on [2,2,2] = 0..7: out[i,j,k] = in[j,i,k], so the
 * two middle 2-element rows swap: [0,1,4,5,2,3,6,7]. */
static void test_transpose_perm(void **state)
{
    (void)state;
    kcase k = start(13);
    int64_t d[3] = {2, 2, 2}, perm[3] = {1, 0, 2};
    int32_t x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    feed(&k, "x", CG_INT32, 3, d, x);
    node(&k, "Transpose", "x", "y");
    attr_ints(&k, "perm", 3, perm);
    const double want[8] = {0, 1, 4, 5, 2, 3, 6, 7};
    expect_values(run(&k), 8, want);
    finish(&k);
}

/* Without perm the axes reverse: [[1,2,3],[4,5,6]] -> [[1,4],[2,5],[3,6]]. */
static void test_transpose_default_reverses(void **state)
{
    (void)state;
    kcase k = start(13);
    feed(&k, "x", CG_FLOAT, 2, D23, X23);
    node(&k, "Transpose", "x", "y");
    const cg_tensor *y = run(&k);
    const int64_t d[2] = {3, 2};
    const double want[6] = {1, 4, 2, 5, 3, 6};
    gb_expect_dims(y, 2, d);
    expect_values(y, 6, want);
    finish(&k);
}

/* Reshape with 0 (copy the dim) and -1 (inferred): [2,3] -> [2,-1,1] = [2,3,1];
 * the elements keep their order. Then Flatten/Squeeze/Unsqueeze/Identity share
 * the byte copy. */
static void test_reshape_family_copies(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t shape[3] = {0, -1, 1}, d[3] = {2, 3, 1};
    const double want[6] = {1, 2, 3, 4, 5, 6};
    feed(&k, "x", CG_FLOAT, 2, D23, X23);
    init_i64(&k, "s", 3, shape);
    node(&k, "Reshape", "x,s", "y");
    const cg_tensor *y = run(&k);
    gb_expect_dims(y, 3, d);
    expect_values(y, 6, want);
    finish(&k);

    const char *ops[4] = {"Flatten", "Squeeze", "Unsqueeze", "Identity"};
    for (int i = 0; i < 4; i++) {
        k = start(11);
        const int64_t axes[1] = {0};
        feed(&k, "x", CG_FLOAT, 2, D23, X23);
        node(&k, ops[i], "x", "y");
        if (i == 2)
            attr_ints(&k, "axes", 1, axes);
        expect_values(run(&k), 6, want);
        finish(&k);
    }
}

/* Concat along axis 1 (and -1): [[1,2],[3,4]] ++ [[5],[6]] -> [[1,2,5],[3,4,6]]. */
static void test_concat_axis(void **state)
{
    (void)state;
    for (int neg = 0; neg < 2; neg++) {
        kcase k = start(13);
        const int64_t da[2] = {2, 2}, db[2] = {2, 1}, d[2] = {2, 3};
        const int64_t a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
        feed(&k, "a", CG_INT64, 2, da, a);
        feed(&k, "b", CG_INT64, 2, db, b);
        node(&k, "Concat", "a,b", "y");
        attr_int(&k, "axis", neg ? -1 : 1);
        const cg_tensor *y = run(&k);
        const double want[6] = {1, 2, 5, 3, 4, 6};
        gb_expect_dims(y, 2, d);
        expect_values(y, 6, want);
        finish(&k);
    }
}

/* Split [[1,2,3],[4,5,6]] on axis 1 by split=[1,2] (input from opset 13):
 * [[1],[4]] and [[2,3],[5,6]]; equal parts of [1..6] into 3: [1,2],[3,4],[5,6]. */
static void test_split_sizes_and_equal(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t sizes[2] = {1, 2};
    feed(&k, "x", CG_FLOAT, 2, D23, X23);
    init_i64(&k, "s", 2, sizes);
    node(&k, "Split", "x,s", "a,b");
    attr_int(&k, "axis", 1);
    run(&k);
    const double wa[2] = {1, 4}, wb[4] = {2, 3, 5, 6};
    expect_values(k.out[0].tensor, 2, wa);
    expect_values(k.out[1].tensor, 4, wb);
    finish(&k);

    k = start(11);
    const int64_t d6 = 6;
    feed(&k, "x", CG_FLOAT, 1, &d6, X23);
    node(&k, "Split", "x", "a,b,c");
    run(&k);
    for (int i = 0; i < 3; i++) {
        const double w[2] = {2.0 * i + 1, 2.0 * i + 2};
        expect_values(k.out[i].tensor, 2, w);
    }
    finish(&k);
}

/* Expand [[1],[2],[3]] (3x1) to shape [2,1,2]: numpy broadcast gives [2,3,2],
 * each row repeated across the last axis, the whole block twice. */
static void test_expand_broadcasts(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t dx[2] = {3, 1}, shape[3] = {2, 1, 2}, d[3] = {2, 3, 2};
    const float x[3] = {1, 2, 3};
    feed(&k, "x", CG_FLOAT, 2, dx, x);
    init_i64(&k, "s", 3, shape);
    node(&k, "Expand", "x,s", "y");
    const cg_tensor *y = run(&k);
    const double want[12] = {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3};
    gb_expect_dims(y, 3, d);
    expect_values(y, 12, want);
    finish(&k);
}

/* ---- picking elements: Slice, Gather ---- */

/* x = 3x4 of 0..11. starts [2,3], ends [INT64_MIN, 0], steps [-1,-2]: rows
 * 2,1,0 and columns 3,1 -> [[11,9],[7,5],[3,1]]. */
static void test_slice_negative_steps(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t d[2] = {3, 4}, starts[2] = {2, 3}, ends[2] = {INT64_MIN, 0};
    const int64_t axes[2] = {0, 1}, steps[2] = {-1, -2}, dy[2] = {3, 2};
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    feed(&k, "x", CG_FLOAT, 2, d, x);
    init_i64(&k, "st", 2, starts);
    init_i64(&k, "en", 2, ends);
    init_i64(&k, "ax", 2, axes);
    init_i64(&k, "sp", 2, steps);
    node(&k, "Slice", "x,st,en,ax,sp", "y");
    const cg_tensor *y = run(&k);
    const double want[6] = {11, 9, 7, 5, 3, 1};
    gb_expect_dims(y, 2, dy);
    expect_values(y, 6, want);
    finish(&k);
}

/* Slice-1 attributes, ends past the dim clamp: x[0:2, 1:1000] of 3x4 0..11 ->
 * [[1,2,3],[5,6,7]]; a negative axis picks the last one. */
static void test_slice_attributes_clamp(void **state)
{
    (void)state;
    kcase k = start(1);
    const int64_t d[2] = {3, 4}, starts[2] = {0, 1}, ends[2] = {2, 1000}, axes[2] = {0, -1};
    float x[12];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    feed(&k, "x", CG_FLOAT, 2, d, x);
    node(&k, "Slice", "x", "y");
    attr_ints(&k, "starts", 2, starts);
    attr_ints(&k, "ends", 2, ends);
    attr_ints(&k, "axes", 2, axes);
    const double want[6] = {1, 2, 3, 5, 6, 7};
    expect_values(run(&k), 6, want);
    finish(&k);
}

/* Gather axis 1 of [[1,2,3],[4,5,6]] with indices [[-1,0]] (1x2): output
 * [2,1,2] = [[[3,1]],[[6,4]]]; -1 wraps to 2 (Gather-11+). */
static void test_gather_axis1_negative(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t di[2] = {1, 2}, ix[2] = {-1, 0}, d[3] = {2, 1, 2};
    feed(&k, "x", CG_FLOAT, 2, D23, X23);
    init(&k, "i", CG_INT64, 2, di, ix);
    node(&k, "Gather", "x,i", "y");
    attr_int(&k, "axis", 1);
    const cg_tensor *y = run(&k);
    const double want[4] = {3, 1, 6, 4};
    gb_expect_dims(y, 3, d);
    expect_values(y, 4, want);
    finish(&k);
}

/* An index outside [-3, 2] is an error naming it. 65 indices are more than the
 * executor shows shape inference, so the kernel itself must catch it. */
static void test_gather_out_of_range_fails(void **state)
{
    (void)state;
    kcase k = start(13);
    int32_t ix[65] = {0};
    const int64_t n = 65;
    ix[40] = 3;
    feed(&k, "x", CG_FLOAT, 2, D23, X23);
    feed(&k, "i", CG_INT32, 1, &n, ix);
    node(&k, "Gather", "x,i", "y");
    attr_int(&k, "axis", 1);
    expect_fail(&k, CG_ERR_INVALID, "index 3");
    finish(&k);
}

/* ---- Pad ---- */

/* The ONNX Pad docs' examples on [[1.0,1.2],[2.3,3.4],[4.5,5.7]] with pads
 * [0,2,0,0] (two columns before) for constant 0 and edge. The docs' reflect
 * example pads 2 on a dim of 2, which shape inference refuses as PyTorch and
 * onnxruntime do (pads must be smaller than the dim), so reflect pads 1:
 * [1.0,1.2] -> [1.2,1.0,1.2]. */
static void test_pad_modes_doc_examples(void **state)
{
    (void)state;
    const int64_t d[2] = {3, 2}, pads[3][4] = {{0, 2, 0, 0}, {0, 2, 0, 0}, {0, 1, 0, 0}};
    const float x[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
    const char *modes[3] = {"constant", "edge", "reflect"};
    const double want[3][12] = {
        {0, 0, 1.0, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7},
        {1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7},
        {1.2, 1.0, 1.2, 3.4, 2.3, 3.4, 5.7, 4.5, 5.7},
    };
    for (int m = 0; m < 3; m++) {
        kcase k = start(13);
        const int64_t dy[2] = {3, 4 - (m == 2)};
        feed(&k, "x", CG_FLOAT, 2, d, x);
        init_i64(&k, "p", 4, pads[m]);
        node(&k, "Pad", "x,p", "y");
        attr_string(&k, "mode", modes[m]);
        const cg_tensor *y = run(&k);
        gb_expect_dims(y, 2, dy);
        expect_values(y, dy[0] * dy[1], want[m]);
        finish(&k);
    }
}

/* Reflect by 2 on [1,2,3] mirrors without repeating the edge: [3,2,1,2,3,2,1];
 * a negative pad crops: [1..5] with pads begin -1, end 2 and constant_value 9
 * -> [2,3,4,5,9,9]. */
static void test_pad_reflect_wide_and_negative(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t d3 = 3, p2[2] = {2, 2};
    const float x3[3] = {1, 2, 3};
    feed(&k, "x", CG_FLOAT, 1, &d3, x3);
    init_i64(&k, "p", 2, p2);
    node(&k, "Pad", "x,p", "y");
    attr_string(&k, "mode", "reflect");
    const double w1[7] = {3, 2, 1, 2, 3, 2, 1};
    expect_values(run(&k), 7, w1);
    finish(&k);

    k = start(13);
    const int64_t d5 = 5, pn[2] = {-1, 2};
    const float x5[5] = {1, 2, 3, 4, 5}, nine = 9;
    feed(&k, "x", CG_FLOAT, 1, &d5, x5);
    init_i64(&k, "p", 2, pn);
    init(&k, "v", CG_FLOAT, 0, NULL, &nine);
    node(&k, "Pad", "x,p,v", "y");
    const double w2[6] = {2, 3, 4, 5, 9, 9};
    expect_values(run(&k), 6, w2);
    finish(&k);
}

/* Pad-2 takes pads and value as attributes: [1,2] padded 1/1 with 7 -> [7,1,2,7]. */
static void test_pad_opset2_attributes(void **state)
{
    (void)state;
    kcase k = start(2);
    const int64_t d = 2, pads[2] = {1, 1};
    const float x[2] = {1, 2};
    feed(&k, "x", CG_FLOAT, 1, &d, x);
    node(&k, "Pad", "x", "y");
    attr_ints(&k, "pads", 2, pads);
    attr_float(&k, "value", 7);
    const double want[4] = {7, 1, 2, 7};
    expect_values(run(&k), 4, want);
    finish(&k);
}

/* ---- Cast, Shape, Constant, ConstantOfShape, Dropout ---- */

/* float -> int64 truncates toward zero (C and numpy astype): [-1.7, 0, 0.4, 2.5,
 * 300] -> [-1, 0, 0, 2, 300]; then int64 -> bool is x != 0 -> [1,0,0,1,1] and
 * int64 -> uint8 wraps mod 256 -> [255,0,0,2,44]. */
static void test_cast_float_int64_bool(void **state)
{
    (void)state;
    const int64_t d = 5;
    const float x[5] = {-1.7f, 0.0f, 0.4f, 2.5f, 300.0f};
    const cg_dtype to[3] = {CG_INT64, CG_BOOL, CG_UINT8};
    const double want[3][5] = {{-1, 0, 0, 2, 300}, {1, 0, 0, 1, 1}, {255, 0, 0, 2, 44}};
    for (int i = 0; i < 3; i++) {
        kcase k = start(13);
        feed(&k, "x", CG_FLOAT, 1, &d, x);
        node(&k, "Cast", "x", "i");
        attr_int(&k, "to", CG_INT64);
        if (i > 0) { /* a second node: int64 -> the target */
            node(&k, "Cast", "i", "y");
            attr_int(&k, "to", to[i]);
        }
        run(&k);
        const cg_tensor *y = k.out[k.n_out - 1].tensor;
        assert_int_equal(y->dtype, to[i]);
        expect_values(y, 5, want[i]);
        finish(&k);
    }
}

/* NaN and inf to int64 are undefined in the spec: the kernel must not crash (it
 * clamps: NaN -> 0, inf -> INT64_MAX); float -> float16 -> float keeps 0.5. */
static void test_cast_nan_and_half(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t d = 3;
    const float x[3] = {NAN, INFINITY, 0.5f};
    feed(&k, "x", CG_FLOAT, 1, &d, x);
    node(&k, "Cast", "x", "y");
    attr_int(&k, "to", CG_INT64);
    const cg_tensor *y = run(&k);
    assert_int_equal(((const int64_t *)y->data)[0], 0);
    assert_int_equal(((const int64_t *)y->data)[1], INT64_MAX);
    finish(&k);

    k = start(13);
    feed(&k, "x", CG_FLOAT, 1, &d, x);
    node(&k, "Cast", "x", "y");
    attr_int(&k, "to", CG_FLOAT16);
    y = run(&k);
    assert_int_equal(y->dtype, CG_FLOAT16);
    assert_true(isnan(cg_tensor_get_f64(y, 0)));
    assert_true(isinf(cg_tensor_get_f64(y, 1)));
    assert_true(cg_tensor_get_f64(y, 2) == 0.5);
    finish(&k);
}

/* Wide integers: float 1e19 fits uint64 (not int64); uint64 2^64-1 -> int64 wraps
 * to -1 as a C cast; -> float is 1.8446744e19. */
static void test_cast_uint64_range(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t d = 1;
    const float big = 1e19f;
    feed(&k, "x", CG_FLOAT, 1, &d, &big);
    node(&k, "Cast", "x", "y");
    attr_int(&k, "to", CG_UINT64);
    const cg_tensor *y = run(&k);
    assert_true(((const uint64_t *)y->data)[0] == (uint64_t)1e19f);
    finish(&k);

    for (int i = 0; i < 2; i++) {
        const uint64_t max = UINT64_MAX;
        k = start(13);
        feed(&k, "x", CG_UINT64, 1, &d, &max);
        node(&k, "Cast", "x", "y");
        attr_int(&k, "to", i ? CG_FLOAT : CG_INT64);
        y = run(&k);
        if (i)
            assert_true(fabs(cg_tensor_get_f64(y, 0) - 1.8446744e19) < 1e13);
        else
            assert_int_equal(((const int64_t *)y->data)[0], -1);
        finish(&k);
    }
}

/* Shape-15 with start=1, end=-1 on [2,3,4,5] -> [3,4]. */
static void test_shape_start_end(void **state)
{
    (void)state;
    kcase k = start(15);
    const int64_t d[4] = {2, 3, 4, 5};
    feed(&k, "x", CG_UINT8, 4, d, NULL);
    node(&k, "Shape", "x", "y");
    attr_int(&k, "start", 1);
    attr_int(&k, "end", -1);
    const double want[2] = {3, 4};
    expect_values(run(&k), 2, want);
    finish(&k);
}

/* Constant value_floats [1.5, -2] and ConstantOfShape(value=int32 7) of [2,2]. */
static void test_constant_and_constant_of_shape(void **state)
{
    (void)state;
    kcase k = start(13);
    const float f[2] = {1.5f, -2.0f};
    const int64_t one = 1, x = 0;
    feed(&k, "x", CG_INT64, 1, &one, &x); /* a graph needs an input to feed */
    node(&k, "Constant", "", "c");
    attr_floats(&k, "value_floats", 2, f);
    const double want[2] = {1.5, -2};
    expect_values(run(&k), 2, want);
    finish(&k);

    k = start(13);
    const int64_t shape[2] = {2, 2};
    const int32_t seven = 7;
    feed(&k, "s", CG_INT64, 1, (const int64_t[]){2}, shape);
    node(&k, "ConstantOfShape", "s", "y");
    attr(&k, "value", CG_ATTR_TENSOR)->t = gb_tensor(CG_INT32, 1, &one, &seven);
    const cg_tensor *y = run(&k);
    const double w[4] = {7, 7, 7, 7};
    assert_int_equal(y->dtype, CG_INT32);
    expect_values(y, 4, w);
    finish(&k);
}

/* Dropout at inference passes the data through and the mask is all true. */
static void test_dropout_mask_all_true(void **state)
{
    (void)state;
    kcase k = start(13);
    feed(&k, "x", CG_FLOAT, 2, D23, X23);
    node(&k, "Dropout", "x", "y,m");
    run(&k);
    const double want[6] = {1, 2, 3, 4, 5, 6}, ones[6] = {1, 1, 1, 1, 1, 1};
    expect_values(k.out[0].tensor, 6, want);
    assert_int_equal(k.out[1].tensor->dtype, CG_BOOL);
    expect_values(k.out[1].tensor, 6, ones);
    finish(&k);
}

/* ---- Resize / Upsample on [[1,2],[3,4]] (1x1x2x2) -> 4x4, scales [1,1,2,2] ----
 * Original coordinate of output x = 0..3 per mode (scale 2, input length 2):
 *   half_pixel (x+0.5)/2-0.5:      -0.25, 0.25, 0.75, 1.25
 *   pytorch_half_pixel:            the same (output length 4 > 1)
 *   align_corners x*(2-1)/(4-1):   0, 1/3, 2/3, 1
 *   asymmetric x/2:                0, 0.5, 1, 1.5
 *   tf_half_pixel_for_nn (x+0.5)/2: 0.25, 0.75, 1.25, 1.75
 * Linear: v = a[x0]*(1-r) + a[x0+1]*r with indices clamped to the input, so on
 * [[1,2],[3,4]] the value is 1 + c(col) + 2*c(row) with c the fraction of the way
 * from index 0 to 1, clamped: half_pixel c = 0, .25, .75, 1 (the ONNX docs'
 * upsample_scales_linear example); align_corners c = 0, 1/3, 2/3, 1 (the docs'
 * align_corners example); asymmetric c = 0, .5, 1, 1. */

static const float R22[4] = {1, 2, 3, 4};
static const int64_t R_IN[4] = {1, 1, 2, 2}, R_OUT[4] = {1, 1, 4, 4};
static const float R_SCALES[4] = {1, 1, 2, 2};

static kcase resize_case(int64_t opset, const char *mode, const char *coord, const char *nearest)
{
    kcase k = start(opset);
    const int64_t four = 4;
    feed(&k, "x", CG_FLOAT, 4, R_IN, R22);
    const int64_t zero = 0;
    init(&k, "sc", CG_FLOAT, 1, &four, R_SCALES);
    init(&k, "roi", CG_FLOAT, 1, &zero, NULL); /* Resize-11 needs roi, empty when unused */
    node(&k, "Resize", opset >= 11 ? "x,roi,sc" : "x,sc", "y");
    attr_string(&k, "mode", mode);
    if (coord)
        attr_string(&k, "coordinate_transformation_mode", coord);
    if (nearest)
        attr_string(&k, "nearest_mode", nearest);
    return k;
}

/* Expected 4x4 from per-axis fractions c (linear: 1 + c[col] + 2*c[row]). */
static void expect_linear(const cg_tensor *y, const double *c)
{
    double want[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            want[4 * i + j] = 1 + c[j] + 2 * c[i];
    gb_expect_dims(y, 4, R_OUT);
    expect_values(y, 16, want);
}

/* Expected 4x4 from per-axis nearest indices: a[idx[row]][idx[col]]. */
static void expect_nearest(const cg_tensor *y, const int *idx)
{
    double want[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            want[4 * i + j] = R22[2 * idx[i] + idx[j]];
    gb_expect_dims(y, 4, R_OUT);
    expect_values(y, 16, want);
}

static void test_resize_linear_coordinate_modes(void **state)
{
    (void)state;
    const char *modes[4] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
    const double c[4][4] = {
        {0, 0.25, 0.75, 1}, {0, 0.25, 0.75, 1}, {0, 1.0 / 3, 2.0 / 3, 1}, {0, 0.5, 1, 1},
    };
    for (int m = 0; m < 4; m++) {
        kcase k = resize_case(13, "linear", modes[m], NULL);
        expect_linear(run(&k), c[m]);
        finish(&k);
    }
}

/* Nearest rounds the original coordinate per nearest_mode, then clamps:
 *   half_pixel round_prefer_floor: -0.25->0, 0.25->0, 0.75->1, 1.25->1
 *   half_pixel ceil:               0, 1, 1, 2->1
 *   align_corners floor:           0, 0, 0, 1
 *   align_corners round_prefer_floor: 0, 0, 1, 1
 *   asymmetric round_prefer_ceil:  0, 0.5->1, 1, 1.5->2->1
 *   asymmetric round_prefer_floor: 0, 0.5->0, 1, 1.5->1
 *   tf_half_pixel_for_nn round_prefer_floor: 0.25->0, 0.75->1, 1.25->1, 1.75->2->1
 *   pytorch_half_pixel floor:      -0.25->-1->0, 0, 0, 1 */
static void test_resize_nearest_modes(void **state)
{
    (void)state;
    static const struct {
        const char *coord, *nearest;
        int idx[4];
    } cases[] = {
        {"half_pixel", "round_prefer_floor", {0, 0, 1, 1}},
        {"half_pixel", "ceil", {0, 1, 1, 1}},
        {"align_corners", "floor", {0, 0, 0, 1}},
        {"align_corners", "round_prefer_floor", {0, 0, 1, 1}},
        {"asymmetric", "round_prefer_ceil", {0, 1, 1, 1}},
        {"asymmetric", "round_prefer_floor", {0, 0, 1, 1}},
        {"tf_half_pixel_for_nn", "round_prefer_floor", {0, 1, 1, 1}},
        {"pytorch_half_pixel", "floor", {0, 0, 0, 1}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kcase k = resize_case(11, "nearest", cases[i].coord, cases[i].nearest);
        expect_nearest(run(&k), cases[i].idx);
        finish(&k);
    }
}

/* Resize-10 and Upsample: asymmetric + floor, output[i] = input[floor(i/2)]:
 * indices 0,0,1,1 (the ONNX Upsample docs' nearest example); their linear is
 * asymmetric too (c = 0, .5, 1, 1). */
static void test_resize10_and_upsample(void **state)
{
    (void)state;
    const int idx[4] = {0, 0, 1, 1};
    const double c[4] = {0, 0.5, 1, 1};
    kcase k = resize_case(10, "nearest", NULL, NULL);
    expect_nearest(run(&k), idx);
    finish(&k);
    k = resize_case(10, "linear", NULL, NULL);
    expect_linear(run(&k), c);
    finish(&k);

    k = start(7); /* Upsample-7: scales is an attribute */
    feed(&k, "x", CG_FLOAT, 4, R_IN, R22);
    node(&k, "Upsample", "x", "y");
    attr_floats(&k, "scales", 4, R_SCALES);
    expect_nearest(run(&k), idx);
    finish(&k);
}

/* Resize-10 shrinking rounds up (onnxruntime's opset-10 rule): [[1,2,3,4],
 * [5,6,7,8]] at scale 0.6 -> 1x2; x = 0, 1 map to 0/0.6 = 0 and 1/0.6 = 1.67 -> 2,
 * rows to 0: [[1,3]]. */
static void test_resize10_downsample_rounds_up(void **state)
{
    (void)state;
    kcase k = start(10);
    const int64_t d[4] = {1, 1, 2, 4}, four = 4, dy[4] = {1, 1, 1, 2};
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, sc[4] = {1, 1, 0.6f, 0.6f};
    feed(&k, "x", CG_FLOAT, 4, d, x);
    init(&k, "sc", CG_FLOAT, 1, &four, sc);
    node(&k, "Resize", "x,sc", "y");
    const cg_tensor *y = run(&k);
    const double want[2] = {1, 3};
    gb_expect_dims(y, 4, dy);
    expect_values(y, 2, want);
    finish(&k);
}

/* Resize-13 with sizes [1,1,4,4] instead of scales: the scale is out/in = 2, so
 * half_pixel linear gives the same 4x4 as with scales. */
static void test_resize_sizes(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t four = 4;
    const double c[4] = {0, 0.25, 0.75, 1};
    feed(&k, "x", CG_FLOAT, 4, R_IN, R22);
    init(&k, "sz", CG_INT64, 1, &four, R_OUT);
    node(&k, "Resize", "x,,,sz", "y");
    attr_string(&k, "mode", "linear");
    expect_linear(run(&k), c);
    finish(&k);
}

/* Cubic on [1,2,3,4] (1x4), scale 0.5, asymmetric: outputs at x = 0 and 2 are
 * integral coordinates, so they are the input values 1 and 3 exactly (the
 * kernel's taps are 0,0,1,0 at ratio 1). */
static void test_resize_cubic_integral_points(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t d[2] = {1, 4}, two = 2;
    const float x[4] = {1, 2, 3, 4}, sc[2] = {1, 0.5f};
    feed(&k, "x", CG_FLOAT, 2, d, x);
    init(&k, "sc", CG_FLOAT, 1, &two, sc);
    node(&k, "Resize", "x,,sc", "y");
    attr_string(&k, "mode", "cubic");
    attr_string(&k, "coordinate_transformation_mode", "asymmetric");
    const double want[2] = {1, 3};
    expect_values(run(&k), 2, want);
    finish(&k);
}

/* Linear on integers is not implemented: a SKIP-able unsupported error. */
static void test_resize_linear_int_unsupported(void **state)
{
    (void)state;
    kcase k = start(13);
    const int64_t four = 4;
    const int32_t x[4] = {1, 2, 3, 4};
    feed(&k, "x", CG_INT32, 4, R_IN, x);
    init(&k, "sc", CG_FLOAT, 1, &four, R_SCALES);
    node(&k, "Resize", "x,,sc", "y");
    attr_string(&k, "mode", "linear");
    expect_fail(&k, CG_ERR_UNSUPPORTED, "int32");
    finish(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose_perm),
        cmocka_unit_test(test_transpose_default_reverses),
        cmocka_unit_test(test_reshape_family_copies),
        cmocka_unit_test(test_concat_axis),
        cmocka_unit_test(test_split_sizes_and_equal),
        cmocka_unit_test(test_expand_broadcasts),
        cmocka_unit_test(test_slice_negative_steps),
        cmocka_unit_test(test_slice_attributes_clamp),
        cmocka_unit_test(test_gather_axis1_negative),
        cmocka_unit_test(test_gather_out_of_range_fails),
        cmocka_unit_test(test_pad_modes_doc_examples),
        cmocka_unit_test(test_pad_reflect_wide_and_negative),
        cmocka_unit_test(test_pad_opset2_attributes),
        cmocka_unit_test(test_cast_float_int64_bool),
        cmocka_unit_test(test_cast_nan_and_half),
        cmocka_unit_test(test_cast_uint64_range),
        cmocka_unit_test(test_shape_start_end),
        cmocka_unit_test(test_constant_and_constant_of_shape),
        cmocka_unit_test(test_dropout_mask_all_true),
        cmocka_unit_test(test_resize_linear_coordinate_modes),
        cmocka_unit_test(test_resize_nearest_modes),
        cmocka_unit_test(test_resize10_and_upsample),
        cmocka_unit_test(test_resize10_downsample_rounds_up),
        cmocka_unit_test(test_resize_sizes),
        cmocka_unit_test(test_resize_cubic_integral_points),
        cmocka_unit_test(test_resize_linear_int_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
