/* Shape functions of the tensor-manipulation ops (src/ops/shape*.c), including the
 * evaluation of small int64 shape subgraphs with symbolic dims. Each test builds a
 * tiny graph through graph.h, runs the inference driver and checks shapes, known
 * contents, element-wise dims and error messages. */
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
#include "convgraph/ops.h"
#include "ops/shape_internal.h"

/* ---- graph building ---- */

/* spec "N,512,1,1": numbers are known dims, "?" unknown, anything else a symbol. */
static void input(cg_graph *g, const char *name, cg_dtype dt, const char *spec)
{
    gb_input(g, name, dt, gb_parse_shape(g, spec));
}

/* An int64 initializer: rank 0 (n must be 1) or rank 1. */
static void init_i64(cg_graph *g, const char *name, int rank, const int64_t *vals, int n)
{
    int64_t len = n;
    gb_initializer(g, name, gb_tensor(CG_INT64, rank, &len, vals));
}

static void attr_ints(cg_node *n, const char *name, const int64_t *v, int count)
{
    gb_attr_ints(n, name, count, v);
}

/* ---- inspection ---- */

static const char *shape_of(cg_graph *g, const char *name)
{
    static char buf[256];
    cg_shape_format(&gb_find(g, name)->shape, buf, sizeof buf);
    return buf;
}

/* A value's element-wise dims as "[N,-1]" (dims format as in shapes). */
static const char *dimvals_of(cg_graph *g, const char *name)
{
    static char buf[256];
    cg_value *v = gb_find(g, name);
    cg_shape s = {0};
    if (!v->dimvals || v->n_dimvals > CG_MAX_RANK)
        return "none";
    s.rank = v->n_dimvals;
    memcpy(s.d, v->dimvals, (size_t)s.rank * sizeof s.d[0]);
    cg_shape_format(&s, buf, sizeof buf);
    return buf;
}

/* Known contents as "1,2,3" (integers) or "none". */
static const char *data_of(cg_graph *g, const char *name)
{
    static char buf[512];
    const cg_tensor *t = gb_find(g, name)->data;
    size_t used = 0;
    if (!t)
        return "none";
    buf[0] = '\0';
    for (int64_t k = 0; k < t->numel && used < sizeof buf; k++) {
        double x = cg_tensor_get_f64(t, k);
        used += (size_t)snprintf(buf + used, sizeof buf - used, k ? ",%g" : "%g", x);
    }
    return buf;
}

static cg_code infer(cg_graph *g, cg_status *st)
{
    memset(st, 0, sizeof *st);
    return cg_graph_infer_shapes(g, NULL, st);
}

static const int64_t zero[] = {0}, minus1[] = {-1};

/* ---- the PyTorch flatten chain ---- */

/* x.view(x.size(0), -1) exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape;
 * with a symbolic batch the result must stay [N,512]. */
static void build_flatten_chain(cg_graph *g, bool axes_as_input)
{
    input(g, "x", CG_FLOAT, "N,512,1,1");
    init_i64(g, "i0", 0, zero, 1);
    init_i64(g, "m1", 1, minus1, 1);
    gb_node(g, "shape", "Shape", "x", "s");
    gb_node(g, "gather", "Gather", "s,i0", "n");
    if (axes_as_input) {
        init_i64(g, "ax0", 1, zero, 1);
        gb_node(g, "unsq", "Unsqueeze", "n,ax0", "n1");
    } else {
        attr_ints(gb_node(g, "unsq", "Unsqueeze", "n", "n1"), "axes", zero, 1);
    }
    gb_attr_int(gb_node(g, "cat", "Concat", "n1,m1", "target"), "axis", 0);
    gb_node(g, "view", "Reshape", "x,target", "y");
}

static void test_pytorch_flatten_chain_keeps_symbolic_batch(void **state)
{
    (void)state;
    for (int opset = 11; opset <= 13; opset += 2) {
        cg_graph *g = gb_graph(opset);
        build_flatten_chain(g, opset >= 13);
        gb_infer_ok(g);
        assert_string_equal(shape_of(g, "s"), "[4]");
        assert_string_equal(dimvals_of(g, "s"), "[N,512,1,1]");
        assert_string_equal(shape_of(g, "n"), "[]");
        assert_string_equal(dimvals_of(g, "n"), "[N]");
        assert_string_equal(shape_of(g, "n1"), "[1]");
        assert_string_equal(dimvals_of(g, "target"), "[N,-1]");
        assert_string_equal(shape_of(g, "y"), "[N,512]");
        assert_int_equal(gb_find(g, "y")->dtype, CG_FLOAT);
        cg_graph_free(g);
    }
}

/* With a static input the whole chain folds to known contents. */
static void test_flatten_chain_folds_when_static(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    build_flatten_chain(g, true);
    gb_find(g, "x")->shape = gb_parse_shape(g, "8,512,2,2");
    gb_infer_ok(g);
    assert_string_equal(data_of(g, "s"), "8,512,2,2");
    assert_string_equal(data_of(g, "n"), "8");
    assert_string_equal(data_of(g, "target"), "8,-1");
    assert_string_equal(shape_of(g, "y"), "[8,2048]");
    cg_graph_free(g);
}

/* Shape-15: start/end slice the shape, negative counts from the back, clamped. */
static void test_shape_start_end(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(15);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    cg_node *n = gb_node(g, "a", "Shape", "x", "hw");
    gb_attr_int(n, "start", -2);
    n = gb_node(g, "b", "Shape", "x", "c");
    gb_attr_int(n, "start", 1);
    gb_attr_int(n, "end", 2);
    n = gb_node(g, "e", "Shape", "x", "none");
    gb_attr_int(n, "start", 10);
    gb_infer_ok(g);
    assert_string_equal(dimvals_of(g, "hw"), "[H,W]");
    assert_string_equal(shape_of(g, "c"), "[1]");
    assert_string_equal(data_of(g, "c"), "3");
    assert_string_equal(shape_of(g, "none"), "[0]");
    cg_graph_free(g);
}

/* ---- Reshape ---- */

static cg_graph *reshape_graph(int64_t opset, const char *in, const int64_t *target, int n)
{
    cg_graph *g = gb_graph(opset);
    input(g, "x", CG_FLOAT, in);
    init_i64(g, "shape", 1, target, n);
    gb_node(g, "r", "Reshape", "x,shape", "y");
    return g;
}

