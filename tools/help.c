/* Help texts. The op list is generated from the registry so it cannot go stale. */
#include <string.h>

#include "cli.h"

#define HELP_WIDTH 80
#define HELP_INDENT "  "

static const char options_text[] =
    "  --input-shape NAME:D1,D2,...  pin graph input NAME to a concrete shape, e.g.\n"
    "                                --input-shape x:1,3,224,224 (repeatable)\n";

static const char exit_text[] =
    "exit status: 0 success, 1 inference failed or problems found, 2 usage error\n"
    "or the model cannot be read (the reason is one line on stderr).\n";

/* Word-wraps comma-separated items to HELP_WIDTH columns. */
typedef struct wrap_state {
    FILE *out;
    size_t column;
} wrap_state;

static void wrap_item(wrap_state *w, const char *item, bool last)
{
    size_t len = strlen(item) + (last ? 0 : 1); /* the item and its comma */
    if (w->column > strlen(HELP_INDENT) && w->column + 1 + len > HELP_WIDTH) {
        fputs("\n" HELP_INDENT, w->out);
        w->column = strlen(HELP_INDENT);
    } else if (w->column > strlen(HELP_INDENT)) {
        fputc(' ', w->out);
        w->column++;
    }
    fprintf(w->out, "%s%s", item, last ? "" : ",");
    w->column += len;
}

static bool same_op(const cg_op_def *a, const cg_op_def *b)
{
    return strcmp(a->op_type, b->op_type) == 0 && strcmp(a->domain, b->domain) == 0;
}

/* "Conv(1,11)" for registry entries [first, *next); *next is the next op type. */
static void format_op_versions(size_t first, size_t *next, char *buf, size_t len)
{
    const cg_op_def *def = cg_op_at(first);
    size_t n = cg_op_count(), used;
    used = (size_t)snprintf(buf, len, "%s%s%s(", def->domain, def->domain[0] ? "." : "",
                            def->op_type);
    size_t i = first;
    for (; i < n && same_op(cg_op_at(i), def) && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%d", i > first ? "," : "",
                                 cg_op_at(i)->since_version);
    if (used < len)
        snprintf(buf + used, len - used, ")");
    *next = i;
}

static void print_supported_ops(FILE *out)
{
    wrap_state w = {out, strlen(HELP_INDENT)};
    size_t n = cg_op_count();
    fputs("supported ops, with the opsets where each supported version appeared:\n" HELP_INDENT,
          out);
    for (size_t i = 0; i < n;) {
        char item[128];
        size_t next;
        format_op_versions(i, &next, item, sizeof item);
        wrap_item(&w, item, next >= n);
        i = next;
    }
    fputc('\n', out);
}

void help_print_main(FILE *out)
{
    fputs("usage: convgraph COMMAND [options]\n"
          "       convgraph --help | --version | help [COMMAND]\n\n"
          "Infers every tensor's shape in an ONNX model or YAML model spec and explains\n"
          "the padding of every convolution and pooling window, following TensorFlow's\n"
          "SAME/VALID rules exactly.\n\n"
          "commands:\n"
          "  shapes MODEL [--input-shape NAME:DIMS]... [--json]\n"
          "                 the model's inputs, outputs, parameters and MACs, then each\n"
          "                 node's input and output shapes, MACs and window geometry\n"
          "  check MODEL [--input-shape NAME:DIMS]...\n"
          "                 validates the model, one line per problem\n"
          "  help [COMMAND] this help, or a command's\n\n"
          "options:\n",
          out);
    fputs(options_text, out);
    fputs("  --json                        shapes: one JSON document on stdout\n"
          "                                (format: docs/shapes-json.md)\n"
          "  -h, --help                    help (convgraph COMMAND --help: the command's)\n"
          "  --version                     print the version\n\n"
          "MODEL is an ONNX file, or a YAML model spec when it ends in .yaml or .yml.\n\n",
          out);
    fputs(exit_text, out);
    fputc('\n', out);
    print_supported_ops(out);
}

void help_print_shapes(FILE *out)
{
    fputs("usage: convgraph shapes MODEL [--input-shape NAME:D1,D2,...]... [--json]\n\n"
          "Infers every tensor's shape and prints a model summary (inputs, outputs,\n"
          "parameter count, total MACs), then one row per node: its input shapes, output\n"
          "shapes and MACs. Convolutions and pools add their kernel, strides, dilations,\n"
          "auto_pad and resolved pads, and for each spatial axis how the output size and\n"
          "padding follow from the input size. Outputs of unsupported ops show as '?'.\n\n"
          "options:\n",
          out);
    fputs(options_text, out);
    fputs("  --json                        one JSON document on stdout instead of text\n"
          "                                (format: docs/shapes-json.md)\n"
          "  -h, --help                    this help\n\n",
          out);
    fputs(exit_text, out);
}

void help_print_check(FILE *out)
{
    fputs("usage: convgraph check MODEL [--input-shape NAME:D1,D2,...]...\n\n"
          "Validates the model and prints one line per problem, then a summary line:\n"
          "nodes out of topological order in the file, duplicate node names, graph\n"
          "outputs nothing produces, dtype, channel and attribute errors found by shape\n"
          "inference, declared shapes (outputs, value_info) that contradict the inferred\n"
          "ones, and unsupported ops with their counts.\n\n"
          "options:\n",
          out);
    fputs(options_text, out);
    fputs("  -h, --help                    this help\n\n"
          "exit status: 0 valid, 1 problems found, 2 usage error or the model cannot be\n"
          "read (the reason is one line on stderr).\n",
          out);
}
