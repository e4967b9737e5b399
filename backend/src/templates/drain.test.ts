import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createParser } from '../parsing/index.js';
import { Drain, type DrainState } from './drain.js';
import { maskToken } from './mask.js';
import { HDFS_SAMPLE as HDFS_LOG } from '@anomalog/generator';

const hdfsParser = createParser('hdfs');
const hdfsMessages = readFileSync(HDFS_LOG, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => hdfsParser.parse(l).message);

describe('masking', () => {
  it.each([
    ['blk_-6952295868487656571', '<*>'],
    ['10.251.73.220:50010', '<*>'],
    ['/10.251.73.220:50010', '/<*>'],
    ['0x7fff5fbff8c8', '<*>'],
    ['a1b2c3d4e5f6', '<*>'],
    ['123e4567-e89b-12d3-a456-426614174000', '<*>'],
    ['/products/123', '/products/<*>'],
    ['HTTP/1.1', 'HTTP/<*>'],
    ['2024-03-01', '<*>-<*>-<*>'],
    ['12:00:01.5', '<*>'],
    ['-42', '<*>'],
    ['subdir38/blk_1', 'subdir<*>/<*>'],
    ['deadbeef', '<*>'],
    ['mask=ffffffff', 'mask=<*>'],
    ['FFFFFFFF', '<*>'],
    ['deadbee', 'deadbee'],
    ['Fabaceae', 'Fabaceae'],
    ['AppWindowToken{9f4ef63', 'AppWindowToken{<*>'],
    ['com.huawei.health.g.c@8a2a501', 'com.huawei.health.g.c@<*>'],
    ['Token{a64f992}', 'Token{<*>}'],
    ['BEEF123', 'BEEF<*>'],
    ['t761', 't<*>'],
    ['terminating', 'terminating'],
  ])('%s -> %s', (token, masked) => {
    expect(maskToken(token)).toBe(masked);
  });
});

