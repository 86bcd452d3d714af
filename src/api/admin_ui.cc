#include "api/admin_ui.h"

#include <algorithm>

#include "api/api_server.h"

namespace tandem {
namespace {

// The pages run only their own scripts and styles, talk only to this server,
// cannot be framed, and submit no form natively. Inline script and style are
// refused, so data that reached the DOM cannot run as code.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Reply FileReply(const EmbeddedFile& file) {
  Reply r;
  r.status = 200;
  r.content_type = std::string(AdminUiContentType(file.path));
  r.text = std::string(file.data);
  if (r.text.empty()) r.empty = true;
  r.headers = {{"Content-Security-Policy", kContentSecurityPolicy},
               {"Referrer-Policy", "no-referrer"},
               {"X-Frame-Options", "DENY"},
               // Revalidated on every load: an upgraded server serves its own pages.
               {"Cache-Control", "no-cache"}};
  return r;
}

Result<Reply> Serve(std::string_view path) {
  auto files = AdminUiFiles();
  auto it = std::lower_bound(files.begin(), files.end(), path,
                             [](const EmbeddedFile& f, std::string_view p) { return f.path < p; });
  if (it == files.end() || it->path != path) {
    return Status::NotFound("the web administration has no file '/admin/" + std::string(path) +
                            "'; open /admin/");
  }
  return FileReply(*it);
}

}  // namespace

std::string_view AdminUiContentType(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

void RegisterAdminUi(ApiServer& api) {
  api.Add(Method::kGet, "/admin", std::nullopt, [](Call&) -> Result<Reply> {
    Reply r;
    r.status = 301;
    r.empty = true;
    r.headers = {{"Location", "/admin/"}};
    return r;
  });
  api.Add(Method::kGet, "/admin/", std::nullopt,
          [](Call&) -> Result<Reply> { return Serve("index.html"); });
  api.Add(Method::kGet, "/admin/(.+)", std::nullopt,
          [](Call& call) -> Result<Reply> { return Serve(call.Param(1)); });
}

}  // namespace tandem
