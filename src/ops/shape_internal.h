/* Shared pieces of the 'shape' operator family (Reshape, Slice, Concat, ...).
 * The family's one registry table lives in shape.c; the shape functions are
 * spread over shape_*.c by theme and declared here. */
#ifndef CG_OPS_SHAPE_INTERNAL_H
#define CG_OPS_SHAPE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/ops.h"

/* Longest int vector the family evaluates element by element (shape subgraphs). */
#define SHAPE_MAX_VALS 64

/* ---- values of int vectors (shape_util.c); negatives as in cg_dim_of_i64 ---- */
/* Input i as a vector of dims (cg_ctx_in_dimvals). False when unknown or longer
 * than max. */
bool shape_in_vals(const cg_infer_ctx *c, int i, cg_dim *out, int *n, int max);
/* Input i as plain integers; false when any element is not a known number. */
bool shape_in_ints(const cg_infer_ctx *c, int i, int64_t *out, int *n, int max);
/* Records output i as the int vector d[0..n) of dtype dt (rank 0 when scalar,
 * else [n]): as known contents when every element is a number, else as dimvals. */
cg_code shape_set_out_vals(cg_infer_ctx *c, int i, cg_dtype dt, bool scalar,
                           const cg_dim *d, int n);

/* ---- contents folding (shape_util.c) ---- */
/* True when output shape s is static with at most SHAPE_MAX_VALS elements. */
bool shape_is_small(const cg_shape *s);
/* Output i gets known contents of shape s: element k copied from
 * srcs[which ? which[k] : 0] at flat index idx[k]. All sources share one dtype. */
cg_code shape_fold_gather(cg_infer_ctx *c, int i, const cg_shape *s,
                          const cg_tensor *const *srcs, const int *which,
                          const int64_t *idx);
/* Output i gets a copy of t's contents under shape s (same element count). */
cg_code shape_fold_reshape(cg_infer_ctx *c, int i, const cg_tensor *t, const cg_shape *s);
/* Flat index <-> multi-index over dims[0..rank). */
void shape_unravel(const cg_shape *s, int64_t flat, int64_t *idx);
int64_t shape_ravel(const int64_t *dims, int rank, const int64_t *idx);
/* Writes "[2,3]" for messages; returns buf. */
const char *shape_str(const cg_shape *s, char *buf, size_t n);
/* Output rank above CG_MAX_RANK: fails as unsupported. */
cg_code shape_check_rank(cg_infer_ctx *c, int rank);
/* s = the n dims d (a target shape read from a tensor, as ConstantOfShape's
 * and Expand's); fails on a rank above CG_MAX_RANK or a negative dim. */
cg_code shape_from_dims(cg_infer_ctx *c, const cg_dim *d, int n, cg_shape *s);

/* ---- kernel helpers (shape_util.c) ---- */
/* Row-major element strides of dims[0..rank). */
void shape_strides(const int64_t *dims, int rank, int64_t *strides);
/* Copies an n-d block of `dims` elements of es bytes: the element at multi-index i
 * goes from src[src_off + sum i*src_strides] to dst[dst_off + sum i*dst_strides].
 * Strides may be negative or 0; callers keep every offset inside both buffers. */
void shape_copy_block(void *dst, int64_t dst_off, const int64_t *dst_strides, const void *src,
                      int64_t src_off, const int64_t *src_strides, const int64_t *dims, int rank,
                      size_t es);
/* Element k as a double; unlike cg_tensor_get_f64 it also reads bfloat16. */
double shape_tensor_get_f64(const cg_tensor *t, int64_t k);
/* Element k of an integer or bool tensor as int64; uint64 wraps (two's complement). */
int64_t shape_tensor_get_i64(const cg_tensor *t, int64_t k);
/* Fails unless in and out share a dtype with a byte size (strings are unsupported)
 * and out has `numel` elements (pass out->numel when any count is fine). */
cg_code shape_run_check(cg_run_ctx *c, const cg_tensor *in, const cg_tensor *out, int64_t numel);
/* Output 0 = input 0, byte for byte (Identity, Reshape, Flatten, Squeeze, Unsqueeze). */
cg_code shape_run_copy(cg_run_ctx *c);
/* Integer input i (int32/int64/...) into v[0..*n); fails when longer than max. */
cg_code shape_run_ints(cg_run_ctx *c, int i, int64_t *v, int *n, int max);

/* ---- shape functions ---- */
/* shape.c */
cg_code shape_infer_identity(cg_infer_ctx *c);
cg_code shape_infer_dropout(cg_infer_ctx *c);
cg_code shape_infer_cast(cg_infer_ctx *c);
cg_code shape_infer_shape(cg_infer_ctx *c);
/* shape_const.c */
cg_code shape_infer_constant(cg_infer_ctx *c);
cg_code shape_infer_constant_of_shape(cg_infer_ctx *c);
/* shape_reshape.c */
cg_code shape_infer_reshape(cg_infer_ctx *c);
cg_code shape_infer_flatten(cg_infer_ctx *c);
cg_code shape_infer_squeeze(cg_infer_ctx *c);
cg_code shape_infer_unsqueeze(cg_infer_ctx *c);
cg_code shape_infer_transpose(cg_infer_ctx *c);
cg_code shape_infer_expand(cg_infer_ctx *c);
/* shape_slice.c */
cg_code shape_infer_slice(cg_infer_ctx *c);
cg_code shape_infer_gather(cg_infer_ctx *c);
/* shape_concat.c */
cg_code shape_infer_concat(cg_infer_ctx *c);
cg_code shape_infer_split(cg_infer_ctx *c);
cg_code shape_infer_pad(cg_infer_ctx *c);

/* ---- kernels ---- */
/* shape.c */
cg_code shape_run_dropout(cg_run_ctx *c);
cg_code shape_run_cast(cg_run_ctx *c);
cg_code shape_run_shape(cg_run_ctx *c);
/* shape_const.c */
cg_code shape_run_constant(cg_run_ctx *c);
cg_code shape_run_constant_of_shape(cg_run_ctx *c);
/* shape_reshape.c */
cg_code shape_run_transpose(cg_run_ctx *c);
cg_code shape_run_expand(cg_run_ctx *c);
/* shape_slice.c */
cg_code shape_run_slice(cg_run_ctx *c);
cg_code shape_run_gather(cg_run_ctx *c);
/* shape_concat.c */
cg_code shape_run_concat(cg_run_ctx *c);
cg_code shape_run_split(cg_run_ctx *c);
cg_code shape_run_pad(cg_run_ctx *c);

#endif
