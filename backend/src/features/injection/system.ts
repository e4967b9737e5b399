/**
 * Payloads aimed at the server's operating system and its fetchers, on normalised text (features/decode.ts):
 * command injection, path traversal and sensitive files, shellshock, log4shell (JNDI lookups), SSRF and file
 * inclusion. Each detector reads the shape of the payload (a command after a shell separator, a path that climbs,
 * a URL to an internal address), not a list of known payloads.
 */

export interface Finding {
  rule: string;
  fragment: string;
}

/** The text around a match, as a reason shows it. */
export function around(s: string, at: number, before = 8): string {
  const start = Math.max(0, at - before);
  return (start > 0 ? '…' : '') + s.slice(start, start + 60) + (start + 60 < s.length ? '…' : '');
}

// ---------------------------------------------------------------------------------------------------------------
// Command injection

/** Programs an injected command runs (Unix and Windows): reconnaissance, fetch, shells, delays, file commands. */
const COMMANDS =
  'id|uname|whoami|hostname|ifconfig|ipconfig|netstat|nslookup|dig|ping|sleep|timeout|wget|curl|fetch|lwp-download|nc|ncat|netcat|telnet|ftp|tftp|' +
  'bash|sh|zsh|ksh|csh|dash|cmd|cmd\\.exe|powershell|pwsh|perl|python[23]?|php|ruby|lua|node|java|' +
  'cat|tac|more|less|head|tail|nl|od|xxd|strings|ls|dir|find|locate|pwd|env|printenv|set|echo|printf|type|' +
  'rm|del|erase|rem|mkdir|rmdir|cp|mv|copy|move|chmod|chown|touch|kill|killall|pkill|ps|tasklist|taskkill|' +
  'net|systeminfo|ver|whoami\\.exe|reg|certutil|bitsadmin|mshta|rundll32|regsvr32|wscript|cscript|' +
  'base64|xargs|awk|sed|grep|tee|crontab|passwd|useradd|shutdown|reboot|mail|sendmail|eval|exec|expr|' +
  'xterm|socat|openssl|ssh|scp|chsh|sudo|su|dd|mknod|mkfifo|ping\\.exe|net\\.exe|nc\\.exe|sleep\\.exe';

/**
 * A command after something that ends the previous one: a shell separator (`;`, `|`, `||`, `&`, `&&`, a new line),
 * a substitution (`` ` ``, `$(`), or a quote or parenthesis that closes the value's literal; optionally a path to a
 * bin directory; then the word ends.
 */
