// Run schemathesis against the built Worker under `wrangler dev` (local workerd, fresh state)
// with a real redis-server as its aggregate store (so the Redis operator routes answer for real;
// they are 503 `redis_unavailable` by design when Redis is absent or not yet rebuilt): start
// both, rebuild Redis, create one account with a random operator token, then run
// `schemathesis run <url>/openapi.json` with both tokens (scripts/schemathesis.toml) and stop
// the Worker by its process group. Called by scripts/schemathesis.sh, which installs
// schemathesis and passes its path in ST_BIN; extra arguments go to `schemathesis run`.
//
//   ST_BIN=.tmp/schemathesis-venv/bin/schemathesis node scripts/schemathesis-run.mjs --max-examples 20

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ROOT, request, startWorker } from '../tests/e2e/lib/wrangler.mjs';
import { startRedis } from '../tests/e2e/lib/redis.mjs';

const bin = process.env.ST_BIN;
if (!bin) {
  console.error('ST_BIN (the schemathesis executable) is not set; run scripts/schemathesis.sh');
  process.exit(2);
}
const operator = `op_${randomBytes(16).toString('hex')}`;
const redis = await startRedis();
const worker = await startWorker({
  vars: {
    OPERATOR_TOKEN: operator,
    RATE_LIMIT_PER_MIN: '0',
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    REDIS_TLS: 'off',
  },
});
let code = 1;
try {
  const rebuilt = await request(`${worker.url}/api/admin/redis/rebuild`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}` },
  });
  if (rebuilt.status !== 200) throw new Error(`redis rebuild answered ${rebuilt.status}: ${rebuilt.text}`);
  const created = await request(`${worker.url}/api/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}` },
    body: { account_id: 'schemathesis-1' },
  });
  if (created.status !== 201 && created.status !== 200) {
    throw new Error(`POST /api/accounts answered ${created.status}: ${created.text}`);
  }
  const accountToken = created.json.token;
  if (typeof accountToken !== 'string') throw new Error(`no token in ${created.text}`);
  console.log(`wrangler dev on ${worker.url} (pid ${worker.pid}); account schemathesis-1 created`);
  const args = [
    '--config-file', path.join(ROOT, 'scripts', 'schemathesis.toml'),
    'run', `${worker.url}/openapi.json`,
    ...process.argv.slice(2),
  ];
  console.log(`${bin} ${args.join(' ')}`);
  code = await new Promise((resolve) => {
    const child = spawn(bin, args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ST_OPERATOR_TOKEN: operator, ST_ACCOUNT_TOKEN: accountToken, ST_WORKER_URL: worker.url },
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
} catch (e) {
  console.error(e.message);
  console.error(`worker log tail:\n${worker.log()}`);
} finally {
  await worker.stop();
  await redis.stop();
}
process.exit(code);
