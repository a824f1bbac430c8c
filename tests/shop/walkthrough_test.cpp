// docs/shop.md's walkthrough ("A purchase, with curl") run as written: its ```sh blocks, in
// order, in one bash, against a fresh shop, each `# -> NNN` checked against the last status
// its command got. The docs and this test cannot drift apart.
#include "support/shop.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace berth::test {
namespace {

const char* const walkthrough_heading = "## A purchase, with curl";
constexpr int curl_max_time_s = 10;     // per request: a stuck answer fails its line, not the suite
constexpr int script_max_time_s = 150;  // the whole run, under ctest's timeout for the suite

struct doc_line {
    int number;
    std::string text;
};

struct command {
    int line = 0;                // where it starts in the document
    std::string text;            // continuation lines kept, joined by newlines
    std::optional<int> expect;   // the status its `# -> NNN` states
    int expect_line = 0;
};

std::vector<doc_line> read_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<doc_line> out;
    std::string s;
    for (int n = 1; std::getline(in, s); ++n) out.push_back({n, s});
    return out;
}

// The lines inside the ```sh fences of the section under `heading` (up to the next `## `).
std::vector<doc_line> sh_lines(const std::vector<doc_line>& doc, const std::string& heading) {
    std::vector<doc_line> out;
    bool in_section = false, in_sh = false, found = false;
    for (const auto& l : doc) {
        const bool fence = l.text.rfind("```", 0) == 0;
        if (!in_sh && !fence && l.text.rfind("## ", 0) == 0) {
            in_section = l.text == heading;
            found = found || in_section;
            continue;
        }
        if (!in_section) continue;
        if (fence) {
            in_sh = !in_sh && l.text == "```sh";
            continue;
        }
        if (in_sh) out.push_back(l);
    }
    if (!found) throw std::runtime_error("no section \"" + heading + "\"");
    return out;
}

std::string where(int line) { return "docs/shop.md:" + std::to_string(line); }

// Commands, one per line or continued with a trailing `\`; `# -> NNN` after a command states
// the status it answers; other comments and blank lines are prose.
std::vector<command> parse(const std::vector<doc_line>& lines) {
    static const std::regex expectation(R"(^\s*#\s*->\s*([0-9]{3})\b.*)");
    std::vector<command> out;
    bool continuing = false;
    for (const auto& l : lines) {
        if (continuing) {
            out.back().text += "\n" + l.text;
            continuing = !l.text.empty() && l.text.back() == '\\';
            continue;
        }
        const auto first = l.text.find_first_not_of(" \t");
        if (first == std::string::npos) continue;
        std::smatch m;
        if (std::regex_match(l.text, m, expectation)) {
            if (out.empty()) throw std::runtime_error(where(l.number) + ": `# ->` before any command");
            if (out.back().expect)
                throw std::runtime_error(where(l.number) + ": a second `# ->` for the command at " + where(out.back().line));
            out.back().expect = std::stoi(m[1]);
            out.back().expect_line = l.number;
            continue;
        }
        if (l.text[first] == '#') continue;
        out.push_back({l.number, l.text, std::nullopt, 0});
        continuing = l.text.back() == '\\';
    }
    if (continuing) throw std::runtime_error(where(out.back().line) + ": continued past the end of its block");
    for (const auto& c : out)
        if (c.text.find(" -D ") != std::string::npos || c.text.find("--dump-header") != std::string::npos)
            throw std::runtime_error(where(c.line) + ": the harness records statuses with curl -D; show headers with -i");
    return out;
}

// The document's addresses and files, as this run has them.
struct target {
    std::map<std::string, std::uint16_t> ports;  // "8081" -> the real port
    std::string admin_token_file;
};

std::string rewrite(std::string text, const target& t) {
    static const std::regex address(R"(localhost:([0-9]+))");
    std::string out;
    auto begin = std::sregex_iterator(text.begin(), text.end(), address);
    std::size_t at = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const auto port = (*it)[1].str();
        if (!t.ports.count(port)) throw std::runtime_error("the walkthrough names localhost:" + port + ", not a shop port");
        out += text.substr(at, it->position() - at) + "localhost:" + std::to_string(t.ports.at(port));
        at = it->position() + it->length();
    }
    out += text.substr(at);
    for (std::size_t p; (p = out.find("var/admin.token")) != std::string::npos;)
        out.replace(p, std::string("var/admin.token").size(), t.admin_token_file);
    return out;
}

