import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { apiFetch, queryRange, setTokenPrompt, TOKEN_KEY } from './api';

/** A real loopback server that, as anomalog with server.token set, answers 401 without `Bearer secret`. */
let server: Server;
let base = '';
const seen: Array<string | undefined> = [];

class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== 'Bearer secret') {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'missing or wrong token' }));
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data: { resultType: 'streams', result: [] } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // The page's relative URLs, resolved against the server as the browser resolves them against the page.
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, init) => realFetch(new URL(String(url), base), init);
  (globalThis as { sessionStorage?: unknown }).sessionStorage = new MemoryStorage();
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the standalone page and a server with a token', () => {
  it('asks for the token once, sends it as Bearer, and keeps it for the session only', async () => {
    let asked = 0;
    setTokenPrompt(() => {
      asked++;
      return 'secret';
    });
    const first = await queryRange('{job="web"}', 0, 1000);
    expect(first.status).toBe('success');
    expect(asked).toBe(1);
    expect(sessionStorage.getItem(TOKEN_KEY)).toBe('secret');
    await queryRange('{job="web"}', 0, 1000);
    expect(asked).toBe(1);
    expect(seen.slice(-1)).toEqual(['Bearer secret']);
  });

  it('forgets a refused token and gives the 401 back when the user cancels', async () => {
    sessionStorage.setItem(TOKEN_KEY, 'stale');
    setTokenPrompt(() => null);
    const res = await apiFetch('loki/api/v1/labels');
    expect(res.status).toBe(401);
    expect(sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });
});
