import {
  isNamingWord,
  mayBeName,
  isVariable,
  MASK_RULES,
  prepareMessage,
  type MaskRules,
  type PreparedMessage,
  WILDCARD,
} from './mask.js';

export interface TemplateMatch {
  id: number;
  template: string;
  /** The original text at each wildcard of the template, in order. */
  params: string[];
  isNew: boolean;
}

export interface DrainOptions {
  /** Leading tokens the tree routes on after the token count (Drain3's and logparser's depth 4 is 1). */
  prefixTokens?: number;
  /** Share of a template's tokens a message must equal to join it. */
  similarity?: number;
  /** Children per tree node before new tokens share the `<*>` child. */
  maxChildren?: number;
  /**
   * Literal words (no digits) a message may differ from a template in and still join it. Loghub's ground truth,
   * and operators, read `cupsd startup succeeded` and `cupsd shutdown succeeded` as two events: a differing word is
   * a different event unless the template already holds a variable there.
   */
  wordMismatches?: number;
}

export interface DrainState {
  version: 1;
  /** Masking rules the templates were mined with (mask.ts); absent: 1, the rules before dates and units. */
  masks?: MaskRules;
  options: Required<DrainOptions>;
  templates: { id: number; tokens: string[]; count: number; signature?: string; alias?: number }[];
  /** The prefix tree, one root per token count. */
  tree: { length: number; node: NodeState }[];
}

interface NodeState {
  children?: [string, NodeState][];
  templates?: number[];
}

const DEFAULTS: Required<DrainOptions> = { prefixTokens: 1, similarity: 0.5, maxChildren: 100, wordMismatches: 0 };
const CACHE_LIMIT = 50_000;
/**
 * Distinct words at one position (the template's own included) that make it a variable: 5, so that a lifecycle of
 * four states stays four events while names (users, hosts, files) become a variable once five have been seen.
 */
