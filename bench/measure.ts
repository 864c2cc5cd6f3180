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
  /**
   * The most requests the workload could make (W8: its users with sessions), or null; `capped` when it made
   * them all before the time was up, its rate then being its requests over the time they took.
   */
  cap: number | null;
  capped: boolean;
  seconds: number;
}

export async function measure(server: Server, workload: Workload, seconds: number): Promise<Measurement> {
  // Set-up and clean-up (W7, W8) stay outside what is measured.
  const cap = (await workload.prepare?.(seconds)) ?? null;
  let bad = 0;
  const before = await server.statements();
  const cpuBefore = { server: server.cpuSeconds(), postgres: postgresCpuSeconds(), load: process.cpuUsage() };
  let rssBytes = server.rss();
  const sampler = setInterval(() => {
    rssBytes = Math.max(rssBytes, server.rss());
  }, 100);
  const started = performance.now();
  let lastResponse = started;
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    // With a cap, each connection stops after its share of it and the run ends when all have.
    ...(cap === null ? {} : { maxOverallRequests: cap }),
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
              ...next.headers,
              ...(next.cookie ? { cookie: `sg_session=${next.cookie}` } : {}),
            },
            ...(next.body === undefined ? {} : { body: next.body }),
          };
        },
        onResponse: (status, body) => {
          lastResponse = performance.now();
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
  const capped = cap !== null && requests >= cap;
  // autocannon's rate is the mean of its one-second samples, which a capped run's idle tail would lower.
  const elapsed = (lastResponse - started) / 1000;
  const measured: Measurement = {
    requestsPerSecond: capped && elapsed > 0 ? requests / elapsed : result.requests.average,
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
    cap,
    capped,
    seconds: capped ? elapsed : seconds,
  };
  if (workload.finish) {
    // autocannon stops with up to CONNECTIONS requests still in the server: let them land first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await workload.finish(measured);
  }
  return measured;
}