static void test_reshape_zero_and_minus_one(void **state)
{
    (void)state;
    static const int64_t zero_m1[] = {0, -1}, m1[] = {-1}, m1_4[] = {-1, 4}, n_m1[] = {0, 3, -1};
    struct { const char *in; const int64_t *t; int n; const char *want; } cases[] = {
        {"2,3,4", zero_m1, 2, "[2,12]"},
        {"2,3,4", m1, 1, "[24]"},
        {"N,3,4", zero_m1, 2, "[N,12]"},
        {"N,3,4", m1_4, 2, "[N*3,4]"}, /* leftover symbol times the known quotient */
        {"N,6,H", n_m1, 3, "[N,3,H*2]"},
        {"N,?,4", zero_m1, 2, "[N,?]"}, /* never a guess */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cg_graph *g = reshape_graph(13, cases[k].in, cases[k].t, cases[k].n);
        gb_infer_ok(g);
        assert_string_equal(shape_of(g, "y"), cases[k].want);
        cg_graph_free(g);
    }
}

static void test_reshape_errors_name_shapes(void **state)
{
    (void)state;
    static const int64_t five_m1[] = {5, -1}, seven[] = {7}, two_m1[] = {-1, -1}, m2[] = {-2, 6},
                         zero_m1[] = {0, -1};
    cg_graph *g = reshape_graph(13, "2,3,4", five_m1, 2);
    gb_infer_fails(g, CG_ERR_INVALID,
                 "test.onnx: node 'r' (Reshape): cannot reshape [2,3,4] to [5,-1]: the -1 cannot "
                 "be inferred", NULL);
    cg_graph_free(g);
    g = reshape_graph(13, "2,3", seven, 1);
    gb_infer_fails(g, CG_ERR_INVALID, "cannot reshape [2,3] (6 elements) to [7] (7 elements)", NULL);
    cg_graph_free(g);
    static const int64_t n4[] = {0, 4};
    g = reshape_graph(13, "N,6", n4, 2); /* symbols cancel, 6 != 4 */
    gb_infer_fails(g, CG_ERR_INVALID,
                 "cannot reshape [N,6] to [N,4]: the element counts differ", NULL);
    cg_graph_free(g);
    g = reshape_graph(13, "2,3", two_m1, 2);
    gb_infer_fails(g, CG_ERR_INVALID, "only one -1", NULL);
    cg_graph_free(g);
    g = reshape_graph(13, "2,6", m2, 2);
    gb_infer_fails(g, CG_ERR_INVALID, "shape element 0 is -2", NULL);
    cg_graph_free(g);
    g = reshape_graph(14, "2,6", zero_m1, 2);
    gb_attr_int(&g->nodes[0], "allowzero", 1);
    gb_infer_fails(g, CG_ERR_INVALID, "both 0 and -1", NULL);
    cg_graph_free(g);
}

/* allowzero=1 keeps a 0 as an empty dim; Reshape-1 takes the target as attribute. */
static void test_reshape_allowzero_and_opset1(void **state)
{
    (void)state;
    static const int64_t zero_three[] = {0, 3}, attr_shape[] = {3, -1};
    cg_graph *g = reshape_graph(14, "0,3", zero_three, 2);
    gb_attr_int(&g->nodes[0], "allowzero", 1);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[0,3]");
    cg_graph_free(g);
    g = gb_graph(1);
    input(g, "x", CG_FLOAT, "2,3,4");
    attr_ints(gb_node(g, "r", "Reshape", "x", "y"), "shape", attr_shape, 2);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[3,8]");
    cg_graph_free(g);
}

/* A target whose contents are unknown still gives the rank. */
static void test_reshape_unknown_target_keeps_rank(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,3,4");
    input(g, "shape", CG_INT64, "3");
    gb_node(g, "r", "Reshape", "x,shape", "y");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[?,?,?]");
    cg_graph_free(g);
}

/* ---- Slice ---- */

static cg_graph *slice_graph(const char *in, const int64_t *st, const int64_t *en,
                             const int64_t *ax, const int64_t *sp, int n)
{
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, in);
    init_i64(g, "starts", 1, st, n);
    init_i64(g, "ends", 1, en, n);
    init_i64(g, "axes", 1, ax, n);
    init_i64(g, "steps", 1, sp, n);
    gb_node(g, "sl", "Slice", "x,starts,ends,axes,steps", "y");
    return g;
}

static void test_slice_negative_clamped_and_steps(void **state)
{
    (void)state;
    struct { int64_t s, e, step; const char *want; } cases[] = {
        {-3, INT64_MAX, 1, "[3]"},   /* last three */
        {0, -1, 2, "[5]"},           /* 0,2,4,6,8 */
        {-1, INT64_MIN, -1, "[10]"}, /* reversed */
        {-1, INT64_MIN, -3, "[4]"},  /* 9,6,3,0 */
        {100, 200, 1, "[0]"},        /* clamped to the end: empty */
        {-100, 3, 1, "[3]"},         /* clamped to the begin */
        {5, 2, 1, "[0]"},            /* end before start */
        {8, 2, -2, "[3]"},           /* 8,6,4 */
        {0, 10, INT64_MAX, "[1]"},
        {9, 0, INT64_MIN, "[1]"},
    };
    static const int64_t ax0[] = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cg_graph *g = slice_graph("10", &cases[k].s, &cases[k].e, ax0, &cases[k].step, 1);
        gb_infer_ok(g);
        if (strcmp(shape_of(g, "y"), cases[k].want) != 0)
            fail_msg("case %zu: got %s, want %s", k, shape_of(g, "y"), cases[k].want);
        cg_graph_free(g);
    }
}

/* Several axes, negative axis, symbolic dims kept for whole-axis slices. */
static void test_slice_multi_axis_and_symbolic(void **state)
{
    (void)state;
    static const int64_t st[] = {1, 0, 0}, en[] = {-1, INT64_MAX, 3}, ax[] = {-1, 0, 1},
                         sp[] = {2, 1, 1};
    cg_graph *g = slice_graph("N,H,8", st, en, ax, sp, 3);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[N,?,3]");
    cg_graph_free(g);
    static const int64_t z[] = {0}, a0[] = {0};
    g = slice_graph("4,5", z, z, a0, z, 1);
    gb_infer_fails(g, CG_ERR_INVALID, "node 'sl' (Slice): step on axis 0 is 0", NULL);
    cg_graph_free(g);
    static const int64_t a2[] = {2}, one[] = {1};
    g = slice_graph("4,5", z, one, a2, one, 1);
    gb_infer_fails(g, CG_ERR_INVALID, "axis 2 is out of range for rank 2", NULL);
    cg_graph_free(g);
}

