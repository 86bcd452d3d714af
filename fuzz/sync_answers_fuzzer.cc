// Fuzz target: the JSON answers of a source that a target decodes
// (HttpSyncSource: GET /sync/v1/info, POST /sync/v1/catalogue, the change feed
// GET /api/v1/changes) and the catalogue request a source decodes from a
// target (the /sync/v1/catalogue route: Call::Body, CatalogueRequestFromJson).
// and the two lists a target reads when it browses a source for the web
// administration (GET /api/v1/categories and /api/v1/resources pages).
// Every input goes through all of them; each refuses what is not its shape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_server.h"
#include "sync/sync_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  static const ApiOptions options;
  std::string body(reinterpret_cast<const char*>(data), size);

  if (auto info = InfoFromAnswer(body); info.ok()) (void)CheckSourceInfo(*info);
  (void)CatalogueFromAnswer(body);
  (void)ChangePageFromAnswer(body);
  auto categories = CategoriesFromAnswer(body);
  auto resources = ResourcesFromAnswer(body);
  if (categories.ok()) {
    SourceTree tree;
    tree.categories = std::move(categories).value();
    if (resources.ok()) tree.resources = std::move(resources).value();
    (void)CheckSourceTree(tree);
  }

  HttpRequest req;
  req.method = "POST";
  req.target = req.path = kCataloguePath;
  req.body = std::move(body);
  Call call(req, Principal{}, options);
  if (auto json = call.Body(); json.ok()) (void)CatalogueRequestFromJson(*json);
  return 0;
}
