/* Readers: files -> IR or tensors. Every count, offset and dim read from a file
 * is checked before use; errors name the file. */
#ifndef CONVGRAPH_FORMAT_H
#define CONVGRAPH_FORMAT_H

#include <stddef.h>

#include "convgraph/graph.h"
#include "convgraph/tensor.h"

/* ONNX ModelProto from a file; external data is resolved relative to the file's
 * folder. The result is topologically sorted. NULL with st filled on error.
 * The file is mapped, and initializers aligned in it are used in place until
 * cg_graph_free: replacing the file (rename, as cg_onnx_save does) is safe,
 * truncating it in place while the graph lives is not (SIGBUS on access). */
cg_graph *cg_onnx_load(const char *path, cg_status *st);
/* Same, for commands that need shapes, not weights (shapes, check, dot):
 * initializers of 64 KiB and more that lie unaligned in the file (they would
 * need a copy) are left unread — their tensors have dims but no data
 * (cg_tensor_unloaded), which shape functions treat as unknown contents. Every
 * check on the file, sizes included, is the same as cg_onnx_load's. */
cg_graph *cg_onnx_load_shapes_only(const char *path, cg_status *st);
/* Same, from memory; `source` names it in messages, `base_dir` resolves external
 * data (NULL: external data is an error). */
cg_graph *cg_onnx_load_buffer(const void *buf, size_t len, const char *source,
                              const char *base_dir, cg_status *st);

/* One ONNX TensorProto serialized on its own (the backend tests' input_K.pb). */
cg_tensor *cg_onnx_read_tensor(const char *path, cg_status *st);

/* The YAML model spec (docs/yaml-spec.md). Errors give file, line and column. */
cg_graph *cg_yaml_load(const char *path, cg_status *st);

/* NumPy .npy, format versions 1-3. */
cg_tensor *cg_npy_read(const char *path, cg_status *st);

/* Any model: .yaml/.yml -> YAML spec, otherwise ONNX. */
/* Whether path ends in suffix, letters compared case-blind (".onnx", ".YAML"). */
bool cg_path_has_suffix(const char *path, const char *suffix);
/* A YAML model spec by its name: .yaml or .yml. */
bool cg_path_is_yaml(const char *path);

cg_graph *cg_model_load(const char *path, cg_status *st);
/* cg_model_load with cg_onnx_load_shapes_only for ONNX files (YAML specs load whole). */
cg_graph *cg_model_load_shapes_only(const char *path, cg_status *st);

/* ---- writers: each writes PATH.tmp and renames it, so an error never leaves a
 * partial file behind ---- */
/* NumPy .npy, format version 1.0, little-endian, C order. */
cg_code cg_npy_write(const char *path, const cg_tensor *t, cg_status *st);
/* One ONNX TensorProto with raw_data (what the backend tests' .pb files hold). */
cg_code cg_onnx_write_tensor(const char *path, const cg_tensor *t, const char *name, cg_status *st);
typedef struct cg_onnx_save_options {
    int64_t external_min_bytes; /* initializers of at least this many bytes go to external data; < 0: never (default) */
    const char *external_file;  /* data file name next to the model; NULL: "<model file name>.data" */
    /* Also declare, in value_info, the inferred dtype and shape of every value the
     * file did not declare (run cg_graph_infer_shapes first); false: only what the
     * source file declared. */
    bool write_inferred_value_info;
} cg_onnx_save_options;
/* IR -> ONNX ModelProto via protobuf-c. opt may be NULL. Atomic (temp file + rename) for the model and the data file. */
cg_code cg_onnx_save(const cg_graph *g, const char *path, const cg_onnx_save_options *opt, cg_status *st);
/* The YAML model spec (docs/yaml-spec.md); weights go to .npy files in PATH's
 * folder under STEM_weights/ (STEM: PATH's name less .yaml/.yml). */
cg_code cg_yaml_save(const cg_graph *g, const char *path, cg_status *st);
/* Writes len bytes of buf to path through a temporary file and rename(2). */
cg_code cg_write_file_atomic(const char *path, const void *buf, size_t len, cg_status *st);

/* Whole file into memory (malloc'd); refuses files above max_bytes. */
void *cg_read_file(const char *path, size_t *len, size_t max_bytes, cg_status *st);

#endif
