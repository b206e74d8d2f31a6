"""Request validation of the vLLM stand-in, with vLLM's error bodies.

- handler errors: {"error": {"message", "type": "BadRequestError"|"NotFoundError", "param", "code"}}
- pydantic-style request validation: 400, type "Bad Request", param = dotted location,
  message "N validation error(s):\\n  {...}" (docs/vllm-api.md §4).
"""

import json
import logging
import os

from starlette.requests import Request
from starlette.responses import JSONResponse

log = logging.getLogger("vllm.entrypoints.openai.protocol")

COMMON_FIELDS = {
    "model", "truncate_prompt_tokens", "use_activation", "softmax", "activation", "priority",
    "mm_processor_kwargs", "user", "request_id", "truncation_side", "padding", "cache_salt",
    "additional_data",
}
RERANK_FIELDS = COMMON_FIELDS | {"query", "documents", "top_n"}
SCORE_FORMS = [("queries", "documents"), ("queries", "items"), ("data_1", "data_2"), ("text_1", "text_2")]
SCORE_LEFT = {"queries", "data_1", "text_1"}
SCORE_FIELDS = COMMON_FIELDS | {k for pair in SCORE_FORMS for k in pair}


class Failure(Exception):
    def __init__(self, response: JSONResponse) -> None:
        super().__init__("request failed")
        self.response = response


def error(status: int, message: str, type_: str, param=None) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": status}}
    return JSONResponse(body, status_code=status)


def bad(message: str, param=None) -> Failure:
    return Failure(error(400, message, "BadRequestError", param))


def invalid(errors: list[dict]) -> Failure:
    n = len(errors)
    text = f"{n} validation error{'s' if n != 1 else ''}:\n  " + "\n  ".join(repr(e) for e in errors)
    loc = errors[0].get("loc", ()) if errors else ()
    param = ".".join(str(x) for x in loc[:2]) if loc else None
    return Failure(error(400, text, "Bad Request", param))


def missing(field: str, body) -> dict:
    return {"type": "missing", "loc": ("body", field), "msg": "Field required", "input": body}


def too_long(max_len: int, n: int) -> JSONResponse:
    msg = (
        f"This model's maximum context length is {max_len} tokens. However, you requested 0 output "
        f"tokens and your prompt contains at least {n} input tokens, for a total of at least {n} tokens. "
        "Please reduce the length of the input prompt or the number of requested output tokens. "
        f"(parameter=input_tokens, value={n})"
    )
    return error(400, msg, "BadRequestError", "input_tokens")


async def json_body(request: Request):
    media = request.headers.get("content-type", "").lower().split(";", 1)[0].strip()
    if media != "application/json":
        raise invalid([{"type": "unsupported_media_type", "loc": ("body",), "msg": "Unsupported Media Type: Only 'application/json' is allowed", "input": None}])
    raw = await request.body()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        pos = getattr(e, "pos", 0)
        ctx = {"error": getattr(e, "msg", str(e))}
        raise invalid([{"type": "json_invalid", "loc": ("body", pos), "msg": "JSON decode error", "input": {}, "ctx": ctx}])


def check_object(body) -> None:
    if not isinstance(body, dict):
        raise invalid([{"type": "model_attributes_type", "loc": ("body",), "msg": "Input should be a valid dictionary or object to extract fields from", "input": body}])


def check_model(body: dict, state) -> None:
    name = body.get("model")
    if os.environ.get("VLLM_SKIP_MODEL_NAME_VALIDATION"):
        return
    if isinstance(name, str) and name and name not in state.served:
        raise Failure(error(404, f"The model `{name}` does not exist.", "NotFoundError", None))


def warn_ignored(body: dict, known: set[str]) -> None:
    extra = set(body) - known
    if extra:
        log.warning("The following fields were present in the request but ignored: %s", extra)


def as_int(body: dict, field: str, default, errors: list[dict], ge=None):
    if field not in body or body[field] is None:
        return default
    x = body[field]
    if isinstance(x, bool) or not (isinstance(x, int) or (isinstance(x, float) and x.is_integer()) or (isinstance(x, str) and x.strip().lstrip("-").isdigit())):
        errors.append({"type": "int_parsing", "loc": ("body", field), "msg": "Input should be a valid integer, unable to parse string as an integer", "input": x})
        return default
    n = int(x)
    if ge is not None and n < ge:
        errors.append({"type": "greater_than_equal", "loc": ("body", field), "msg": f"Input should be greater than or equal to {ge}", "input": x, "ctx": {"ge": ge}})
    return n


