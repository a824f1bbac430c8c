#!/usr/bin/python3
"""Validates recorded HTTP responses against published OpenAPI 3.1 documents, independently of
Berth: python3-jsonschema (Draft 2020-12, the dialect of OpenAPI 3.1), $refs resolved within
each document.

    validate_responses.py DOC.json [DOC.json ...] RECORDING.json

RECORDING is a JSON array of {"method", "path" (no query), "status", "content_type", "body"
(text)}, plus an optional "module" used in messages. Each response is matched to its operation
(method and path template, across all documents; a literal segment beats a parameter, as in the
host) and to its status (exact, then "4XX", then "default"), then its body to the media type's
schema. Every failure is printed; the last line is "checked N responses, M failures".
Exit 0 when nothing failed and at least one response was checked, 1 otherwise, 2 on bad input.
"""

import json
import re
import sys
from datetime import datetime

from jsonschema import Draft202012Validator, FormatChecker, RefResolver
from jsonschema.exceptions import SchemaError

# python3-jsonschema checks date-time only with a package Debian 12 does not ship: check RFC 3339 here.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    # Seconds may be 60 (a leap second); datetime cannot hold that, so check the date part alone then.
    text = value[:19].replace("t", "T")
    if text[17:19] == "60":
        text = text[:17] + "59"
    datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    return True


def is_json_media(media):
    return media == "application/json" or media.endswith("+json")


class Document:
    def __init__(self, name, doc):
        self.name = name
        self.doc = doc
        self.resolver = RefResolver(base_uri="", referrer=doc)
        self.templates = []  # (literal segment count, regex, template)
        for template in doc.get("paths", {}):
            parts = template.strip("/").split("/")
            pattern = "".join(
                "/[^/]+" if re.fullmatch(r"\{[^{}/]+\}", p) else "/" + re.escape(p) for p in parts)
            literal = sum(1 for p in parts if not p.startswith("{"))
            self.templates.append((literal, re.compile("^" + pattern + "$"), template))
        self.validators = {}

    def resolve(self, node):
        """A Response or Schema object, following a local $ref (components/responses and the like)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 32 and set(node) <= {"$ref", "summary", "description"}:
            _, node = self.resolver.resolve(node["$ref"])
            seen += 1
        return node

    def validator(self, key, schema):
        if key not in self.validators:
            Draft202012Validator.check_schema(schema)
            self.validators[key] = Draft202012Validator(schema, resolver=self.resolver, format_checker=FORMATS)
        return self.validators[key]


def match_operation(documents, method, path):
    """[(document, template, operation)] for the most specific template of each document."""
    found = []
    for d in documents:
        best = None
        for literal, regex, template in d.templates:
            if regex.match(path) and (best is None or literal > best[0]):
                best = (literal, template)
        if best is None:
            continue
        item = d.doc["paths"][best[1]]
        op = item.get(method.lower()) or (item.get("get") if method == "HEAD" else None)
        if op is not None:
            found.append((d, best[1], op))
    return found


def pick_response(responses, status):
    for key in (str(status), str(status)[0] + "XX", "default"):
        if key in responses:
            return key, responses[key]
    return None, None


def check(documents, r):
    """The failures of one recorded response, as sentences."""
    method, path, status = r["method"], r["path"], int(r["status"])
    matches = match_operation(documents, method, path)
    if not matches:
        return ["no operation %s matches %s" % (method, path)]
    if len(matches) > 1:
        return ["%s %s matches operations in %s" % (method, path, ", ".join(m[0].name for m in matches))]
    d, template, op = matches[0]
    key, response = pick_response(op.get("responses", {}), status)
    if response is None:
        return ["status %d is not declared for %s %s" % (status, method, template)]
    response = d.resolve(response)
    content = response.get("content") or {}
    body = r.get("body", "")
    media = (r.get("content_type") or "").split(";")[0].strip().lower()
    if method == "HEAD" or status in (204, 304):
        return ["a %d answer has a body" % status] if body else []
    if not content:
        return ["response %s declares no content, but a body came (%s)" % (key, media or "no type")] if body else []
    declared = content.get(media) or content.get("*/*")
    if declared is None:
        return ["media type %r is not declared for %s (declared: %s)" % (media, key, ", ".join(sorted(content)))]
    if not is_json_media(media):
        return []  # only JSON bodies are recorded by the tests; other types are matched by name
    try:
        instance = json.loads(body)
    except ValueError as e:
        return ["the body is not JSON: %s" % e]
    schema = declared.get("schema")
    if schema is None:
        return []
    try:
        v = d.validator((template, method, key, media), schema)
    except SchemaError as e:
        return ["the schema of %s %s %s is not a valid 2020-12 schema: %s" % (method, template, key, e.message)]
    failures = []
    for e in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in e.absolute_path)
        failures.append("at %r: %s" % (pointer, e.message))
    return failures


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    documents = []
    for name in argv[1:-1]:
        with open(name, encoding="utf-8") as f:
            doc = json.load(f)
        if not str(doc.get("openapi", "")).startswith("3.1"):
            print("%s: not an OpenAPI 3.1 document (openapi: %r)" % (name, doc.get("openapi")))
            return 1
        documents.append(Document(name, doc))
    with open(argv[-1], encoding="utf-8") as f:
        recording = json.load(f)
    if not isinstance(recording, list):
        print("%s: not a JSON array of responses" % argv[-1], file=sys.stderr)
        return 2

    failed = 0
    for r in recording:
        problems = check(documents, r)
        if problems:
            failed += 1
            where = "%s %s %s -> %s" % (r.get("module", "?"), r["method"], r["path"], r["status"])
            for p in problems:
                print("FAIL %s: %s" % (where, p))
    print("checked %d responses, %d failures" % (len(recording), failed))
    return 0 if failed == 0 and recording else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
