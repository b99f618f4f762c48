/* Float32 pooling kernels for NHWC-stored tensors (nodes with cg.layout = "NHWC",
 * see nhwc.h). Same taps, tie rule and divisor as the reference kernels in
 * pool.c; the window geometry is cg_run_window_get's, read from the logical NCHW
 * dims. The channels of one pixel are contiguous, so the inner loops run over
 * channels, NHWC_GROUPS groups of NHWC_LANES at a time: GCC's -O2 vectorizer
 * ("very cheap" model) only takes loops whose trip count is a known multiple of
 * the vector width, so each group is a loop of exactly NHWC_LANES floats (one SSE
 * register), and unrolling the group loop first (the pragma) keeps every group's
 * running result in a register across the window's taps. Sums are float, in tap
 * order, where the reference sums in double: the last bits may differ. */
#include <math.h>

#include "ops/nhwc.h"

/* 4 groups: their running results and loaded taps fit SSE's 16 registers with
 * room to spare (8 groups spill one, and measured slower on MaxPool and
 * AveragePool 3x3 s2 [1,64,112,112]). The `#pragma GCC unroll 4` lines take
 * NHWC_GROUPS literally (a pragma cannot name an enum). */
enum { NHWC_LANES = 4, NHWC_GROUPS = 4, NHWC_BLOCK = NHWC_LANES * NHWC_GROUPS };

/* Inlined into the big per-run function, GCC 12 no longer keeps the groups'
 * results in registers (a scalar loop over the stacked block instead, 4x slower):
 * the loops over one pixel's channels stay a function of their own. */
#if defined(__GNUC__)
#define NHWC_NOINLINE __attribute__((noinline))
#else
#define NHWC_NOINLINE
#endif

/* The valid taps of one output position along one axis: input positions
 * first + k*dilation for k < n, and the count AveragePool divides by there. */
typedef struct tap_span {
    int64_t first, n, divisor;
} tap_span;

/* Axis a (of cg_run_window's 3) at output position o; mirrors pool.c's
 * pool_taps_at and pool_divisor. */
static tap_span axis_span(const cg_run_window *rw, int a, int64_t o, bool count_pad)
{
    int64_t start = o * rw->stride[a] - rw->pad_begin[a], lo, hi, plo, phi;
    cg_run_tap_range(start, rw->dilation[a], rw->kernel[a], 0, rw->in[a], &lo, &hi);
    tap_span s = {start + lo * rw->dilation[a], hi - lo, hi - lo};
    if (count_pad) {
        cg_run_tap_range(start, rw->dilation[a], rw->kernel[a], -rw->pad_begin[a],
                         rw->in[a] + rw->pad_end[a], &plo, &phi);
        s.divisor = phi - plo;
    }
    return s;
}

/* ---- `groups` (1..NHWC_GROUPS, a constant where inlined) groups of channels ----
 * Callers take NHWC_GROUPS groups, then half as many, then single groups: the
 * fewer channels are left, the fewer passes over a pixel's taps. */

/* Tap t's pixel offset in elements: off[t], or t * stride when off is NULL
 * (the global pools, whose taps are every pixel in turn). */
static inline int64_t tap_at(const int64_t *off, int64_t stride, int64_t t)
{
    return off ? off[t] : t * stride;
}

/* x points at the first channel of pixel 0; tap_at gives tap t's offset. The first tap seeds the max, so a NaN there stays and a later one
 * never wins, as in the reference ('>' keeps the first of equals). */
static inline void max_groups(const float *restrict x, const int64_t *off, int64_t stride,
                              int64_t n, int groups, float *restrict y)
{
    float acc[NHWC_GROUPS][NHWC_LANES];
    const float *restrict v0 = x + tap_at(off, stride, 0);
#pragma GCC unroll 4
    for (int g = 0; g < groups; g++)
        for (int j = 0; j < NHWC_LANES; j++)
            acc[g][j] = v0[g * NHWC_LANES + j];
    for (int64_t t = 1; t < n; t++) {
        const float *restrict v = x + tap_at(off, stride, t);
#pragma GCC unroll 4
        for (int g = 0; g < groups; g++)
            for (int j = 0; j < NHWC_LANES; j++) {
                float vj = v[g * NHWC_LANES + j];
                acc[g][j] = vj > acc[g][j] ? vj : acc[g][j];
            }
    }
#pragma GCC unroll 4
    for (int g = 0; g < groups; g++)
        for (int j = 0; j < NHWC_LANES; j++)
            y[g * NHWC_LANES + j] = acc[g][j];
}