def common(body: dict, state, errors: list[dict]) -> dict:
    trunc = as_int(body, "truncate_prompt_tokens", None, errors, ge=-1)
    priority = as_int(body, "priority", 0, errors)
    ua = body.get("use_activation")
    if ua is not None and not isinstance(ua, bool):
        errors.append({"type": "bool_parsing", "loc": ("body", "use_activation"), "msg": "Input should be a valid boolean", "input": ua})
    if errors:
        raise invalid(errors)
    if trunc is not None and trunc > state.max_model_len:
        raise bad("truncate_prompt_tokens value is greater than max_model_len. Please, select a smaller truncation size.")
    if priority:
        raise bad("Got priority != 0 but Priority scheduling is not enabled.")
    return {"truncate_prompt_tokens": trunc, "use_activation": ua}


def text_type_errors(value, field: str) -> list[dict]:
    return [
        {"type": "string_type", "loc": ("body", field, "str"), "msg": "Input should be a valid string", "input": value},
        {"type": "model_type", "loc": ("body", field, "ScoreMultiModalParam"), "msg": "Input should be a valid dictionary or instance of ScoreMultiModalParam", "input": value},
    ]


def text_list(value, field: str, errors: list[dict]) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return value
    if isinstance(value, list):
        for i, x in enumerate(value):
            if not isinstance(x, str):
                errors.append({"type": "string_type", "loc": ("body", field, "list[str]", i), "msg": "Input should be a valid string", "input": x})
    else:
        errors.extend(text_type_errors(value, field))
    return []


def rerank_request(body, state) -> dict:
    check_object(body)
    check_model(body, state)
    errors: list[dict] = []
    query = body.get("query")
    if "query" not in body:
        errors.append(missing("query", body))
    elif not isinstance(query, str):
        errors.extend(text_type_errors(query, "query"))
    docs: list[str] = []
    if "documents" not in body:
        errors.append(missing("documents", body))
    else:
        docs = text_list(body["documents"], "documents", errors)
    top_n = as_int(body, "top_n", 0, errors)
    req = common(body, state, errors)
    if not docs:
        raise bad("At least one text_pair element must be given")
    warn_ignored(body, RERANK_FIELDS)
    return {**req, "query": query, "documents": docs, "top_n": top_n}


def score_request(body, state) -> dict:
    check_object(body)
    check_model(body, state)
    errors: list[dict] = []
    form = next((f for f in SCORE_FORMS if f[0] in body and f[1] in body), None)
    if form is None:
        left = next((k for k in ("queries", "data_1", "text_1") if k in body), "text_1")
        right = {"queries": "documents", "data_1": "data_2", "text_1": "text_2"}[left]
        raise invalid([missing(k, body) for k in (left, right) if k not in body])
    lhs = text_list(body[form[0]], form[0], errors)
    rhs = text_list(body[form[1]], form[1], errors)
    req = common(body, state, errors)
    if not lhs:
        raise bad("At least one text element must be given")
    if not rhs:
        raise bad("At least one text_pair element must be given")
    if len(lhs) == 1:
        pairs = [(lhs[0], d) for d in rhs]
    elif len(lhs) == len(rhs):
        pairs = list(zip(lhs, rhs))
    else:
        raise bad("Input lengths must be either 1:1, 1:N or N:N")
    warn_ignored(body, SCORE_FIELDS)
    return {**req, "pairs": pairs}


def input_request(body, state):
    check_object(body)
    check_model(body, state)
    errors: list[dict] = []
    texts: list[str] = []
    if "input" not in body:
        errors.append(missing("input", body))
    else:
        texts = text_list(body["input"], "input", errors)
    req = common(body, state, errors)
    if not texts:
        raise bad("Input must not be empty")
    return texts, req["use_activation"]


def tokenize_request(body, state):
    check_object(body)
    check_model(body, state)
    if "prompt" not in body:
        raise invalid([missing("prompt", body)])
    if not isinstance(body["prompt"], str):
        raise invalid([{"type": "string_type", "loc": ("body", "prompt"), "msg": "Input should be a valid string", "input": body["prompt"]}])
    return body["prompt"], body.get("add_special_tokens", True) is not False, body.get("return_token_strs") is True


def detokenize_request(body, state) -> list[int]:
    check_object(body)
    check_model(body, state)
    tokens = body.get("tokens")
    if "tokens" not in body:
        raise invalid([missing("tokens", body)])
    if not isinstance(tokens, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tokens):
        raise invalid([{"type": "list_type", "loc": ("body", "tokens"), "msg": "Input should be a valid list of integers", "input": tokens}])
    return tokens
