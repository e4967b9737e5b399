import { describe, expect, it } from 'vitest';
import { levelRank } from '../parsing/level.js';
import { attackHits, describeAttack } from './attacks.js';
import { normalise } from './decode.js';
import { KEYWORDS, keywordMask, keywordWords } from './keywords.js';
import { uaClass, uaToolName } from './user-agent.js';

const described = (target: string) => attackHits(target).map(describeAttack);

describe('attack patterns', () => {
  it('names the SQL injection it found and the decoded fragment, also when URL-encoded', () => {
    expect(described("/search?q=1' UNION SELECT username,password FROM users--")).toEqual([
      "SQL injection (UNION SELECT): 1' union select username,password from users--",
    ]);
    expect(described('/api/users?id=1%20OR%201=1')).toEqual(['SQL injection (OR expression): 1 or 1=1']);
    expect(described('/s?q=1%2527%2520union%2520select%25201')).toEqual([
      "SQL injection (UNION SELECT): 1' union select 1",
    ]);
  });

  it('finds XSS, traversal and command injection, one hit per category', () => {
    expect(described('/search?q=<script>alert(1)</script>')).toEqual(['XSS (<script> tag): <script>alert(1)</script>']);
    expect(described('/admin/../../etc/passwd')).toEqual([
      'path traversal (sensitive file etc/passwd): /admin/../../etc/passwd',
    ]);
    expect(described('/download?f=%2e%2e%2fetc%2fshadow')).toEqual([
      'path traversal (sensitive file etc/shadow): ../etc/shadow',
    ]);
    expect(described('/.env')).toEqual(['path traversal (probe for .env): /.env']);
    // phpMyAdmin under the names scanners try, and Nmap's checks of how a server answers a page it lacks
    expect(described('/PMA/')).toEqual(['path traversal (probe for pma): /pma/']);
    expect(described('/phpMyAdmin-2.5.1/')).toEqual(['path traversal (probe for phpmyadmin): /phpmyadmin-2.5.1/']);
    expect(described('/NmapUpperCheck1737282639')).toEqual([
      'path traversal (probe for nmapuppercheck): /nmapuppercheck1737282639',
    ]);
    expect(described('/Nmap/folder/check1737282639')).toHaveLength(1);
    // exploits' targets no site serves, whoever asks for them (three scanners asked a real site for eval-stdin.php)
    expect(described('/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php')).toEqual([
      'path traversal (probe for vendor/phpunit/): /vendor/phpunit/phpunit/src/util/php/eval-stdin.php',
    ]);
    expect(described('/HNAP1/')).toEqual(['path traversal (probe for hnap1): /hnap1/']);
    const cmd = described('/cgi-bin/test.cgi?cmd=;cat%20/etc/shadow');
    expect(cmd).toContain('command injection (command cat after a separator): ;cat /etc/shadow');
    expect(cmd).toContain('path traversal (sensitive file etc/shadow): ;cat /etc/shadow');
  });

  it('leaves ordinary requests alone', () => {
    const ordinary = [
      '/',
      '/products/1234',
      '/search?q=shoes',
      '/search?q=black and white shoes',
      '/search?q=black+and+white+shoes',
      '/api/orders?page=2&sort=desc',
      "/blog/don't-panic",
      "/s?q=o'neil+and+smith",
      '/s?q=rock+%26+roll',
      '/s?q=5+in+stock',
      '/s?q=type+2+diabetes',
      '/s?q=more+info',
      '/s?q=find+shoes',
      '/login?next=%2Faccount',
      '/s?q=100%25+cotton',
      '/r?to=https%3A%2F%2Fshop.example.com%2Fcart',
      '/s?email=jo%40importadores.es',
      '/s?q=a+%3C+b',
      '/s?q=c%2F+caridad+s%2Fn',
      '/pmanager/reports',
      '/docs/nmap-guide.html',
      '/mypma',
      '/docs/hnap1-guide',
    ];
    for (const t of ordinary) expect(attackHits(t), t).toEqual([]);
  });

  it('reads a path and its query as the target path?query', () => {
    const targets = [
      '/x/or',
      '/api/users?id=1%20OR%201=1',
      '/a?and=1',
      '/s?q=1%2527%2520union%2520select%25201',
      '/cgi-bin/t.cgi?cmd=;cat%20/etc/shadow',
      '/p?q=x',
      '/a?b?c',
    ];
    for (const target of targets) {
      const q = target.indexOf('?');
      if (q >= 0) expect(attackHits(target.slice(0, q), target.slice(q + 1)), target).toEqual(attackHits(target));
    }
    expect(attackHits('/x/1', "1' or '1")).toEqual(attackHits("/x/1?1' or '1"));
  });

  it('decodes percent escapes until stable and plus signs', () => {
    expect(normalise('a+b%2520c')).toBe('a b c');
    expect(normalise('%zz')).toBe('%zz');
  });
});

