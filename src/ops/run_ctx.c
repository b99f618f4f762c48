/* Helpers every kernel uses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "convgraph/ops.h"
#include "convgraph/runtime.h"

const cg_tensor *cg_run_in(const cg_run_ctx *c, int i)
{
    return i >= 0 && i < c->n_in ? c->in[i] : NULL;
}

cg_tensor *cg_run_out(const cg_run_ctx *c, int i)
{
    return i >= 0 && i < c->n_out ? c->out[i] : NULL;
}

bool cg_node_is_nhwc(const cg_node *n)
{
    return strcmp(cg_attr_string(n, "cg.layout", ""), "NHWC") == 0;
}

typedef struct run_scratch {
    size_t cap;
    max_align_t data[]; /* aligned for any type */
} run_scratch;

static void run_scratch_free(void *p) { free(p); }

void *cg_run_scratch(cg_run_ctx *c, size_t bytes)
{
    run_scratch *s = *c->state;
    if (s && *c->state_free == run_scratch_free && s->cap >= bytes)
        return s->data;
    if (s && *c->state_free)
        (*c->state_free)(s);
    *c->state = NULL;
    *c->state_free = NULL;
    if (!(s = malloc(sizeof *s + bytes)))
        return NULL;
    s->cap = bytes;
    *c->state = s;
    *c->state_free = run_scratch_free;
    return s->data;
}

static _Atomic int64_t grain_cap; /* cg_run_parallel_cap_grain; 0: none */

void cg_run_parallel_cap_grain(int64_t items) { grain_cap = items > 0 ? items : 0; }

int cg_run_parallel_chunks(const cg_run_ctx *c, int64_t n, int64_t grain)
{
    int64_t cap = grain_cap;
    grain = cap > 0 && grain > cap ? cap : grain;
    int64_t chunks = cg_run_thread_count(c), most = n / (grain > 0 ? grain : 1);
#ifndef _OPENMP
    chunks = 1; /* no pool to run them on */
#endif
    chunks = chunks < most ? chunks : most;
    return chunks > 1 ? (int)chunks : 1;
}

void cg_run_parallel(const cg_run_ctx *c, int64_t n, int64_t grain, cg_range_fn fn, void *arg)
{
    int chunks = cg_run_parallel_chunks(c, n, grain);
    if (chunks == 1) {
        if (n > 0)
            fn(arg, 0, 0, n);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
    for (int k = 0; k < chunks; k++)
        fn(arg, k, n * k / chunks, n * (k + 1) / chunks);
#endif
}

int cg_run_thread_count(const cg_run_ctx *c)
{
    if (c->opts && c->opts->threads > 0)
        return c->opts->threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

cg_code cg_run_fail(cg_run_ctx *c, cg_code code, const char *fmt, ...)
{
    char what[CG_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cg_fail_node(c->st, code, c->g, c->node, "%s", what);
}
