/* Shape functions of the window-ops family: Conv, ConvTranspose, the pools,
 * BatchNormalization/InstanceNormalization, Gemm and MatMul. Each test builds a
 * small graph through graph.h, runs cg_graph_infer_shapes and checks shapes,
 * pads (node->window), MACs or the error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convgraph/convgraph.h"
#include "support/graph_build.h"

/* ------------------------------------------------------------ graph builders */

/* A graph input with a declared dtype and shape ("1,3,N,?"; NULL: unknown rank). */
static void input(cg_graph *g, const char *name, cg_dtype dtype, const char *shape)
{
    gb_input(g, name, dtype, gb_parse_shape(g, shape));
}

/* An initializer: zero-filled float contents of a static shape. */
static void weight(cg_graph *g, const char *name, const char *shape)
{
    cg_shape s = gb_parse_shape(g, shape);
    int64_t dims[CG_MAX_RANK];
    for (int i = 0; i < s.rank; i++)
        dims[i] = s.d[i].v;
    gb_initializer(g, name, gb_tensor(CG_FLOAT, s.rank, dims, NULL));
}

/* ------------------------------------------------------------ checks */

/* Inference fails (invalid model) and the message contains every given fragment. */
static void infer_fails(cg_graph *g, const char *frag1, const char *frag2)
{
    gb_infer_fails(g, CG_ERR_INVALID, frag1, frag2);
}

static void assert_pads(const cg_node *n, int axis, int64_t begin, int64_t end)
{
    assert_non_null(n->window);
    assert_int_equal(n->window->axes[axis].pad_begin, begin);
    assert_int_equal(n->window->axes[axis].pad_end, end);
}

/* ------------------------------------------------------------ Conv */

/* The field example (DESIGN.md): 64x64x3, 6 filters 4x4, stride 2. */
static cg_graph *field_conv(const char *auto_pad)
{
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,64,64");
    weight(g, "W", "6,3,4,4");
    cg_node *n = gb_node(g, "conv1", "Conv", "X,W", "Y");
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_attr_str(n, "auto_pad", auto_pad);
    return g;
}

static void test_conv_same_upper_field_example(void **state)
{
    (void)state;
    cg_graph *g = field_conv("SAME_UPPER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,6,32,32]");
    assert_int_equal(gb_find(g, "Y")->dtype, CG_FLOAT);
    assert_pads(&g->nodes[0], 0, 1, 1); /* TF: total = (32-1)*2+4-64 = 2 -> 1/1 */
    assert_pads(&g->nodes[0], 1, 1, 1);
    assert_int_equal(g->nodes[0].macs, 1LL * 6 * 32 * 32 * 3 * 4 * 4);
    cg_graph_free(g);
}

static void test_conv_valid_field_example(void **state)
{
    (void)state;
    cg_graph *g = field_conv("VALID");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,6,31,31]"); /* ceil((64-4+1)/2) */
    assert_pads(&g->nodes[0], 0, 0, 0);
    assert_pads(&g->nodes[0], 1, 0, 0);
    assert_int_equal(g->nodes[0].macs, 1LL * 6 * 31 * 31 * 3 * 16);
    cg_graph_free(g);
}

static void test_conv_kernel_shape_from_w(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(11);
    input(g, "X", CG_FLOAT, "2,3,10,12");
    weight(g, "W", "8,3,3,5");
    weight(g, "B", "8");
    cg_node *n = gb_node(g, "c", "Conv", "X,W,B", "Y");
    gb_attr_ints_csv(n, "pads", "1,2,1,2");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[2,8,10,12]");
    assert_pads(&g->nodes[0], 1, 2, 2);
    assert_int_equal(g->nodes[0].window->w.kernel[1], 5);
    cg_graph_free(g);
}

static void test_conv_kernel_shape_disagrees_with_w(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(11);
    input(g, "X", CG_FLOAT, "1,3,10,10");
    weight(g, "W", "8,3,3,3");
    gb_attr_ints_csv(gb_node(g, "c", "Conv", "X,W", "Y"), "kernel_shape", "5,5");
    infer_fails(g, "node 'c' (Conv): kernel_shape [5,5]", "W of shape [8,3,3,3]");
    cg_graph_free(g);
}

