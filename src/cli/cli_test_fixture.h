// The in-process harness of the tandem CLI tests: a scripted FakeServer
// behind the Transport seam, and a gtest fixture that runs RunCli against it
// and checks that no output shows the password. Test-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "net/http_url.h"
#include "cli/transport.h"

namespace tandem {

inline constexpr char kPassword[] = "s3cret-Pa55";

// A scripted server: canned responses per "METHOD target", first in first out
// (the last one repeats), and a record of every request.
class FakeServer : public Transport {
 public:
  void On(const std::string& method, const std::string& target, int status, const nlohmann::json& body,
          HttpHeaders headers = {}) {
    ClientResponse response;
    response.status = status;
    response.body = body.is_null() ? "" : body.dump();
    response.headers = std::move(headers);
    routes_[method + " " + target].push_back(std::move(response));
  }
  void OnRaw(const std::string& method, const std::string& target, int status, std::string body) {
    ClientResponse response;
    response.status = status;
    response.body = std::move(body);
    routes_[method + " " + target].push_back(std::move(response));
  }

  Result<ClientResponse> Send(const ClientRequest& request) override {
    requests.push_back(request);
    if (unreachable) return Status::Unavailable("cannot reach http://127.0.0.1:8111: refused");
    if (auto drop = drops.find(request.method + " " + request.target);
        drop != drops.end() && drop->second > 0) {
      --drop->second;
      return Status::Unavailable("cannot reach http://127.0.0.1:8111: connection reset");
    }
    auto it = routes_.find(request.method + " " + request.target);
    if (it == routes_.end()) {
      ClientResponse missing;
      missing.status = 404;
      missing.body =
          nlohmann::json{{"@type", "Error"},
               {"description", "no fake route for " + request.method + " " + request.target}}
              .dump();
      return missing;
    }
    ClientResponse response = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    // As the real transport: a 2xx body goes to the sink when there is one.
    if (request.body_sink && response.status >= 200 && response.status <= 299) {
      if (!request.body_sink(response.body)) return Status::Unavailable("the body sink stopped");
      response.body.clear();
    }
    return response;
  }

  std::vector<ClientRequest> requests;
  bool unreachable = false;
  // "METHOD target" -> how many of the next such requests get no answer.
  std::map<std::string, int> drops;

 private:
  std::map<std::string, std::deque<ClientResponse>> routes_;
};

// Hands RunCli a Transport that forwards to the test's FakeServer.
class ForwardingTransport : public Transport {
 public:
  explicit ForwardingTransport(FakeServer& server) : server_(server) {}
  Result<ClientResponse> Send(const ClientRequest& request) override { return server_.Send(request); }

 private:
  FakeServer& server_;
};

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

class CliFixture : public ::testing::Test {
 protected:
  CliFixture() {
    env_.variables["TANDEM_PASSWORD"] = kPassword;
    env_.make_transport = [this](const ServerUrl& url, const TransportOptions&) {
      connected_to_ = url.ToString();
      return std::make_unique<ForwardingTransport>(server_);
    };
  }

  Outcome Cli(const std::vector<std::string>& args, const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out, err;
    Outcome outcome;
    outcome.code = RunCli(args, in, out, err, env_);
    outcome.out = out.str();
    outcome.err = err.str();
    EXPECT_EQ(outcome.out.find(kPassword), std::string::npos) << outcome.out;
    EXPECT_EQ(outcome.err.find(kPassword), std::string::npos) << outcome.err;
    return outcome;
  }

  const ClientRequest& LastRequest() const { return server_.requests.back(); }

  FakeServer server_;
  Environment env_;
  std::string connected_to_;
};

}  // namespace tandem
