// The admin plane is closed: its token, the Host check, JSON-only mutations, the audit trail,
// and which library files a reload may name.
#include "support/file_mode.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class AdminPlane : public ::testing::Test {
protected:
    void SetUp() override { start(); }
    void start(nlohmann::json top = nlohmann::json::object()) {
        host_.reset();
        library_ = files_.path() / "probe.so";
        fs::copy_file(test_plugin("swap_probe_v1"), library_, fs::copy_options::overwrite_existing);
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"probe", library_}}, top);
    }
    reply reload(const fs::path& library) {
        return host_->admin("POST", "/modules/probe/reload", nlohmann::json({{"library", library.string()}}).dump());
    }
    reply as(const std::string& method, const std::string& target, header_list headers, const std::string& body = {}) {
        return http_request(host_->admin_port(), method, target, body, headers);
    }
    std::string bearer() { return "Bearer " + host_->admin_token(); }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

TEST_F(AdminPlane, TheTokenIsCreatedPrivateAtFirstStart) {
    auto file = host_->data_dir() / "admin.token";
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(host_->admin_token().size(), 64u);  // 32 random bytes as hex
    EXPECT_EQ(mode_of(host_->data_dir()), 0700u);
}

TEST_F(AdminPlane, EveryCallButHealthzNeedsTheToken) {
    EXPECT_EQ(as("GET", "/healthz", {}).status, 200);
    EXPECT_EQ(as("HEAD", "/healthz", {}).status, 200);  // as on a module's port
    EXPECT_EQ(as("POST", "/healthz", {{"Content-Type", "application/json"}}).status, 401);
    for (auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/modules"}, {"GET", "/modules/probe"}, {"POST", "/modules/probe/reload"},
             {"POST", "/modules/probe/rollback"}, {"POST", "/tokens"}, {"GET", "/no/such/route"}}) {
        SCOPED_TRACE(method + " " + target);
        auto none = as(method, target, {{"Content-Type", "application/json"}});
        EXPECT_EQ(none.status, 401);
        EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer realm=\"berth-admin\"");
        auto wrong = as(method, target, {{"Authorization", "Bearer " + std::string(64, '0')},
                                         {"Content-Type", "application/json"}});
        EXPECT_EQ(wrong.status, 401);
    }
    EXPECT_EQ(as("GET", "/modules", {{"Authorization", bearer()}}).status, 200);
}

TEST_F(AdminPlane, AForeignHostIsMisdirected) {
    EXPECT_EQ(as("GET", "/modules", {{"Authorization", bearer()}, {"Host", "evil.example"}}).status, 421);
    EXPECT_EQ(as("GET", "/modules", {{"Authorization", bearer()}, {"Host", "localhost:8080"}}).status, 200);
    EXPECT_EQ(as("GET", "/modules", {{"Authorization", bearer()}, {"Host", "[::1]:8080"}}).status, 200);
    auto twice = raw_exchange(host_->admin_port(), "GET /modules HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n"
                                                   "Authorization: " + bearer() + "\r\n\r\n");
    EXPECT_EQ(twice.rfind("HTTP/1.1 400", 0), 0u) << twice.substr(0, 200);
    // A Host that is no host name at all is no loophole.
    EXPECT_EQ(as("POST", "/modules/probe/reload",
                 {{"Authorization", bearer()}, {"Host", "[evil"}, {"Content-Type", "application/json"}})
                  .status,
              400);
    auto hostless = raw_exchange(host_->admin_port(), "GET /modules HTTP/1.0\r\nAuthorization: " + bearer() + "\r\n\r\n");
    EXPECT_EQ(hostless.rfind("HTTP/1.0 400", 0), 0u) << hostless.substr(0, 200);
    start({{"admin", {{"allowed_hosts", {"ops.internal"}}}}});
    EXPECT_EQ(as("GET", "/modules", {{"Authorization", bearer()}, {"Host", "ops.internal:8080"}}).status, 200);
    EXPECT_EQ(as("GET", "/modules", {{"Authorization", bearer()}, {"Host", "evil.example"}}).status, 421);
}

TEST_F(AdminPlane, MutationsTakeOnlyJson) {
    for (std::string type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
        SCOPED_TRACE(type);
        header_list h{{"Authorization", bearer()}};
        if (!type.empty()) h.emplace_back("Content-Type", type);
        EXPECT_EQ(as("POST", "/modules/probe/reload", h).status, 415);
    }
    EXPECT_EQ(host_->admin("POST", "/modules/probe/reload").status, 200);
}