static void test_conv_depthwise_group(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,32,56,56");
    weight(g, "W", "32,1,3,3");
    cg_node *n = gb_node(g, "dw", "Conv", "X,W", "Y");
    gb_attr_int(n, "group", 32);
    gb_attr_ints_csv(n, "pads", "1,1,1,1");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,32,56,56]");
    assert_int_equal(g->nodes[0].macs, 1LL * 32 * 56 * 56 * 1 * 9);
    cg_graph_free(g);
}

static void test_conv_channel_mismatch(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    weight(g, "W", "5,4,3,3");
    gb_node(g, "conv1", "Conv", "X,W", "Y");
    infer_fails(g, "test.onnx: node 'conv1' (Conv): input X has 3 channels but W expects 4 "
                   "(group 1)", NULL);
    cg_graph_free(g);
}

static void test_conv_group_must_divide_m(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,4,8,8");
    weight(g, "W", "5,2,3,3");
    gb_attr_int(gb_node(g, "g", "Conv", "X,W", "Y"), "group", 2);
    infer_fails(g, "W has 5 output channels, not a multiple of group 2", NULL);
    cg_graph_free(g);
}

static void test_conv_bias_length(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    weight(g, "W", "6,3,3,3");
    weight(g, "B", "4");
    gb_node(g, "c", "Conv", "X,W,B", "Y");
    infer_fails(g, "B has shape [4] but the op has 6 output channels", NULL);
    cg_graph_free(g);
}

static void test_conv_dtype_mismatch(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    input(g, "W", CG_FLOAT16, "6,3,3,3");
    gb_node(g, "c", "Conv", "X,W", "Y");
    infer_fails(g, "X is float32 but W is float16", NULL);
    cg_graph_free(g);
}

static void test_conv_1d_and_3d(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,2,100");
    weight(g, "W", "4,2,5");
    cg_node *n = gb_node(g, "c1", "Conv", "X,W", "Y");
    gb_attr_ints_csv(n, "strides", "3");
    gb_attr_ints_csv(n, "dilations", "2");
    input(g, "V", CG_FLOAT, "1,2,9,16,16");
    weight(g, "K", "4,2,3,3,3");
    gb_attr_str(gb_node(g, "c3", "Conv", "V,K", "Z"), "auto_pad", "SAME_LOWER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,4,31]"); /* floor((100-9)/3)+1: dilated kernel 9 */
    gb_expect_shape(g, "Z", "[1,4,9,16,16]");
    assert_pads(&g->nodes[1], 0, 1, 1);
    assert_int_equal(g->nodes[0].macs, 1LL * 4 * 31 * 2 * 5);
    cg_graph_free(g);
}

static void test_conv_symbolic_batch_and_height(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "N,3,H,64");
    weight(g, "W", "8,3,3,3");
    cg_node *n = gb_node(g, "c", "Conv", "X,W", "Y");
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,8,ceil(H/2),32]");
    assert_int_equal(g->nodes[0].window->axes[0].pad_begin, -1); /* depends on H */
    assert_pads(&g->nodes[0], 1, 0, 1); /* total (32-1)*2+3-64 = 1: the odd pixel at the end */
    assert_int_equal(g->nodes[0].macs, -1);
    cg_graph_free(g);
}

static void test_conv_padding_error_names_node(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    weight(g, "W", "6,3,3,3");
    gb_attr_ints_csv(gb_node(g, "bad", "Conv", "X,W", "Y"), "strides", "1,0");
    infer_fails(g, "test.onnx: node 'bad' (Conv): ", "strides");
    cg_graph_free(g);
}

