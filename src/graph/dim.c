/* Dims and shapes, including readable expressions for symbolic sizes. */
#include "convgraph/dim.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cg_mul_overflows(int64_t a, int64_t b, int64_t *out) { return __builtin_mul_overflow(a, b, out); }
bool cg_add_overflows(int64_t a, int64_t b, int64_t *out) { return __builtin_add_overflow(a, b, out); }

bool cg_dim_equal(cg_dim a, cg_dim b)
{
    if (a.sym || b.sym)
        return a.sym && b.sym && strcmp(a.sym, b.sym) == 0;
    return a.v >= 0 && a.v == b.v;
}

int cg_dim_format(cg_dim d, char *buf, size_t n)
{
    if (d.sym)
        return snprintf(buf, n, "%s", d.sym);
    if (d.v >= 0)
        return snprintf(buf, n, "%" PRId64, d.v);
    return snprintf(buf, n, "?");
}

/* ---- expression text ---- */

/* True when s has a '+' or '-' outside parentheses: it needs parentheses as an
 * operand of '*' or '/'. */
static bool is_additive(const char *s)
{
    int depth = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '(')
            depth++;
        else if (s[i] == ')')
            depth--;
        else if (depth == 0 && i > 0 && (s[i] == '+' || s[i] == '-'))
            return true;
    }
    return false;
}

/* Splits "E+5" / "E-5" into E and a constant so constants fold: (H+1)-4 -> H-3. */
static int64_t split_constant(const char *s, size_t *stem_len)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && isdigit((unsigned char)s[i - 1]))
        i--;
    *stem_len = n;
    if (i == n || i < 2 || (s[i - 1] != '+' && s[i - 1] != '-') || n - i > 15)
        return 0;
    int depth = 0;
    for (size_t j = 0; j < i - 1; j++)
        depth += (s[j] == '(') - (s[j] == ')');
    if (depth != 0)
        return 0;
    int64_t c = strtoll(s + i, NULL, 10);
    *stem_len = i - 1;
    return s[i - 1] == '-' ? -c : c;
}

static cg_dim expr(cg_strpool *p, const char *text)
{
    const char *s = text ? cg_strpool_add(p, text, strlen(text)) : NULL;
    return s ? cg_dim_symbol(s) : cg_dim_unknown();
}

/* Writes an operand of '*' or '/': parenthesized when additive. */
static void operand(char *buf, size_t n, cg_dim d)
{
    if (d.sym)
        snprintf(buf, n, is_additive(d.sym) ? "(%s)" : "%s", d.sym);
    else
        snprintf(buf, n, "%" PRId64, d.v);
}

static cg_dim sym_plus_const(cg_strpool *p, const char *s, int64_t k)
{
    size_t stem;
    int64_t c = split_constant(s, &stem);
    if (cg_add_overflows(c, k, &c))
        return cg_dim_unknown();
    char buf[512];
    if (c == 0)
        snprintf(buf, sizeof buf, "%.*s", (int)stem, s);
    else
        snprintf(buf, sizeof buf, "%.*s%+" PRId64, (int)stem, s, c);
    return expr(p, buf);
}

static bool either_unknown(cg_dim a, cg_dim b) { return cg_dim_is_unknown(a) || cg_dim_is_unknown(b); }

static cg_dim known_or_unknown(bool overflow, int64_t v)
{
    return overflow || v < 0 ? cg_dim_unknown() : cg_dim_known(v);
}

cg_dim cg_dim_add(cg_strpool *p, cg_dim a, cg_dim b)
{
    int64_t v;
    if (either_unknown(a, b))
        return cg_dim_unknown();
    if (!a.sym && !b.sym) {
        bool overflow = cg_add_overflows(a.v, b.v, &v); /* sets v before it is read */
        return known_or_unknown(overflow, v);
    }
    if (!b.sym)
        return sym_plus_const(p, a.sym, b.v);
    if (!a.sym)
        return sym_plus_const(p, b.sym, a.v);
    char buf[512];
    snprintf(buf, sizeof buf, "%s+%s", a.sym, b.sym);
    return expr(p, buf);
}

cg_dim cg_dim_sub(cg_strpool *p, cg_dim a, cg_dim b)
{
    if (either_unknown(a, b))
        return cg_dim_unknown();
    if (!a.sym && !b.sym)
        return known_or_unknown(false, a.v - b.v);
    if (cg_dim_equal(a, b))
        return cg_dim_known(0);
    if (!b.sym)
        return sym_plus_const(p, a.sym, -b.v);
    char buf[512], rhs[240];
    operand(rhs, sizeof rhs, b);
    if (!a.sym)
        snprintf(buf, sizeof buf, "%" PRId64 "-%s", a.v, rhs);
    else
        snprintf(buf, sizeof buf, "%s-%s", a.sym, rhs);
    return expr(p, buf);
}