/* Slice of a shape vector (x.shape[2:]) and of known contents; Slice-1 attributes. */
static void test_slice_folds_vectors_and_opset1(void **state)
{
    (void)state;
    static const int64_t two[] = {2}, big[] = {INT64_MAX}, zero1[] = {0}, one[] = {1};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    init_i64(g, "s", 1, two, 1);
    init_i64(g, "e", 1, big, 1);
    gb_node(g, "shape", "Shape", "x", "sh");
    gb_node(g, "sl", "Slice", "sh,s,e", "hw");
    static const int64_t ten[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, st3[] = {1}, en8[] = {8},
                         sp3[] = {3};
    init_i64(g, "v", 1, ten, 10);
    init_i64(g, "s1", 1, st3, 1);
    init_i64(g, "e1", 1, en8, 1);
    init_i64(g, "a1", 1, zero1, 1);
    init_i64(g, "p1", 1, sp3, 1);
    gb_node(g, "sl2", "Slice", "v,s1,e1,a1,p1", "picked");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "hw"), "[2]");
    assert_string_equal(dimvals_of(g, "hw"), "[H,W]");
    assert_string_equal(data_of(g, "picked"), "1,4,7");
    cg_graph_free(g);

    g = gb_graph(1);
    input(g, "x", CG_FLOAT, "6,7");
    cg_node *n = gb_node(g, "sl", "Slice", "x", "y");
    attr_ints(n, "starts", one, 1);
    attr_ints(n, "ends", big, 1);
    attr_ints(n, "axes", one, 1);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[6,6]");
    cg_graph_free(g);
}

/* ---- Squeeze / Unsqueeze ---- */

static void test_squeeze_unsqueeze_both_opset_styles(void **state)
{
    (void)state;
    static const int64_t ax[] = {1, -1}, uax[] = {-1, 0};
    for (int opset = 11; opset <= 13; opset += 2) {
        cg_graph *g = gb_graph(opset);
        input(g, "x", CG_FLOAT, "N,1,5,1");
        input(g, "z", CG_FLOAT, "3,4");
        if (opset >= 13) {
            init_i64(g, "sax", 1, ax, 2);
            init_i64(g, "uax", 1, uax, 2);
            gb_node(g, "sq", "Squeeze", "x,sax", "y");
            gb_node(g, "un", "Unsqueeze", "z,uax", "u");
        } else {
            attr_ints(gb_node(g, "sq", "Squeeze", "x", "y"), "axes", ax, 2);
            attr_ints(gb_node(g, "un", "Unsqueeze", "z", "u"), "axes", uax, 2);
        }
        gb_node(g, "all", "Squeeze", "z", "same");
        gb_infer_ok(g);
        assert_string_equal(shape_of(g, "y"), "[N,5]");
        assert_string_equal(shape_of(g, "u"), "[1,3,4,1]");
        assert_string_equal(shape_of(g, "same"), "[3,4]");
        cg_graph_free(g);
    }
}

static void test_squeeze_rules(void **state)
{
    (void)state;
    static const int64_t ax2[] = {2}, dup[] = {0, 0};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,1,5,1");
    init_i64(g, "ax", 1, ax2, 1);
    gb_node(g, "sq", "Squeeze", "x,ax", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "cannot squeeze axis 2 of [N,1,5,1]", NULL);
    cg_graph_free(g);
    /* without axes: all known 1s go; a dim that is not known makes the rank unknown */
    g = gb_graph(13);
    input(g, "a", CG_FLOAT, "1,3,1,2");
    input(g, "b", CG_FLOAT, "1,N");
    gb_node(g, "s1", "Squeeze", "a", "a2");
    gb_node(g, "s2", "Squeeze", "b", "b2");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "a2"), "[3,2]");
    assert_string_equal(shape_of(g, "b2"), "?");
    cg_graph_free(g);
    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "3,4");
    attr_ints(gb_node(g, "un", "Unsqueeze", "x", "y"), "axes", dup, 2);
    gb_infer_fails(g, CG_ERR_INVALID, "axis 0 is repeated", NULL);
    cg_graph_free(g);
}

/* ---- Concat / Split ---- */

static void test_concat_symbolic_dims(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "N,3,H");
    input(g, "b", CG_FLOAT, "N,5,H");
    input(g, "c", CG_FLOAT, "N,K,H");
    input(g, "p", CG_FLOAT, "N,3");
    input(g, "q", CG_FLOAT, "M,3");
    gb_attr_int(gb_node(g, "c1", "Concat", "a,b", "ab"), "axis", 1);
    gb_attr_int(gb_node(g, "c2", "Concat", "a,b,c", "abc"), "axis", -2);
    gb_attr_int(gb_node(g, "c3", "Concat", "p,q", "pq"), "axis", 0);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "ab"), "[N,8,H]");
    assert_string_equal(shape_of(g, "abc"), "[N,K+8,H]");
    assert_string_equal(shape_of(g, "pq"), "[N+M,3]");
    cg_graph_free(g);
}

static void test_concat_errors(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b", CG_FLOAT, "4,3");
    gb_attr_int(gb_node(g, "cat", "Concat", "a,b", "y"), "axis", 1);
    gb_infer_fails(g, CG_ERR_INVALID,
                 "node 'cat' (Concat): input 1 has shape [4,3] but input 0 has [2,3]; "
                 "only axis 1 may differ", NULL);
    cg_graph_free(g);
    g = gb_graph(13);
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b", CG_FLOAT, "2,3,1");
    gb_attr_int(gb_node(g, "cat", "Concat", "a,b", "y"), "axis", 0);
    gb_infer_fails(g, CG_ERR_INVALID, "ranks differ", "[2,3,1]");
    cg_graph_free(g);
    g = gb_graph(13);
    input(g, "a", CG_FLOAT, "2,3");
    gb_node(g, "cat", "Concat", "a", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "missing required attribute 'axis'", NULL);
    cg_graph_free(g);
}