describe('Drain', () => {
  it('learns templates, generalizing tokens that differ, with ids in order of creation', () => {
    const d = new Drain();
    expect(d.add('Connection from a1b2 closed')).toEqual({
      id: 0,
      template: 'Connection from a<*>b<*> closed',
      params: ['1', '2'],
      isNew: true,
    });
    expect(d.add('Connection from c3 closed')).toEqual({
      id: 0,
      template: 'Connection from <*> closed',
      params: ['c3'],
      isNew: false,
    });
    expect(d.add('Disk sda1 is full')).toMatchObject({
      id: 1,
      template: 'Disk sda<*> is full',
      params: ['1'],
      isNew: true,
    });
    expect(d.add('Connection to 10.0.0.1:80 failed after 3 tries')).toMatchObject({ id: 2, isNew: true });
    expect(d.templates()).toEqual([
      { id: 0, template: 'Connection from <*> closed', count: 2 },
      { id: 1, template: 'Disk sda<*> is full', count: 1 },
      { id: 2, template: 'Connection to <*> failed after <*> tries', count: 1 },
    ]);
  });

  it('masks before mining and returns the original text of each parameter', () => {
    const d = new Drain();
    const m = d.add('Received block blk_-123 of size 67108864 from /10.0.0.1');
    expect(m.template).toBe('Received block <*> of size <*> from /<*>');
    expect(m.params).toEqual(['blk_-123', '67108864', '10.0.0.1']);
  });

  it('collapses runs of masked tokens so lists of any length share a template', () => {
    const d = new Drain();
    const one = d.add('BLOCK* ask 10.0.0.1:50010 to delete blk_1');
    const three = d.add('BLOCK* ask 10.0.0.2:50010 to delete blk_2 blk_-3 blk_4');
    expect(three).toEqual({
      id: one.id,
      template: 'BLOCK* ask <*> to delete <*>',
      params: ['10.0.0.2:50010', 'blk_2 blk_-3 blk_4'],
      isNew: false,
    });
  });

  it('matches without learning: unseen shapes are undefined and nothing changes', () => {
    const d = new Drain();
    d.add('Agent alice logged in from 10.0.0.1');
    const before = JSON.stringify(d.toJSON());
    expect(d.match('Agent alice logged in from 10.0.0.2')).toEqual({
      id: 0,
      template: 'Agent alice logged in from <*>',
      params: ['10.0.0.2'],
      isNew: false,
    });
    expect(d.match('Agent bob logged in from 10.0.0.2')).toBeUndefined();
    expect(d.match('Kernel panic not syncing')).toBeUndefined();
    expect(d.match('Agent alice logged in from 10.0.0.1')).toMatchObject({ id: 0, isNew: false });
    expect(JSON.stringify(d.toJSON())).toBe(before);
  });

  it('routes first tokens beyond maxChildren to a shared wildcard child', () => {
    const d = new Drain({ maxChildren: 3 });
    for (const word of ['alpha', 'beta', 'gamma', 'delta']) d.add(`${word} service started ok`);
    const root = d.toJSON().tree.find((t) => t.length === 4)!.node;
    expect(root.children!.map(([token]) => token)).toEqual(['alpha', 'beta', '<*>']);
    expect(d.match('delta service started ok')?.template).toBe('delta service started ok');
    expect(d.match('omega service started ok')).toBeUndefined();
  });

  it('keeps messages that differ in a literal word apart: `startup` and `shutdown` are two events (loghub Linux E37/E38)', () => {
    const d = new Drain();
    const a = d.add('cupsd startup succeeded');
    const b = d.add('cupsd shutdown succeeded');
    expect(b.id).not.toBe(a.id);
    expect(d.add('Ending TrustedInstaller initialization.').id).not.toBe(
      d.add('Ending TrustedInstaller finalization.').id,
    );
    // A variable part (digits, a masked value) still generalizes.
    expect(d.add('worker w1 finished task 7').id).toBe(d.add('worker w22 finished task 9').id);
  });

  it('a differing value after a key (`hive: SAM,`) or a path is a variable, not a new event', () => {
    const d = new Drain();
    expect(d.add('Loading hive: SOFTWARE, into key').id).toBe(d.add('Loading hive: SAM, into key').id);
    expect(d.add('adding path spec: /mapreduce/*').id).toBe(d.add('adding path spec: /ws/*').id);
  });

  it('masks dates written inside a message, weekday and month names included', () => {
    const d = new Drain();
    const a = d.add('connection from 1.2.3.4 () at Fri Jun 17 20:55:07 2005');
    const b = d.add('connection from 5.6.7.8 () at Sun Jul  3 02:01:00 2005');
    expect(b.id).toBe(a.id);
    expect(a.template).toBe('connection from <*> () at <*>');
  });

  it('joins messages of one event whose variable parts take more tokens (sizes with units, `<1 sec`)', () => {
    const d = new Drain();
    const a = d.add('x.com:443 close, 403 bytes sent, 2197 bytes received, lifetime 00:01');
    const b = d.add('y.com:443 close, 1204 bytes (1.17 KB) sent, 5 bytes received, lifetime <1 sec');
    expect(b.id).toBe(a.id);
    expect(b.params).toContain('(1.17');
    expect(d.add('y.com:443 open through proxy p.com:5070 HTTPS').id).not.toBe(a.id);
  });

  it('only looks at the start of a huge message', () => {
    const d = new Drain();
    const m = d.add(`start ${'word '.repeat(2_000_000)}`);
    expect(m.template.length).toBeLessThanOrEqual(4096);
    expect(d.match(`start ${'word '.repeat(1_000_000)}`)?.id).toBe(m.id);
  });

  it('learns deterministically', () => {
    const a = new Drain();
    const b = new Drain();
    for (const m of hdfsMessages) a.add(m);
    for (const m of hdfsMessages) b.add(m);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
  });

  it('round-trips through JSON: same ids, same matches, same state, and learns on identically', () => {
    const trained = new Drain();
    const half = hdfsMessages.length / 2;
    for (const m of hdfsMessages.slice(0, half)) trained.add(m);
    const state = JSON.parse(JSON.stringify(trained.toJSON())) as DrainState;
    const reloaded = Drain.fromJSON(state);
    expect(reloaded.toJSON()).toEqual(trained.toJSON());
    expect(reloaded.templates()).toEqual(trained.templates());
    for (const m of hdfsMessages) expect(reloaded.match(m)).toEqual(trained.match(m));
    const rest = hdfsMessages.slice(half);
    expect(rest.map((m) => reloaded.add(m))).toEqual(rest.map((m) => trained.add(m)));
    expect(reloaded.toJSON()).toEqual(trained.toJSON());
  });

  it('rejects a foreign or corrupt state with a clear error', () => {
    expect(() => Drain.fromJSON({ version: 2 } as unknown as DrainState)).toThrow(/unsupported Drain state/);
    const bad: DrainState = {
      version: 1,
      options: new Drain().options,
      templates: [],
      tree: [{ length: 1, node: { templates: [3] } }],
    };
    expect(() => Drain.fromJSON(bad)).toThrow(/unknown template 3/);
  });
});