static void test_conv_attribute_length_and_rank(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    weight(g, "W", "6,3,3,3");
    gb_attr_ints_csv(gb_node(g, "c", "Conv", "X,W", "Y"), "pads", "1,1");
    infer_fails(g, "attribute 'pads' has 2 values but Conv needs 4", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    weight(g, "W", "6,3,3");
    gb_node(g, "c", "Conv", "X,W", "Y");
    infer_fails(g, "W has rank 3 but X has rank 4", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8,8");
    weight(g, "W", "6,3,3,3");
    gb_attr_str(gb_node(g, "c", "Conv", "X,W", "Y"), "auto_pad", "SAME");
    infer_fails(g, "auto_pad 'SAME' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3");
    weight(g, "W", "6,3,3,3");
    gb_node(g, "c", "Conv", "X,W", "Y");
    infer_fails(g, "input X has rank 2; Conv takes rank 3 to 5", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,3,8");
    gb_attr_int(gb_node(g, "p", "MaxPool", "X", "Y"), "ceil_mode", 2);
    infer_fails(g, "attribute 'ceil_mode' must be the int 0 or 1", NULL);
    cg_graph_free(g);
}

/* DESIGN.md, where the references disagree: convgraph follows TensorFlow and
 * ONNX shape inference. */
static void test_same_padding_follows_tensorflow(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,1,22,22");
    weight(g, "W", "1,1,3,3");
    cg_node *n = gb_node(g, "dil", "Conv", "X,W", "Y");
    gb_attr_ints_csv(n, "dilations", "2,2");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    input(g, "P", CG_FLOAT, "1,1,5,7");
    n = gb_node(g, "mp", "MaxPool", "P", "Q");
    gb_attr_ints_csv(n, "kernel_shape", "3,3");
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_attr_ints_csv(n, "dilations", "2,2");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    input(g, "L", CG_FLOAT, "1,1,500");
    n = gb_node(g, "wide", "AveragePool", "L", "M");
    gb_attr_ints_csv(n, "kernel_shape", "5");
    gb_attr_ints_csv(n, "strides", "10");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,1,22,22]"); /* dilated kernel 5: pads 2/2 (onnxruntime refuses) */
    assert_pads(&g->nodes[0], 0, 2, 2);
    gb_expect_shape(g, "Q", "[1,1,3,4]"); /* onnxruntime's undilated kernel gives 2x3 */
    assert_pads(&g->nodes[1], 0, 2, 2);
    assert_pads(&g->nodes[1], 1, 2, 2);
    gb_expect_shape(g, "M", "[1,1,50]"); /* stride > kernel: pads clamp at 0 */
    assert_pads(&g->nodes[2], 0, 0, 0);
    cg_graph_free(g);
}

/* ------------------------------------------------------------ ConvTranspose */

/* onnx backend test_convtranspose_output_shape / _kernel_shape / _pads. */
static cg_graph *transpose_graph(void)
{
    cg_graph *g = gb_graph(11);
    input(g, "X", CG_FLOAT, "1,1,3,3");
    weight(g, "W", "1,2,3,3");
    gb_attr_ints_csv(gb_node(g, "up", "ConvTranspose", "X,W", "Y"), "strides", "3,2");
    return g;
}

static void test_conv_transpose_output_shape(void **state)
{
    (void)state;
    cg_graph *g = transpose_graph();
    gb_attr_ints_csv(&g->nodes[0], "output_shape", "10,8");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,2,10,8]");
    assert_int_equal(g->nodes[0].macs, 1LL * 1 * 9 * 2 * 9);
    cg_graph_free(g);

    g = transpose_graph(); /* the full [N, C, H, W] form, as onnxruntime reads it */
    gb_attr_ints_csv(&g->nodes[0], "output_shape", "1,2,10,8");
    gb_attr_ints_csv(&g->nodes[0], "output_padding", "1,1");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,2,10,8]");
    cg_graph_free(g);
}

static void test_conv_transpose_output_padding_and_pads(void **state)
{
    (void)state;
    cg_graph *g = transpose_graph();
    gb_attr_ints_csv(&g->nodes[0], "output_padding", "1,1");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,2,10,8]"); /* 3*(3-1)+1+3, 2*(3-1)+1+3 */
    cg_graph_free(g);

    g = transpose_graph();
    gb_attr_ints_csv(&g->nodes[0], "pads", "1,2,1,2");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,2,7,3]");
    assert_pads(&g->nodes[0], 1, 2, 2);
    cg_graph_free(g);
}

/* DESIGN.md: with output_padding and SAME, the auto_pad text (n * stride) wins. */
static void test_conv_transpose_same_with_output_padding(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,1,3,3");
    weight(g, "W", "1,1,3,3");
    cg_node *n = gb_node(g, "up", "ConvTranspose", "X,W", "Y");
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_attr_ints_csv(n, "output_padding", "1,1");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,1,6,6]");
    cg_graph_free(g);
}