std::string single_quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// curl is a function that adds a time limit and appends each answer's status to
// status.<command number>; __wt_check compares the last one with the documented status.
std::string prelude(const std::filesystem::path& dir, int max_time_s) {
    std::ostringstream s;
    s << "__wt_dir=" << single_quoted(dir.string()) << "\n"
      << "cd \"$__wt_dir\" || exit 90\n"
      << "__wt_n=0\n"
      << "curl() {\n"
      << "  local h=\"$__wt_dir/headers.$BASHPID\" rc code\n"
      << "  : > \"$h\"\n"
      << "  command curl --max-time " << max_time_s << " \"$@\" -D \"$h\"\n"
      << "  rc=$?\n"
      << "  code=$(sed -n 's|^HTTP/[0-9.]* \\([0-9][0-9][0-9]\\).*|\\1|p' \"$h\" | tail -n 1)\n"
      << "  [ -n \"$code\" ] || code=\"no answer (curl exit $rc)\"\n"
      << "  printf '%s\\n' \"$code\" >> \"$__wt_dir/status.$__wt_n\"\n"
      << "  printf '  [HTTP %s]\\n' \"$code\" >&2\n"
      << "  rm -f \"$h\"\n"
      << "  return $rc\n"
      << "}\n"
      << "__wt_check() {\n"
      << "  local got\n"
      << "  got=$(tail -n 1 \"$__wt_dir/status.$1\" 2>/dev/null)\n"
      << "  if [ \"$got\" != \"$2\" ]; then\n"
      << "    printf '%s: expected %s, got %s\\n' \"$3\" \"$2\" \"${got:-no HTTP answer (the command ran no curl)}\""
         " | tee \"$__wt_dir/failure\" >&2\n"
      << "    exit 1\n"
      << "  fi\n"
      << "  printf '%s\\n' \"$1\" >> \"$__wt_dir/checked\"\n"
      << "}\n";
    return s.str();
}

