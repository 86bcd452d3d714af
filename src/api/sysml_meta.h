// The data types of GET /sysml/v2/meta/datatypes: a JSON Schema (draft
// 2020-12) for each kind of Data a project holds — the API's own ExternalData,
// ExternalRelationship and ProjectUsage, and every KerML/SysML metaclass of
// repo/metamodel. A metaclass's schema names the attributes every Element has
// (and every Relationship, for those that are one) and admits the others
// (additionalProperties): Tandem stores elements as given and does not check
// the attributes a metaclass adds. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/canonical_json.h"

namespace tandem {

// {"$schema", "$defs": {URI: schema, ...}}, every data type.
Json DatatypesJson();

// The schema of one data type, named by its URI ($id) or its name
// ("PartUsage", "ExternalData"); nullopt when there is none.
std::optional<Json> DatatypeJson(const std::string& id_or_name);

}  // namespace tandem
