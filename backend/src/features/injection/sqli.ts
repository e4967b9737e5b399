/**
 * SQL injection by tokenisation, in the manner of libinjection (Nick Galbreath): a parameter value is read as SQL
 * three times, as if it were pasted into the query bare, inside '…' and inside "…" (the quote contexts start with
 * a string that the value's first quote closes). Each reading is a token sequence: strings, numbers, operators,
 * logic operators, parentheses, comments, keywords, functions, bare words. libinjection then looks the first five
 * tokens up in a list of some 9,000 known fingerprints; we decide with a few grammar rules over the whole sequence
 * instead (SQL that a value can only hold if it breaks out of its literal), so no fingerprint list is shipped:
 *
 * - `UNION [ALL|DISTINCT] SELECT`, a sub-query `( SELECT`, `SELECT … FROM`, a stacked query `; SELECT|DROP|…`;
 * - a context break: the literal closed (a string in a quote context, a number, a closing parenthesis) and then a
 *   logic operator with an expression, a comparison, a comment, `;`, or a clause keyword (`ORDER BY`, `LIKE`, …);
 * - a tautology or comparison after a logic operator (`OR 1=1`, `AND 4386=…`);
 * - a call of a function that only an attacker sends (`SLEEP(`, `BENCHMARK(`, `EXTRACTVALUE(`, `CHAR(113)`, …),
 *   and `WAITFOR DELAY`, `@@version`-style system variables.
 *
 * The value must already be normalised (features/decode.ts): decoded, lower case, comments folded to spaces.
 */

export type TokenType =
  | 's' // string literal
  | '1' // number
  | 'n' // bare word
  | 'k' // keyword (clause word)
  | 'U' // union
  | 'E' // statement word: select, insert, drop, …
  | '&' // logic operator
  | 'f' // function: a known SQL function followed by '('
  | 'o' // operator
  | 'v' // variable (@x, @@x)
  | 'c' // comment (--, #)
  | '('
  | ')'
  | ','
  | ';';

export interface Token {
  type: TokenType;
  text: string;
  /** Offset in the value (without the context's quote). */
  at: number;
}

const STATEMENTS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'drop',
  'create',
  'alter',
  'truncate',
  'exec',
  'execute',
  'declare',
  'waitfor',
  'shutdown',
  'begin',
  'grant',
  'revoke',
  'merge',
  'call',
  'handler',
  'load',
  'rename',
]);
const LOGIC = new Set(['and', 'or', 'xor', 'not', 'div', 'mod']);
const KEYWORDS = new Set([
  'from',
  'where',
  'like',
  'rlike',
  'regexp',
  'in',
  'is',
  'null',
  'case',
  'when',
  'then',
  'else',
  'end',
  'as',
  'order',
  'group',
  'by',
  'having',
  'limit',
  'offset',
  'into',
  'values',
  'set',
  'table',
  'procedure',
  'analyse',
  'dual',
  'boolean',
  'mode',
  'delay',
  'collate',
  'between',
  'exists',
  'sounds',
  'top',
  'all',
  'distinct',
  'outfile',
  'dumpfile',
  'information_schema',
  'sysobjects',
  'sysusers',
  'syscolumns',
  'asc',
  'desc',
  'escape',
  'true',
  'false',
  'join',
  'on',
  'using',
  'cast',
  'convert',
  'int',
  'char',
  'varchar',
  'nvarchar',
  'binary',
  'unsigned',
  'signed',
]);
/** Clauses that follow a bare number only in SQL ("5 in stock" is prose, "5 order by 1" is not). */
const BARE_NUMBER_CLAUSES = new Set(['order', 'group', 'where', 'having', 'limit', 'procedure', 'into']);
const CLAUSES = new Set([
  'order',
  'group',
  'having',
  'limit',
  'into',
  'procedure',
  'where',
  'like',
  'rlike',
  'regexp',
  'sounds',
  'in',
  'is',
  'between',
  'as',
  'collate',
  'from',
]);

