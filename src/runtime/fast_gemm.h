/* Float32 matrix products on oneDNN's sgemm, the fast path behind the Gemm and
 * MatMul reference loops (src/ops/matmul.c). Without oneDNN every call declines. */
#ifndef CG_RUNTIME_FAST_GEMM_H
#define CG_RUNTIME_FAST_GEMM_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/ops.h"

/* y[m,n] = op(a) * op(b), row-major, op = transpose when ta / tb. Returns false,
 * touching nothing, when no fast path is built in or the sizes do not fit. */
bool cg_fast_sgemm(const cg_run_ctx *c, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                   const float *a, const float *b, float *y);

#endif
