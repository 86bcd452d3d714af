#include "api/sysml_meta.h"

#include "repo/metamodel.h"

namespace tandem {
namespace {

constexpr char kSchemaDialect[] = "https://json-schema.org/draft/2020-12/schema";
constexpr char kMetamodelPrefix[] = "https://www.omg.org/spec/SysML/20230201/";
constexpr char kApiPrefix[] = "https://www.omg.org/spec/SystemsModelingAPI/20230201/";

Json Uuid() { return {{"type", "string"}, {"format", "uuid"}}; }
// A reference to another record: {"@id": UUID}.
Json Identified() {
  return {{"type", "object"},
          {"properties", {{"@id", Uuid()}}},
          {"required", Json::array({"@id"})},
          {"additionalProperties", false}};
}
Json OrNull(Json schema) {
  return {{"oneOf", Json::array({std::move(schema), {{"type", "null"}}})}};
}
Json ListOf(Json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
Json Text() { return {{"type", "string"}}; }
Json Flag() { return {{"type", "boolean"}}; }

Json Schema(const std::string& prefix, const std::string& name, Json properties,
            std::vector<std::string> required, bool others_allowed) {
  properties["@id"] = Uuid();
  properties["@type"] = {{"type", "string"}, {"const", name}};
  return {{"$schema", kSchemaDialect},
          {"$id", prefix + name},
          {"title", name},
          {"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", others_allowed}};
}

// The attributes KerML gives every Element, and every Relationship.
Json MetaclassSchema(const std::string& name) {
  Json p = {{"elementId", Text()},
            {"aliasIds", ListOf(Text())},
            {"declaredName", OrNull(Text())},
            {"declaredShortName", OrNull(Text())},
            {"name", OrNull(Text())},
            {"shortName", OrNull(Text())},
            {"qualifiedName", OrNull(Text())},
            {"isImpliedIncluded", Flag()},
            {"isLibraryElement", Flag()},
            {"owner", OrNull(Identified())},
            {"owningMembership", OrNull(Identified())},
            {"owningNamespace", OrNull(Identified())},
            {"owningRelationship", OrNull(Identified())},
            {"ownedElement", ListOf(Identified())},
            {"ownedRelationship", ListOf(Identified())},
            {"ownedAnnotation", ListOf(Identified())},
            {"documentation", ListOf(Identified())},
            {"textualRepresentation", ListOf(Identified())}};
  if (IsInstanceOf(name, "Relationship")) {
    p["source"] = ListOf(Identified());
    p["target"] = ListOf(Identified());
    p["relatedElement"] = ListOf(Identified());
    p["ownedRelatedElement"] = ListOf(Identified());
    p["owningRelatedElement"] = OrNull(Identified());
    p["isImplied"] = Flag();
  }
  return Schema(kMetamodelPrefix, name, std::move(p), {"@id", "@type"}, true);
}

std::vector<Json> ApiSchemas() {
  return {
      Schema(kApiPrefix, "ExternalData",
             {{"resourceIdentifier", {{"type", "string"}, {"format", "uri"}}}},
             {"@id", "@type", "resourceIdentifier"}, false),
      Schema(kApiPrefix, "ExternalRelationship",
             {{"elementEnd", Identified()},
              {"externalDataEnd", Identified()},
              {"language", OrNull(Text())},
              {"specification", OrNull(Text())}},
             {"@id", "@type", "elementEnd", "externalDataEnd", "language", "specification"}, false),
      Schema(kApiPrefix, "ProjectUsage",
             {{"usedCommit", Identified()}, {"usedProject", Identified()}},
             {"@id", "@type", "usedCommit", "usedProject"}, false),
  };
}

Json BuildDatatypes() {
  Json defs = Json::object();
  for (auto& s : ApiSchemas()) {
    std::string id = s["$id"];
    defs[id] = std::move(s);
  }
  for (const auto& name : AllMetaclasses()) defs[kMetamodelPrefix + name] = MetaclassSchema(name);
  return {{"$schema", kSchemaDialect}, {"$defs", std::move(defs)}};
}

}  // namespace

Json DatatypesJson() {
  static const Json all = BuildDatatypes();  // built once: the metamodel does not change
  return all;
}

std::optional<Json> DatatypeJson(const std::string& id_or_name) {
  for (auto& s : ApiSchemas()) {
    if (s["$id"] == id_or_name || s["title"] == id_or_name) return std::move(s);
  }
  std::string name = id_or_name;
  if (name.starts_with(kMetamodelPrefix))
    name = name.substr(std::string_view(kMetamodelPrefix).size());
  if (!IsMetaclass(name)) return std::nullopt;
  return MetaclassSchema(name);
}

}  // namespace tandem