const WORD_SLOT_VALUES = 5;
/** A token found as it is in a line's text, in any format: printable ASCII that JSON leaves unescaped. */
const PLAIN_TOKEN = /^[!#-.0-[\]-~]+$/;
/**
 * Literal tokens after the first that make a template's rest an event of its own, whatever its first word. Fewer, and
 * the first word is the event (HPC's `boot (command <*>)`, `halt (command <*>)`; Zookeeper's `tickTime set to <*>`).
 */
const FIRST_WORD_REST = 4;
/** wordMismatches of a state saved before the option existed: no limit (JSON has no Infinity). */
const LEGACY_WORD_MISMATCHES = 1_000_000;

interface Cluster {
  id: number;
  tokens: string[];
  template: string;
  count: number;
  /** Where the template's parameters are: token positions, with the literal pieces of partly masked tokens. */
  slots: ParamSlot[];
  /** The literal tokens of the message that started it (PreparedMessage.signature). */
  signature: string;
  /** The template this one was merged into, once a word position of it proved to be a variable. */
  alias?: Cluster;
  /** Training only: per token position, the words messages differing only there brought (see learnWordSlot). */
  wordSlots?: Map<number, Set<string>>;
}

/** A message that matched a cluster but for one literal word. */
interface NearMiss {
  cluster?: Cluster;
  node?: PrefixNode;
  at?: number;
  word?: string;
}

interface ParamSlot {
  at: number;
  /** For a token like `/products/<*>`: the text around its wildcards (`['/products/', '']`). */
  literals?: string[];
}

function newCluster(id: number, tokens: string[], count: number, signature?: string): Cluster {
  return {
    id,
    tokens,
    template: tokens.join(' '),
    count,
    slots: slotsOf(tokens),
    signature: signature ?? literalsOf(tokens),
  };
}

function literalsOf(tokens: readonly string[]): string {
  return tokens.filter((t) => !t.includes(WILDCARD)).join(' ');
}

function slotsOf(tokens: readonly string[]): ParamSlot[] {
  const slots: ParamSlot[] = [];
  tokens.forEach((t, at) => {
    if (t === WILDCARD) slots.push({ at });
    else if (t.includes(WILDCARD)) slots.push({ at, literals: t.split(WILDCARD) });
  });
  return slots;
}

class PrefixNode {
  readonly children = new Map<string, PrefixNode>();
  readonly clusters: Cluster[] = [];
}

/** A cached search result: the cluster (or none) found for a masked message while the tree was at `generation`. */
interface CacheEntry {
  cluster: Cluster | undefined;
  generation: number;
}

/**
 * Online Drain template miner (He et al., ICWS 2017): messages are masked and tokenized, routed through a
 * fixed-depth prefix tree (token count, then the first tokens), and joined to the most similar template of the
 * leaf when at least `similarity` of its tokens agree; the template then generalizes differing tokens to `<*>`.
 * Search results are cached by masked message and invalidated whenever the tree or a template changes, so the cache
 * never alters a result.
 */
export class Drain {
  readonly options: Required<DrainOptions>;
  private readonly roots = new Map<number, PrefixNode>();
  private readonly clusters: Cluster[] = [];
  private readonly cache = new Map<string, CacheEntry>();
  /** First template of each signature: where a message of another token count joins (see `twin`). */
  private readonly bySignature = new Map<string, Cluster>();
  private generation = 0;
  /**
   * Training only: the names messages gave (mask.ts, isNamingWord: `user root`, `user=root`). A name is a value
   * wherever it stands, so `Failed password for root` and `... for uucp` are one event once both were seen as users
   * (loghub OpenSSH in files of 250 lines: template accuracy 0.838 -> 0.918).
   */
  private readonly names = new Set<string>();
  private masks: MaskRules = MASK_RULES;
  private twins = true;

  constructor(options: DrainOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Learns from a message: joins (and may generalize) the best template, or starts a new one. */
  add(message: string): TemplateMatch {
    const prepared = prepareMessage(message, this.masks);
    const hit = this.cache.get(prepared.key);
    if (hit?.generation === this.generation && hit.cluster) {
      hit.cluster.count++;
      return matchOf(hit.cluster, prepared, false);
    }
    this.learnNames(prepared.raw);
    const near: NearMiss = {};
    let cluster = this.search(prepared.masked, near) ?? this.twin(prepared);
    if (!cluster && near.cluster && this.learnWordSlot(near)) cluster = this.search(prepared.masked);
    const isNew = !cluster;
    if (!cluster) {
      cluster = newCluster(this.clusters.length, prepared.masked, 0, prepared.signature);
      this.clusters.push(cluster);
      this.insert(cluster);
      if (!this.bySignature.has(cluster.signature)) this.bySignature.set(cluster.signature, cluster);
      this.generation++;
    } else if (cluster.tokens.length === prepared.masked.length && generalize(cluster, prepared.masked))
      this.generation++;
    cluster.count++;
    this.remember(prepared.key, cluster);
    return matchOf(cluster, prepared, isNew);
  }

  /** The template a message belongs to, without learning; undefined for a shape never seen. */
  match(message: string): TemplateMatch | undefined {
    const prepared = prepareMessage(message, this.masks);
    const hit = this.cache.get(prepared.key);
    const cluster =
      hit?.generation === this.generation
        ? hit.cluster
        : this.remember(prepared.key, this.search(prepared.masked) ?? this.twin(prepared));
    return cluster && matchOf(cluster, prepared, false);
  }

  /** The template a template id now stands for: itself, or the one it was merged into. */
  resolve(id: number): number {
    let c = this.clusters[id];
    while (c?.alias) c = c.alias;
    return c ? c.id : id;
  }

  /**
   * Tokens at least one of which is in the text of every message `match` gives the template `id` (itself, or one
   * merged into it), so that a reader can skip the other lines without matching them: a message joins a template
   * when `similarity` of its tokens equal the template's. Only tokens no JSON encoder escapes are offered. undefined
   * when no such set exists.
   */
  needles(id: number): string[] | undefined {
    const needles = new Set<string>();
    for (const c of this.clusters) {
      if (this.resolve(c.id) !== id) continue;
      const literals = c.tokens.filter((t) => !t.includes(WILDCARD));
      const plain = literals.filter((t) => PLAIN_TOKEN.test(t));
      const needed = Math.ceil(this.options.similarity * c.tokens.length - 1e-9);
      // Equal at `needed` positions or more, so at `needed - unescaped` plain ones: it misses at most `literals -
      // needed` plain positions, and any `literals - needed + 1` distinct plain tokens hold one it has.
      if (needed - (literals.length - plain.length) < 1) return undefined;
      const longest = [...new Set(plain)].sort((a, b) => b.length - a.length);
      for (const t of longest.slice(0, literals.length - needed + 1)) needles.add(t);
    }
    return needles.size > 0 ? [...needles] : undefined;
  }

  templates(): { id: number; template: string; count: number }[] {
    return this.clusters.map((c) => ({ id: c.id, template: c.template, count: c.count }));
  }

  toJSON(): DrainState {
    const tree = [...this.roots].map(([length, node]) => ({ length, node: nodeState(node) }));
    return {
      version: 1,
      masks: this.masks,
      options: { ...this.options },
      templates: this.clusters.map((c) => ({
        id: c.id,
        tokens: [...c.tokens],
        count: c.count,
        signature: c.signature,
        ...(c.alias ? { alias: c.alias.id } : {}),
      })),
      tree,
    };
  }

  static fromJSON(s: DrainState): Drain {
    if (s?.version !== 1 || !Array.isArray(s.templates) || !Array.isArray(s.tree))
      throw new Error('unsupported Drain state: expected version 1 with templates and tree');
    // A state saved before the word rule and the signatures matches as it was mined: any word may differ, no twins.
    const legacy = s.options.wordMismatches === undefined;
    const drain = new Drain(legacy ? { ...s.options, wordMismatches: LEGACY_WORD_MISMATCHES } : s.options);
    drain.masks = s.masks ?? 1;
    drain.twins = !legacy;
    for (const [i, t] of s.templates.entries()) {
      if (t.id !== i) throw new Error(`corrupt Drain state: template ${i} has id ${t.id}`);
      const cluster = newCluster(t.id, [...t.tokens], t.count, t.signature);
      drain.clusters.push(cluster);
      if (!drain.bySignature.has(cluster.signature)) drain.bySignature.set(cluster.signature, cluster);
    }
    for (const t of s.templates) {
      if (t.alias === undefined) continue;
      const target = drain.clusters[t.alias];
      if (!target) throw new Error(`corrupt Drain state: template ${t.id} merged into unknown template ${t.alias}`);
      drain.clusters[t.id].alias = target;
    }
    const build = (state: NodeState): PrefixNode => {
      const node = new PrefixNode();
      for (const [token, child] of state.children ?? []) node.children.set(token, build(child));
      for (const id of state.templates ?? []) {
        const cluster = drain.clusters[id];
        if (!cluster) throw new Error(`corrupt Drain state: tree refers to unknown template ${id}`);
        node.clusters.push(cluster);
      }
      return node;
    };
    for (const { length, node } of s.tree) drain.roots.set(length, build(node));
    return drain;
  }

  private remember(key: string, cluster: Cluster | undefined): Cluster | undefined {
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { cluster, generation: this.generation });
    return cluster;
  }

  /** The leaf for the token count and first tokens. */
  private leafOf(tokens: readonly string[]): PrefixNode | undefined {
    let node = this.roots.get(tokens.length);
    const depth = Math.min(this.options.prefixTokens, tokens.length);
    for (let d = 0; node && d < depth; d++) node = node.children.get(tokens[d]) ?? node.children.get(WILDCARD);
    return node;
  }

  /** Tree search: the leaf for the token count and first tokens, then the most similar template in it. */
  private search(tokens: string[], near?: NearMiss): Cluster | undefined {
    const node = this.leafOf(tokens);
    if (!node) return undefined;
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const cluster of node.clusters) {
      const [sim, params, words] = similarity(cluster.tokens, tokens);
      if (words > this.options.wordMismatches) {
        if (near && words === 1 && !near.cluster && !cluster.alias && sim >= this.options.similarity) {
          near.cluster = cluster;
          near.node = node;
          near.at = wordMismatchAt(cluster.tokens, tokens);
          near.word = tokens[near.at];
        }
        continue;
      }
      if (sim > bestSim || (sim === bestSim && params > bestParams))
        [best, bestSim, bestParams] = [cluster, sim, params];
    }
    if (bestSim < this.options.similarity || !best) return undefined;
    while (best.alias) best = best.alias;
    return best;
  }

  /**
   * The end of learning: each template with variables that took at least WORD_SLOT_VALUES lines (`lines` of a
   * template id) takes in the templates of its leaf that are instances of it (equal but for words where it has a
   * variable). They were started by a slot's first values, before the variable was learnt; later values joined the
   * variable. On loghub OpenSSH, before the token after `user` was masked (mask.ts), `Invalid user webmaster from
   * <*>` (the file's first attempt) stayed an event of its own beside `Invalid user <*> from <*>` (111 lines), and so
   * did `webmaster` in two more templates and the first host of `reverse mapping checking getaddrinfo for <*>`:
   * template accuracy 0.78. True when a template became an alias.
   */
  absorbInstances(lines: (id: number) => number): boolean {
    let absorbed = false;
    for (const cluster of this.clusters) {
      if (cluster.alias || cluster.slots.length === 0 || lines(cluster.id) < WORD_SLOT_VALUES) continue;
      const leaf = this.leafOf(cluster.tokens);
      if (leaf && takeInstances(cluster, leaf)) absorbed = true;
    }
    if (absorbed) this.generation++;
    return absorbed;
  }

  /**
   * The end of learning, across leaves: templates of one token count, equal but for the first token (the one the tree
   * routes on, so a near miss there is never seen), with FIRST_WORD_REST literal tokens after it and WORD_SLOT_VALUES
   * different first words, are one event whose subject varies. On loghub Mac, `com.apple.icloud.fmfd.heartbeat:
   * scheduler_evaluate_activity told me to run this job; ...` stood apart from the same message for each of five
   * other jobs (166 lines). The template whose first token is a variable, or else the one that took the most lines,
   * takes the others in, and the leaf every new first word falls to (`<*>`) holds it. True when a template became an
   * alias.
   */
  absorbFirstWords(lines: (id: number) => number): boolean {
    if (this.options.prefixTokens !== 1) return false;
    let absorbed = false;
    for (const root of this.roots.values()) {
      const byRest = new Map<string, Cluster[]>();
      for (const leaf of root.children.values())
        for (const c of leaf.clusters) {
          const rest = c.tokens.slice(1);
          if (c.alias || rest.length - countVariable(rest) < FIRST_WORD_REST) continue;
          const key = rest.join(' ');
          const group = byRest.get(key);
          if (group) group.push(c);
          else byRest.set(key, [c]);
        }
      for (const group of byRest.values()) {
        if (new Set(group.map((c) => c.tokens[0])).size < WORD_SLOT_VALUES) continue;
        const into =
          group.find((c) => c.tokens[0] === WILDCARD) ?? group.reduce((a, b) => (lines(b.id) > lines(a.id) ? b : a));
        if (into.tokens[0] !== WILDCARD) {
          variableAt(into, 0);
          childFor(root, WILDCARD, Infinity).clusters.push(into);
        }
        for (const other of group) if (other !== into) aliasInto(other, into);
        absorbed = true;
      }
    }
    if (absorbed) this.generation++;
    return absorbed;
  }

  /**
   * The end of learning: a word position where messages that otherwise match a template brought only names, two or
   * more, is a variable: `Failed password for root` came before `user=uucp` named `uucp`. True when a template
   * changed.
   */
  absorbNamedSlots(): boolean {
    let absorbed = false;
    for (const cluster of this.clusters) {
      if (cluster.alias || !cluster.wordSlots) continue;
      const leaf = this.leafOf(cluster.tokens);
      for (const [at, words] of cluster.wordSlots) {
        if (!leaf || !this.allNames(words)) continue;
        slotIsVariable(cluster, at, leaf);
        absorbed = true;
      }
    }
    if (absorbed) this.generation++;
    return absorbed;
  }

  /** Notes the names in a message's raw tokens: `user root`, `user: root`, `user=root`. */
  private learnNames(tokens: readonly string[]): void {
    for (let i = 0; i < tokens.length; i++) {
      const name = namedBy(tokens, i);
      if (name !== undefined) this.names.add(name);
    }
  }

  private allNames(words: ReadonlySet<string>): boolean {
    if (words.size < 2) return false;
    for (const w of words) if (!this.names.has(w)) return false;
    return true;
  }

  /**
   * A word position where messages that otherwise match a template bring WORD_SLOT_VALUES different words (names:
   * `Invalid login admin from <*>`, `... login oracle ...`, `... login test ...`), or two names (`names`), is a
   * variable after all: the template generalizes there, and the templates those messages started (same leaf, equal
   * but for that position) become aliases of it. A few words stay events of their own (`cupsd startup` and `cupsd
   * shutdown`; OpenStack's `VM Started`, `Paused`, `Resumed`, `Stopped`). True when the template changed.
   */
  private learnWordSlot(near: NearMiss): boolean {
    const cluster = near.cluster!;
    const at = near.at!;
    cluster.wordSlots ??= new Map();
    let words = cluster.wordSlots.get(at);
    if (!words) cluster.wordSlots.set(at, (words = new Set([cluster.tokens[at]])));
    words.add(near.word!);
    if (words.size < WORD_SLOT_VALUES && !this.allNames(words)) return false;
    slotIsVariable(cluster, at, near.node!);
    this.generation++;
    return true;
  }

  /**
   * The template of another token count whose literal tokens are the message's: one event whose variable parts take
   * a different number of tokens (`403 bytes sent` and `403 bytes (1.2 KB) sent`). Only when the literal tokens are
   * at least two and a third of the message, so that messages of mostly variables never join this way.
   */
  private twin(p: PreparedMessage): Cluster | undefined {
    if (!this.twins) return undefined;
    const literals = p.masked.length - countVariable(p.masked);
    if (literals < 2 || literals * 3 < p.masked.length) return undefined;
    let twin = this.bySignature.get(p.signature);
    while (twin?.alias) twin = twin.alias;
    // Of the same token count, one a word apart in a partly masked token is another event: `LOGIN(uid=<*>)`.
    if (twin?.tokens.length === p.masked.length && twin.tokens.some((t, i) => partlyMaskedApart(t, p.masked[i])))
      return undefined;
    return twin;
  }

  /** Adds a new cluster's path to the tree; tokens with variable parts, and any beyond maxChildren, share `<*>`. */
  private insert(cluster: Cluster): void {
    const { tokens } = cluster;
    let node = this.roots.get(tokens.length);
    if (!node) this.roots.set(tokens.length, (node = new PrefixNode()));
    const depth = Math.min(this.options.prefixTokens, tokens.length);
    for (let d = 0; d < depth; d++) node = childFor(node, tokens[d], this.options.maxChildren);
    node.clusters.push(cluster);
  }
}

