#include "api/api_tls.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

TEST(ApiTlsTest, SyncEndpointsOnly) {
  EXPECT_TRUE(IsSyncEndpoint("/sync/v1/info"));
  EXPECT_TRUE(IsSyncEndpoint("/sync/v1/resources/([^/]+)/pack"));
  EXPECT_FALSE(IsSyncEndpoint("/api/v1/changes"));
  EXPECT_FALSE(IsSyncEndpoint("/sysml/v2/projects"));
}

TEST(ApiTlsTest, PlainRequestsAreRefusedWhenSynchronizationIsTlsOnly) {
  HttpRequest plain;  // no TLS session: req.ssl is null
  ApiTlsOptions open;
  EXPECT_TRUE(CheckSyncTransport(plain, open, 8443).ok());

  ApiTlsOptions tls_only{true, false, {}};
  Status st = CheckSyncTransport(plain, tls_only, 8443);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("esi.server.sync.tls-enabled = true"), std::string::npos);
  EXPECT_NE(st.message().find("8443"), std::string::npos);

  ApiTlsOptions mutual{false, true, {}};
  st = CheckSyncTransport(plain, mutual, 8443);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(st.message().find("requires a client certificate"), std::string::npos);
  EXPECT_NE(st.message().find("twc.client.keystore.path"), std::string::npos);
}

TEST(ApiTlsTest, NoCertificateNoUser) {
  HttpRequest plain;
  ApiTlsOptions mapped{false, false, {{"target-b", "mirror"}}};
  EXPECT_FALSE(CertificateUser(plain, mapped).has_value());
}

}  // namespace
}  // namespace tandem
