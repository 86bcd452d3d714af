// Fuzz target: a request target's query string as the API reads it —
// ParseTarget's percent-decoding into parameters, the pagination cursors and
// page size (Call::Page), the id parameters (branchId, baseCommitId), the
// have=/want= commit lists of a pack request (CommitList), and the Link
// header of a list answer, which re-encodes every other parameter.
//
// Input: the request target, e.g. "/sysml/v2/projects/ID/commits?page[size]=2".
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_server.h"
#include "api/route_helpers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  static const ApiOptions options;
  HttpRequest req;
  req.method = "GET";
  req.target.assign(reinterpret_cast<const char*>(data), size);
  ParseTarget(req.target, req.path, req.params);
  Call call(req, Principal{}, options);

  (void)call.QueryId("branchId");
  (void)call.QueryId("baseCommitId");
  (void)CommitList(call, "have");
  (void)CommitList(call, "want");
  auto page = call.Page();
  if (page.ok()) {
    std::string first = page->before.value_or("");
    std::string last = page->after.value_or("");
    Reply reply = call.PageReply(Json::array(), first, last, true, true);
    (void)reply;
  }
  return 0;
}
