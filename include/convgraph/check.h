/* Validation of a loaded graph: everything `convgraph check` reports. */
#ifndef CONVGRAPH_CHECK_H
#define CONVGRAPH_CHECK_H

#include "convgraph/graph.h"
#include "convgraph/infer.h"

/* Runs every check on g and appends one line per problem to `problems`:
 * nodes out of topological order in the file, duplicate node names, graph outputs
 * nothing produces, shape-function problems (dtypes, channels, attributes; shape
 * inference is run with opt's pins, collecting every problem), declared types that
 * contradict inference (graph outputs, value_info, typed initializers) and
 * unsupported ops (one line with their counts).
 * Returns CG_OK when the checks ran, whatever they found; an error (bad pins, no
 * memory) when they could not, with st filled. opt->diags is ignored. */
cg_code cg_graph_check(cg_graph *g, const cg_infer_options *opt, cg_diag_list *problems,
                       cg_status *st);

#endif
