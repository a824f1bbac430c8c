// Berth plugin SDK: the C++ face of the C ABI in berth/abi.h.
//
// An author writes one class derived from berth::plugin, gives it a manifest, declares
// routes, and optionally start/ready/stop; then names it once with BERTH_PLUGIN(cls):
//
//     class greeter final : public berth::plugin {
//     public:
//         static constexpr berth::manifest manifest{"greeter", "1.0.0"};
//         void routes(berth::router& r) override {
//             r.get("/v1/greetings/{name}", [](const berth::request& req) {
//                 return berth::response::json(200, {{"greeting", "hello " + std::string(req.param("name"))}});
//             }).summary("Greets someone by name");
//         }
//     };
//     BERTH_PLUGIN(greeter)
//
// Everything here is header-only and compiled into the plugin, with the plugin's own
// compiler and library versions; only abi.h types reach the host. Every call from the
// host is wrapped in try/catch: no exception crosses the boundary.
//
// Threads: routes(), start() and stop() are called from the host's deploy thread, ready()
// from a thread of its own (with a deadline); handlers run concurrently on the host's worker
// threads and must be thread-safe.
#pragma once

#include <berth/abi.h>
#include <berth/json_limits.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <cctype>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth {

// Name and semantic version; declare as `static constexpr berth::manifest manifest{...}`.
struct manifest {
    const char* name;
    const char* version;
};

// Thrown from a handler to answer with an RFC 9457 problem instead of a 500.
class http_error : public std::exception {
public:
    http_error(int status, std::string title, std::string detail = {})
        : status_(status), title_(std::move(title)), detail_(std::move(detail)) {}
    // `extra` members are merged into the problem object, e.g. {"errors": [{"in": "query",
    // "pointer": "/cursor", "message": "..."}]} to say where, as the host's own 400s do.
    http_error(int status, std::string title, std::string detail, nlohmann::json extra)
        : status_(status), title_(std::move(title)), detail_(std::move(detail)), extra_(std::move(extra)) {}
    int status() const noexcept { return status_; }
    const std::string& title() const noexcept { return title_; }
    const std::string& detail() const noexcept { return detail_; }
    const nlohmann::json& extra() const noexcept { return extra_; }
    const char* what() const noexcept override { return title_.c_str(); }

private:
    int status_;
    std::string title_;
    std::string detail_;
    nlohmann::json extra_ = nlohmann::json::object();
};

// The SDK's small helpers (iequals, problem JSON, the fingerprint, the buffers host services
// write into) repeat what the host has on purpose: a plugin builds against the SDK alone,
// without Boost or the host.
namespace detail {
inline std::string_view view(berth_bytes b) { return {b.data, b.size}; }
inline berth_bytes bytes(std::string_view s) { return {s.data(), s.size()}; }
// JSON text that cannot throw: bytes that are not UTF-8 (a client's path parameter quoted in a
// problem, say) become U+FFFD instead of making dump() throw.
inline std::string to_text(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
inline bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}
inline std::optional<std::string_view> find(const berth_pair* pairs, size_t n, std::string_view name,
                                            bool case_insensitive) {
    for (size_t i = 0; i < n; ++i) {
        auto key = view(pairs[i].name);
        if (case_insensitive ? iequals(key, name) : key == name) return view(pairs[i].value);
    }
    return std::nullopt;
}
}  // namespace detail

// One request, borrowed from the host for the duration of the handler call.
class request {
public:
    explicit request(const berth_request& raw) : raw_(raw) {}

    std::string_view method() const { return detail::view(raw_.method); }
    std::string_view path() const { return detail::view(raw_.path); }
    std::string_view target() const { return detail::view(raw_.target); }
    std::string_view body() const { return detail::view(raw_.body); }
    std::string_view request_id() const { return detail::view(raw_.request_id); }

