// DC/OS service-account login end to end: marathon-sim in service-account
// mode (its own login endpoint; every Marathon request needs its token),
// marathon-lb with --dcos-auth-credentials (or $DCOS_SERVICE_ACCOUNT_
// CREDENTIAL) owning a real HAProxy (--run-haproxy), echo backends on
// 127.0.0.2-4. The tests assert which backend answers through HAProxy, exact
// log lines, the simulator's login counters, and that neither the private
// key nor any token issued shows in marathon-lb's log, /status or the
// config.
//
// The key pair is made at run time into the test's temp dir. Nothing binds
// outside 127.0.0.0/8 (--dont-bind-http-https, loopback HEAD and :9091
// frontend, HAPROXY_0_BIND_ADDR 127.0.0.1); HAProxy runs with maxconn 200.
// TearDown stops marathon-lb with SIGTERM and fails the test if an HAProxy
// of this test's config is left (then kills it).
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <sstream>

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/end_to_end_test.h"
#include "tests/support/live_support.h"
#include "tests/support/service_account_keys.h"

namespace mlb::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const char kUid[] = "mlb-principal";
const char kAppsPath[] = "/v2/apps?embed=apps.tasks";
const char kEventsPath[] =
    "/v2/events?plan-format=light&event_type=api_post_event&event_type="
    "app_terminated_event&event_type=health_status_changed_event&"
    "event_type=status_update_event";
const char kEnv[] = "DCOS_SERVICE_ACCOUNT_CREDENTIAL";

class ServiceAccountTest : public ManagedMarathonLbTest {
 protected:
  void SetUp() override {
    ManagedMarathonLbTest::SetUp();
    unsetenv(kEnv);
    keys_ = mlb::testing::MakeRsaKeyPair();
    WriteFile(dir_->File("account.pub.pem"), keys_.public_pem);
  }

  void TearDown() override {
    ManagedMarathonLbTest::TearDown();
    sim_.reset();
    unsetenv(kEnv);
  }

  void DumpLogs() const override {
    ManagedMarathonLbTest::DumpLogs();
    if (sim_) {
      std::cerr << "---- marathon-sim log (tail) ----\n"
                << Tail(sim_->Output(), 60);
    }
  }

  // marathon-sim --service-account mlb-principal:<public key> with
  // --token-ttl-s `ttl_s`, serving State(tasks).
  void StartSim(const std::vector<TaskSpec>& tasks, int ttl_s) {
    state_file_ = dir_->File("state.json");
    AtomicWrite(state_file_, State(tasks));
    const std::string port_file = dir_->File("sim.port");
    sim_ = std::make_unique<ScopedProcess>(
        std::vector<std::string>{
            sim_binary_, "--state", state_file_, "--listen", "127.0.0.1:0",
            "--port-file", port_file, "--keepalive-ms", "300",
            "--service-account",
            std::string(kUid) + ":" + dir_->File("account.pub.pem"),
            "--token-ttl-s", std::to_string(ttl_s)},
        dir_->File("sim.log"));
    sim_url_ = "http://" + WaitForPortFile(*sim_, port_file);
    sim_port_ = UrlPort(sim_url_);
  }

  std::string LoginUrl() const { return sim_url_ + "/acs/api/v1/auth/login"; }
  std::string Credentials() const {
    return mlb::testing::CredentialsJson(kUid, keys_.private_pem, LoginUrl());
  }

  // The common arguments: --marathon <sim>.
  std::vector<std::string> Args(const std::vector<std::string>& mode_args) {
    return MarathonLbArgs(mode_args, {sim_url_});
  }

  // marathon-lb MODE_ARGS ... --run-haproxy with the service account in
  // $DCOS_SERVICE_ACCOUNT_CREDENTIAL (`in_env`) or --dcos-auth-credentials;
  // waits until HAProxy serves the first config.
  void StartMarathonLb(const std::vector<std::string>& mode_args,
                       bool in_env) {
    std::vector<std::string> argv = ManagedArgs(mode_args, {sim_url_});
    if (in_env) {
      setenv(kEnv, Credentials().c_str(), 1);
    } else {
      argv.push_back("--dcos-auth-credentials");
      argv.push_back(Credentials());
    }
    SpawnMarathonLb(argv);
    unsetenv(kEnv);
    AwaitHaproxy();
  }

