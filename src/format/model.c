/* Picks the reader by file name: YAML specs by extension, everything else ONNX. */
#include <string.h>
#include <strings.h>

#include "convgraph/format.h"

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

cg_graph *cg_model_load(const char *path, cg_status *st)
{
    if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
        return cg_yaml_load(path, st);
    return cg_onnx_load(path, st);
}

cg_graph *cg_model_load_shapes_only(const char *path, cg_status *st)
{
    if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
        return cg_yaml_load(path, st);
    return cg_onnx_load_shapes_only(path, st);
}
