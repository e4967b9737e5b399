/**
 * Cross-site scripting by tokenisation, in the manner of libinjection's XSS detector: the value is read as HTML
 * (tags, attribute names, attribute values, comments) and judged by what a browser would do with it, not by a
 * list of payloads:
 *
 * - a tag that runs or loads code or markup (`script`, `iframe`, `object`, `svg`, `style`, `base`, `meta`, …),
 *   or any known HTML element at all (ordinary parameter values hold no markup);
 * - an attribute that runs code: an `on…` event handler, `style` with `expression(`/`url(javascript`, or a
 *   URL attribute whose value is a `javascript:`/`vbscript:`/`data:text/html` URL (white space inside the scheme
 *   ignored, as browsers do);
 * - a tag of any name right after a quote (`"<anything>`, `'><x>`): a value closing an attribute to open a tag;
 * - outside a tag: an attribute breaking out of a quoted value (`" onmouseover=`), a script URL, a call of a
 *   script sink (`alert(`, `eval(`, `document.cookie`, `String.fromCharCode`).
 *
 * The value must already be normalised (features/decode.ts).
 */

const CODE_TAGS = new Set([
  'script',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'style',
  'base',
  'meta',
  'link',
  'xml',
  'xss',
  'import',
  'bgsound',
  'layer',
  'ilayer',
  'isindex',
  'vmlframe',
  'handler',
  'listener',
  'template',
  'portal',
  'noscript',
  'animate',
  'set',
  'image',
  'marquee',
  'form',
  'input',
  'button',
  'textarea',
  'video',
  'audio',
  'source',
  'details',
  'body',
  'html',
  'img',
  'picture',
  'comment',
  'plaintext',
  'xmp',
  'keygen',
]);
const HTML_ELEMENTS = new Set([
  'a',
  'abbr',
  'address',
  'area',
  'article',
  'aside',
  'b',
  'bdo',
  'big',
  'blink',
  'blockquote',
  'br',
  'canvas',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'dd',
  'del',
  'dfn',
  'dialog',
  'dir',
  'div',
  'dl',
  'dt',
  'em',
  'fieldset',
  'figure',
  'font',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'head',
  'header',
  'hr',
  'i',
  'ins',
  'kbd',
  'label',
  'legend',
  'li',
  'main',
  'map',
  'menu',
  'nav',
  'ol',
  'optgroup',
  'option',
  'output',
  'p',
  'param',
  'pre',
  'q',
  's',
  'samp',
  'section',
  'select',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'title',
  'tr',
  'tt',
  'u',
  'ul',
  'var',
  'wbr',
  'title',
  'datalist',
  'track',
  'slot',
]);
const URL_ATTRIBUTES =
  /^(?:href|src|action|formaction|data|background|dynsrc|lowsrc|xlink:href|codebase|poster|value|values|from|to|by|content|srcdoc|url|style)$/;
