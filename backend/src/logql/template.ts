/**
 * The Go text/template subset Loki's `line_format` and `label_format` take (Loki docs, "Template functions", 3.x):
 * `{{.label}}`, `{{ .label | upper }}`, function calls with arguments, parenthesised pipelines, `if`/`else if`/`else`/
 * `end`, trim markers `{{-` / `-}}`, and the functions in FUNCTIONS. Evaluated safely: a field is read only from the
 * row's own labels (never a prototype), functions come from a fixed table, and output is bounded (MAX_OUTPUT); an
 * error at run time is Loki's `TemplateFormatErr` (the caller sets `__error__`), one at parse time a bad query.
 */

export const MAX_OUTPUT = 64 * 1024;
/** Nesting of parentheses and `if` blocks a template may have. */
const MAX_DEPTH = 64;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Value = string | number | boolean | undefined;

type Operand =
  | { kind: 'field'; name: string }
  | { kind: 'dot' }
  | { kind: 'literal'; value: Value }
  | { kind: 'call'; name: string; args: Operand[] }
  | { kind: 'pipe'; pipe: Pipeline };
type Pipeline = Operand[]; // each stage after the first receives the previous result as its last argument

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] };

export interface TemplateInput {
  labels: Record<string, string>;
  line: string;
  /** Nanoseconds. */
  ts: bigint;
}

export interface Template {
  source: string;
  run(input: TemplateInput): string;
}

/** Parses a template; throws TemplateError saying what is wrong. */
export function compileTemplate(source: string): Template {
  const nodes = parseNodes(tokenize(source));
  return { source, run: (input) => render(nodes, input) };
}

// --- tokens -------------------------------------------------------------------------------------------------------

type Token = { kind: 'text'; text: string } | { kind: 'action'; body: string };

function tokenize(source: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open === -1) {
      out.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    let text = source.slice(i, open);
    let start = open + 2;
    if (source.startsWith('- ', start) || source.startsWith('-\t', start) || source.startsWith('-\n', start)) {
      text = text.trimEnd();
      start += 1;
    }
    if (text) out.push({ kind: 'text', text });
    const close = findClose(source, start);
    if (close === -1) throw new TemplateError(`template "${source}": unclosed action`);
    let body = source.slice(start, close);
    let next = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      while (next < source.length && /\s/.test(source[next])) next++;
    }
    out.push({ kind: 'action', body: body.trim() });
    i = next;
  }
  return out;
}