cg_dim cg_dim_mul(cg_strpool *p, cg_dim a, cg_dim b)
{
    int64_t v;
    if ((!a.sym && a.v == 0) || (!b.sym && b.v == 0))
        return cg_dim_known(0);
    if (either_unknown(a, b))
        return cg_dim_unknown();
    if (!a.sym && !b.sym) {
        bool overflow = cg_mul_overflows(a.v, b.v, &v); /* sets v before it is read */
        return known_or_unknown(overflow, v);
    }
    if (!a.sym && a.v == 1)
        return b;
    if (!b.sym && b.v == 1)
        return a;
    char buf[512], l[240], r[240];
    operand(l, sizeof l, a.sym ? a : b); /* symbol first: N*3 */
    operand(r, sizeof r, a.sym ? b : a);
    snprintf(buf, sizeof buf, "%s*%s", l, r);
    return expr(p, buf);
}

static cg_dim dim_div(cg_strpool *p, cg_dim a, cg_dim b, bool ceil_div)
{
    if (either_unknown(a, b) || (!b.sym && b.v <= 0))
        return cg_dim_unknown();
    if (!a.sym && !b.sym)
        return cg_dim_known(ceil_div ? (a.v + b.v - 1) / b.v : a.v / b.v);
    if (!b.sym && b.v == 1)
        return a;
    if (cg_dim_equal(a, b))
        return cg_dim_known(1);
    char buf[512], l[240], r[240];
    operand(l, sizeof l, a);
    operand(r, sizeof r, b);
    snprintf(buf, sizeof buf, "%s(%s/%s)", ceil_div ? "ceil" : "floor", l, r);
    return expr(p, buf);
}

cg_dim cg_dim_div_floor(cg_strpool *p, cg_dim a, cg_dim b) { return dim_div(p, a, b, false); }
cg_dim cg_dim_div_ceil(cg_strpool *p, cg_dim a, cg_dim b) { return dim_div(p, a, b, true); }

cg_dim cg_dim_of_i64(cg_strpool *p, int64_t v)
{
    if (v >= 0)
        return cg_dim_known(v);
    const char *s = cg_strpool_printf(p, "%" PRId64, v);
    return s ? cg_dim_symbol(s) : cg_dim_unknown();
}

bool cg_dim_to_i64(cg_dim d, int64_t *v)
{
    if (cg_dim_is_known(d)) {
        *v = d.v;
        return true;
    }
    if (!d.sym || d.sym[0] != '-')
        return false;
    /* Only a negative literal written by cg_dim_of_i64 parses whole. */
    char *end = NULL;
    long long x = strtoll(d.sym, &end, 10);
    if (end == d.sym || *end != '\0')
        return false;
    *v = (int64_t)x;
    return true;
}

/* ---- shapes ---- */

cg_shape cg_shape_of(int rank, const int64_t *dims)
{
    cg_shape s;
    s.rank = rank < 0 || rank > CG_MAX_RANK ? -1 : rank;
    for (int i = 0; i < s.rank; i++)
        s.d[i] = dims[i] >= 0 ? cg_dim_known(dims[i]) : cg_dim_unknown();
    return s;
}

bool cg_shape_is_static(const cg_shape *s)
{
    if (s->rank < 0)
        return false;
    for (int i = 0; i < s->rank; i++)
        if (!cg_dim_is_known(s->d[i]))
            return false;
    return true;
}

bool cg_shape_equal(const cg_shape *a, const cg_shape *b)
{
    if (a->rank < 0 || a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (!cg_dim_equal(a->d[i], b->d[i]))
            return false;
    return true;
}

int64_t cg_shape_numel(const cg_shape *s)
{
    if (!cg_shape_is_static(s))
        return -1;
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        if (cg_mul_overflows(n, s->d[i].v, &n))
            return -1;
    return n;
}

int cg_shape_format(const cg_shape *s, char *buf, size_t n)
{
    if (n == 0)
        return 0;
    if (s->rank < 0)
        return snprintf(buf, n, "?");
    size_t used = 0;
    buf[0] = '\0';
    for (int i = -1; i <= s->rank && used < n; i++) {
        char tmp[256];
        if (i < 0)
            snprintf(tmp, sizeof tmp, "[");
        else if (i == s->rank)
            snprintf(tmp, sizeof tmp, "]");
        else {
            cg_dim_format(s->d[i], tmp + (i > 0), sizeof tmp - 1);
            if (i > 0)
                tmp[0] = ',';
        }
        int w = snprintf(buf + used, n - used, "%s", tmp);
        used += w > 0 ? (size_t)w : 0;
    }
    return (int)(used < n ? used : n - 1);
}