static void test_split_equal_and_explicit(void **state)
{
    (void)state;
    static const int64_t sizes[] = {1, 5};
    for (int opset = 11; opset <= 13; opset += 2) {
        cg_graph *g = gb_graph(opset);
        input(g, "x", CG_FLOAT, "6,4");
        input(g, "n", CG_FLOAT, "N,4");
        gb_node(g, "eq", "Split", "x", "a,b,c");
        gb_attr_int(gb_node(g, "half", "Split", "n", "n1,n2"), "axis", 0);
        if (opset >= 13) {
            init_i64(g, "sizes", 1, sizes, 2);
            gb_node(g, "ex", "Split", "x,sizes", "p,q");
        } else {
            attr_ints(gb_node(g, "ex", "Split", "x", "p,q"), "split", sizes, 2);
        }
        gb_infer_ok(g);
        assert_string_equal(shape_of(g, "a"), "[2,4]");
        assert_string_equal(shape_of(g, "c"), "[2,4]");
        assert_string_equal(shape_of(g, "n2"), "[floor(N/2),4]");
        assert_string_equal(shape_of(g, "p"), "[1,4]");
        assert_string_equal(shape_of(g, "q"), "[5,4]");
        cg_graph_free(g);
    }
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "7,4");
    gb_node(g, "eq", "Split", "x", "a,b");
    gb_infer_fails(g, CG_ERR_INVALID, "axis of size 7 does not split into 2 equal parts", NULL);
    cg_graph_free(g);
    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "7,4");
    attr_ints(gb_node(g, "ex", "Split", "x", "a,b"), "split", sizes, 2);
    gb_infer_fails(g, CG_ERR_INVALID, "split sizes sum to 6 but the axis has 7", NULL);
    cg_graph_free(g);
}

/* Split of known contents gives each part its contents. */
static void test_split_folds_contents(void **state)
{
    (void)state;
    static const int64_t v[] = {1, 2, 3, 4, 5, 6};
    cg_graph *g = gb_graph(13);
    init_i64(g, "v", 1, v, 6);
    gb_node(g, "sp", "Split", "v", "a,b,c");
    gb_infer_ok(g);
    assert_string_equal(data_of(g, "a"), "1,2");
    assert_string_equal(data_of(g, "c"), "5,6");
    cg_graph_free(g);
}

/* ---- Pad ---- */

static void test_pad_negative_and_modes(void **state)
{
    (void)state;
    static const int64_t pads[] = {1, -2, 0, -1}, npads[] = {0, 1, 2, 3};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "4,5");
    input(g, "s", CG_FLOAT, "N,H");
    init_i64(g, "pads", 1, pads, 4);
    init_i64(g, "np", 1, npads, 4);
    gb_node(g, "p", "Pad", "x,pads", "y");
    gb_node(g, "ps", "Pad", "s,np", "ys");
    gb_node(g, "crop", "Pad", "s,pads", "yc");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[5,2]");
    assert_string_equal(shape_of(g, "ys"), "[N+2,H+4]");
    assert_string_equal(shape_of(g, "yc"), "[N+1,H-3]");
    cg_graph_free(g);

    static const int64_t crop[] = {-3, 0, -2, 0};
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "4,5");
    init_i64(g, "pads", 1, crop, 4);
    gb_node(g, "p", "Pad", "x,pads", "y");
    gb_infer_fails(g, CG_ERR_INVALID,
                 "node 'p' (Pad): pads -3/-2 on axis 0 of [4,5] leave a negative size", NULL);
    cg_graph_free(g);

    static const int64_t wide[] = {0, 5, 0, 0};
    g = gb_graph(2);
    input(g, "x", CG_FLOAT, "4,5");
    cg_node *n = gb_node(g, "p", "Pad", "x", "y");
    attr_ints(n, "pads", wide, 4);
    gb_attr_str(n, "mode", "reflect");
    gb_infer_fails(g, CG_ERR_INVALID, "reflect pads 5/0 on axis 1 of [4,5]", NULL);
    cg_graph_free(g);

    /* a crop of INT64_MIN on a symbolic dim: unknown, without overflowing */
    static const int64_t huge[] = {INT64_MIN, 0};
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N");
    init_i64(g, "pads", 1, huge, 2);
    gb_node(g, "p", "Pad", "x,pads", "y");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[?]");
    cg_graph_free(g);

    static const int64_t short_pads[] = {1, 1};
    g = gb_graph(1);
    input(g, "x", CG_FLOAT, "4,5");
    attr_ints(gb_node(g, "p", "Pad", "x", "y"), "paddings", short_pads, 2);
    gb_infer_fails(g, CG_ERR_INVALID, "has 2 pads for an input of rank 2 (needs 4)", NULL);
    cg_graph_free(g);
}

/* ---- Expand ---- */

static void test_expand_broadcasts(void **state)
{
    (void)state;
    static const int64_t t[] = {2, 1, 4}, bad[] = {4};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "3,1");
    input(g, "one", CG_FLOAT, "1");
    input(g, "ref", CG_FLOAT, "N,C");
    init_i64(g, "t", 1, t, 3);
    gb_node(g, "e", "Expand", "x,t", "y");
    gb_node(g, "shape", "Shape", "ref", "s");
    gb_node(g, "e2", "Expand", "one,s", "y2");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[2,3,4]");
    assert_string_equal(shape_of(g, "y2"), "[N,C]");
    cg_graph_free(g);
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "3");
    init_i64(g, "t", 1, bad, 1);
    gb_node(g, "e", "Expand", "x,t", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "node 'e' (Expand): shapes [3] and [4] cannot broadcast", NULL);
    cg_graph_free(g);
}

/* ---- Constant / ConstantOfShape ---- */

static void test_constant_variants(void **state)
{
    (void)state;
    static const int64_t ints[] = {3, -1, 7};
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    cg_node *n = gb_node(g, "c1", "Constant", "", "t");
    int64_t two = 2;
    cg_tensor *t = cg_tensor_new(CG_INT32, 1, &two, &st);
    ((int32_t *)t->data)[0] = 5;
    ((int32_t *)t->data)[1] = 6;
    gb_attr(n, "value", CG_ATTR_TENSOR)->t = t;
    gb_attr(gb_node(g, "c2", "Constant", "", "f"), "value_float", CG_ATTR_FLOAT)->f = 1.5f;
    attr_ints(gb_node(g, "c3", "Constant", "", "is"), "value_ints", ints, 3);
    gb_attr_int(gb_node(g, "c4", "Constant", "", "i"), "value_int", 42);
    cg_attr *fs = gb_attr(gb_node(g, "c5", "Constant", "", "fs"), "value_floats", CG_ATTR_FLOATS);
    fs->floats = malloc(2 * sizeof(float));
    fs->floats[0] = 0.25f;
    fs->floats[1] = -2.0f;
    fs->n = 2;
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "t")->dtype, CG_INT32);
    assert_string_equal(data_of(g, "t"), "5,6");
    assert_string_equal(shape_of(g, "f"), "[]");
    assert_int_equal(gb_find(g, "f")->dtype, CG_FLOAT);
    assert_string_equal(data_of(g, "f"), "1.5");
    assert_string_equal(shape_of(g, "is"), "[3]");
    assert_int_equal(gb_find(g, "is")->dtype, CG_INT64);
    assert_string_equal(data_of(g, "is"), "3,-1,7");
    assert_string_equal(data_of(g, "i"), "42");
    assert_string_equal(data_of(g, "fs"), "0.25,-2");
    cg_graph_free(g);
}

