// Test gRPC client: `--calls N` calls of `--method` (unary, the default; slow; flaky) on one channel, then one List of
// `--items M` (none without --items); prints one result line. A failed call is `{code, details}`.
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { SERVICE } from './grpc-service.mjs';

const { values } = parseArgs({ options: { target: { type: 'string' }, calls: { type: 'string' }, items: { type: 'string' }, method: { type: 'string' } } });
const method = values.method ?? 'unary';
// Each flaky call gets its own body, so each one's first attempt fails.
const run = `${process.pid}-${Date.now()}`;
const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
const client = new Client(values.target, grpc.credentials.createInsecure());
const unary = (i) =>
  new Promise((resolve) =>
    client[method](Buffer.from(method === 'flaky' ? `${run}-${i}` : `call ${i}`), { deadline: Date.now() + 10_000 }, (err, res) =>
      resolve(err ? { code: err.code, details: err.details } : method === 'slow' ? { echo: res.toString() } : JSON.parse(res.toString())),
    ),
  );
const replies = await Promise.all(Array.from({ length: Number(values.calls ?? '1') }, (_, i) => unary(i)));
const items = values.items === undefined ? undefined : await new Promise((resolve) => {
  const got = [];
  const call = client.list(Buffer.from(values.items ?? '0'));
  call.on('data', (m) => got.push(m.toString()));
  call.on('end', () => resolve(got.length));
  call.on('error', (e) => resolve(`error ${e.code}`));
});
client.close();
process.stdout.write(`${JSON.stringify({ event: 'result', replies, items })}\n`);
