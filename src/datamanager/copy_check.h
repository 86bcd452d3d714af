// The safe-offloading check of `datamanager -dr --require-copy-at URL`:
// before resources are deleted at the source, the archive server must hold a
// copy of each one with the same Resource ID and Project ID, coming from this
// server, whose every branch is at the same head commit hash as here. The
// archive is asked through its tandem-sync catalogue (the same client a
// target uses), with the account in TANDEM_USER / TANDEM_PASSWORD.
// Internal to src/datamanager. Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "datamanager/data_manager.h"
#include "store/store.h"

namespace tandem::datamanager {

struct ArchiveCopies {
  std::string url;
  std::string server_id;  // the archive's
  std::map<std::string, CatalogueEntry> by_id;  // resource id -> the archive's entry
};

// Asks the archive for its copies of `ids`. InvalidArgument for a bad URL or
// missing credentials; Unavailable/Unauthenticated/PermissionDenied when the
// archive cannot be asked (the message says what to check).
Result<ArchiveCopies> FetchArchiveCopies(const Environment& env, const std::string& url,
                                         const std::vector<std::string>& ids);

// Compares, inside the deleting transaction, each resource's branch heads
// with its copy's. Conflict naming every resource and branch whose copy is
// missing, behind or different.
Status CheckCopies(ReadTransaction& txn, const std::string& own_server_id,
                   const std::vector<Resource>& resources, const ArchiveCopies& copies);

}  // namespace tandem::datamanager
