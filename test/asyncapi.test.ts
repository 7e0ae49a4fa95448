/**
 * /asyncapi.json: a valid AsyncAPI 3.0 document (checked against the official JSON Schema) whose payload
 * schemas accept what the server really sends, and the page's files and the Socket.IO client script
 * served beside it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SPEC_EXAMPLE, postBooking } from './helpers/api.ts';
import { callApi } from './helpers/contract.ts';
import { freshApiPerTest } from './helpers/setup.ts';
import { connectSocket, subscribe, waitForEvent } from './helpers/sockets.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const require = createRequire(import.meta.url);

describe('the AsyncAPI document and the page\'s files', () => {
  const state = freshApiPerTest();

  it('is valid AsyncAPI 3.0.0, covers every event on both namespaces, and /docs links it', async () => {
    const response = await fetch(`${state.api.url}/asyncapi.json`);
    assert.equal(response.status, 200);
    const document: any = await response.json();
    const schemaFile = require.resolve('@asyncapi/specs/schemas/3.0.0-without-$id.json');
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true, validateFormats: false }));
    const validateDocument = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
    assert.ok(validateDocument(structuredClone(document)), JSON.stringify(validateDocument.errors, null, 1));

    assert.equal(document.asyncapi, '3.0.0');
    assert.deepEqual(Object.values(document.channels).map((c: any) => c.address), ['/', '/flights']);
    const names = Object.values(document.components.messages).map((m: any) => m.name);
    for (const event of ['subscribe', 'unsubscribe', 'seats_snapshot', 'seats_updated', 'error', 'booking_confirmed',
      'booking_failed', 'relay_status', 'server_shutdown', 'watch_user', 'booking_cancelled', 'flight_times_changed']) assert.ok(names.includes(event), event);

    const openApi: any = await (await fetch(`${state.api.url}/openapi.json`)).json();
    assert.match(openApi.info.description, /\(\/asyncapi\.json\)/);
  });

  it('describes what the server really sends: snapshot, update, error, booking results and a user\'s notices', async () => {
    const document: any = await (await fetch(`${state.api.url}/asyncapi.json`)).json();
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
    const payloadSchema = (event: string): ValidateFunction => {
      const message: any = Object.values(document.components.messages).find((m: any) => m.name === event);
      const name = message.payload.$ref.split('/').pop();
      return ajv.compile(document.components.schemas[name]);
    };
    const check = (event: string, payload: unknown) => {
      const validate = payloadSchema(event);
      assert.ok(validate(payload), `${event}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(payload)}`);
    };

    const socket = await connectSocket(state.api.url);
    try {
      const ref = { flightNumber: 'BKJT123', date: '07/04/2025' };
      check('subscribe', ref);
      check('seats_snapshot', await subscribe(socket, ref.flightNumber, ref.date));
      check('error', await subscribe(socket, 'BKJT000', '07/04/2025'));
      check('unsubscribe acknowledgement', await socket.socket.emitWithAck('unsubscribe', { flightNumber: 'BKJT000', date: '07/04/2025' }));

      const headers = { 'X-Socket-Id': socket.socket.id! };
      assert.equal((await postBooking(state.api.url, SPEC_EXAMPLE, { headers: { 'content-type': 'application/json', ...headers } })).status, 201);
      check('seats_updated', await waitForEvent(socket, 'seats_updated'));
      check('booking_confirmed', await waitForEvent(socket, 'booking_confirmed'));
      assert.equal((await postBooking(state.api.url, SPEC_EXAMPLE, { headers: { 'content-type': 'application/json', ...headers } })).status, 409);
      check('booking_failed', await waitForEvent(socket, 'booking_failed'));

      // A user's notices (AUTH_MODE=none here, so the socket asks for them).
      check('watch_user', { userId: 1 });
      check('watch_user acknowledgement', await socket.socket.emitWithAck('watch_user', { userId: 1 }));
      const moved = await callApi(state.api.url, 'PATCH', '/api/flights/times', {
        body: { flightNumber: 'BKJT123', date: '07/04/2025', departureTime: '2025-04-07T17:30:00Z', arrivalTime: '2025-04-07T19:00:00Z' },
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      check('flight_times_changed', await waitForEvent(socket, 'flight_times_changed'));
      const cancelled = await callApi(state.api.url, 'POST', '/api/flights/cancellation', { body: { flightNumber: 'BKJT234', date: '08/04/2025' } });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      check('booking_cancelled', await waitForEvent(socket, 'booking_cancelled'));

      // And it refuses what the server refuses.
      assert.equal(payloadSchema('subscribe')({ flightNumber: 'bkjt123', date: '07/04/2025' }), false);
    } finally {
      socket.close();
    }
  });

  it('serves the page at / and the Socket.IO browser client', async () => {
    const page = await fetch(`${state.api.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /<script src="\/socket\.io\/socket\.io\.min\.js"/);
    for (const file of ['/app.js', '/style.css', '/socket.io/socket.io.min.js', '/socket.io/socket.io.js']) {
      const response = await fetch(`${state.api.url}${file}`);
      assert.equal(response.status, 200, file);
      assert.ok((await response.text()).length > 500, file);
    }
    // Unknown paths are still the API's JSON 404.
    const missing = await fetch(`${state.api.url}/nope.html`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error, 'not_found');
  });
});
