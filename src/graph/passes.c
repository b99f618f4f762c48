/* What every pass shares: the report and its notes, and small graph queries. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "graph/pass_internal.h"

void cg_pass_report_free(cg_pass_report *r)
{
    if (r)
        cg_diag_free(&r->notes);
}

void cg_pass_note(cg_pass_report *rep, const cg_graph *g, const cg_node *n, const char *fmt, ...)
{
    if (!rep)
        return;
    char label[160], line[CG_MSG_MAX];
    int head = snprintf(line, sizeof line, "%s: node %s (%s) ", g->source,
                        cg_node_label(g, n, label, sizeof label), n->op_type);
    if (head >= 0 && (size_t)head < sizeof line) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line + head, sizeof line - (size_t)head, fmt, ap);
        va_end(ap);
    }
    cg_diag_add(&rep->notes, line);
}

bool cg_pass_is_op(const cg_node *n, const char *op) { return !n->domain[0] && strcmp(n->op_type, op) == 0; }

int cg_pass_sole_reader(const cg_graph *g, int v)
{
    if (v < 0 || g->values[v].is_output || cg_graph_use_count(g, v) != 1)
        return -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] == v)
                return i;
    return -1;
}
