// The real SysML v2 model of ../shared (PartsTreeRedefinition, 228 elements)
// for repository tests: read from $TANDEM_SHARED_DIR or the checkout's
// ../shared, and turned into a CommitRequest. Thread-safe.
#pragma once

#include "common/canonical_json.h"
#include "repo/repository.h"

namespace tandem::testing {

// The model file's JSON (a SysML v2 commit body: {"change": [...]}).
Json LoadSharedModel();

// The CommitRequest of a SysML v2 commit body.
CommitRequest CommitRequestFrom(const Json& body);

}  // namespace tandem::testing
