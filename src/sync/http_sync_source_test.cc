#include "sync/http_sync_source.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(SourceUrlTest, NeedsSchemeHostAndThePort) {
  for (const char* ok : {"https://source.example:8443", "http://127.0.0.1:8111",
                         "https://[::1]:8443", "https://source.example:8443/"}) {
    EXPECT_TRUE(ValidateSourceUrl(ok).ok()) << ok;
  }
  // No port (nothing substitutes the target's own), credentials, paths, other schemes.
  for (const char* bad : {"https://source.example", "https://source.example:", "https://h:0",
                          "https://h:65536", "https://user:pw@h:8443", "https://h:8443/sync",
                          "ftp://h:21", "source.example:8443", "HTTPS//h:1"}) {
    Status st = ValidateSourceUrl(bad);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ValidateSourceUrl("https://h").message().find("source's port"), std::string::npos);
  // Credentials in a url are refused without repeating them (messages reach logs).
  for (const char* leaky : {"http://admin:S3cret@h:8111", "ftp://admin:S3cret@h:21", "https://S3cret@h"}) {
    Status st = ValidateSourceUrl(leaky);
    EXPECT_FALSE(st.ok()) << leaky;
    EXPECT_EQ(st.message().find("S3cret"), std::string::npos) << st.message();
  }
}

TEST(SourceUrlTest, TlsOnlyTargetsRefusePlainSourcesWithoutConnecting) {
  SyncClientOptions options;
  options.tls.require_tls = true;
  auto source = HttpSourceFactory(options)({"http://127.0.0.1:1", "u", "secret-password"});
  auto reply = source->Info(Cancellation::Never());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(reply.status().message().find("esi.server.sync.tls-enabled"), std::string::npos);
  EXPECT_NE(reply.status().message().find("https://HOST:PORT"), std::string::npos);
  EXPECT_EQ(reply.status().message().find("secret-password"), std::string::npos);

  // A url that never passed validation is refused, not connected to.
  auto invalid = HttpSourceFactory()({"https://no-port.example", "u", "p"})->Info(Cancellation::Never());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);

  // Without the requirement the same url is tried (and here, unreachable).
  auto plain = HttpSourceFactory()({"http://127.0.0.1:1", "u", "p"})->Info(Cancellation::Never());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tandem