  HttpResponse SimCall(const std::string& method, const std::string& path,
                       const std::string& body = "") const {
    return HttpCall(method, "127.0.0.1", sim_port_, path, body, {},
                    Millis(5000));
  }
  void PostApps(const std::vector<TaskSpec>& tasks) {
    const HttpResponse r = SimCall("POST", "/_sim/apps", State(tasks));
    ASSERT_EQ(r.status, 200) << r.Describe();
  }
  Poco::JSON::Object::Ptr Account() const {
    return JsonObject(SimCall("GET", "/_sim/service-account").body);
  }
  long Logins() const { return JsonInt(Account(), "logins", -1); }

  // Neither the private key nor any token the simulator issued is in
  // marathon-lb's output, its /status or the config.
  void ExpectNoSecretsShown() {
    const std::string status = Admin("/status").body;
    ASSERT_THAT(status, HasSubstr("\"marathon\""));
    std::vector<std::string> secrets = {
        mlb::testing::PemBodyLine(keys_.private_pem)};
    const Poco::JSON::Object::Ptr account = Account();
    ASSERT_FALSE(account.isNull());
    for (const auto& token : *account->getArray("issued_tokens")) {
      secrets.push_back(token.toString());
    }
    ASSERT_GE(secrets.size(), 2u);
    for (const std::string& secret : secrets) {
      EXPECT_THAT(MlbLog(), Not(HasSubstr(secret)));
      EXPECT_THAT(status, Not(HasSubstr(secret)));
      EXPECT_THAT(ReadFile(cfg_), Not(HasSubstr(secret)));
    }
  }

  mlb::testing::RsaKeyPair keys_;
  int sim_port_ = 0;
  std::string sim_url_, state_file_;
  std::unique_ptr<ScopedProcess> sim_;
};

// sse, the account in $DCOS_SERVICE_ACCOUNT_CREDENTIAL: marathon-lb logs in
// once, every Marathon request (the apps, the event stream) carries the
// token, a change reaches HAProxy through the stream, and no secret shows.
TEST_F(ServiceAccountTest, SseLogsInOnceAndRoutesWithTheToken) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  StartSim({{"127.0.0.2", {web1}}}, 3600);
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, /*in_env=*/true));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return HasMessage(MlbLog(),
                          "event stream connected: " + sim_url_ + kEventsPath);
      },
      Millis(5000)));
  EXPECT_TRUE(HasMessage(MlbLog(), std::string("logged in to DC/OS as ") +
                                       kUid + " at " + LoginUrl()));

  PostApps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));
  const Poco::JSON::Object::Ptr account = Account();
  EXPECT_EQ(JsonInt(account, "logins", -1), 1);
  EXPECT_EQ(JsonInt(account, "refused_logins", -1), 0);
  EXPECT_EQ(JsonInt(account, "rejected_requests", -1), 0);
  const Poco::JSON::Object::Ptr requests =
      JsonObject(SimCall("GET", "/_sim/stats").body)->getObject("requests");
  // Every app at the start; then, from the events, the changed app alone.
  EXPECT_EQ(JsonInt(requests, "GET /v2/apps", 0), 1);
  EXPECT_GE(JsonInt(requests, "GET /v2/apps/<id>", 0), 1);
  EXPECT_GE(JsonInt(requests, "GET /v2/events", 0), 1);
  ExpectNoSecretsShown();
}

