/* explicit_pads: auto_pad SAME_UPPER / SAME_LOWER / VALID become explicit pads.
 * The pads are the ones padding.c resolved during shape inference (node->window);
 * this pass only re-encodes them, so TensorFlow's rule (dilated kernel, clamping
 * at 0, odd pixel at the end for SAME_UPPER) survives in runtimes that implement
 * auto_pad differently or not at all (onnxruntime refuses dilated SAME convs). */
#include <stdio.h>
#include <string.h>

#include "convgraph/graph_edit.h"
#include "graph/pass_internal.h"

static const char *const k_windowed_ops[] = {"Conv", "ConvTranspose", "MaxPool", "AveragePool",
                                             "LpPool", NULL};

static bool is_windowed(const cg_node *n)
{
    if (n->domain[0])
        return false;
    for (const char *const *op = k_windowed_ops; *op; op++)
        if (strcmp(n->op_type, *op) == 0)
            return true;
    return false;
}

/* The node's auto_pad when it is one this pass rewrites (SAME_* or VALID). */
static bool auto_pad_to_rewrite(const cg_node *n, cg_auto_pad *out)
{
    const cg_attr *a = cg_node_attr(n, "auto_pad");
    return a && a->type == CG_ATTR_STRING && cg_auto_pad_parse(a->s, a->s_len, out) &&
           *out != CG_AUTO_PAD_NOTSET;
}

static void note(cg_pass_report *rep, const cg_graph *g, const cg_node *n, cg_auto_pad mode,
                 const char *why)
{
    cg_pass_note(rep, g, n, "keeps auto_pad %s: %s", cg_auto_pad_name(mode), why);
}

/* Why the resolved pads cannot be written down, or NULL when they can. */
static const char *unresolved_reason(const cg_node *n, char *buf, size_t len)
{
    const cg_window_report *wr = n->window;
    if (!wr)
        return "its shapes could not be inferred";
    for (int i = 0; i < wr->w.spatial; i++) {
        const cg_window_axis *ax = &wr->axes[i];
        if (ax->pad_begin >= 0 && ax->pad_end >= 0 && cg_dim_is_known(ax->in) &&
            cg_dim_is_known(ax->out))
            continue;
        char dim[128];
        cg_dim_format(ax->in, dim, sizeof dim);
        const char *axis = cg_axis_label(wr->w.spatial, i);
        if (cg_dim_is_symbolic(ax->in))
            snprintf(buf, len, "input %s is symbolic (%s); pass --input-shape to resolve", axis,
                     dim);
        else
            snprintf(buf, len, "input %s is unknown; pass --input-shape to resolve", axis);
        return buf;
    }
    return NULL;
}

/* ONNX ConvTranspose spec: out = s*(n-1) + output_padding + ek - pads_begin - pads_end.
 * With auto_pad SAME_* the spec asks for out = n*s and splits total_padding =
 * s*(n-1) + output_padding + ek - out between the sides; padding.c clamps a
 * negative total (stride above the dilated kernel) at 0, so explicit pads alone
 * would give a smaller output. The faithful encoding is explicit pads plus the
 * output_padding that makes the formula land on the resolved size: the extra
 * outputs get no input contribution, exactly as the clamped total means.
 * output_shape (which overrides pads) is dropped for the same reason. */
static void transpose_output_padding(const cg_window_report *wr, int64_t *op)
{
    for (int i = 0; i < wr->w.spatial; i++) {
        const cg_window_axis *ax = &wr->axes[i];
        /* < 0 is refused by cg_window_validate below */
        op[i] = cg_padding_transpose_output_padding(&wr->w, i, ax->in.v, ax->out.v, ax->pad_begin,
                                                    ax->pad_end);
    }
}

/* Resolves the explicit encoding through padding.c again: it must give the very
 * output sizes and pads the auto_pad form did (a pool's ceil_mode, for one, acts
 * on explicit pads but not on SAME). */
static bool explicit_form_agrees(const cg_window_report *wr, const int64_t *pads,
                                 const int64_t *op, cg_strpool *pool)
{
    cg_window w = wr->w;
    w.auto_pad = CG_AUTO_PAD_NOTSET;
    w.has_pads = true;
    w.has_output_shape = false;
    memcpy(w.pads, pads, sizeof w.pads);
    if (w.kind == CG_WINDOW_CONV_TRANSPOSE)
        memcpy(w.output_padding, op, sizeof w.output_padding);
    if (cg_window_validate(&w, NULL) != CG_OK)
        return false;
    for (int i = 0; i < w.spatial; i++) {
        cg_window_axis ax;
        const cg_window_axis *want = &wr->axes[i];
        if (cg_padding_resolve(&w, i, want->in, pool, &ax, NULL) != CG_OK ||
            !cg_dim_equal(ax.out, want->out) || ax.pad_begin != want->pad_begin ||
            ax.pad_end != want->pad_end)
            return false;
    }
    return true;
}

