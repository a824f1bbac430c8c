// products: names and stock-adjustment reasons as a person's text (plugins/shared/text.hpp):
// trimmed of Unicode whitespace, 400 naming the member when blank or holding control characters.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class PersonText : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        shop_ = new shop();
        category_ = shop_->category("Person text");
    }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;
    static long long category_;

    static reply create(const std::string& sku, const std::string& name) {
        return s().post(s().products(), "/v1/products",
                        {{"sku", sku}, {"name", name}, {"price_cents", 500}, {"currency", "EUR"},
                         {"category_id", category_}},
                        s().admin_token());
    }
    static reply write(long long id, const std::string& behaviour, const nlohmann::json& body) {
        return s().post(s().products(), "/v1/products/" + std::to_string(id) + "/" + behaviour, body, s().admin_token());
    }
    static void expect_400_at(const reply& r, const std::string& pointer) {
        EXPECT_EQ(r.status, 400) << r.body;
        ASSERT_TRUE(r.json().contains("errors")) << r.body;
        EXPECT_EQ(r.json()["errors"][0]["pointer"], pointer);
    }
};
shop* PersonText::shop_ = nullptr;
long long PersonText::category_ = 0;

TEST_F(PersonText, CreateTrimsUnicodeSpacesFromTheName) {
    auto r = create("PT-1", "\u00a0\u2003Desk lamp\u3000");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["name"], "Desk lamp");
}

TEST_F(PersonText, ANameOfUnicodeSpacesIs400) {
    expect_400_at(create("PT-2", "\u3000\u00a0\u2003"), "/name");
}

TEST_F(PersonText, ANameWithAControlCharacterIs400) { expect_400_at(create("PT-3", "Lamp\u001b[2J"), "/name"); }

TEST_F(PersonText, RenameToZeroWidthAndNoBreakSpacesIs400) {
    auto made = create("PT-4", "Floor lamp");
    ASSERT_EQ(made.status, 201) << made.body;
    const long long id = made.json()["id"];
    expect_400_at(write(id, "rename", {{"name", "\u200b\u00a0"}}), "/name");
    EXPECT_EQ(s().get(s().products(), "/v1/products/" + std::to_string(id)).json()["name"], "Floor lamp");
}

TEST_F(PersonText, AReasonWithAControlCharacterIs400AndStockStays) {
    auto made = create("PT-5", "Wall lamp");
    ASSERT_EQ(made.status, 201) << made.body;
    const long long id = made.json()["id"];
    expect_400_at(write(id, "adjust-stock", {{"delta", 3}, {"reason", "count\u001b[2J"}}), "/reason");
    expect_400_at(write(id, "adjust-stock", {{"delta", 3}, {"reason", std::string("count\0ed", 8)}}), "/reason");
    EXPECT_EQ(s().stock(id), 0);
}

TEST_F(PersonText, AReasonIsTrimmedOfUnicodeSpaces) {
    auto made = create("PT-6", "Reading lamp");
    ASSERT_EQ(made.status, 201) << made.body;
    const long long id = made.json()["id"];
    auto r = write(id, "adjust-stock", {{"delta", 2}, {"reason", "\u3000Counted\u00a0"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto list = s().get(s().products(), "/v1/products/" + std::to_string(id) + "/stock-adjustments", s().admin_token());
    ASSERT_EQ(list.status, 200) << list.body;
    ASSERT_EQ(list.json()["items"].size(), 1u) << list.body;
    EXPECT_EQ(list.json()["items"][0]["reason"], "Counted");
}

}  // namespace
}  // namespace berth::test