/** The `}}` closing an action, skipping quoted strings. */
function findClose(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' || ch === '`') {
      const end = ch === '`' ? s.indexOf('`', i + 1) : closingQuote(s, i + 1);
      if (end === -1) return -1;
      i = end;
    } else if (ch === '}' && s[i + 1] === '}') return i;
  }
  return -1;
}

function closingQuote(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

// --- parsing ------------------------------------------------------------------------------------------------------

function parseNodes(tokens: Token[]): Node[] {
  let pos = 0;
  let depth = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    if (++depth > MAX_DEPTH) throw new TemplateError(`template nested deeper than ${MAX_DEPTH}`);
    try {
      return blockBody(terminators);
    } finally {
      depth--;
    }
  };
  const blockBody = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t.kind === 'text') {
        nodes.push(t);
        continue;
      }
      const word = /^[a-z]+/.exec(t.body)?.[0] ?? '';
      if (word === 'end' || word === 'else') {
        if (!terminators.includes(word)) throw new TemplateError(`unexpected {{${t.body}}}`);
        return { nodes, end: t.body };
      }
      if (word === 'if') {
        const branches: { cond: Pipeline; body: Node[] }[] = [];
        let cond = parsePipeline(t.body.slice(2));
        for (;;) {
          const { nodes: body, end } = block(['end', 'else']);
          branches.push({ cond, body });
          if (end === 'end') {
            nodes.push({ kind: 'if', branches, otherwise: [] });
            break;
          }
          const rest = end.slice(4).trim();
          if (rest.startsWith('if ')) {
            cond = parsePipeline(rest.slice(3));
            continue;
          }
          const { nodes: otherwise, end: last } = block(['end']);
          if (last !== 'end') throw new TemplateError('missing {{end}}');
          nodes.push({ kind: 'if', branches, otherwise });
          break;
        }
        continue;
      }
      if (
        ['range', 'with', 'define', 'template', 'block'].includes(word) ||
        t.body.startsWith('$') ||
        t.body.startsWith('/*')
      ) {
        throw new TemplateError(`{{${t.body}}} is not supported (only fields, functions, pipelines and if/else)`);
      }
      nodes.push({ kind: 'action', pipe: parsePipeline(t.body) });
    }
    if (terminators.length > 0) throw new TemplateError('missing {{end}}');
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

const TOKEN =
  /\s*(?:(\()|(\))|(\|)|("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(\.[A-Za-z_][A-Za-z0-9_]*)|(\.)|([A-Za-z_][A-Za-z0-9_]*))/y;

function parsePipeline(text: string): Pipeline {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(text);
    if (!m) throw new TemplateError(`cannot read "${text.slice(TOKEN.lastIndex).trim()}" in {{${text.trim()}}}`);
    tokens.push(m[0].trim());
  }
  let pos = 0;
  let depth = 0;
  const pipeline = (): Pipeline => {
    if (++depth > MAX_DEPTH) throw new TemplateError(`{{${text.trim()}}} nested deeper than ${MAX_DEPTH}`);
    const stages: Operand[] = [command()];
    while (tokens[pos] === '|') {
      pos++;
      const stage = command();
      if (stage.kind !== 'call' && !(stage.kind === 'field'))
        throw new TemplateError(`{{${text.trim()}}}: a pipeline stage must be a function`);
      stages.push(stage);
    }
    depth--;
    return stages;
  };
  const command = (): Operand => {
    const first = operand();
    if (first.kind !== 'call') return first;
    while (pos < tokens.length && tokens[pos] !== '|' && tokens[pos] !== ')') first.args.push(operand());
    return first;
  };
  const operand = (): Operand => {
    const t = tokens[pos++];
    if (t === undefined) throw new TemplateError(`{{${text.trim()}}}: missing value`);
    if (t === '(') {
      const inner = pipeline();
      if (tokens[pos++] !== ')') throw new TemplateError(`{{${text.trim()}}}: missing )`);
      return { kind: 'pipe', pipe: inner };
    }
    if (t.startsWith('"')) return { kind: 'literal', value: goString(t) };
    if (t.startsWith('`')) return { kind: 'literal', value: t.slice(1, -1) };
    if (/^-?\d/.test(t)) return { kind: 'literal', value: Number(t) };
    if (t === '.') return { kind: 'dot' };
    if (t.startsWith('.')) return { kind: 'field', name: t.slice(1) };
    if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
    if (t === 'nil') return { kind: 'literal', value: undefined };
    if (!Object.hasOwn(FUNCTIONS, t)) throw new TemplateError(`function "${t}" not defined`);
    return { kind: 'call', name: t, args: [] };
  };
  const out = pipeline();
  if (pos !== tokens.length) throw new TemplateError(`{{${text.trim()}}}: unexpected "${tokens[pos]}"`);
  return out;
}

/** A Go interpreted string literal; JSON's escapes, plus Go's \a \v \' \xNN and octal. */
function goString(t: string): string {
  const body = t.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{3}|[av'])/g, (_, e: string) => {
    if (e === 'a') return '\\u0007';
    if (e === 'v') return '\\u000b';
    if (e === "'") return "'";
    const code = e.startsWith('x') ? parseInt(e.slice(1), 16) : parseInt(e, 8);
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    throw new TemplateError(`bad string ${t}`);
  }
}

// --- evaluation ---------------------------------------------------------------------------------------------------

function render(nodes: Node[], input: TemplateInput): string {
  let out = '';
  const emit = (s: string) => {
    out += s;
    if (out.length > MAX_OUTPUT) throw new TemplateError(`template output longer than ${MAX_OUTPUT} characters`);
  };
  const walk = (list: Node[]) => {
    for (const node of list) {
      if (node.kind === 'text') emit(node.text);
      else if (node.kind === 'action') emit(str(runPipeline(node.pipe, input)));
      else {
        const branch = node.branches.find((b) => truthy(runPipeline(b.cond, input)));
        walk(branch ? branch.body : node.otherwise);
      }
    }
  };
  walk(nodes);
  return out;
}

