#include "testing/sync/local_sync_source.h"

namespace tandem {

Result<SourceInfo> LocalSyncSource::Info(const Cancellation&) {
  ASSIGN_OR_RETURN(std::string id, repo_.ServerId());
  return SourceInfo{id, kSyncProtocolMajor, kSyncProtocolMinor, "in-process"};
}

Result<Catalogue> LocalSyncSource::FetchCatalogue(const CatalogueRequest& request, const Cancellation&) {
  return service_.BuildCatalogue(request);
}

Status LocalSyncSource::FetchPack(const PackRequest& request, const ByteSink& sink,
                                  const Cancellation& cancel) {
  ASSIGN_OR_RETURN(Resource r, repo_.GetResource(request.resource_id));
  return service_.WritePack(r.id, request.have, request.want, [&](std::string_view bytes) {
    return !cancel.cancelled() && sink(bytes);
  });
}

Result<ChangePage> LocalSyncSource::Changes(int64_t since, std::chrono::seconds wait,
                                            const Cancellation&) {
  ChangePage page;
  ASSIGN_OR_RETURN(page.head_seq, repo_.LastEventSeq());
  if (since < 0) {
    page.last_seq = page.head_seq;
    return page;
  }
  auto slice = std::min<std::chrono::milliseconds>(wait, std::chrono::milliseconds(100));
  ASSIGN_OR_RETURN(auto events, repo_.Changes(since, 1000, slice));
  page.last_seq = events.empty() ? since : events.back().seq;
  for (const auto& e : events) {
    SourceChange c{e.seq, e.type, e.resource_id.value_or(""), ""};
    auto data = Json::parse(e.data, nullptr, false);
    c.name = JsonString(data, "name");
    page.events.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(page.head_seq, repo_.LastEventSeq());
  return page;
}

}  // namespace tandem
