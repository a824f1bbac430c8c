// A stand-in for the categories module in products' tests, to reach products' undo paths
// without a race: GET /v1/categories/{id} answers 200 for ids below 1000; for 1000..1999, 200
// the first time and 404 after (deleted as the write was made); 2000..2999, 200 then 503; from
// 3000, a 404 that is not about the category (as a module without the route answers). It has no
// /subtree route, as a categories build older than issue 12. Test-only; never shipped.
#include <berth/plugin.hpp>

#include <map>
#include <mutex>

namespace {

class categories_stand_in final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"products_categories_stand_in", "1.0.0"};

    void routes(berth::router& r) override {
        r.get("/v1/categories/{id}", [this](const berth::request& req) {
            const long long id = req.id_param("id", "category");
            int asked = 0;
            {
                std::lock_guard lock(mutex_);
                asked = ++asked_[id];
            }
            if (id >= 3000) throw berth::http_error(404, "Not Found", "no route matches");
            if (id >= 1000 && asked > 1) {
                if (id < 2000) throw berth::http_error(404, "No such category", "gone");
                throw berth::http_error(503, "Database busy", "retry");
            }
            return berth::response::json(200, {{"id", id}, {"name", "Stand-in " + std::to_string(id)}, {"parent_id", nullptr}});
        });
    }
    void start(const berth::context&) override {}
    void stop() override {}

private:
    std::mutex mutex_;
    std::map<long long, int> asked_;  // times each id was asked about
};

}  // namespace

BERTH_PLUGIN(categories_stand_in)
