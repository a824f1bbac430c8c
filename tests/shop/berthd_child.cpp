#include "berthd_child.hpp"

#include "support/free_port.hpp"
#include "support/placement.hpp"
#include "support/test_host.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace berth::test {

berthd_child::berthd_child(const std::filesystem::path& dir, const nlohmann::json& settings) : dir_(dir) {
    std::filesystem::create_directories(dir_ / "plugins");
    for (auto name : {"admin", "users", "categories", "products", "payment"}) ports_[name] = free_port();
    nlohmann::json plugins = nlohmann::json::object();
    for (auto name : {"users", "categories", "products", "payment"}) {
        auto deployed = dir_ / "plugins" / (std::string(name) + ".so");
        std::filesystem::copy_file(shipped_plugin(name), deployed, std::filesystem::copy_options::overwrite_existing);
        plugins[name] = {{"library", deployed.string()},
                         {"address", "127.0.0.1"},
                         {"port", ports_[name]},
                         {"settings", settings.value(name, nlohmann::json::object())}};
        place_module(plugins[name]);  // BERTH_TEST_ISOLATION (support/placement.hpp)
    }
    nlohmann::json config = {{"admin", {{"address", "127.0.0.1"}, {"port", ports_["admin"]}}},
                             {"data_dir", data_dir().string()},
                             {"threads", {{"io", 1}, {"workers", 4}}},
                             {"contracts", {{"check_responses", true}}},
                             {"shutdown_grace_ms", 2000},
                             {"auth", {{"issuer", "berth-test"}, {"token_ttl_s", 600}}},
                             {"modules", plugins}};
    std::ofstream(dir_ / "berth.json") << config.dump(2);
}

berthd_child::~berthd_child() {
    if (running()) kill9();
}

void berthd_child::start() {
    if (running()) throw std::logic_error("berthd is running");
    const std::string config = (dir_ / "berth.json").string(), log = (dir_ / "berthd.log").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execl(BERTHD, BERTHD, "--config", config.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("berthd exited at start; see " + log);
        }
        bool serving = false;
        try {
            auto r = http_request(ports_["admin"], "GET", "/healthz");
            serving = r.status == 200 && r.json().value("serving", 0) == 4;
        } catch (const std::exception&) {  // not listening yet
        }
        if (serving) return check_placement();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill9();
    throw std::runtime_error("berthd did not serve all four modules within 20 s; see " + log);
}

void berthd_child::check_placement() {
    if (test_isolation() != "process") return;
    nlohmann::json config;
    std::ifstream(dir_ / "berth.json") >> config;
    std::ifstream in(data_dir() / "admin.token");
    std::string admin;
    in >> admin;
    auto r = http_request(ports_.at("admin"), "GET", "/modules", {}, {{"Authorization", "Bearer " + admin}});
    try {
        if (r.status != 200) throw std::runtime_error("GET /modules answered " + std::to_string(r.status));
        berth::test::check_placement(config["modules"], r.json(), pid_);
    } catch (...) {
        kill9();
        throw;
    }
}

std::string berthd_child::mint_token(const std::string& subject, const std::string& scope) const {
    std::ifstream in(data_dir() / "admin.token");
    std::string admin;
    in >> admin;
    auto r = http_request(ports_.at("admin"), "POST", "/tokens",
                          nlohmann::json{{"subject", subject}, {"scope", scope}, {"ttl_s", 3600}}.dump(),
                          {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
    if (r.status != 201) throw std::runtime_error("POST /tokens failed: " + r.body);
    return r.json()["token"];
}

void berthd_child::kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    reap();
}

void berthd_child::stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    reap();
}

void berthd_child::reap() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    status_ = status;
    pid_ = -1;
}

}  // namespace berth::test
