#include "testing/repo/shared_model.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tandem::testing {

Json LoadSharedModel() {
  const char* dir = std::getenv("TANDEM_SHARED_DIR");
  std::string path = std::string(dir ? dir : TANDEM_DEFAULT_SHARED_DIR) +
                     "/data/sysml-v2/PartsTreeRedefinition.json";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

CommitRequest CommitRequestFrom(const Json& body) {
  CommitRequest req;
  for (const auto& ch : body["change"]) {
    ElementChange c;
    if (ch.contains("identity")) c.element_id = ch["identity"]["@id"].get<std::string>();
    c.payload = ch["payload"];
    req.changes.push_back(std::move(c));
  }
  return req;
}

}  // namespace tandem::testing
