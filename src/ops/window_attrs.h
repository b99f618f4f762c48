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

/* ---- shared by the window kernels (conv.c, pool.c) ---- */

/* Spatial axes of a run, right-aligned into 3 so one triple loop serves 1-D to 3-D:
 * a missing leading axis has size 1, kernel 1, stride 1, dilation 1 and no pads. */
enum { CG_RUN_AXES = 3 };

typedef struct cg_run_window {
    int spatial;
    int64_t in[CG_RUN_AXES], out[CG_RUN_AXES];
    int64_t kernel[CG_RUN_AXES], stride[CG_RUN_AXES], dilation[CG_RUN_AXES];
    int64_t pad_begin[CG_RUN_AXES], pad_end[CG_RUN_AXES];
    int64_t in_size, out_size, kernel_size; /* products over the axes */
} cg_run_window;

/* Fills rw from node->window (kernel, strides, dilations, the pads padding.c
 * resolved) and the spatial dims of the channels-first tensors x (input) and y
 * (output); fails when the node has no resolved window or the tensors disagree
 * with it. For ConvTranspose too, x is the input and y the output: its kernel
 * scatters x through the same geometry that Conv gathers with. */
cg_code cg_run_window_get(cg_run_ctx *c, const cg_tensor *x, const cg_tensor *y,
                          cg_run_window *rw);

/* The taps k (lo <= k < hi) of a window starting at `start` with dilation d and
 * k_count taps whose position start + k*d falls in [from, to). */
void cg_run_tap_range(int64_t start, int64_t d, int64_t k_count, int64_t from, int64_t to,
                      int64_t *lo, int64_t *hi);

/* The dtypes the window kernels compute: float32, float64, float16, int8, uint8
 * (all exact in a double). Fails with CG_ERR_UNSUPPORTED naming the input else. */
cg_code cg_run_require_window_dtype(cg_run_ctx *c, const char *name, const cg_tensor *t);

/* A malloc'd copy of t's elements as doubles (at least one element is allocated,
 * so an empty tensor gives a valid pointer); NULL with the status set on failure. */
double *cg_run_load_f64(cg_run_ctx *c, const cg_tensor *t);

/* Element i of t = v, converted to t's dtype (rounded and saturated for ints). */
void cg_run_store_f64(cg_tensor *t, int64_t i, double v);

#endif