/** Functions an attacker calls to extract, delay or build strings; ordinary input does not name them with '('. */
const FUNCTIONS = new Set([
  'sleep',
  'benchmark',
  'pg_sleep',
  'extractvalue',
  'updatexml',
  'load_file',
  'char',
  'chr',
  'nchar',
  'concat',
  'concat_ws',
  'group_concat',
  'elt',
  'make_set',
  'ascii',
  'ord',
  'substring',
  'substr',
  'mid',
  'hex',
  'unhex',
  'count',
  'version',
  'database',
  'user',
  'current_user',
  'system_user',
  'session_user',
  'schema',
  'if',
  'ifnull',
  'iif',
  'isnull',
  'nullif',
  'coalesce',
  'cast',
  'convert',
  'generate_series',
  'regexp_substring',
  'repeat',
  'crypt_key',
  'randomblob',
  'upper',
  'lower',
  'length',
  'len',
  'rand',
  'exp',
  'floor',
  'json_keys',
  'gtid_subset',
  'row',
  'xp_cmdshell',
  'sys_eval',
  'sys_exec',
  'utl_inaddr',
  'utl_http',
  'dbms_pipe',
  'dbms_lock',
  'ctxsys',
  'sqlite_version',
  'pg_read_file',
  'lo_import',
  'current_database',
  'openrowset',
  'opendatasource',
  'db_name',
  'host_name',
  'suser_name',
  'is_srvrolemember',
  'waitfor',
  'name_const',
  'polygon',
  'multipoint',
  'linestring',
  'geometrycollection',
  'strcmp',
  'instr',
  'locate',
  'position',
  'left',
  'right',
  'reverse',
  'case',
]);

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36 /* $ */ || c >= 128;
}

const OPERATOR_CHARS = '=<>!+-*/%^|&~:';

/** Tokens of `s` read as SQL; `quote` is the context: the value's text up to that quote is one string. */
export function tokenize(s: string, quote: '' | "'" | '"' = ''): Token[] {
  const out: Token[] = [];
  let i = 0;
  if (quote) {
    const end = s.indexOf(quote);
    if (end < 0) return out;
    out.push({ type: 's', text: s.slice(0, end), at: 0 });
    i = end + 1;
  }
  const n = s.length;
  while (i < n && out.length < 64) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      for (;;) {
        j = s.indexOf(ch, j);
        if (j < 0) {
          j = n;
          break;
        }
        if (s[j + 1] === ch) j += 2;
        else break;
      }
      out.push({ type: ch === '`' ? 'n' : 's', text: s.slice(i, j + 1), at: i });
      i = j + 1;
    } else if ((c >= 48 && c <= 57) || (ch === '.' && s.charCodeAt(i + 1) >= 48 && s.charCodeAt(i + 1) <= 57)) {
      let j = i + 1;
      if (ch === '0' && s[j] === 'x') j++;
      while (j < n && (isWordChar(s.charCodeAt(j)) || s[j] === '.')) j++;
      out.push({ type: '1', text: s.slice(i, j), at: i });
      i = j;
    } else if (ch === '-' && s[i + 1] === '-') {
      out.push({ type: 'c', text: s.slice(i), at: i });
      break;
    } else if (ch === '#') {
      out.push({ type: 'c', text: s.slice(i), at: i });
      break;
    } else if (ch === '@') {
      let j = i + 1;
      if (s[j] === '@') j++;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      out.push({ type: 'v', text: s.slice(i, j), at: i });
      i = j;
    } else if (ch === '(' || ch === ')' || ch === ',' || ch === ';') {
      out.push({ type: ch, text: ch, at: i });
      i++;
    } else if (OPERATOR_CHARS.includes(ch)) {
      let j = i + 1;
      while (j < n && j < i + 3 && OPERATOR_CHARS.includes(s[j]) && !(s[j] === '-' && s[j + 1] === '-')) j++;
      const text = s.slice(i, j);
      out.push({ type: text === '||' || text === '&&' ? '&' : 'o', text, at: i });
      i = j;
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && (isWordChar(s.charCodeAt(j)) || (s[j] === '.' && isWordChar(s.charCodeAt(j + 1))))) j++;
      const text = s.slice(i, j);
      let k = j;
      while (s.charCodeAt(k) === 32) k++;
      out.push({ type: wordType(text, s[k] === '('), text, at: i });
      i = j;
    } else {
      i++;
    }
  }
  return out;
}