static void test_constant_errors(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    gb_attr(gb_node(g, "sp", "Constant", "", "t"), "sparse_value", CG_ATTR_UNDEFINED);
    gb_infer_fails(g, CG_ERR_UNSUPPORTED,
                 "node 'sp' (Constant): attribute 'sparse_value' is not supported", NULL);
    cg_graph_free(g);
    g = gb_graph(13);
    gb_node(g, "none", "Constant", "", "t");
    gb_infer_fails(g, CG_ERR_INVALID, "exactly one of", NULL);
    cg_graph_free(g);
    g = gb_graph(11);
    gb_attr_int(gb_node(g, "old", "Constant", "", "t"), "value_int", 1);
    gb_infer_fails(g, CG_ERR_INVALID, "'value_int' needs opset 12", NULL);
    cg_graph_free(g);
}

static void test_constant_of_shape(void **state)
{
    (void)state;
    static const int64_t dims[] = {2, 3}, neg[] = {2, -3};
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3");
    gb_node(g, "shape", "Shape", "x", "s");
    gb_node(g, "z", "ConstantOfShape", "s", "zeros");
    init_i64(g, "d", 1, dims, 2);
    cg_node *n = gb_node(g, "fill", "ConstantOfShape", "d", "fives");
    cg_tensor *v = cg_tensor_new(CG_INT64, 1, (const int64_t[]){1}, &st);
    ((int64_t *)v->data)[0] = 5;
    gb_attr(n, "value", CG_ATTR_TENSOR)->t = v;
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "zeros"), "[N,3]");
    assert_int_equal(gb_find(g, "zeros")->dtype, CG_FLOAT);
    assert_string_equal(shape_of(g, "fives"), "[2,3]");
    assert_int_equal(gb_find(g, "fives")->dtype, CG_INT64);
    assert_string_equal(data_of(g, "fives"), "5,5,5,5,5,5");
    cg_graph_free(g);
    g = gb_graph(13);
    init_i64(g, "d", 1, neg, 2);
    gb_node(g, "bad", "ConstantOfShape", "d", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "node 'bad' (ConstantOfShape): shape element 1 is -3", NULL);
    cg_graph_free(g);
}

/* ---- Transpose, Flatten, Gather, Cast, Identity, Dropout ---- */

static void test_transpose_and_flatten(void **state)
{
    (void)state;
    static const int64_t perm[] = {0, 2, 3, 1}, bad[] = {0, 1, 1, 2};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    attr_ints(gb_node(g, "t", "Transpose", "x", "nhwc"), "perm", perm, 4);
    gb_node(g, "rev", "Transpose", "x", "r");
    gb_attr_int(gb_node(g, "f", "Flatten", "x", "f2"), "axis", 2);
    gb_node(g, "f1", "Flatten", "x", "f1o");
    gb_attr_int(gb_node(g, "f0", "Flatten", "x", "f0o"), "axis", 0);
    gb_attr_int(gb_node(g, "fn", "Flatten", "x", "fno"), "axis", -1);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "nhwc"), "[N,H,W,3]");
    assert_string_equal(shape_of(g, "r"), "[W,H,3,N]");
    assert_string_equal(shape_of(g, "f2"), "[N*3,H*W]");
    assert_string_equal(shape_of(g, "f0o"), "[1,N*3*H*W]");
    assert_string_equal(shape_of(g, "fno"), "[N*3*H,W]");
    cg_graph_free(g);
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    attr_ints(gb_node(g, "t", "Transpose", "x", "y"), "perm", bad, 4);
    gb_infer_fails(g, CG_ERR_INVALID, "node 't' (Transpose): perm is not a permutation", NULL);
    cg_graph_free(g);
    g = gb_graph(9);
    input(g, "x", CG_FLOAT, "2,3");
    gb_attr_int(gb_node(g, "f", "Flatten", "x", "y"), "axis", -1);
    gb_infer_fails(g, CG_ERR_INVALID, "axis -1 is out of range for rank 2", NULL);
    cg_graph_free(g);
}

/* Transpose of known contents folds. */
static void test_transpose_folds(void **state)
{
    (void)state;
    static const int64_t v[] = {1, 2, 3, 4, 5, 6};
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    int64_t dims[] = {2, 3};
    cg_tensor *t = cg_tensor_new(CG_INT64, 2, dims, &st);
    memcpy(t->data, v, sizeof v);
    gb_initializer(g, "m", t);
    gb_node(g, "t", "Transpose", "m", "mt");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "mt"), "[3,2]");
    assert_string_equal(data_of(g, "mt"), "1,4,2,5,3,6");
    cg_graph_free(g);
}

static void test_gather_shapes_and_bounds(void **state)
{
    (void)state;
    static const int64_t ix[] = {0, 4, -1, 2, 1, 3}, bad[] = {5};
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "5,6,7");
    int64_t dims[] = {2, 3};
    cg_tensor *t = cg_tensor_new(CG_INT64, 2, dims, &st);
    memcpy(t->data, ix, sizeof ix);
    gb_initializer(g, "ix", t);
    gb_attr_int(gb_node(g, "g", "Gather", "x,ix", "y"), "axis", 1);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[5,2,3,7]");
    cg_graph_free(g);
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "5,6,7");
    init_i64(g, "ix", 1, bad, 1);
    gb_node(g, "g", "Gather", "x,ix", "y");
    gb_infer_fails(g, CG_ERR_INVALID,
                 "node 'g' (Gather): index 5 is out of bounds for axis 0 of size 5", NULL);
    cg_graph_free(g);
}

/* Gather of known 2-D contents along axis 1. */
static void test_gather_folds(void **state)
{
    (void)state;
    static const int64_t v[] = {1, 2, 3, 4, 5, 6}, ix[] = {2, 0};
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    int64_t dims[] = {2, 3};
    cg_tensor *t = cg_tensor_new(CG_INT64, 2, dims, &st);
    memcpy(t->data, v, sizeof v);
    gb_initializer(g, "m", t);
    init_i64(g, "ix", 1, ix, 2);
    gb_attr_int(gb_node(g, "g", "Gather", "m,ix", "y"), "axis", 1);
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[2,2]");
    assert_string_equal(data_of(g, "y"), "3,1,6,4");
    cg_graph_free(g);
}

