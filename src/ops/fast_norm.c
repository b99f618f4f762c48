/* Float32 BatchNormalization in inference form (fast_elementwise.h): per
 * channel y = x * s + t with s = scale / sqrt(var + epsilon) and t = B - mean*s
 * computed in double as norm.c does, then rounded once to float, so the loop
 * over the data is one float multiply-add that GCC vectorizes (-O3, see
 * CMakeLists.txt). NCHW runs each channel plane against a scalar pair; NHWC
 * (channels innermost) runs each pixel's row of C against the two vectors. */
#include <math.h>

#include "ops/fast_elementwise.h"
#include "ops/fast_simd.h"

/* Why the inference-form fast path cannot take this node; NULL when it can. */
static const char *batch_norm_refusal(const cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0), *y = cg_run_out(c, 0);
    if (!x || !y || x->dtype != CG_FLOAT || y->dtype != CG_FLOAT || y->numel != x->numel)
        return "X and Y must be float32 of one size";
    if (x->rank < 2)
        return "X must have rank 2 or more";
    if (c->opset >= 14 && cg_attr_int(c->node, "training_mode", 0) != 0)
        return "training_mode is not supported";
    for (int i = 1; i < c->n_out; i++)
        if (cg_run_out(c, i))
            return "the statistics outputs are not supported";
    for (int i = 1; i < 5; i++) {
        const cg_tensor *t = cg_run_in(c, i);
        if (!t || t->numel != x->dims[1] || (t->dtype != CG_FLOAT && t->dtype != CG_DOUBLE))
            return "scale, B, mean and var must be float32 or double vectors of X's channel count";
    }
    return NULL;
}

bool cg_fast_batch_norm_applies(const cg_run_ctx *c)
{
    return c->opts->kernels == CG_KERNELS_FAST && !batch_norm_refusal(c);
}

/* s and t per channel into the node's scratch; false when out of memory. */
static bool batch_norm_coefficients(cg_run_ctx *c, int64_t ch, float **s, float **t)
{
    double eps = cg_attr_float(c->node, "epsilon", 1e-5f);
    *s = cg_run_scratch(c, (size_t)(ch > 0 ? 2 * ch : 1) * sizeof **s);
    if (!*s)
        return false;
    *t = *s + ch;
    for (int64_t k = 0; k < ch; k++) {
        double scale = cg_tensor_get_f64(cg_run_in(c, 1), k) / sqrt(cg_tensor_get_f64(cg_run_in(c, 4), k) + eps);
        (*s)[k] = (float)scale;
        (*t)[k] = (float)(cg_tensor_get_f64(cg_run_in(c, 2), k) - cg_tensor_get_f64(cg_run_in(c, 3), k) * scale);
    }
    return true;
}

/* y = x * s + t over n floats (y may be x). */
CG_FAST_CLONES static void affine_scalar(const float *x, float *y, int64_t n, float s, float t)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] * s + t;
}

/* Each of `rows` rows of ch floats: y[k] = x[k] * s[k] + t[k] (y may be x).
 * One call for all rows: a call per pixel would cost as much as a short row. */
CG_FAST_CLONES static void affine_rows(const float *x, float *y, int64_t rows, int64_t ch, const float *s,
                                       const float *t)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < ch; k++)
            y[r * ch + k] = x[r * ch + k] * s[k] + t[k];
}

typedef struct batch_norm_job {
    const float *x;
    float *y;
    const float *s, *t;
    int64_t ch, row; /* NCHW: a row is a channel plane; NHWC: a pixel's C channels */
    bool nhwc;
} batch_norm_job;

static void batch_norm_chunk(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const batch_norm_job *j = arg;
    (void)chunk;
    if (j->nhwc) {
        affine_rows(j->x + lo * j->ch, j->y + lo * j->ch, hi - lo, j->ch, j->s, j->t);
        return;
    }
    for (int64_t plane = lo; plane < hi; plane++)
        affine_scalar(j->x + plane * j->row, j->y + plane * j->row, j->row, j->s[plane % j->ch],
                      j->t[plane % j->ch]);
}

static cg_code batch_norm(cg_run_ctx *c, bool nhwc)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    if (x->numel == 0)
        return CG_OK;
    int64_t ch = x->dims[1];
    batch_norm_job j = {x->data, y->data, NULL, NULL, ch, nhwc ? ch : x->numel / (x->dims[0] * ch), nhwc};
    float *s, *t;
    if (!batch_norm_coefficients(c, ch, &s, &t))
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory for %lld coefficients", (long long)ch);
    j.s = s;
    j.t = t;
    int64_t rows = x->numel / j.row;
    cg_run_parallel(c, rows, 1 + 16384 / j.row, batch_norm_chunk, &j);
    return CG_OK;
}

cg_code cg_fast_batch_norm(cg_run_ctx *c) { return batch_norm(c, false); }

cg_code cg_nhwc_batch_norm(cg_run_ctx *c)
{
    const char *why = batch_norm_refusal(c);
    if (!why && cg_run_in(c, 0)->rank != 4)
        why = "X must have rank 4";
    if (why)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "with cg.layout NHWC: %s", why);
    return batch_norm(c, true);
}
