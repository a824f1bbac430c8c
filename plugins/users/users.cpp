// users: registration, log-in (the host signs the token), log-out, who am I, password change.
// Sessions end through the host (ABI 1.3): it refuses an ended token at every module's edge.
// Owns var/users.db: the users table. Passwords are Argon2id hashes (libsodium), never logged
// or returned.
#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include "text.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace {

std::vector<berth::migration> migrations() {
    return {
        {1,
         "create users",
         {"CREATE TABLE users ("
          " id INTEGER PRIMARY KEY,"
          " email TEXT NOT NULL UNIQUE,"
          " name TEXT NOT NULL,"
          " password_hash TEXT NOT NULL,"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"}},
    };
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string iso8601(std::int64_t unix_seconds) {
    std::time_t t = unix_seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

nlohmann::json email_schema() {
    return {{"type", "string"}, {"maxLength", 254}, {"pattern", "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"}};
}
// At least 8 characters, not all whitespace (Unicode's too: text::blank in the handlers).
nlohmann::json password_schema() {
    return {{"type", "string"}, {"minLength", 8}, {"maxLength", 1024}, {"pattern", "\\S"}};
}
// A name with something in it besides whitespace, without control characters; stored trimmed
// (text::clean).
nlohmann::json name_schema() { return {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}, {"pattern", "\\S"}}; }

// Every route that leases a database connection answers 503 when none frees up in time.
constexpr const char* database_busy = "Database busy: no connection became free in time; retry";

class users final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"users", "1.0.0"};

    void routes(berth::router& r) override {
        r.info("Users", "Shop accounts: registration, log-in (a bearer token signed by the host), the logged-in user.");
        // Response objects stay open (no additionalProperties: false): a new field is an additive change.
        r.component("User", {{"type", "object"},
                             {"required", {"id", "email", "name"}},
                             {"properties", {{"id", {{"type", "integer"}, {"minimum", 1}}}, {"email", email_schema()}, {"name", {{"type", "string"}}}}}});
        r.component("Session", {{"type", "object"},
                                {"required", {"token", "token_type", "expires_at", "scope"}},
                                {"properties",
                                 {{"token", {{"type", "string"}, {"minLength", 1}}},
                                  {"token_type", {{"type", "string"}, {"enum", {"Bearer"}}}},
                                  {"expires_at", {{"type", "string"}, {"format", "date-time"}}},
                                  {"scope", {{"type", "string"}}}}}});

        r.post("/v1/users", [this](const berth::request& req) { return register_user(req); })
            .summary("Registers a user")
            .operation_id("registerUser")
            .tags({"accounts"})
            .schema({{"type", "object"},
                     {"required", {"email", "password", "name"}},
                     {"additionalProperties", false},
                     {"properties",
                      {{"email", email_schema()},
                       {"password", password_schema()},
                       {"name", name_schema()}}}})
            .responds(201, berth::ref("User"),
                      "Registered (the email is stored lower-cased, the name trimmed of Unicode whitespace); Location: /v1/users/me")
            .responds_problem(409, "Email taken: a user with this email, in any case, is registered")
            .responds_problem(503, database_busy);
        r.post("/v1/sessions", [this](const berth::request& req) { return log_in(req); })
            .summary("Logs in: exchanges email and password for a bearer token")
            .operation_id("logIn")
            .tags({"sessions"})
            .schema({{"type", "object"},
                     {"required", {"email", "password"}},
                     {"additionalProperties", false},
                     {"properties", {{"email", {{"type", "string"}, {"maxLength", 254}}}, {"password", {{"type", "string"}, {"maxLength", 1024}}}}}})
            .responds(200, berth::ref("Session"), "Logged in: a bearer token with scope user")
            .responds_problem(401, "Invalid credentials: the email or the password is wrong (the same answer for both)")
            .responds_problem(503, database_busy);
        r.del("/v1/sessions/current", [this](const berth::request& req) { return log_out(req); })
            .summary("Logs out: ends the session of the token this request carries")
            .operation_id("logOut")
            .tags({"sessions"})
            .auth()
            .responds(204, "Logged out: every module refuses this token (401) from now on")
            .responds_problem(503, "Session not ended: the host could not record or keep it; retry");
        r.get("/v1/users/me", [this](const berth::request& req) { return me(req); })
            .summary("The logged-in user")
            .operation_id("getMe")
            .tags({"accounts"})
            .auth()
            .responds(200, berth::ref("User"), "The user the token names")
            .responds_problem(404, "No such user: the token names no user (an operator's token), or one that is gone")
            .responds_problem(503, database_busy);
        r.post("/v1/users/me/password", [this](const berth::request& req) { return change_password(req); })
            .summary("Changes the logged-in user's password")
            .operation_id("changePassword")
            .tags({"accounts"})
            .auth()
            .schema({{"type", "object"},
                     {"required", {"current_password", "new_password"}},
                     {"additionalProperties", false},
                     {"properties", {{"current_password", {{"type", "string"}, {"maxLength", 1024}}}, {"new_password", password_schema()}}}})
            .responds(204, "Changed; every session begun before (this one too) has ended: log in again")
            .responds_problem(403, "Wrong password: current_password does not match")
            .responds_problem(404, "No such user: the token names no user, or one that is gone")
            .responds_problem(503, "Database busy, or the sessions could not be ended: nothing changed; retry");
    }

    void start(const berth::context& ctx) override {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        ctx_ = &ctx;
        // Public registration grants "user" only; catalog:write is minted by the operator on the
        // admin API (POST /tokens). The old setting is ignored, not refused: a config that still
        // carries it keeps starting, and grants nothing.
        if (ctx.settings().contains("admins"))
            ctx.log(berth::log_level::warn,
                    "settings.admins is ignored: registration grants scope 'user' only; grant catalog:write "
                    "with POST /tokens on the admin API");
        // Verified against when the email is unknown, so log-in costs one Argon2id either way.
        unsigned char random[32];
        randombytes_buf(random, sizeof random);
        dummy_hash_ = hash_password(std::string(reinterpret_cast<const char*>(random), sizeof random));
        db_ = std::make_unique<berth::database>(ctx);
        db_->migrate(migrations());
    }

    void stop() override { db_.reset(); }

private:
    static std::string hash_password(const std::string& password) {
        char out[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            throw std::runtime_error("out of memory while hashing a password");
        return out;
    }
    static bool password_matches(const std::string& hash, const std::string& password) {
        return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
    }

    berth::response register_user(const berth::request& req) {
        auto& body = req.json();
        const std::string email = lower(body["email"].get<std::string>());
        const std::string name = berth::shop::text::clean(body["name"].get<std::string>(), "/name");
        if (berth::shop::text::blank(body["password"].get<std::string>()))
            berth::shop::text::refuse("/password", "must not be only whitespace");
        const std::string hash = hash_password(body["password"].get<std::string>());  // slow: outside the transaction
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        int taken = 0;
        *s << "SELECT COUNT(*) FROM users WHERE email = :e", soci::into(taken), soci::use(email);
        if (taken) throw berth::http_error(409, "Email taken", "a user with this email is already registered");
        *s << "INSERT INTO users(email, name, password_hash) VALUES(:e, :n, :h)", soci::use(email), soci::use(name),
            soci::use(hash);
        long long id = 0;
        *s << "SELECT last_insert_rowid()", soci::into(id);
        tx.commit();
        return berth::response::created("/v1/users/me", {{"id", id}, {"email", email}, {"name", name}});
    }

    berth::response log_in(const berth::request& req) {
        auto& body = req.json();
        const std::string email = lower(body["email"].get<std::string>());
        long long id = 0;
        std::string hash;
        {
            auto s = db_->lease();
            *s << "SELECT id, password_hash FROM users WHERE email = :e", soci::into(id), soci::into(hash),
                soci::use(email);
            if (!s->got_data()) hash.clear();
        }
        // One answer, and one Argon2id verification, for an unknown email and a wrong password:
        // neither the body nor the time tells whether the account exists.
        const bool known = !hash.empty();
        const bool matches = password_matches(known ? hash : dummy_hash_, body["password"].get<std::string>());
        if (!known || !matches)
            throw berth::http_error(401, "Invalid credentials", "the email or the password is wrong");
        const std::string scope = "user";
        auto token = ctx_->issue_token(std::to_string(id), scope);
        // A password change that stored its hash after we read ours may have ended the sessions
        // before this token existed: it must not leave here alive (change_password stores first).
        if (current_hash(id) != hash) {
            try {
                ctx_->end_session(token.value);
            } catch (const std::exception& e) {  // never handed out either way
                ctx_->log(berth::log_level::warn, std::string("ending a raced log-in's token failed: ") + e.what());
            }
            throw berth::http_error(401, "Invalid credentials", "the email or the password is wrong");
        }
        return berth::response::json(200, {{"token", token.value},
                                           {"token_type", "Bearer"},
                                           {"expires_at", iso8601(token.expires_at)},
                                           {"scope", scope}});
    }

    struct user_row {
        long long id = 0;
        std::string email, name, hash;
        bool found = false;
    };
    // The stored hash of user `id`; empty when the user is gone.
    std::string current_hash(long long id) {
        std::string hash;
        auto s = db_->lease();
        *s << "SELECT password_hash FROM users WHERE id = :id", soci::into(hash), soci::use(id);
        if (!s->got_data()) hash.clear();
        return hash;
    }

    user_row find(soci::session& s, const berth::request& req) {
        user_row u;
        // Tokens minted on the admin API may name a subject that is no user id at all.
        const std::string subject(req.subject());
        if (subject.empty() || subject.size() > 18 || subject.find_first_not_of("0123456789") != std::string::npos)
            throw berth::http_error(404, "No such user", "the token names no user");
        long long id = std::stoll(subject);
        s << "SELECT id, email, name, password_hash FROM users WHERE id = :id", soci::into(u.id), soci::into(u.email),
            soci::into(u.name), soci::into(u.hash), soci::use(id);
        u.found = s.got_data();
        if (!u.found) throw berth::http_error(404, "No such user", "the token's user no longer exists");
        return u;
    }

    berth::response me(const berth::request& req) {
        auto s = db_->lease();
        auto u = find(*s, req);
        return berth::response::json(200, {{"id", u.id}, {"email", u.email}, {"name", u.name}});
    }

    berth::response change_password(const berth::request& req) {
        auto& body = req.json();
        user_row u;
        {
            auto s = db_->lease();
            u = find(*s, req);
        }
        if (!password_matches(u.hash, body["current_password"].get<std::string>()))
            throw berth::http_error(403, "Wrong password", "current_password does not match");
        if (berth::shop::text::blank(body["new_password"].get<std::string>()))
            berth::shop::text::refuse("/new_password", "must not be only whitespace");
        const std::string hash = hash_password(body["new_password"].get<std::string>());
        // The hash first, then the sessions: a log-in that verified the old hash sees the change
        // when it re-reads (log_in) or got its token before the sessions ended here.
        {
            auto s = db_->lease();
            *s << "UPDATE users SET password_hash = :h WHERE id = :id", soci::use(hash), soci::use(u.id);
        }
        try {
            ctx_->end_sessions(std::to_string(u.id));
        } catch (const std::exception& e) {
            ctx_->log(berth::log_level::error, "ending the sessions of user " + std::to_string(u.id) + " failed: " + e.what());
            // Nothing changed after all: the old hash back, unless another change came since.
            auto s = db_->lease();
            *s << "UPDATE users SET password_hash = :old WHERE id = :id AND password_hash = :h", soci::use(u.hash),
                soci::use(u.id), soci::use(hash);
            throw berth::http_error(503, "Sessions not ended", "the password was not changed; retry");
        }
        return berth::response::no_content();
    }

    berth::response log_out(const berth::request& req) {
        auto token = req.bearer_token();  // verified by the host's edge: the route declares auth
        if (!token) throw berth::http_error(401, "Unauthorized", "this route needs a bearer token");
        try {
            ctx_->end_session(*token);
        } catch (const std::exception& e) {
            ctx_->log(berth::log_level::error, std::string("log-out failed: ") + e.what());
            throw berth::http_error(503, "Session not ended", "the session could not be ended; retry");
        }
        return berth::response::no_content();
    }

    const berth::context* ctx_ = nullptr;
    std::string dummy_hash_;
    std::unique_ptr<berth::database> db_;
};

}  // namespace

BERTH_PLUGIN(users)
