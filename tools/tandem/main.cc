// tandem: the command-line client for a Tandem server. See docs/cli.md.
#include "cli/cli.h"

int main(int argc, char** argv) { return tandem::RunCliMain(argc, argv); }
