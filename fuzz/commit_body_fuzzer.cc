// Fuzz target: the body of POST /sysml/v2/projects/{id}/commits — the
// depth-limited parse (Call::Body), the SysML v2 CommitRequest mapping
// (ParseCommitRequest) and Repository::CreateCommit, which validates every
// change, renders canonical JSON, reads each element's relationship facts and
// stores the commit; then the Commit record of the answer.
//
// Commits pile up in one project; the store is replaced every kCommitsPerStore
// stored commits so a long run neither grows nor slows without bound.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_server.h"
#include "api/sysml_json.h"
#include "fuzz/fuzz_repository.h"

namespace {

constexpr int kCommitsPerStore = 2000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tandem;
  static FuzzRepository fuzz;
  static const ApiOptions options;
  static std::string project;
  static int commits = 0;
  if (project.empty() || commits >= kCommitsPerStore) {
    if (!project.empty()) fuzz.Reset();
    auto r = fuzz.repo().CreateResource(ResourceSpec{"fuzzed project", std::nullopt, std::nullopt, std::nullopt});
    FuzzCheck(r.status(), "creating the project");
    project = r->id;
    commits = 0;
  }

  HttpRequest req;
  req.method = "POST";
  req.target = req.path = "/sysml/v2/projects/" + project + "/commits";
  req.body.assign(reinterpret_cast<const char*>(data), size);
  Call call(req, Principal{"fuzz", Role::kWriter, {}}, options);
  auto body = call.Body();
  if (!body.ok()) return 0;
  auto request = ParseCommitRequest(*body);
  if (!request.ok()) return 0;
  auto commit = fuzz.repo().CreateCommit(project, *request, call.who().user);
  if (!commit.ok()) return 0;
  ++commits;
  (void)RenderJson(CommitJson(*commit));
  return 0;
}
