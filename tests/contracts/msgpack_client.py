#!/usr/bin/python3
"""Shop calls in MessagePack both ways, by a client that shares no code with Berth
(python3-msgpack, http.client): request bodies sent as application/msgpack, answers asked for
with Accept: application/msgpack, decoded and checked; then the mixed cases, and the refusals
(415 for another body media type, 406 for an Accept the host cannot serve).

    msgpack_client.py --users PORT --categories PORT --products PORT --payment PORT --operator-token JWT

The operator token carries catalog:write (minted on the admin API). Prints one line per check,
"FAIL ..." for a failed one, and "N checks, M failed" last; exit 0 only when none failed.
"""

import argparse
import http.client
import json
import sys

import msgpack

MSGPACK = "application/msgpack"


class Client:
    def __init__(self, ports):
        self.ports = ports
        self.checks = 0
        self.failed = 0

    def call(self, module, method, target, body=None, body_type=MSGPACK, accept=MSGPACK, token=None, headers=None):
        """(status, media type, decoded body or None, raw bytes)."""
        h = dict(headers or {})
        if accept is not None:
            h["Accept"] = accept
        if token:
            h["Authorization"] = "Bearer " + token
        payload = None
        if body is not None:
            payload = body if isinstance(body, bytes) else (
                msgpack.packb(body, use_bin_type=True) if body_type == MSGPACK else json.dumps(body).encode())
            h["Content-Type"] = body_type
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[module], timeout=30)
        try:
            conn.request(method, target, body=payload, headers=h)
            r = conn.getresponse()
            raw = r.read()
            media = (r.getheader("Content-Type") or "").split(";")[0].strip().lower()
        finally:
            conn.close()
        return r.status, media, decode(media, raw), raw

    def check(self, what, ok, detail=""):
        self.checks += 1
        if ok:
            print("ok   " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + detail if detail else ""))
        return ok


def decode(media, raw):
    if not raw:
        return None
    try:
        if media == MSGPACK:
            return msgpack.unpackb(raw, raw=False)
        if media == "application/json" or media.endswith("+json"):
            return json.loads(raw)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError):
        return None
    return None


def expect(c, what, answer, status, media=MSGPACK):
    """Checks status and media type; returns the decoded body (a dict or list) or None."""
    got_status, got_media, body, raw = answer
    ok = c.check("%s: %d %s" % (what, status, media), got_status == status and got_media == media and body is not None,
                 "got %d %s %r" % (got_status, got_media, raw[:300]))
    return body if ok else None