static void test_cast_identity_dropout(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H,W");
    gb_node(g, "shape", "Shape", "x", "s");
    gb_attr_int(gb_node(g, "c32", "Cast", "s", "s32"), "to", CG_INT32);
    gb_attr_int(gb_node(g, "cf", "Cast", "x", "xh"), "to", CG_FLOAT16);
    gb_node(g, "id", "Identity", "s32", "s32b");
    gb_node(g, "drop", "Dropout", "x", "xd,mask");
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "s32")->dtype, CG_INT32);
    assert_string_equal(dimvals_of(g, "s32b"), "[N,3,H,W]");
    assert_int_equal(gb_find(g, "xh")->dtype, CG_FLOAT16);
    assert_string_equal(shape_of(g, "xh"), "[N,3,H,W]");
    assert_string_equal(shape_of(g, "xd"), "[N,3,H,W]");
    assert_int_equal(gb_find(g, "mask")->dtype, CG_BOOL);
    cg_graph_free(g);
    /* Cast-1 names the type; an unknown code is an error */
    g = gb_graph(1);
    input(g, "x", CG_INT64, "4");
    gb_attr_str(gb_node(g, "c", "Cast", "x", "y"), "to", "DOUBLE");
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "y")->dtype, CG_DOUBLE);
    cg_graph_free(g);
    g = gb_graph(13);
    input(g, "x", CG_INT64, "4");
    gb_attr_int(gb_node(g, "c", "Cast", "x", "y"), "to", 99);
    gb_infer_fails(g, CG_ERR_INVALID,
                 "node 'c' (Cast): attribute 'to' must be a TensorProto data type code, "
                 "got 99", NULL);
    cg_graph_free(g);
}

/* Cast folds known contents, truncating floats toward zero. */
static void test_cast_folds(void **state)
{
    (void)state;
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    int64_t three = 3;
    cg_tensor *t = cg_tensor_new(CG_FLOAT, 1, &three, &st);
    ((float *)t->data)[0] = 2.7f;
    ((float *)t->data)[1] = -1.5f;
    ((float *)t->data)[2] = 300.0f;
    gb_initializer(g, "f", t);
    gb_attr_int(gb_node(g, "c", "Cast", "f", "i"), "to", CG_INT64);
    gb_attr_int(gb_node(g, "c8", "Cast", "i", "u8"), "to", CG_UINT8);
    gb_infer_ok(g);
    assert_string_equal(data_of(g, "i"), "2,-1,300");
    assert_string_equal(data_of(g, "u8"), "2,255,44"); /* wraps like a C cast */
    cg_graph_free(g);
}

/* Forms only some opsets have: Split-1's sizes as input, Concat-1's default axis,
 * Shape before 15 without start/end, Pad-11's pads input, Slice-10's inputs. */
static void test_opset_specific_forms(void **state)
{
    (void)state;
    static const int64_t sizes[] = {2, 4}, pads[] = {0, 1, 0, 1}, st[] = {1}, en[] = {3};
    cg_graph *g = gb_graph(1);
    input(g, "x", CG_FLOAT, "6,3");
    input(g, "a", CG_FLOAT, "2,3");
    input(g, "b", CG_FLOAT, "2,5");
    init_i64(g, "sizes", 1, sizes, 2);
    gb_node(g, "sp", "Split", "x,sizes", "p,q");
    gb_node(g, "cat", "Concat", "a,b", "ab"); /* Concat-1: axis defaults to 1 */
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "p"), "[2,3]");
    assert_string_equal(shape_of(g, "q"), "[4,3]");
    assert_string_equal(shape_of(g, "ab"), "[2,8]");
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "N,3,H");
    gb_attr_int(gb_node(g, "sh", "Shape", "x", "s"), "start", 1); /* no such attribute before 15 */
    gb_infer_ok(g);
    assert_string_equal(dimvals_of(g, "s"), "[N,3,H]");
    cg_graph_free(g);

    g = gb_graph(10);
    input(g, "x", CG_FLOAT, "4,5");
    init_i64(g, "st", 1, st, 1);
    init_i64(g, "en", 1, en, 1);
    gb_node(g, "sl", "Slice", "x,st,en", "y");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[2,5]");
    init_i64(g, "pads", 1, pads, 4);
    gb_node(g, "p", "Pad", "x,pads", "z"); /* opset 10: pads is still an attribute */
    gb_infer_fails(g, CG_ERR_INVALID, "node 'p' (Pad): missing required attribute 'pads'", NULL);
    cg_graph_free(g);

    g = gb_graph(11);
    input(g, "x", CG_FLOAT, "4,5");
    init_i64(g, "pads", 1, pads, 4);
    gb_node(g, "p", "Pad", "x,pads,", "z"); /* constant_value omitted */
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "z"), "[4,7]");
    cg_graph_free(g);
}

/* Known contents fold through Concat, Expand, Identity, Unsqueeze and Reshape;
 * a shape vector keeps its symbols through Reshape to [-1]. */
static void test_contents_fold_through_data_ops(void **state)
{
    (void)state;
    static const int64_t v[] = {1, 2, 3, 4}, two_two[] = {2, 2}, t[] = {2, 2, 2}, m1[] = {-1},
                         ax[] = {0};
    cg_status st = {0};
    cg_graph *g = gb_graph(13);
    int64_t dims[] = {2, 2};
    cg_tensor *m = cg_tensor_new(CG_INT64, 2, dims, &st);
    memcpy(m->data, v, sizeof v);
    gb_initializer(g, "m", m);
    init_i64(g, "t", 1, t, 3);
    init_i64(g, "m1", 1, m1, 1);
    init_i64(g, "ax", 1, ax, 1);
    init_i64(g, "shape22", 1, two_two, 2);
    gb_attr_int(gb_node(g, "cat", "Concat", "m,m", "mm"), "axis", 1);
    gb_node(g, "ex", "Expand", "m,t", "big");
    gb_node(g, "id", "Identity", "mm", "mm2");
    gb_node(g, "un", "Unsqueeze", "m,ax", "m3");
    gb_node(g, "flat", "Reshape", "m3,m1", "flat");
    gb_node(g, "back", "Reshape", "flat,shape22", "sq");
    input(g, "x", CG_FLOAT, "N,C");
    gb_node(g, "shape", "Shape", "x", "s");
    gb_node(g, "vec", "Reshape", "s,m1", "s2");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "mm"), "[2,4]");
    assert_string_equal(data_of(g, "mm"), "1,2,1,2,3,4,3,4");
    assert_string_equal(data_of(g, "mm2"), "1,2,1,2,3,4,3,4");
    assert_string_equal(shape_of(g, "big"), "[2,2,2]");
    assert_string_equal(data_of(g, "big"), "1,2,3,4,1,2,3,4");
    assert_string_equal(shape_of(g, "m3"), "[1,2,2]");
    assert_string_equal(data_of(g, "flat"), "1,2,3,4");
    assert_string_equal(data_of(g, "sq"), "1,2,3,4");
    assert_string_equal(shape_of(g, "s2"), "[2]");
    assert_string_equal(dimvals_of(g, "s2"), "[N,C]");
    cg_graph_free(g);
}

