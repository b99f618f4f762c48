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
/* Element k of a numeric tensor (integers wrap as a cast to the same width). */
void shape_tensor_set_i64(cg_tensor *t, int64_t k, int64_t v);
void shape_tensor_set_f64(cg_tensor *t, int64_t k, double v);
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

#endif
