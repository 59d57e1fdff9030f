// Child process for the resume test: fetches one CID through a gateway and prints a JSON progress line
// per block, so the parent can SIGKILL it half way.
import { gatewaySource } from '../sources/gateway.ts';
import { Fetcher } from '../fetcher.ts';

const [gateway, cid, out] = process.argv.slice(2);
if (!gateway || !cid || !out) throw new Error('usage: fetch-child.ts GATEWAY CID OUT');
const f = new Fetcher({ sources: [gatewaySource(gateway)], timeoutMs: 10_000, retries: 0, concurrency: 1 });
await f.fetchToFile(cid, out, { onProgress: (p) => process.stdout.write(`${JSON.stringify(p)}\n`) });
process.stdout.write('{"done":true}\n');
