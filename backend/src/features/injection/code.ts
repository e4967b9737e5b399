/**
 * Code handed to a server's template or expression engine, on normalised text (features/decode.ts): server-side
 * template injection (Jinja, Twig, Freemarker, ERB, Thymeleaf), OGNL and Java EL (Struts, Confluence, Spring), and
 * the Java class-loader chains of Spring4Shell and its Struts forebears, read in parameter names as well as values.
 * PHP code and calls that run commands are command injection's (system.ts).
 */
import { around, type Finding } from './system.js';

/** A template expression that computes (`{{7*7}}`, `${7*7}`, `#{7*7}`, `<%= 7*7 %>`): every SSTI scanner's first probe. */
const ARITHMETIC = /(?:\{\{|[$#*@]\{|<%=?)\s*\d+\s*[-+*/]\s*\d+\s*(?:\}\}?|%>)/;
/** Python objects a template sandbox escape walks: `{{''.__class__.__mro__[1].__subclasses__()}}`. */
const DUNDER = /__(?:class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute|reduce)__/;
/** Template globals that lead to `os`: Jinja's `lipsum`, `cycler`, `joiner`, Flask's `config`, `request.application`. */
const TEMPLATE_OBJECT =
  /\{\{[^}]*\b(?:config\.items|self\._templatereference|request\.application|lipsum|cycler|joiner)\b/;
/** Expression languages reaching Java's runtime: Struts' `%{(#_=…)}`, `#_memberAccess`, SpEL's `T(java.lang.Runtime)`. */
const JAVA_EXPRESSION =
  /%\{\s*\(?\s*[#@]|\$\{\s*[#(]|#_?memberaccess|#context\s*\[|@ognl\.|ognlcontext|(?:^|[^a-z0-9_])t\s*\(\s*java\.|java\.lang\.(?:runtime|processbuilder|system|class)\b|getruntime\s*\(|new\s+java\.|freemarker\.template\.utility\.execute|\.getclass\s*\(\s*\)\s*\.forname/;
/**
 * A parameter name that walks a bean's `class` property to its class loader (CVE-2010-1622, CVE-2014-0094,
 * Spring4Shell CVE-2022-22965): `class.module.classLoader.resources.context.parent.pipeline.first.pattern`.
 */
const CLASS_LOADER = /(?:^|[.[])class\s*(?:\.|\[\s*['"]?)\s*(?:module\s*\.\s*)?classloader\b/;
/** Every pattern above needs one of these. */
const GATE = /[{}]|__|<%|java|class|ognl|memberaccess|freemarker/;

export function detectCodeInjection(value: string): Finding | undefined {
  if (!GATE.test(value)) return undefined;
  let m = ARITHMETIC.exec(value);
  if (m) return { rule: `template expression ${m[0]}`, fragment: around(value, m.index) };
  m = DUNDER.exec(value);
  if (m) return { rule: `template object ${m[0]}`, fragment: around(value, m.index) };
  m = TEMPLATE_OBJECT.exec(value);
  if (m) return { rule: 'template globals', fragment: around(value, m.index) };
  m = CLASS_LOADER.exec(value);
  if (m) return { rule: 'Java class loader', fragment: around(value, m.index) };
  m = JAVA_EXPRESSION.exec(value);
  if (m) return { rule: 'Java expression', fragment: around(value, m.index) };
  return undefined;
}
