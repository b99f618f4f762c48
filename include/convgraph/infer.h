/* Shape inference over a whole graph. */
#ifndef CONVGRAPH_INFER_H
#define CONVGRAPH_INFER_H

#include "convgraph/graph.h"

/* An input pinned to a concrete shape: `--input-shape NAME:1,3,224,224`. */
typedef struct cg_pin {
    char name[256];
    int rank;
    int64_t dims[CG_MAX_RANK];
} cg_pin;

/* Parses "NAME:D1,D2,..." (NAME may itself contain ':'; the last ':' splits). */
cg_code cg_pin_parse(const char *arg, cg_pin *out, cg_status *st);

/* Checks that each pin names a graph input and agrees with the rank and known
 * dims the file declares for it (cg_graph_infer_shapes applies the same rules;
 * callers check up front to tell a bad --input-shape from a problem in the
 * model). Fails with "SOURCE: --input-shape NAME: ...". */
cg_code cg_pins_validate(const cg_graph *g, const cg_pin *pins, int n_pins, cg_status *st);

/* Problems collected when inference should go on past the first one (`check`). */
typedef struct cg_diag_list {
    int n, cap;
    char **lines;
} cg_diag_list;

void cg_diag_add(cg_diag_list *d, const char *line);
void cg_diag_free(cg_diag_list *d);

typedef struct cg_infer_options {
    const cg_pin *pins;
    int n_pins;
    /* NULL: stop at the first problem (its message in st). Non-NULL: record each
     * problem as a line, leave that node's outputs unknown and go on. Either way an
     * unsupported op is not a problem here: its outputs stay unknown and
     * cg_graph_unsupported_ops reports it. The return is the first problem's code. */
    cg_diag_list *diags;
} cg_infer_options;

/* Applies pins (error if a pin names no graph input or has the wrong rank),
 * then runs each node's shape function in topological order. */
cg_code cg_graph_infer_shapes(cg_graph *g, const cg_infer_options *opt, cg_status *st);

/* Distinct op types without a registered shape function, "Op:count" each, in
 * order of first appearance, written comma-separated into buf; returns how many. */
int cg_graph_unsupported_ops(const cg_graph *g, char *buf, size_t len);

/* Sum of node MACs; -1 if any node's MACs are unknown. */
int64_t cg_graph_total_macs(const cg_graph *g);

#endif