    // A path template parameter ("{id}"). Declared parameters are always present.
    std::string_view param(std::string_view name) const {
        auto v = detail::find(raw_.params, raw_.param_count, name, false);
        if (!v) throw std::logic_error("no path parameter named " + std::string(name));
        return *v;
    }
    // A path parameter that names a row by its positive integer id. Anything else cannot name
    // one, so it answers 404 "No such <noun>" like a missing row would.
    long long id_param(std::string_view name, std::string_view noun) const {
        const std::string text(param(name));
        if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
            throw http_error(404, "No such " + std::string(noun), std::string(noun) + " " + text + " does not exist");
        return std::stoll(text);
    }
    std::optional<std::string_view> query(std::string_view name) const {
        return detail::find(raw_.query, raw_.query_count, name, false);
    }
    std::optional<std::string_view> header(std::string_view name) const {
        return detail::find(raw_.headers, raw_.header_count, name, true);
    }
    // The bearer token of the Authorization header ("Bearer <token>", scheme in any case), or
    // nothing. On a route that declares auth the host has verified it before the handler runs.
    std::optional<std::string_view> bearer_token() const {
        auto v = header("Authorization");
        if (!v || v->size() <= 7 || !detail::iequals(v->substr(0, 7), "Bearer ")) return std::nullopt;
        auto t = v->substr(7);
        while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
        while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
        if (t.empty()) return std::nullopt;
        return t;
    }

    // Who is asking (ABI 1.1; empty on an older host). subject: the verified token's "sub",
    // for routes that declare auth; caller: the calling module for an in-process call.
    std::string_view subject() const { return has(&berth_request::subject) ? detail::view(raw_.subject) : ""; }
    std::string_view scopes() const { return has(&berth_request::scopes) ? detail::view(raw_.scopes) : ""; }
    std::string_view caller() const { return has(&berth_request::caller) ? detail::view(raw_.caller) : ""; }
    bool has_scope(std::string_view scope) const {
        std::string_view all = scopes();
        while (!all.empty()) {
            auto sp = all.find(' ');
            if (all.substr(0, sp) == scope) return true;
            if (sp == std::string_view::npos) break;
            all.remove_prefix(sp + 1);
        }
        return false;
    }

    // The body parsed as JSON (parsed once, on first use). Malformed JSON, or JSON nested more
    // than 64 levels deep (which would overflow the stack of whatever walks it), answers 400.
    const nlohmann::json& json() const {
        if (!json_) {
            if (json_depth(body(), max_json_depth) > max_json_depth)
                throw http_error(400, "Malformed JSON", "the request body nests more than 64 levels deep");
            auto parsed = nlohmann::json::parse(body(), nullptr, false);
            if (parsed.is_discarded()) throw http_error(400, "Malformed JSON", "the request body is not valid JSON");
            json_ = std::move(parsed);
        }
        return *json_;
    }

    const berth_request& raw() const { return raw_; }

private:
    bool has(berth_bytes berth_request::*field) const {
        auto offset = reinterpret_cast<const char*>(&(raw_.*field)) - reinterpret_cast<const char*>(&raw_);
        return raw_.struct_size >= static_cast<std::size_t>(offset) + sizeof(berth_bytes);
    }
    const berth_request& raw_;
    mutable std::optional<nlohmann::json> json_;
};

// What a handler returns.
struct response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }

    static response json(int status, const nlohmann::json& value) {
        response r{status, {{"Content-Type", "application/json"}}, detail::to_text(value)};
        return r;
    }
    static response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8") {
        return response{status, {{"Content-Type", std::move(content_type)}}, std::move(body)};
    }
    static response no_content() { return response{204, {}, {}}; }
    // 201 Created with `value` as JSON and Location: `location` (the created resource's path).
    static response created(std::string location, const nlohmann::json& value) {
        auto r = json(201, value);
        r.header("Location", std::move(location));
        return r;
    }
    // Sets the ETag header; `tag` is the opaque value without quotes (a strong validator).
    response& etag(std::string_view tag) { return header("ETag", "\"" + std::string(tag) + "\""); }
    // RFC 9457 problem details; `extra` members are merged into the object.
    static response problem(int status, std::string_view title, std::string_view detail = {},
                            nlohmann::json extra = nlohmann::json::object()) {
        nlohmann::json p = {{"type", "about:blank"}, {"title", title}, {"status", status}};
        if (!detail.empty()) p["detail"] = detail;
        for (auto& [k, v] : extra.items()) p[k] = v;
        return response{status, {{"Content-Type", "application/problem+json"}}, detail::to_text(p)};
    }
};