// A token that expires (--token-ttl-s 3 in the simulator, while marathon-lb
// counts on the hour it asked for) is answered 401: marathon-lb logs in
// again and retries, for the apps and for the event stream, and changes keep
// reaching HAProxy.
TEST_F(ServiceAccountTest, ExpiredTokensAreReplacedAfterA401) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web3 = StartEcho("web-3", "127.0.0.4");
  StartSim({{"127.0.0.2", {web1}}}, 3);
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, /*in_env=*/false));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  const long first_logins = Logins();
  EXPECT_EQ(first_logins, 1);

  // The stream stays open past the expiry (it was never refused); the
  // change's GET of the app (its api_post_event) gets a 401 and is retried
  // after a new login.
  std::this_thread::sleep_for(Millis(3200));
  PostApps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));
  EXPECT_TRUE(HasMessage(MlbLog(), "GET " + sim_url_ +
                                       "/v2/apps/web?embed=app.tasks"
                                       ": HTTP 401 Unauthorized; logging in "
                                       "to DC/OS again"))
      << Tail(MlbLog());
  EXPECT_EQ(CountMessages(MlbLog(), "GET " + sim_url_ + "/v2/events"), 0);
  EXPECT_EQ(CountMessages(MlbLog(), "event stream connected: "), 1);
  EXPECT_GE(Logins(), 2);

  // The stream, dropped after the next expiry, reconnects the same way.
  std::this_thread::sleep_for(Millis(3200));
  const HttpResponse drop = SimCall("POST", "/_sim/fault?drop=1");
  ASSERT_EQ(drop.status, 200) << drop.Describe();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return HasMessage(MlbLog(), "GET " + sim_url_ + kEventsPath +
                                        ": HTTP 401 Unauthorized; logging in "
                                        "to DC/OS again");
      },
      Millis(5000)))
      << Tail(MlbLog());
  PostApps({{"127.0.0.4", {web3}}});
  EXPECT_TRUE(WaitForBackends({"web-3"}));
  EXPECT_EQ(JsonInt(Account(), "refused_logins", -1), 0);
  ExpectNoSecretsShown();
}

// POST /_sim/revoke: the next request is refused, marathon-lb logs in again
// and the change reaches HAProxy. While logins fail, the update fails with
// the login's error and HAProxy keeps the last good config; once logins work
// again, the pending change goes through on marathon-lb's own retry.
TEST_F(ServiceAccountTest, RevokedTokensAndFailedLoginsKeepTheLastConfig) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  const int web3 = StartEcho("web-3", "127.0.0.4");
  StartSim({{"127.0.0.2", {web1}}}, 3600);
  ASSERT_NO_THROW(StartMarathonLb({"sse"}, /*in_env=*/true));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();

  ASSERT_EQ(SimCall("POST", "/_sim/revoke").status, 200);
  PostApps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));
  EXPECT_EQ(Logins(), 2);

  // Logins refused, tokens revoked: the update cannot read Marathon.
  ASSERT_EQ(
      SimCall("POST", "/_sim/service-account?accept_logins=0").status, 200);
  ASSERT_EQ(SimCall("POST", "/_sim/revoke").status, 200);
  PostApps({{"127.0.0.4", {web3}}});
  const std::string login_error = std::string("DC/OS login as ") + kUid +
                                  " at " + LoginUrl() +
                                  ": HTTP 401 Unauthorized";
  EXPECT_TRUE(WaitUntil([&] { return CountMessages(MlbLog(), login_error) > 0; },
                        Millis(5000)))
      << Tail(MlbLog());
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}, Millis(1000)));
  const Poco::JSON::Object::Ptr status = JsonObject(Admin("/status").body);
  EXPECT_GE(JsonInt(status, "failed_syncs", 0), 1);
  EXPECT_THAT(JsonText(status, "last_error"), HasSubstr(login_error));

  ASSERT_EQ(
      SimCall("POST", "/_sim/service-account?accept_logins=1").status, 200);
  EXPECT_TRUE(WaitForBackends({"web-3"}));
  EXPECT_GE(JsonInt(Account(), "refused_logins", 0), 1);
  ExpectNoSecretsShown();
}

