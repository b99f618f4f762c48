/* Errors are values: every fallible function returns a cg_code and, when given a
 * cg_status, fills it with a one-line message naming file, node and what is wrong. */
#ifndef CONVGRAPH_STATUS_H
#define CONVGRAPH_STATUS_H

#include <stddef.h>

typedef enum cg_code {
    CG_OK = 0,
    CG_ERR_IO,          /* file missing or unreadable */
    CG_ERR_FORMAT,      /* bytes are not a valid model / tensor / spec */
    CG_ERR_INVALID,     /* well-formed but semantically wrong (shapes, attributes) */
    CG_ERR_UNSUPPORTED, /* valid but outside what convgraph implements */
    CG_ERR_NOMEM,       /* allocation failed or a size is absurd */
} cg_code;

#define CG_MSG_MAX 512

typedef struct cg_status {
    cg_code code;
    char msg[CG_MSG_MAX];
} cg_status;

#if defined(__GNUC__)
#define CG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CG_PRINTF(a, b)
#endif

/* Records code and a formatted message in st (st may be NULL); returns code. */
cg_code cg_fail(cg_status *st, cg_code code, const char *fmt, ...) CG_PRINTF(3, 4);
void cg_status_clear(cg_status *st);
const char *cg_code_name(cg_code code);

#endif