// If-Match (RFC 9110 13.1.1), for a write that must not overwrite a change its client has not
// seen: with no If-Match header, nothing happens; "*" or a list naming "`current_tag`" passes;
// anything else throws 412 Precondition Failed, with the current ETag in the detail. Strong
// comparison: a weak tag (W/"...") never matches.
inline void require_if_match(const request& req, std::string_view current_tag) {
    auto header = req.header("If-Match");
    if (!header) return;
    const std::string quoted = "\"" + std::string(current_tag) + "\"";
    std::string_view rest = *header;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item == "*" || item == quoted) return;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    throw http_error(412, "Precondition failed",
                     "If-Match does not name the current version (ETag " + quoted + "); read it again and retry");
}

using handler = std::function<response(const request&)>;

// A route declaration; the fluent setters describe its contract for the host.
class route {
public:
    route(std::string method, std::string path, handler h)
        : method_(std::move(method)), path_(std::move(path)), handler_(std::move(h)) {}

    route& summary(std::string s) { summary_ = std::move(s); return *this; }
    route& operation_id(std::string id) { operation_id_ = std::move(id); return *this; }
    // JSON Schema (draft-07 subset) the request body must satisfy; checked by the host.
    route& schema(nlohmann::json s) { schema_ = std::move(s); return *this; }
    // With schema(): a request may also come without a body (an empty one); the handler then
    // sees an empty body() and decides what that means. Published as requestBody.required false.
    route& optional_body() { optional_body_ = true; return *this; }
    // A body the plugin reads itself, of this media type ("text/csv", "application/octet-stream"),
    // instead of a JSON document checked against a schema. The host checks only its size, its
    // media type (415 for another; an untyped body is let through) and, for JSON, its nesting
    // depth. Not for MessagePack: declare a schema, and the host reads it. A route with neither
    // this nor a schema takes no body: the host answers 400 to one.
    route& takes(std::string media_type) { takes_ = std::move(media_type); return *this; }
    // JSON Schema of an object whose properties are the query parameters this route takes.
    // Values are converted to the declared property type (integer, number, boolean) before
    // checking; a parameter the schema does not allow is refused when additionalProperties is false.
    route& query(nlohmann::json s) { query_ = std::move(s); return *this; }
    // Needs a valid bearer token (checked by the host: 401 without, 403 without the scopes).
    route& auth(std::vector<std::string> scopes = {}) {
        auth_ = true;
        scopes_ = std::move(scopes);
        return *this;
    }
    // Only these modules may call the route (in-process); HTTP clients get 403.
    route& callers(std::vector<std::string> modules) { callers_ = std::move(modules); return *this; }
    // Groups the operation in the published OpenAPI document.
    route& tags(std::vector<std::string> names) { tags_ = std::move(names); return *this; }

    // A response the handler may give: `status` with a JSON body matching `schema` (checked by
    // the host when contracts.check_responses is on; published in the OpenAPI document). Declare
    // every status the handler answers with, errors included. See docs/contracts.md.
    route& responds(int status, nlohmann::json schema, std::string description) {
        responses_[std::to_string(status)] = {{"description", std::move(description)}, {"schema", std::move(schema)}};
        return *this;
    }
    // A response without a body (204, say).
    route& responds(int status, std::string description) {
        responses_[std::to_string(status)] = {{"description", std::move(description)}};
        return *this;
    }
    // An RFC 9457 problem (application/problem+json) with the host's Problem schema: what
    // response::problem and a thrown http_error produce.
    route& responds_problem(int status, std::string description) {
        responses_[std::to_string(status)] = {{"description", std::move(description)},
                                              {"media_type", "application/problem+json"},
                                              {"schema", {{"$ref", "#/components/schemas/Problem"}}}};
        return *this;
    }

