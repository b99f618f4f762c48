/* Reads one window per line on stdin and prints what padding.c resolves it to, so
 * a test in another language (tests/tfjs/padding_diff.js) can compare it with a
 * reference implementation. Input line:
 *   KIND SPATIAL AUTO_PAD CEIL_MODE HAS_PADS n.. k.. s.. d.. pads(2*SPATIAL) [op..]
 * with KIND conv|pool|convt, AUTO_PAD NOTSET|VALID|SAME_UPPER|SAME_LOWER and one
 * value per spatial axis for n, k, s, d and, for convt only, output_padding.
 * Output line, in the same order:
 *   ok OUT.. BEGIN.. END..     or     error MESSAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convgraph/convgraph.h"

static bool parse_kind(const char *s, cg_window_kind *kind)
{
    static const struct { const char *name; cg_window_kind kind; } kinds[] = {
        {"conv", CG_WINDOW_CONV}, {"pool", CG_WINDOW_POOL}, {"convt", CG_WINDOW_CONV_TRANSPOSE}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return true;
        }
    return false;
}

/* Reads `count` integers from the tokens of the line; false when any is missing or
 * not a number. */
static bool read_ints(char **save, int count, int64_t *out)
{
    for (int i = 0; i < count; i++) {
        const char *tok = strtok_r(NULL, " \t\n", save);
        char *end;
        if (!tok)
            return false;
        long long v = strtoll(tok, &end, 10);
        if (*end != '\0')
            return false;
        out[i] = v;
    }
    return true;
}

static bool parse_window(char *line, cg_window *w, int64_t *in)
{
    char *save = NULL;
    const char *kind_tok = strtok_r(line, " \t\n", &save);
    cg_window_kind kind;
    int64_t head[1];
    if (!kind_tok || !parse_kind(kind_tok, &kind) || !read_ints(&save, 1, head) ||
        head[0] < 1 || head[0] > CG_MAX_SPATIAL)
        return false;
    cg_window_init(w, kind, (int)head[0]);
    const char *pad_tok = strtok_r(NULL, " \t\n", &save);
    int64_t flags[2];
    if (!pad_tok || !cg_auto_pad_parse(pad_tok, strlen(pad_tok), &w->auto_pad) ||
        !read_ints(&save, 2, flags))
        return false;
    w->ceil_mode = flags[0] != 0;
    w->has_pads = flags[1] != 0;
    return read_ints(&save, w->spatial, in) && read_ints(&save, w->spatial, w->kernel) &&
           read_ints(&save, w->spatial, w->strides) &&
           read_ints(&save, w->spatial, w->dilations) &&
           read_ints(&save, 2 * w->spatial, w->pads) &&
           (kind != CG_WINDOW_CONV_TRANSPOSE || read_ints(&save, w->spatial, w->output_padding));
}

static void print_result(const cg_window *w, const cg_window_axis *axes)
{
    char out[64];
    printf("ok");
    for (int a = 0; a < w->spatial; a++) {
        cg_dim_format(axes[a].out, out, sizeof out);
        printf(" %s", out);
    }
    for (int a = 0; a < w->spatial; a++)
        printf(" %lld", (long long)axes[a].pad_begin);
    for (int a = 0; a < w->spatial; a++)
        printf(" %lld", (long long)axes[a].pad_end);
    printf("\n");
}

int main(void)
{
    char line[1024];
    int line_no = 0;
    while (fgets(line, sizeof line, stdin)) {
        cg_window w;
        int64_t in[CG_MAX_SPATIAL];
        cg_dim dims[CG_MAX_SPATIAL];
        cg_window_axis axes[CG_MAX_SPATIAL];
        cg_status st;
        line_no++;
        if (!parse_window(line, &w, in)) {
            fprintf(stderr, "padding_eval: line %d is not a window description\n", line_no);
            return 2;
        }
        for (int a = 0; a < w.spatial; a++)
            dims[a] = cg_dim_known(in[a]);
        cg_status_clear(&st);
        if (cg_padding_resolve_all(&w, dims, NULL, axes, &st) == CG_OK)
            print_result(&w, axes);
        else
            printf("error %s\n", st.msg);
    }
    return 0;
}
