// Queries on a commit's elements through the attribute index and through a
// scan, against the real model: every expected set is computed here from the
// model file, independently of the query code.
#include "repo/element_query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "common/ids.h"
#include "repo/metamodel.h"
#include "repo/repository.h"
#include "store/garbage_collector.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/common/fake_clock.h"
#include "testing/repo/shared_model.h"

namespace tandem {
namespace {

QueryConstraint Primitive(std::string property, std::string op, std::vector<Json> values,
                          bool inverse = false) {
  QueryConstraint c;
  c.property = std::move(property);
  c.op = std::move(op);
  c.values = std::move(values);
  c.inverse = inverse;
  return c;
}

QueryConstraint Composite(QueryConstraint::Kind kind, std::vector<QueryConstraint> children) {
  QueryConstraint c;
  c.kind = kind;
  c.children = std::move(children);
  return c;
}

class ElementQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-query-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    Open();
    model_ = testing::LoadSharedModel();
    auto r = repo_->CreateResource({"model", std::nullopt, std::nullopt, std::nullopt});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    resource_ = r->id;
    auto c = repo_->CreateCommit(resource_, testing::CommitRequestFrom(model_), "alice");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    commit_ = c->id;
  }
  void TearDown() override {
    repo_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    repo_.reset();
    store_.reset();
    store_ = std::move(SqliteStore::Open((dir_ / "tandem.db").string()).value());
    repo_ = std::make_unique<Repository>(*store_, clock_);
    Status st = repo_->Bootstrap();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // Ids of the model's elements whose payload satisfies `pred`.
  std::set<std::string> Expected(const std::function<bool(const Json&)>& pred) const {
    std::set<std::string> out;
    for (const auto& ch : model_["change"]) {
      if (pred(ch["payload"])) out.insert(ch["identity"]["@id"].get<std::string>());
    }
    return out;
  }

  // Every page of the query's results at `commit`, walked forward (or back
  // from the result `before`); checks each id comes once and pages follow
  // element order.
  std::vector<std::string> Run(const ElementQuery& q, const std::string& commit,
                               size_t page_size = 7,
                               const std::optional<std::string>& before = std::nullopt) {
    std::vector<std::string> ids;
    bool backward = before.has_value();
    PageRequest page{std::nullopt, before, page_size};
    for (int guard = 0; guard < 1000; ++guard) {
      auto p = repo_->QueryElements(resource_, commit, q, page);
      EXPECT_TRUE(p.ok()) << p.status().ToString();
      if (!p.ok()) break;
      std::vector<std::string> here = p->text_ids;  // elements kept as text (texts_when_indexed)
      EXPECT_EQ(p->texts.size(), p->text_ids.size());
      for (const auto& e : p->items) here.push_back(e["@id"].get<std::string>());
      ids.insert(backward ? ids.begin() : ids.end(), here.begin(), here.end());
      bool more = backward ? p->more_before : p->more_after;
      if (!more || here.empty()) break;
      (backward ? page.before : page.after) = backward ? here.front() : here.back();
    }
    std::vector<std::string> keys;
    for (const auto& id : ids) keys.push_back(ElementKey(id));
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end())) << "results out of element order";
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "an id twice";
    return ids;
  }
  std::set<std::string> RunSet(const ElementQuery& q, size_t page_size = 7) {
    auto ids = Run(q, commit_, page_size);
    return {ids.begin(), ids.end()};
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Repository> repo_;
  Json model_;
  std::string resource_, commit_;
};

bool TypeIn(const Json& p, std::initializer_list<const char*> types) {
  std::string t = p.value("@type", "");
  return std::any_of(types.begin(), types.end(), [&](const char* x) { return t == x; });
}

