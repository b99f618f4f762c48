/* A concrete tensor: dtype, static shape and owned, contiguous row-major data. */
#ifndef CONVGRAPH_TENSOR_H
#define CONVGRAPH_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/dim.h"
#include "convgraph/dtype.h"
#include "convgraph/status.h"

/* Refuse single tensors above this many bytes (absurd sizes in corrupt files). */
#define CG_TENSOR_MAX_BYTES ((int64_t)1 << 34)

typedef struct cg_tensor {
    cg_dtype dtype;
    int rank;
    int64_t dims[CG_MAX_RANK];
    int64_t numel;
    size_t nbytes;
    void *data; /* owned unless borrowed; NULL only when numel == 0, or when the
                 * contents were not loaded (cg_tensor_unloaded_init) */
    bool borrowed; /* data belongs to someone else (an arena, a caller's buffer) */
} cg_tensor;

/* Zero-filled tensor. Checks dims >= 0, rank <= CG_MAX_RANK, overflow and
 * CG_TENSOR_MAX_BYTES; NULL with st filled on failure. */
cg_tensor *cg_tensor_new(cg_dtype dtype, int rank, const int64_t *dims, cg_status *st);
/* Frees t and, unless t->borrowed, its data. */
void cg_tensor_free(cg_tensor *t);
/* Fills *t as a view of `data` (borrowed: cg_tensor_free leaves it alone), with
 * cg_tensor_new's checks on dims and size; data may be NULL only when the tensor
 * has no elements. For executors that place tensors in a preallocated arena. */
cg_code cg_tensor_view_init(cg_tensor *t, cg_dtype dtype, int rank, const int64_t *dims, void *data,
                            cg_status *st);
/* Fills *t with a dtype and dims but no contents (data NULL, borrowed): what a
 * shape-only load (cg_onnx_load_shapes_only) leaves for weights nothing reads.
 * Only shape functions see such a tensor, and they treat its contents as
 * unknown (cg_ctx_in_data). */
cg_code cg_tensor_unloaded_init(cg_tensor *t, cg_dtype dtype, int rank, const int64_t *dims, cg_status *st);
/* Same dtype, rank and dims. */
bool cg_tensor_same_shape(const cg_tensor *a, const cg_tensor *b);
/* Whether t has elements but no contents loaded. */
static inline bool cg_tensor_unloaded(const cg_tensor *t) { return t && t->numel > 0 && !t->data; }
cg_tensor *cg_tensor_clone(const cg_tensor *t, cg_status *st);
/* Element i converted to int64 / double (any numeric dtype, float16 included). */
int64_t cg_tensor_get_i64(const cg_tensor *t, int64_t i);
double cg_tensor_get_f64(const cg_tensor *t, int64_t i);
/* Element i = v in t's dtype: floats (bfloat16 and float16 included) rounded,
 * integers wrapping like a cast to the same width (two's complement, numpy's
 * astype), bool v != 0; from a double, NaN and out-of-range values clamp. */
void cg_tensor_set_i64(cg_tensor *t, int64_t i, int64_t v);
void cg_tensor_set_f64(cg_tensor *t, int64_t i, double v);
cg_shape cg_tensor_shape(const cg_tensor *t);
/* SplitMix64: the next 64 random bits of *state. */
uint64_t cg_splitmix64(uint64_t *state);
/* Seeded test data: floats uniform in [-1, 1), integers 0..9 (valid as indices
 * into anything of size 10 or more), bools 0/1; false for other dtypes. */
bool cg_tensor_fill_random(cg_tensor *t, uint64_t seed);
/* IEEE half <-> float. */
float cg_half_to_float(uint16_t h);
uint16_t cg_float_to_half(float f);

#endif