    nlohmann::json describe() const {
        nlohmann::json d = {{"method", method_}, {"path", path_}};
        if (!summary_.empty()) d["summary"] = summary_;
        if (!operation_id_.empty()) d["operation_id"] = operation_id_;
        if (!schema_.is_null()) d["schema"] = schema_;
        if (!schema_.is_null() && optional_body_) d["body_optional"] = true;
        if (!query_.is_null()) d["query"] = query_;
        if (!takes_.empty()) d["takes"] = takes_;
        if (auth_) d["auth"] = {{"scopes", scopes_}};
        if (!callers_.empty()) d["callers"] = callers_;
        if (!tags_.empty()) d["tags"] = tags_;
        if (!responses_.empty()) d["responses"] = responses_;
        return d;
    }
    const handler& target() const { return handler_; }

private:
    std::string method_, path_, summary_, operation_id_, takes_;
    nlohmann::json schema_, query_;
    bool optional_body_ = false;
    bool auth_ = false;
    std::vector<std::string> scopes_, callers_, tags_;
    nlohmann::json responses_ = nlohmann::json::object();  // status text -> {description, schema?, media_type?}
    handler handler_;
};

// A reference to a schema the router declared with component(): {"$ref": "#/components/schemas/<name>"}.
inline nlohmann::json ref(std::string_view component_name) {
    return {{"$ref", "#/components/schemas/" + std::string(component_name)}};
}

// A major version the module still serves but means to stop serving (RFC 9745, RFC 8594).
// Dates are "YYYY-MM-DD" (UTC midnight).
struct deprecation {
    std::string since;   // deprecated from this date: the Deprecation header
    std::string sunset;  // stops being served after this date: the Sunset header
    std::string link;    // optional: where to read about the successor (Link rel="deprecation")
};

class router {
public:
    route& add(std::string method, std::string path, handler h) {
        routes_.push_back(std::make_unique<route>(std::move(method), std::move(path), std::move(h)));
        return *routes_.back();
    }
    route& get(std::string path, handler h) { return add("GET", std::move(path), std::move(h)); }
    route& post(std::string path, handler h) { return add("POST", std::move(path), std::move(h)); }
    route& put(std::string path, handler h) { return add("PUT", std::move(path), std::move(h)); }
    route& patch(std::string path, handler h) { return add("PATCH", std::move(path), std::move(h)); }
    route& del(std::string path, handler h) { return add("DELETE", std::move(path), std::move(h)); }

    // A named schema routes refer to with berth::ref(name); published once under
    // components/schemas. "Problem" is the host's and cannot be declared.
    router& component(std::string name, nlohmann::json schema) {
        components_[std::move(name)] = std::move(schema);
        return *this;
    }
    // Marks every route under /v{major}/ deprecated: answers carry Deprecation and Sunset.
    router& deprecate_major(int major, deprecation d) {
        nlohmann::json m = {{"deprecated", true}, {"since", std::move(d.since)}, {"sunset", std::move(d.sunset)}};
        if (!d.link.empty()) m["link"] = std::move(d.link);
        majors_[std::to_string(major)] = std::move(m);
        return *this;
    }
    // Title and description of the module's OpenAPI document (default: the plugin's name).
    router& info(std::string title, std::string description = {}) {
        info_ = {{"title", std::move(title)}};
        if (!description.empty()) info_["description"] = std::move(description);
        return *this;
    }

    const std::vector<std::unique_ptr<route>>& routes() const { return routes_; }

    // The manifest the host reads (data, not ABI): routes, and what they share.
    nlohmann::json describe() const {
        nlohmann::json routes = nlohmann::json::array();
        for (auto& r : routes_) routes.push_back(r->describe());
        nlohmann::json m = {{"routes", std::move(routes)}};
        if (!components_.empty()) m["components"] = components_;
        if (!majors_.empty()) m["majors"] = majors_;
        if (!info_.is_null()) m["info"] = info_;
        return m;
    }

private:
    std::vector<std::unique_ptr<route>> routes_;
    nlohmann::json components_ = nlohmann::json::object();
    nlohmann::json majors_ = nlohmann::json::object();
    nlohmann::json info_;
};

enum class log_level { debug = BERTH_LOG_DEBUG, info = BERTH_LOG_INFO, warn = BERTH_LOG_WARN, error = BERTH_LOG_ERROR };