std::string script(const std::vector<command>& commands, const target& t, const std::filesystem::path& dir,
                   int max_time_s) {
    std::string s = prelude(dir, max_time_s);
    for (std::size_t i = 0; i < commands.size(); ++i) {
        const auto& c = commands[i];
        const auto n = std::to_string(i + 1);
        s += "__wt_n=" + n + "\n";
        s += "printf '%s\\n' " + single_quoted("$ " + where(c.line) + ": " + c.text) + "\n";
        s += rewrite(c.text, t) + "\n";
        if (c.expect)
            s += "__wt_check " + n + " " + std::to_string(*c.expect) + " " +
                 single_quoted(where(c.line) + " (`# ->` at line " + std::to_string(c.expect_line) + ")") + "\n";
    }
    return s;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct outcome {
    int exit_code = -1;
    int checked = 0;          // how many `# -> NNN` held
    std::string failure;      // the first that did not, as the script said it
    std::string transcript;   // everything the commands and curl printed
};

// Runs `commands` against `t` in `bash -u` (statuses are checked by __wt_check, not by -e).
outcome run(const std::vector<command>& commands, const target& t, const std::filesystem::path& dir,
            int max_time_s = curl_max_time_s) {
    std::filesystem::create_directories(dir);
    {
        std::ofstream out(dir / "walkthrough.sh");
        out << script(commands, t, dir, max_time_s);
    }
    const auto line = "timeout -k 5 " + std::to_string(script_max_time_s) + " bash --noprofile --norc -u " +
                      single_quoted((dir / "walkthrough.sh").string()) + " > " +
                      single_quoted((dir / "transcript").string()) + " 2>&1 < /dev/null";
    const int status = std::system(line.c_str());
    outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::istringstream checked(slurp(dir / "checked"));
    for (std::string l; std::getline(checked, l);) ++o.checked;
    o.failure = slurp(dir / "failure");
    o.transcript = slurp(dir / "transcript");
    return o;
}

// The shop's ports and admin token where the document says localhost:808N and var/admin.token.
outcome run(const std::vector<command>& commands, shop& s) {
    target t{{{"8080", s.host().admin_port()},
              {"8081", s.users()},
              {"8082", s.products()},
              {"8083", s.categories()},
              {"8084", s.payment()}},
             (s.host().data_dir() / "admin.token").string()};
    return run(commands, t, s.host().data_dir() / "walkthrough");
}

int checked_count(const std::vector<command>& commands) {
    int n = 0;
    for (const auto& c : commands) n += c.expect ? 1 : 0;
    return n;
}

std::vector<command> walkthrough() { return parse(sh_lines(read_lines(BERTH_WALKTHROUGH_DOC), walkthrough_heading)); }

std::vector<command> parse_text(const std::string& text) {
    std::vector<doc_line> lines;
    std::istringstream in(text);
    int n = 1;
    for (std::string l; std::getline(in, l); ++n) lines.push_back({n, l});
    return parse(lines);
}

TEST(Walkthrough, RunsAsWrittenAgainstAFreshShop) {
    const auto commands = walkthrough();
    const int expected = checked_count(commands);
    ASSERT_GT(expected, 0) << "the walkthrough states no status: nothing would be checked";
    shop s;
    const auto o = run(commands, s);
    EXPECT_TRUE(o.exit_code == 0 && o.checked == expected)
        << "bash exited " << o.exit_code << " after " << o.checked << " of " << expected << " stated statuses held\n"
        << o.failure << "--- transcript ---\n" << o.transcript;
}

TEST(Walkthrough, CapturesEveryIdItUses) {
    // Ids shown in example answers (pay_9e76..., product 1) must never be typed back in by hand.
    static const std::regex typed_id(R"(/v1/[a-z-]+/[0-9]+\b|pay_[0-9a-f]{4})");
    const auto commands = walkthrough();
    ASSERT_FALSE(commands.empty());
    for (const auto& c : commands) {
        EXPECT_EQ(c.text.find("..."), std::string::npos) << where(c.line) << " has an elided value: " << c.text;
        EXPECT_FALSE(std::regex_search(c.text, typed_id)) << where(c.line) << " types an id by hand: " << c.text;
    }
}

TEST(WalkthroughHarness, JoinsContinuationLinesAndAttachesTheStatus) {
    const auto cs = parse_text("J=x\n# prose\ncurl -s a \\\n  -d b\n# -> 201 {\"id\":1}\n#    more answer\n\ncurl c\n");
    ASSERT_EQ(cs.size(), 3u);
    EXPECT_EQ(cs[1].text, "curl -s a \\\n  -d b");
    EXPECT_EQ(cs[1].line, 3);
    EXPECT_EQ(cs[1].expect, 201);
    EXPECT_FALSE(cs[0].expect);
    EXPECT_FALSE(cs[2].expect) << "a command with no `# ->` is run, not checked";
}

TEST(WalkthroughHarness, RefusesAStatusWithoutACommandOrTwoForOne) {
    EXPECT_THROW(parse_text("# -> 200\ncurl a\n"), std::runtime_error);
    EXPECT_THROW(parse_text("curl a\n# -> 200\n# -> 409\n"), std::runtime_error);
    EXPECT_THROW(parse_text("curl a \\\n"), std::runtime_error);
}

TEST(WalkthroughHarness, RefusesAnAddressThatIsNotAShopPort) {
    target t{{{"8081", 1234}}, "/x/admin.token"};
    EXPECT_EQ(rewrite("curl localhost:8081/v1 $(cat var/admin.token)", t), "curl localhost:1234/v1 $(cat /x/admin.token)");
    EXPECT_THROW(rewrite("curl localhost:9999/v1", t), std::runtime_error);
}

TEST(WalkthroughHarness, AWrongStatusFailsNamingItsLine) {
    shop s;
    const auto cs = parse_text(
        "curl -s localhost:8082/v1/products/1\n# -> 404\n"
        "X=$(curl -s localhost:8082/v1/products/1 | head -c 1)\n# -> 200\n"
        "curl -s localhost:8082/healthz\n# -> 200\n");
    const auto o = run(cs, s);
    EXPECT_NE(o.exit_code, 0);
    EXPECT_EQ(o.checked, 1) << o.transcript;
    EXPECT_NE(o.failure.find("docs/shop.md:3"), std::string::npos) << o.failure;
    EXPECT_NE(o.failure.find("expected 200, got 404"), std::string::npos) << o.failure;
}

TEST(WalkthroughHarness, AnAnswerThatNeverComesFailsItsLine) {
    // A listener that never accepts: the connection completes in its backlog, no answer follows.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    temp_dir dir;
    target t{{{"8082", silent.local_endpoint().port()}}, "/nonexistent"};
    const auto o = run(parse_text("curl -s localhost:8082/v1/products\n# -> 200\n"), t, dir.path(), 1);
    EXPECT_NE(o.exit_code, 0);
    EXPECT_NE(o.failure.find("expected 200, got no answer (curl exit 28)"), std::string::npos) << o.failure << o.transcript;
}

TEST(WalkthroughHarness, AnUnsetVariableStopsTheRun) {
    shop s;
    const auto o = run(parse_text("curl -s localhost:8082/v1/products/$NOT_SET\n# -> 404\n"), s);
    EXPECT_NE(o.exit_code, 0);
    EXPECT_EQ(o.checked, 0) << o.transcript;
}

}  // namespace
}  // namespace berth::test
