// A stand-in for the products module in payment's tests, to reach a checkout whose hold is
// released (an operator's cancel, or expiry) between the reservation and the commit, without a
// race: it holds every reservation, then answers the commit 409 "Reservation settled" as products
// does for a released hold, and says released when asked. Test-only; never shipped.
#include <berth/plugin.hpp>

#include <atomic>
#include <string>

namespace {

class products_stand_in final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"payment_products_stand_in", "1.0.0"};

    void routes(berth::router& r) override {
        r.post("/v1/reservations", [this](const berth::request& req) {
             nlohmann::json items = nlohmann::json::array();
             for (auto& i : req.json()["items"])
                 items.push_back({{"product_id", i["product_id"]}, {"quantity", i["quantity"]}, {"unit_price_cents", 250},
                                  {"currency", "EUR"}});
             char id[25];
             std::snprintf(id, sizeof id, "%024llx", static_cast<unsigned long long>(++made_));
             return berth::response::json(201, {{"reservation_id", id}, {"state", "held"}, {"items", items}});
         })
            .schema({{"type", "object"}})
            .callers({"payment"});
        r.post("/v1/reservations/{id}/commit", [this](const berth::request& req) -> berth::response {
             ++commits_;
             throw berth::http_error(409, "Reservation settled", "reservation " + std::string(req.param("id")) + " is already released");
         }).callers({"payment"});
        r.post("/v1/reservations/{id}/release", [](const berth::request& req) {
             return berth::response::json(200, {{"reservation_id", req.param("id")}, {"state", "released"}});
         }).callers({"payment"});
        r.get("/v1/reservations/{id}", [](const berth::request& req) {
             return berth::response::json(200, {{"reservation_id", req.param("id")}, {"state", "released"}});
         }).callers({"payment"});
        r.get("/v1/commits", [this](const berth::request&) { return berth::response::json(200, {{"commits", commits_.load()}}); });
    }
    void start(const berth::context&) override {}
    void stop() override {}

private:
    std::atomic<unsigned long long> made_{0};
    std::atomic<int> commits_{0};
};

}  // namespace

BERTH_PLUGIN(products_stand_in)
