// The SQLite schema of a Tandem store, version 1 (docs/storage.md explains it).
#pragma once

namespace tandem {

inline constexpr const char* kSqliteSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS categories(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  parent_id TEXT REFERENCES categories(id),
  description TEXT NOT NULL DEFAULT '',
  read_only INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS categories_sibling_name
  ON categories(ifnull(parent_id, ''), name);
CREATE TABLE IF NOT EXISTS resources(
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT,
  category_id TEXT NOT NULL REFERENCES categories(id),
  read_only INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  default_branch_id TEXT NOT NULL,
  UNIQUE(category_id, name));
CREATE TABLE IF NOT EXISTS branches(
  id TEXT PRIMARY KEY,
  resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  head TEXT,
  description TEXT,
  created INTEGER NOT NULL,
  UNIQUE(resource_id, name));
CREATE INDEX IF NOT EXISTS branches_head ON branches(head);
CREATE TABLE IF NOT EXISTS tags(
  id TEXT PRIMARY KEY,
  resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  description TEXT,
  created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tags_resource ON tags(resource_id, id);
CREATE INDEX IF NOT EXISTS tags_commit ON tags(commit_id);
CREATE TABLE IF NOT EXISTS queries(
  id TEXT PRIMARY KEY,
  resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS queries_resource ON queries(resource_id, id);
CREATE TABLE IF NOT EXISTS commits(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  parents TEXT NOT NULL,
  author TEXT NOT NULL,
  created INTEGER NOT NULL,
  name TEXT,
  description TEXT,
  state_root BLOB NOT NULL,
  roots_root BLOB NOT NULL,
  edges_root BLOB NOT NULL,
  hash BLOB NOT NULL,
  element_count INTEGER NOT NULL,
  change_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS commits_resource ON commits(resource_id, seq);
CREATE TABLE IF NOT EXISTS commit_changes(
  commit_seq INTEGER NOT NULL REFERENCES commits(seq) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  change_id TEXT NOT NULL,
  element_id TEXT NOT NULL,
  version BLOB,
  PRIMARY KEY(commit_seq, ord)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS commit_changes_id ON commit_changes(commit_seq, change_id);
CREATE TABLE IF NOT EXISTS commit_usages(
  commit_seq INTEGER NOT NULL REFERENCES commits(seq) ON DELETE CASCADE,
  element_id TEXT NOT NULL,
  used_project TEXT NOT NULL,
  used_commit TEXT NOT NULL,
  PRIMARY KEY(commit_seq, element_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS commit_usages_used ON commit_usages(used_project);
CREATE TABLE IF NOT EXISTS trie_nodes(
  hash BLOB PRIMARY KEY,
  data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS element_versions(
  hash BLOB PRIMARY KEY,
  codec INTEGER NOT NULL,
  raw_size INTEGER NOT NULL,
  data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS users(
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created INTEGER NOT NULL,
  scopes TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS tokens(
  token_hash BLOB PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  resource_id TEXT,
  data TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS remote_configs(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  spec TEXT NOT NULL,
  secret BLOB NOT NULL,
  state TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync_runs(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  config_id TEXT NOT NULL REFERENCES remote_configs(id) ON DELETE CASCADE,
  started INTEGER NOT NULL,
  finished INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  report TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sync_runs_config ON sync_runs(config_id, seq);
)sql";

}  // namespace tandem