static void test_conv_transpose_channels_and_group(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(11);
    input(g, "X", CG_FLOAT, "N,4,5,5");
    weight(g, "W", "4,3,3,3");
    cg_node *n = gb_node(g, "up", "ConvTranspose", "X,W", "Y");
    gb_attr_int(n, "group", 2);
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,6,10,10]"); /* M = W.dim1 * group; SAME: n * stride */
    cg_graph_free(g);

    g = gb_graph(11);
    input(g, "X", CG_FLOAT, "1,3,5,5");
    weight(g, "W", "4,2,3,3");
    gb_node(g, "up", "ConvTranspose", "X,W", "Y");
    infer_fails(g, "input X has 3 channels but W expects 4", NULL);
    cg_graph_free(g);
}

/* ------------------------------------------------------------ pools */

static void test_max_pool_with_indices(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(12);
    input(g, "X", CG_FLOAT, "1,3,32,32");
    cg_node *n = gb_node(g, "mp", "MaxPool", "X", "Y,I");
    gb_attr_ints_csv(n, "kernel_shape", "2,2");
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,3,16,16]");
    gb_expect_shape(g, "I", "[1,3,16,16]");
    assert_int_equal(gb_find(g, "I")->dtype, CG_INT64);
    assert_int_equal(g->nodes[0].macs, 0);
    assert_pads(&g->nodes[0], 0, 0, 0);
    cg_graph_free(g);

    g = gb_graph(7); /* Indices came with MaxPool-8 */
    input(g, "X", CG_FLOAT, "1,3,32,32");
    gb_attr_ints_csv(gb_node(g, "mp", "MaxPool", "X", "Y,I"), "kernel_shape", "2,2");
    infer_fails(g, "MaxPool before opset 8 has one output", NULL);
    cg_graph_free(g);
}

/* One pool node with one extra attribute at the given opset; expects failure. */
static void gated_attr_fails(const char *op, int64_t opset, const char *attr, const char *msg)
{
    cg_graph *g = gb_graph(opset);
    input(g, "X", CG_FLOAT, "1,1,8,8");
    cg_node *n = gb_node(g, "p", op, "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "2,2");
    if (strcmp(attr, "dilations") == 0)
        gb_attr_ints_csv(n, attr, "2,2");
    else
        gb_attr_int(n, attr, 1);
    infer_fails(g, msg, NULL);
    cg_graph_free(g);
}

static void test_pool_attributes_gated_by_opset(void **state)
{
    (void)state;
    gated_attr_fails("MaxPool", 9, "dilations",
                     "attribute 'dilations' is not part of MaxPool before opset 10");
    gated_attr_fails("MaxPool", 9, "ceil_mode",
                     "attribute 'ceil_mode' is not part of MaxPool before opset 10");
    gated_attr_fails("MaxPool", 7, "storage_order",
                     "attribute 'storage_order' is not part of MaxPool before opset 8");
    gated_attr_fails("AveragePool", 18, "dilations",
                     "attribute 'dilations' is not part of AveragePool before opset 19");
    gated_attr_fails("AveragePool", 9, "ceil_mode",
                     "attribute 'ceil_mode' is not part of AveragePool before opset 10");
    gated_attr_fails("AveragePool", 6, "count_include_pad",
                     "attribute 'count_include_pad' is not part of AveragePool before opset 7");
    gated_attr_fails("AveragePool", 19, "storage_order",
                     "attribute 'storage_order' is not part of AveragePool");
    gated_attr_fails("LpPool", 17, "ceil_mode",
                     "attribute 'ceil_mode' is not part of LpPool before opset 18");

    /* the same attributes are accepted from their versions on */
    cg_graph *g = gb_graph(19);
    input(g, "X", CG_FLOAT, "1,1,8,8");
    cg_node *n = gb_node(g, "p", "AveragePool", "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "3,3");
    gb_attr_ints_csv(n, "dilations", "2,2");
    gb_attr_int(n, "count_include_pad", 1);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,1,4,4]"); /* 8 - ((3-1)*2+1) + 1 */
    cg_graph_free(g);
}

static void test_pool_requires_kernel_shape(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,1,8,8");
    gb_node(g, "p", "MaxPool", "X", "Y");
    infer_fails(g, "attribute 'kernel_shape' is required", NULL);
    cg_graph_free(g);
}

static void test_pools_1d_and_3d(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,4,10");
    cg_node *n = gb_node(g, "p1", "MaxPool", "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "3");
    gb_attr_ints_csv(n, "strides", "2");
    input(g, "V", CG_FLOAT, "2,2,8,9,10");
    n = gb_node(g, "p3", "AveragePool", "V", "Z");
    gb_attr_ints_csv(n, "kernel_shape", "2,2,2");
    gb_attr_ints_csv(n, "strides", "2,2,2");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    input(g, "L", CG_FLOAT, "1,2,7,7");
    n = gb_node(g, "lp", "LpPool", "L", "LY");
    gb_attr_ints_csv(n, "kernel_shape", "3,3");
    gb_attr_int(n, "p", 3);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,4,4]"); /* floor((10-3)/2)+1 */
    gb_expect_shape(g, "Z", "[2,2,4,5,5]");
    assert_pads(&g->nodes[1], 1, 0, 1); /* 9 -> 5: total (5-1)*2+2-9 = 1 at the end */
    gb_expect_shape(g, "LY", "[1,2,5,5]");
    cg_graph_free(g);
}

static void test_pool_ceil_mode(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "1,1,32");
    cg_node *n = gb_node(g, "p", "MaxPool", "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "3");
    gb_attr_ints_csv(n, "strides", "2");
    gb_attr_int(n, "ceil_mode", 1);
    /* DESIGN.md: n5 k3 s3; a last window starting in the end padding is dropped */
    input(g, "S", CG_FLOAT, "1,1,5");
    n = gb_node(g, "end", "MaxPool", "S", "A");
    gb_attr_ints_csv(n, "kernel_shape", "3");
    gb_attr_ints_csv(n, "strides", "3");
    gb_attr_ints_csv(n, "pads", "0,2");
    gb_attr_int(n, "ceil_mode", 1);
    n = gb_node(g, "begin", "MaxPool", "S", "B");
    gb_attr_ints_csv(n, "kernel_shape", "3");
    gb_attr_ints_csv(n, "strides", "3");
    gb_attr_ints_csv(n, "pads", "2,0");
    gb_attr_int(n, "ceil_mode", 1);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,1,16]"); /* ceil((32-3)/2)+1; floor would give 15 */
    gb_expect_shape(g, "A", "[1,1,2]");
    gb_expect_shape(g, "B", "[1,1,3]");
    cg_graph_free(g);
}

