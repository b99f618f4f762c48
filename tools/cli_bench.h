/* `convgraph bench`: the subcommand's entry point and help (tools/cmd_bench.c). */
#ifndef CG_TOOLS_CLI_BENCH_H
#define CG_TOOLS_CLI_BENCH_H

#include <stdio.h>

int cmd_bench(int argc, char **argv);
void help_print_bench(FILE *out);

#endif
