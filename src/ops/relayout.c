/* Operator family 'layout': the internal op convgraph.Relayout-1, which a FAST
 * session's layout rewrite inserts at the borders of regions stored channels-last
 * (nhwc.h). One input, one output of the same dtype and logical dims [N,C,H,W];
 * attribute `to` = "NHWC" (NCHW-stored in, NHWC-stored out) or "NCHW" (the
 * reverse). Per batch item that is a transpose of a C x HW matrix (to NHWC) or of
 * an HW x C one (to NCHW). Models using it import opset domain "convgraph" 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/families.h"
#include "ops/nhwc.h"

/* True when the node's `to` asks for NHWC; false for NCHW; *ok false otherwise. */
static bool relayout_to_nhwc(const cg_node *n, bool *ok)
{
    const char *to = cg_attr_string(n, "to", NULL);
    *ok = to && (strcmp(to, "NHWC") == 0 || strcmp(to, "NCHW") == 0);
    return *ok && strcmp(to, "NHWC") == 0;
}

static cg_code infer_relayout(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    bool ok;
    relayout_to_nhwc(c->node, &ok);
    if (!ok) {
        const cg_attr *to = cg_node_attr(c->node, "to");
        if (!to)
            return cg_ctx_fail(c, "attribute 'to' is required (\"NHWC\" or \"NCHW\")");
        return cg_ctx_fail(c, "attribute 'to' is %s%s%s but must be the string \"NHWC\" or "
                              "\"NCHW\"", to->type == CG_ATTR_STRING ? "\"" : "",
                           to->type == CG_ATTR_STRING ? to->s : "not a string",
                           to->type == CG_ATTR_STRING ? "\"" : "");
    }
    const cg_value *x = cg_ctx_in(c, 0);
    if (x->shape.rank >= 0 && x->shape.rank != 4)
        return cg_ctx_fail(c, "input has rank %d but Relayout needs rank 4 (N, C, H, W)",
                           x->shape.rank);
    c->node->macs = 0; /* data movement only */
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}

/* ---- the transpose: src is rows x cols, dst cols x rows, elements of T ---- */

enum { RELAYOUT_TILE = 32 }; /* 32 x 32 floats = 4 KiB a tile: both sides stay in L1 */

/* One tile: dst[j][i] = src[i][j] for i in [i0, i1), j in [j0, j1). */
#define RELAYOUT_TILE_FN(name, T)                                                          \
    static void name(const T *restrict src, T *restrict dst, int64_t rows, int64_t cols, \
                     int64_t i0, int64_t i1, int64_t j0, int64_t j1)                      \
    {                                                                                      \
        for (int64_t j = j0; j < j1; j++)                                                  \
            for (int64_t i = i0; i < i1; i++)                                              \
                dst[j * rows + i] = src[i * cols + j];                                     \
    }

RELAYOUT_TILE_FN(tile_u8, uint8_t)
RELAYOUT_TILE_FN(tile_u16, uint16_t)
RELAYOUT_TILE_FN(tile_u32, uint32_t)
RELAYOUT_TILE_FN(tile_u64, uint64_t)

/* Any other element size (complex128, ...): byte copies per element. */
static void tile_bytes(const unsigned char *src, unsigned char *dst, int64_t rows, int64_t cols,
                       int64_t i0, int64_t i1, int64_t j0, int64_t j1, size_t es)
{
    for (int64_t j = j0; j < j1; j++)
        for (int64_t i = i0; i < i1; i++)
            memcpy(dst + (size_t)(j * rows + i) * es, src + (size_t)(i * cols + j) * es, es);
}

static void transpose_tile(const void *src, void *dst, int64_t rows, int64_t cols, int64_t i0,
                           int64_t i1, int64_t j0, int64_t j1, size_t es)
{
    switch (es) {
    case 1: tile_u8(src, dst, rows, cols, i0, i1, j0, j1); break;
    case 2: tile_u16(src, dst, rows, cols, i0, i1, j0, j1); break;
    case 4: tile_u32(src, dst, rows, cols, i0, i1, j0, j1); break;
    case 8: tile_u64(src, dst, rows, cols, i0, i1, j0, j1); break;
    default: tile_bytes(src, dst, rows, cols, i0, i1, j0, j1, es); break;
    }
}

/* Cache-blocked: each tile reads and writes a few lines per row of itself.
 * Rows [r0, r1) of the rows x cols source only (a thread's share). */