const AFTER_SEPARATOR = new RegExp(
  `(?:[;|\\n\`]|&&?|\\$\\(|\\$\\{ifs\\}|(?:^|\\s)/c\\s|^)\\s*(?:['"(){}]\\s*)*(?:(?:/usr)?(?:/local)?/s?bin/|c:[\\\\/]windows[\\\\/]system32[\\\\/])?(${COMMANDS})(?=$|[\\s;|&'"\`)<>]|\\$\\{ifs\\})`,
);
/** A closed quote then a command: `'uname'`, `"del x&rem`, `'|sleep 7`. */
const AFTER_QUOTE = new RegExp(`['"]\\s*(?:[;|&]+\\s*)?(?:(?:/usr)?/s?bin/)?(${COMMANDS})(?=$|[\\s'"\`;|&])`);
/** An absolute path into a bin directory with a program name: `/bin/ls -al`, `/usr/bin/id`. */
const BIN_PATH = /(?:^|[\s;|&`'"(=])\/(?:usr\/)?(?:local\/)?s?bin\/[a-z][a-z0-9_.-]*/;
/** Code-execution calls of PHP, Perl, Python, Java and friends: `system('…')`, `passthru(`, `Runtime.getRuntime().exec(`. */
const EXEC_CALL =
  /(?:^|[^a-z0-9_])(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|assert|create_function|call_user_func|os\.system|os\.popen|subprocess\.\w+|runtime\.getruntime\(\)\.exec|processbuilder)\s*\(\s*["'`$a-z/\\]/;
/** Shells and interpreters named in a request (`/winnt/system32/cmd.exe?/c+dir`, `/bin/sh`). */
const SHELL_PROGRAM =
  /(?:^|[\\/=\s])(?:cmd|command|powershell)\.(?:exe|com)\b|(?:^|[=\s;|&])\/bin\/(?:ba|z|k|c|da)?sh\b|\/s?bin\/(?:ba|z|k|c|da)?sh(?:$|[\s?&;|])/;
/** Code injected into an interpreter (PHP and friends): `${@print(md5(x))}`, `<?php`, `phpinfo()`, `base64_decode(`. */
const CODE =
  /\$\{\s*@|<\?php|\b(?:phpinfo|base64_decode|file_put_contents|fwrite|fputs|file_get_contents|str_rot13|gzinflate|include|require|include_once|require_once|print_r|var_dump)\s*\(|\b(?:print|echo|die)\s*\(?\s*@?md5\s*\(/;
/** Server-side includes that run a command. */
const SSI = /<!--\s*#\s*(?:exec|include|echo|config|printenv|fsize|flastmod)\b/;
/** Words in COMMANDS that are ordinary words; after a quote alone they need an argument shaped like a command's. */
const ORDINARY =
  /^(?:id|set|type|more|less|find|head|tail|echo|dir|kill|mail|net|ver|fetch|locate|move|copy|touch|node|java|php|cat|ls|nl|ps|su|dd|sh|cmd|reg|expr|eval|exec|printf|sed|awk|grep|tee|rem|del|erase|time|ping|sleep|timeout|dig)$/;
/** An argument shaped like a command's: an option, an absolute path, a drive, an IP address; a number for a delay. */
function commandArgument(word: string, rest: string): boolean {
  if (/^\s+(?:-{1,2}[a-z]|\/[a-z.]|[a-z]:(?:[\\/]|\s|$)|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})/.test(rest)) return true;
  return /^(?:sleep|timeout|ping)/.test(word) && /^\s+\d+(?:\s|$|;|&|\|)/.test(rest);
}

export function detectCmdi(value: string): Finding | undefined {
  let m = SSI.exec(value);
  if (m) return { rule: 'server-side include', fragment: around(value, m.index) };
  m = EXEC_CALL.exec(value);
  if (m) return { rule: 'code execution call', fragment: around(value, m.index) };
  m = CODE.exec(value);
  if (m) return { rule: 'code injection', fragment: around(value, m.index) };
  m = SHELL_PROGRAM.exec(value);
  if (m) return { rule: 'shell program in the request', fragment: around(value, m.index) };
  if (value.includes('`')) {
    const b = /`\s*[a-z/][^`]*`/.exec(value);
    if (b) return { rule: 'command substitution `…`', fragment: around(value, b.index) };
  }
  if (value.includes('$(')) {
    const d = /\$\(\s*[a-z/][^)]*\)/.exec(value);
    if (d) return { rule: 'command substitution $(…)', fragment: around(value, d.index) };
  }
  m = AFTER_SEPARATOR.exec(value);
  if (m) {
    const word = m[1];
    const lead = m[0].slice(0, m[0].length - word.length);
    const rest = value.slice(m.index + m[0].length);
    // At the very start of a value (nothing before it ends a command) only a command with a command's argument
    // counts ("dir c:/", "ping -n 3", "sleep 5"), or one named by its bin path: a value that is a word is no injection.
    const atStart = m.index === 0 && !/[;|&`$\n'"(){}]/.test(lead);
    // After a line break alone (text from a form's text area), an ordinary word needs a command's shape too.
    const afterBreak = /^\n\s*$/.test(lead) && ORDINARY.test(word);
    const shaped =
      /[\\/]/.test(lead) || commandArgument(word, rest) || /^\s*[;|&]/.test(rest) || (!atStart && /^\s*$/.test(rest));
    if ((!atStart && !afterBreak) || shaped)
      return { rule: `command ${word} after a separator`, fragment: around(value, m.index) };
  }
  m = AFTER_QUOTE.exec(value);
  if (m) {
    const word = m[1];
    const rest = value.slice(m.index + m[0].length);
    if (
      !ORDINARY.test(word) ||
      commandArgument(word, rest) ||
      /^\s+[a-z0-9_.-]+\s*(?:&|;|\|)/.test(rest) ||
      /^\s*['"]?\s*(?:[;|&]|$)/.test(rest)
    ) {
      return { rule: `command ${word} after a quote`, fragment: around(value, m.index) };
    }
  }
  m = BIN_PATH.exec(value);
  if (m) return { rule: 'program in a bin directory', fragment: around(value, m.index) };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Path traversal, sensitive files

/** Files and folders a traversal or a probe is after; separators between their parts may be missing or mangled. */
const SENSITIVE = new RegExp(
  [
    'etc.{0,4}(?:passwd|shadow|group|hosts|issue|motd|hostname|fstab|crontab|sudoers|master\\.passwd|security)\\b',
    'proc.{0,4}self.{0,4}(?:environ|cmdline|fd|maps|status)',
    '(?:boot|win|system|php|my)\\.ini\\b',
    'web-inf.{0,4}web\\.xml',
    'global\\.asa\\b',
    'win(?:dows|nt).{0,4}(?:system32|win\\.ini|repair)',
    'inetpub.{0,4}wwwroot',
    'var.{0,4}log.{0,4}\\w',
    '\\.(?:htpasswd|htaccess|bash_history|ssh.{0,4}(?:id_rsa|authorized_keys))\\b',
    'wp-config\\.php',
  ].join('|'),
);
/**
 * Probes for files a site never links to (the generator's scanner, real scanners), in the folded path: secrets and
 * admin consoles, phpMyAdmin under the names scanners' word lists try (`/pma/`, `/myadmin/`, `/phpMyAdmin-2.5.1/`),
 * exploits' targets no site serves (PHPUnit's `vendor/phpunit/.../eval-stdin.php`, D-Link's `/HNAP1/`), and Nmap's
 * checks of how a server answers a page it lacks (`/nmaplowercheck1737282639`, `/Nmap/folder/check...`).
 */
export const PROBE =
  /(?:^|\/)(?:\.env|\.git\/|\.htaccess|\.htpasswd|\.svn\/|wp-login\.php|wp-admin|php-?my-?admin|(?:pma|myadmin|dbadmin|mysqladmin)(?=\/)|web\.config|vendor\/phpunit\/|hnap1(?![\w.-])|nmap(?:lower|upper)check(?=\d)|nmap\/folder\/check(?=\d))/;
/** A parent-directory step: two or more dots next to a separator, or three or more dots anywhere. */
const DOT_DOT = /(?:^|[\\/=:])\.{2,}(?:[\\/]|$)|\.\.[\\/]|[\\/]\.\.(?:$|[^a-z0-9])|\.{3,}/;

/** `0x2e0x2e0x2f`-style escapes that some decoders (and dotdotpwn) use for '.', '/' and '\'. */
function hexDots(s: string): string {
  return s.includes('0x') ? s.replace(/0x2e/g, '.').replace(/0x2f/g, '/').replace(/0x5c/g, '\\') : s;
}

/**
 * Path traversal in a normalised path or parameter value. A parameter value is also judged as a path: an absolute
 * path (`/…`, `\…`, `c:…`, `file:`) with a climbing or malformed shape (dot segments, repeated separators, template
 * braces, a run of 32 or more of one character) is an attempt on the file system.
 */
export function detectTraversal(text: string, param: boolean): Finding | undefined {
  const s = hexDots(text);
  let m = SENSITIVE.exec(s);
  if (m) return { rule: `sensitive file ${m[0]}`, fragment: around(s, m.index, 24) };
  m = DOT_DOT.exec(s);
  if (m && !(param && /\s/.test(s) && !/[\\/]/.test(s)))
    return { rule: 'parent directory ../', fragment: around(s, m.index) };
  if (!param) {
    m = PROBE.exec(s);
    return m ? { rule: `probe for ${m[0].replace(/^\//, '')}`, fragment: around(s, m.index) } : undefined;
  }
  const abs = /^\s*(?:file:|[a-z]:(?=[\\/a-z])|[\\/])/.exec(s);
  if (abs) {
    if (/[\\/]{2,}|[\\/]\.[\\/]|[{}]|(.)\1{31,}|^\s*(?:file:|[a-z]:)/.test(s))
      return { rule: 'absolute path in a parameter', fragment: around(s, 0) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Shellshock, log4shell

const SHELLSHOCK = /\(\s*\)\s*\{/;

/** `() {` anywhere a header or parameter reaches bash (CVE-2014-6271). */
export function detectShellshock(text: string): Finding | undefined {
  const m = SHELLSHOCK.exec(text);
  return m ? { rule: 'function definition () {', fragment: around(text, m.index) } : undefined;
}

/**
 * Log4j lookups that reach JNDI (CVE-2021-44228): nested lookups are resolved from the inside out, the way log4j
 * does, so `${${lower:j}ndi:…}`, `${${::-j}${::-n}di:…}` and `${${env:x:-j}ndi:…}` read as `${jndi:…}`.
 */
export function detectLog4shell(text: string): Finding | undefined {
  const start = text.indexOf('${');
  if (start < 0) return undefined;
  let s = text.slice(start, start + 512);
  for (let round = 0; round < 16; round++) {
    const jndi = /\$\{\s*(jndi|ldaps?|rmi|dns|iiop|corba|nds|nis|http)\s*:/.exec(s);
    if (jndi && jndi[1] === 'jndi') return { rule: 'JNDI lookup ${jndi:', fragment: around(s, jndi.index, 0) };
    const next = s.replace(/\$\{([^${}]*)\}/, (whole, body: string) => {
      if (/^\s*jndi\s*:/.test(body)) return whole;
      const dflt = body.indexOf(':-');
      if (dflt >= 0) return body.slice(dflt + 2);
      const colon = body.indexOf(':');
      return colon >= 0 ? body.slice(colon + 1) : body;
    });
    if (next === s) break;
    s = next;
  }
  return /\bjndi\s*:\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis|http):/.test(s)
    ? { rule: 'JNDI lookup ${jndi:', fragment: around(s, s.indexOf('jndi')) }
    : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// SSRF and file inclusion

/** Schemes a server-side fetcher should never be handed. */
const FETCH_SCHEMES = /\b(gopher|dict|ldap|tftp|jar|netdoc|sftp|ssh2|telnet):\/\//;
/** Wrappers that read or run local files (PHP and others). */
const INCLUDE_SCHEMES =
  /\b(?:(file):\/|(php):\/\/(?:filter|input|fd|memory)|(phar|zip|expect|glob|rar|ogg|compress\.zlib|compress\.bzip2):\/\/|(data):(?:\/\/)?(?:[a-z]+\/[a-z+.-]+)?(?:;base64)?,)/;
const URL = /\b(?:https?|ftps?):\/\/([^/?#\s'"<>]*)([^\s'"<>]*)/g;

export interface UrlFinding extends Finding {
  category: 'ssrf' | 'rfi';
}

/** A URL in a parameter value that points inside the network, or that a server would include and run. */
export function detectUrlAbuse(value: string): UrlFinding | undefined {
  if (!value.includes(':')) return undefined;
  let m: RegExpExecArray | null = FETCH_SCHEMES.exec(value);
  if (m) return { category: 'ssrf', rule: `${m[1]}:// URL`, fragment: around(value, m.index) };
  m = INCLUDE_SCHEMES.exec(value);
  if (m) {
    const scheme = m[1] ?? m[2] ?? m[3] ?? m[4];
    return { category: 'rfi', rule: `${scheme}: wrapper`, fragment: around(value, m.index) };
  }
  URL.lastIndex = 0;
  for (let u = URL.exec(value); u; u = URL.exec(value)) {
    const host = hostOf(u[1]);
    if (isInternalHost(host))
      return { category: 'ssrf', rule: `URL to internal address ${host}`, fragment: around(value, u.index) };
    const rest = u[2];
    // A remote script or text file handed to an include: `http://evil/shell.txt?`, `…/x.php`, a trailing '?'.
    if (
      /\.(?:php\d?|phtml|asp|aspx|jsp|cgi|pl|py|sh|inc|txt|dat|gif|jpg)(?:\?|%00|\0|$)|\?$/.test(rest) ||
      (u.index > 0 && /\s$/.test(value.slice(0, u.index)) && /\.[a-z]{2,4}$/.test(rest))
    ) {
      return { category: 'rfi', rule: 'remote file URL in a parameter', fragment: around(value, u.index) };
    }
  }
  return undefined;
}

function hostOf(authority: string): string {
  const at = authority.lastIndexOf('@');
  let host = at >= 0 ? authority.slice(at + 1) : authority;
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') < 0 ? undefined : host.indexOf(']'));
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host.replace(/\.$/, '');
}

/** Loopback, private, link-local (cloud metadata), unspecified and internal names, also written as one number. */
export function isInternalHost(host: string): boolean {
  if (!host) return false;
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host.endsWith('.internal') ||
    host.endsWith('.local') ||
    host === 'metadata' ||
    host === 'instance-data'
  )
    return true;
  if (host.includes(':'))
    return /^(?:::1?|0:0:0:0:0:0:0:[01]|::ffff:(?:127|10|192\.168|169\.254)\.|f[cd][0-9a-f]{2}:|fe80:)/.test(host);
  const ip = ipv4Of(host);
  if (ip === undefined) return false;
  const a = ip >>> 24;
  const b = (ip >>> 16) & 255;
  return (
    a === 127 ||
    a === 10 ||
    a === 0 ||
    (a === 192 && b === 168) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

/** An IPv4 address in any form inet_aton accepts: dotted, one number, hex or octal parts. */
function ipv4Of(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    if (!/^(?:0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/.test(p)) return undefined;
    nums.push(p.startsWith('0x') ? parseInt(p, 16) : p.length > 1 && p.startsWith('0') ? parseInt(p, 8) : Number(p));
  }
  if (nums.length === 1) return nums[0] <= 0xffffffff ? nums[0] : undefined;
  let value = 0;
  for (let i = 0; i < nums.length - 1; i++) {
    if (nums[i] > 255) return undefined;
    value = value * 256 + nums[i];
  }
  const last = nums[nums.length - 1];
  const room = 4 - (nums.length - 1);
  if (last >= 256 ** room) return undefined;
  return value * 256 ** room + last;
}