function childFor(node: PrefixNode, token: string, maxChildren: number): PrefixNode {
  const existing = node.children.get(token);
  if (existing) return existing;
  const wildcard = node.children.get(WILDCARD);
  const full = node.children.size + (wildcard ? 0 : 1) >= maxChildren;
  const key = isVariable(token) || full ? WILDCARD : token;
  let child = node.children.get(key);
  if (!child) node.children.set(key, (child = new PrefixNode()));
  return child;
}

/**
 * Share of template tokens equal to the message's, the template's wildcard count (the tie-break), and how many
 * literal words (no digits, no wildcard) differ from the message's literal words.
 */
function similarity(template: readonly string[], tokens: readonly string[]): [number, number, number] {
  if (template.length === 0) return [1, 0, 0];
  let same = 0;
  let params = 0;
  let words = 0;
  for (let i = 0; i < template.length; i++) {
    if (template[i] === WILDCARD) params++;
    else if (template[i] === tokens[i]) same++;
    else if (isWordMismatch(template, tokens, i)) words++;
  }
  // A template of only variables (a wrapped hash's second half, `EB1FA857E99CEB9`) takes every message of its length
  // that is only variables too: each such line started a template of its own and, scored, read as never seen.
  if (params === template.length) return [countVariable(tokens) === tokens.length ? 1 : 0, params, words];
  return [same / template.length, params, words];
}

