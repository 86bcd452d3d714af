#include "repo/metamodel.h"

#include <algorithm>
#include <map>
#include <set>

namespace tandem {
namespace {

// Each metaclass with its direct generalizations ("" for Element, the root).
struct Generalization {
  const char* metaclass;
  const char* supertypes;  // space-separated
};

// clang-format off
constexpr Generalization kMetaclasses[] = {
  // KerML Root
  {"Element", ""},
  {"Relationship", "Element"},
  {"Namespace", "Element"},
  {"Dependency", "Relationship"},
  {"Annotation", "Relationship"},
  {"AnnotatingElement", "Element"},
  {"Comment", "AnnotatingElement"},
  {"Documentation", "Comment"},
  {"TextualRepresentation", "AnnotatingElement"},
  {"Membership", "Relationship"},
  {"OwningMembership", "Membership"},
  {"Import", "Relationship"},
  {"MembershipImport", "Import"},
  {"NamespaceImport", "Import"},
  // KerML Core
  {"Type", "Namespace"},
  {"Specialization", "Relationship"},
  {"Conjugation", "Relationship"},
  {"Disjoining", "Relationship"},
  {"Differencing", "Relationship"},
  {"Intersecting", "Relationship"},
  {"Unioning", "Relationship"},
  {"Featuring", "Relationship"},
  {"TypeFeaturing", "Featuring"},
  {"FeatureMembership", "OwningMembership Featuring"},
  {"EndFeatureMembership", "FeatureMembership"},
  {"Classifier", "Type"},
  {"Subclassification", "Specialization"},
  {"Feature", "Type"},
  {"FeatureTyping", "Specialization"},
  {"Subsetting", "Specialization"},
  {"Redefinition", "Subsetting"},
  {"ReferenceSubsetting", "Subsetting"},
  {"CrossSubsetting", "Subsetting"},
  {"FeatureInverting", "Relationship"},
  {"FeatureChaining", "Relationship"},
  {"Multiplicity", "Feature"},
  // KerML Kernel
  {"DataType", "Classifier"},
  {"Class", "Classifier"},
  {"Structure", "Class"},
  {"Association", "Classifier Relationship"},
  {"AssociationStructure", "Association Structure"},
  {"Connector", "Feature Relationship"},
  {"BindingConnector", "Connector"},
  {"Succession", "Connector"},
  {"Behavior", "Class"},
  {"Step", "Feature"},
  {"ParameterMembership", "FeatureMembership"},
  {"ReturnParameterMembership", "ParameterMembership"},
  {"Function", "Behavior"},
  {"Expression", "Step"},
  {"BooleanExpression", "Expression"},
  {"Invariant", "BooleanExpression"},
  {"Predicate", "Function"},
  {"ResultExpressionMembership", "FeatureMembership"},
  {"Interaction", "Association Behavior"},
  {"Flow", "Connector Step"},
  {"SuccessionFlow", "Flow Succession"},
  {"ItemFlow", "Connector Step"},
  {"SuccessionItemFlow", "ItemFlow Succession"},
  {"PayloadFeature", "Feature"},
  {"ItemFeature", "Feature"},
  {"FlowEnd", "Feature"},
  {"ItemFlowEnd", "Feature"},
  {"FeatureValue", "OwningMembership"},
  {"MultiplicityRange", "Multiplicity"},
  {"Metaclass", "Structure"},
  {"MetadataFeature", "Feature AnnotatingElement"},
  {"Package", "Namespace"},
  {"LibraryPackage", "Package"},
  {"ElementFilterMembership", "OwningMembership"},
  {"FeatureReferenceExpression", "Expression"},
  {"InstantiationExpression", "Expression"},
  {"InvocationExpression", "InstantiationExpression"},
  {"ConstructorExpression", "InstantiationExpression"},
  {"OperatorExpression", "InvocationExpression"},
  {"CollectExpression", "OperatorExpression"},
  {"SelectExpression", "OperatorExpression"},
  {"FeatureChainExpression", "OperatorExpression"},
  {"IndexExpression", "OperatorExpression"},
  {"LiteralExpression", "Expression"},
  {"LiteralBoolean", "LiteralExpression"},
  {"LiteralInteger", "LiteralExpression"},
  {"LiteralRational", "LiteralExpression"},
  {"LiteralString", "LiteralExpression"},
  {"LiteralInfinity", "LiteralExpression"},
  {"NullExpression", "Expression"},
  {"MetadataAccessExpression", "Expression"},
  // SysML: definitions and usages
  {"Definition", "Classifier"},
  {"Usage", "Feature"},
  {"VariantMembership", "OwningMembership"},
  {"ReferenceUsage", "Usage"},
  {"AttributeDefinition", "Definition DataType"},
  {"AttributeUsage", "Usage"},
  {"EnumerationDefinition", "AttributeDefinition"},
  {"EnumerationUsage", "AttributeUsage"},
  {"OccurrenceDefinition", "Definition Class"},
  {"OccurrenceUsage", "Usage"},
  {"LifeClass", "Class"},
  {"EventOccurrenceUsage", "OccurrenceUsage"},
  {"ItemDefinition", "OccurrenceDefinition Structure"},
  {"ItemUsage", "OccurrenceUsage"},
  {"PartDefinition", "ItemDefinition"},
  {"PartUsage", "ItemUsage"},
  {"PortDefinition", "OccurrenceDefinition Structure"},
  {"ConjugatedPortDefinition", "PortDefinition"},
  {"PortUsage", "OccurrenceUsage"},
  {"PortConjugation", "Conjugation"},
  {"ConjugatedPortTyping", "FeatureTyping"},
  {"ConnectorAsUsage", "Usage Connector"},
  {"BindingConnectorAsUsage", "ConnectorAsUsage BindingConnector"},
  {"SuccessionAsUsage", "ConnectorAsUsage Succession"},
  {"ConnectionDefinition", "PartDefinition AssociationStructure"},
  {"ConnectionUsage", "ConnectorAsUsage PartUsage"},
  {"InterfaceDefinition", "ConnectionDefinition"},
  {"InterfaceUsage", "ConnectionUsage"},
  {"AllocationDefinition", "ConnectionDefinition"},
  {"AllocationUsage", "ConnectionUsage"},
  // SysML: actions and states
  {"ActionDefinition", "OccurrenceDefinition Behavior"},
  {"ActionUsage", "OccurrenceUsage Step"},
  {"PerformActionUsage", "ActionUsage EventOccurrenceUsage"},
  {"SendActionUsage", "ActionUsage"},
  {"AcceptActionUsage", "ActionUsage"},
  {"AssignmentActionUsage", "ActionUsage"},
  {"IfActionUsage", "ActionUsage"},
  {"LoopActionUsage", "ActionUsage"},
  {"WhileLoopActionUsage", "LoopActionUsage"},
  {"ForLoopActionUsage", "LoopActionUsage"},
  {"TerminateActionUsage", "ActionUsage"},
  {"ControlNode", "ActionUsage"},
  {"ForkNode", "ControlNode"},
  {"JoinNode", "ControlNode"},
  {"MergeNode", "ControlNode"},
  {"DecisionNode", "ControlNode"},
  {"TriggerInvocationExpression", "InvocationExpression"},
  {"FlowDefinition", "ActionDefinition Interaction"},
  {"FlowUsage", "ConnectorAsUsage ActionUsage Flow"},
  {"SuccessionFlowUsage", "FlowUsage SuccessionFlow"},
  {"FlowConnectionDefinition", "ConnectionDefinition ActionDefinition Interaction"},
  {"FlowConnectionUsage", "ConnectionUsage ActionUsage ItemFlow"},
  {"SuccessionFlowConnectionUsage", "FlowConnectionUsage SuccessionItemFlow"},
  {"StateDefinition", "ActionDefinition"},
  {"StateUsage", "ActionUsage"},
  {"ExhibitStateUsage", "StateUsage PerformActionUsage"},
  {"StateSubactionMembership", "FeatureMembership"},
  {"TransitionFeatureMembership", "FeatureMembership"},
  {"TransitionUsage", "ActionUsage"},
  // SysML: calculations, constraints, requirements, cases
  {"CalculationDefinition", "ActionDefinition Function"},
  {"CalculationUsage", "ActionUsage Expression"},
  {"ConstraintDefinition", "OccurrenceDefinition Predicate"},
  {"ConstraintUsage", "OccurrenceUsage BooleanExpression"},
  {"AssertConstraintUsage", "ConstraintUsage Invariant"},
  {"RequirementDefinition", "ConstraintDefinition"},
  {"RequirementUsage", "ConstraintUsage"},
  {"SatisfyRequirementUsage", "RequirementUsage AssertConstraintUsage"},
  {"ConcernDefinition", "RequirementDefinition"},
  {"ConcernUsage", "RequirementUsage"},
  {"RequirementConstraintMembership", "FeatureMembership"},
  {"FramedConcernMembership", "RequirementConstraintMembership"},
  {"RequirementVerificationMembership", "RequirementConstraintMembership"},
  {"SubjectMembership", "ParameterMembership"},
  {"ActorMembership", "ParameterMembership"},
  {"StakeholderMembership", "ParameterMembership"},
  {"ObjectiveMembership", "FeatureMembership"},
  {"CaseDefinition", "CalculationDefinition"},
  {"CaseUsage", "CalculationUsage"},
  {"AnalysisCaseDefinition", "CaseDefinition"},
  {"AnalysisCaseUsage", "CaseUsage"},
  {"VerificationCaseDefinition", "CaseDefinition"},
  {"VerificationCaseUsage", "CaseUsage"},
  {"UseCaseDefinition", "CaseDefinition"},
  {"UseCaseUsage", "CaseUsage"},
  {"IncludeUseCaseUsage", "UseCaseUsage PerformActionUsage"},
  // SysML: views, metadata, expose
  {"ViewDefinition", "PartDefinition"},
  {"ViewUsage", "PartUsage"},
  {"ViewpointDefinition", "RequirementDefinition"},
  {"ViewpointUsage", "RequirementUsage"},
  {"RenderingDefinition", "PartDefinition"},
  {"RenderingUsage", "PartUsage"},
  {"ViewRenderingMembership", "FeatureMembership"},
  {"Expose", "Import"},
  {"MembershipExpose", "MembershipImport Expose"},
  {"NamespaceExpose", "NamespaceImport Expose"},
  {"MetadataDefinition", "ItemDefinition Metaclass"},
  {"MetadataUsage", "ItemUsage MetadataFeature"},
};
// clang-format on

struct Table {
  std::map<std::string, std::vector<std::string>, std::less<>> supertypes;
  std::map<std::string, std::vector<std::string>, std::less<>>
      specializations;  // transitive, sorted
};

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

const Table& TheTable() {
  static const Table table = [] {
    Table t;
    for (const auto& g : kMetaclasses) t.supertypes[g.metaclass] = Words(g.supertypes);
    // Every metaclass is a specialization of itself and of everything above it.
    for (const auto& [name, unused] : t.supertypes) {
      std::set<std::string> seen;
      std::vector<std::string> to_visit{name};
      while (!to_visit.empty()) {
        std::string m = to_visit.back();
        to_visit.pop_back();
        if (!seen.insert(m).second) continue;
        t.specializations[m].push_back(name);
        auto it = t.supertypes.find(m);
        if (it != t.supertypes.end())
          to_visit.insert(to_visit.end(), it->second.begin(), it->second.end());
      }
    }
    for (auto& [name, list] : t.specializations) std::sort(list.begin(), list.end());
    return t;
  }();
  return table;
}

}  // namespace

std::vector<std::string> AllMetaclasses() {
  std::vector<std::string> out;
  for (const auto& [name, unused] : TheTable().supertypes) out.push_back(name);
  return out;
}

bool IsMetaclass(std::string_view name) { return TheTable().supertypes.count(name) > 0; }

std::vector<std::string> MetaclassWithSpecializations(std::string_view name) {
  const auto& s = TheTable().specializations;
  auto it = s.find(name);
  return it == s.end() ? std::vector<std::string>() : it->second;
}

bool IsInstanceOf(std::string_view type, std::string_view metaclass) {
  if (type == metaclass) return true;
  const auto& s = TheTable().specializations;
  auto it = s.find(metaclass);
  return it != s.end() && std::binary_search(it->second.begin(), it->second.end(), type);
}

}  // namespace tandem