function runPipeline(pipe: Pipeline, input: TemplateInput): Value {
  let value: Value;
  pipe.forEach((op, i) => {
    value = i === 0 ? evaluate(op, input, []) : evaluate(op, input, [value]);
  });
  return value;
}

function evaluate(op: Operand, input: TemplateInput, piped: Value[]): Value {
  switch (op.kind) {
    case 'literal':
      return op.value;
    case 'dot':
      return undefined;
    case 'field':
      // Go's text/template on a map: a missing key is "<no value>"; Loki's label maps give "" for a missing label
      return Object.hasOwn(input.labels, op.name) ? input.labels[op.name] : '';
    case 'pipe':
      return runPipeline(op.pipe, input);
    case 'call': {
      const fn = FUNCTIONS[op.name];
      const args = [...op.args.map((a) => evaluate(a, input, [])), ...piped];
      return fn(args, input);
    }
  }
}

const truthy = (v: Value) => v !== undefined && v !== '' && v !== 0 && v !== false;

function str(v: Value): string {
  if (v === undefined) return '';
  return String(v);
}

function num(v: Value): number {
  const n = typeof v === 'number' ? v : Number(str(v).trim());
  if (Number.isNaN(n)) throw new TemplateError(`"${str(v)}" is not a number`);
  return n;
}

function arity(name: string, args: Value[], n: number) {
  if (args.length !== n) throw new TemplateError(`wrong number of args for ${name}: want ${n} got ${args.length}`);
}

