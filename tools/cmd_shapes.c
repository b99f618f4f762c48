/* `convgraph shapes MODEL`: model summary, then one row per node with its shapes,
 * MACs and, for windowed ops, the resolved geometry and why. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define REPORT_WIDTH 100 /* the terminal width the table is laid out for */
#define MACS_WIDTH 8
#define NAME_WIDTH_MAX 28
#define OP_WIDTH_MAX 20
#define DETAIL_INDENT_MIN 4
#define BLOCK_INDENT 4 /* shapes that do not fit their column */

static const cli_command shapes_command = {"shapes", true, help_print_shapes};

typedef struct table_layout {
    int name_w, op_w, io_w, detail_indent;
} table_layout;

/* "x[1,3,64,64]"; "x?" when even the rank is unknown. */
static void format_value(const cg_value *v, char *buf, size_t len)
{
    char shape[256];
    if (v->shape.rank < 0) {
        snprintf(buf, len, "%s?", v->name);
        return;
    }
    cg_shape_format(&v->shape, shape, sizeof shape);
    snprintf(buf, len, "%s%s", v->name, shape);
}

static const char *node_label(const cg_graph *g, const cg_node *n, char *buf, size_t len)
{
    if (n->name[0])
        return n->name;
    return cg_node_label(g, n, buf, len);
}

static void print_opsets(const cg_graph *g)
{
    printf("%s", g->n_opsets == 1 ? "opset" : "opsets");
    for (int i = 0; i < g->n_opsets; i++)
        printf("%s %s %lld", i ? "," : "", g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx",
               (long long)g->opsets[i].version);
}

static int widest_name(const cg_graph *g, const int *values, int n, int width)
{
    for (int i = 0; i < n; i++) {
        int len = (int)strlen(g->values[values[i]].name);
        width = len > width ? len : width;
    }
    return width;
}

static void print_value_list(const cg_graph *g, const char *label, const int *values, int n,
                             int name_w)
{
    for (int i = 0; i < n; i++) {
        const cg_value *v = &g->values[values[i]];
        char type[300];
        cli_type_text(v->dtype, &v->shape, type, sizeof type);
        printf("%-9s%-*s  %s\n", i ? "" : label, name_w, v->name, type);
    }
    if (n == 0)
        printf("%-9s(none)\n", label);
}

static void print_count_line(const char *label, int64_t n)
{
    char grouped[40], human[24];
    cli_grouped_count(n, grouped, sizeof grouped);
    cli_human_count(n, human, sizeof human);
    if (n >= 1000)
        printf("%-9s%s (%s)\n", label, grouped, human);
    else
        printf("%-9s%s\n", label, grouped);
}

static bool inputs_are_symbolic(const cg_graph *g)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (!cg_shape_is_static(&g->values[g->inputs[i]].shape))
            return true;
    return false;
}

static void print_summary(const cg_graph *g, const char *path)
{
    int name_w = widest_name(g, g->outputs, g->n_outputs, widest_name(g, g->inputs, g->n_inputs, 0));
    printf("%-9s%s\n", "model", path);
    printf("%-9s%s (", "graph", g->name && g->name[0] ? g->name : "unnamed");
    if (g->ir_version > 0) /* YAML specs have none */
        printf("ir_version %lld, ", (long long)g->ir_version);
    print_opsets(g);
    printf(")\n");
    print_value_list(g, "inputs", g->inputs, g->n_inputs, name_w);
    print_value_list(g, "outputs", g->outputs, g->n_outputs, name_w);
    print_count_line("params", cg_graph_param_count(g));
    int64_t macs = cg_graph_total_macs(g);
    if (macs < 0 && inputs_are_symbolic(g))
        printf("%-9s? (depends on symbolic input dims: pin them with --input-shape)\n", "MACs");
    else
        print_count_line("MACs", macs);
}

