/* Where initializer bytes cut out of the message (onnx_strip.c) end up: read in
 * place from the mapped model file when they are aligned for their dtype, else
 * copied into one block. The graph keeps both alive (cg_graph.backing). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS and madvise are beyond _POSIX_C_SOURCE */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/onnx_internal.h"

/* Copies start on cache-line boundaries, like a fresh malloc'd buffer would
 * (at least) start aligned for any dtype. */
#define COPY_ALIGN 64
/* A block of at least this much is aligned to and advised as huge pages:
 * faulting in 4 KiB pages one at a time costs more than copying the bytes into
 * them (ResNet-50: 80 MB of copies take 40 ms in 4 KiB pages, 15 in huge ones).
 * A smaller one keeps 4 KiB pages, so a small model does not pay for 2 MiB. */
#define HUGE_PAGE ((size_t)2 << 20)

struct cg_onnx_weights {
    void *map;         /* the mapped model file (MAP_PRIVATE); NULL from memory */
    size_t map_len;
    int fd;            /* the model file while loading; -1 after, or from memory */
    bool borrowed_any; /* some tensor points into the mapping */
    void *block;       /* mmap'd region holding copies; NULL until reserved */
    size_t block_len;
    uint8_t *next, *limit; /* free part of the block */
    bool shapes_only;      /* large payloads that would need a copy stay unread */
};

/* Payloads from this size up are left unread in shape-only loads: far above
 * any shape-like vector a shape function reads, and most of a model's bytes. */
#define SHAPES_ONLY_SKIP_BYTES ((size_t)64 << 10)

cg_onnx_weights *cg_onnx_weights_new(void *map, size_t map_len, int fd)
{
    cg_onnx_weights *w = calloc(1, sizeof *w);
    if (w) {
        w->map = map;
        w->map_len = map_len;
        w->fd = fd;
        return w;
    }
    if (map) /* owned from here on, even on failure */
        munmap(map, map_len);
    if (fd >= 0)
        close(fd);
    return NULL;
}

void cg_onnx_weights_loaded(cg_onnx_weights *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->map && !w->borrowed_any) { /* nothing points into it */
        munmap(w->map, w->map_len);
        w->map = NULL;
    }
}

void cg_onnx_weights_release(void *weights)
{
    cg_onnx_weights *w = weights;
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->map)
        munmap(w->map, w->map_len);
    if (w->block)
        munmap(w->block, w->block_len);
    free(w);
}

void cg_onnx_weights_shapes_only(cg_onnx_weights *w) { w->shapes_only = true; }

/* In the mapping and aligned for the dtype: tensors may point at it directly.
 * The mapping is private and writable, so even an in-place byte swap is safe. */
static bool can_borrow(const cg_onnx_weights *w, const uint8_t *bytes, size_t align)
{
    const uint8_t *map = w->map;
    return map && bytes >= map && bytes < map + w->map_len && (uintptr_t)bytes % align == 0;
}

bool cg_onnx_weights_skips(const cg_onnx_weights *w, const uint8_t *bytes, size_t len, size_t align)
{
    return w->shapes_only && len >= SHAPES_ONLY_SKIP_BYTES && align > 0 && !can_borrow(w, bytes, align);
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

static size_t copy_bytes_needed(const cg_onnx_weights *w, const Onnx__TensorProto *t,
                                const cg_onnx_payload *p)
{
    cg_dtype dtype;
    if (!p->present || p->len == 0 || !t->has_data_type || !cg_onnx_dtype(t->data_type, &dtype))
        return 0; /* nothing to place, or decoding fails first */
    size_t align = cg_onnx_component_size(dtype);
    bool no_copy = align == 0 || can_borrow(w, p->data, align) || cg_onnx_weights_skips(w, p->data, p->len, align);
    return no_copy ? 0 : round_up(p->len, COPY_ALIGN);
}

bool cg_onnx_weights_reserve(cg_onnx_weights *w, Onnx__TensorProto *const *tensors,
                             const cg_onnx_payload *payloads, size_t n)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        need += copy_bytes_needed(w, tensors[i], &payloads[i]); /* each <= file size */
    if (need == 0)
        return true;
    bool huge = need >= HUGE_PAGE;
    size_t span = huge ? round_up(need, HUGE_PAGE) : need;
    size_t len = span + (huge ? HUGE_PAGE : 0); /* room to align the start */
    void *block = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED)
        return false;
    w->block = block;
    w->block_len = len;
    w->next = huge ? (uint8_t *)round_up((uintptr_t)block, HUGE_PAGE) : block;
    w->limit = w->next + span;
#ifdef MADV_HUGEPAGE
    if (huge) /* a hint; the kernel may refuse it */
        madvise(w->next, span, MADV_HUGEPAGE);
#endif
    return true;
}

/* From the file with pread when there is one: copying out of the mapping
 * would fault its pages in too, and they would count in the process's RSS. */
static bool copy_in(const cg_onnx_weights *w, void *to, const uint8_t *bytes, size_t len)
{
    if (w->fd < 0) {
        memcpy(to, bytes, len);
        return true;
    }
    return cg_pread_all(w->fd, to, len, (int64_t)(bytes - (const uint8_t *)w->map));
}

void *cg_onnx_weights_place(cg_onnx_weights *w, const uint8_t *bytes, size_t len, size_t align)
{
    if (can_borrow(w, bytes, align)) {
        w->borrowed_any = true;
        return (void *)(uintptr_t)bytes; /* the mapping is writable; see can_borrow */
    }
    size_t need = round_up(len, COPY_ALIGN);
    if (!w->next || need > (size_t)(w->limit - w->next) || !copy_in(w, w->next, bytes, len))
        return NULL;
    void *copy = w->next;
    w->next += need;
    return copy;
}
