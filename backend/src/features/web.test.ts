import { describe, expect, it } from 'vitest';
import { createParser } from '../parsing/index.js';
import { normalAccessLog, plantedAccessLine } from '../../test/fixtures/logs.js';
import { TemplateIndex } from '../templates/index.js';
import { buildSchema, LineFeaturizer, WEB, WebBaselineBuilder, WebSample } from './index.js';
import { routeOf } from '../templates/route.js';

/** Learns templates and baselines from `train`, then returns a function giving the feature row of a line. */
function webFeatures(train: string[]) {
  const parser = createParser('apache');
  const templates = TemplateIndex.create('routes');
  const baseline = new WebBaselineBuilder();
  for (const raw of train) {
    const p = parser.parse(raw);
    baseline.observe(p, templates.learn(p));
  }
  templates.seal();
  const featurizer = new LineFeaturizer(buildSchema('apache', []), templates, baseline.finish());
  return (raw: string) => {
    const p = parser.parse(raw);
    return Array.from(featurizer.fill(p, templates.lookup(p)));
  };
}

describe('routes', () => {
  it('masks identifiers in paths and keeps routes apart', () => {
    expect(routeOf('GET', '/products/8812')).toBe('GET /products/<*>');
    expect(routeOf('GET', '/u/3f2a9c1b7d/orders/12')).toBe('GET /u/<*>/orders/<*>');
    expect(routeOf('GET', '/static/img/p1427.jpg')).toBe('GET /static/img/p<*>.jpg');
    expect(routeOf('GET', '/static/app.3f2a1b9c.js')).toBe('GET /static/app.<*>.js');
    expect(routeOf('GET', '/api/v2/items/123e4567-e89b-12d3-a456-426614174000')).toBe('GET /api/v<*>/items/<*>');
    expect(routeOf('GET', '/api/users')).not.toBe(routeOf('GET', '/api/orders'));
  });

  it('masks hex runs of eight letters or more and segments with an @, in either case', () => {
    expect(routeOf('GET', '/deadbeef/x')).toBe('GET /<*>/x');
    expect(routeOf('GET', '/DEADBEEF')).toBe('GET /<*>');
    expect(routeOf('GET', '/deadbee')).toBe('GET /deadbee');
    expect(routeOf('GET', '/u/ann@example.org/cart')).toBe('GET /u/<*>/cart');
    expect(routeOf('GET', `/${'x'.repeat(300)}`)).toBe(`GET /${'x'.repeat(199)}`);
  });
});

describe('web line features', () => {
  const train = normalAccessLog(3000);
  const features = webFeatures(train);

  it('reads status class, method, path shape and the user-agent class', () => {
    const row = features(
      plantedAccessLine(3001, { method: 'DELETE', target: '/api/users/12/x?id=1', status: 503, ua: 'sqlmap/1.7' }),
    );
    expect(row[WEB.status_class]).toBe(5);
    expect(row[WEB.method]).toBe(5);
    expect(row[WEB.path_depth]).toBe(4);
    expect(row[WEB.query_length]).toBe(4);
    expect(row[WEB.ua_class]).toBe(4);
    expect(row[WEB.template_novel]).toBe(1);
  });

  it('measures bytes against the route baseline', () => {
    const usual = features(plantedAccessLine(3001, { target: '/api/orders', bytes: 2000 }));
    const huge = features(plantedAccessLine(3002, { target: '/api/orders', bytes: 2_000_000 }));
    expect(Math.abs(usual[WEB.bytes_z])).toBeLessThan(1);
    expect(huge[WEB.bytes_z]).toBeGreaterThan(10);
    // the same size is ordinary for no route that answers 500 bytes
    const small = features(plantedAccessLine(3003, { target: '/', bytes: 2000 }));
    expect(small[WEB.bytes_z]).toBeGreaterThan(3);
  });

  it('sets an attack flag per category and counts special characters', () => {
    const row = features(plantedAccessLine(3001, { target: "/search?q=1'%20UNION%20SELECT%20*%20FROM%20users--" }));
    expect(row[WEB.attack_sqli]).toBe(1);
    expect(row[WEB.attack_xss]).toBe(0);
    expect(row[WEB.special_chars]).toBeGreaterThan(3);
    expect(features(plantedAccessLine(3002, { target: '/search?q=shoes' }))[WEB.attack_sqli]).toBe(0);
  });

  it('gives a rare route a high rarity and a common one a low rarity', () => {
    const common = features(plantedAccessLine(3001, { target: '/cart' }));
    const novel = features(plantedAccessLine(3001, { target: '/wp-admin/setup.php' }));
    expect(common[WEB.template_rarity]).toBeLessThan(1.5);
    expect(novel[WEB.template_rarity]).toBeGreaterThan(common[WEB.template_rarity] + 2);
  });

  it('classes user agents that differ only where the class cache does not sample them', () => {
    const browser = `Mozilla/5.0 ${'x'.repeat(82)}aaaaaz`;
    const tool = `${browser.slice(0, 94)}curl/z`;
    expect(tool.length).toBe(browser.length);
    const classes = [browser, tool, browser, tool, '', tool].map(
      (ua, i) => features(plantedAccessLine(3001 + i, { ua }))[WEB.ua_class],
    );
    expect(classes).toEqual([0, 4, 0, 4, 3, 4]);
  });

  it('tracks a client burst and its error ratio in the sliding window', () => {
    const lines = [...train];
    for (let k = 0; k < 120; k++) lines.push(plantedAccessLine(3000 + k / 4, { ip: '10.9.9.7', status: 404 }));
    const rows = lines.map(features);
    const last = rows[rows.length - 1];
    expect(last[WEB.client_rate]).toBeGreaterThan(rows[100][WEB.client_rate] + 3);
    expect(last[WEB.client_errors]).toBeGreaterThan(Math.log2(100));
  });
});

describe('WebSample', () => {
  it('builds the rows LineFeaturizer gives after training, in the pass that learns the baselines', () => {
    const lines = normalAccessLog(3000, 7);
    lines[10] = 'not an access line';
    lines[500] = plantedAccessLine(500, {
      target: '/search?q=1%27%20UNION%20SELECT%20password--',
      ua: 'sqlmap/1.7.2',
      bytes: 9_000_000,
    });
    for (let k = 0; k < 50; k++) lines[1000 + k] = plantedAccessLine(1000 + k / 10, { ip: '10.9.9.7', status: 500 });
    const parser = createParser('apache');
    const templates = TemplateIndex.create('routes');
    const baseline = new WebBaselineBuilder();
    const sample = new WebSample();
    lines.forEach((raw, i) => {
      const p = parser.parse(raw);
      const hit = templates.learn(p);
      const window = baseline.observe(p, hit);
      if (i < 2500) sample.add(p, hit, window);
    });
    templates.seal();
    const learnt = baseline.finish();
    const X = sample.matrix(learnt, templates);
    const featurizer = new LineFeaturizer(buildSchema('apache', []), templates, learnt);
    const expected = lines.slice(0, 2500).flatMap((raw) => {
      const p = parser.parse(raw);
      return Array.from(featurizer.fill(p, templates.lookup(p)));
    });
    expect(X.rows).toBe(2500);
    expect(Array.from(X.data)).toEqual(expected);
    expect(X.data[500 * X.cols + WEB.attack_sqli]).toBe(1);
    expect(X.data[1049 * X.cols + WEB.client_errors]).toBeGreaterThan(5);
  });
});
