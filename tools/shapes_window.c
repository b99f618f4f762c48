/* The geometry lines under a windowed op's row in `convgraph shapes`: kernel,
 * strides, dilations, auto_pad and resolved pads, then padding.c's explanation of
 * each spatial axis. */
#include <string.h>

#include "cli.h"

static void format_axes_ints(const int64_t *v, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? "x" : "", (long long)v[i]);
}

static void format_pad(int64_t pad, char *buf, size_t len)
{
    if (pad < 0)
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%lld", (long long)pad);
}

/* "kernel 4x4  strides 2x2  dilations 1x1  auto_pad SAME_UPPER" plus, for pools
 * and ConvTranspose, ceil_mode / output_padding / output_shape. */
static void format_window_attrs(const cg_window *w, char *buf, size_t len)
{
    char kernel[64], strides[64], dilations[64], extra[160] = "";
    format_axes_ints(w->kernel, w->spatial, kernel, sizeof kernel);
    format_axes_ints(w->strides, w->spatial, strides, sizeof strides);
    format_axes_ints(w->dilations, w->spatial, dilations, sizeof dilations);
    if (w->kind == CG_WINDOW_CONV_TRANSPOSE) {
        char padding[64], shape[64] = "";
        format_axes_ints(w->output_padding, w->spatial, padding, sizeof padding);
        if (w->has_output_shape)
            format_axes_ints(w->output_shape, w->spatial, shape, sizeof shape);
        snprintf(extra, sizeof extra, "  output_padding %s%s%s", padding,
                 w->has_output_shape ? "  output_shape " : "", shape);
    }
    snprintf(buf, len, "kernel %s  strides %s  dilations %s  auto_pad %s%s%s", kernel, strides,
             dilations, cg_auto_pad_name(w->auto_pad), w->ceil_mode ? "  ceil_mode" : "", extra);
}

/* "pads H 1+1 W 1+1": begin+end per axis as resolved; "?" where a symbol decides. */
static void format_window_pads(const cg_window_report *r, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "pads");
    for (int a = 0; a < r->w.spatial && used < len; a++) {
        char begin[24], end[24];
        format_pad(r->axes[a].pad_begin, begin, sizeof begin);
        format_pad(r->axes[a].pad_end, end, sizeof end);
        used += (size_t)snprintf(buf + used, len - used, " %s %s+%s",
                                 cg_axis_label(r->w.spatial, a), begin, end);
    }
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* The widest line shapes_print_window writes for r, with attributes and pads on
 * lines of their own. */
int shapes_window_width(const cg_window_report *r)
{
    char attrs[320], pads[160];
    format_window_attrs(&r->w, attrs, sizeof attrs);
    format_window_pads(r, pads, sizeof pads);
    int width = max_int((int)strlen(attrs), (int)strlen(pads));
    for (int a = 0; a < r->w.spatial; a++)
        width = max_int(width, (int)strlen(r->axes[a].explain));
    return width;
}

/* Attributes and pads on one line, or on two when they would pass `width`; then
 * each axis's explanation. */
void shapes_print_window(const cg_window_report *r, int indent, int width)
{
    char attrs[320], pads[160];
    format_window_attrs(&r->w, attrs, sizeof attrs);
    format_window_pads(r, pads, sizeof pads);
    if (indent + (int)(strlen(attrs) + 2 + strlen(pads)) <= width)
        printf("%*s%s  %s\n", indent, "", attrs, pads);
    else
        printf("%*s%s\n%*s%s\n", indent, "", attrs, indent, "", pads);
    for (int a = 0; a < r->w.spatial; a++)
        if (r->axes[a].explain[0])
            printf("%*s%s\n", indent, "", r->axes[a].explain);
}