/* ---- registry and bad input ---- */

/* Every since-version of every op (onnx 1.12 operator history, opsets 1..17) is
 * found, and an opset between two versions resolves to the older one. */
static void test_registry_has_every_version(void **state)
{
    (void)state;
    static const struct { const char *op; int v[7]; } ops[] = {
        {"Reshape", {1, 5, 13, 14}}, {"Flatten", {1, 9, 11, 13}}, {"Transpose", {1, 13}},
        {"Squeeze", {1, 11, 13}}, {"Unsqueeze", {1, 11, 13}}, {"Concat", {1, 4, 11, 13}},
        {"Split", {1, 2, 11, 13}}, {"Shape", {1, 13, 15}}, {"Gather", {1, 11, 13}},
        {"Slice", {1, 10, 11, 13}}, {"Expand", {8, 13}}, {"Pad", {1, 2, 11, 13}},
        {"Identity", {1, 13, 14, 16}}, {"Dropout", {1, 6, 7, 10, 12, 13}},
        {"Constant", {1, 9, 11, 12, 13}}, {"ConstantOfShape", {9}}, {"Cast", {1, 6, 9, 13}},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int first = ops[i].v[0], k = 0;
        assert_null(cg_op_find("", ops[i].op, first - 1));
        for (int opset = first; opset <= 17; opset++) {
            while (k + 1 < 7 && ops[i].v[k + 1] && ops[i].v[k + 1] <= opset)
                k++;
            const cg_op_def *d = cg_op_find("", ops[i].op, opset);
            assert_non_null(d);
            if (d->since_version != ops[i].v[k])
                fail_msg("%s at opset %d resolves to version %d, want %d", ops[i].op, opset,
                         d->since_version, ops[i].v[k]);
        }
    }
}

/* Whatever the input, a shape function fails with a message or leaves dims
 * unknown; it never guesses a number. */
static void test_bad_inputs_fail_cleanly(void **state)
{
    (void)state;
    static const int64_t m1_4[] = {-1, 4}, big[] = {0, 1, 2, 3, 4, 5, 6, 7};
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,3");
    gb_node(g, "r", "Reshape", "x", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "node 'r' (Reshape): needs at least 2 inputs", NULL);
    cg_graph_free(g);

    /* an input of unknown rank: the -1 stays unknown, the 4 is kept */
    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2");
    g->values[cg_graph_find(g, "x")].shape = cg_shape_unknown();
    init_i64(g, "t", 1, m1_4, 2);
    gb_node(g, "r2", "Reshape", "x,t", "z");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "z"), "[?,4]");
    cg_graph_free(g);

    g = gb_graph(13);
    init_i64(g, "s", 0, m1_4 + 1, 1);
    init_i64(g, "i", 0, big, 1);
    gb_node(g, "g", "Gather", "s,i", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "node 'g' (Gather): data must have rank >= 1", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "1,2,3,4,5,6,7");
    init_i64(g, "ax", 1, big, 2);
    gb_node(g, "u", "Unsqueeze", "x,ax", "y");
    gb_infer_fails(g, CG_ERR_UNSUPPORTED, "node 'u' (Unsqueeze): output rank 9 exceeds", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,3");
    attr_ints(gb_node(g, "t", "Transpose", "x", "y"), "perm", big, 3);
    gb_infer_fails(g, CG_ERR_INVALID, "perm has 3 entries for an input of rank 2", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "2,3");
    init_i64(g, "s", 1, big, 2);
    init_i64(g, "e", 1, big, 1);
    gb_node(g, "sl", "Slice", "x,s,e", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "starts has 2 entries but ends has 1", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "x", CG_FLOAT, "3");
    init_i64(g, "t", 1, m1_4, 2);
    gb_node(g, "e", "Expand", "x,t", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "node 'e' (Expand): shape element 0 is -1", NULL);
    cg_graph_free(g);

    cg_status st = {0};
    g = gb_graph(13);
    init_i64(g, "d", 1, big, 2);
    cg_node *n = gb_node(g, "c", "ConstantOfShape", "d", "y");
    gb_attr(n, "value", CG_ATTR_TENSOR)->t = cg_tensor_new(CG_FLOAT, 1, (const int64_t[]){2}, &st);
    gb_infer_fails(g, CG_ERR_INVALID, "attribute 'value' must have one element, it has 2", NULL);
    cg_graph_free(g);
}

/* Unknown axes still give the rank; Dropout's mask type and ratio check per opset. */
static void test_unknown_axes_and_dropout_versions(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "x", CG_FLOAT, "3,4");
    input(g, "ax", CG_INT64, "2");
    gb_node(g, "u", "Unsqueeze", "x,ax", "y");
    gb_node(g, "s", "Squeeze", "x,ax", "z");
    gb_infer_ok(g);
    assert_string_equal(shape_of(g, "y"), "[?,?,?,?]");
    assert_string_equal(shape_of(g, "z"), "?");
    cg_graph_free(g);

    g = gb_graph(7);
    input(g, "x", CG_DOUBLE, "3,4");
    gb_node(g, "d", "Dropout", "x", "y,mask");
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "mask")->dtype, CG_DOUBLE);
    cg_graph_free(g);

    cg_status st = {0};
    g = gb_graph(12);
    input(g, "x", CG_FLOAT, "3,4");
    cg_tensor *r = cg_tensor_new(CG_FLOAT, 0, NULL, &st);
    ((float *)r->data)[0] = 1.5f;
    gb_initializer(g, "ratio", r);
    gb_node(g, "d", "Dropout", "x,ratio", "y");
    gb_infer_fails(g, CG_ERR_INVALID, "node 'd' (Dropout): ratio 1.5 is outside [0, 1)", NULL);
    cg_graph_free(g);
}

/* ---- random graphs ---- */

/* A fixed-seed generator, so a failure reproduces. */
static uint64_t rng_state = 88172645463325252u;
static int rnd(int n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (int)(rng_state % (uint64_t)n);
}