TEST_F(AdminPlane, MutatingCallsAreAuditedWithoutSecrets) {
    ASSERT_EQ(host_->admin("POST", "/modules/probe/reload").status, 200);
    ASSERT_EQ(reload("/etc/passwd").status, 403);
    auto minted = host_->admin("POST", "/tokens", R"({"subject": "ops", "scope": "catalog:write"})");
    ASSERT_EQ(minted.status, 201) << minted.body;
    auto file = host_->data_dir() / "audit.log";
    EXPECT_EQ(mode_of(file), 0600u);
    std::vector<nlohmann::json> lines;
    std::istringstream in(read_file(file));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["call"], "POST /modules/probe/reload");
    EXPECT_EQ(lines[0]["status"], 200);
    EXPECT_EQ(lines[0]["peer"], "127.0.0.1");
    EXPECT_EQ(lines[1]["status"], 403);
    EXPECT_EQ(lines[2]["call"], "POST /tokens");
    const std::string all = read_file(file);
    EXPECT_EQ(all.find(host_->admin_token()), std::string::npos);
    EXPECT_EQ(all.find(minted.json()["token"].get<std::string>()), std::string::npos);
    for (auto& l : lines) EXPECT_FALSE(l["request_id"].get<std::string>().empty());
}

TEST_F(AdminPlane, AReloadNamesOnlyPrivateRegularFilesInsideTheAllowedDirectories) {
    auto fifo = files_.path() / "fifo.so";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto writable = files_.path() / "writable.so";
    fs::copy_file(test_plugin("swap_probe_v2"), writable);
    fs::permissions(writable, fs::perms::group_write, fs::perm_options::add);
    auto link = files_.path() / "link.so";
    fs::create_symlink(test_plugin("swap_probe_v2"), link);  // resolves outside the allowed directory
    struct refusal {
        fs::path file;
        int status;
        std::string step, says;
    };
    for (auto& c : std::vector<refusal>{
             {test_plugin("swap_probe_v2"), 403, "policy", "outside the directories"},
             {"/dev/zero", 403, "policy", "outside the directories"},
             {link, 403, "policy", "outside the directories"},
             {writable, 403, "policy", "writable by group or others"},
             {fifo, 422, "read", "not a regular file"},
             {files_.path() / "absent.so", 422, "read", "cannot read"}}) {
        SCOPED_TRACE(c.file.string());
        auto r = reload(c.file);
        ASSERT_EQ(r.status, c.status) << r.body;
        EXPECT_EQ(r.json()["step"], c.step);
        EXPECT_NE(r.json()["reason"].get<std::string>().find(c.says), std::string::npos) << r.body;
    }
    // Nothing blocked the management thread: a good file in the directory still swaps in.
    auto good = files_.path() / "v2.so";
    fs::copy_file(test_plugin("swap_probe_v2"), good);
    EXPECT_EQ(reload(good).status, 200);
    EXPECT_EQ(http_request(host_->port("probe"), "GET", "/v1/version").json()["version"], "2.0.0");
}

TEST_F(AdminPlane, ALibraryOverTheSizeCapIsRefused) {
    start({{"deploy", {{"max_library_bytes", 4096}}}});
    auto s = host_->admin("GET", "/modules/probe").json();
    EXPECT_EQ(s["state"], "failed");
    EXPECT_EQ(s["last_error"]["step"], "read");
    EXPECT_NE(s["last_error"]["message"].get<std::string>().find("deploy.max_library_bytes"), std::string::npos);
}

TEST_F(AdminPlane, OperatorTokensAreMintedWithTheScopeAsked) {
    auto r = host_->admin("POST", "/tokens", R"({"subject": "ops-alice", "scope": "catalog:write", "ttl_s": 600})");
    ASSERT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    EXPECT_EQ(j["token_type"], "Bearer");
    EXPECT_EQ(j["subject"], "ops-alice");
    EXPECT_EQ(j["scope"], "catalog:write");
    const std::string token = j["token"];
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
    for (auto* bad : {R"({"scope": "x"})", R"({"subject": "a b", "scope": "x"})", R"({"subject": "a", "scope": "x\"y"})",
                      R"({"subject": "a", "scope": "x  y"})", R"({"subject": "a", "scope": "x", "ttl_s": 0})"}) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(host_->admin("POST", "/tokens", bad).status, 400);
    }
}

TEST_F(AdminPlane, AMintedTokenOpensTheRoutesOfItsScopeOnly) {
    test_host shop({{"categories", shipped_plugin("categories")}});
    auto mint = [&](const std::string& scope) {
        auto r = shop.admin("POST", "/tokens", nlohmann::json({{"subject", "ops"}, {"scope", scope}}).dump());
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()["token"].get<std::string>();
    };
    auto create = [&](const std::string& token) {
        return http_request(shop.port("categories"), "POST", "/v1/categories", R"({"name": "Lamps"})",
                            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
    };
    EXPECT_EQ(create(mint("user")).status, 403);
    EXPECT_EQ(create(mint("catalog:write")).status, 201);
}

}  // namespace
}  // namespace berth::test
