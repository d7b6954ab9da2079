// scan_js.mjs — the scan benchmark's reference client: the same full scan as
// `showtablectl scan` (every item, one DynamoDB-JSON line each, LastEvaluatedKey to the end,
// optional parallel segments), done with the AWS SDK for JavaScript v3.
// usage: node bench/scan_js.mjs --table T [--segments N]   (endpoint etc. from AWS_* env)
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const table = arg("--table");
const segments = Number(arg("--segments", "1"));
if (!table || !(segments >= 1)) {
  console.error("usage: node scan_js.mjs --table T [--segments N]");
  process.exit(2);
}

// Endpoint from AWS_ENDPOINT_URL_DYNAMODB, region and keys from the environment: the SDK
// reads them itself, as showtablectl does.
const client = new DynamoDBClient({});

// Lines are gathered per page and written in one call, as showtablectl writes large blocks.
async function scanSegment(segment) {
  let start;
  let count = 0;
  do {
    const input = { TableName: table, ExclusiveStartKey: start };
    if (segments > 1) Object.assign(input, { Segment: segment, TotalSegments: segments });
    const page = await client.send(new ScanCommand(input));
    let out = "";
    for (const item of page.Items) out += JSON.stringify(item) + "\n";
    if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once("drain", r));
    count += page.Items.length;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

const counts = await Promise.all(Array.from({ length: segments }, (_, i) => scanSegment(i)));
process.stderr.write(JSON.stringify({ items: counts.reduce((a, b) => a + b, 0) }) + "\n");