/** A token that names the value after it (`hive:`, `EventType:`, `user=`): the next token is a value, not a word. */
function isKey(token: string): boolean {
  const last = token.charCodeAt(token.length - 1);
  return token.length > 1 && (last === 58 || last === 61) && !token.includes(WILDCARD);
}

/** The name a naming word gives at token `at` (`user root`, `user=root`), if it is a literal word. */
function namedBy(tokens: readonly string[], at: number): string | undefined {
  const token = tokens[at];
  const eq = token.indexOf('=');
  const value =
    at > 0 && isNamingWord(tokens[at - 1])
      ? token
      : eq > 0 && isNamingWord(token.slice(0, eq))
        ? token.slice(eq + 1)
        : '';
  return value && isLiteralWord(value) && mayBeName(value) ? value : undefined;
}

/** The position of the one literal word where a message differs from a template. */
function wordMismatchAt(template: readonly string[], tokens: readonly string[]): number {
  for (let i = 0; i < template.length; i++)
    if (template[i] !== WILDCARD && template[i] !== tokens[i] && isWordMismatch(template, tokens, i)) return i;
  return -1;
}

/**
 * Unequal tokens at `at` that differ in a word: a literal word against a token with a letter (`startup`,
 * `shutdown`), or partly masked tokens whose words differ (`LOGIN(uid=<*>)` and `(uid=<*>)`: loghub Linux's root
 * login at the console is an event of its own), where no key names the position as a value.
 */
