#include <iostream>

#include "datamanager/data_manager.h"

int main(int argc, char** argv) {
  return tandem::datamanager::RunDataManager(std::vector<std::string>(argv + 1, argv + argc),
                                             std::cout, std::cerr);
}