function wordType(w: string, call: boolean): TokenType {
  if (w === 'union') return 'U';
  if (LOGIC.has(w)) return '&';
  if (STATEMENTS.has(w)) return 'E';
  const base = w.includes('.') ? w.slice(0, w.indexOf('.')) : w;
  if (call && (FUNCTIONS.has(w) || FUNCTIONS.has(base) || base.startsWith('dbms_') || base.startsWith('utl_')))
    return 'f';
  if (KEYWORDS.has(w)) return 'k';
  return 'n';
}

const OPERAND = new Set<TokenType>(['s', '1', 'n', 'v', 'f', '(']);
const COMPARISON = /^(?:=|==|<|>|<=|>=|<>|!=|<=>)$/;

/** The rule an SQL reading breaks, or undefined; `at` is where its evidence starts. */
export function sqlFinding(tokens: readonly Token[], quoted: boolean): { rule: string; at: number } | undefined {
  const n = tokens.length;
  const t = (i: number): TokenType | undefined => tokens[i]?.type;
  const w = (i: number): string => tokens[i]?.text ?? '';
  for (let i = 0; i < n; i++) {
    const ty = t(i);
    if (ty === 'U') {
      let j = i + 1;
      while (t(j) === 'k' && (w(j) === 'all' || w(j) === 'distinct')) j++;
      while (t(j) === '(') j++;
      if (w(j) === 'select') return { rule: 'UNION SELECT', at: tokens[i].at };
    }
    if (ty === '(' && w(i + 1) === 'select') return { rule: 'sub-query', at: tokens[i].at };
    if (ty === ';' && (t(i + 1) === 'E' || w(i + 1) === 'if'))
      return { rule: `stacked query ; ${w(i + 1).toUpperCase()}`, at: tokens[i].at };
    if (ty === 'E' && w(i) === 'select') {
      for (let j = i + 1; j < n && j < i + 24; j++)
        if (w(j) === 'from' || (t(j) === 'f' && t(j - 1) !== 'o')) return { rule: 'SELECT … FROM', at: tokens[i].at };
    }
    if (ty === 'E' && w(i) === 'waitfor' && w(i + 1) === 'delay') return { rule: 'WAITFOR DELAY', at: tokens[i].at };
    if (ty === 'f' && t(i + 1) === '(' && isAttackCall(tokens, i))
      return { rule: `${w(i).toUpperCase()}()`, at: tokens[i].at };
    if (ty === 'k' && w(i) === 'case' && w(i + 1) === 'when') return { rule: 'CASE WHEN', at: tokens[i].at };
    if (
      ty === '(' &&
      t(i + 1) === '1' &&
      t(i + 2) === 'o' &&
      COMPARISON.test(w(i + 2)) &&
      t(i + 3) === '1' &&
      t(i + 4) === ')'
    )
      return { rule: 'comparison of literals', at: tokens[i].at };
    if (ty === 'v' && w(i).startsWith('@@')) return { rule: w(i), at: tokens[i].at };
    if (ty === '&' && isExpressionAfterLogic(tokens, i + 1))
      return { rule: `${w(i).toUpperCase()} expression`, at: tokens[i].at };
  }
  // A break out of the literal: the value's literal (a quote context's string, a number, a parenthesis closing it)
  // followed by SQL.
  let j = 0;
  const signed = t(0) === 'o' && (w(0) === '-' || w(0) === '+') && t(1) === '1' ? 1 : 0;
  if (quoted || t(signed) === '1') {
    j = 1 + signed;
    while (t(j) === ')') j++;
    const next = t(j);
    if (next === undefined) return undefined;
    if (next === 'c' && (quoted || j > 1)) return { rule: 'comment after the literal', at: tokens[j].at };
    if (next === ';' && (quoted || j > 1) && n > j + 1) return { rule: '; after the literal', at: tokens[j].at };
    if (next === '&' && n > j + 1 && (quoted || j > 1) && OPERAND.has(t(j + 1)!))
      return { rule: `${w(j).toUpperCase()} after the literal`, at: tokens[j].at };
    if (next === 'k' && CLAUSES.has(w(j)) && (quoted || j > 1 + signed || BARE_NUMBER_CLAUSES.has(w(j))) && n > j + 1) {
      if ((w(j) === 'order' || w(j) === 'group') && w(j + 1) !== 'by') return undefined;
      return { rule: `${w(j).toUpperCase()} after the literal`, at: tokens[j].at };
    }
    if (
      next === 'o' &&
      quoted &&
      (COMPARISON.test(w(j)) || w(j) === '||' || w(j) === '+') &&
      n > j + 1 &&
      t(j + 1) !== 'n'
    ) {
      return { rule: `${w(j)} after the literal`, at: tokens[j].at };
    }
  }
  return undefined;
}

