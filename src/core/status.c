#include "convgraph/status.h"

#include <stdarg.h>
#include <stdio.h>

cg_code cg_fail(cg_status *st, cg_code code, const char *fmt, ...)
{
    if (st) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof st->msg, fmt, ap);
        va_end(ap);
        /* Messages quote names from files; a newline or terminal escape in a
         * name must not break the one-line rule. */
        for (char *p = st->msg; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        st->code = code;
    }
    return code;
}

void cg_status_clear(cg_status *st)
{
    if (st) {
        st->code = CG_OK;
        st->msg[0] = '\0';
    }
}

const char *cg_code_name(cg_code code)
{
    switch (code) {
    case CG_OK: return "ok";
    case CG_ERR_IO: return "i/o error";
    case CG_ERR_FORMAT: return "format error";
    case CG_ERR_INVALID: return "invalid model";
    case CG_ERR_UNSUPPORTED: return "unsupported";
    case CG_ERR_NOMEM: return "out of memory";
    }
    return "unknown error";
}
