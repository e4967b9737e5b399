/**
 * Credentials never leave in an answer or a log line: `user:password@` in URLs, `Authorization`-style values and
 * `token=` / `password=` query parameters are replaced by `***`.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@'"]*@/gi, '$1***@')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ***')
    .replace(/([?&](?:token|access_token|password|passwd|secret|api_key|apikey)=)[^&\s'"]*/gi, '$1***');
}

/** A URL as it may be shown: without its user and password. */
export function safeUrl(url: string): string {
  return redactSecrets(url);
}