struct token {
    std::string value;        // the JWT
    std::int64_t expires_at;  // Unix seconds
};

// What another module answered to context::call.
struct call_result {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    nlohmann::json json() const {
        auto j = nlohmann::json::parse(body, nullptr, false);
        return j.is_discarded() ? nlohmann::json() : j;
    }
    bool ok() const { return status >= 200 && status < 300; }
};

namespace detail {
struct text_buffer {
    std::string text;
    berth_writer writer{sizeof(berth_writer), this, &text_buffer::append};
    text_buffer() = default;
    text_buffer(const text_buffer&) = delete;
    static void append(void* ctx, berth_bytes b) {
        if (b.data && b.size) static_cast<text_buffer*>(ctx)->text.append(b.data, b.size);
    }
};
struct call_buffer {
    call_result result;
    berth_response_writer writer{sizeof(berth_response_writer), this, &call_buffer::set_status, &call_buffer::add_header,
                                 &call_buffer::append_body};
    call_buffer() = default;
    call_buffer(const call_buffer&) = delete;
    static void set_status(void* ctx, int s) { static_cast<call_buffer*>(ctx)->result.status = s; }
    static void add_header(void* ctx, berth_bytes n, berth_bytes v) {
        static_cast<call_buffer*>(ctx)->result.headers.emplace_back(std::string(n.data, n.size), std::string(v.data, v.size));
    }
    static void append_body(void* ctx, berth_bytes b) {
        if (b.data && b.size) static_cast<call_buffer*>(ctx)->result.body.append(b.data, b.size);
    }
};
}  // namespace detail

// What the host tells the module about itself; valid for the instance's lifetime.
class context {
public:
    context(const berth_host_api* host, const berth_create_args& args)
        : host_(host),
          module_(detail::view(args.module)),
          database_(detail::view(args.database)),
          data_dir_(detail::view(args.data_dir)),
          settings_(nlohmann::json::parse(detail::view(args.settings), nullptr, false)) {
        if (settings_.is_discarded()) settings_ = nlohmann::json::object();
    }
    const std::string& module() const { return module_; }
    const std::string& database() const { return database_; }
    const std::string& data_dir() const { return data_dir_; }
    const nlohmann::json& settings() const { return settings_; }
    // An integer from the module's settings, `fallback` when absent. Throws (failing start(), so
    // the host keeps what it had) when it is not an integer from `low` to `high`.
    long long integer_setting(const char* name, long long fallback, long long low, long long high) const {
        auto v = settings_.value(name, nlohmann::json(fallback));
        if (!v.is_number_integer() || v.get<long long>() < low || v.get<long long>() > high)
            throw std::runtime_error(std::string("setting ") + name + " must be an integer from " + std::to_string(low) +
                                     " to " + std::to_string(high));
        return v.get<long long>();
    }
    void log(log_level level, std::string_view message) const {
        if (host_ && host_->log) host_->log(host_->ctx, static_cast<int>(level), detail::bytes(message));
    }

    // Asks the host to sign a token for `subject` (1 to 256 bytes of UTF-8 without control
    // characters, as end_sessions takes) with space-separated `scope`. Any thread.
    berth::token issue_token(std::string_view subject, std::string_view scope) const {
        if (!host_has(&berth_host_api::issue_token)) throw std::runtime_error("this host cannot issue tokens");
        detail::text_buffer out, error;
        std::int64_t expires_at = 0;
        if (host_->issue_token(host_->ctx, detail::bytes(subject), detail::bytes(scope), &out.writer, &expires_at,
                               &error.writer) != BERTH_OK)
            throw std::runtime_error("token not issued: " + error.text);
        return {std::move(out.text), expires_at};
    }