const s1 = (name: string, f: (s: string) => Value) => (args: Value[]) => {
  arity(name, args, 1);
  return f(str(args[0]));
};
const s2 = (name: string, f: (a: string, s: string) => Value) => (args: Value[]) => {
  arity(name, args, 2);
  return f(str(args[0]), str(args[1]));
};
const n2 = (name: string, f: (a: number, b: number) => number) => (args: Value[]) => {
  arity(name, args, 2);
  return f(num(args[0]), num(args[1]));
};
const int = (f: (a: number, b: number) => number) => (a: number, b: number) =>
  Math.trunc(f(Math.trunc(a), Math.trunc(b)));

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' || typeof b === 'number') return num(a) - num(b);
  const [x, y] = [str(a), str(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function bounded(s: string): string {
  if (s.length > MAX_OUTPUT) throw new TemplateError(`template output longer than ${MAX_OUTPUT} characters`);
  return s;
}

/** Go's strings.Title: the first letter of each word upper-cased. */
const title = (s: string) =>
  s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());

/** The functions Loki documents for templates (a subset: no regex, date or JSON functions). */
const FUNCTIONS: Record<string, (args: Value[], input: TemplateInput) => Value> = Object.assign(
  Object.create(null) as object,
  {
    __line__: (args: Value[], input: TemplateInput) => (arity('__line__', args, 0), input.line),
    __timestamp__: (args: Value[], input: TemplateInput) => (
      arity('__timestamp__', args, 0),
      new Date(Number(input.ts / 1_000_000n)).toISOString()
    ),
    ToLower: s1('ToLower', (s) => s.toLowerCase()),
    ToUpper: s1('ToUpper', (s) => s.toUpperCase()),
    lower: s1('lower', (s) => s.toLowerCase()),
    upper: s1('upper', (s) => s.toUpperCase()),
    title: s1('title', title),
    Title: s1('Title', title),
    TrimSpace: s1('TrimSpace', (s) => s.trim()),
    trim: s1('trim', (s) => s.trim()),
    len: s1('len', (s) => s.length),
    urlencode: s1('urlencode', (s) => encodeURIComponent(s)),
    urldecode: s1('urldecode', (s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new TemplateError(`cannot url-decode "${s}"`);
      }
    }),
    b64enc: s1('b64enc', (s) => Buffer.from(s).toString('base64')),
    b64dec: s1('b64dec', (s) => Buffer.from(s, 'base64').toString()),
    trimPrefix: s2('trimPrefix', (p, s) => (s.startsWith(p) ? s.slice(p.length) : s)),
    TrimPrefix: s2('TrimPrefix', (s, p) => (s.startsWith(p) ? s.slice(p.length) : s)),
    trimSuffix: s2('trimSuffix', (p, s) => (p && s.endsWith(p) ? s.slice(0, -p.length) : s)),
    TrimSuffix: s2('TrimSuffix', (s, p) => (p && s.endsWith(p) ? s.slice(0, -p.length) : s)),
    trimAll: s2('trimAll', (cut, s) => trimSet(s, cut, true, true)),
    Trim: s2('Trim', (s, cut) => trimSet(s, cut, true, true)),
    TrimLeft: s2('TrimLeft', (s, cut) => trimSet(s, cut, true, false)),
    TrimRight: s2('TrimRight', (s, cut) => trimSet(s, cut, false, true)),
    contains: s2('contains', (sub, s) => s.includes(sub)),
    hasPrefix: s2('hasPrefix', (p, s) => s.startsWith(p)),
    hasSuffix: s2('hasSuffix', (p, s) => s.endsWith(p)),
    replace: (args: Value[]) => (arity('replace', args, 3), replaceN(str(args[2]), str(args[0]), str(args[1]), -1)),
    Replace: (args: Value[]) => (
      arity('Replace', args, 4),
      replaceN(str(args[0]), str(args[1]), str(args[2]), num(args[3]))
    ),
    substr: (args: Value[]) => {
      arity('substr', args, 3);
      const [start, end, s] = [num(args[0]), num(args[1]), str(args[2])];
      if (start < 0) return s.slice(0, end);
      if (end < 0 || end > s.length) return s.slice(start);
      return s.slice(start, end);
    },
    trunc: (args: Value[]) => {
      arity('trunc', args, 2);
      const [n, s] = [num(args[0]), str(args[1])];
      if (n < 0) return s.length + n > 0 ? s.slice(s.length + n) : s;
      return s.length > n ? s.slice(0, n) : s;
    },
    repeat: (args: Value[]) => {
      arity('repeat', args, 2);
      const [n, s] = [Math.max(0, Math.trunc(num(args[0]))), str(args[1])];
      if (n * s.length > MAX_OUTPUT) throw new TemplateError(`template output longer than ${MAX_OUTPUT} characters`);
      return s.repeat(n);
    },
    indent: (args: Value[]) => (arity('indent', args, 2), indent(num(args[0]), str(args[1]))),
    nindent: (args: Value[]) => (arity('nindent', args, 2), `\n${indent(num(args[0]), str(args[1]))}`),
    alignLeft: (args: Value[]) => (arity('alignLeft', args, 2), align(num(args[0]), str(args[1]), true)),
    alignRight: (args: Value[]) => (arity('alignRight', args, 2), align(num(args[0]), str(args[1]), false)),
    default: (args: Value[]) => {
      arity('default', args, 2);
      return truthy(args[1]) ? args[1] : args[0];
    },
    printf: (args: Value[]) => {
      if (args.length === 0) throw new TemplateError('wrong number of args for printf');
      return bounded(printf(str(args[0]), args.slice(1)));
    },
    eq: (args: Value[]) => {
      if (args.length < 2) throw new TemplateError('wrong number of args for eq');
      return args.slice(1).some((b) => compare(args[0], b) === 0);
    },
    ne: (args: Value[]) => (arity('ne', args, 2), compare(args[0], args[1]) !== 0),
    lt: (args: Value[]) => (arity('lt', args, 2), compare(args[0], args[1]) < 0),
    le: (args: Value[]) => (arity('le', args, 2), compare(args[0], args[1]) <= 0),
    gt: (args: Value[]) => (arity('gt', args, 2), compare(args[0], args[1]) > 0),
    ge: (args: Value[]) => (arity('ge', args, 2), compare(args[0], args[1]) >= 0),
    and: (args: Value[]) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
    or: (args: Value[]) => args.find(truthy) ?? args[args.length - 1],
    not: (args: Value[]) => (arity('not', args, 1), !truthy(args[0])),
    add: n2(
      'add',
      int((a, b) => a + b),
    ),
    sub: n2(
      'sub',
      int((a, b) => a - b),
    ),
    mul: n2(
      'mul',
      int((a, b) => a * b),
    ),
    div: n2('div', (a, b) => {
      if (Math.trunc(b) === 0) throw new TemplateError('integer divide by zero');
      return Math.trunc(Math.trunc(a) / Math.trunc(b));
    }),
    mod: n2('mod', (a, b) => {
      if (Math.trunc(b) === 0) throw new TemplateError('integer divide by zero');
      return Math.trunc(a) % Math.trunc(b);
    }),
    addf: n2('addf', (a, b) => a + b),
    subf: n2('subf', (a, b) => a - b),
    mulf: n2('mulf', (a, b) => a * b),
    divf: n2('divf', (a, b) => a / b),
    max: n2('max', int(Math.max)),
    min: n2('min', int(Math.min)),
    maxf: n2('maxf', Math.max),
    minf: n2('minf', Math.min),
    ceil: (args: Value[]) => (arity('ceil', args, 1), Math.ceil(num(args[0]))),
    floor: (args: Value[]) => (arity('floor', args, 1), Math.floor(num(args[0]))),
    round: (args: Value[]) => {
      if (args.length !== 2 && args.length !== 1) throw new TemplateError('wrong number of args for round');
      const places = args.length === 2 ? num(args[1]) : 0;
      const f = 10 ** places;
      return Math.round(num(args[0]) * f) / f;
    },
    int: (args: Value[]) => (arity('int', args, 1), Math.trunc(num(args[0]))),
    float64: (args: Value[]) => (arity('float64', args, 1), num(args[0])),
  },
) as Record<string, (args: Value[], input: TemplateInput) => Value>;