static void test_pool_symbolic_dims(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "N,16,H,W");
    cg_node *n = gb_node(g, "p", "MaxPool", "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "2,2");
    gb_attr_ints_csv(n, "strides", "2,2");
    gb_attr_str(n, "auto_pad", "SAME_UPPER");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,16,ceil(H/2),ceil(W/2)]");
    cg_graph_free(g);
}

static void test_global_pools(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, "N,64,7,7");
    gb_node(g, "gap", "GlobalAveragePool", "X", "Y");
    input(g, "V", CG_FLOAT16, "1,8,4,5,6");
    gb_node(g, "gmp", "GlobalMaxPool", "V", "Z");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,64,1,1]");
    gb_expect_shape(g, "Z", "[1,8,1,1,1]");
    assert_int_equal(gb_find(g, "Z")->dtype, CG_FLOAT16);
    assert_int_equal(g->nodes[0].macs, 0);
    cg_graph_free(g);
}

/* LpPool-1 has a float p, LpPool-2 an int p. */
static void test_lp_pool_p_type_by_version(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(1);
    input(g, "X", CG_FLOAT, "1,2,6");
    cg_node *n = gb_node(g, "lp", "LpPool", "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "2");
    gb_attr_float(n, "p", 2.0f);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,2,5]");
    cg_graph_free(g);

    g = gb_graph(2);
    input(g, "X", CG_FLOAT, "1,2,6");
    n = gb_node(g, "lp", "LpPool", "X", "Y");
    gb_attr_ints_csv(n, "kernel_shape", "2");
    gb_attr_float(n, "p", 2.0f);
    infer_fails(g, "attribute 'p' must be an int at opset 2", NULL);
    cg_graph_free(g);
}

/* MaxPool-12 added int8/uint8; the other pools stay float-only. */
static void test_pool_dtypes(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(12);
    input(g, "X", CG_UINT8, "1,1,4,4");
    gb_attr_ints_csv(gb_node(g, "mp", "MaxPool", "X", "Y"), "kernel_shape", "2,2");
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "Y")->dtype, CG_UINT8);
    cg_graph_free(g);

    g = gb_graph(11);
    input(g, "X", CG_UINT8, "1,1,4,4");
    gb_attr_ints_csv(gb_node(g, "mp", "MaxPool", "X", "Y"), "kernel_shape", "2,2");
    infer_fails(g, "input X is uint8 but must be a float type", NULL);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "X", CG_INT64, "1,1,4,4");
    gb_attr_ints_csv(gb_node(g, "ap", "AveragePool", "X", "Y"), "kernel_shape", "2,2");
    infer_fails(g, "input X is int64 but must be a float type", NULL);
    cg_graph_free(g);
}