/** A call of an attacker's function: with an argument list that holds a number, a string, a call or a column. */
function isAttackCall(tokens: readonly Token[], i: number): boolean {
  const name = tokens[i].text;
  // Words that are also ordinary words need more than '(' to count: an argument that is SQL-shaped.
  const next = tokens[i + 2];
  if (!next) return false;
  if (
    name === 'if' ||
    name === 'left' ||
    name === 'right' ||
    name === 'row' ||
    name === 'case' ||
    name === 'position' ||
    name === 'user' ||
    name === 'count' ||
    name === 'version' ||
    name === 'database' ||
    name === 'schema' ||
    name === 'length' ||
    name === 'len' ||
    name === 'upper' ||
    name === 'lower' ||
    name === 'reverse' ||
    name === 'floor' ||
    name === 'exp' ||
    name === 'mid'
  ) {
    return (
      (next.type === '1' ||
        next.type === 'f' ||
        next.type === '(' ||
        next.type === 'v' ||
        next.type === 'E' ||
        next.text === '*' ||
        next.type === ')') &&
      hasSqlAround(tokens)
    );
  }
  return (
    next.type === '1' ||
    next.type === 's' ||
    next.type === 'f' ||
    next.type === 'v' ||
    next.type === '(' ||
    next.type === 'E' ||
    next.type === 'n' ||
    next.type === ')' ||
    next.text === '*'
  );
}

function hasSqlAround(tokens: readonly Token[]): boolean {
  return tokens.some(
    (t) => t.type === 'E' || t.type === '&' || t.type === 'U' || t.type === 'c' || t.type === ';' || t.type === 's',
  );
}

/** After a logic operator: an operand then a comparison (`1=1`, `'a'='a'`, `x like y`), a call, or a sub-query. */
function isExpressionAfterLogic(tokens: readonly Token[], j: number): boolean {
  let k = j;
  if (tokens[k]?.text === 'not') k++;
  while (tokens[k]?.type === '(') k++;
  const a = tokens[k];
  if (!a) return false;
  if (a.type === 'f' && tokens[k + 1]?.type === '(') return true;
  if (a.type === 'E' && a.text === 'select') return true;
  const op = tokens[k + 1];
  if (!op || (a.type !== '1' && a.type !== 's' && a.type !== 'v' && a.type !== 'n')) return false;
  const isCompare =
    (op.type === 'o' && COMPARISON.test(op.text)) ||
    (op.type === 'k' &&
      (op.text === 'like' ||
        op.text === 'rlike' ||
        op.text === 'regexp' ||
        op.text === 'between' ||
        op.text === 'in' ||
        op.text === 'is'));
  if (!isCompare) return false;
  const b = tokens[k + 2];
  if (!b) return a.type !== 'n';
  // A bare word compared with a bare word is prose or a form value ("size = large"); literals or calls are SQL.
  return a.type !== 'n' || b.type !== 'n';
}

export interface SqlHit {
  rule: string;
  /** The decoded fragment the rule read, for a person. */
  fragment: string;
}

/** Cheap gate: a normalised value without any of these cannot hold a finding above. */
const GATE = /['"();#@=<>|&-]|\b(?:union|select|and|or|xor|not|waitfor|order|group|from)\b/;

/** SQL injection in one normalised parameter value, or undefined. */
export function detectSqli(value: string): SqlHit | undefined {
  if (value.length < 2 || !GATE.test(value)) return undefined;
  for (const quote of ['', "'", '"'] as const) {
    if (quote && !value.includes(quote)) continue;
    const f = sqlFinding(tokenize(value, quote), quote !== '');
    if (f) return { rule: f.rule, fragment: snippet(value, f.at) };
  }
  return undefined;
}

function snippet(value: string, at: number): string {
  const start = Math.max(0, at - 12);
  const s = value.slice(start, start + 60);
  return (start > 0 ? '…' : '') + s + (start + 60 < value.length ? '…' : '');
}
