/* The internal op convgraph.ChannelShuffle-1 (attribute `groups` G): what
 * ShuffleNet's Reshape [N, G, C/G, H, W] -> Transpose(0, 2, 1, 3, 4) ->
 * Reshape [N, C, H, W] computes, as one node a FAST session's rewrite puts in
 * their place (src/graph/pass_shuffle.c): output channel k*G + g is input
 * channel g*(C/G) + k. One kernel per storage order: plane copies in NCHW, a
 * permutation of each pixel's channels with cg.layout NHWC (ops.h). */
#include <stdint.h>
#include <string.h>

#include "ops/families.h"

static cg_code infer_channel_shuffle(cg_infer_ctx *c)
{
    cg_code rc = cg_ctx_require_inputs(c, 1);
    if (rc != CG_OK)
        return rc;
    const cg_value *x = cg_ctx_in(c, 0);
    int64_t groups = cg_attr_int(c->node, "groups", 0);
    if (groups < 1)
        return cg_ctx_fail(c, "attribute 'groups' must be at least 1");
    if (x->shape.rank >= 0 && x->shape.rank != 4)
        return cg_ctx_fail(c, "input has rank %d but ChannelShuffle needs rank 4", x->shape.rank);
    if (x->shape.rank == 4 && cg_dim_is_known(x->shape.d[1]) && x->shape.d[1].v % groups != 0)
        return cg_ctx_fail(c, "%lld channels do not split into %lld groups", (long long)x->shape.d[1].v,
                           (long long)groups);
    c->node->macs = 0;
    cg_ctx_set_out(c, 0, x->dtype, &x->shape);
    return CG_OK;
}

typedef struct shuffle_job {
    const unsigned char *x;
    unsigned char *y;
    int64_t groups, per_group, pixels;
    size_t es;
} shuffle_job;

/* NCHW planes [lo, hi) of the output (plane q: image q / C, channel q % C). */
static void shuffle_planes(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const shuffle_job *j = arg;
    int64_t ch = j->groups * j->per_group;
    size_t plane = (size_t)j->pixels * j->es;
    (void)chunk;
    for (int64_t q = lo; q < hi; q++) {
        int64_t n = q / ch, out_c = q % ch, in_c = out_c % j->groups * j->per_group + out_c / j->groups;
        memcpy(j->y + (size_t)q * plane, j->x + (size_t)(n * ch + in_c) * plane, plane);
    }
}

/* One pixel's channels permuted, elements of T: a G x K -> K x G transpose. */
#define DEFINE_SHUFFLE_PIXELS(name, T)                                                    \
    static void name(const shuffle_job *j, int64_t lo, int64_t hi)                       \
    {                                                                                    \
        int64_t groups = j->groups, per_group = j->per_group, ch = groups * per_group;  \
        for (int64_t p = lo; p < hi; p++) {                                              \
            const T *x = (const T *)(const void *)j->x + p * ch;                         \
            T *y = (T *)(void *)j->y + p * ch;                                           \
            for (int64_t g = 0; g < groups; g++)                                         \
                for (int64_t k = 0; k < per_group; k++)                                  \
                    y[k * groups + g] = x[g * per_group + k];                            \
        }                                                                                \
    }
DEFINE_SHUFFLE_PIXELS(shuffle_pixels_u8, uint8_t)
DEFINE_SHUFFLE_PIXELS(shuffle_pixels_u16, uint16_t)
DEFINE_SHUFFLE_PIXELS(shuffle_pixels_u32, uint32_t)
DEFINE_SHUFFLE_PIXELS(shuffle_pixels_u64, uint64_t)

/* NHWC pixels [lo, hi); tensor data is aligned for its element size. */
static void shuffle_pixels(void *arg, int chunk, int64_t lo, int64_t hi)
{
    const shuffle_job *j = arg;
    (void)chunk;
    switch (j->es) {
    case 1: shuffle_pixels_u8(j, lo, hi); break;
    case 2: shuffle_pixels_u16(j, lo, hi); break;
    case 4: shuffle_pixels_u32(j, lo, hi); break;
    default: shuffle_pixels_u64(j, lo, hi); break;
    }
}

static cg_code run_channel_shuffle(cg_run_ctx *c)
{
    const cg_tensor *x = cg_run_in(c, 0);
    cg_tensor *y = cg_run_out(c, 0);
    int64_t groups = cg_attr_int(c->node, "groups", 0);
    size_t es = x ? cg_dtype_size(x->dtype) : 0;
    bool nhwc = cg_node_is_nhwc(c->node);
    if (!x || !y || x->rank != 4 || es == 0 || y->dtype != x->dtype || y->numel != x->numel)
        return cg_run_fail(c, CG_ERR_INVALID, "input and output must be one fixed-size dtype of rank 4");
    if (nhwc && es != 1 && es != 2 && es != 4 && es != 8)
        return cg_run_fail(c, CG_ERR_UNSUPPORTED, "%s is not supported with cg.layout NHWC",
                           cg_dtype_name(x->dtype));
    if (groups < 1 || x->dims[1] % groups != 0)
        return cg_run_fail(c, CG_ERR_INVALID, "%lld channels do not split into %lld groups",
                           (long long)x->dims[1], (long long)groups);
    if (x->numel == 0)
        return CG_OK; /* empty planes: nothing to copy (and no data pointers) */
    int64_t pixels = x->dims[2] * x->dims[3];
    shuffle_job j = {x->data, y->data, groups, x->dims[1] / groups, pixels, es};
    if (nhwc)
        cg_run_parallel(c, x->dims[0] * pixels, 1 + 16384 / (x->dims[1] ? x->dims[1] : 1), shuffle_pixels, &j);
    else
        cg_run_parallel(c, x->dims[0] * x->dims[1], 1 + 16384 / (pixels ? pixels : 1), shuffle_planes, &j);
    return CG_OK;
}

const cg_op_def cg_ops_channel_shuffle[] = {
    {CG_LAYOUT_DOMAIN, "ChannelShuffle", 1, infer_channel_shuffle, run_channel_shuffle},
    {NULL, NULL, 0, NULL, NULL},
};