/** Go's strings.Replace: the first n (all when n < 0) non-overlapping `old` by `repl`; built piece by piece, bounded. */
function replaceN(s: string, old: string, repl: string, n: number): string {
  let out = '';
  let from = 0;
  let done = 0;
  const limit = n < 0 ? Infinity : n;
  while (done < limit) {
    // an empty `old` matches before every character and at the end, as in Go
    const at = old === '' ? (from <= s.length ? from : -1) : s.indexOf(old, from);
    if (at === -1) break;
    out += s.slice(from, at) + repl;
    if (out.length > MAX_OUTPUT) throw new TemplateError(`template output longer than ${MAX_OUTPUT} characters`);
    done++;
    if (old === '') {
      if (at < s.length) out += s[at];
      from = at + 1;
    } else from = at + old.length;
  }
  return bounded(out + (from <= s.length ? s.slice(from) : ''));
}

function trimSet(s: string, cut: string, left: boolean, right: boolean): string {
  let [a, b] = [0, s.length];
  if (left) while (a < b && cut.includes(s[a])) a++;
  if (right) while (b > a && cut.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function indent(n: number, s: string): string {
  if (n < 0 || n * (s.split('\n').length + 1) > MAX_OUTPUT) throw new TemplateError('bad indent');
  const pad = ' '.repeat(n);
  return bounded(pad + s.replaceAll('\n', `\n${pad}`));
}

function align(n: number, s: string, left: boolean): string {
  if (n < 0) throw new TemplateError('bad alignment width');
  if (s.length >= n) return left ? s.slice(0, n) : s.slice(s.length - n);
  if (n > MAX_OUTPUT) throw new TemplateError(`template output longer than ${MAX_OUTPUT} characters`);
  return left ? s.padEnd(n) : s.padStart(n);
}

/** Go's fmt verbs %s %v %q %d %f %.Nf %x %%, with an optional width. */
function printf(format: string, args: Value[]): string {
  let i = 0;
  let size = 0;
  return format.replace(
    /%(-?)(\d*)(?:\.(\d+))?([svqdfgxXt%])/g,
    (_, minus: string, width: string, precision: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      if (i >= args.length) return `%!${verb}(MISSING)`;
      const arg = args[i++];
      let out: string;
      switch (verb) {
        case 'd':
          out = String(Math.trunc(num(arg)));
          break;
        case 'f':
          out = num(arg).toFixed(precision === undefined ? 6 : Math.min(Number(precision), 20));
          break;
        case 'g':
          out = String(num(arg));
          break;
        case 'x':
        case 'X': {
          out = typeof arg === 'number' ? Math.trunc(arg).toString(16) : Buffer.from(str(arg)).toString('hex');
          if (verb === 'X') out = out.toUpperCase();
          break;
        }
        case 'q':
          out = JSON.stringify(str(arg));
          break;
        default:
          out = str(arg);
      }
      const w = Math.min(Number(width || 0), MAX_OUTPUT);
      const padded = minus ? out.padEnd(w) : out.padStart(w);
      size += padded.length;
      if (size > MAX_OUTPUT) throw new TemplateError(`template output longer than ${MAX_OUTPUT} characters`);
      return padded;
    },
  );
}
