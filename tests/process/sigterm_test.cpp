// SIGTERM under load loses no accepted request. "Accepted" (docs/operations.md, Signals): berthd
// had begun to read the request when the stop began and its whole header arrived within 1 s
// (session::header_grace; this test's clients send a request in one write). Such a
// request is answered completely (with Connection: close). A request berthd had not begun to
// read fails on the client's side before any byte of an answer (refused, EOF or reset), and
// it was never executed, so it may be retried elsewhere. Only a stop drops such a request, and
// a stop closes the listener first: after a drop, a new connection is refused, or (sitting in
// the backlog of the listener as it closed) dropped too, never answered. A request cut after its
// answer began, or dropped while berthd still answers new connections, is a failure; berthd
// must then exit 0.
#include "shop/berthd_child.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/raw_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace berth::test {
namespace {

using outcome = read_outcome;
using client = raw_client;


std::string get(const std::string& target) { return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }

bool closes(const std::string& response) {
    return response.find("\r\nConnection: close\r\n") != std::string::npos ||
           response.find("\r\nconnection: close\r\n") != std::string::npos;
}

bool exited_zero(const berthd_child& b) {
    return WIFEXITED(b.wait_status()) && WEXITSTATUS(b.wait_status()) == 0;
}

TEST(Sigterm, EveryRequestAcceptedUnderLoadIsAnsweredAndBerthdExitsZero) {
    temp_dir dir;
    berthd_child b(dir.path(), nlohmann::json::object());
    b.start();
    const auto port = b.port("products");

    std::mutex m;
    std::condition_variable progress;
    std::atomic<int> answered{0}, not_accepted{0}, cut{0};
    std::atomic<int> dropped_while_listening{0};  // a drop followed by an answer on a new connection
    std::vector<std::string> cuts;
    std::optional<std::chrono::steady_clock::time_point> refused_at;  // the first refused connect
    // Each client sends keep-alive requests, a new connection when one closes, until the
    // listener refuses it (berthd has stopped accepting).
    auto run = [&] {
        bool dropped = false;  // a request went unanswered: berthd must not answer a new connection now
        while (true) {
            client c(port);
            if (!c.connected()) {
                std::lock_guard lock(m);
                if (!refused_at) refused_at = std::chrono::steady_clock::now();
                return;
            }
            for (;;) {
                std::string answer;
                auto o = c.send(get("/v1/products")) ? c.read_response(answer) : outcome::not_accepted;
                if (o == outcome::answered) {
                    if (dropped) {
                        ++dropped_while_listening;
                        return;
                    }
                    ++answered;
                    progress.notify_all();
                    if (closes(answer)) break;
                    continue;
                }
                if (o == outcome::cut) {
                    ++cut;
                    std::lock_guard lock(m);
                    cuts.push_back(answer);
                } else {
                    ++not_accepted;
                    dropped = true;
                }
                break;
            }
        }
    };
    std::vector<std::thread> clients;
    for (int i = 0; i < 8; ++i) clients.emplace_back(run);
    {
        std::unique_lock lock(m);  // load is running: a few hundred answers have come back
        ASSERT_TRUE(progress.wait_for(lock, std::chrono::seconds(30), [&] { return answered >= 400; }));
    }
    const int before = answered;  // for the summary line only
    const auto signalled = std::chrono::steady_clock::now();
    b.stop();  // SIGTERM, then wait for the exit
    const auto exited = std::chrono::steady_clock::now();
    for (auto& t : clients) t.join();

    EXPECT_TRUE(exited_zero(b)) << "wait status " << b.wait_status();
    EXPECT_EQ(cut, 0) << (cuts.empty() ? "" : cuts.front());
    EXPECT_EQ(dropped_while_listening, 0) << "a request went unanswered while berthd still accepted connections";
    std::cout << "answered " << answered << " (" << answered - before << " after the signal was sent), not accepted "
              << not_accepted << ", cut " << cut << "; listener closed after "
              << (refused_at ? std::chrono::duration_cast<std::chrono::milliseconds>(*refused_at - signalled).count() : -1)
              << " ms, exit after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(exited - signalled).count() << " ms\n";
}

// A request whose header berthd has read while its body is still on the way when SIGTERM comes
// was accepted: berthd reads the rest and answers it.
TEST(Sigterm, ARequestWhoseBodyArrivesAfterTheSignalIsAnswered) {
    temp_dir dir;
    berthd_child b(dir.path(), nlohmann::json::object());
    b.start();
    const auto port = b.port("users");
    const std::string body = R"({"email":"late@example.com","password":"a late password","name":"Late"})";
    client c(port);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
    // berthd has read the header once it asks for the body.
    ASSERT_TRUE(c.read_interim());
    ASSERT_EQ(::kill(b.pid(), SIGTERM), 0);
    // Its stop has begun once the listener refuses connections; idle ones are being closed now.
    ASSERT_TRUE(eventually([&] { return !client(port).connected(); }, std::chrono::seconds(20)));
    ASSERT_TRUE(c.send(body));
    std::string answer;
    ASSERT_EQ(c.read_response(answer), outcome::answered) << answer;
    EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
    EXPECT_TRUE(closes(answer)) << answer;
    b.stop();
    EXPECT_TRUE(exited_zero(b)) << "wait status " << b.wait_status();
}

// SQLite removes a database's -wal file when its last connection closes cleanly: none is left
// once berthd has exited on SIGTERM, even after writes.
TEST(Sigterm, EveryDatabaseIsClosedAtExit) {
    temp_dir dir;
    berthd_child b(dir.path(), nlohmann::json::object());
    b.start();
    auto r = post_json(b.port("users"), "/v1/users",
                       {{"email", "closing@example.com"}, {"password", "a closing password"}, {"name", "C"}});
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_TRUE(std::filesystem::exists(b.db("users").string() + "-wal"));
    b.stop();
    EXPECT_TRUE(exited_zero(b)) << "wait status " << b.wait_status();
    for (auto name : {"users", "categories", "products", "payment"}) {
        EXPECT_TRUE(std::filesystem::exists(b.db(name))) << name;
        EXPECT_FALSE(std::filesystem::exists(b.db(name).string() + "-wal")) << name;
    }
}

}  // namespace
}  // namespace berth::test