/* "x[1,3,64,64], w[6,3,4,4] -> y[1,6,32,32]" in a malloc'd string, *arrow the
 * offset of "->"; NULL on allocation failure. Omitted optional inputs and outputs
 * are left out. */
static char *format_io(const cg_graph *g, const cg_node *n, size_t *arrow)
{
    char *text = NULL, item[400];
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    int shown = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0)
            continue;
        format_value(&g->values[n->inputs[i]], item, sizeof item);
        fprintf(f, "%s%s", shown++ ? ", " : "", item);
    }
    fputs(shown ? " " : "", f);
    fflush(f);
    *arrow = size;
    fputs("->", f);
    shown = 0;
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] < 0)
            continue;
        format_value(&g->values[n->outputs[i]], item, sizeof item);
        fprintf(f, "%s %s", shown++ ? "," : "", item);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Length of the next line of text[0..len) at most `width` wide, broken after a
 * space; a single word longer than width is kept whole. */
static size_t wrap_length(const char *text, size_t len, size_t width)
{
    size_t cut = 0;
    if (len <= width)
        return len;
    for (size_t i = 0; i <= width; i++)
        if (text[i] == ' ')
            cut = i + 1;
    for (size_t i = width + 1; cut == 0 && i < len; i++)
        if (text[i] == ' ')
            cut = i + 1;
    return cut ? cut : len;
}

/* Walks "inputs -> outputs" as wrapped lines: the inputs first, then a new line
 * starting at "->". */
typedef struct io_lines {
    const char *io;
    size_t arrow, pos, len, width;
} io_lines;

static io_lines io_lines_start(const char *io, size_t arrow, size_t width)
{
    io_lines w = {io, arrow, 0, strlen(io), width};
    return w;
}

/* Next line without the spaces it was broken after; false at the end. */
static bool io_lines_next(io_lines *w, const char **line, int *n)
{
    size_t end = w->pos < w->arrow ? w->arrow : w->len;
    if (w->pos >= end)
        return false;
    size_t take = wrap_length(w->io + w->pos, end - w->pos, w->width), keep = take;
    while (keep > 0 && w->io[w->pos + keep - 1] == ' ')
        keep--;
    *line = w->io + w->pos;
    *n = (int)keep;
    w->pos += take;
    return true;
}

static size_t longest_word(const char *text)
{
    size_t longest = 0;
    while (*text) {
        size_t len = strcspn(text, " ");
        longest = len > longest ? len : longest;
        text += len + strspn(text + len, " ");
    }
    return longest;
}

/* The row's first line: name, op, the first line of shapes, MACs. */
static void print_row_head(const table_layout *t, const char *name, const char *op,
                           const char *shapes, int n_shapes, const char *macs)
{
    int head = printf("%-*s  %-*s  %.*s", t->name_w, name, t->op_w, op, n_shapes, shapes);
    int gap = REPORT_WIDTH - MACS_WIDTH - head;
    printf("%*s%*s\n", gap > 2 ? gap : 2, "", MACS_WIDTH, macs);
}

/* One table row: name, op, inputs -> outputs, MACs. Shapes too long for their
 * column wrap inside it, the outputs starting a line of their own. When the name
 * or a single tensor does not fit its column, the shapes move to lines of their
 * own below, indented by BLOCK_INDENT. */
static void print_row(const table_layout *t, const char *name, const char *op, const char *io,
                      size_t arrow, const char *macs)
{
    bool name_fits = (int)strlen(name) <= t->name_w;
    if (name_fits && strlen(io) <= (size_t)t->io_w) {
        print_row_head(t, name, op, io, (int)strlen(io), macs);
        return;
    }
    bool in_column = name_fits && longest_word(io) <= (size_t)t->io_w;
    int indent = in_column ? t->name_w + t->op_w + 4 : BLOCK_INDENT;
    io_lines lines = io_lines_start(io, arrow, (size_t)(REPORT_WIDTH - MACS_WIDTH - 2 - indent));
    const char *line = "";
    int n = 0;
    if (in_column)
        io_lines_next(&lines, &line, &n);
    print_row_head(t, name, op, line, n, macs);
    if (!in_column)
        lines.width = (size_t)(REPORT_WIDTH - indent);
    while (io_lines_next(&lines, &line, &n))
        printf("%*s%.*s\n", indent, "", n, line);
}