describe('user agents', () => {
  it('classes browsers, bots, tools and empty agents', () => {
    expect(uaClass('Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0')).toBe('browser');
    expect(uaClass('Googlebot/2.1 (+http://www.google.com/bot.html)')).toBe('bot');
    expect(uaClass('sqlmap/1.7.2#stable (https://sqlmap.org)')).toBe('tool');
    expect(uaClass('curl/7.68.0')).toBe('tool');
    expect(uaClass('masscan/1.3')).toBe('tool');
    expect(uaClass('ZmEu')).toBe('tool');
    expect(uaClass('Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)')).toBe('tool');
    expect(uaClass('Mozilla/5.0 [en] (X11, U; OpenVAS-VT 9.0.3)')).toBe('tool');
    expect(uaClass('-')).toBe('empty');
    expect(uaClass('')).toBe('empty');
    expect(uaToolName('Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)')).toBe('nikto');
  });
});

describe('levels and keywords', () => {
  it('ranks levels from debug to fatal', () => {
    expect([levelRank('DEBUG'), levelRank('INFO'), levelRank('WARN'), levelRank('ERROR'), levelRank('FATAL')]).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(levelRank(undefined)).toBe(1);
    expect(levelRank('crit')).toBe(4);
  });

  it('flags trouble keywords', () => {
    const keywordsOf = (mask: number) => KEYWORDS.filter((_, i) => mask & (1 << i));
    expect(keywordsOf(keywordMask('java.net.SocketTimeoutException: connect timed out'))).toEqual([
      'exception',
      'timeout',
    ]);
    expect(keywordsOf(keywordMask('Connection refused by 10.0.0.1'))).toEqual(['refused']);
    expect(keywordsOf(keywordMask('Out of memory: Kill process 123'))).toEqual(['memory']);
    expect(keywordsOf(keywordMask('Permission denied'))).toEqual(['denied']);
    // A mail server's undelivered mail (Postfix, a real mail.log): a refusal by the receiving side, or by itself
    const bounce =
      '263C9C030B: to=<admin@assolive.com>, relay=none, delay=0.05, dsn=5.4.6, status=bounced (mail for hostname.assolive.com loops back to myself)';
    expect(keywordsOf(keywordMask(bounce))).toEqual(['refused']);
    expect(keywordsOf(keywordMask('Recipient address rejected: User unknown'))).toEqual(['refused']);
    expect(keywordsOf(keywordMask('Server primary/DB1 is DOWN, reason: Layer7 wrong status'))).toEqual(['refused']);
    expect(keywordsOf(keywordMask('Byte flume reports host unavailable.'))).toEqual(['refused']);
    expect(keywordMask('System is shutting down; download of update.zip complete')).toBe(0);
    expect(keywordMask('1FA5DC0A40: to=<a@b.com>, relay=mx.b.com[1.2.3.4]:25, dsn=2.0.0, status=sent (250 OK)')).toBe(
      0,
    );
    expect(keywordMask('Receiving block blk_1 src: /10.0.0.1:5000')).toBe(0);
    // An error's class name says what it is (a Rails log's `RuntimeError (...)`, Python's `KeyError`); a word that
    // ends in the letters is none, nor is a timeout a setting states.
    expect(keywordWords('RuntimeError (--- !map:HashWithIndifferentAccess')).toEqual(['RuntimeError']);
    expect(keywordWords("KeyError: 'id'")).toEqual(['KeyError']);
    expect(keywordMask('a terror plot; STDERROR; onError handler installed')).toBe(0);
    expect(keywordMask('dhcp4 (enp0s31f6): activation: beginning transaction (timeout in 45 seconds)')).toBe(0);
    expect(keywordWords('Connection timeout after 30 seconds')).toEqual(['timeout']);
    // vsftpd's `FAIL LOGIN`, a bare `fail`; not fail2ban's name
    expect(keywordWords('[Administrator] FAIL LOGIN: Client "211.237.40.170"')).toEqual(['FAIL']);
    expect(keywordMask('fail2ban.server: Starting Fail2ban v0.11')).toBe(0);
  });

  it('reads no trouble in a name: a flag, a key or a snake-case word, and finds the word where it stands alone', () => {
    const keywordsOf = (message: string) => KEYWORDS.filter((_, i) => keywordMask(message) & (1 << i));
    expect(keywordsOf('FLAG: --authorization-webhook-cache-unauthorized-ttl="30s"')).toEqual([]);
    expect(keywordsOf('pool ready: connect_timeout=30 failed_jobs=0 max-errors 5')).toEqual([]);
    expect(keywordsOf('error-rate 0.1, then error: disk gone')).toEqual(['exception']);
    expect(keywordsOf('Out of memory: Kill process 123; invoked oom-killer')).toEqual(['memory']);
    expect(keywordsOf('kernel: foo invoked oom-killer: gfp_mask=0x201da')).toEqual(['memory']);
    expect(keywordWords('java.io.IOException: Broken pipe')).toEqual(['Exception', 'Broken pipe']);
    // a setting's name: a key in a configuration dump, a JVM's command-line option; the error itself still counts
    expect(keywordsOf('Node configuration:[permissions_validity_in_ms=2000; phi_convict_threshold=8.0]')).toEqual([]);
    expect(keywordsOf('JVM Arguments: [-Xss256k, -XX:+HeapDumpOnOutOfMemoryError, -Dnet.timeout=5]')).toEqual([]);
    expect(keywordWords('java.lang.OutOfMemoryError: Java heap space')).toEqual(['OutOfMemoryError', 'OutOfMemory']);
    expect(keywordsOf('-ERR unknown command, then failed')).toEqual(['exception']);
  });
});
