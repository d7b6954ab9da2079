"""ddb_relay.py — a DynamoDB endpoint that passes every request on to a real one (dynalite) and
answers with its reply, except where a test says otherwise: an operation can be held for a
while before it is passed on, or answered with an error instead. dynalite's x-amz-crc32 (the
CRC-32 of the body, as DynamoDB sends it) is passed back with the answer.

    with DdbRelay(dynalite_url) as relay:
        relay.hold["Scan"] = 3.0                       # every Scan waits 3 s
        relay.fail_next(1, "500")                      # next request: 500 InternalServerError
        relay.fail_next(2, "missing")                  # ResourceNotFoundException, twice
        relay.ops                                      # the operations seen, in order
        relay.peers                                    # (operation, client (host, port)) each

Faults: "500", "throttle" (ProvisionedThroughputExceededException), "missing"
(ResourceNotFoundException); "damaged": dynalite's answer with its last digit changed (still
valid JSON, now saying something else) and its x-amz-crc32 kept, as if altered on the way. Held requests end early
when the relay stops.
"""
import http.client
import urllib.parse

from awsfake import FakeServer, json_error

JSON_10 = "application/x-amz-json-1.0"
PREFIX = "com.amazonaws.dynamodb.v20120810#"
FAULTS = {
    "500": (500, json_error(PREFIX + "InternalServerError", "Internal server error")),
    "throttle": (400, json_error(PREFIX + "ProvisionedThroughputExceededException",
                                 "The level of configured provisioned throughput for the table was exceeded.")),
    "missing": (400, json_error(PREFIX + "ResourceNotFoundException", "Requested resource not found")),
}
PASSED_ON = ("content-type", "x-amz-target", "x-amz-date", "authorization", "x-amz-security-token")


class DdbRelay(FakeServer):
    def __init__(self, upstream, port=0):
        super().__init__(port, methods=("POST",), request_ids=False)
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port)
        self.hold = {}          # operation -> seconds to wait before passing it on
        self.ops = []
        self.peers = []

    def _handle(self, h):
        op = h.headers.get("X-Amz-Target", "").rpartition(".")[2]
        with self._lock:
            self.ops.append(op)
            self.peers.append((op, h.client_address))
            fault = self._next_fault()
            wait = self.hold.get(op, 0)
        if wait:
            self._stop.wait(wait)
        try:
            if fault in FAULTS:
                status, body = FAULTS[fault]
                h.send_json(status, body, ctype=JSON_10)
                return
            conn = http.client.HTTPConnection(*self.upstream, timeout=30)
            try:
                conn.request("POST", h.path, body=h.raw,
                             headers={k: v for k, v in h.headers.items() if k.lower() in PASSED_ON})
                r = conn.getresponse()
                data = r.read()
                crc = r.getheader("x-amz-crc32")
                if fault == "damaged":
                    at = max(i for i, b in enumerate(data) if 0x30 <= b <= 0x39)
                    data = data[:at] + bytes([0x30 + (data[at] - 0x2f) % 10]) + data[at + 1:]
                h.send_raw(r.status, r.getheader("Content-Type") or JSON_10, data,
                           headers=[("x-amz-crc32", crc)] if crc is not None else ())
            finally:
                conn.close()
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True   # the client gave up while the request was held

    def count(self, op):
        with self._lock:
            return self.ops.count(op)