/* What is not known stays unknown instead of failing. */
static void test_conv_unknown_operands(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "X", CG_FLOAT, NULL); /* rank unknown: nothing to resolve */
    input(g, "W", CG_FLOAT, "8,3,3,3");
    gb_node(g, "c", "Conv", "X,W", "Y");
    input(g, "X2", CG_FLOAT, "1,3,8,8");
    input(g, "W2", CG_FLOAT, "8,3,k,k"); /* kernel only known symbolically */
    gb_node(g, "c2", "Conv", "X2,W2", "Y2");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "?");
    assert_int_equal(gb_find(g, "Y")->dtype, CG_FLOAT);
    gb_expect_shape(g, "Y2", "[1,8,?,?]");
    assert_null(g->nodes[1].window);
    assert_int_equal(g->nodes[1].macs, -1);
    cg_graph_free(g);
}

/* ------------------------------------------------------------ norms */

static cg_graph *bn_graph(int64_t opset, const char *outputs, const char *stat_len)
{
    cg_graph *g = gb_graph(opset);
    input(g, "X", CG_FLOAT, "N,16,H,W");
    weight(g, "scale", "16");
    weight(g, "B", "16");
    weight(g, "mean", stat_len);
    weight(g, "var", "16");
    gb_node(g, "bn", "BatchNormalization", "X,scale,B,mean,var", outputs);
    return g;
}

static void test_batch_norm_inference_mode(void **state)
{
    (void)state;
    cg_graph *g = bn_graph(15, "Y", "16");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,16,H,W]");
    assert_int_equal(g->nodes[0].macs, 0);
    cg_graph_free(g);

    g = bn_graph(15, "Y", "8");
    infer_fails(g, "mean has shape [8] but X of shape [N,16,H,W] needs [16]", NULL);
    cg_graph_free(g);

    g = bn_graph(15, "Y,rm,rv", "16"); /* running stats only in training mode */
    infer_fails(g, "output 1 (running_mean) exists only with training_mode=1", NULL);
    cg_graph_free(g);
}

static void test_batch_norm_training_mode(void **state)
{
    (void)state;
    cg_graph *g = bn_graph(15, "Y,rm,rv", "16");
    gb_attr_int(&g->nodes[0], "training_mode", 1);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[N,16,H,W]");
    gb_expect_shape(g, "rm", "[16]");
    gb_expect_shape(g, "rv", "[16]");
    cg_graph_free(g);

    g = bn_graph(9, "Y", "16");
    gb_attr_int(&g->nodes[0], "training_mode", 1);
    infer_fails(g, "attribute 'training_mode' is not part of BatchNormalization before opset 14",
                NULL);
    cg_graph_free(g);

    g = bn_graph(9, "Y,m,v,sm,sv", "16"); /* BN-9: four optional statistics outputs */
    gb_infer_ok(g);
    gb_expect_shape(g, "sv", "[16]");
    cg_graph_free(g);
}

static void test_batch_norm_old_per_activation(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(7);
    input(g, "X", CG_FLOAT, "2,3,4,5");
    weight(g, "scale", "3,4,5");
    weight(g, "B", "3,4,5");
    weight(g, "mean", "3,4,5");
    weight(g, "var", "3,4,5");
    gb_attr_int(gb_node(g, "bn", "BatchNormalization", "X,scale,B,mean,var", "Y,m"), "spatial", 0);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[2,3,4,5]");
    gb_expect_shape(g, "m", "[3,4,5]");
    cg_graph_free(g);
}