static void transpose_rows(const void *src, void *dst, int64_t rows, int64_t cols, size_t es, int64_t r0,
                           int64_t r1)
{
    for (int64_t i0 = r0; i0 < r1; i0 += RELAYOUT_TILE) {
        int64_t i1 = i0 + RELAYOUT_TILE < r1 ? i0 + RELAYOUT_TILE : r1;
        for (int64_t j0 = 0; j0 < cols; j0 += RELAYOUT_TILE) {
            int64_t j1 = j0 + RELAYOUT_TILE < cols ? j0 + RELAYOUT_TILE : cols;
            transpose_tile(src, dst, rows, cols, i0, i1, j0, j1, es);
        }
    }
}

/* Columns [c0, c1) only: the share when the source has few rows (an image's
 * 3 channels). */
static void transpose_cols(const void *src, void *dst, int64_t rows, int64_t cols, size_t es, int64_t c0,
                           int64_t c1)
{
    for (int64_t j0 = c0; j0 < c1; j0 += RELAYOUT_TILE) {
        int64_t j1 = j0 + RELAYOUT_TILE < c1 ? j0 + RELAYOUT_TILE : c1;
        for (int64_t i0 = 0; i0 < rows; i0 += RELAYOUT_TILE) {
            int64_t i1 = i0 + RELAYOUT_TILE < rows ? i0 + RELAYOUT_TILE : rows;
            transpose_tile(src, dst, rows, cols, i0, i1, j0, j1, es);
        }
    }
}

/* Every image's rows x cols transpose, split in stripes of tiles along the
 * longer side: item q is image q / stripes, stripe q % stripes. */
typedef struct relayout_job {
    const unsigned char *src;
    unsigned char *dst;
    int64_t rows, cols, stripes;
    size_t es;
    bool by_rows;
} relayout_job;

static void relayout_stripes(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const relayout_job *j = arg;
    size_t image = (size_t)(j->rows * j->cols) * j->es;
    int64_t extent = j->by_rows ? j->rows : j->cols;
    (void)chunk;
    for (int64_t q = lo; q < hi; q++) {
        int64_t n = q / j->stripes, s0 = q % j->stripes * RELAYOUT_TILE;
        int64_t s1 = s0 + RELAYOUT_TILE < extent ? s0 + RELAYOUT_TILE : extent;
        const unsigned char *from = j->src + (size_t)n * image;
        unsigned char *to = j->dst + (size_t)n * image;
        if (j->by_rows)
            transpose_rows(from, to, j->rows, j->cols, j->es, s0, s1);
        else
            transpose_cols(from, to, j->rows, j->cols, j->es, s0, s1);
    }
}

static cg_code run_relayout(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    bool ok, to_nhwc = relayout_to_nhwc(c->node, &ok);
    if (!x || !y)
        return cg_run_fail(c, CG_ERR_INVALID, "input and output are required");
    if (!ok)
        return cg_run_fail(c, CG_ERR_INVALID, "attribute 'to' must be \"NHWC\" or \"NCHW\"");
    size_t es = cg_dtype_size(x->dtype);
    if (x->rank != 4 || es == 0 || y->dtype != x->dtype || y->numel != x->numel)
        return cg_run_fail(c, CG_ERR_INVALID, "input (%s, rank %d) and output must be one "
                           "fixed-size dtype of rank 4", cg_dtype_name(x->dtype), x->rank);
    cg_relayout_data(c, x->data, y->data, x->dims, es, to_nhwc);
    return CG_OK;
}

void cg_relayout_data(const cg_run_ctx *c, const void *src, void *dst, const int64_t *dims, size_t es,
                      bool to_nhwc)
{
    int64_t ch = dims[1], pixels = dims[2] * dims[3];
    int64_t rows = to_nhwc ? ch : pixels, cols = to_nhwc ? pixels : ch;
    if (dims[0] * rows * cols == 0)
        return; /* nothing to move (and no pointers to pass memcpy) */
    if (rows == 1 || cols == 1) { /* the same bytes in both orders */
        memcpy(dst, src, (size_t)(dims[0] * ch * pixels) * es);
        return;
    }
    bool by_rows = rows >= cols;
    int64_t extent = by_rows ? rows : cols, stripes = (extent + RELAYOUT_TILE - 1) / RELAYOUT_TILE;
    relayout_job j = {src, dst, rows, cols, stripes, es, by_rows};
    int64_t stripe_items = RELAYOUT_TILE * (by_rows ? cols : rows);
    cg_run_parallel(c, dims[0] * stripes, 1 + 16384 / stripe_items, relayout_stripes, &j);
}

const cg_op_def cg_ops_layout[] = {
    {CG_LAYOUT_DOMAIN, "Relayout", 1, infer_relayout, run_relayout},
    {NULL, NULL, 0, NULL},
};
