/**
 * Checks real responses against the OpenAPI document the app serves: the status must be documented for
 * the operation, and the JSON body must match the documented schema (compiled with Ajv 2020, as the
 * validator compiles requests). A request that matches no operation must be a 404 or a 405 (with Allow)
 * carrying the one error body.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildOpenApiDocument } from '../../src/http/openapi.ts';

const DOCUMENT_ID = 'blackjet-openapi';
const document = buildOpenApiDocument() as unknown as {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: object; headers?: object }> }>>;
  components: { responses: Record<string, { content?: object; headers?: object }> };
};

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(document, DOCUMENT_ID);

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** '/api/bookings/{bookingId}' matches '/api/bookings/anything-without-a-slash'. */
const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

function validateBody(pointer: string, body: unknown, what: string): void {
  const validate = ajv.getSchema(`${DOCUMENT_ID}#${pointer}`);
  assert.ok(validate, `no schema at ${pointer}`);
  assert.ok(validate(body), `${what}: body does not match the contract: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
}

export interface CheckedResponse {
  status: number;
  headers: Headers;
  body: any;
}

export function assertMatchesContract(method: string, url: string, response: CheckedResponse): void {
  const path = new URL(url, 'http://x').pathname;
  const what = `${method} ${path} -> ${response.status}`;
  const match = templates.find((t) => t.pattern.test(path));
  const operation = match && document.paths[match.template]![method.toLowerCase()];
  if (!operation) {
    assert.ok(response.status === 404 || response.status === 405, `${what}: no documented operation, expected 404 or 405`);
    if (response.status === 405) assert.ok(response.headers.get('allow'), `${what}: 405 without an Allow header`);
    validateBody('/components/schemas/Error', response.body, what);
    return;
  }

  const documented = operation.responses[String(response.status)];
  assert.ok(documented, `${what}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
  let pointer = `/paths/${escapePointer(match.template)}/${method.toLowerCase()}/responses/${response.status}`;
  let described = documented;
  if (documented.$ref) {
    pointer = documented.$ref.slice(1);
    described = document.components.responses[documented.$ref.split('/').pop()!]!;
  }
  for (const [header, spec] of Object.entries(described.headers ?? {})) {
    if ((spec as { required?: boolean }).required) {
      assert.ok(response.headers.get(header), `${what}: required header ${header} is missing`);
    }
  }
  if (described.content) {
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `${what}: not JSON`);
    validateBody(`${pointer}/content/application~1json/schema`, response.body, what);
  }
}

/** A request through real HTTP whose response is checked against the contract before it is returned. */
export async function callApi(
  baseUrl: string, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<CheckedResponse> {
  const hasBody = init.body !== undefined;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: hasBody ? (typeof init.body === 'string' ? init.body : JSON.stringify(init.body)) : undefined,
  });
  const text = await response.text();
  const checked = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  assertMatchesContract(method, path, checked);
  return checked;
}

/** A 400 validation_error; with `field`, one of its details must be about that field. */
export function assertValidationError(response: CheckedResponse, field?: string): void {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  assert.equal(response.body.error, 'validation_error');
  assert.ok(response.body.details.length > 0);
  if (field) assert.ok(response.body.details.some((d: any) => d.field === field), JSON.stringify(response.body.details));
}
