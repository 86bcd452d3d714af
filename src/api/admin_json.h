// JSON records of the administration API (/api/v1): categories, resources,
// commits with Tandem's own fields (author, hash, branches, tags, usages),
// users and change-feed events. Pure functions; thread-safe.
#pragma once

#include "common/canonical_json.h"
#include "repo/repository.h"
#include "store/records.h"

namespace tandem {

Json CategoryRecord(const Category& c);
Json ResourceRecord(const Resource& r);
Json CommitRecord(const CommitView& v);
Json UserRecord(const User& u);
Json EventRecord(const Event& e);

}  // namespace tandem
