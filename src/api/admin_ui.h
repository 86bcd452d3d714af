// The web administration (docs/web-admin.md): plain ES modules, HTML and CSS
// from web/admin, embedded into the binary at build time by
// cmake/EmbedFiles.cmake and served under /admin/ by the same listeners as the
// API. The files are public (the login page must load without a session);
// every piece of data they show comes from the API with the user's token.
#pragma once

#include <span>
#include <string_view>

namespace tandem {

class ApiServer;

struct EmbeddedFile {
  std::string_view path;  // relative to web/admin: "index.html", "js/app.js"
  std::string_view data;
};

// Every embedded file, sorted by path (generated code).
std::span<const EmbeddedFile> AdminUiFiles();

// The Content-Type a file is served with, from its extension;
// "application/octet-stream" for one we do not know.
std::string_view AdminUiContentType(std::string_view path);

// GET /admin (a redirect), /admin/ (index.html) and /admin/{path}.
void RegisterAdminUi(ApiServer& api);

}  // namespace tandem
