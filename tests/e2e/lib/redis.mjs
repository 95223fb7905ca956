// Start a private `redis-server` (Debian's, installed by scripts/setup.sh) for end-to-end tests.
//
//   const redis = await startRedis({ password: 'pw' });
//   ... redis.port, redis.pid ...
//   await redis.pause(); await redis.resume();   // SIGSTOP / SIGCONT
//   await redis.stop();                          // by pid; redis.restart() starts it again, empty
//   await redis.save(); ...; await redis.restart(); // restarted from that older snapshot
//
// It listens on 127.0.0.1 on a free port, writes nothing on its own (--save '' --appendonly no)
// into its own temp dir (removed at exit), and is stopped by its pid, never by name. Only an
// explicit save() writes a dump (dump.rdb), which the next restart() loads.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './wrangler.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Send one inline command and return the first reply line (for readiness checks). */
export function redisCommand(port, line, password) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('redis did not answer'));
    }, 2_000);
    socket.on('connect', () => {
      if (password) socket.write(`AUTH ${password}\r\n`);
      socket.write(`${line}\r\n`);
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const lines = data.split('\r\n').filter((l) => l !== '');
      if (lines.length >= (password ? 2 : 1)) {
        clearTimeout(timer);
        socket.end();
        resolve(lines[lines.length - 1]);
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Start redis-server.
 * @param {{password?: string, port?: number}} [options]
 */
export async function startRedis({ password, port } = {}) {
  port ??= await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-redis-'));
  let child = null;
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir, '--dbfilename', 'dump.rdb');
    if (password) args.push('--requirepass', password);
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await redisCommand(port, 'PING', password)) === '+PONG') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await sleep(50);
    }
  };
  await launch();
  const self = {
    port,
    get pid() {
      return child?.pid;
    },
    /** SIGSTOP: the port still accepts connections, nothing answers. */
    pause: () => process.kill(child.pid, 'SIGSTOP'),
    resume: () => process.kill(child.pid, 'SIGCONT'),
    /** Kill it (SIGKILL: no clean shutdown, like a crash) and wait for the exit. */
    stop: async () => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(child.pid, 'SIGCONT');
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
    /** SAVE: write the data as of now to the dump file (an RDB snapshot). */
    save: async () => {
      const reply = await redisCommand(port, 'SAVE', password);
      if (reply !== '+OK') throw new Error(`SAVE answered ${reply}`);
    },
    /** Start again on the same port: empty, or from the last save()'s dump when there was one. */
    restart: async () => {
      await self.stop();
      await launch();
    },
    command: (line) => redisCommand(port, line, password),
  };
  const kill = () => {
    try {
      if (child && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', kill);
  // Interrupted runs too (a signal ends the process without 'exit'). `once`: the wrangler
  // harness re-raises the signal after its own cleanup, which must then end the process.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, kill);
  return self;
}

/** Whether redis-server is installed. */
export function haveRedis() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