static void test_batch_norm_dtypes_by_version(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(14); /* BN-14: mean/var may differ from X (type U) */
    input(g, "X", CG_FLOAT16, "1,2,3");
    input(g, "scale", CG_FLOAT16, "2");
    input(g, "B", CG_FLOAT16, "2");
    input(g, "mean", CG_FLOAT, "2");
    input(g, "var", CG_FLOAT, "2");
    gb_attr_int(gb_node(g, "bn", "BatchNormalization", "X,scale,B,mean,var", "Y,rm,rv"),
             "training_mode", 1);
    gb_infer_ok(g);
    assert_int_equal(gb_find(g, "Y")->dtype, CG_FLOAT16);
    assert_int_equal(gb_find(g, "rm")->dtype, CG_FLOAT);
    cg_graph_free(g);

    g = gb_graph(9); /* before 14 all five share T */
    input(g, "X", CG_FLOAT16, "1,2,3");
    input(g, "scale", CG_FLOAT16, "2");
    input(g, "B", CG_FLOAT16, "2");
    input(g, "mean", CG_FLOAT, "2");
    input(g, "var", CG_FLOAT16, "2");
    gb_node(g, "bn", "BatchNormalization", "X,scale,B,mean,var", "Y");
    infer_fails(g, "X is float16 but mean is float32", NULL);
    cg_graph_free(g);
}

static void test_instance_norm(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(6);
    input(g, "X", CG_FLOAT, "1,8,10,10");
    weight(g, "s", "8");
    weight(g, "b", "8");
    gb_node(g, "in", "InstanceNormalization", "X,s,b", "Y");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[1,8,10,10]");
    cg_graph_free(g);

    g = gb_graph(6);
    input(g, "X", CG_FLOAT, "1,8,10,10");
    weight(g, "s", "4");
    weight(g, "b", "8");
    gb_node(g, "in", "InstanceNormalization", "X,s,b", "Y");
    infer_fails(g, "scale has shape [4] but X of shape [1,8,10,10] needs [8]", NULL);
    cg_graph_free(g);
}

/* ------------------------------------------------------------ Gemm, MatMul */

static void test_gemm_transposes_and_bias(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "A", CG_FLOAT, "4,3");
    input(g, "B", CG_FLOAT, "5,4");
    weight(g, "C", "3,1");
    cg_node *n = gb_node(g, "fc", "Gemm", "A,B,C", "Y");
    gb_attr_int(n, "transA", 1);
    gb_attr_int(n, "transB", 1);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[3,5]");
    assert_int_equal(g->nodes[0].macs, 3 * 5 * 4);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "A", CG_FLOAT, "2,3");
    input(g, "B", CG_FLOAT, "4,5");
    gb_node(g, "fc", "Gemm", "A,B", "Y");
    infer_fails(g, "A is [2,3] but B is [4,5]: inner dims 3 and 4 differ", NULL);
    cg_graph_free(g);
}

static void test_gemm_c_broadcast_and_versions(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "A", CG_FLOAT, "4,3");
    input(g, "B", CG_FLOAT, "3,5");
    weight(g, "C", "2,5");
    gb_node(g, "fc", "Gemm", "A,B,C", "Y");
    infer_fails(g, "C of shape [2,5] does not broadcast to the output [4,5]", NULL);
    cg_graph_free(g);

    g = gb_graph(13); /* a symbolic M may equal 2 at run time: no error */
    input(g, "A", CG_FLOAT, "M,3");
    input(g, "B", CG_FLOAT, "3,5");
    weight(g, "C", "2,5");
    gb_node(g, "fc", "Gemm", "A,B,C", "Y");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[M,5]");
    cg_graph_free(g);

    g = gb_graph(9); /* C is required before Gemm-11 */
    input(g, "A", CG_FLOAT, "2,3");
    input(g, "B", CG_FLOAT, "3,5");
    gb_node(g, "fc", "Gemm", "A,B", "Y");
    infer_fails(g, "input 2 is missing", NULL);
    cg_graph_free(g);

    g = gb_graph(6); /* Gemm-6 with broadcast=0 wants C exactly [M, N] */
    input(g, "A", CG_FLOAT, "2,3");
    input(g, "B", CG_FLOAT, "3,5");
    weight(g, "C", "1,5");
    gb_node(g, "fc", "Gemm", "A,B,C", "Y");
    infer_fails(g, "C of shape [1,5] does not equal (broadcast=0) the output [2,5]", NULL);
    gb_attr_int(&g->nodes[0], "broadcast", 1);
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[2,5]");
    cg_graph_free(g);
}

