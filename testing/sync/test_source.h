// TestSource: a source server for unit tests — a repository read in-process
// (LocalSyncSource) behind a fault plan (FaultInjectingSource), with the
// account a target must log in with. Its factory is what a SyncEngine or a
// datamanager check is given instead of HttpSourceFactory: a wrong user name
// or password is refused as the real source refuses it. Test-only;
// thread-safe (engines call it from several threads).
#pragma once

#include <memory>
#include <string>

#include "testing/sync/fault_injecting_source.h"
#include "testing/sync/local_sync_source.h"

namespace tandem {

class TestSource : public SourceFaults {
 public:
  static constexpr char kUrl[] = "http://source.test:8111";

  explicit TestSource(Repository& repo, std::string username = "sync-target",
                      std::string password = "a-long-secret")
      : repo_(repo), username_(std::move(username)), password_(std::move(password)) {}

  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }

  // The source refuses every login while set.
  void RefuseCredentials(bool refuse) { refuse_credentials_ = refuse; }

  SourceFactory Factory() {
    return [this](const SourceEndpoint& endpoint) -> std::unique_ptr<SyncSource> {
      return std::make_unique<Session>(*this, endpoint);
    };
  }
  // A source with the right credentials.
  std::unique_ptr<SyncSource> Source() { return Factory()({kUrl, username_, password_}); }

  // The compressed size of the pack a target with `have` would get.
  size_t PackSize(const std::string& resource_id, const std::vector<std::string>& have) {
    size_t n = 0;
    Status st = LocalSyncSource(repo_).FetchPack({resource_id, have, {}}, [&](std::string_view b) {
      n += b.size();
      return true;
    }, Cancellation::Never());
    return st.ok() ? n : 0;
  }

 private:
  // One target's connection: checks its login on every call, as HTTP Basic does.
  class Session final : public SyncSource {
   public:
    Session(TestSource& server, SourceEndpoint endpoint)
        : server_(server),
          endpoint_(std::move(endpoint)),
          inner_(std::make_unique<LocalSyncSource>(server.repo_, kUrl), server) {}
    Result<SourceInfo> Info(const Cancellation& c) override {
      RETURN_IF_ERROR(Login());
      return inner_.Info(c);
    }
    Result<Catalogue> FetchCatalogue(const CatalogueRequest& r, const Cancellation& c) override {
      RETURN_IF_ERROR(Login());
      return inner_.FetchCatalogue(r, c);
    }
    Status FetchPack(const PackRequest& r, const ByteSink& sink, const Cancellation& c) override {
      RETURN_IF_ERROR(Login());
      return inner_.FetchPack(r, sink, c);
    }
    Result<ChangePage> Changes(int64_t since, std::chrono::seconds wait, const Cancellation& c) override {
      RETURN_IF_ERROR(Login());
      return inner_.Changes(since, wait, c);
    }
    std::string Name() const override { return kUrl; }

   private:
    Status Login() {
      if (server_.refuse_credentials_ || endpoint_.username != server_.username_ ||
          endpoint_.password != server_.password_) {
        return Status::Unauthenticated(std::string("connecting at ") + kUrl +
                                       ": the source refused the credentials (invalid user name "
                                       "or password); check the user name and password");
      }
      return Status::Ok();
    }
    TestSource& server_;
    SourceEndpoint endpoint_;
    FaultInjectingSource inner_;
  };

  Repository& repo_;
  std::string username_, password_;
  std::atomic<bool> refuse_credentials_{false};
};

}  // namespace tandem
