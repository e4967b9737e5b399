/** Splits decoded text chunks into lines (\n or \r\n); a line longer than `maxChars` is cut there. */
export async function* splitLines(
  chunks: AsyncIterable<string>,
  maxChars: number,
): AsyncIterable<{ line: string; truncated: boolean }> {
  let rest = '';
  let dropping = false;
  for await (const chunk of chunks) {
    let text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (!dropping) {
        const truncated = end - start > maxChars;
        yield { line: text.slice(start, truncated ? start + maxChars : end), truncated };
      }
      dropping = false;
      start = nl + 1;
    }
    text = text.slice(start);
    if (text.length > maxChars && !dropping) {
      yield { line: text.slice(0, maxChars), truncated: true };
      dropping = true;
    }
    rest = dropping ? '' : text;
  }
  if (rest && !dropping) yield { line: rest.endsWith('\r') ? rest.slice(0, -1) : rest, truncated: false };
}

/** Decodes bytes as UTF-8 (bad sequences become U+FFFD) without splitting characters across chunks. */
export async function* decodeUtf8(bytes: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of bytes) yield decoder.decode(chunk, { stream: true });
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** True when text looks like binary data rather than log lines: NUL bytes, or many control or undecodable chars. */
export function looksBinary(sample: string): boolean {
  if (sample.includes('\0')) return true;
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) odd++;
  }
  return odd > sample.length * 0.1;
}
