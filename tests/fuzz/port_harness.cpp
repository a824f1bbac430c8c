#include "port_harness.hpp"

#include "fuzz_key.hpp"

#include <berth/host/config.hpp>
#include <berth/host/runtime.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace berth::fuzz {

namespace {

namespace fs = std::filesystem;

// One slow or stuck answer must not stall the fuzzer; libFuzzer's own -timeout is longer.
constexpr int answer_deadline_ms = 5000;
// BERTH_FUZZ_SHOW=1: print what the host answered (to see what a seed or a crasher reaches).
const bool show_answers = std::getenv("BERTH_FUZZ_SHOW") != nullptr;
// BERTH_FUZZ_FAIL_ON_500=1: a 500 is a finding too (an exception escaped to the edge). The
// fuzz build of contract_probe has no route that answers 500 on purpose.
const bool fail_on_500 = std::getenv("BERTH_FUZZ_FAIL_ON_500") != nullptr;

// Walks the pipelined answers by Content-Length; true if one of them is a 500.
bool has_500(const std::string& answers) {
    std::size_t at = 0;
    while (at < answers.size()) {
        if (answers.compare(at, 13, "HTTP/1.1 500 ") == 0) return true;
        auto end = answers.find("\r\n\r\n", at);
        if (end == std::string::npos) return false;
        if (answers.compare(at, 10, "HTTP/1.1 1") == 0) {  // 100 Continue: no body, a final answer follows
            at = end + 4;
            continue;
        }
        auto head = answers.substr(at, end - at);
        for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto cl = head.find("\r\ncontent-length: ");
        if (cl == std::string::npos) return false;  // no length (chunked): stop walking
        at = end + 4 + std::strtoull(head.c_str() + cl + 18, nullptr, 10);
    }
    return false;
}

struct host {
    fs::path dir;
    std::unique_ptr<berth::host::runtime> rt;
};

host* the_host = nullptr;

void stop_host() {
    if (!the_host) return;
    the_host->rt.reset();  // stops, then joins every host thread
    std::error_code ec;
    fs::remove_all(the_host->dir, ec);
}

host& start_host() {
    if (the_host) return *the_host;
    std::signal(SIGPIPE, SIG_IGN);
    // The access log per request would drown the fuzzer's own output.
    spdlog::set_level(spdlog::level::err);
    std::string tpl = (fs::temp_directory_path() / "berth-fuzz-XXXXXX").string();
    if (!mkdtemp(tpl.data())) throw std::runtime_error("mkdtemp failed");
    // OpenSSL (cpp-jwt's HMAC) loads its config and providers at first use. Done here, on this
    // thread: when a host worker does it, LeakSanitizer reports that thread's error state.
    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
    auto* h = new host{tpl, nullptr};
    {
        std::ofstream key(h->dir / "token.key");
        key << token_key_hex << "\n";
    }
    fs::permissions(h->dir / "token.key", fs::perms::owner_read | fs::perms::owner_write);
    // The admin bearer token (issue 7) the admin seeds send; a host without admin auth ignores it.
    {
        std::ofstream admin(h->dir / "admin.token");
        admin << admin_token_hex << "\n";
    }
    fs::permissions(h->dir / "admin.token", fs::perms::owner_read | fs::perms::owner_write);
    // Short timeouts: a request the fuzzer leaves half-sent is over at once (we half-close).
    nlohmann::json limits = {{"read_timeout_ms", 2000}, {"write_timeout_ms", 2000}, {"handler_timeout_ms", 3000}};
    nlohmann::json cfg = {
        {"admin", {{"address", "127.0.0.1"}, {"port", 0}}},
        {"data_dir", h->dir.string()},
        {"threads", {{"io", 2}, {"workers", 4}}},
        {"contracts", {{"check_responses", true}}},
        {"shutdown_grace_ms", 500},
        {"auth", {{"secret_file", (h->dir / "token.key").string()}, {"issuer", token_issuer}}},
        {"limits", limits},
        {"modules",
         {{"contract_probe", {{"library", BERTH_FUZZ_PROBE_SO}, {"port", 0}, {"watch", false}}},
          {"users",
           {{"library", BERTH_FUZZ_USERS_SO},
            {"port", 0},
            {"watch", false},
            {"settings", {{"admins", {"admin@shop.example"}}}}}}}}};
    auto parsed = berth::host::parse_config(cfg.dump(), h->dir);
    if (!parsed.value) {
        for (auto& e : parsed.errors) std::fprintf(stderr, "fuzz config: %s: %s\n", e.pointer.c_str(), e.message.c_str());
        std::abort();
    }
    h->rt = std::make_unique<berth::host::runtime>(*parsed.value);
    h->rt->start();
    for (const char* name : {"contract_probe", "users"}) {
        if (!h->rt->module_port(name)) {
            std::fprintf(stderr, "fuzz host: plugin %s did not start\n", name);
            std::abort();
        }
    }
    for (auto& m : h->rt->modules())
        if (m.state != berth::host::module_state::serving) {
            std::fprintf(stderr, "fuzz host: module %s is %s: %s\n", m.name.c_str(), to_string(m.state),
                         m.last_error ? m.last_error->message.c_str() : "");
            std::abort();
        }
    the_host = h;
    // Registered after the host's statics (spdlog, asio, OpenSSL) exist, so it runs before they go.
    std::atexit(stop_host);
    return *h;
}

}  // namespace

std::uint16_t admin_port() { return start_host().rt->admin_port(); }
std::uint16_t probe_port() { return *start_host().rt->module_port("contract_probe"); }
std::uint16_t users_port() { return *start_host().rt->module_port("users"); }

std::size_t exchange(std::uint16_t port, const std::uint8_t* data, std::size_t size) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return 0;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(answer_deadline_ms);
    auto left_ms = [&] {
        auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        return d.count() > 0 ? static_cast<int>(d.count()) : 0;
    };
    std::size_t answered = 0;
    std::string answers;  // kept only for the 500 check
    char buf[16384];
    // Write and read together: the host may answer (and close) before it has read everything.
    std::size_t sent = 0;
    bool write_open = true;
    while (true) {
        if (write_open && sent == size) {
            ::shutdown(fd, SHUT_WR);
            write_open = false;
        }
        pollfd p{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
        int wait = left_ms();
        if (wait == 0 || ::poll(&p, 1, wait) <= 0) break;
        if (p.revents & POLLIN) {
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;  // closed (or reset): the exchange is over
            answered += static_cast<std::size_t>(n);
            if (show_answers) std::fwrite(buf, 1, static_cast<std::size_t>(n), stderr);
            if (fail_on_500 && answers.size() < (1u << 20)) answers.append(buf, static_cast<std::size_t>(n));
        } else if (write_open && (p.revents & POLLOUT)) {
            auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                write_open = false;  // the host closed its side; read what it said
                continue;
            }
            sent += static_cast<std::size_t>(n);
        } else if (p.revents & (POLLERR | POLLHUP)) {
            break;
        }
    }
    ::close(fd);
    if (fail_on_500 && has_500(answers)) {
        std::fprintf(stderr, "BERTH_FUZZ_FAIL_ON_500: the host answered 500:\n%.*s\n", 600, answers.c_str());
        std::abort();
    }
    return answered;
}

}  // namespace berth::fuzz
