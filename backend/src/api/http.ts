import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

/** Throws the JSON error every route answers with: `{ "error": message }` and a 4xx status. */
export function fail(status: ContentfulStatusCode, message: string): never {
  throw new HTTPException(status, { message });
}

function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const field = issue.path.reduce<string>(
        (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
        '',
      );
      return field ? `${field}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) fail(400, `invalid ${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** The JSON body, checked: 415 for another content type, 400 for bad JSON or a field zod rejects. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) fail(415, 'send the body as application/json');
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    fail(400, 'the body is not valid JSON');
  }
  return validate(schema, body, 'body');
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return validate(schema, c.req.query(), 'query');
}
