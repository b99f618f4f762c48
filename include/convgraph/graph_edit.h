/* Editing the IR in place: what the converter's passes need. Values and nodes
 * are referenced by index, so every edit that drops or renames something keeps
 * the indices consistent (node inputs/outputs, graph inputs/outputs, producers,
 * the name index) before it returns. */
#ifndef CONVGRAPH_GRAPH_EDIT_H
#define CONVGRAPH_GRAPH_EDIT_H

#include <stdbool.h>

#include "convgraph/graph.h"

/* Every node input that reads value `from` reads `to` instead. Graph outputs are
 * not touched: an output keeps its name. */
void cg_graph_replace_uses(cg_graph *g, int from, int to);

/* How many node inputs read value v (a node reading it twice counts twice). */
int cg_graph_use_count(const cg_graph *g, int v);

/* Removes the nodes with remove[i] set (n_nodes entries), keeping the order of
 * the others, and recomputes every value's producer. Values stay; see
 * cg_graph_compact_values. */
void cg_graph_remove_nodes(cg_graph *g, const bool *remove);

/* Value v becomes an initializer holding t (ownership taken, also on failure):
 * its producer link is dropped, dtype and shape follow t. */
void cg_graph_make_initializer(cg_graph *g, int v, cg_tensor *t);

/* A new initializer holding t (ownership taken, also on failure), named `base`
 * or, when taken, base_1, base_2, ...; its index, or -1 on allocation failure. */
int cg_graph_add_initializer(cg_graph *g, const char *base, cg_tensor *t, cg_status *st);

/* Renames value v; fails when another value already has the name. */
cg_code cg_graph_rename_value(cg_graph *g, int v, const char *name, cg_status *st);

/* Drops values nothing refers to (no node input or output, not a graph input
 * or output) and renumbers the rest in their old order. */
cg_code cg_graph_compact_values(cg_graph *g, cg_status *st);

/* ---- attributes ---- */

/* Removes the attribute named `name`; false when the node has none. */
bool cg_node_remove_attr(cg_node *n, const char *name);
/* Sets (replacing any previous value) an INTS attribute. */
cg_code cg_node_set_ints(cg_node *n, const char *name, const int64_t *v, int count,
                         cg_status *st);
/* Sets (replacing any previous value) a STRING attribute. */
cg_code cg_node_set_string(cg_node *n, const char *name, const char *s, cg_status *st);
/* Deep copy of src into dst (dst is overwritten, not cleared first). */
cg_code cg_attr_copy(cg_attr *dst, const cg_attr *src, cg_status *st);
/* Appends a deep copy of src to the node's attributes. */
cg_code cg_node_append_attr_copy(cg_node *n, const cg_attr *src, cg_status *st);

#endif