static inline void sum_groups(const float *restrict x, const int64_t *off, int64_t stride,
                              int64_t n, int groups, float divisor, float *restrict y)
{
    float acc[NHWC_GROUPS][NHWC_LANES] = {{0}};
    for (int64_t t = 0; t < n; t++) {
        const float *restrict v = x + tap_at(off, stride, t);
#pragma GCC unroll 4
        for (int g = 0; g < groups; g++)
            for (int j = 0; j < NHWC_LANES; j++)
                acc[g][j] += v[g * NHWC_LANES + j];
    }
#pragma GCC unroll 4
    for (int g = 0; g < groups; g++)
        for (int j = 0; j < NHWC_LANES; j++)
            y[g * NHWC_LANES + j] = acc[g][j] / divisor;
}

/* The channels past the last whole group, one at a time. */
static void max_channel(const float *x, const int64_t *off, int64_t stride, int64_t n, float *y)
{
    float m = x[tap_at(off, stride, 0)];
    for (int64_t t = 1; t < n; t++) {
        float v = x[tap_at(off, stride, t)];
        m = v > m ? v : m;
    }
    *y = m;
}

static void sum_channel(const float *x, const int64_t *off, int64_t stride, int64_t n, float divisor,
                        float *y)
{
    float s = 0;
    for (int64_t t = 0; t < n; t++)
        s += x[tap_at(off, stride, t)];
    *y = s / divisor;
}

/* ---- MaxPool / AveragePool ---- */

typedef struct nhwc_pool {
    const cg_run_window *rw;
    int64_t channels;
    bool is_max, count_pad;
    const float *x;
    float *y;
    int64_t *off;       /* the current pixel's tap offsets: n_off per chunk */
    size_t n_off;
    tap_span *w_spans;  /* per output column, computed once per run */
} nhwc_pool;

/* One pixel's `ch` channels from its n taps (n > 0; offsets as tap_at). */
static NHWC_NOINLINE void pool_channels(bool is_max, const float *x, const int64_t *off,
                                        int64_t stride, int64_t n, int64_t ch, float divisor,
                                        float *y)
{
    int64_t c = 0;
    for (; c + NHWC_BLOCK <= ch; c += NHWC_BLOCK) {
        if (is_max)
            max_groups(x + c, off, stride, n, NHWC_GROUPS, y + c);
        else
            sum_groups(x + c, off, stride, n, NHWC_GROUPS, divisor, y + c);
    }
    if (c + NHWC_BLOCK / 2 <= ch) {
        if (is_max)
            max_groups(x + c, off, stride, n, NHWC_GROUPS / 2, y + c);
        else
            sum_groups(x + c, off, stride, n, NHWC_GROUPS / 2, divisor, y + c);
        c += NHWC_BLOCK / 2;
    }
    for (; c + NHWC_LANES <= ch; c += NHWC_LANES) {
        if (is_max)
            max_groups(x + c, off, stride, n, 1, y + c);
        else
            sum_groups(x + c, off, stride, n, 1, divisor, y + c);
    }
    for (; c < ch; c++) {
        if (is_max)
            max_channel(x + c, off, stride, n, y + c);
        else
            sum_channel(x + c, off, stride, n, divisor, y + c);
    }
}

/* One output pixel: y gets its `channels` results from image x; off holds
 * the calling chunk's tap offsets. */
static void pool_pixel(const nhwc_pool *p, int64_t *off, const float *x, const tap_span *h,
                       const tap_span *w, float *y)
{
    const cg_run_window *rw = p->rw;
    int64_t n = 0, ch = p->channels;
    for (int64_t i = 0; i < h->n; i++)
        for (int64_t j = 0; j < w->n; j++)
            off[n++] = ((h->first + i * rw->dilation[1]) * rw->in[2] + w->first + j * rw->dilation[2]) * ch;
    if (n == 0) { /* no tap inside the input: -inf / 0, as the reference */
        for (int64_t c = 0; c < ch; c++)
            y[c] = p->is_max ? -INFINITY : 0.0f;
        return;
    }
    pool_channels(p->is_max, x, off, 0, n, ch, (float)(h->divisor * w->divisor), y);
}

