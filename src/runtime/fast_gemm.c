#include "runtime/fast_gemm.h"

#ifdef CG_HAVE_DNNL
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

bool cg_fast_sgemm(const cg_run_ctx *c, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                   const float *a, const float *b, float *y)
{
    if (m <= 0 || n <= 0 || k <= 0)
        return false;
    omp_set_num_threads(cg_run_thread_count(c)); /* oneDNN is built on OpenMP */
    /* leading dimensions of the stored (untransposed) row-major matrices */
    dnnl_dim_t lda = ta ? m : k, ldb = tb ? k : n;
    return dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, y, n) ==
           dnnl_success;
}
#else
bool cg_fast_sgemm(const cg_run_ctx *c, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                   const float *a, const float *b, float *y)
{
    (void)c, (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)b, (void)y;
    return false;
}
#endif