TEST_F(ElementQueryTest, TypeNameAndInstanceOfQueriesFindExactlyTheModelsElements) {
  // Two names the model has, read from the file.
  std::vector<std::string> names;
  for (const auto& ch : model_["change"]) {
    if (ch["payload"].contains("name") && ch["payload"]["name"].is_string() &&
        ch["payload"]["@type"] == "PartUsage") {
      names.push_back(ch["payload"]["name"].get<std::string>());
    }
  }
  ASSERT_GE(names.size(), 2u);
  auto has_name = [&](const Json& p, const std::string& n) {
    return p.contains("name") && p["name"].is_string() && p["name"] == n;
  };
  struct Case {
    const char* what;
    QueryConstraint where;
    std::function<bool(const Json&)> expected;
  };
  using K = QueryConstraint::Kind;
  std::vector<Case> cases = {
      {"@type = PartUsage", Primitive("@type", "=", {"PartUsage"}),
       [](const Json& p) { return TypeIn(p, {"PartUsage"}); }},
      {"name in two names", Primitive("name", "in", {names[0], names[1]}),
       [&](const Json& p) { return has_name(p, names[0]) || has_name(p, names[1]); }},
      // The model's metaclasses that are Usages, and those that are Relationships.
      {"instanceOf Usage", Primitive("@type", "instanceOf", {"Usage"}),
       [](const Json& p) {
         return TypeIn(p, {"PartUsage", "AttributeUsage"});
       }},
      {"instanceOf Relationship", Primitive("@type", "instanceOf", {"Relationship"}),
       [](const Json& p) {
         return TypeIn(p, {"OwningMembership", "ReturnParameterMembership", "FeatureMembership",
                           "FeatureValue", "ParameterMembership", "FeatureTyping", "Subsetting",
                           "Redefinition", "Membership", "MembershipImport", "Subclassification",
                           "NamespaceImport"});
       }},
      {"instanceOf Element", Primitive("@type", "instanceOf", {"Element"}),
       [](const Json&) { return true; }},
      {"@type = PartUsage and name = first",
       Composite(K::kAnd,
                 {Primitive("@type", "=", {"PartUsage"}), Primitive("name", "=", {names[0]})}),
       [&](const Json& p) { return TypeIn(p, {"PartUsage"}) && has_name(p, names[0]); }},
      {"@type = Comment or @type = Package",
       Composite(K::kOr,
                 {Primitive("@type", "=", {"Comment"}), Primitive("@type", "=", {"Package"})}),
       [](const Json& p) {
         return TypeIn(p, {"Comment", "Package"});
       }},
      // Not indexed: read by a scan of every element.
      {"not @type = Feature", Primitive("@type", "=", {"Feature"}, /*inverse=*/true),
       [](const Json& p) { return !TypeIn(p, {"Feature"}); }},
      {"isLibraryElement = true", Primitive("isLibraryElement", "=", {true}),
       [](const Json& p) { return p.value("isLibraryElement", false) == true; }},
      {"value > 1", Primitive("value", ">", {1}),
       [](const Json& p) {
         return p.contains("value") && p["value"].is_number() && p["value"] > 1;
       }},
      {"or with a scanned branch",
       Composite(K::kOr, {Primitive("@type", "=", {"Package"}), Primitive("value", "<=", {1})}),
       [](const Json& p) {
         return TypeIn(p, {"Package"}) ||
                (p.contains("value") && p["value"].is_number() && p["value"] <= 1);
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::set<std::string> want = Expected(c.expected);
    EXPECT_FALSE(want.empty());
    ElementQuery q{c.where, {}};
    auto forward = Run(q, commit_);
    EXPECT_EQ(std::set<std::string>(forward.begin(), forward.end()), want);
    EXPECT_EQ(RunSet(q, 1000), want);
    // Served as stored text where the index decides: the same pages, the same elements.
    ElementQuery as_text{c.where, {}, /*texts_when_indexed=*/true};
    EXPECT_EQ(Run(as_text, commit_), forward);
    auto parsed =
        repo_->QueryElements(resource_, commit_, q, PageRequest{std::nullopt, std::nullopt, 1000});
    auto texts = repo_->QueryElements(resource_, commit_, as_text,
                                      PageRequest{std::nullopt, std::nullopt, 1000});
    ASSERT_TRUE(parsed.ok() && texts.ok());
    EXPECT_EQ(texts->texts.empty(), !IndexDecides(c.where)) << "texts only where the index decides";
    for (size_t i = 0; i < texts->texts.size() && i < parsed->items.size(); ++i) {
      EXPECT_EQ(Json::parse(texts->texts[i]), parsed->items[i]);
    }
    if (forward.empty()) continue;
    // Back from the last result: all the others, in the same order.
    std::vector<std::string> others(forward.begin(), forward.end() - 1);
    EXPECT_EQ(Run(q, commit_, 25, forward.back()), others);
    EXPECT_EQ(Run(as_text, commit_, 25, forward.back()), others);
  }
}

TEST(IndexDecidesTest, OnlyConstraintsTheIndexAnswersExactlyNeedNoMatching) {
  using K = QueryConstraint::Kind;
  EXPECT_TRUE(IndexDecides(Primitive("@type", "=", {"PartUsage"})));
  EXPECT_TRUE(IndexDecides(Primitive("name", "in", {"a", "b"})));
  EXPECT_TRUE(IndexDecides(Primitive("@type", "instanceOf", {"Usage"})));
  EXPECT_TRUE(IndexDecides(
      Composite(K::kOr, {Primitive("@type", "=", {"Comment"}), Primitive("name", "=", {"x"})})));
  EXPECT_FALSE(IndexDecides(
      Composite(K::kAnd, {Primitive("@type", "=", {"PartUsage"}), Primitive("name", "=", {"x"})})));
  EXPECT_FALSE(IndexDecides(Primitive("@type", "=", {"Feature"}, /*inverse=*/true)));
  EXPECT_FALSE(IndexDecides(Primitive("name", "=", {nullptr})));
  EXPECT_FALSE(IndexDecides(Primitive("value", ">", {1})));
  EXPECT_FALSE(IndexDecides(
      Composite(K::kOr, {Primitive("@type", "=", {"Package"}), Primitive("value", "<=", {1})})));
}

TEST_F(ElementQueryTest, APageReadsABoundedNumberOfElementsAndItsCursorResumes) {
  RepositoryOptions options;
  options.max_query_reads = 10;
  Repository bounded(*store_, clock_, options);
  // Few matches among many elements read: pages come back short or empty,
  // each with a cursor after the last element read.
  ElementQuery q;
  q.where = Composite(QueryConstraint::Kind::kOr,
                      {Primitive("@type", "=", {"Package"}), Primitive("value", ">", {1})});
  std::set<std::string> want = Expected([](const Json& p) {
    return TypeIn(p, {"Package"}) ||
           (p.contains("value") && p["value"].is_number() && p["value"] > 1);
  });
  std::set<std::string> got;
  PageRequest page{std::nullopt, std::nullopt, 100};
  size_t calls = 0, short_pages = 0;
  for (; calls < 1000; ++calls) {
    auto p = bounded.QueryElements(resource_, commit_, q, page);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    for (const auto& e : p->items) EXPECT_TRUE(got.insert(e["@id"].get<std::string>()).second);
    if (!p->more_after) break;
    ASSERT_TRUE(p->stopped_at.has_value());
    ++short_pages;
    page.after = *p->stopped_at;
  }
  EXPECT_EQ(got, want);
  EXPECT_GE(short_pages, 228u / 10 - 1);  // every call read at most 10 of the 228 elements
  // An indexed query whose candidates all match is bounded the same way.
  ElementQuery all{Primitive("@type", "instanceOf", {"Element"}), {}};
  auto first =
      bounded.QueryElements(resource_, commit_, all, PageRequest{std::nullopt, std::nullopt, 100});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->items.size(), 10u);
  EXPECT_TRUE(first->more_after);
}

TEST_F(ElementQueryTest, SelectKeepsTheListedPropertiesAndTheIdentity) {
  ElementQuery q{Primitive("@type", "=", {"PartUsage"}), {"name", "noSuchProperty"}};
  auto page =
      repo_->QueryElements(resource_, commit_, q, PageRequest{std::nullopt, std::nullopt, 100});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_FALSE(page->items.empty());
  for (const auto& e : page->items) {
    EXPECT_EQ(e.size(), 3u) << e.dump();
    EXPECT_TRUE(e.contains("@id") && e.contains("@type") && e.contains("name")) << e.dump();
  }
}

TEST_F(ElementQueryTest, WithoutACommitTheHeadOfTheDefaultBranchIsQueried) {
  ElementQuery q{Primitive("@type", "=", {"Package"}), {}};
  auto page = repo_->QueryElements(resource_, std::nullopt, q,
                                   PageRequest{std::nullopt, std::nullopt, 100});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->items.size(),
            Expected([](const Json& p) { return TypeIn(p, {"Package"}); }).size());
  auto empty = repo_->CreateResource({"empty", std::nullopt, std::nullopt, std::nullopt});
  ASSERT_TRUE(empty.ok());
  auto none = repo_->QueryElements(empty->id, std::nullopt, q,
                                   PageRequest{std::nullopt, std::nullopt, 100});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->items.empty());
}

