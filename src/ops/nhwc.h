/* Kernels for nodes whose rank-4 activations are stored channels-last: those for
 * which cg_node_is_nhwc (convgraph/ops.h) holds. Their tensors keep the logical
 * dims [N,C,H,W] (shape inference does not change), only the bytes are ordered so
 * that element (n,c,h,w) lives at ((n*H + h)*W + w)*C + c. The op
 * convgraph.Relayout (relayout.c) converts between the two orders. pool.c
 * dispatches here in every kernel mode: the storage is what it is, there is no
 * NCHW kernel to fall back on. (Concat's channels-last copy is in shape_concat.c.) */
#ifndef CG_OPS_NHWC_H
#define CG_OPS_NHWC_H

#include <stdbool.h>

#include "convgraph/ops.h"
#include "ops/window_attrs.h"

/* ---- relayout.c ---- */

/* The rank-4 tensor of logical dims `dims` and element size es at src, stored
 * NCHW, written to dst channels-last (to_nhwc), or the reverse; on c's threads. */
void cg_relayout_data(const cg_run_ctx *c, const void *src, void *dst, const int64_t *dims, size_t es,
                      bool to_nhwc);

/* ---- pool_nhwc.c: float32, rank 4, the geometry of cg_run_window_get ---- */

/* MaxPool (is_max) or AveragePool over the window rw; count_pad as pool.c decides
 * it (explicit pads count in the divisor). Fails unless x and y are float32 rank 4. */
cg_code cg_nhwc_window_pool(cg_run_ctx *c, const cg_run_window *rw, const cg_tensor *x,
                            cg_tensor *y, bool is_max, bool count_pad);

/* GlobalMaxPool (is_max) or GlobalAveragePool: y [N,C,1,1] is the same bytes in
 * either order. Fails unless x is float32 rank 4. */
cg_code cg_nhwc_global_pool(cg_run_ctx *c, bool is_max);

#endif