/* Small numbers around the interesting range, plus the extremes exporters write. */
static int64_t rnd_value(void)
{
    static const int64_t extremes[] = {INT64_MIN, INT64_MAX, INT32_MAX, INT32_MIN};
    return rnd(8) == 0 ? extremes[rnd(4)] : rnd(13) - 5;
}

static void rnd_input(cg_graph *g, const char *name)
{
    static const char *const specs[] = {"", "0", "1", "N", "?", "2,3", "N,1,4", "1,?,3,2", "4,N,2,1,3"};
    input(g, name, rnd(3) ? CG_FLOAT : CG_INT64, specs[rnd(9)]);
    if (rnd(6) == 0)
        gb_find(g, name)->shape = cg_shape_unknown();
}

static void rnd_init(cg_graph *g, const char *name)
{
    cg_status st = {0};
    int64_t n = rnd(6);
    int rank = rnd(4) == 0 ? 0 : 1;
    cg_tensor *t = cg_tensor_new(rnd(5) == 0 ? CG_INT32 : CG_INT64, rank, &n, &st);
    for (int64_t k = 0; k < t->numel; k++)
        cg_tensor_set_i64(t, k, rnd_value());
    gb_initializer(g, name, t);
}

static void rnd_attrs(cg_node *n)
{
    static const char *const names[] = {"axis", "axes", "perm", "shape", "split", "starts", "ends",
                                        "pads", "to", "start", "end", "allowzero", "value",
                                        "value_int", "value_ints", "mode"};
    cg_status st = {0};
    for (int k = rnd(4); k > 0; k--) {
        cg_attr *a = gb_attr(n, names[rnd(16)], (cg_attr_type[]){CG_ATTR_INT, CG_ATTR_INTS,
                                                              CG_ATTR_STRING, CG_ATTR_TENSOR}[rnd(4)]);
        int64_t len = rnd(3);
        a->i = rnd_value();
        a->n = a->type == CG_ATTR_INTS ? rnd(9) : 0;
        a->ints = calloc((size_t)a->n + 1, sizeof *a->ints);
        for (int j = 0; j < a->n; j++)
            a->ints[j] = rnd_value();
        if (a->type == CG_ATTR_STRING)
            a->s = strdup(rnd(2) ? "reflect" : "INT64");
        if (a->type == CG_ATTR_TENSOR && rnd(4))
            a->t = cg_tensor_new(rnd(2) ? CG_FLOAT : CG_INT64, 1, &len, &st);
    }
}

/* Two random shape ops over random inputs, attributes and opsets: inference either
 * succeeds or fails with one line naming the node (run under ASan/UBSan too). */
static void test_random_graphs_fail_cleanly(void **state)
{
    (void)state;
    static const char *const ops[] = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
                                      "Concat", "Split", "Shape", "Gather", "Slice", "Expand",
                                      "Pad", "Identity", "Dropout", "Constant",
                                      "ConstantOfShape", "Cast"};
    static const char *const ins[] = {"x", "y", "a", "b", "c", "s", "o1", ""};
    static const int opsets[] = {1, 2, 5, 9, 10, 11, 12, 13, 14, 15, 17};
    int passed = 0;
    for (int it = 0; it < 4000; it++) {
        cg_graph *g = gb_graph(opsets[rnd(11)]);
        rnd_input(g, "x");
        rnd_input(g, "y");
        rnd_init(g, "a");
        rnd_init(g, "b");
        rnd_init(g, "c");
        gb_node(g, "shape", "Shape", "y", "s");
        for (int k = 0; k < 2; k++) {
            char in[64] = "", out[32];
            for (int m = 0, count = 1 + rnd(5); m < count; m++) /* o1, "" only in node 2 */
                snprintf(in + strlen(in), sizeof in - strlen(in), "%s%s", m ? "," : "",
                         ins[rnd(k ? 8 : 6)]);
            snprintf(out, sizeof out, k ? "p1,p2" : "o1,o2");
            rnd_attrs(gb_node(g, k ? "n2" : "n1", ops[rnd(17)], in, out));
        }
        cg_status st;
        if (infer(g, &st) == CG_OK) {
            passed++;
        } else {
            assert_null(strchr(st.msg, '\n'));
            if (strncmp(st.msg, "test.onnx: node 'n", 18) != 0)
                fail_msg("iteration %d: '%s'", it, st.msg);
        }
        cg_graph_free(g);
    }
    assert_in_range(passed, 200, 3800); /* both outcomes are exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pytorch_flatten_chain_keeps_symbolic_batch),
        cmocka_unit_test(test_flatten_chain_folds_when_static),
        cmocka_unit_test(test_shape_start_end),
        cmocka_unit_test(test_reshape_zero_and_minus_one),
        cmocka_unit_test(test_reshape_errors_name_shapes),
        cmocka_unit_test(test_reshape_allowzero_and_opset1),
        cmocka_unit_test(test_reshape_unknown_target_keeps_rank),
        cmocka_unit_test(test_slice_negative_clamped_and_steps),
        cmocka_unit_test(test_slice_multi_axis_and_symbolic),
        cmocka_unit_test(test_slice_folds_vectors_and_opset1),
        cmocka_unit_test(test_squeeze_unsqueeze_both_opset_styles),
        cmocka_unit_test(test_squeeze_rules),
        cmocka_unit_test(test_concat_symbolic_dims),
        cmocka_unit_test(test_concat_errors),
        cmocka_unit_test(test_split_equal_and_explicit),
        cmocka_unit_test(test_split_folds_contents),
        cmocka_unit_test(test_pad_negative_and_modes),
        cmocka_unit_test(test_expand_broadcasts),
        cmocka_unit_test(test_constant_variants),
        cmocka_unit_test(test_constant_errors),
        cmocka_unit_test(test_constant_of_shape),
        cmocka_unit_test(test_transpose_and_flatten),
        cmocka_unit_test(test_transpose_folds),
        cmocka_unit_test(test_gather_shapes_and_bounds),
        cmocka_unit_test(test_gather_folds),
        cmocka_unit_test(test_cast_identity_dropout),
        cmocka_unit_test(test_cast_folds),
        cmocka_unit_test(test_opset_specific_forms),
        cmocka_unit_test(test_contents_fold_through_data_ops),
        cmocka_unit_test(test_registry_has_every_version),
        cmocka_unit_test(test_bad_inputs_fail_cleanly),
        cmocka_unit_test(test_unknown_axes_and_dropout_versions),
        cmocka_unit_test(test_random_graphs_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