TEST_F(ElementQueryTest, TheIndexFollowsRenamesRetypesAndDeletes) {
  std::string a = NewUuid(), b = NewUuid(), c = NewUuid();
  auto req = [](std::vector<std::pair<std::string, Json>> changes) {
    CommitRequest r;
    for (auto& [id, payload] : changes) r.changes.push_back({id, payload});
    return r;
  };
  auto first =
      repo_->CreateCommit(resource_,
                          req({{a, {{"@type", "PartDefinition"}, {"name", "testEngine"}}},
                               {b, {{"@type", "PartDefinition"}, {"name", "testWheel"}}},
                               {c, {{"@type", "PartDefinition"}, {"name", "testEngine"}}}}),
                          "alice");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = repo_->CreateCommit(resource_,
                                    req({{a, {{"@type", "PartDefinition"}, {"name", "testMotor"}}},
                                         {b, {{"@type", "PartUsage"}, {"name", "testWheel"}}},
                                         {c, nullptr}}),
                                    "alice");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto ids = [&](const QueryConstraint& where, const std::string& commit) {
    auto list = Run(ElementQuery{where, {}}, commit);
    return std::set<std::string>(list.begin(), list.end());
  };
  using Set = std::set<std::string>;
  EXPECT_EQ(ids(Primitive("name", "=", {"testEngine"}), first->id), (Set{a, c}));
  EXPECT_EQ(ids(Primitive("name", "=", {"testEngine"}), second->id), Set{});
  EXPECT_EQ(ids(Primitive("name", "=", {"testMotor"}), second->id), Set{a});
  EXPECT_EQ(ids(Primitive("name", "=", {"testWheel"}), second->id), Set{b});
  // The model's own PartUsages are there in both commits; b joins them in the second.
  Set parts = Expected([](const Json& p) { return TypeIn(p, {"PartUsage"}); });
  EXPECT_EQ(ids(Primitive("@type", "=", {"PartUsage"}), first->id), parts);
  parts.insert(b);
  EXPECT_EQ(ids(Primitive("@type", "=", {"PartUsage"}), second->id), parts);
  EXPECT_EQ(ids(Primitive("@type", "=", {"PartDefinition"}), second->id).count(c), 0u);
}

