import { Faker, base, en } from '@faker-js/faker';

/** Value pools built once with a seeded faker; the hot paths sample them with the fast Rng. */
export interface Pools {
  clientIps: string[];
  attackerIps: string[];
  browserAgents: string[];
  crawlerAgents: string[];
  usernames: string[];
  searchTerms: string[];
  productIds: number[];
  productNames: string[];
  externalReferers: string[];
}

const CRAWLERS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)',
];

const BOT_UA = /bot|crawl|spider|slurp/i;

const cache = new Map<number, Pools>();

/** Faker builds strings as ropes; a flat copy keeps every later concatenation and write cheap. */
const flat = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

export function buildPools(seed: number): Pools {
  const hit = cache.get(seed);
  if (hit) return hit;
  const faker = new Faker({ locale: [en, base] });
  faker.seed(seed);
  const unique = <T>(n: number, make: () => T): T[] => [...new Set(Array.from({ length: n }, make))];
  const publicIp = () =>
    `${faker.number.int({ min: 11, max: 223 })}.${faker.number.int(255)}.${faker.number.int(255)}.${faker.number.int({ min: 1, max: 254 })}`;
  const browserAgents = unique(600, () => faker.internet.userAgent())
    .filter((ua) => !BOT_UA.test(ua))
    .slice(0, 300);
  const searchTerms = unique(400, () =>
    faker.helpers
      .arrayElement([faker.commerce.product(), faker.commerce.productAdjective(), faker.word.noun()])
      .toLowerCase(),
  ).map((t) => encodeURIComponent(t).replace(/%20/g, '+'));
  const pools: Pools = {
    clientIps: unique(5000, publicIp),
    attackerIps: unique(600, publicIp),
    browserAgents,
    crawlerAgents: CRAWLERS,
    usernames: unique(2000, () => faker.internet.username().toLowerCase()),
    searchTerms,
    productIds: unique(3000, () => faker.number.int({ min: 1, max: 99999 })),
    productNames: unique(300, () => faker.commerce.productName()),
    externalReferers: [
      'https://www.google.com/',
      'https://www.bing.com/',
      'https://duckduckgo.com/',
      ...unique(60, () => faker.internet.url({ appendSlash: true })),
    ],
  };
  for (const list of Object.values(pools))
    list.forEach((v: unknown, i: number, a: unknown[]) => (a[i] = typeof v === 'string' ? flat(v) : v));
  cache.set(seed, pools);
  return pools;
}
