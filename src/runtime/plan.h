/* Internal: the executor's memory plan. Every intermediate tensor (produced by a
 * node, not a graph output) gets an offset in one arena, chosen from the
 * tensors' inferred static sizes and lifetimes (producer .. last reader), so
 * tensors that are never alive at the same time share bytes. Elementwise nodes
 * may write their output over an input that dies at that node (in place). */
#ifndef CG_RUNTIME_PLAN_H
#define CG_RUNTIME_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convgraph/graph.h"

enum { CG_PLAN_ALIGN = 64 }; /* a cache line, and an AVX-512 vector */

typedef struct cg_plan {
    int n_values, n_nodes;
    int64_t *offset;    /* per value: byte offset in the arena; -1 not in the arena */
    bool *in_place;     /* per node: output 0 shares input 0's bytes */
    size_t arena_bytes; /* what the arena must hold */
    size_t sum_bytes;   /* every planned tensor's bytes, as if none shared */
    int n_in_place;
} cg_plan;

/* Plans g's current inferred shapes (nodes in topological order). allow_in_place:
 * let elementwise nodes overwrite a dying input. Frees any previous plan in p. */
cg_code cg_plan_build(const cg_graph *g, bool allow_in_place, cg_plan *p, cg_status *st);
void cg_plan_free(cg_plan *p);

/* True when the op writes every element of output 0 itself (its output needs
 * no zero fill) — and, for the in-place ops, reads input 0 element e before it
 * writes output element e. */
bool cg_plan_writes_every_element(const cg_node *n);

#endif
