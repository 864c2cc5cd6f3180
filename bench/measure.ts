/** One measurement: a workload on a server under autocannon for some seconds, with the server's costs. */
import autocannon from 'autocannon';
import { CONNECTIONS } from './common.ts';
import { postgresCpuSeconds } from './cpu.ts';
import type { Server } from './servers.ts';
import type { Workload } from './workloads.ts';

export interface Measurement {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  statementsPerRequest: number;
  /**
   * CPU per request in microseconds: the server process, all of PostgreSQL, and this process (the load
   * generator). On a shared machine these add up to what one request costs the whole box.
   */
  cpuMicros: { server: number; postgres: number; load: number };
  /** The server's largest RSS sampled (every 100 ms) during this measurement, in bytes. */
  rssBytes: number;
}

export async function measure(server: Server, workload: Workload, seconds: number): Promise<Measurement> {
  let bad = 0;
  const before = await server.statements();
  const cpuBefore = { server: server.cpuSeconds(), postgres: postgresCpuSeconds(), load: process.cpuUsage() };
  let rssBytes = server.rss();
  const sampler = setInterval(() => {
    rssBytes = Math.max(rssBytes, server.rss());
  }, 100);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: workload.method,
        setupRequest: (request) => {
          const next = workload.next();
          return {
            ...request,
            method: workload.method,
            path: next.path,
            headers: {
              ...workload.headers,
              ...(next.cookie ? { cookie: `sg_session=${next.cookie}` } : {}),
            },
            ...(next.body === undefined ? {} : { body: next.body }),
          };
        },
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && !workload.ok(body)) bad += 1;
        },
      },
    ],
  });
  clearInterval(sampler);
  const after = await server.statements();
  const requests = result.requests.total;
  const load = process.cpuUsage(cpuBefore.load);
  const perRequest = (seconds: number) => (requests > 0 ? (seconds * 1e6) / requests : 0);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    errors: result.errors + result.timeouts + result.non2xx + bad,
    statementsPerRequest: requests > 0 ? (after - before) / requests : 0,
    cpuMicros: {
      server: perRequest(server.cpuSeconds() - cpuBefore.server),
      postgres: perRequest(postgresCpuSeconds() - cpuBefore.postgres),
      load: perRequest((load.user + load.system) / 1e6),
    },
    rssBytes,
  };
}
