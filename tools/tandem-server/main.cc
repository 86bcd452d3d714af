#include "server/tandem_server.h"

int main(int argc, char** argv) { return tandem::RunServerMain(argc, argv); }