def run(c, operator):
    # A shopper registers and logs in, in MessagePack both ways.
    user = expect(c, "register", c.call("users", "POST", "/v1/users",
                                        {"email": "Pack@Shop.example", "password": "a fine password", "name": "Pack"}), 201)
    if user is not None:
        c.check("register answers the user, email lower-cased", user.get("email") == "pack@shop.example"
                and isinstance(user.get("id"), int) and user.get("name") == "Pack" and "password" not in user, repr(user))
    session = expect(c, "log in", c.call("users", "POST", "/v1/sessions",
                                         {"email": "pack@shop.example", "password": "a fine password"}), 200)
    token = session.get("token") if isinstance(session, dict) else None
    c.check("log in answers a bearer token", isinstance(token, str) and session.get("token_type") == "Bearer", repr(session))
    me = expect(c, "who am I", c.call("users", "GET", "/v1/users/me", token=token), 200)
    c.check("who am I names the shopper", isinstance(me, dict) and me.get("email") == "pack@shop.example", repr(me))

    # The operator builds the catalogue.
    cat = expect(c, "create category", c.call("categories", "POST", "/v1/categories", {"name": "Packed lamps"}, token=operator), 201)
    cat_id = cat.get("id") if isinstance(cat, dict) else None
    c.check("the category has an id and no parent", isinstance(cat_id, int) and cat.get("parent_id") is None, repr(cat))
    product = expect(c, "create product", c.call("products", "POST", "/v1/products",
                                                 {"sku": "PACK-1", "name": "Packed lamp", "price_cents": 2599,
                                                  "currency": "EUR", "category_id": cat_id}, token=operator), 201)
    pid = product.get("id") if isinstance(product, dict) else None
    c.check("the product is as sent", isinstance(pid, int) and product.get("price_cents") == 2599
            and product.get("category_id") == cat_id and product.get("stock") == 0, repr(product))
    stocked = expect(c, "restock", c.call("products", "POST", "/v1/products/%s/restock" % pid, {"quantity": 7}, token=operator), 200)
    c.check("restock adds the quantity", isinstance(stocked, dict) and stocked.get("stock") == 7, repr(stocked))

    listed = expect(c, "list products", c.call("products", "GET", "/v1/products?q=PACK&limit=10"), 200)
    items = listed.get("items") if isinstance(listed, dict) else None
    c.check("the list holds the product, next_cursor nil", isinstance(items, list) and any(i.get("id") == pid for i in items)
            and "next_cursor" in listed and listed["next_cursor"] is None, repr(listed))

    # Checkout, both ways in MessagePack.
    order = {"items": [{"product_id": pid, "quantity": 2}],
             "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "123"}}
    paid = expect(c, "checkout", c.call("payment", "POST", "/v1/checkouts", order, token=token,
                                        headers={"Idempotency-Key": "pack-1"}), 201)
    c.check("checkout charged two at the product's price", isinstance(paid, dict) and paid.get("amount_cents") == 5198
            and paid.get("status") == "captured" and paid.get("card_last4") == "4242"
            and paid.get("items") == [{"product_id": pid, "quantity": 2, "unit_price_cents": 2599}], repr(paid))
    payment_id = paid.get("payment_id") if isinstance(paid, dict) else ""
    again = expect(c, "checkout replayed", c.call("payment", "POST", "/v1/checkouts", order, token=token,
                                                  headers={"Idempotency-Key": "pack-1"}), 201)
    c.check("the replay is the same payment", again is not None and again == paid, repr(again))
    shown = expect(c, "look up the payment", c.call("payment", "GET", "/v1/payments/%s" % payment_id, token=token), 200)
    c.check("the payment is captured, with when", isinstance(shown, dict) and shown.get("status") == "captured"
            and isinstance(shown.get("created_at"), str), repr(shown))
    left = expect(c, "stock after checkout", c.call("products", "GET", "/v1/products/%s" % pid), 200)
    c.check("two were sold", isinstance(left, dict) and left.get("stock") == 5, repr(left))

    # Mixed: a MessagePack body answered in JSON, a JSON body answered in MessagePack.
    mixed = expect(c, "msgpack in, JSON out", c.call("products", "POST", "/v1/products/%s/reprice" % pid, {"price_cents": 2799},
                                                      accept="application/json", token=operator), 200, "application/json")
    c.check("the reprice took", isinstance(mixed, dict) and mixed.get("price_cents") == 2799, repr(mixed))
    mixed = expect(c, "JSON in, msgpack out", c.call("products", "POST", "/v1/products/%s/reprice" % pid, {"price_cents": 2899},
                                                      body_type="application/json", token=operator), 200)
    c.check("the reprice took", isinstance(mixed, dict) and mixed.get("price_cents") == 2899, repr(mixed))

    # Validation sees the document the MessagePack body carries.
    bad = c.call("users", "POST", "/v1/users", {"email": "x@shop.example", "password": "short", "name": "X"})
    c.check("a MessagePack body breaking the schema: 400 naming /password", bad[0] == 400 and isinstance(bad[2], dict)
            and any(e.get("pointer") == "/password" for e in bad[2].get("errors", [])), "got %d %r" % (bad[0], bad[3][:300]))
    taken = c.call("users", "POST", "/v1/users", {"email": "pack@shop.example", "password": "a fine password", "name": "Twin"})
    c.check("a refusal is a problem in either encoding (409)", taken[0] == 409 and isinstance(taken[2], dict)
            and taken[2].get("status") == 409 and isinstance(taken[2].get("title"), str), "got %d %r" % (taken[0], taken[3][:300]))
    broken = c.call("users", "POST", "/v1/users", b"\xc1\xc1\xc1")  # 0xc1 is never used in MessagePack
    c.check("bytes that are not MessagePack: 400 problem", broken[0] == 400 and isinstance(broken[2], dict)
            and broken[2].get("status") == 400, "got %d %r" % (broken[0], broken[3][:300]))

    # Refusals: a body in another media type, an Accept the host cannot serve.
    plain = c.call("users", "POST", "/v1/users", b"email=a@b.example", body_type="text/plain", accept=None)
    c.check("a text/plain body: 415 problem+json", plain[0] == 415 and plain[1] == "application/problem+json"
            and isinstance(plain[2], dict) and plain[2].get("status") == 415, "got %d %s %r" % (plain[0], plain[1], plain[3][:300]))
    xml = c.call("products", "GET", "/v1/products", accept="application/xml")
    c.check("Accept: application/xml: 406 problem+json", xml[0] == 406 and xml[1] == "application/problem+json"
            and isinstance(xml[2], dict) and xml[2].get("status") == 406, "got %d %s %r" % (xml[0], xml[1], xml[3][:300]))
    html = c.call("users", "POST", "/v1/sessions", {"email": "pack@shop.example", "password": "a fine password"}, accept="text/html")
    c.check("Accept: text/html on a MessagePack body: 406 problem+json", html[0] == 406 and html[1] == "application/problem+json",
            "got %d %s %r" % (html[0], html[1], html[3][:300]))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for module in ("users", "categories", "products", "payment"):
        p.add_argument("--" + module, type=int, required=True)
    p.add_argument("--operator-token", required=True)
    a = p.parse_args()
    c = Client({"users": a.users, "categories": a.categories, "products": a.products, "payment": a.payment})
    try:
        run(c, a.operator_token)
    except (OSError, http.client.HTTPException) as e:
        c.check("the calls could be made", False, repr(e))
    print("%d checks, %d failed" % (c.checks, c.failed))
    return 0 if c.failed == 0 and c.checks > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
