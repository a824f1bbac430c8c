// A stand-in for the products module in categories' tests, to reach the delete's undo path
// without a race: GET /v1/products?category_id=N answers no items the first time N is asked
// about and one item after (a product created into it as it was deleted). Test-only.
#include <berth/plugin.hpp>

#include <map>
#include <mutex>
#include <string>

namespace {

class products_stand_in final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"categories_products_stand_in", "1.0.0"};

    void routes(berth::router& r) override {
        r.get("/v1/products", [this](const berth::request& req) {
            const std::string category(req.query("category_id").value_or(""));
            int asked = 0;
            {
                std::lock_guard lock(mutex_);
                asked = ++asked_[category];
            }
            auto items = nlohmann::json::array();
            if (asked > 1) items.push_back({{"id", 1}, {"category_id", std::stoll(category)}});
            return berth::response::json(200, {{"items", items}, {"next_cursor", nullptr}});
        });
    }
    void start(const berth::context&) override {}
    void stop() override {}

private:
    std::mutex mutex_;
    std::map<std::string, int> asked_;  // times each category_id was asked about
};

}  // namespace

BERTH_PLUGIN(products_stand_in)