// event mode: the subscription calls carry the token too (registered at
// start, removed on SIGTERM); poll mode: one update with the token.
TEST_F(ServiceAccountTest, EventAndPollModesUseTheToken) {
  const int web1 = StartEcho("web-1", "127.0.0.2");
  const int web2 = StartEcho("web-2", "127.0.0.3");
  StartSim({{"127.0.0.2", {web1}}}, 3600);
  const std::string callback =
      "http://127.0.0.1:" + std::to_string(FreePort()) + "/";
  ASSERT_NO_THROW(StartMarathonLb({"event", callback}, /*in_env=*/false));
  ASSERT_TRUE(WaitForBackends({"web-1"})) << ViaService().Describe();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return JsonInt(JsonObject(SimCall("GET", "/_sim/stats").body),
                       "callbackSubscriptions", -1) == 1;
      },
      Millis(5000)));
  EXPECT_TRUE(HasMessage(MlbLog(), "registered event callback " + callback));
  PostApps({{"127.0.0.2", {web1}}, {"127.0.0.3", {web2}}});
  EXPECT_TRUE(WaitForBackends({"web-1", "web-2"}));
  ASSERT_NO_FATAL_FAILURE(StopMarathonLb());
  EXPECT_TRUE(HasMessage(final_mlb_log_, "removed event callback " + callback))
      << Tail(final_mlb_log_);
  EXPECT_EQ(JsonInt(JsonObject(SimCall("GET", "/_sim/stats").body),
                    "callbackSubscriptions", -1),
            0);
  EXPECT_EQ(JsonInt(Account(), "rejected_requests", -1), 0);

  // poll --dry: one update, printed (no config in place: all of it), with a
  // new login.
  std::remove(cfg_.c_str());
  std::vector<std::string> argv = Args({"poll", "--dry"});
  argv.push_back("--dcos-auth-credentials");
  argv.push_back(Credentials());
  const RunResult poll = RunBounded(argv, dir_->File("poll.log"));
  EXPECT_EQ(poll.exit_code, 0) << poll.output;
  EXPECT_THAT(poll.output,
              HasSubstr(" 127.0.0.3:" + std::to_string(web2) + " "));
  EXPECT_EQ(JsonInt(Account(), "logins", -1), 2);
  EXPECT_EQ(JsonInt(Account(), "rejected_requests", -1), 0);
}

// A bad account stops start-up with exit 2 and one line naming the source
// and the field, never the key.
TEST_F(ServiceAccountTest, BadCredentialsExitTwoWithoutShowingTheKey) {
  StartSim({}, 3600);
  std::vector<std::string> argv = Args({"sse"});
  argv.push_back("--dcos-auth-credentials");
  argv.push_back(mlb::testing::CredentialsJson(kUid, keys_.private_pem,
                                               "leader.mesos/login"));
  RunResult r = RunBounded(argv, dir_->File("bad-flag.log"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output,
            "marathon-lb: --dcos-auth-credentials: field login_endpoint: "
            "expected an http:// or https:// URL\n"
            "Try 'marathon-lb --help'.\n");

  // Broken JSON (the key's text cut short) in the environment.
  setenv(kEnv, Credentials().substr(0, 300).c_str(), 1);
  r = RunBounded(Args({"sse"}), dir_->File("bad-env.log"));
  unsetenv(kEnv);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output,
            "marathon-lb: DCOS_SERVICE_ACCOUNT_CREDENTIAL: not valid JSON\n"
            "Try 'marathon-lb --help'.\n");
  EXPECT_EQ(JsonInt(Account(), "logins", -1), 0);
}

// The account in $DCOS_SERVICE_ACCOUNT_CREDENTIAL is used, and then taken
// out of marathon-lb's environment: the --command reload (like HAProxy)
// inherits everything else, but not the secret.
TEST_F(ServiceAccountTest, TheReloadCommandDoesNotInheritTheSecret) {
  StartSim({{"127.0.0.2", {31000}}}, 3600);
  const std::string env_file = dir_->File("reload.env");
  std::vector<std::string> argv = Args({"poll"});
  for (const std::string& a :
       {std::string("--skip-validation"), std::string("--command"),
        "sh -c 'env > " + env_file + "'"}) {
    argv.push_back(a);
  }
  setenv(kEnv, Credentials().c_str(), 1);
  setenv("MLB_RELOAD_ENV_MARKER", "inherited", 1);
  const RunResult r = RunBounded(argv, dir_->File("reload.log"));
  unsetenv(kEnv);
  unsetenv("MLB_RELOAD_ENV_MARKER");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(JsonInt(Account(), "logins", -1), 1);  // the secret was used
  const std::string env = ReadFile(env_file);
  EXPECT_THAT(env, HasSubstr("MLB_RELOAD_ENV_MARKER=inherited\n"));
  EXPECT_THAT(env, Not(HasSubstr(kEnv)));
  EXPECT_THAT(env,
              Not(HasSubstr(mlb::testing::PemBodyLine(keys_.private_pem))));
}

// marathon-sim's service-account mode itself --------------------------------

