import type { IncomingMessage } from 'node:http';

/** A Web API request as the in-process Slack understood it. */
export interface ApiRequest {
  readonly params: Record<string, unknown>;
  /** From `Authorization: Bearer`, or the `token` parameter of form and query requests. */
  readonly token: string | undefined;
  /** A Slack error code when a JSON-encoded argument (`blocks`…) does not parse. */
  readonly parseError: string | undefined;
}

const JSON_FIELDS: Readonly<Record<string, string>> = {
  blocks: 'invalid_blocks_format',
  attachments: 'invalid_attachments',
  metadata: 'invalid_metadata_format',
  view: 'invalid_arguments',
};

/** Reads a request body in full. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

async function parseMultipart(body: string, contentType: string): Promise<Record<string, unknown>> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  const params: Record<string, unknown> = {};
  for (const [key, value] of form)
    params[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size };
  return params;
}

async function parseParams(
  req: IncomingMessage,
  body: string,
  query: URLSearchParams,
): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = Object.fromEntries(query);
  const type = mediaType(req);
  if (type === 'application/json' && body !== '')
    return { ...params, ...(JSON.parse(body) as Record<string, unknown>) };
  if (type === 'multipart/form-data')
    return { ...params, ...(await parseMultipart(body, req.headers['content-type'] ?? '')) };
  return { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
}

function decodeJsonFields(params: Record<string, unknown>): string | undefined {
  for (const [field, error] of Object.entries(JSON_FIELDS)) {
    const value = params[field];
    if (typeof value !== 'string') continue;
    try {
      params[field] = JSON.parse(value);
    } catch {
      return error;
    }
  }
  return undefined;
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * Parses a Web API request the way Slack accepts it: form-urlencoded (what WebClient sends, with nested fields
 * JSON-encoded inside), JSON (token only via Bearer, as Slack requires), multipart, and query parameters.
 */
export async function parseApiRequest(req: IncomingMessage, query: URLSearchParams): Promise<ApiRequest> {
  const body = await readBody(req);
  let params: Record<string, unknown>;
  try {
    params = await parseParams(req, body, query);
  } catch {
    return { params: { raw: body }, token: bearer(req), parseError: 'invalid_json' };
  }
  const bodyToken = mediaType(req) === 'application/json' ? undefined : params.token;
  const token = bearer(req) ?? (typeof bodyToken === 'string' ? bodyToken : undefined);
  return { params, token, parseError: decodeJsonFields(params) };
}
