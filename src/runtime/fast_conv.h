/* The fast path behind the Conv reference kernel (src/ops/conv.c).
 * Built on oneDNN when CMake found it (CG_HAVE_DNNL); without it every call
 * declines and the reference kernel runs. The contract of the fused epilogue
 * (cg.activation, cg.alpha, cg.min, cg.max, input Z) is documented in conv.c. */
#ifndef CG_RUNTIME_FAST_CONV_H
#define CG_RUNTIME_FAST_CONV_H

#include <stdbool.h>

#include "convgraph/ops.h"

typedef enum cg_conv_act {
    CG_CONV_ACT_NONE = 0,
    CG_CONV_ACT_RELU,
    CG_CONV_ACT_CLIP,
    CG_CONV_ACT_LEAKY_RELU,
    CG_CONV_ACT_HARD_SWISH,
    CG_CONV_ACT_SIGMOID,
    CG_CONV_ACT_HARD_SIGMOID, /* max(0, min(1, alpha * x + beta)) */
    CG_CONV_ACT_SWISH,        /* x * sigmoid(x): Sigmoid and Mul (SiLU) fused */
} cg_conv_act;

/* y = act(conv(x, W) + B + Z): what a fusion pass folded into one Conv node. */
typedef struct cg_conv_epilogue {
    cg_conv_act act;
    float alpha, beta;    /* LeakyRelu slope; HardSigmoid's alpha and beta */
    float min, max;       /* Clip bounds */
    const cg_tensor *z;   /* NULL when the node has no 4th input */
} cg_conv_epilogue;

/* The activation named by cg.activation, or -1 when the name is unknown. */
int cg_conv_act_parse(const char *name);

/* The cg.* attributes of a fused epilogue, read without judging them (the
 * Conv shape function does that); ep->z is left NULL. */
void cg_conv_epilogue_read(const cg_node *n, cg_conv_epilogue *ep);

/* The activation applied to one value (the reference epilogue, in doubles). */
double cg_conv_act_apply(const cg_conv_epilogue *ep, double v);

/* Runs a Conv node on the fast path when it covers it (float32, 1-D or 2-D,
 * any groups/strides/dilations/pads, NCHW or, with cg.layout, NHWC storage): returns true and sets *rc. Returns
 * false, touching nothing, when the case is not covered (or oneDNN is absent):
 * the caller then runs the reference kernel. Prepared primitives and reordered
 * weights are cached in c->state and rebuilt when shapes change. */
bool cg_fast_conv_run(cg_run_ctx *c, const cg_conv_epilogue *ep, cg_code *rc);

/* Whether the fast path runs Conv node n channels-last (cg.layout NHWC) at the
 * shapes inference gave g, with the node's epilogue: asked by the layout pass before it puts a
 * Conv in NHWC, so a case oneDNN only has a reference kernel for stays NCHW. */
bool cg_fast_conv_nhwc_ok(const cg_graph *g, const cg_node *n);

/* True when a fast path was compiled in (for tests and benchmarks). */
bool cg_fast_conv_available(void);
/* How many Conv runs the fast path has taken in this process (tests check that
 * the cases they mean for it do reach it). */
long cg_fast_conv_runs(void);
/* For tests: make the per-layer choice take candidate `which` only (0: oneDNN
 * in the layout it picks, 1: oneDNN on NCHW, both with NCHW-stored tensors;
 * 2: channels-last storage, the layout pass's choice); -1 (default): the layout
 * pass puts what it can in NHWC and the rest is timed between 0 and 1. Applies
 * to sessions made and states prepared after the call. */
void cg_fast_conv_force_candidate(int which);

#endif
