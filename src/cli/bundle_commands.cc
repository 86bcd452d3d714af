// tandem bundle create|apply|state: synchronization through files for sites
// that can never be connected (docs/bundle-format.md). `create` runs against
// the source server and writes a bundle file; `state` runs against the target
// and writes what it holds, for a later `create --since`; `apply` checks a
// bundle file here, uploads it to the target in pieces and applies it there.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/request_target.h"
#include "cli/sync_commands.h"
#include "sync/bundle_file.h"

namespace tandem {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kBundles[] = "/api/v1/bundles";
constexpr int kUploadAttempts = 3;
constexpr uint64_t kQuietBelowBytes = 16 << 20;  // no progress lines in logs for small files

// Progress of a long transfer on standard error: redrawn on a terminal,
// otherwise a line per quarter of a large known size.
class Progress {
 public:
  Progress(CommandContext& ctx, std::string what, uint64_t total)
      : err_(ctx.err),
        what_(std::move(what)),
        total_(total),
        terminal_(&ctx.err == &std::cerr && isatty(STDERR_FILENO) == 1),
        quiet_(ctx.json) {}
  void Update(uint64_t done) {
    if (quiet_) return;
    int quarter = total_ ? static_cast<int>(done * 4 / total_) : 0;
    std::string text = what_ + ": " + FormatBytes(done) +
                       (total_ ? " of " + FormatBytes(total_) : std::string());
    if (terminal_) {
      err_ << "\r" << text << "   " << std::flush;
    } else if (quarter > quarter_ && total_ >= kQuietBelowBytes) {
      err_ << text << "\n";
    }
    quarter_ = std::max(quarter_, quarter);
  }
  void Done() {
    if (terminal_ && !quiet_) err_ << "\n";
  }

 private:
  std::ostream& err_;
  std::string what_;
  uint64_t total_;
  bool terminal_;
  bool quiet_;
  int quarter_ = 0;
};

// Writes `path` through a temporary file renamed into place, so an
// interrupted command never leaves a half-written bundle under the name.
class OutputFile {
 public:
  explicit OutputFile(std::string path) : path_(std::move(path)), temp_(path_ + ".part") {}
  ~OutputFile() {
    if (!done_) {
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }
  Status Open() {
    out_.open(temp_, std::ios::binary | std::ios::trunc);
    if (!out_) return Status::IOError("cannot write " + temp_);
    return Status::Ok();
  }
  bool Write(std::string_view bytes) {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out_);
  }
  Status Commit() {
    out_.close();
    if (!out_) return Status::IOError("cannot write " + temp_ + " (is the disk full?)");
    std::error_code ec;
    fs::rename(temp_, path_, ec);
    if (ec) return Status::IOError("cannot rename " + temp_ + " to " + path_ + ": " + ec.message());
    done_ = true;
    return Status::Ok();
  }

