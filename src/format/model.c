/* Picks the reader by file name: YAML specs by extension, everything else ONNX. */
#include <string.h>
#include <strings.h>

#include "convgraph/format.h"

bool cg_path_has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

bool cg_path_is_yaml(const char *path)
{
    return cg_path_has_suffix(path, ".yaml") || cg_path_has_suffix(path, ".yml");
}

cg_graph *cg_model_load(const char *path, cg_status *st)
{
    if (cg_path_is_yaml(path))
        return cg_yaml_load(path, st);
    return cg_onnx_load(path, st);
}

cg_graph *cg_model_load_shapes_only(const char *path, cg_status *st)
{
    if (cg_path_is_yaml(path))
        return cg_yaml_load(path, st);
    return cg_onnx_load_shapes_only(path, st);
}
