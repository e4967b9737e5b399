import type { Rng } from '../random/rng.js';

/** A kind of response: median size in bytes and its log-space spread, median seconds and its spread. */
export interface Profile {
  bytes: number;
  spread: number;
  rt: number;
  rtSpread: number;
}

const profile = (bytes: number, spread: number, rt: number, rtSpread = 0.5): Profile => ({
  bytes,
  spread,
  rt,
  rtSpread,
});

/**
 * The shop's responses, shared by the offline model and the live web app so that both produce the same
 * distributions (a model trained on offline traffic then fits the live app's logs).
 */
export const PROFILES = {
  home: profile(14000, 0.25, 0.03),
  product: profile(11000, 0.25, 0.05),
  search: profile(16000, 0.25, 0.09),
  crawl: profile(9000, 0.25, 0.04),
  cart: profile(6000, 0.25, 0.03),
  emptyCart: profile(3000, 0.25, 0.03),
  login: profile(4200, 0.25, 0.015),
  checkout: profile(7500, 0.25, 0.06),
  errorPage: profile(1100, 0.1, 0.005),
  cartAdd: profile(180, 0.1, 0.03),
  loginOk: profile(210, 0.05, 0.12, 0.3),
  loginFailed: profile(4400, 0.02, 0.12, 0.3),
  orderPlaced: profile(240, 0.1, 0.35, 0.4),
  apiOrders: profile(3500, 0.5, 0.06),
  apiOrderCreated: profile(320, 0.1, 0.08),
  apiUsers: profile(900, 0.3, 0.04),
} satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;

export function sampleBytes(p: Profile, rng: Rng): number {
  return Math.max(1, Math.round(rng.logNormal(p.bytes, p.spread)));
}

export function sampleSeconds(p: Profile, rng: Rng): number {
  return rng.logNormal(p.rt, p.rtSpread);
}

/** Static files have one size each; product images vary by product. */
export const STATIC_BYTES: Record<string, number> = {
  '/static/app.js': 182_000,
  '/static/style.css': 41_000,
  '/favicon.ico': 15_086,
};

export function imageBytes(productId: number): number {
  return 30_000 + ((productId * 7919) % 60_000);
}
