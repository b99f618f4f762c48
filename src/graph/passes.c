/* What every converter pass shares: the report and its notes. */
#include <stdarg.h>
#include <stdio.h>

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