TEST_F(ElementQueryTest, AnIndexBuiltAtStartEqualsTheOneCommitsKeep) {
  std::string a = NewUuid();
  CommitRequest rename;
  rename.changes.push_back({a, Json{{"@type", "Package"}, {"name", "Added"}}});
  auto second = repo_->CreateCommit(resource_, rename, "alice");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::map<std::string, Hash> kept;
  {
    auto txn = store_->BeginWrite().value();
    auto commits = txn->ListCommitRoots(0).value();
    for (const auto& c : commits) {
      ASSERT_NE(c.attrs, Hash{});
      kept[c.id] = c.attrs;
      // As a store written before the index existed holds them.
      ASSERT_TRUE(txn->SetCommitAttributesRoot(c.id, Hash{}).ok());
    }
    ASSERT_TRUE(txn->CommitTransaction().ok());
  }
  // A commit made on such a parent derives the parent's index first.
  CommitRequest third_req;
  third_req.changes.push_back({NewUuid(), Json{{"@type", "Package"}, {"name", "Third"}}});
  auto third = repo_->CreateCommit(resource_, third_req, "alice");
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(Run(ElementQuery{Primitive("name", "=", {"Added"}), {}}, third->id),
            std::vector<std::string>{a});
  // The restart builds the missing ones: the same roots the commits had.
  Open();
  auto txn = store_->BeginRead().value();
  auto rebuilt = txn->ListCommitRoots(0).value();
  for (const auto& c : rebuilt) {
    if (c.id == third->id) continue;
    EXPECT_EQ(c.attrs, kept.at(c.id)) << "commit " << c.id;
  }
  std::set<std::string> packages = Expected([](const Json& p) { return TypeIn(p, {"Package"}); });
  packages.insert(a);
  EXPECT_EQ(RunSet(ElementQuery{Primitive("@type", "=", {"Package"}), {}}).size(),
            packages.size() - 1);
  auto at_second = Run(ElementQuery{Primitive("@type", "=", {"Package"}), {}}, second->id);
  EXPECT_EQ(std::set<std::string>(at_second.begin(), at_second.end()), packages);
}

