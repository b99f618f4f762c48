/* Internal: what the pass_*.c files share. */
#ifndef CG_GRAPH_PASS_INTERNAL_H
#define CG_GRAPH_PASS_INTERNAL_H

#include "convgraph/passes.h"

/* Adds "SOURCE: node LABEL (OP) <fmt...>" to rep's notes (rep may be NULL). */
void cg_pass_note(cg_pass_report *rep, const cg_graph *g, const cg_node *n, const char *fmt, ...)
    CG_PRINTF(4, 5);

/* A node of the default domain running op. */
bool cg_pass_is_op(const cg_node *n, const char *op);

/* The one node reading v, when v is not a graph output and has exactly one
 * reader that reads it once; -1 otherwise. */
int cg_pass_sole_reader(const cg_graph *g, int v);

#endif
