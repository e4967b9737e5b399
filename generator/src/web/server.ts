import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { combineSinks, createSink, type LogSink, type SinkSpec } from '../sinks/index.js';
import { createShopApp, type ShopOptions } from './app.js';

export interface WebAppOptions extends Omit<ShopOptions, 'sink'> {
  port?: number;
  host?: string;
  sinks: SinkSpec[];
}

export interface WebApp {
  url: string;
  sink: LogSink;
  close(): Promise<void>;
}

/** Starts the demo shop on `port` (8081 by default; 0 picks a free one), logging to every sink. */
export async function startWebApp(opts: WebAppOptions): Promise<WebApp> {
  const sink = combineSinks(opts.sinks.map(createSink));
  const { app } = createShopApp({ faultControl: true, ...opts, sink });
  const host = opts.host ?? '0.0.0.0';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 8081, hostname: host }, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err: unknown) => {
    await sink.close(); // the port was taken: nothing stays open
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    sink,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await sink.close();
    },
  };
}