const SCRIPT_URL =
  /^[\s"'`]*(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|l\s*i\s*v\s*e\s*s\s*c\s*r\s*i\s*p\s*t|d\s*a\s*t\s*a\s*:\s*(?:text\/html|image\/svg|application\/(?:x-)?javascript|text\/javascript)|v\s*i\s*e\s*w\s*-\s*s\s*o\s*u\s*r\s*c\s*e)\s*[:,;]/;
const SCRIPT_URL_ANYWHERE =
  /(?:^|[^a-z])(?:j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t|l\s*i\s*v\s*e\s*s\s*c\s*r\s*i\s*p\s*t)\s*:|data\s*:\s*text\/html|data:[a-z/+-]*;base64,/;
const BREAKOUT_HANDLER = /(?:^|["'`\s/;>])on[a-z]{3,20}\s*=/;
const SINK =
  /(?:^|[^a-z0-9_$])(?:alert|prompt|confirm|eval|settimeout|setinterval|msgbox|execscript)\s*[(`]|document\s*\.\s*(?:cookie|write|domain|location)|window\s*\.\s*location|fromcharcode|\.innerhtml\s*=|expression\s*\(|@import\s*(?:url|['"])/;

export interface XssHit {
  rule: string;
  fragment: string;
}

/** XSS in one normalised value, or undefined. */
export function detectXss(value: string): XssHit | undefined {
  if (value.length < 3) return undefined;
  const lt = value.indexOf('<');
  if (lt >= 0) {
    const tag = scanTags(value, lt);
    if (tag) return tag;
  }
  const quick = /[=:(.@]/.test(value);
  if (!quick) return undefined;
  let m = BREAKOUT_HANDLER.exec(value);
  if (m) return { rule: 'event handler attribute', fragment: around(value, m.index) };
  m = SCRIPT_URL_ANYWHERE.exec(value);
  if (m) return { rule: 'script URL', fragment: around(value, m.index) };
  m = SINK.exec(value);
  if (m) return { rule: 'script sink', fragment: around(value, m.index) };
  return undefined;
}

/** Reads every `<` of the value as a browser would: a tag, a closing tag, a comment or a processing instruction. */
function scanTags(s: string, from: number): XssHit | undefined {
  for (let i = from; i >= 0 && i < s.length; i = s.indexOf('<', i + 1)) {
    let j = i + 1;
    if (s[j] === '!' && s.startsWith('--', j + 1)) {
      const body = s.slice(j + 3, j + 40);
      if (/^\s*(?:#|\[if|<|import)/.test(body)) return { rule: 'HTML comment directive', fragment: around(s, i) };
      continue;
    }
    if (s[j] === '?' && /^\?(?:xml|php|=|import)/.test(s.slice(j, j + 8)))
      return { rule: 'processing instruction', fragment: around(s, i) };
    if (s[j] === '/') j++;
    let k = j;
    while (k < s.length && /[a-z0-9:_-]/.test(s[k])) k++;
    const name = s.slice(j, k);
    if (!name || !/^[a-z]/.test(name)) continue;
    const local = name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
    const after = s[k];
    // A browser ends a tag name at white space, '/', '>' or the end of input.
    if (after !== undefined && !/[\s/>"'=]/.test(after)) continue;
    const attrs = attributesOf(s, k);
    if (attrs) return { rule: attrs, fragment: around(s, i) };
    if (CODE_TAGS.has(local)) return { rule: `<${local}> tag`, fragment: around(s, i) };
    if (afterQuote(s, i) && s.indexOf('>', k) >= 0)
      return { rule: `<${local}> tag after a closing quote`, fragment: around(s, i) };
    if (HTML_ELEMENTS.has(local) && (after === '>' || after === ' ' || after === '/' || s.indexOf('>', k) >= 0))
      return { rule: `<${local}> tag`, fragment: around(s, i) };
  }
  return undefined;
}

/**
 * Whether the `<` at `lt` follows a quote (white space and one `>` between allowed): a value that closes an attribute
 * and opens a tag of any name, as scanners probe (`';!--"<XSS>=&{()}` with any tag name, `"><x>`).
 */
function afterQuote(s: string, lt: number): boolean {
  let i = lt - 1;
  while (i >= 0 && s[i] === ' ') i--;
  if (s[i] === '>') i--;
  while (i >= 0 && s[i] === ' ') i--;
  return s[i] === '"' || s[i] === "'" || s[i] === '`';
}

/** The attributes of a tag from `at` to its '>' (or the end); returns the rule a dangerous one breaks. */
function attributesOf(s: string, at: number): string | undefined {
  const end = s.indexOf('>', at);
  const body = s.slice(at, end < 0 ? s.length : end);
  const re = /([^\s"'>/=]+)\s*(?:=\s*("[^"]*"?|'[^']*'?|`[^`]*`?|[^\s>]*))?/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const name = m[1].replace(/^[^a-z]+/, '');
    const value = (m[2] ?? '').replace(/^["'`]|["'`]$/g, '');
    if (/^on[a-z]{3,}/.test(name)) return `event handler ${name}=`;
    if (
      URL_ATTRIBUTES.test(name) &&
      (SCRIPT_URL.test(value) || /expression\s*\(|url\s*\(\s*["']?\s*(?:javascript|vbscript)|behavior\s*:/.test(value))
    )
      return `script in ${name}=`;
    if (name === 'xmlns' || name === 'formaction' || name === 'srcdoc') return `${name}= attribute`;
  }
  return undefined;
}

function around(s: string, at: number): string {
  const start = Math.max(0, at - 8);
  return (start > 0 ? '…' : '') + s.slice(start, start + 60) + (start + 60 < s.length ? '…' : '');
}