describe('Drain states saved before the word rule, dates and units', () => {
  it('match as they were mined', () => {
    const d = new Drain();
    d.add('job 1 finished in 40 ms');
    d.add('Connection from a1 closed');
    const state = d.toJSON();
    // What an older model holds: no masks version, no wordMismatches option, no signatures.
    const old = JSON.parse(JSON.stringify(state)) as DrainState;
    delete old.masks;
    delete (old.options as Partial<DrainState['options']>).wordMismatches;
    for (const t of old.templates) delete t.signature;
    old.templates[0].tokens = ['job', '<*>', 'finished', 'in', '<*>', 'ms'];
    old.tree = [
      { length: 6, node: { children: [['job', { templates: [0] }]] } },
      ...old.tree.filter((t) => t.length !== 5),
    ];
    const loaded = Drain.fromJSON(old);
    expect(loaded.match('job 7 finished in 41 ms')?.template).toBe('job <*> finished in <*> ms');
    expect(loaded.match('Connection from bob closed')?.id).toBe(1);
    expect(Drain.fromJSON(state).match('job 7 finished in 41 ms')?.template).toBe('job <*> finished in <*>');
  });

  it('keep hex words literal in a state of masking rules 2', () => {
    const d = new Drain();
    d.add('set mask=ffffffff on port 3');
    const v2 = { ...d.toJSON(), masks: 2 } as DrainState;
    v2.templates[0].tokens = ['set', 'mask=ffffffff', 'on', 'port', '<*>'];
    expect(Drain.fromJSON(v2).match('set mask=ffffffff on port 4')?.template).toBe('set mask=ffffffff on port <*>');
    expect(Drain.fromJSON(d.toJSON()).match('set mask=deadbeef on port 4')?.template).toBe('set mask=<*> on port <*>');
  });
});

describe('word positions that prove variable', () => {
  it('merge once five different words came there (user names), and keep four apart (a lifecycle)', () => {
    const d = new Drain();
    const users = ['admin', 'oracle', 'test', 'guest', 'ubuntu', 'postgres', 'git'];
    const ids = users.map((u) => d.add(`Invalid login ${u} from 10.0.0.${u.length}`).id);
    const last = d.add('Invalid login jenkins from 10.0.0.9');
    expect(last.template).toBe('Invalid login <*> from <*>');
    expect(new Set(ids.map((id) => d.resolve(id)))).toEqual(new Set([last.id]));
    expect(d.match('Invalid login admin from 10.0.0.1')?.id).toBe(last.id);
    const states = ['Started', 'Paused', 'Resumed', 'Stopped'].map((s) => d.add(`VM ${s} (Lifecycle Event)`).id);
    expect(new Set(states.map((id) => d.resolve(id))).size).toBe(4);
    // Saved and loaded, the merge holds.
    const loaded = Drain.fromJSON(JSON.parse(JSON.stringify(d.toJSON())) as DrainState);
    expect(loaded.match('Invalid login test from 10.0.0.4')?.id).toBe(last.id);
  });

  it('take in, at the end of learning, the templates their first values started before the variable was learnt', () => {
    const d = new Drain();
    const first = d.add('Invalid login webmaster from 10.0.0.1').id;
    for (const [i, u] of ['test9', 'chen1', 'pg2admin', 'utsims3', 'admin4'].entries())
      d.add(`Invalid login ${u} from 10.0.0.${i}`);
    const variable = d.match('Invalid login test9 from 10.0.0.9')!;
    expect(variable.template).toBe('Invalid login <*> from <*>');
    expect(d.match('Invalid login webmaster from 10.0.0.9')?.id).toBe(first);
    // A variable of fewer lines than five takes nothing in.
    expect(d.absorbInstances((id) => (id === variable.id ? 4 : 1))).toBe(false);
    expect(d.absorbInstances((id) => (id === variable.id ? 5 : 1))).toBe(true);
    expect(d.resolve(first)).toBe(variable.id);
    expect(d.match('Invalid login webmaster from 10.0.0.9')?.template).toBe('Invalid login <*> from <*>');
    // A lifecycle with no variable template in its leaf stays apart.
    const states = ['Started', 'Paused'].map((s) => d.add(`VM ${s} (Lifecycle Event)`).id);
    d.absorbInstances(() => 100);
    expect(new Set(states.map((id) => d.resolve(id))).size).toBe(2);
  });

  it('merge, at the end of learning, five first words before one long message (its subject), not before a short one', () => {
    const d = new Drain();
    const tail =
      "scheduler_evaluate_activity told me to run this job; however, but the start time isn't for 439 seconds.";
    const jobs = [
      'com.apple.icloud.heartbeat:',
      'com.apple.Safari.Update:',
      'com.apple.CacheDelete.daily:',
      'com.apple.Escrow.daily:',
    ];
    const ids = jobs.map((j) => d.add(`${j} ${tail}`).id);
    const actions = ['boot', 'halt', 'wait', 'reboot', 'risBoot'].map((a) => d.add(`${a} (command 2033)`).id);
    // Four subjects are four events: a lifecycle could be.
    expect(d.absorbFirstWords((id) => (id === ids[0] ? 45 : 30))).toBe(false);
    ids.push(d.add(`com.apple.suggestions.harvest: ${tail}`).id);
    expect(d.absorbFirstWords((id) => (id === ids[0] ? 45 : 30))).toBe(true);
    expect(new Set(ids.map((id) => d.resolve(id)))).toEqual(new Set([ids[0]]));
    expect(d.match(`com.apple.Safari.Update: ${tail}`)?.template).toMatch(/^<\*> scheduler_evaluate_activity told me/);
    // A subject never seen finds it too, also after a save and a load.
    const loaded = Drain.fromJSON(JSON.parse(JSON.stringify(d.toJSON())) as DrainState);
    for (const drain of [d, loaded]) expect(drain.match(`com.apple.newjob: ${tail}`)?.id).toBe(ids[0]);
    // Before a message of fewer than four literal tokens the first word is the event.
    expect(new Set(actions.map((id) => d.resolve(id))).size).toBe(5);
  });
});

