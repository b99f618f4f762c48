/* A bump allocator for strings that live as long as their graph. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/dim.h"

typedef struct pool_block {
    struct pool_block *next;
    size_t used, cap;
    char data[];
} pool_block;

struct cg_strpool {
    pool_block *head;
};

enum { POOL_BLOCK_MIN = 4096 };

cg_strpool *cg_strpool_new(void) { return calloc(1, sizeof(cg_strpool)); }

void cg_strpool_free(cg_strpool *p)
{
    if (!p)
        return;
    for (pool_block *b = p->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(p);
}

static char *pool_alloc(cg_strpool *p, size_t n)
{
    pool_block *b = p->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > POOL_BLOCK_MIN ? n : POOL_BLOCK_MIN;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = p->head;
        p->head = b;
    }
    char *s = b->data + b->used;
    b->used += n;
    return s;
}

const char *cg_strpool_add(cg_strpool *p, const char *s, size_t len)
{
    if (!p || len == SIZE_MAX)
        return NULL;
    char *d = pool_alloc(p, len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

const char *cg_strpool_printf(cg_strpool *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    return cg_strpool_add(p, buf, len);
}