function isWordMismatch(template: readonly string[], tokens: readonly string[], at: number): boolean {
  const t = template[at];
  const m = tokens[at];
  if (at > 0 && isKey(template[at - 1])) return false;
  return isLiteralWord(t) ? hasLetter(m) : partlyMaskedApart(t, m);
}

/** Partly masked tokens one of which has a word more (oneHasAWordMore). */
function partlyMaskedApart(t: string, m: string): boolean {
  return (
    t !== m && t.includes(WILDCARD) && m.includes(WILDCARD) && !hasSlash(t) && oneHasAWordMore(wordsOf(t), wordsOf(m))
  );
}

/**
 * Words (letter runs outside wildcards) where one token has all of the other's, in order, and more: `LOGIN(uid=<*>)`
 * over `(uid=<*>)`. Two partly masked ids (`jA<*>J<*>UvC<*>:`, `jA<*>J<*>Wd<*>:`) differ in their letters but
 * neither holds the other's, and a host name's words (`tcpconn<*>.tencent.com:<*>`) against an address's none
 * (`<*>:<*>`) are two values: neither is a word more.
 */
function oneHasAWordMore(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === b.length || a.length === 0 || b.length === 0) return false;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  let i = 0;
  for (const w of long) if (i < short.length && w === short[i]) i++;
  return i === short.length;
}

