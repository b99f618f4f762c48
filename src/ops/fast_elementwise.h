/* Float32 fast paths behind the reference elementwise kernels (activation.c,
 * elementwise.c, norm.c), and their channels-last (cg.layout NHWC) variants.
 * The reference kernels compute in double, one element at a time through a
 * function pointer or a broadcast iterator; these are plain loops over
 * contiguous floats that the compiler vectorizes (fast_elementwise.c and
 * fast_norm.c are built with -O3, see CMakeLists.txt). The fast paths run only
 * in FAST sessions; the NHWC ones in every mode, since the storage leaves no
 * NCHW kernel to fall back on. */
#ifndef CG_OPS_FAST_ELEMENTWISE_H
#define CG_OPS_FAST_ELEMENTWISE_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/ops.h"
#include "convgraph/runtime.h" /* cg_run_options: the kernel choice */

/* ---- fast_elementwise.c ---- */

/* y = op(x) over n floats (y may be x) for the node's unary op when it covers
 * it (Relu, LeakyRelu, Elu, Sigmoid, HardSigmoid, HardSwish, Tanh, Exp, Neg,
 * Abs, Sqrt, Reciprocal), with alpha and beta as run_unary reads them, on the
 * session's threads; false (nothing written) for any other op. */
bool cg_fast_unary_f32(const cg_run_ctx *c, double alpha, double beta, const float *x, float *y, int64_t n);

/* y = min(max(x, lo), hi) over n floats (y may be x); NaN stays NaN; an absent
 * bound is -inf / +inf. */
void cg_fast_clip_f32(const cg_run_ctx *c, const float *x, float *y, int64_t n, float lo, float hi);

/* A FAST session's Add/Sub/Mul/Div/Max/Min of two float32 inputs where one has
 * the output's shape and the other too, or is a scalar, or is [N|1,C,1,1] under
 * a rank-4 output. Returns false, writing nothing, in every other case. */
bool cg_fast_binary(cg_run_ctx *c);

/* True when every input of an elementwise node has the output's shape or is a
 * scalar (at least one the output's shape): then element e of the output
 * reads element e (or the scalar) whatever the storage order, so the NCHW
 * kernels are right for a cg.layout NHWC node too (any op, dtype or count). */
bool cg_nhwc_order_blind(const cg_run_ctx *c);

/* A cg.layout NHWC Add/Sub/Mul/Div/Max/Min with a channel vector (indexed per
 * pixel), or equal shapes or a scalar, in every kernel mode; fails with
 * CG_ERR_UNSUPPORTED for any other op, broadcast or dtype. */
cg_code cg_nhwc_binary(cg_run_ctx *c);

/* ---- fast_norm.c: BatchNormalization in inference form ---- */

/* True for a FAST session's float32 X of rank >= 2 with per-channel operands of
 * X's dim 1, no training mode and no statistics output. */
bool cg_fast_batch_norm_applies(const cg_run_ctx *c);
cg_code cg_fast_batch_norm(cg_run_ctx *c);

/* cg.layout NHWC (every kernel mode): channels are the innermost axis; fails
 * with CG_ERR_UNSUPPORTED where the fast path would not apply. */
cg_code cg_nhwc_batch_norm(cg_run_ctx *c);

#endif
