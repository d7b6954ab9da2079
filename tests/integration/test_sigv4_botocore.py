"""SigV4 cross-check: the same generated requests signed by our C signer and by botocore
(Debian's python3-botocore) must give byte-identical Authorization headers.

Requests cover every method, unicode/space/dot-segment paths, repeated and empty query
keys and values, header values with odd whitespace, repeated headers, bodies, session
tokens and non-default ports. The generator is seeded, so a failure is reproducible.
"""
import base64
import datetime
import json
import random
import subprocess
import urllib.parse
from unittest import mock


from conftest import binary

# botocore is the reference: without it this cross-check would prove nothing, so a missing
# botocore fails the run (scripts/install-deps.sh installs python3-botocore) instead of skipping.
try:
    import botocore  # noqa: E402
except ImportError as e:
    raise ImportError("botocore is required for the SigV4 cross-check: install python3-botocore "
                      "(scripts/install-deps.sh)") from e
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

N_CASES = 300
SEED = 20261127

PATH_CHARS = ["a", "Z", "0", "-", "_", ".", "~", " ", "ሴ", "é", "+", "=", "&", "%", "!",
              "$", "'", "(", ")", "*", ",", ";", ":", "@", "中文", "😀"]
QUERY_CHARS = PATH_CHARS + ["/", "?", "#"]
HEADER_NAMES = ["X-Amz-Target", "Content-Type", "My-Header", "x-custom-A", "X-CUSTOM-b",
                "Accept", "Content-Encoding", "X-Amz-Meta-Thing"]
WS = [" ", "  ", "\t", " \t "]


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


def wire(s):
    """What a client puts on the wire: SigV4's unreserved set kept, the rest %XX."""
    return urllib.parse.quote(s, safe="-_.~")


def gen_case(rng):
    method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"])
    segs = []
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        if r < 0.1:
            segs.append(".")
        elif r < 0.15:
            segs.append("..")
        elif r < 0.2:
            segs.append("")
        else:
            segs.append(wire(rand_text(rng, PATH_CHARS, 1, 6)))
    path = "/" + "/".join(segs)
    if rng.random() < 0.2:
        path += "/"
    pairs = []
    for _ in range(rng.randint(0, 5)):
        key = "" if rng.random() < 0.1 else rand_text(rng, QUERY_CHARS, 1, 5)
        if pairs and rng.random() < 0.25:
            key = urllib.parse.unquote(pairs[-1][0])  # repeated key
        val = "" if rng.random() < 0.3 else rand_text(rng, QUERY_CHARS, 1, 6)
        noeq = val == "" and rng.random() < 0.5
        pairs.append((wire(key), None if noeq else wire(val)))
    query = "&".join(k if v is None else f"{k}={v}" for k, v in pairs)
    headers = []
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(HEADER_NAMES)
        words = [rand_text(rng, list("abcXYZ019-=/;,\"'"), 1, 5) for _ in range(rng.randint(1, 3))]
        value = rng.choice(WS + [""]) + rng.choice(WS).join(words) + rng.choice(WS + [""])
        headers.append([name, value])
    body = b""
    if method in ("POST", "PUT", "PATCH") and rng.random() < 0.8:
        body = rand_text(rng, PATH_CHARS, 0, 200).encode()
    port = rng.choice([None, None, 8000, 443])
    scheme = rng.choice(["https", "http"])
    host = rng.choice(["dynamodb.us-east-1.amazonaws.com", "ssm.eu-central-1.amazonaws.com",
                       "127.0.0.1", "example.amazonaws.com"])
    token = None
    if rng.random() < 0.4:
        token = base64.b64encode(rng.randbytes(rng.randint(16, 300))).decode()
    return {
        "method": method, "path": path, "query": query, "headers": headers, "body": body,
        "scheme": scheme, "host": host, "port": port,
        "key": "AKIDEXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "token": token,
        "region": rng.choice(["us-east-1", "eu-central-1", "cn-north-1"]),
        "service": rng.choice(["dynamodb", "ssm", "service", "execute-api"]),
        "now": 1440938160 + rng.randint(0, 10**8),
    }


def botocore_sign(case):
    netloc = case["host"] + (f":{case['port']}" if case["port"] else "")
    url = f"{case['scheme']}://{netloc}{case['path']}"
    if case["query"]:
        url += "?" + case["query"]
    req = AWSRequest(method=case["method"], url=url, data=case["body"])
    for name, value in case["headers"]:
        req.headers[name] = value  # email.message semantics: appends, keeps repeats
    creds = Credentials(case["key"], case["secret"], case["token"])
    auth = SigV4Auth(creds, case["service"], case["region"])
    fixed = datetime.datetime.utcfromtimestamp(case["now"])

    class FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed

    with mock.patch("botocore.auth.datetime.datetime", FixedDatetime):
        auth.add_auth(req)
        signed = req.headers["Authorization"]
        del req.headers["Authorization"]
        canonical = auth.canonical_request(req)
        req.headers["Authorization"] = signed
    # The Host value botocore signed (default ports dropped), which our signer is given.
    host = botocore.auth._host_from_url(url)
    return req.headers["Authorization"], canonical, host


def test_authorization_headers_match_botocore_byte_for_byte():
    rng = random.Random(SEED)
    cases = [gen_case(rng) for _ in range(N_CASES)]
    lines = []
    expected = []
    for case in cases:
        authz, canonical, host = botocore_sign(case)
        expected.append((authz, canonical))
        lines.append(json.dumps({
            "method": case["method"], "path": case["path"], "query": case["query"],
            "headers": [["Host", host]] + case["headers"],
            "body_b64": base64.b64encode(case["body"]).decode(),
            "key": case["key"], "secret": case["secret"], "token": case["token"] or "",
            "region": case["region"], "service": case["service"], "now": case["now"],
        }))
    out = subprocess.run([binary("tools/sigv4sign")], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(got) == N_CASES
    mismatches = []
    for i, (g, (authz, canonical)) in enumerate(zip(got, expected)):
        if g.get("authorization") != authz:
            mismatches.append(f"case {i}: {lines[i]}\n botocore canonical:\n{canonical}\n"
                              f" ours:\n{g.get('canonical', g.get('error'))}")
    assert not mismatches, f"{len(mismatches)} of {N_CASES} differ (seed {SEED}):\n" + \
        "\n".join(mismatches[:3])