describe('names', () => {
  it('read the token after `user` as a value from the first line, in a state of masking rules 4 only', () => {
    const d = new Drain();
    const news = d.add('session opened for user news by (uid=0)');
    expect(news.template).toBe('session opened for user <*> by (uid=<*>)');
    expect(d.add('session opened for user cyrus by (uid=0)')).toMatchObject({ id: news.id, params: ['cyrus', '0'] });
    expect(d.add('Invalid user: admin from 10.0.0.1').template).toBe('Invalid user: <*> from <*>');
    // What happened is no name: the words stay, and so do two events.
    expect(d.add('user logged in from 10.0.0.1').template).toBe('user logged in from <*>');
    const created = d.add('user created successfully').id;
    expect(d.add('user deleted successfully').id).not.toBe(created);
    // A last token is no value of its own; names seen before it join it.
    expect(d.add('session closed for user news').template).toBe('session closed for user news');
    expect(d.add('session closed for user cyrus').template).toBe('session closed for user <*>');
    const v3 = { ...d.toJSON(), masks: 3 } as DrainState;
    v3.templates[news.id].tokens = ['session', 'opened', 'for', 'user', 'news', 'by', '(uid=<*>)'];
    expect(Drain.fromJSON(v3).match('session opened for user news by (uid=0)')?.template).toBe(
      'session opened for user news by (uid=<*>)',
    );
  });

  it('make a word position a variable once two names came there, before or after they were seen as names', () => {
    const pam = (u: string) => `authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.1 user=${u}`;
    const failed = (u: string) => `Failed password for ${u} from 10.0.0.1 port 22 ssh2`;
    const d = new Drain();
    d.add(pam('root'));
    d.add(pam('uucp'));
    const root = d.add(failed('root'));
    expect(d.add(failed('uucp'))).toMatchObject({
      id: root.id,
      template: 'Failed password for <*> from <*> port <*> ssh<*>',
    });
    // `user=root` in one token stays a word: loghub reads Linux's `user=root` and `user=guest` as two events.
    expect(d.match(pam('uucp'))?.id).not.toBe(d.match(pam('root'))?.id);

    const later = new Drain();
    const ids = ['root', 'uucp'].map((u) => later.add(failed(u)).id);
    expect(later.resolve(ids[1])).not.toBe(later.resolve(ids[0]));
    for (const u of ['root', 'uucp']) later.add(pam(u));
    expect(later.absorbNamedSlots()).toBe(true);
    expect(later.resolve(ids[1])).toBe(later.resolve(ids[0]));

    // Words never seen as names stay events: `startup` and `shutdown`.
    const words = new Drain();
    for (const u of ['root', 'uucp']) words.add(pam(u));
    const states = ['startup', 'shutdown'].map((w) => words.add(`cupsd ${w} succeeded`).id);
    words.absorbNamedSlots();
    expect(new Set(states.map((id) => words.resolve(id))).size).toBe(2);
  });

  it('keep partly masked tokens apart when one has a word more, not when two ids differ in their letters', () => {
    const d = new Drain();
    const login = d.add('session opened for user root by LOGIN(uid=0)').id;
    expect(d.add('session opened for user news by (uid=0)').id).not.toBe(login);
    const queued = d.add('jA9J1UvC004306: from=root, size=629060, class=0, nrcpts=1').id;
    expect(d.add('jA9J1Wd7019391: from=root, size=1594553, class=0, nrcpts=1').id).toBe(queued);
  });
});