/* Rewrites the node; *kept is set (nothing changed) when the explicit form would
 * not compute the same thing. */
static cg_code rewrite_node(cg_graph *g, cg_node *n, bool *kept, cg_status *st)
{
    const cg_window_report *wr = n->window;
    int spatial = wr->w.spatial;
    int64_t pads[2 * CG_MAX_SPATIAL] = {0}, op[CG_MAX_SPATIAL] = {0};
    for (int i = 0; i < spatial; i++) {
        pads[i] = wr->axes[i].pad_begin;
        pads[spatial + i] = wr->axes[i].pad_end;
    }
    bool transpose = wr->w.kind == CG_WINDOW_CONV_TRANSPOSE;
    if (transpose)
        transpose_output_padding(wr, op);
    *kept = !explicit_form_agrees(wr, pads, op, g->pool);
    if (*kept)
        return CG_OK;
    cg_code rc = cg_node_set_ints(n, "pads", pads, 2 * spatial, st);
    if (rc == CG_OK && transpose) {
        bool any = cg_node_attr(n, "output_padding") != NULL;
        for (int i = 0; i < spatial; i++)
            any = any || op[i] != 0;
        if (any)
            rc = cg_node_set_ints(n, "output_padding", op, spatial, st);
        cg_node_remove_attr(n, "output_shape");
    }
    if (rc == CG_OK)
        cg_node_remove_attr(n, "auto_pad");
    return rc;
}

/* Inference problems are the model's; they become notes on the nodes concerned. */
static cg_code infer_for_pass(cg_graph *g, const cg_infer_options *opt, cg_status *st)
{
    cg_infer_options with_diags = {0};
    cg_diag_list problems = {0};
    if (opt)
        with_diags = *opt;
    with_diags.diags = &problems;
    cg_code rc = cg_pins_validate(g, with_diags.pins, with_diags.n_pins, st);
    if (rc == CG_OK && cg_graph_infer_shapes(g, &with_diags, NULL) == CG_ERR_NOMEM)
        rc = cg_fail(st, CG_ERR_NOMEM, "%s: out of memory inferring shapes", g->source);
    cg_diag_free(&problems);
    return rc;
}

/* VALID is "no padding" for every input size (ONNX Conv spec, auto_pad), and
 * floor((n-ek)/s)+1 = ceil((n-ek+1)/s), so zero pads are faithful even for
 * symbolic sizes. Not with a pool's ceil_mode (which acts on explicit pads only)
 * nor ConvTranspose (whose output_shape would still decide). */
static bool valid_for_any_size(const cg_node *n, cg_auto_pad mode)
{
    return mode == CG_AUTO_PAD_VALID && n->window && !n->window->w.ceil_mode &&
           n->window->w.kind != CG_WINDOW_CONV_TRANSPOSE;
}

static cg_code rewrite_valid(cg_node *n, cg_status *st)
{
    int64_t zeros[2 * CG_MAX_SPATIAL] = {0};
    cg_code rc = cg_node_set_ints(n, "pads", zeros, 2 * n->window->w.spatial, st);
    if (rc == CG_OK)
        cg_node_remove_attr(n, "auto_pad");
    return rc;
}

cg_code cg_pass_explicit_pads(cg_graph *g, const cg_infer_options *opt, cg_pass_report *rep,
                              cg_status *st)
{
    cg_code rc = infer_for_pass(g, opt, st);
    for (int i = 0; rc == CG_OK && i < g->n_nodes; i++) {
        cg_node *n = &g->nodes[i];
        cg_auto_pad mode;
        if (!is_windowed(n) || !auto_pad_to_rewrite(n, &mode))
            continue;
        char why[256];
        const char *reason = unresolved_reason(n, why, sizeof why);
        if (reason && valid_for_any_size(n, mode)) {
            if ((rc = rewrite_valid(n, st)) == CG_OK && rep)
                rep->changed++;
            continue;
        }
        if (reason) {
            note(rep, g, n, mode, reason);
            continue;
        }
        bool kept = false;
        if ((rc = rewrite_node(g, n, &kept, st)) != CG_OK)
            break;
        if (kept)
            note(rep, g, n, mode, "explicit pads would not give the same output size");
        else if (rep)
            rep->changed++;
    }
    return rc;
}