    // Calls another module in-process (its contract checks apply; it sees this module as the
    // caller). Returns whatever it answered; throws only if the call could not be made.
    call_result call(std::string_view module, std::string_view method, std::string_view target,
                     const nlohmann::json& body = nullptr, std::string_view request_id = {},
                     std::string_view authorization = {}) const {
        if (!host_has(&berth_host_api::call)) throw std::runtime_error("this host cannot call other modules");
        const std::string text = body.is_null() ? std::string() : detail::to_text(body);
        berth_call c{sizeof(berth_call),    detail::bytes(module),     detail::bytes(method),
                     detail::bytes(target), detail::bytes(text),       detail::bytes(request_id),
                     detail::bytes(authorization)};
        detail::call_buffer out;
        detail::text_buffer error;
        if (host_->call(host_->ctx, &c, &out.writer, &error.writer) != BERTH_OK)
            throw std::runtime_error("call to " + std::string(module) + " failed: " + error.text);
        return std::move(out.result);
    }

    // Tells the host how long a database lease waited and whether it got a session (ABI 1.2;
    // nothing on an older host). berth::database calls it; any thread, never throws.
    void report_lease_wait(std::chrono::nanoseconds waited, bool granted) const {
        if (!host_has(&berth_host_api::report_lease_wait)) return;
        const auto ns = waited.count() > 0 ? static_cast<std::uint64_t>(waited.count()) : std::uint64_t{0};
        host_->report_lease_wait(host_->ctx, ns, granted ? 1 : 0);
    }

    // Ends one session (a log-out): the host refuses `token` at every module's edge from now on
    // (ABI 1.3). Throws if the host cannot (an older host, a token it did not sign, or its bound
    // on revocations reached).
    void end_session(std::string_view token) const {
        if (!host_has(&berth_host_api::end_session)) throw std::runtime_error("this host cannot end sessions");
        detail::text_buffer error;
        if (host_->end_session(host_->ctx, detail::bytes(token), &error.writer) != BERTH_OK)
            throw std::runtime_error("session not ended: " + error.text);
    }
    // Ends every session of `subject` begun before now (a password change): tokens issued before
    // the call are refused at every module's edge; later ones are not (ABI 1.3). Throws as above.
    void end_sessions(std::string_view subject) const {
        if (!host_has(&berth_host_api::end_sessions)) throw std::runtime_error("this host cannot end sessions");
        detail::text_buffer error;
        if (host_->end_sessions(host_->ctx, detail::bytes(subject), &error.writer) != BERTH_OK)
            throw std::runtime_error("sessions not ended: " + error.text);
    }

private:
    template <class F>
    bool host_has(F berth_host_api::*field) const {
        if (!host_) return false;
        auto offset = reinterpret_cast<const char*>(&(host_->*field)) - reinterpret_cast<const char*>(host_);
        return host_->struct_size >= static_cast<std::size_t>(offset) + sizeof(F) && host_->*field != nullptr;
    }
    const berth_host_api* host_;
    std::string module_, database_, data_dir_;
    nlohmann::json settings_;
};

// The class a plugin author derives from.
class plugin {
public:
    virtual ~plugin() = default;
    // Declares the routes; called once, before start().
    virtual void routes(router& r) = 0;
    // Prepares to serve. Throwing fails the load (the host keeps what it had).
    virtual void start(const context&) {}
    // True once the module can take traffic; the host asks after start().
    virtual bool ready() { return true; }
    // Stops serving; release what the host was given. Must not throw.
    virtual void stop() {}
};

namespace detail {

inline void write(const berth_writer* w, std::string_view text) {
    if (w && w->write) w->write(w->ctx, bytes(text));
}

template <class Plugin>
struct instance {
    context ctx;
    Plugin plugin;
    router table;
};

template <class Plugin>
struct glue {
    using inst = instance<Plugin>;

    template <class F>
    static int guarded(const berth_writer* error, F&& f) noexcept {
        try {
            return f();
        } catch (const std::exception& e) {
            write(error, e.what());
        } catch (...) {
            write(error, "unknown exception");
        }
        return BERTH_ERROR;
    }

