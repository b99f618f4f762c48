/* pin_shapes: what --input-shape fixed and what inference derived from it is
 * written into the model's declarations (graph inputs and value_info), so a
 * converted model carries its resolved shapes. */
#include <string.h>

#include "graph/pass_internal.h"

static bool is_pinned(const cg_infer_options *opt, const char *name)
{
    for (int i = 0; opt && i < opt->n_pins; i++)
        if (strcmp(opt->pins[i].name, name) == 0)
            return true;
    return false;
}

/* A value whose declaration follows inference: not an initializer (its tensor
 * is the declaration) and not an unpinned graph input (its declaration is the
 * model's contract, symbolic dims included). */
static bool declares_inferred(const cg_value *v, const cg_infer_options *opt)
{
    if (v->is_initializer)
        return false;
    if (v->is_input)
        return is_pinned(opt, v->name);
    return v->dtype != CG_UNDEFINED && v->shape.rank >= 0;
}

/* Nodes without a shape function leave their outputs undeclared: say which. */
static void note_unsupported(const cg_graph *g, cg_pass_report *rep)
{
    for (int i = 0; rep && i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        if (n->def)
            continue;
        cg_pass_note(rep, g, n, "has no shape function: its outputs stay undeclared");
    }
}

cg_code cg_pass_pin_shapes(cg_graph *g, const cg_infer_options *opt, cg_pass_report *rep,
                           cg_status *st)
{
    cg_code rc = cg_graph_infer_shapes(g, opt, st);
    if (rc != CG_OK)
        return rc;
    for (int v = 0; v < g->n_values; v++) {
        cg_value *val = &g->values[v];
        if (!declares_inferred(val, opt))
            continue;
        bool same = val->has_declared && val->declared_dtype == val->dtype &&
                    cg_shape_equal(&val->declared_shape, &val->shape);
        val->has_declared = true;
        val->declared_dtype = val->dtype;
        val->declared_shape = val->shape;
        if (!same && rep)
            rep->changed++;
    }
    note_unsupported(g, rep);
    return CG_OK;
}