// An RS256 JWT {"uid": uid, "exp": exp} signed with `private_pem`, made with
// Poco directly (not marathon-lb's code).
std::string SignedJwt(const std::string& private_pem, const std::string& uid,
                      int64_t exp) {
  std::istringstream in(private_pem);
  Poco::JWT::Token token;
  token.payload().set("uid", uid);
  token.payload().set("exp", static_cast<Poco::Int64>(exp));
  return Poco::JWT::Signer(Poco::SharedPtr<Poco::Crypto::RSAKey>(
                               new Poco::Crypto::RSAKey(nullptr, &in)))
      .sign(token, "RS256");
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string LoginBody(const std::string& uid, const std::string& jwt) {
  return "{\"uid\": " + JsonString(uid) + ", \"token\": " + JsonString(jwt) +
         ", \"exp\": " + std::to_string(UnixNow() + 3600) + "}";
}

class MarathonSimServiceAccountTest : public ServiceAccountTest {
 protected:
  HttpResponse Login(const std::string& body) const {
    return SimCall("POST", "/acs/api/v1/auth/login", body);
  }
  HttpResponse Get(const std::string& path,
                   const std::string& authorization = "") const {
    HttpHeaders headers;
    if (!authorization.empty()) {
      headers.emplace_back("Authorization", authorization);
    }
    return HttpCall("GET", "127.0.0.1", sim_port_, path, "", headers,
                    Millis(5000));
  }
  // A login with a good JWT; its token.
  std::string GoodLogin() const {
    const HttpResponse r =
        Login(LoginBody(kUid, SignedJwt(keys_.private_pem, kUid,
                                        UnixNow() + 60)));
    EXPECT_EQ(r.status, 200) << r.Describe();
    return JsonText(JsonObject(r.body), "token");
  }
};

TEST_F(MarathonSimServiceAccountTest, LoginIssuesTheTokenMarathonWants) {
  StartSim({}, 3600);
  const HttpResponse refused = Get("/v2/apps");
  EXPECT_EQ(refused.status, 401) << refused.Describe();
  EXPECT_EQ(refused.Header("WWW-Authenticate"), "acsjwt");
  EXPECT_EQ(Get("/ping").status, 401);
  EXPECT_EQ(Get("/v2/apps", "token=made-up").status, 401);
  EXPECT_EQ(Get("/_sim/stats").status, 200);  // control: no token

  const HttpResponse r = Login(
      LoginBody(kUid, SignedJwt(keys_.private_pem, kUid, UnixNow() + 60)));
  ASSERT_EQ(r.status, 200) << r.Describe();
  const std::string token = JsonText(JsonObject(r.body), "token");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(r.Header("Set-Cookie"),
            "dcos-acs-auth-cookie=" + token + "; Path=/; HttpOnly");
  EXPECT_EQ(Get("/v2/apps", "token=" + token).status, 200);
  EXPECT_EQ(Get("/ping", "token=" + token).body, "pong");
  EXPECT_EQ(Get("/v2/apps", "Bearer " + token).status, 401);
  const Poco::JSON::Object::Ptr account = Account();
  EXPECT_EQ(JsonInt(account, "logins", -1), 1);
  EXPECT_EQ(JsonInt(account, "rejected_requests", -1), 4);
  EXPECT_EQ(account->getArray("issued_tokens")->size(), 1u);
}

TEST_F(MarathonSimServiceAccountTest, LoginsThatDoNotVerifyAreRefused) {
  StartSim({}, 3600);
  const mlb::testing::RsaKeyPair other = mlb::testing::MakeRsaKeyPair();
  const int64_t soon = UnixNow() + 60;
  const struct {
    std::string body;
    int status;
    std::string code;
  } kCases[] = {
      {"uid=mlb", 400, "ERR_INVALID_DATA"},
      {"{\"uid\": \"mlb-principal\"}", 400, "ERR_INVALID_DATA"},
      {LoginBody(kUid, SignedJwt(other.private_pem, kUid, soon)), 401,
       "ERR_INVALID_LOGIN_TOKEN"},
      {LoginBody("someone-else",
                 SignedJwt(keys_.private_pem, "someone-else", soon)),
       401, "ERR_INVALID_CREDENTIALS"},
      {LoginBody(kUid, SignedJwt(keys_.private_pem, "someone-else", soon)),
       401, "ERR_INVALID_LOGIN_TOKEN"},
      {LoginBody(kUid, SignedJwt(keys_.private_pem, kUid, UnixNow() - 5)), 401,
       "ERR_INVALID_LOGIN_TOKEN"},
  };
  for (const auto& c : kCases) {
    const HttpResponse r = Login(c.body);
    EXPECT_EQ(r.status, c.status) << c.body << "\n" << r.Describe();
    EXPECT_EQ(JsonText(JsonObject(r.body), "code"), c.code) << c.body;
    EXPECT_TRUE(r.HeaderValues("Set-Cookie").empty());
  }
  ASSERT_EQ(SimCall("POST", "/_sim/service-account?accept_logins=0").status,
            200);
  const HttpResponse refused = Login(
      LoginBody(kUid, SignedJwt(keys_.private_pem, kUid, soon)));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(JsonText(JsonObject(refused.body), "code"), "ERR_LOGIN_REFUSED");
  const Poco::JSON::Object::Ptr account = Account();
  EXPECT_EQ(JsonInt(account, "logins", -1), 0);
  EXPECT_EQ(JsonInt(account, "refused_logins", -1), 7);
  EXPECT_EQ(JsonText(account, "accept_logins"), "false");
}

TEST_F(MarathonSimServiceAccountTest, TokensExpireAndAreRevoked) {
  StartSim({}, 1);
  const std::string token = GoodLogin();
  EXPECT_EQ(Get("/v2/apps", "token=" + token).status, 200);
  std::this_thread::sleep_for(Millis(1100));
  EXPECT_EQ(Get("/v2/apps", "token=" + token).status, 401);

  const std::string first = GoodLogin();
  const std::string second = GoodLogin();
  const HttpResponse revoked = SimCall("POST", "/_sim/revoke");
  ASSERT_EQ(revoked.status, 200) << revoked.Describe();
  EXPECT_EQ(JsonInt(JsonObject(revoked.body), "revoked", -1), 2);
  EXPECT_EQ(Get("/v2/apps", "token=" + first).status, 401);
  EXPECT_EQ(Get("/v2/apps", "token=" + second).status, 401);
  EXPECT_EQ(Get("/v2/apps", "token=" + GoodLogin()).status, 200);
  EXPECT_EQ(JsonInt(Account(), "revocations", -1), 1);
}

TEST_F(MarathonSimServiceAccountTest, WithoutTheModeNoTokenIsNeeded) {
  const std::string state = dir_->File("plain-state.json");
  WriteFile(state, "{\"apps\": []}");
  const std::string port_file = dir_->File("plain.port");
  ScopedProcess sim({sim_binary_, "--state", state, "--port-file", port_file},
                    dir_->File("plain-sim.log"));
  sim_port_ = UrlPort("http://" + WaitForPortFile(sim, port_file));
  EXPECT_EQ(Get("/v2/apps").status, 200);
  EXPECT_EQ(Login(LoginBody(kUid, SignedJwt(keys_.private_pem, kUid,
                                            UnixNow() + 60)))
                .status,
            404);
  EXPECT_EQ(SimCall("POST", "/_sim/revoke").status, 404);
  EXPECT_EQ(SimCall("GET", "/_sim/service-account").status, 404);
}

TEST_F(MarathonSimServiceAccountTest, BadFlagsExitTwo) {
  const std::string state = dir_->File("empty.json");
  WriteFile(state, "{\"apps\": []}");
  WriteFile(dir_->File("not-a-key.pem"), "hello\n");
  const struct {
    std::vector<std::string> args;
    std::string error;
  } kCases[] = {
      {{"--token-ttl-s", "5"}, "--token-ttl-s needs --service-account"},
      {{"--service-account", "mlb"},
       "option --service-account needs UID:PUBLIC_KEY_PEM_FILE, got 'mlb'"},
      {{"--service-account", "mlb:" + dir_->File("not-a-key.pem")},
       "option --service-account: " + dir_->File("not-a-key.pem") +
           " is not a PEM RSA public key"},
      {{"--service-account", "mlb:" + dir_->File("account.pub.pem"),
        "--auth", "u:p"},
       "--service-account and --auth exclude each other"},
      {{"--service-account", "mlb:" + dir_->File("account.pub.pem"),
        "--token-ttl-s", "0"},
       "option --token-ttl-s needs a number of seconds from 1 to 9999999, "
       "got '0'"},
  };
  int n = 0;
  for (const auto& c : kCases) {
    std::vector<std::string> argv = {sim_binary_, "--state", state};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const RunResult r = RunBounded(
        argv, dir_->File("bad-sim-" + std::to_string(++n) + ".log"));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr("marathon-sim: " + c.error)) << r.output;
  }
}

}  // namespace
}  // namespace mlb::integration