    static int create(const berth_host_api* host, const berth_create_args* args, void** out,
                      const berth_writer* error) noexcept {
        return guarded(error, [&] {
            *out = new inst{context(host, *args), Plugin{}, router{}};
            return BERTH_OK;
        });
    }
    static int describe(void* p, const berth_writer* out, const berth_writer* error) noexcept {
        return guarded(error, [&] {
            auto* self = static_cast<inst*>(p);
            self->plugin.routes(self->table);
            write(out, to_text(self->table.describe()));
            return BERTH_OK;
        });
    }
    static int start(void* p, const berth_writer* error) noexcept {
        return guarded(error, [&] {
            auto* self = static_cast<inst*>(p);
            self->plugin.start(self->ctx);
            return BERTH_OK;
        });
    }
    static int ready(void* p, const berth_writer* error) noexcept {
        return guarded(error, [&] {
            if (static_cast<inst*>(p)->plugin.ready()) return BERTH_OK;
            write(error, "the module reports not ready");
            return BERTH_ERROR;
        });
    }
    static void emit(const response& r, const berth_response_writer* out) {
        out->set_status(out->ctx, r.status);
        for (auto& [k, v] : r.headers) out->add_header(out->ctx, bytes(k), bytes(v));
        if (!r.body.empty()) out->append_body(out->ctx, bytes(r.body));
    }
    static int handle(void* p, const berth_request* raw, const berth_response_writer* out,
                      const berth_writer* error) noexcept {
        return guarded(error, [&] {
            auto* self = static_cast<inst*>(p);
            auto& routes = self->table.routes();
            if (raw->route >= routes.size()) throw std::out_of_range("route index out of range");
            request req(*raw);
            try {
                emit(routes[raw->route]->target()(req), out);
            } catch (const http_error& e) {
                emit(response::problem(e.status(), e.title(), e.detail(), e.extra().is_object() ? e.extra() : nlohmann::json::object()), out);
            }
            return BERTH_OK;
        });
    }
    static void stop(void* p) noexcept {
        try {
            static_cast<inst*>(p)->plugin.stop();
        } catch (...) {
        }
    }
    static void destroy(void* p) noexcept { delete static_cast<inst*>(p); }
};

#define BERTH_DETAIL_STR2(x) #x
#define BERTH_DETAIL_STR(x) BERTH_DETAIL_STR2(x)
#if defined(__clang__)
#define BERTH_DETAIL_COMPILER "clang-" BERTH_DETAIL_STR(__clang_major__) "." BERTH_DETAIL_STR(__clang_minor__)
#elif defined(__GNUC__)
#define BERTH_DETAIL_COMPILER "gcc-" BERTH_DETAIL_STR(__GNUC__) "." BERTH_DETAIL_STR(__GNUC_MINOR__)
#else
#define BERTH_DETAIL_COMPILER "unknown"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define BERTH_DETAIL_CXX11_ABI BERTH_DETAIL_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define BERTH_DETAIL_CXX11_ABI "none"
#endif

// What the host checks: sdk major and arch/pointer size must fit; compiler and cxx11_abi are
// recorded (the boundary is C, so they may differ from the host's).
inline constexpr const char* fingerprint = "sdk=" BERTH_SDK_VERSION ";arch=" BERTH_ARCH
                                           ";pointer_bytes=" BERTH_DETAIL_STR(__SIZEOF_POINTER__)
                                           ";compiler=" BERTH_DETAIL_COMPILER ";cxx11_abi=" BERTH_DETAIL_CXX11_ABI;

template <class Plugin>
constexpr berth_plugin_descriptor make_descriptor() {
    return berth_plugin_descriptor{BERTH_ABI_MAJOR,
                                   BERTH_ABI_MINOR,
                                   sizeof(berth_plugin_descriptor),
                                   0,
                                   fingerprint,
                                   Plugin::manifest.name,
                                   Plugin::manifest.version,
                                   &glue<Plugin>::create,
                                   &glue<Plugin>::describe,
                                   &glue<Plugin>::start,
                                   &glue<Plugin>::ready,
                                   &glue<Plugin>::handle,
                                   &glue<Plugin>::stop,
                                   &glue<Plugin>::destroy};
}

}  // namespace detail
}  // namespace berth

// Exports the descriptor for `cls`; use exactly once per plugin, at namespace scope.
#define BERTH_PLUGIN(cls)                                                                   \
    extern "C" __attribute__((visibility("default"))) const berth_plugin_descriptor berth_plugin = \
        ::berth::detail::make_descriptor<cls>();
