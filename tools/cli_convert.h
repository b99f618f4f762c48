/* The `convert` and `dot` subcommands: entry points and their help texts. */
#ifndef CG_TOOLS_CLI_CONVERT_H
#define CG_TOOLS_CLI_CONVERT_H

#include <stdio.h>

int cmd_convert(int argc, char **argv);
int cmd_dot(int argc, char **argv);
void help_print_convert(FILE *out);
void help_print_dot(FILE *out);

#endif
