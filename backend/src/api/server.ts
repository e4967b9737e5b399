import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import { createApp } from './app.js';
import { LiveTail } from './loki/tail.js';
import type { AppContext } from '../service/context.js';

export interface RunningServer {
  /** http://host:port, with 127.0.0.1 standing in for a wildcard host. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the app (createApp(ctx) unless one is given) until close(); port 0 picks a free port. */
export function startServer(
  ctx: AppContext,
  opts: { port?: number; host?: string; app?: Hono } = {},
): Promise<RunningServer> {
  const app = opts.app ?? createApp(ctx);
  const host = opts.host ?? ctx.config.server.host;
  return new Promise((resolve, reject) => {
    // Live tails (/loki/api/v1/tail) upgrade through the app, so its token check and routes apply to them too.
    const sockets = new WebSocketServer({ noServer: true, maxPayload: 4096 });
    const server = serve({
      fetch: app.fetch,
      port: opts.port ?? ctx.config.server.port,
      hostname: host,
      websocket: { server: sockets },
    }) as Server;
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const tail of LiveTail.openOn(ctx)) tail.close(1001, 'the server is stopping');
            for (const socket of sockets.clients) socket.terminate();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
