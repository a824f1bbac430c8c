-- wrk script for bench/shop: every request a checkout of one unit with a fresh Idempotency-Key.
local counter = 0
local token = os.getenv("BERTH_TOKEN")
local product = os.getenv("BERTH_PRODUCT")
local prefix = os.getenv("BERTH_KEY_PREFIX")
local body = '{"items":[{"product_id":' .. product .. ',"quantity":1}],' ..
             '"card":{"number":"4242424242424242","exp_month":12,"exp_year":2099,"cvc":"123"}}'

request = function()
  counter = counter + 1
  return wrk.format("POST", "/v1/checkouts", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. counter,
  }, body)
end
