/* Broadcasting for kernels: maps each element of an output tensor to the element
 * of an input tensor that feeds it (numpy rules, ONNX Broadcasting.md). Shared by
 * the elementwise ops, PRelu, Gemm's C, MatMul's batch axes and Expand. */
#ifndef CG_OPS_BROADCAST_H
#define CG_OPS_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/tensor.h"

/* How one input lines up with an output: for each output axis, the input's stride
 * along it (0 where the input is broadcast: absent axis or size 1). */
typedef struct cg_bcast {
    int rank;                      /* output rank */
    int64_t dims[CG_MAX_RANK];     /* output dims */
    int64_t strides[CG_MAX_RANK];  /* input element stride per output axis */
    bool identity;                 /* input has the output's shape: index e maps to e */
} cg_bcast;

/* Lines an input of shape in_dims[in_rank] up with output axes start..start+in_rank-1
 * (numpy: start = out_rank - in_rank; the legacy opset<7 `axis` rule passes its own
 * start). Each input dim must equal the output's or be 1. False when it does not fit. */
bool cg_bcast_init(cg_bcast *b, int out_rank, const int64_t *out_dims, int in_rank,
                   const int64_t *in_dims, int start);
/* Numpy (right-aligned) placement of tensor `in` inside tensor `out`. */
bool cg_bcast_init_numpy(cg_bcast *b, const cg_tensor *out, const cg_tensor *in);
/* Flat index into the input for output flat index e (0 <= e < product of dims). */
int64_t cg_bcast_index(const cg_bcast *b, int64_t e);

/* Walks output elements in order while tracking the input index incrementally
 * (no divisions): for (cg_bcast_iter it = cg_bcast_begin(&b); ...; cg_bcast_next(&it)). */
typedef struct cg_bcast_iter {
    const cg_bcast *b;
    int64_t coord[CG_MAX_RANK];
    int64_t index; /* input flat index of the current output element */
} cg_bcast_iter;

cg_bcast_iter cg_bcast_begin(const cg_bcast *b);
void cg_bcast_next(cg_bcast_iter *it);

/* out[e] = in[map(e)] for every element, any dtype (byte copies of element size);
 * out and in must share a dtype. Used for Expand and to seed elementwise outputs. */
void cg_bcast_copy(cg_tensor *out, const cg_tensor *in, const cg_bcast *b);

/* Numpy broadcast of two dim vectors into out (rank max(ra, rb)); false when a pair
 * of dims differs and neither is 1. */
bool cg_bcast_dims(int ra, const int64_t *a, int rb, const int64_t *b, int *rank, int64_t *out);

#endif
