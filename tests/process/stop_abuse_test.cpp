// A client that never finishes its request header cannot hold a module's removal or berthd's stop
// to its full deadline (session::header_grace), and a SIGTERM during a SIGHUP reload is taken at
// once: the plan ends before its next step.
#include "shop/berthd_child.hpp"
#include "support/eventually.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/raw_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace berth::test {
namespace {


const std::string half_header = "GET /v1/greetings HTTP/1.1\r\nHost: a\r\n";  // no blank line

TEST(StopAbuse, AHalfSentHeaderDoesNotHoldAModulesRemovalToItsDrainDeadline) {
    // The drain budget is well above session::header_grace (1 s): a removal held to it says
    // "cut off at its drain deadline"; one that closed the half-sent header says "drained".
    test_host host({{"greeter", shipped_plugin("greeter")}}, {{"drain_timeout_ms", 5000}});
    raw_client slow(host.port("greeter"));
    ASSERT_TRUE(slow.connected());
    ASSERT_TRUE(slow.send(half_header));

    auto r = host.admin("DELETE", "/modules/greeter", "{}");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("drained"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("cut off"), std::string::npos) << r.body;
    // The half-sent request was never served: the connection closes with no answer.
    EXPECT_EQ(slow.read_to_close(), "");
}

TEST(StopAbuse, ARequestWithACompleteHeaderStillGetsTheDrainBudget) {
    // A request whose header is complete (its body on the way) is served when its body comes,
    // after the header grace has closed the headless connections.
    test_host host({{"greeter", shipped_plugin("greeter")}}, {{"drain_timeout_ms", 20000}});
    raw_client headless(host.port("greeter"));
    raw_client started(host.port("greeter"));
    ASSERT_TRUE(headless.connected() && started.connected());
    ASSERT_TRUE(headless.send(half_header));
    const std::string body = R"({"name":"late"})";
    ASSERT_TRUE(started.send("POST /v1/greetings HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                             "Expect: 100-continue\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n"));
    ASSERT_TRUE(started.read_interim());

    std::thread remover([&] { host.admin("DELETE", "/modules/greeter", "{}"); });
    // The headless connection is closed (after the grace) while the started one is still open.
    EXPECT_EQ(headless.read_to_close(), "");
    ASSERT_TRUE(started.send(body));
    const auto answer = started.read_to_close();
    remover.join();
    EXPECT_EQ(answer.rfind("HTTP/1.1 ", 0), 0u) << answer;
    EXPECT_EQ(answer.find("HTTP/1.1 503"), std::string::npos) << answer;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(StopAbuse, ASigtermDuringASighupReloadEndsThePlanBeforeItsNextStep) {
    temp_dir dir;
    berthd_child b(dir.path(), nlohmann::json::object());
    b.start();
    // A request on users whose header is read and whose body never comes: removing users waits
    // for it (a complete header gets the drain budget, 30 s by default).
    raw_client held(b.port("users"));
    ASSERT_TRUE(held.connected());
    ASSERT_TRUE(held.send("POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Expect: 100-continue\r\nContent-Length: 64\r\n\r\n"));
    ASSERT_TRUE(held.read_interim());

    // The new file: step 1 removes users, step 2 re-ports products.
    auto config = nlohmann::json::parse(read_file(dir.path() / "berth.json"));
    config["modules"].erase("users");
    config["modules"]["products"]["port"] = free_port();
    std::ofstream(dir.path() / "berth.json") << config.dump(2);

    ASSERT_EQ(::kill(b.pid(), SIGHUP), 0);
    // Step 1 runs once users' listener refuses connections.
    ASSERT_TRUE(eventually([&] { return !raw_client(b.port("users")).connected(); }, std::chrono::seconds(20)));
    b.stop();  // SIGTERM, then wait for the exit

    EXPECT_TRUE(WIFEXITED(b.wait_status()) && WEXITSTATUS(b.wait_status()) == 0) << "wait status " << b.wait_status();
    const auto log = read_file(dir.path() / "berthd.log");
    EXPECT_NE(log.find("the host began to stop: 1 of 2 steps were applied"), std::string::npos) << log;
}

TEST(StopAbuse, ASighupDuringAnApiReloadIsLoggedAsNotApplied) {
    temp_dir dir;
    berthd_child b(dir.path(), nlohmann::json::object());
    b.start();
    // Holds the API reload in its first step (removing users) until the test sends the body.
    raw_client held(b.port("users"));
    ASSERT_TRUE(held.connected());
    const std::string body = R"({"email":"held@example.com","password":"a held password","name":"Held"})";
    ASSERT_TRUE(held.send("POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Expect: 100-continue\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n"));
    ASSERT_TRUE(held.read_interim());
    auto config = nlohmann::json::parse(read_file(dir.path() / "berth.json"));
    config["modules"].erase("users");
    std::ofstream(dir.path() / "berth.json") << config.dump(2);

    const std::string token = read_file(b.data_dir() / "admin.token").substr(0, 64);
    std::thread api([&] {
        try {
            http_request(b.port("admin"), "POST", "/config/reload", "{}",
                         {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
        } catch (const std::exception&) {  // its answer is not what this test looks at
        }
    });
    ASSERT_TRUE(eventually([&] { return !raw_client(b.port("users")).connected(); }, std::chrono::seconds(20)));
    ASSERT_EQ(::kill(b.pid(), SIGHUP), 0);
    const bool warned = eventually(
        [&] { return read_file(dir.path() / "berthd.log").find("SIGHUP: not applied") != std::string::npos; },
        std::chrono::seconds(20));
    ASSERT_TRUE(held.send(body));  // the API reload can finish now
    api.join();
    b.stop();
    EXPECT_TRUE(warned) << read_file(dir.path() / "berthd.log");
}

}  // namespace
}  // namespace berth::test
