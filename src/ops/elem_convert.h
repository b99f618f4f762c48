/* Internal: how the typed kernel loops (DEFINE_*_LOOP macros in elementwise.c,
 * matmul.c) load an element into their arithmetic type and store a result back.
 * Passed as the `load` / `store` arguments of those macros. */
#ifndef CG_OPS_ELEM_CONVERT_H
#define CG_OPS_ELEM_CONVERT_H

#include "convgraph/tensor.h" /* cg_half_to_float, cg_float_to_half */

/* Loads: the element as it is (the loop widens it by assignment). */
#define AS_IS(v) (v)
/* Stores: a C conversion to the element type T. */
#define CAST_TO(T, v) ((T)(v))
/* float16 elements are stored as IEEE half bits: load with cg_half_to_float,
 * store rounded through float. */
#define HALF_TO(T, v) cg_float_to_half((float)(v))

#endif