describe('email addresses', () => {
  it('are values wherever they stand in a token, from masking rules 5 on', () => {
    const deferred = (to: string, host: string) =>
      `59F49243F8: to=<${to}>, relay=none, delay=67596, dsn=4.4.1, status=deferred (connect to ${host}[213.163.84.205]:25: Connection refused)`;
    const d = new Drain();
    const first = d.add(deferred('noreply@drozta.us', 'drozta.us'));
    expect(first.template).toBe(
      '<*>: to=<<*>>, relay=none, delay=<*>, dsn=<*>, status=deferred (connect to drozta.us[<*>]:<*>: Connection refused)',
    );
    expect(d.add(deferred('support@lxoukw.us', 'lxoukw.us')).id).toBe(first.id);
    expect(d.add('mail from local@admin queued').template).toBe('mail from local@admin queued');
    const v4 = Drain.fromJSON({ ...new Drain().toJSON(), masks: 4 } as DrainState);
    expect(v4.add(deferred('info@ihpizu.us', 'ihpizu.us')).template).toContain('to=<info@ihpizu.us>,');
  });
});

describe('a message of only variables', () => {
  it('joins the one template of its length, and matches it when scored: a wrapped hash is no new event', () => {
    const d = new Drain();
    const first = d.add('EB1FA857E99CEB9');
    expect(first.template).toBe('<*>');
    expect(d.add('AA6303EA677DF71').id).toBe(first.id);
    expect(d.add('FileVersion: 3.2.2.1911').id).not.toBe(first.id);
    // Loaded, with no cache of what was seen: the search itself must find it.
    const loaded = Drain.fromJSON(JSON.parse(JSON.stringify(d.toJSON())) as DrainState);
    expect(loaded.match('98160AAB4D0AE77')).toMatchObject({ id: first.id, params: ['98160AAB4D0AE77'] });
    expect(loaded.add('B4BE776680C65F5').id).toBe(first.id);
    expect(loaded.match('Hashes:')).toBeUndefined();
  });
});

describe('Drain needles', () => {
  it('name tokens one of which every message matched to a template holds, even one differing at a literal', () => {
    const d = new Drain();
    const seen = [
      'write failed on volume data after retry',
      'write failed on volume logs after retry',
      'Receiving block blk_1 src: /10.0.0.1:50010 dest: /10.0.0.2:50010',
      'session opened for user root by (uid=0)',
      'session "x/y" closed for user root',
    ];
    for (const m of seen) d.add(m);
    // Joins at 6 tokens of 7: `42` is not a word, so it may stand where the template has `after`.
    const other = 'write failed on volume logs 42 retry';
    const probes = [
      ...seen,
      other,
      'write 42 on volume logs after retry',
      'write failed on volume 7 after retry',
      'session "x/y" closed for user 1001',
    ];
    for (const message of probes) {
      const id = d.match(message)?.id;
      expect(id, message).toBeDefined();
      const needles = d.needles(id!);
      expect(needles, message).toBeDefined();
      expect(
        needles!.some((n) => message.includes(n)),
        `${message} holds none of ${needles}`,
      ).toBe(true);
    }
    expect(d.match(other)?.id).toBe(d.match(seen[1])?.id);
    // A token JSON escapes (a quote, a slash) is never a needle: it may not be found as it is in a JSON line.
    expect(d.needles(d.match(seen[4])!.id)!.some((n) => n.includes('"') || n.includes('/'))).toBe(false);
    // Only wildcards: nothing to look for.
    const numbers = new Drain();
    expect(numbers.needles(numbers.add('12 34 56').id)).toBeUndefined();
  });
});
