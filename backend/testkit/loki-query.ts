/** A stream of a Loki `query_range` answer. */
export type LokiStream = { stream: Record<string, string>; values: [string, string][] };

/** `GET /loki/api/v1/query_range` on a running server: its status, streams (none when it failed) and warnings. */
export async function queryRange(
  url: string,
  params: Record<string, string>,
): Promise<{ status: number; streams: LokiStream[]; warnings?: string[] }> {
  const res = await fetch(`${url}/loki/api/v1/query_range?${new URLSearchParams(params)}`);
  const body = (await res.json()) as { data?: { result: LokiStream[] }; warnings?: string[] };
  return { status: res.status, streams: body.data?.result ?? [], warnings: body.warnings };
}
