#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"
#include "store/sqlite/sqlite_store.h"

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

}  // namespace
}  // namespace tandem
