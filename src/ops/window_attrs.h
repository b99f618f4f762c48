/* Shared by the window-ops family (conv.c, pool.c, norm.c, matmul.c): reading the
 * ONNX window attributes of a node into a cg_window, resolving its geometry through
 * padding.c (never inline), and the overflow-checked arithmetic of MAC counts. */
#ifndef CG_OPS_WINDOW_ATTRS_H
#define CG_OPS_WINDOW_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convgraph/ops.h"

/* Fails with "attribute 'NAME' is not part of OP before opset SINCE" when the node
 * carries the attribute but the model's opset predates the op version that has it. */
cg_code cg_op_refuse_attr_before(cg_infer_ctx *c, const char *attr, int64_t since);

/* Reads an INTS attribute that must hold exactly `want` entries (what the message
 * calls `what`, e.g. "2 spatial dims"). Absent: *present = false, out untouched. */
cg_code cg_op_read_ints(cg_infer_ctx *c, const char *name, int want, const char *what,
                        int64_t *out, bool *present);

/* cg_op_read_ints for a per-spatial-axis attribute (kernel_shape, strides, ...). */
cg_code cg_op_read_spatial_ints(cg_infer_ctx *c, const char *name, int spatial, int64_t *out,
                                bool *present);

/* Reads an INT attribute that must be 0 or 1 (ceil_mode, count_include_pad, ...). */
cg_code cg_op_read_flag(cg_infer_ctx *c, const char *name, bool dflt, bool *out);

/* Reads strides, dilations, pads, auto_pad and, for pools, ceil_mode into w, which
 * the caller set up with cg_window_init (and gated by opset beforehand). */
cg_code cg_window_read_attrs(cg_infer_ctx *c, cg_window *w);

/* Validates w, resolves it for the spatial input dims `in` (w->spatial of them),
 * writes the output spatial dims to out and stores the report in node->window.
 * Padding errors come back prefixed with the node. */
cg_code cg_window_resolve_node(cg_infer_ctx *c, const cg_window *w, const cg_dim *in,
                               cg_dim *out);

/* Spatial rank of a channels-first input of rank `rank`: fails unless 1..3. */
cg_code cg_window_spatial_rank(cg_infer_ctx *c, const char *input, int rank, int *spatial);

/* Fails unless t (when defined) is a floating-point dtype: "X is int64 but ...". */
cg_code cg_op_require_float(cg_infer_ctx *c, const char *name, cg_dtype t);

/* Fails unless a and b (when both defined) are the same floating-point dtype,
 * naming both: "X is float32 but W is float16". */
cg_code cg_op_require_same_float(cg_infer_ctx *c, const char *a_name, cg_dtype a,
                                 const char *b_name, cg_dtype b);

/* acc * d for MAC counts: -1 when acc is already -1, d is not a known number, or
 * the product overflows int64. */
int64_t cg_macs_mul(int64_t acc, cg_dim d);
int64_t cg_macs_mul_int(int64_t acc, int64_t v);

/* "[3,3]" for n int64s, for messages. */
const char *cg_ints_format(const int64_t *v, int n, char *buf, size_t len);

#endif