/* Output rows [lo, hi) over all images (row r: image r / out_h, row r % out_h). */
static void pool_rows(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const nhwc_pool *p = arg;
    const cg_run_window *rw = p->rw;
    int64_t *off = p->off + (size_t)chunk * p->n_off;
    for (int64_t r = lo; r < hi; r++) {
        int64_t n = r / rw->out[1], oh = r % rw->out[1];
        const float *x = p->x + n * rw->in_size * p->channels;
        float *y = p->y + (n * rw->out_size + oh * rw->out[2]) * p->channels;
        tap_span h = axis_span(rw, 1, oh, p->count_pad);
        for (int64_t ow = 0; ow < rw->out[2]; ow++, y += p->channels)
            pool_pixel(p, off, x, &h, &p->w_spans[ow], y);
    }
}

static bool is_f32_rank4(const cg_tensor *t) { return t && t->dtype == CG_FLOAT && t->rank == 4; }

static cg_code refuse_tensor(cg_run_ctx *c, const char *name, const cg_tensor *t)
{
    return cg_run_fail(c, CG_ERR_UNSUPPORTED,
                       "cg.layout NHWC needs a float32 rank-4 %s, not %s of rank %d", name,
                       cg_dtype_name(t->dtype), t->rank);
}

cg_code cg_nhwc_window_pool(cg_run_ctx *c, const cg_run_window *rw, const cg_tensor *x,
                            cg_tensor *y, bool is_max, bool count_pad)
{
    if (!is_f32_rank4(x) || !is_f32_rank4(y))
        return refuse_tensor(c, is_f32_rank4(x) ? "Y" : "X", is_f32_rank4(x) ? y : x);
    /* at most min(kernel, in) valid taps per axis, so the offsets fit the input */
    int64_t taps_h = rw->kernel[1] < rw->in[1] ? rw->kernel[1] : rw->in[1];
    int64_t taps_w = rw->kernel[2] < rw->in[2] ? rw->kernel[2] : rw->in[2];
    nhwc_pool p = {rw, x->dims[1], is_max, count_pad, x->data, y->data, NULL, 0, NULL};
    int64_t rows = x->dims[0] * rw->out[1], row = rw->out[2] * p.channels * taps_h * taps_w;
    int64_t grain = 1 + 16384 / (row > 0 ? row : 1);
    int chunks = cg_run_parallel_chunks(c, rows, grain);
    size_t n_spans = (size_t)(rw->out[2] + 1);
    p.n_off = (size_t)(taps_h * taps_w + 1);
    p.off = cg_run_scratch(c, (size_t)chunks * p.n_off * sizeof *p.off + n_spans * sizeof *p.w_spans);
    if (!p.off)
        return cg_run_fail(c, CG_ERR_NOMEM, "out of memory for the pool's tap offsets");
    p.w_spans = (tap_span *)(p.off + (size_t)chunks * p.n_off); /* int64 then int64 triples: aligned */
    for (int64_t ow = 0; ow < rw->out[2]; ow++)
        p.w_spans[ow] = axis_span(rw, 2, ow, count_pad);
    cg_run_parallel(c, rows, grain, pool_rows, &p);
    return CG_OK;
}

/* ---- GlobalMaxPool / GlobalAveragePool ---- */

/* Every pixel is a tap: the window kernel's loops with offsets i * ch. */
static void global_image(const float *x, int64_t pixels, int64_t ch, bool is_max, float *y)
{
    if (pixels == 0) { /* an empty window: -inf / 0, as the reference */
        for (int64_t c = 0; c < ch; c++)
            y[c] = is_max ? -INFINITY : 0.0f;
        return;
    }
    pool_channels(is_max, x, NULL, ch, pixels, ch, (float)pixels, y);
}

cg_code cg_nhwc_global_pool(cg_run_ctx *c, bool is_max)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    if (!x || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "X and Y are required");
    if (!is_f32_rank4(x) || !is_f32_rank4(y))
        return refuse_tensor(c, is_f32_rank4(x) ? "Y" : "X", is_f32_rank4(x) ? y : x);
    int64_t ch = x->dims[1], pixels = x->dims[2] * x->dims[3];
    if (y->dims[0] != x->dims[0] || y->dims[1] != ch || y->numel != x->dims[0] * ch)
        return cg_run_fail(c, CG_ERR_INVALID, "X and Y do not fit together");
    for (int64_t n = 0; n < x->dims[0]; n++)
        global_image((const float *)x->data + n * pixels * ch, pixels, ch, is_max,
                     (float *)y->data + n * ch);
    return CG_OK;
}
