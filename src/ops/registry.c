/* The operator registry: every family's table, sorted by (domain, op, version). */
#include <stdlib.h>
#include <string.h>

#include "ops/families.h"

static const cg_op_def *const k_families[] = {
    cg_ops_conv, cg_ops_pool, cg_ops_norm, cg_ops_matmul, cg_ops_activation,
    cg_ops_elementwise, cg_ops_shape, cg_ops_resize, cg_ops_reduce, cg_ops_layout, cg_ops_channel_shuffle,
};

enum { MAX_OP_DEFS = 1024 };

typedef struct registry {
    size_t n;
    const cg_op_def *defs[MAX_OP_DEFS];
} registry;

static int compare_defs(const void *pa, const void *pb)
{
    const cg_op_def *a = *(const cg_op_def *const *)pa, *b = *(const cg_op_def *const *)pb;
    int c = strcmp(a->domain, b->domain);
    if (c == 0)
        c = strcmp(a->op_type, b->op_type);
    return c ? c : a->since_version - b->since_version;
}

/* Built once; the tables are constant, so every build gives the same result.
 * (Not thread-safe on first use: the CLI and tests call it from one thread.) */
static const registry *get_registry(void)
{
    static registry r;
    static bool built;
    if (!built) {
        for (size_t f = 0; f < sizeof k_families / sizeof k_families[0]; f++)
            for (const cg_op_def *d = k_families[f]; d->op_type && r.n < MAX_OP_DEFS; d++)
                r.defs[r.n++] = d;
        qsort(r.defs, r.n, sizeof r.defs[0], compare_defs);
        built = true;
    }
    return &r;
}

const cg_op_def *cg_op_find(const char *domain, const char *op_type, int64_t opset)
{
    const registry *r = get_registry();
    const cg_op_def *best = NULL;
    const char *d = domain && strcmp(domain, "ai.onnx") != 0 ? domain : "";
    for (size_t i = 0; i < r->n; i++) {
        const cg_op_def *def = r->defs[i];
        if (def->since_version <= opset && strcmp(def->op_type, op_type) == 0 && strcmp(def->domain, d) == 0)
            best = def; /* sorted by version: the last match is the newest */
    }
    return best;
}

size_t cg_op_count(void) { return get_registry()->n; }

const cg_op_def *cg_op_at(size_t i)
{
    const registry *r = get_registry();
    return i < r->n ? r->defs[i] : NULL;
}

bool cg_op_known(const char *domain, const char *op_type)
{
    return cg_op_find(domain, op_type, INT64_MAX) != NULL;
}
