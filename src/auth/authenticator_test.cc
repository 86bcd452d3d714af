#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/common/fake_clock.h"

namespace tandem {
namespace {

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tandem-auth-" + RandomHex(6));
    std::filesystem::create_directories(dir_);
    store_ = std::move(SqliteStore::Open((dir_ / "tandem.db").string()).value());
    auth_ = std::make_unique<Authenticator>(*store_, clock_);
  }
  void TearDown() override {
    auth_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(AuthenticatorTest, BootstrapCreatesAdminOnce) {
  auto pw = auth_->BootstrapAdmin(std::nullopt).value();
  ASSERT_TRUE(pw.has_value());
  EXPECT_GE(pw->size(), 16u);
  EXPECT_EQ(auth_->CheckPassword("admin", *pw)->role, Role::kAdmin);
  EXPECT_FALSE(auth_->BootstrapAdmin(std::string("another-password")).value().has_value());
}

TEST_F(AuthenticatorTest, PasswordsAreStoredAsArgon2id) {
  auth_->CreateUser("alice", "correct horse", Role::kWriter).value();
  auto users = auth_->ListUsers().value();
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(users[0].password_hash.find("correct horse"), std::string::npos);
}

TEST_F(AuthenticatorTest, WrongPasswordAndUnknownUserLookTheSame) {
  auth_->CreateUser("alice", "correct horse", Role::kWriter).value();
  auto wrong = auth_->CheckPassword("alice", "wrong horse");
  auto nobody = auth_->CheckPassword("bob", "correct horse");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), nobody.status().message());
}

TEST_F(AuthenticatorTest, CachedVerificationDiesWithAPasswordChange) {
  auth_->CreateUser("alice", "first password", Role::kWriter).value();
  ASSERT_TRUE(auth_->CheckPassword("alice", "first password").ok());
  ASSERT_TRUE(auth_->UpdateUser("alice", std::string("second password"), std::nullopt).ok());
  EXPECT_FALSE(auth_->CheckPassword("alice", "first password").ok());
  EXPECT_TRUE(auth_->CheckPassword("alice", "second password").ok());
}

TEST_F(AuthenticatorTest, TokensExpire) {
  auth_->CreateUser("alice", "correct horse", Role::kReader).value();
  auto t = auth_->IssueToken(Principal{"alice", Role::kReader, {}}).value();
  EXPECT_EQ(auth_->CheckToken(t.token)->user, "alice");
  clock_.Advance(std::chrono::hours(9));
  EXPECT_EQ(auth_->CheckToken(t.token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->CheckToken("forged").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, ValidatesNamesPasswordsAndKeepsTheLastAdmin) {
  EXPECT_EQ(auth_->CreateUser("bad name", "long enough", Role::kReader).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(auth_->CreateUser("carol", "short", Role::kReader).status().code(),
            StatusCode::kInvalidArgument);
  auth_->BootstrapAdmin(std::string("admin-password")).value();
  EXPECT_EQ(auth_->DeleteUser("admin").code(), StatusCode::kConflict);
}

TEST_F(AuthenticatorTest, TheLastAdminCannotBeDemoted) {
  auth_->BootstrapAdmin(std::string("admin-password")).value();
  EXPECT_EQ(auth_->UpdateUser("admin", std::nullopt, Role::kReader).status().code(),
            StatusCode::kConflict);
  auth_->CreateUser("second", "second-password", Role::kAdmin).value();
  EXPECT_TRUE(auth_->UpdateUser("admin", std::nullopt, Role::kReader).ok());
}

TEST_F(AuthenticatorTest, APasswordChangeRevokesTokens) {
  auth_->CreateUser("alice", "first password", Role::kWriter).value();
  auto t = auth_->IssueToken(Principal{"alice", Role::kWriter, {}}).value();
  ASSERT_TRUE(auth_->CheckToken(t.token).ok());
  ASSERT_TRUE(auth_->UpdateUser("alice", std::string("second password"), std::nullopt).ok());
  EXPECT_EQ(auth_->CheckToken(t.token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, TokensLiveExactlyTheirConfiguredTtl) {
  AuthOptions options;
  options.token_ttl = std::chrono::seconds(30);
  auth_ = std::make_unique<Authenticator>(*store_, clock_, options);
  auth_->CreateUser("alice", "correct horse", Role::kReader).value();
  auto t = auth_->IssueToken(Principal{"alice", Role::kReader, {}}).value();
  EXPECT_EQ(t.expires, clock_.NowMicros() + 30'000'000);
  clock_.Advance(std::chrono::seconds(29));
  EXPECT_TRUE(auth_->CheckToken(t.token).ok());
  clock_.Advance(std::chrono::seconds(1));
  auto expired = auth_->CheckToken(t.token);
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
}

class LoginThrottleTest : public AuthenticatorTest {
 protected:
  void SetUp() override {
    AuthenticatorTest::SetUp();
    AuthOptions options;
    options.login_throttle.free_failures = 3;
    options.login_throttle.max_delay = std::chrono::seconds(10);
    auth_ = std::make_unique<Authenticator>(*store_, clock_, options);
    auth_->CreateUser("alice", "correct horse", Role::kWriter).value();
  }
  StatusCode Try(const std::string& password, const std::string& client = "10.0.0.1",
                 const std::string& user = "alice") {
    return auth_->CheckPassword(user, password, client).status().code();
  }
};

TEST_F(LoginThrottleTest, RepeatedFailuresLockThePairOutWithGrowingDelays) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->RetryAfterSeconds("alice", "10.0.0.1"), 0);
  EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);  // 4th: locked for 1 s
  EXPECT_EQ(auth_->RetryAfterSeconds("alice", "10.0.0.1"), 1);
  // Locked: even the right password is refused, without an Argon2id check.
  auto locked = auth_->CheckPassword("alice", "correct horse", "10.0.0.1");
  EXPECT_EQ(locked.status().code(), StatusCode::kRateLimited);
  EXPECT_NE(locked.status().message().find("try again in 1 s"), std::string::npos)
      << locked.status().message();
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);  // 5th: 2 s
  EXPECT_EQ(auth_->RetryAfterSeconds("alice", "10.0.0.1"), 2);
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);  // 6th: 4 s
  EXPECT_EQ(auth_->RetryAfterSeconds("alice", "10.0.0.1"), 4);
  clock_.Advance(std::chrono::seconds(4));
  EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);  // 7th: 8 s
  clock_.Advance(std::chrono::seconds(8));
  EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);  // 8th: capped at 10 s
  EXPECT_EQ(auth_->RetryAfterSeconds("alice", "10.0.0.1"), 10);
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_TRUE(auth_->CheckPassword("alice", "correct horse", "10.0.0.1").ok());
  // Success cleared the count: three more failures before the next lockout.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Try("wrong horse"), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->RetryAfterSeconds("alice", "10.0.0.1"), 0);
}