static void test_matmul_broadcasting(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "A", CG_FLOAT, "2,1,3,4");
    input(g, "B", CG_FLOAT, "5,4,6");
    gb_node(g, "mm", "MatMul", "A,B", "Y");
    input(g, "P", CG_FLOAT, "N,7,8");
    input(g, "Q", CG_FLOAT, "8,9");
    gb_node(g, "mm2", "MatMul", "P,Q", "Z");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[2,5,3,6]");
    assert_int_equal(g->nodes[0].macs, 2 * 5 * 3 * 6 * 4);
    gb_expect_shape(g, "Z", "[N,7,9]");
    assert_int_equal(g->nodes[1].macs, -1);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "A", CG_FLOAT, "2,3,4");
    input(g, "B", CG_FLOAT, "3,4,5");
    gb_node(g, "mm", "MatMul", "A,B", "Y");
    infer_fails(g, "shapes [2] and [3] cannot broadcast", NULL);
    cg_graph_free(g);
}

static void test_matmul_1d_operands(void **state)
{
    (void)state;
    cg_graph *g = gb_graph(13);
    input(g, "v", CG_FLOAT, "3");
    input(g, "M", CG_FLOAT, "3,4");
    gb_node(g, "vm", "MatMul", "v,M", "Y");
    input(g, "T", CG_FLOAT, "2,3,4");
    input(g, "u", CG_FLOAT, "4");
    gb_node(g, "tv", "MatMul", "T,u", "Z");
    gb_node(g, "dot", "MatMul", "v,v", "S");
    gb_infer_ok(g);
    gb_expect_shape(g, "Y", "[4]");
    gb_expect_shape(g, "Z", "[2,3]");
    gb_expect_shape(g, "S", "[]");
    assert_int_equal(g->nodes[1].macs, 2 * 3 * 4);
    assert_int_equal(g->nodes[2].macs, 3);
    cg_graph_free(g);

    g = gb_graph(13);
    input(g, "A", CG_FLOAT, "2,3");
    input(g, "B", CG_FLOAT, "4,5");
    gb_node(g, "mm", "MatMul", "A,B", "Y");
    infer_fails(g, "node 'mm' (MatMul): A is [2,3] but B is [4,5]: inner dims 3 and 4 differ",
                NULL);
    cg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_same_upper_field_example),
        cmocka_unit_test(test_conv_valid_field_example),
        cmocka_unit_test(test_conv_kernel_shape_from_w),
        cmocka_unit_test(test_conv_kernel_shape_disagrees_with_w),
        cmocka_unit_test(test_conv_depthwise_group),
        cmocka_unit_test(test_conv_channel_mismatch),
        cmocka_unit_test(test_conv_group_must_divide_m),
        cmocka_unit_test(test_conv_bias_length),
        cmocka_unit_test(test_conv_dtype_mismatch),
        cmocka_unit_test(test_conv_1d_and_3d),
        cmocka_unit_test(test_conv_symbolic_batch_and_height),
        cmocka_unit_test(test_conv_padding_error_names_node),
        cmocka_unit_test(test_conv_attribute_length_and_rank),
        cmocka_unit_test(test_same_padding_follows_tensorflow),
        cmocka_unit_test(test_conv_transpose_output_shape),
        cmocka_unit_test(test_conv_transpose_same_with_output_padding),
        cmocka_unit_test(test_conv_transpose_output_padding_and_pads),
        cmocka_unit_test(test_conv_transpose_channels_and_group),
        cmocka_unit_test(test_max_pool_with_indices),
        cmocka_unit_test(test_pool_attributes_gated_by_opset),
        cmocka_unit_test(test_pool_requires_kernel_shape),
        cmocka_unit_test(test_pools_1d_and_3d),
        cmocka_unit_test(test_pool_ceil_mode),
        cmocka_unit_test(test_pool_symbolic_dims),
        cmocka_unit_test(test_global_pools),
        cmocka_unit_test(test_lp_pool_p_type_by_version),
        cmocka_unit_test(test_pool_dtypes),
        cmocka_unit_test(test_conv_unknown_operands),
        cmocka_unit_test(test_batch_norm_dtypes_by_version),
        cmocka_unit_test(test_batch_norm_inference_mode),
        cmocka_unit_test(test_batch_norm_training_mode),
        cmocka_unit_test(test_batch_norm_old_per_activation),
        cmocka_unit_test(test_instance_norm),
        cmocka_unit_test(test_gemm_transposes_and_bias),
        cmocka_unit_test(test_gemm_c_broadcast_and_versions),
        cmocka_unit_test(test_matmul_broadcasting),
        cmocka_unit_test(test_matmul_1d_operands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
