/* Broadcasting index maps for kernels (numpy rules, ONNX Broadcasting.md). */
#include "ops/broadcast.h"

#include <string.h>

bool cg_bcast_init(cg_bcast *b, int out_rank, const int64_t *out_dims, int in_rank,
                   const int64_t *in_dims, int start)
{
    if (out_rank < 0 || out_rank > CG_MAX_RANK || in_rank < 0 || start < 0 || start + in_rank > out_rank)
        return false;
    b->rank = out_rank;
    b->identity = in_rank == out_rank;
    int64_t stride = 1;
    for (int d = out_rank - 1; d >= 0; d--) {
        b->dims[d] = out_dims[d];
        int j = d - start;
        if (j < 0 || j >= in_rank) {
            b->strides[d] = 0;
            b->identity = b->identity && out_dims[d] == 1;
            continue;
        }
        if (in_dims[j] != out_dims[d] && in_dims[j] != 1)
            return false;
        /* A size-1 input axis repeats; its stride is irrelevant when the output's is 1 too. */
        b->strides[d] = in_dims[j] == 1 ? 0 : stride;
        b->identity = b->identity && in_dims[j] == out_dims[d];
        stride *= in_dims[j];
    }
    return true;
}

bool cg_bcast_init_numpy(cg_bcast *b, const cg_tensor *out, const cg_tensor *in)
{
    return cg_bcast_init(b, out->rank, out->dims, in->rank, in->dims, out->rank - in->rank);
}

int64_t cg_bcast_index(const cg_bcast *b, int64_t e)
{
    if (b->identity)
        return e;
    int64_t idx = 0;
    for (int d = b->rank - 1; d >= 0 && e > 0; d--) {
        int64_t n = b->dims[d];
        if (n <= 0)
            return 0;
        idx += (e % n) * b->strides[d];
        e /= n;
    }
    return idx;
}

cg_bcast_iter cg_bcast_begin(const cg_bcast *b)
{
    cg_bcast_iter it = {.b = b, .index = 0};
    for (int d = 0; d < CG_MAX_RANK; d++)
        it.coord[d] = 0;
    return it;
}

/* Odometer step: bump the last axis, carrying into earlier ones. */
void cg_bcast_next(cg_bcast_iter *it)
{
    const cg_bcast *b = it->b;
    for (int d = b->rank - 1; d >= 0; d--) {
        it->index += b->strides[d];
        if (++it->coord[d] < b->dims[d])
            return;
        it->index -= b->strides[d] * it->coord[d];
        it->coord[d] = 0;
    }
}

bool cg_bcast_dims(int ra, const int64_t *a, int rb, const int64_t *b, int *rank, int64_t *out)
{
    int r = ra > rb ? ra : rb;
    if (r > CG_MAX_RANK || ra < 0 || rb < 0)
        return false;
    for (int d = 0; d < r; d++) {
        int ia = d - (r - ra), ib = d - (r - rb);
        int64_t x = ia >= 0 ? a[ia] : 1, y = ib >= 0 ? b[ib] : 1;
        if (x != y && x != 1 && y != 1)
            return false;
        out[d] = x == 1 ? y : x;
    }
    *rank = r;
    return true;
}

void cg_bcast_copy(cg_tensor *out, const cg_tensor *in, const cg_bcast *b)
{
    size_t size = cg_dtype_size(out->dtype);
    if (out->numel == 0 || size == 0 || size != cg_dtype_size(in->dtype))
        return;
    if (b->identity) {
        if (out->data != in->data) /* in place: nothing to move, and memcpy must not overlap */
            memcpy(out->data, in->data, (size_t)out->numel * size);
        return;
    }
    unsigned char *o = out->data;
    const unsigned char *x = in->data;
    cg_bcast_iter it = cg_bcast_begin(b);
    for (int64_t e = 0; e < out->numel; e++, cg_bcast_next(&it))
        memcpy(o + (size_t)e * size, x + (size_t)it.index * size, size);
}