TEST_F(LoginThrottleTest, AnAttackerCannotLockTheUserOutFromAnotherAddress) {
  for (int i = 0; i < 10; ++i) (void)Try("wrong horse", "10.6.6.6");
  EXPECT_EQ(Try("correct horse", "10.6.6.6"), StatusCode::kRateLimited);
  EXPECT_EQ(Try("correct horse", "10.0.0.1"), StatusCode::kOk);
}

TEST_F(LoginThrottleTest, AFreshlyVerifiedPasswordPassesALockout) {
  ASSERT_EQ(Try("correct horse", "10.0.0.9"), StatusCode::kOk);
  for (int i = 0; i < 5; ++i) (void)Try("wrong horse", "10.0.0.9");
  ASSERT_GT(auth_->RetryAfterSeconds("alice", "10.0.0.9"), 0);
  // The client that proved the password minutes ago (HTTP Basic on every
  // request) keeps working while a guesser on the same address is refused.
  EXPECT_EQ(Try("correct horse", "10.0.0.9"), StatusCode::kOk);
  EXPECT_EQ(Try("wrong horse", "10.0.0.9"), StatusCode::kRateLimited);
}

TEST_F(LoginThrottleTest, UnknownAccountsAreThrottledLikeRealOnes) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Try("x-password", "10.0.0.1", "mallory"), StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(Try("x-password", "10.0.0.1", "mallory"), StatusCode::kRateLimited);
}

TEST(LoginThrottleMemoryTest, TrackedPairsStayBounded) {
  FakeClock clock;
  LoginThrottleOptions options;
  options.free_failures = 1;
  options.max_tracked = 100;
  LoginThrottle throttle(clock, options);
  for (int i = 0; i < 1000; ++i) {
    throttle.RecordFailure("user" + std::to_string(i), "10.0.0.1");
    throttle.RecordFailure("user" + std::to_string(i), "10.0.0.1");
  }
  // The newest pairs are still tracked (locked), the oldest were dropped.
  EXPECT_GT(throttle.RetryAfterSeconds("user999", "10.0.0.1"), 0);
  EXPECT_EQ(throttle.RetryAfterSeconds("user0", "10.0.0.1"), 0);
}

}  // namespace
}  // namespace tandem