 private:
  std::string path_, temp_;
  std::ofstream out_;
  bool done_ = false;
};

// ---------------------------------------------------------------- create

struct BundleCreateOptions {
  std::vector<std::string> resources;
  std::vector<std::string> categories;
  std::string since;
  std::string output;
};

// The `since` of a create request from a state file or an earlier bundle.
Result<json> ReadSince(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read --since file " + path);
  char prefix[kBundleMagicSize] = {};
  in.read(prefix, sizeof prefix);
  in.clear();
  in.seekg(0);
  if (LooksLikeBundle(std::string_view(prefix, static_cast<size_t>(in.gcount() > 0 ? sizeof prefix : 0)))) {
    auto manifest = ReadBundleManifest(in, BundleLimits{});
    if (!manifest.ok()) return Status::InvalidArgument(path + ": " + manifest.status().message());
    auto since = SinceFromManifest(*manifest);
    if (!since.ok()) return Status::InvalidArgument(path + ": " + since.status().message());
    return since;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto state = ParseJson(text, path, 64);
  if (!state.ok()) {
    return Status::InvalidArgument("--since " + path + " is neither a bundle nor a state file: " +
                                   state.status().message());
  }
  auto since = SinceFromState(*state);
  if (!since.ok()) return Status::InvalidArgument(path + ": " + since.status().message());
  return since;
}

Status CreateBundle(CommandContext& ctx, const BundleCreateOptions& o) {
  json body = {{"resources", o.resources}, {"categories", o.categories}};
  if (!o.since.empty()) {
    ASSIGN_OR_RETURN(body["since"], ReadSince(o.since));
  }
  OutputFile file(o.output);
  RETURN_IF_ERROR(file.Open());
  Progress progress(ctx, "receiving " + o.output, 0);
  uint64_t received = 0;
  bool wrote = true;
  ASSIGN_OR_RETURN(ClientResponse response,
                   ctx.api.Send("POST", kBundles, body.dump(), "application/json",
                                kBundleContentType, [&](std::string_view bytes) {
                                  received += bytes.size();
                                  progress.Update(received);
                                  wrote = file.Write(bytes);
                                  return wrote;
                                }));
  progress.Done();
  if (!wrote) return Status::IOError("cannot write " + o.output + " (is the disk full?)");
  RETURN_IF_ERROR(file.Commit());
  std::string commits = response.Header("X-Tandem-Bundle-Commits").value_or("?");
  if (ctx.json) {
    PrintJson(ctx.out, {{"file", o.output}, {"bytes", received}, {"commits", commits}});
  } else {
    ctx.out << "Wrote " << o.output << ": " << commits << " commits, " << FormatBytes(received)
            << "\n";
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- state

struct StateOptions {
  std::vector<std::string> resources;
  std::string output;
};

Status WriteState(CommandContext& ctx, const StateOptions& o) {
  std::string target = std::string(kBundles) + "/state";
  if (!o.resources.empty()) {
    std::string list;
    for (const auto& id : o.resources) list += (list.empty() ? "" : ",") + id;
    target = AppendQuery(target, {{"resources", list}});
  }
  ASSIGN_OR_RETURN(json state, ctx.api.Get(target));
  if (!state.is_object() || !state.contains("resources") || !state["resources"].is_object()) {
    return ctx.api.BadResponse("the state has no resources");
  }
  OutputFile file(o.output);
  RETURN_IF_ERROR(file.Open());
  if (!file.Write(state.dump(2) + "\n")) return Status::IOError("cannot write " + o.output);
  RETURN_IF_ERROR(file.Commit());
  if (ctx.json) {
    PrintJson(ctx.out, {{"file", o.output}, {"resources", state["resources"].size()}});
  } else {
    ctx.out << "Wrote " << o.output << ": " << state["resources"].size() << " resources\n";
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- apply

struct ApplyOptions {
  std::string file;
  std::string target_category;
};

std::string UploadPath(const std::string& id) {
  return std::string(kBundles) + "/uploads/" + PercentEncode(id);
}

// Sends the file in pieces; after a broken connection it asks the server how
// much arrived and goes on from there.
Status UploadBundle(CommandContext& ctx, const ApplyOptions& o, const std::string& id, uint64_t size,
              uint64_t piece) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + o.file);
  Progress progress(ctx, "uploading " + o.file, size);
  uint64_t sent = 0;
  int failures = 0;
  std::string buffer;
  while (sent < size) {
    buffer.resize(std::min<uint64_t>(piece, size - sent));
    in.seekg(static_cast<std::streamoff>(sent));
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (static_cast<size_t>(in.gcount()) != buffer.size()) {
      return Status::IOError(o.file + " changed while it was uploaded");
    }
    auto reply = ctx.api.Send("PUT", AppendQuery(UploadPath(id), {{"offset", std::to_string(sent)}}),
                              buffer, "application/octet-stream", "application/json");
    if (!reply.ok()) {
      if (ctx.api.last_failure() != ApiFailure::kConnection || ++failures >= kUploadAttempts) {
        return reply.status();
      }
      ASSIGN_OR_RETURN(json status, ctx.api.Get(UploadPath(id)));
      if (!status.contains("received") || !status["received"].is_number_unsigned()) {
        return ctx.api.BadResponse("the upload status has no 'received'");
      }
      sent = status["received"].get<uint64_t>();
      continue;
    }
    sent += buffer.size();
    progress.Update(sent);
  }
  progress.Done();
  return Status::Ok();
}

// Polls the upload until the server has checked and applied it; shows what it
// is doing. Returns the run report, or the server's reason for refusing.
Result<json> FollowApply(CommandContext& ctx, const std::string& id, json status) {
  std::string shown;
  bool terminal = &ctx.err == &std::cerr && isatty(STDERR_FILENO) == 1;
  while (true) {
    std::string state = StringOr(status, "state");
    const json& progress = status.contains("progress") ? status["progress"] : json::object();
    auto count = [&](const char* key) { return progress.value(key, uint64_t{0}); };
    std::string line;
    if (state == "checking") {
      line = "the server is checking the bundle: " + FormatBytes(count("bytesChecked")) + " of " +
             FormatBytes(count("bytesTotal"));
    } else if (state == "applying") {
      line = "the server is applying it: " + std::to_string(count("resourcesDone")) + "/" +
             std::to_string(count("resourcesTotal")) + " resources, " +
             std::to_string(count("commitsDone")) + " commits";
    }
    if (!ctx.json && !line.empty()) {
      if (terminal) {
        ctx.err << "\r" << line << "   " << std::flush;
      } else if (line.substr(0, 20) != shown.substr(0, 20)) {
        ctx.err << line << "\n";  // one line per phase in logs
      }
      shown = line;
    }
    if (state == "done" || state == "failed") {
      if (terminal && !shown.empty() && !ctx.json) ctx.err << "\n";
      if (state == "done" && status.contains("report") && status["report"].is_object()) {
        return status["report"];
      }
      const json& error = status.contains("error") ? status["error"] : json::object();
      if (state == "failed" && error.is_object()) {
        return ctx.api.ReportedFailure(error.value("status", 500),
                                       StringOr(error, "description", "the bundle was refused"));
      }
      return ctx.api.BadResponse("a finished upload without report or error");
    }
    if (state != "checking" && state != "applying") {
      return ctx.api.BadResponse("the upload is in state '" + state + "'");
    }
    std::this_thread::sleep_for(kSyncPollInterval);
    ASSIGN_OR_RETURN(status, ctx.api.Get(UploadPath(id)));
  }
}

Status ApplyBundle(CommandContext& ctx, const ApplyOptions& o) {
  // Check the file here first: a damaged copy is found before it travels.
  std::ifstream in(o.file, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read bundle file " + o.file);
  std::error_code ec;
  uint64_t size = fs::file_size(o.file, ec);
  if (ec) return Status::InvalidArgument("cannot read bundle file " + o.file + ": " + ec.message());
  BundleLimits limits;
  limits.max_bundle_bytes = UINT64_MAX;  // the server says its own limit below
  Progress checking(ctx, "checking " + o.file, size);
  json manifest;
  BundleVisitor visitor;
  visitor.on_manifest = [&](const json& m) {
    manifest = m;
    return Status::Ok();
  };
  Status checked = ScanBundle(in, limits, visitor, [&](uint64_t done) { checking.Update(done); });
  checking.Done();
  if (!checked.ok()) return Status::InvalidArgument(o.file + ": " + checked.message());

  ASSIGN_OR_RETURN(json upload, ctx.api.Post(std::string(kBundles) + "/uploads", json::object()));
  if (!upload.is_object() || !upload.contains("id") || !upload["id"].is_string() ||
      !upload.contains("pieceBytes") || !upload["pieceBytes"].is_number_unsigned() ||
      upload["pieceBytes"].get<uint64_t>() == 0) {
    return ctx.api.BadResponse("the new upload has no id or piece size");
  }
  std::string id = upload["id"];
  uint64_t max = upload.value("maxBytes", UINT64_MAX);
  Status sent = size > max ? Status::TooLarge(o.file + " has " + FormatBytes(size) +
                                              "; the server accepts bundles up to " +
                                              FormatBytes(max) + " (sync.max-bundle-bytes)")
                           : UploadBundle(ctx, o, id, size, upload["pieceBytes"].get<uint64_t>());
  if (!sent.ok()) {
    // Without a connection there is no one to tell (and the exit code must
    // say so); the server drops idle uploads after a day anyway.
    if (ctx.api.last_failure() != ApiFailure::kConnection) {
      auto discarded = ctx.api.Delete(UploadPath(id));
      (void)discarded;  // best effort, as above
    }
    return sent;
  }
  ASSIGN_OR_RETURN(json started,
                   ctx.api.Post(AppendQuery(UploadPath(id) + "/apply",
                                            {{"targetCategory", o.target_category}}),
                                json::object()));
  ASSIGN_OR_RETURN(json report, FollowApply(ctx, id, std::move(started)));
  std::string outcome = StringOr(report, "outcome", "-");
  const json& rows = report.contains("resources") ? report["resources"] : json::array();
  if (ctx.json) {
    PrintJson(ctx.out, report);
  } else {
    ctx.out << "Bundle applied: " << outcome << ", " << Field(report, "commits") << " commits\n";
    if (rows.is_array() && !rows.empty()) PrintResourceRows(ctx.out, rows);
  }
  if (outcome == "ok") return Status::Ok();
  if (outcome == "partial") {
    return Status::Conflict("some resources of the bundle were not applied; see the rows above");
  }
  return Status::IOError("applying the bundle failed: " + StringOr(report, "error", outcome));
}

}  // namespace

void AddBundleCommands(CLI::App& app, CommandAction& selected) {
  CLI::App* bundle = app.add_subcommand(
      "bundle",
      "Synchronize through files where servers can never connect: create a bundle at the "
      "source, apply it at the target");
  bundle->require_subcommand(1);

  auto create_opts = std::make_shared<BundleCreateOptions>();
  CLI::App* create = bundle->add_subcommand(
      "create", "Write a bundle of resources with their history (at the source server)");
  create->add_option("--resource", create_opts->resources, "Id of a resource to include (repeatable)")
      ->allow_extra_args(false);
  create->add_option("--category", create_opts->categories,
                     "Id of a category whose resources to include (repeatable)")
      ->allow_extra_args(false);
  create->add_option("--since", create_opts->since,
                     "A state file from the target (tandem bundle state) or an earlier bundle: "
                     "include only what comes after it");
  create->add_option("--output", create_opts->output, "The bundle file to write")->required();
  create->parse_complete_callback([create_opts] {
    if (create_opts->resources.empty() && create_opts->categories.empty()) {
      throw CLI::ValidationError("bundle create", "give at least one --resource or --category");
    }
  });
  OnSelect(create, selected,
           [create_opts](CommandContext& ctx) { return CreateBundle(ctx, *create_opts); });

  auto apply_opts = std::make_shared<ApplyOptions>();
  CLI::App* apply = bundle->add_subcommand(
      "apply",
      "Check a bundle file, upload it and apply it (at the target server; needs sync-manager "
      "in scope of the target category, or admin)");
  apply->add_option("FILE", apply_opts->file, "The bundle file")->required();
  apply->add_option("--target-category", apply_opts->target_category,
                    "Id of the category here that receives the copies")
      ->required();
  OnSelect(apply, selected, [apply_opts](CommandContext& ctx) { return ApplyBundle(ctx, *apply_opts); });

  auto state_opts = std::make_shared<StateOptions>();
  CLI::App* state = bundle->add_subcommand(
      "state", "Write what this server holds of synchronized resources, for `create --since`");
  state->add_option("--resource", state_opts->resources,
                    "Id of a resource (repeatable; default: every synchronized copy)")
      ->allow_extra_args(false);
  state->add_option("--output", state_opts->output, "The state file to write")->required();
  OnSelect(state, selected, [state_opts](CommandContext& ctx) { return WriteState(ctx, *state_opts); });
}

}  // namespace tandem
