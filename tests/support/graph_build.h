/* Shared builders and checks for the cmocka unit tests: make a graph, declare
 * inputs and initializers, add nodes with attributes, infer or run it, and
 * compare shapes and tensors. Every helper fails the current test (cmocka
 * assertion) instead of returning an error, so test bodies stay linear.
 * Include after <cmocka.h>. */
#ifndef CG_TEST_GRAPH_BUILD_H
#define CG_TEST_GRAPH_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "convgraph/convgraph.h"
#include "convgraph/runtime.h"

/* Most names a comma list given to gb_node may hold, and their length. */
#define GB_MAX_NAMES 16
#define GB_NAME_LEN 32

/* ---- building ---- */

/* An empty graph "test.onnx" importing the default domain at this opset. */
cg_graph *gb_graph(int64_t opset);

/* The index of value `name`, created when new. */
int gb_value(cg_graph *g, const char *name);

/* "N,3,?,224" -> [N,3,?,224]: digits start a known dim, "?" is unknown,
 * anything else is a symbol. "" is a scalar; NULL or "*" an unknown rank. */
cg_shape gb_parse_shape(cg_graph *g, const char *spec);

/* A new tensor; `data` (nbytes long) is copied when not NULL, else zeros. */
cg_tensor *gb_tensor(cg_dtype t, int rank, const int64_t *dims, const void *data);

/* Declares `name` as a graph input of this dtype and shape; returns its index. */
int gb_input(cg_graph *g, const char *name, cg_dtype t, cg_shape shape);

/* Makes `name` an initializer holding t (the graph takes t); returns t. */
cg_tensor *gb_initializer(cg_graph *g, const char *name, cg_tensor *t);

/* Declares a float32 graph input (declared dtype and shape too, as a model's
 * input is); dims < 0 are the symbol syms[i]. */
void gb_float_input(cg_graph *g, const char *name, int rank, const int64_t *dims,
                    const char *const *syms);

/* Fills a float32 tensor with deterministic, sign-changing values. */
void gb_fill_seeded(cg_tensor *t, int seed);

/* A float32 initializer of these dims filled by gb_fill_seeded. */
void gb_seeded_weight(cg_graph *g, const char *name, int rank, const int64_t *dims, int seed);

/* Splits "a,,b" into names, "" standing for an omitted optional value; an
 * empty list has no names, a trailing "," adds one omitted name. */
int gb_split_names(const char *csv, char buf[][GB_NAME_LEN], const char **names);

/* Adds node `name` (NULL: named after its first output) running `op` of the
 * default domain from the comma lists `ins` to `outs`. The pointer is valid
 * until the next node is added. */
cg_node *gb_node(cg_graph *g, const char *name, const char *op, const char *ins,
                 const char *outs);

/* gb_node with the names given as arrays, in the default domain or `domain`. */
cg_node *gb_node_in_domain(cg_graph *g, const char *name, const char *op, const char *domain,
                           int n_in, const char *const *ins, int n_out, const char *const *outs);
cg_node *gb_node_list(cg_graph *g, const char *name, const char *op, int n_in,
                      const char *const *ins, int n_out, const char *const *outs);

/* Makes value `name`, which must exist, a graph output. */
void gb_output(cg_graph *g, const char *name);

/* Makes every non-empty name of the comma list a graph output. */
void gb_outputs(cg_graph *g, const char *csv);

/* Attributes; lists are copied. */
cg_attr *gb_attr(cg_node *n, const char *name, cg_attr_type type);
void gb_attr_int(cg_node *n, const char *name, int64_t v);
void gb_attr_float(cg_node *n, const char *name, float v);
void gb_attr_str(cg_node *n, const char *name, const char *s);
void gb_attr_ints(cg_node *n, const char *name, int count, const int64_t *v);
void gb_attr_floats(cg_node *n, const char *name, int count, const float *v);
/* "2,2" -> INTS [2,2] (at most 8). */
void gb_attr_ints_csv(cg_node *n, const char *name, const char *csv);

/* A 3x3 SAME-padded Conv named `name` reading `in`, with seeded weights
 * name_w [m,c,3,3] and bias name_b [m]. */
void gb_conv3x3(cg_graph *g, const char *name, const char *in, const char *out, int64_t m, int64_t c,
                int seed);

/* ---- inferring and running ---- */

/* The value called `name`, which must exist. */
cg_value *gb_find(const cg_graph *g, const char *name);

/* The node called `name`, or NULL. */
const cg_node *gb_node_named(const cg_graph *g, const char *name);

/* Toposort then shape inference must succeed. */
void gb_sort_and_infer(cg_graph *g);

/* Shape inference must succeed (the failure message is shown otherwise). */
void gb_infer_ok(cg_graph *g);

/* Shape inference must fail with `code`, one message line containing each
 * of the fragments (frag2 may be NULL). */
void gb_infer_fails(cg_graph *g, cg_code code, const char *frag1, const char *frag2);

/* value's shape formatted ("[1,3,N,?]") must equal want. */
void gb_expect_shape(const cg_graph *g, const char *name, const char *want);

/* Sorts and runs g on the named inputs (borrowed); returns its outputs.
 * The run must succeed. */
cg_named_tensor *gb_run(cg_graph *g, int n_in, const char *const *names,
                        cg_tensor *const *tensors, int *n_out);

/* Sorts and runs g, returning the code (status in st); outputs land in *out. */
cg_code gb_try_run(cg_graph *g, int n_in, const char *const *names, cg_tensor *const *tensors,
                   cg_named_tensor **out, int *n_out, cg_status *st);

/* A session with these kernels on one thread; must succeed. */
cg_session *gb_session(cg_graph *g, cg_kernel_choice k);

/* Runs s on input "x" of the given dims (data from seed); returns every output. */
cg_named_tensor *gb_session_run_x(cg_session *s, int rank, const int64_t *dims, int seed, int *n_out);

/* Builds the graph twice, runs a FAST and a REFERENCE session (on `threads`
 * threads) on input "x" of each dims set in turn, twice over, seeded by the
 * round, and requires every output pair to have one name and to agree within
 * tol absolute + tol relative (cg_tensor_compare: any dtype). Returns the FAST
 * session's graph, rewritten, for the caller to inspect and free; the
 * REFERENCE one goes to *ref when ref is not NULL, else is freed. */
cg_graph *gb_fast_vs_reference(cg_graph *(*build)(void), int rank, const int64_t *const *dims, int n_dims,
                               int threads, double tol, cg_graph **ref);

/* ---- comparing tensors ---- */

/* t has exactly these dims. */
void gb_expect_dims(const cg_tensor *t, int rank, const int64_t *dims);

/* t holds n elements equal to want within tol * (1 + |want|); NaN matches NaN. */
void gb_expect_values(const cg_tensor *t, int64_t n, const double *want, double tol);

/* Float32 tensors a and b have the same dims and elements within
 * tol * (1 + |a|). */
void gb_expect_close(const cg_tensor *a, const cg_tensor *b, double tol);

#endif
