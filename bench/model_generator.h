// Model generator for tandem-bench: loads the shared real SysML v2 model (a
// commit request body) and scales it to N elements by replicating it with
// fresh element ids, so large benchmark models keep the real model's payload
// sizes and reference structure.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "repo/repository.h"

namespace tandem {

// Reads a SysML v2 commit body {"change":[{"identity":{"@id":ID},"payload":{...}}...]}
// into element changes, each with its identity id.
Result<std::vector<ElementChange>> LoadSysmlChanges(const std::string& path);

// `n` elements made of ceil(n / base.size()) copies of `base`, truncated to n.
// Each copy gets fresh UUIDs for every element id of `base`, and every reference
// to one of them ({"@id": X} objects and the string fields elementId,
// memberElementId, ownedMemberElementId) is remapped to the copy's id.
// References to ids outside `base` (library elements) are kept. Payloads are
// otherwise unchanged.
std::vector<ElementChange> GenerateModel(const std::vector<ElementChange>& base, size_t n);

// Rewrites, in place, the id references of `value` found in `ids` (old -> new).
void RemapIds(Json& value, const std::unordered_map<std::string, std::string>& ids);

}  // namespace tandem