static int clamp_width(int w, int lo, int hi)
{
    return w < lo ? lo : w > hi ? hi : w;
}

/* Column widths from the longest name and op type (capped); window details sit
 * under the op column unless that would push them past the report width. */
static table_layout plan_table(const cg_graph *g)
{
    table_layout t = {(int)strlen("node"), (int)strlen("op"), 0, 0};
    int detail_w = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        char buf[160];
        int name_len = (int)strlen(node_label(g, n, buf, sizeof buf));
        int op_len = (int)strlen(n->op_type);
        int window_w = n->window ? shapes_window_width(n->window) : 0;
        t.name_w = name_len > t.name_w ? name_len : t.name_w;
        t.op_w = op_len > t.op_w ? op_len : t.op_w;
        detail_w = window_w > detail_w ? window_w : detail_w;
    }
    t.name_w = clamp_width(t.name_w, 4, NAME_WIDTH_MAX);
    t.op_w = clamp_width(t.op_w, 2, OP_WIDTH_MAX);
    t.io_w = REPORT_WIDTH - t.name_w - t.op_w - MACS_WIDTH - 6;
    t.detail_indent = clamp_width(REPORT_WIDTH - detail_w, DETAIL_INDENT_MIN, t.name_w + 2);
    return t;
}

static bool print_nodes(const cg_graph *g)
{
    table_layout t = plan_table(g);
    print_row(&t, "node", "op", "inputs -> outputs", strlen("inputs "), "MACs");
    for (int i = 0; i < g->n_nodes; i++) {
        const cg_node *n = &g->nodes[i];
        char label[160], macs[24];
        size_t arrow;
        char *io = format_io(g, n, &arrow);
        if (!io)
            return false;
        cli_human_count(n->macs, macs, sizeof macs);
        print_row(&t, node_label(g, n, label, sizeof label), n->op_type, io, arrow, macs);
        free(io);
        if (n->window)
            shapes_print_window(n->window, t.detail_indent, REPORT_WIDTH);
    }
    return true;
}

static void print_unsupported_note(const cg_graph *g)
{
    char ops[1024];
    int n = cg_graph_unsupported_ops(g, ops, sizeof ops);
    if (n > 0)
        printf("\nnote: %d unsupported op type%s (outputs shown as ?): %s\n", n,
               n == 1 ? "" : "s", ops);
}

static int print_text(const cg_graph *g, const char *path)
{
    print_summary(g, path);
    printf("\n");
    if (!print_nodes(g)) {
        fflush(stdout);
        fprintf(stderr, "convgraph shapes: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    print_unsupported_note(g);
    return CLI_EXIT_OK;
}

int cmd_shapes(int argc, char **argv)
{
    cli_args args;
    int begun = cli_begin(&shapes_command, argc, argv, &args);
    if (begun != CLI_CONTINUE)
        return begun;
    cg_graph *g = cli_load_model_shapes(&args);
    if (!g)
        return CLI_EXIT_USAGE;
    cg_infer_options opt = {args.pins, args.n_pins, NULL};
    cg_status st = {0};
    cg_code rc = cg_graph_infer_shapes(g, &opt, &st);
    /* What was inferred before a failure is still worth showing. */
    int exit_code = args.json ? shapes_print_json(g, stdout) : print_text(g, args.model);
    if (rc != CG_OK) {
        fflush(stdout);
        fprintf(stderr, "%s\n", st.msg);
        exit_code = CLI_EXIT_PROBLEMS;
    }
    cg_graph_free(g);
    return exit_code;
}
