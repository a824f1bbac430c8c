// The log line formats: JSON lines (nlohmann escapes every string; bytes that are not UTF-8
// become U+FFFD rather than breaking the line) and text for people.
#include "ops/logging.hpp"

#include "ops/clock_text.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

namespace berth::host::ops {

namespace {

std::string quoted(std::string_view text) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class json_formatter final : public spdlog::formatter {
public:
    explicit json_formatter(bool payload_is_object) : payload_is_object_(payload_is_object) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string line = "{\"time\":\"";
        append_utc(msg.time, line);
        line += "\",\"level\":\"";
        const auto level = spdlog::level::to_string_view(msg.level);
        line += msg.level == spdlog::level::warn ? std::string_view("warn") : std::string_view(level.data(), level.size());
        line += "\",\"logger\":";
        line += quoted(std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        const std::string_view payload(msg.payload.data(), msg.payload.size());
        if (payload_is_object_ && payload.size() > 2 && payload.front() == '{' && payload.back() == '}') {
            line += ',';
            line.append(payload.substr(1));
        } else {
            line += ",\"msg\":";
            line += quoted(payload);
            line += '}';
        }
        line += '\n';
        dest.append(line.data(), line.data() + line.size());
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<json_formatter>(payload_is_object_);
    }

private:
    bool payload_is_object_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_formatter(const std::string& format, bool payload_is_object) {
    if (format == "text")
        return std::make_unique<spdlog::pattern_formatter>(payload_is_object ? "%Y-%m-%dT%H:%M:%S.%e %l [%n] %v"
                                                                             : "%Y-%m-%dT%H:%M:%S.%e %l %v");
    return std::make_unique<json_formatter>(payload_is_object);
}

}  // namespace berth::host::ops
