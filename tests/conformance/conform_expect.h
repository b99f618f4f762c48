/* tests/conformance/expected_failures.txt: tests whose inferred shapes knowingly
 * disagree with the reference outputs. One test name a line, each followed by a
 * '#' comment saying why; blank lines and lines starting with '#' are ignored. */
#ifndef CONFORM_EXPECT_H
#define CONFORM_EXPECT_H

#include <stdbool.h>

typedef struct expect_list {
    int n;
    char **names;
} expect_list;

/* Reads the list; false with a one-line message in err (file:line) when the file
 * is missing or an entry lacks its reason. */
bool expect_load(const char *path, expect_list *out, char *err, int err_len);
bool expect_contains(const expect_list *l, const char *name);
void expect_free(expect_list *l);

#endif