TEST_F(ElementQueryTest, GarbageCollectionKeepsEveryIndexNode) {
  auto gc = CollectGarbage(*store_);
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_EQ(gc->freed.trie_nodes, 0u);
  std::set<std::string> want = Expected([](const Json& p) { return TypeIn(p, {"PartUsage"}); });
  repo_ = std::make_unique<Repository>(*store_, clock_);  // no cached node hides a loss
  EXPECT_EQ(RunSet(ElementQuery{Primitive("@type", "=", {"PartUsage"}), {}}), want);
}

TEST(MetamodelTest, EveryMetaclassIsAnElementAndGeneralizationsAreTransitive) {
  auto all = AllMetaclasses();
  EXPECT_GT(all.size(), 180u);
  // A misspelled supertype would cut a metaclass off from Element.
  EXPECT_EQ(MetaclassWithSpecializations("Element"), all);
  EXPECT_TRUE(IsInstanceOf("PartUsage", "ItemUsage"));
  EXPECT_TRUE(IsInstanceOf("PartUsage", "Usage"));
  EXPECT_TRUE(IsInstanceOf("PartUsage", "Namespace"));
  EXPECT_TRUE(IsInstanceOf("ConnectionUsage", "PartUsage"));
  EXPECT_TRUE(IsInstanceOf("ConnectionUsage", "Relationship"));
  EXPECT_TRUE(IsInstanceOf("ReturnParameterMembership", "Membership"));
  EXPECT_FALSE(IsInstanceOf("PartDefinition", "Usage"));
  EXPECT_FALSE(IsInstanceOf("Element", "PartUsage"));
  EXPECT_TRUE(IsInstanceOf("MyOwnType", "MyOwnType"));
  EXPECT_FALSE(IsInstanceOf("MyOwnType", "Element"));
  EXPECT_TRUE(MetaclassWithSpecializations("NoSuchMetaclass").empty());
}

}  // namespace
}  // namespace tandem
