/* Graph passes for the converter. Each rewrites the graph in place and leaves one
 * that sorts and infers; what it did is counted in a cg_pass_report, and every
 * node it had to leave alone gets a note saying which node and why. */
#ifndef CONVGRAPH_PASSES_H
#define CONVGRAPH_PASSES_H

#include <stdint.h>

#include "convgraph/graph.h"
#include "convgraph/infer.h"

typedef struct cg_pass_report {
    int changed;        /* nodes rewritten, folded or removed; values declared */
    cg_diag_list notes; /* one line per node left as it was, and why */
} cg_pass_report;

void cg_pass_report_free(cg_pass_report *r);

/* Conv, ConvTranspose, MaxPool, AveragePool and LpPool with auto_pad SAME_UPPER,
 * SAME_LOWER or VALID get explicit `pads` (from node->window, i.e. padding.c,
 * after inference with opt's pins) and lose auto_pad. ConvTranspose also gets
 * the output_padding that keeps its output size, and loses output_shape. Nodes
 * whose pads depend on a symbolic dim keep auto_pad, with a note. Pads resolved
 * through a pin hold for the pinned size only: run cg_pass_pin_shapes with the
 * same pins so the model declares that size. */
cg_code cg_pass_explicit_pads(cg_graph *g, const cg_infer_options *opt, cg_pass_report *rep,
                              cg_status *st);

/* Infers shapes with opt's pins, makes each pinned graph input's declared shape
 * the pinned one, and declares every other value's inferred dtype and shape
 * (what ONNX calls value_info) where the dtype and rank are known. */
cg_code cg_pass_pin_shapes(cg_graph *g, const cg_infer_options *opt, cg_pass_report *rep,
                           cg_status *st);

/* Nodes whose inputs are all initializers (Constant nodes included), and whose
 * outputs hold at most max_elements elements each, are run once with the
 * reference kernels and replaced by initializers. Random ops are left alone. */
cg_code cg_pass_fold_constants(cg_graph *g, int64_t max_elements, cg_pass_report *rep,
                               cg_status *st);

/* BatchNormalization (inference mode) right after a Conv whose output it alone
 * reads, with constant float32 parameters and Conv weights, is folded into the
 * Conv's W and B; the Conv then produces the BN's output (name kept). */
cg_code cg_pass_fold_batchnorm(cg_graph *g, cg_pass_report *rep, cg_status *st);

/* Removes Identity, inference-mode Dropout and Pad by zero everywhere,
 * rewiring their consumers. When
 * the removed node's output is a graph output, the producer of its input takes
 * that name instead. */
cg_code cg_pass_drop_identity(cg_graph *g, cg_pass_report *rep, cg_status *st);

/* A float32 Conv whose output alone feeds a Relu, Clip (constant bounds),
 * LeakyRelu, HardSwish, Sigmoid or HardSigmoid, or feeds only x * Sigmoid(x)
 * (SiLU) or x * HardSigmoid(x) with alpha 1/6 and beta 1/2 (HardSwish), or an
 * Add with another tensor of the same shape (optionally followed by one of
 * those activations), computes them in its epilogue: y = act(conv(x, W) + B + Z).
 * The Conv gets the internal attributes cg.activation, cg.alpha, cg.beta,
 * cg.min, cg.max and Z as a 4th input, and
 * writes the last fused node's output (name kept). The Conv output must not be
 * a graph output. Only for executors whose Conv kernel computes the epilogue;
 * the graph is toposorted again (Z may be produced after the Conv). */
cg_code cg_pass_fuse_conv_epilogue(cg_graph *g, cg_pass_report *rep, cg_status *st);

/* Reshape [N,C,H,W] -> [N,G,C/G,H,W], Transpose (0,2,1,3,4), Reshape back to
 * [N,C,H,W] (ShuffleNet's channel shuffle, static shapes inferred, nothing else
 * reading the middle values) becomes one internal convgraph.ChannelShuffle
 * node with groups G, writing the last Reshape's output (name kept). For
 * executors (the op is convgraph's own); the graph is toposorted again. */
cg_code cg_pass_fuse_channel_shuffle(cg_graph *g, cg_pass_report *rep, cg_status *st);

#endif
