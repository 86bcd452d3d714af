// Plain records the store persists: categories, resources, branches, tags,
// commits, changes, project usages, users, tokens and change-feed events.
// Value types with no behaviour; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/hash.h"

namespace tandem {

struct Category {
  std::string id;
  std::string name;
  std::optional<std::string> parent_id;  // nullopt only for the root category
  std::string description;
  bool read_only = false;
  int64_t created = 0;  // micros since epoch
};

struct Resource {
  std::string id;          // Resource ID (the SysML v2 project @id)
  std::string project_id;  // Project ID: stable model identity, unique on the server
  std::string name;        // unique within its category
  std::optional<std::string> description;
  std::string category_id;
  bool read_only = false;
  std::string origin;  // JSON text describing where a synchronized copy comes from; "" if local
  int64_t created = 0;
  std::string default_branch_id;
};

struct Branch {
  std::string id;
  std::string resource_id;
  std::string name;
  std::optional<std::string> head;  // commit id; nullopt for a branch with no commit yet
  std::optional<std::string> description;
  int64_t created = 0;
};

struct Tag {
  std::string id;
  std::string resource_id;
  std::string name;  // not unique: several commits may carry "release"
  std::string commit_id;
  std::optional<std::string> description;
  int64_t created = 0;
};

struct Commit {
  std::string id;
  std::string resource_id;
  std::vector<std::string> parents;  // previousCommit, in order
  std::string author;
  int64_t created = 0;
  std::optional<std::string> name;
  std::optional<std::string> description;
  Hash state_root{};   // Merkle root of element id -> element version
  Hash roots_root{};   // derived index: ids of root elements
  Hash edges_root{};   // derived index: relationship ends
  Hash attrs_root{};   // derived index: @type and name -> element ids; all zero: not built yet
  Hash hash{};         // tamper-evident commit hash (docs/storage.md)
  uint64_t element_count = 0;
  uint64_t change_count = 0;
  int64_t seq = 0;  // local insertion order, assigned by the store
};

// One entry of a commit's change set: an element written or deleted.
struct Change {
  std::string change_id;  // the DataVersion @id (derived from commit and element ids)
  std::string element_id;
  std::optional<Hash> version;  // nullopt: the element was deleted
};

// A resource used by another at a fixed commit (SysML v2 ProjectUsage).
struct ProjectUsage {
  std::string element_id;  // the ProjectUsage element
  std::string used_project;
  std::string used_commit;
};

struct User {
  std::string name;
  std::string password_hash;  // libsodium crypto_pwhash_str (Argon2id)
  std::string role;
  int64_t created = 0;
  std::string scopes = "[]";  // JSON list of category ids (sync-manager role)
};

struct Token {
  Hash token_hash{};  // SHA-256 of the bearer token; the token itself is never stored
  std::string user_name;
  int64_t expires = 0;
};

struct Event {
  int64_t seq = 0;  // assigned by the store, strictly increasing
  std::string type;
  std::optional<std::string> resource_id;
  std::string data;  // JSON object text
  int64_t created = 0;
};

// A remote resource configuration of this (target) server. The store keeps
// its specification and runtime state as JSON documents the sync layer owns,
// and the source password only encrypted.
struct RemoteConfig {
  std::string id;
  std::string name;
  std::string spec;    // JSON: source url/user, selection, target category, trigger, once, enabled
  std::string secret;  // the source password, sealed (nonce + secretbox ciphertext)
  std::string state;   // JSON: per-resource sync state, last run summary
  int64_t created = 0;
};

// A query kept in a project (SysML v2 Query service). `body` is the query as
// the client gave it, normalized to the schema's form (sysml_query.h); it is
// parsed and checked again whenever it is read.
struct StoredQuery {
  std::string id;
  std::string resource_id;
  std::string name;
  std::string body;  // JSON
  int64_t created = 0;
};

// One finished synchronization run of a remote configuration.
struct SyncRun {
  int64_t seq = 0;  // assigned by the store
  std::string config_id;
  int64_t started = 0;
  int64_t finished = 0;
  std::string outcome;  // "ok", "partial", "error"
  std::string report;   // JSON
};

// Cursor-based page request. Cursors are ids of the item before (after) or
// after (before) the wanted page; at most one of them is set.
struct PageRequest {
  std::optional<std::string> after;
  std::optional<std::string> before;
  size_t limit = 100;
};

template <typename T>
struct Page {
  std::vector<T> items;  // in display order
  bool more_after = false;   // items exist after the last one
  bool more_before = false;  // items exist before the first one
};

}  // namespace tandem