function hasSlash(token: string): boolean {
  return token.includes('/') || token.includes('\\');
}

/** The words of a token outside its wildcards: letter runs with a letter no hex number has (`0000:02:0e.0` has none). */
function wordsOf(token: string): string[] {
  return (token.replaceAll(WILDCARD, ' ').match(/[A-Za-z]+/g) ?? []).filter((w) => /[g-z]/i.test(w));
}

/** A token with a letter outside its wildcards (`SOCKS<*>`, `user`). */
function hasLetter(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 60 && token.startsWith(WILDCARD, i)) i += 2;
    else if ((c | 32) >= 97 && (c | 32) <= 122) return true;
  }
  return false;
}

/** A token with a letter and neither a digit, a wildcard nor a path separator (`/ws/*` is a value). */
function isLiteralWord(token: string): boolean {
  let letter = false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 47 || c === 92) return false;
    if (c === 60 && token.startsWith(WILDCARD, i)) return false;
    if ((c | 32) >= 97 && (c | 32) <= 122) letter = true;
  }
  return letter;
}

/** Makes the template's token `at` a variable. */
function variableAt(cluster: Cluster, at: number): void {
  cluster.tokens = cluster.tokens.map((t, i) => (i === at ? WILDCARD : t));
  cluster.template = cluster.tokens.join(' ');
  cluster.slots = slotsOf(cluster.tokens);
}

