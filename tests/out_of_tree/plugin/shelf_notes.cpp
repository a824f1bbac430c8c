// shelf_notes: a plugin built out of tree against the installed SDK (see
// docs/plugin-authoring.md, which walks through this file).
#include <berth/plugin.hpp>

#include <map>
#include <mutex>

namespace {

class shelf_notes final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"shelf_notes", "1.0.0"};

    void routes(berth::router& r) override {
        r.post("/v1/notes", [this](const berth::request& req) { return pin(req.json().at("text")); })
            .summary("Pins a note to the shelf")
            .schema({{"type", "object"},
                     {"required", {"text"}},
                     {"additionalProperties", false},
                     {"properties", {{"text", {{"type", "string"}, {"minLength", 1}, {"maxLength", 280}}}}}});
        r.get("/v1/notes/{id}", [this](const berth::request& req) { return read(req.param("id")); })
            .summary("Reads one note");
    }

private:
    berth::response pin(const std::string& text) {
        std::lock_guard lock(mutex_);  // handlers run concurrently
        auto id = std::to_string(++last_id_);
        notes_[id] = text;
        return berth::response::json(201, {{"id", id}, {"text", text}});
    }
    berth::response read(std::string_view id) {
        std::lock_guard lock(mutex_);
        auto it = notes_.find(std::string(id));
        if (it == notes_.end()) throw berth::http_error(404, "No such note", "note " + std::string(id) + " is not pinned");
        return berth::response::json(200, {{"id", it->first}, {"text", it->second}});
    }

    std::mutex mutex_;
    long last_id_ = 0;
    std::map<std::string, std::string> notes_;
};

}  // namespace

BERTH_PLUGIN(shelf_notes)
