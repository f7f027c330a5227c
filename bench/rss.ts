import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

/** Resident set size of a process, in MiB, from /proc (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

/** Samples a process's RSS every `everyMs` while `work` runs; resolves with the work's result and the peak. */
export async function withPeakRss<T>(pid: number, work: () => Promise<T>, everyMs = 100): Promise<[T, number]> {
  let peak = await rssMiB(pid);
  const timer = setInterval(() => {
    rssMiB(pid).then(
      (rss) => {
        peak = Math.max(peak, rss);
      },
      () => {},
    );
  }, everyMs);
  try {
    const value = await work();
    peak = Math.max(peak, await rssMiB(pid));
    return [value, peak];
  } finally {
    clearInterval(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Opens `count` connections that each long-poll `group` (which has nothing to deliver) for
 * 20 s, as bench/idle-long-polls.ts does, and reads the server's RSS once they settle.
 * Resolves after closing them again. The server must allow that many long-polls.
 */
export async function rssWithIdleLongPolls(pid: number, port: number, group: string, count: number): Promise<number> {
  const polls: Socket[] = [];
  const poll = JSON.stringify({ waitMs: 20_000, maxMessages: 32 });
  try {
    for (let i = 0; i < count; i++) {
      const socket = await openSocket(port);
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.write(
        `POST /v1/groups/${group}/receive HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${poll.length}\r\n\r\n${poll}`,
      );
      polls.push(socket);
    }
    await sleep(2_000);
    return await rssMiB(pid);
  } finally {
    for (const socket of polls) socket.destroy();
    await sleep(500);
  }
}
