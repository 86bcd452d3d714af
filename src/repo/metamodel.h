// The metaclasses of KerML and SysML v2 (OMG KerML 1.0 and SysML 2.0 abstract
// syntax, with the names the beta releases used where they differ) and their
// generalizations, for the query operator `instanceOf`: a PartUsage is an
// ItemUsage, an OccurrenceUsage, a Usage, a Feature, a Type, a Namespace and
// an Element. A fixed table; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tandem {

// Every metaclass of the table, sorted.
std::vector<std::string> AllMetaclasses();

// Whether `name` is a metaclass of the table.
bool IsMetaclass(std::string_view name);

// `name` and every metaclass that specializes it, directly or not, sorted.
// Empty when `name` is not a metaclass.
std::vector<std::string> MetaclassWithSpecializations(std::string_view name);

// Whether an element of metaclass `type` is an instance of `metaclass`
// (equal to it or specializing it). An unknown `type` is an instance only of
// itself.
bool IsInstanceOf(std::string_view type, std::string_view metaclass);

}  // namespace tandem