/** A word position of `cluster` proved a variable: it generalizes there and takes in the templates of `leaf` it covers. */
function slotIsVariable(cluster: Cluster, at: number, leaf: PrefixNode): void {
  variableAt(cluster, at);
  cluster.wordSlots?.delete(at);
  takeInstances(cluster, leaf);
}

/** `other` becomes an alias of `into`, its lines counted there. */
function aliasInto(other: Cluster, into: Cluster): void {
  other.alias = into;
  into.count += other.count;
}

/** The templates of `leaf` that are instances of `cluster` (equal but where it has variables) become its aliases. */
function takeInstances(cluster: Cluster, leaf: PrefixNode): boolean {
  let taken = false;
  for (const other of leaf.clusters) {
    if (other === cluster || other.alias || other.tokens.length !== cluster.tokens.length) continue;
    if (cluster.tokens.every((t, i) => t === WILDCARD || t === other.tokens[i])) {
      aliasInto(other, cluster);
      taken = true;
    }
  }
  return taken;
}

/** Turns the template's tokens that differ from the message into `<*>`; true when the template changed. */
function generalize(cluster: Cluster, tokens: readonly string[]): boolean {
  let changed = false;
  for (let i = 0; i < cluster.tokens.length; i++) {
    if (cluster.tokens[i] !== tokens[i] && cluster.tokens[i] !== WILDCARD) {
      if (!changed) cluster.tokens = [...cluster.tokens];
      cluster.tokens[i] = WILDCARD;
      changed = true;
    }
  }
  if (changed) {
    cluster.template = cluster.tokens.join(' ');
    cluster.slots = slotsOf(cluster.tokens);
  }
  return changed;
}

function countVariable(tokens: readonly string[]): number {
  let n = 0;
  for (const t of tokens) if (t.includes(WILDCARD)) n++;
  return n;
}

function matchOf(cluster: Cluster, p: PreparedMessage, isNew: boolean): TemplateMatch {
  const params: string[] = [];
  const { raw, starts } = p;
  if (cluster.tokens.length !== p.masked.length) {
    // A twin of another token count: the parameters are the message's own variable tokens.
    p.masked.forEach((t, j) => {
      if (!t.includes(WILDCARD)) return;
      params.push(starts ? raw.slice(starts[j], starts[j + 1] ?? raw.length).join(' ') : raw[j]);
    });
    return { id: cluster.id, template: cluster.template, params, isNew };
  }
  for (const { at, literals } of cluster.slots) {
    const from = starts ? starts[at] : at;
    if (literals) paramsInToken(literals, raw[from], params);
    else params.push(starts ? raw.slice(from, starts[at + 1] ?? raw.length).join(' ') : raw[from]);
  }
  return { id: cluster.id, template: cluster.template, params, isNew };
}

/** Appends the text under each wildcard of a partly masked token: `/products/<*>` over `/products/123` gives `123`. */
function paramsInToken(literals: readonly string[], token: string, params: string[]): void {
  let at = literals[0].length;
  for (let k = 1; k < literals.length; k++) {
    const last = k === literals.length - 1 && literals[k] === '';
    const next = last ? token.length : token.indexOf(literals[k], at);
    const end = next < 0 ? token.length : next;
    params.push(token.slice(at, end));
    at = end + literals[k].length;
  }
}

function nodeState(node: PrefixNode): NodeState {
  const state: NodeState = {};
  if (node.children.size > 0) state.children = [...node.children].map(([token, child]) => [token, nodeState(child)]);
  if (node.clusters.length > 0) state.templates = node.clusters.map((c) => c.id);
  return state;
}
