// BlackJet's seat-map page: plain JavaScript, no build step. It speaks only the public API: REST under
// /api (its OpenAPI document at /openapi.json says which search fields and whether sign-in exist) and the
// Socket.IO events of /asyncapi.json. The protocol rules are the README's: apply a seat map only when its
// version is higher than the one shown, subscribe again after a gap or an unrecovered reconnect.

const $ = (selector, root = document) => root.querySelector(selector);
const LEGS = ['outbound', 'inbound'];

// ---- state -------------------------------------------------------------------------------------------

/** Per leg: the flight shown ({ flightNumber, date }), its seat map view, and the seat picked. */
const legs = { outbound: { flight: null, view: null, seat: null }, inbound: { flight: null, view: null, seat: null } };
const connection = { socketUp: false, relayLive: true, pendingSnapshots: new Set() };
const auth = { required: false, loginPath: null, refreshPath: null, accessToken: null };
let searchParams = new URLSearchParams();
let searchPage = 1;

const keyOf = (flight) => `${flight.flightNumber} ${flight.date}`;
const watchedFlights = () => {
  const byKey = new Map();
  for (const leg of LEGS) if (legs[leg].flight) byKey.set(keyOf(legs[leg].flight), legs[leg].flight);
  return [...byKey.values()];
};

// ---- connection indicator ----------------------------------------------------------------------------

function showConnection() {
  const element = $('#connection');
  let state;
  let text;
  if (!connection.socketUp) {
    state = element.dataset.state === 'connecting' ? 'connecting' : 'offline';
    text = state === 'connecting' ? 'Connecting…' : 'Disconnected: reconnecting… seat maps may be out of date';
  } else if (!connection.relayLive) {
    state = 'paused';
    text = 'Live updates paused: the server lost its database; seat maps will refresh when it is back';
  } else if (connection.pendingSnapshots.size > 0) {
    state = 'resyncing';
    text = 'Resyncing seat maps…';
  } else {
    state = 'live';
    text = 'Live';
  }
  element.dataset.state = state;
  element.textContent = text;
  document.body.dataset.connection = state;
}

// ---- Socket.IO ---------------------------------------------------------------------------------------

const socket = window.io({
  transports: new URLSearchParams(location.search).get('transport') === 'polling' ? ['polling'] : ['websocket', 'polling'],
  tryAllTransports: true,
  auth: (send) => send(auth.accessToken ? { token: auth.accessToken } : {}),
});

socket.on('connect', () => {
  connection.socketUp = true;
  // A recovered connection kept its rooms and got what it missed; anything else starts from snapshots.
  if (!socket.recovered) for (const flight of watchedFlights()) subscribe(flight);
  showConnection();
});
socket.on('disconnect', (reason) => {
  connection.socketUp = false;
  connection.relayLive = true; // unknown until the server says otherwise
  showConnection();
  // The server closed this socket (it is shutting down): Socket.IO does not retry that by itself.
  if (reason === 'io server disconnect') socket.connect();
});
// A token refused at the handshake (it expired while the socket was away): Socket.IO does not retry a
// refusal by itself. Refresh it, or go on without one (seat maps need none), and connect again.
socket.on('connect_error', (error) => {
  if (error.data?.error !== 'unauthorized' || !auth.accessToken) return;
  void refresh().then((ok) => {
    if (!ok) auth.accessToken = null;
    socket.connect();
  });
});
socket.on('relay_status', (status) => {
  connection.relayLive = status.live;
  showConnection();
});
socket.on('seats_snapshot', (snapshot) => applySeatMap(snapshot, true));
socket.on('seats_updated', (update) => applySeatMap(update, false));

/** Watches a flight; answers with its snapshot. Retries while the server cannot read it yet. */
function subscribe(flight, attempt = 1) {
  const key = keyOf(flight);
  connection.pendingSnapshots.add(key);
  showConnection();
  socket.timeout(10_000).emit('subscribe', flight, (timeout, reply) => {
    if (!watchedFlights().some((f) => keyOf(f) === key)) return;
    if (timeout || reply.error === 'service_unavailable') {
      if (socket.connected) setTimeout(() => subscribe(flight, attempt + 1), Math.min(5_000, 250 * 2 ** attempt));
      return;
    }
    connection.pendingSnapshots.delete(key);
    showConnection();
    if (reply.error) {
      for (const leg of LEGS) if (legs[leg].flight && keyOf(legs[leg].flight) === key) showLegError(leg, reply.message);
      return;
    }
    applySeatMap(reply, true);
  });
}

function unsubscribeIfUnused(flight) {
  if (!flight || watchedFlights().some((f) => keyOf(f) === keyOf(flight))) return;
  connection.pendingSnapshots.delete(keyOf(flight));
  if (socket.connected) socket.emit('unsubscribe', flight);
}

/** Applies a snapshot or an update to every leg showing that flight, by version. */
function applySeatMap(event, isSnapshot) {
  const key = keyOf(event);
  for (const leg of LEGS) {
    const state = legs[leg];
    if (!state.flight || keyOf(state.flight) !== key) continue;
    const held = state.view;
    if (held && (event.version < held.version || (event.version === held.version && !isSnapshot))) continue;
    // A gap: this update still carries the whole map, but ask for a snapshot to be sure.
    if (held && !isSnapshot && event.version > held.version + 1) subscribe(state.flight);
    const before = held;
    state.view = {
      availableSeats: event.availableSeats,
      heldSeats: event.heldSeats ?? [], // present once seat holds exist
      totalSeats: event.totalSeats ?? held?.totalSeats ?? 8,
      version: event.version,
      timestamp: event.timestamp,
    };
    if (state.seat !== null && !state.view.availableSeats.includes(state.seat)) state.seat = null;
    renderLeg(leg, before);
  }
  updateBookButton();
}

// ---- seat maps ---------------------------------------------------------------------------------------

const seatState = (view, seat) => {
  if (view.availableSeats.includes(seat)) return 'free';
  return view.heldSeats.includes(seat) ? 'held' : 'taken';
};

function renderLeg(leg, before) {
  const state = legs[leg];
  const root = $(`.leg[data-leg="${leg}"]`);
  const map = $('.seat-map', root);
  const { flight, view } = state;
  $('.leg-flight', root).innerHTML = '';
  $('.leg-flight', root).append(...flightTitle(flight));
  if (!view) {
    map.hidden = true;
    $('.leg-meta', root).textContent = flight ? 'Loading seat map…' : '';
    return;
  }
  if (map.childElementCount !== view.totalSeats) buildSeatButtons(leg, map, view.totalSeats);
  map.hidden = false;
  map.dataset.flight = keyOf(flight);
  map.dataset.version = String(view.version);
  for (let seat = 1; seat <= view.totalSeats; seat++) {
    const button = $(`[data-seat="${seat}"]`, map);
    const seatNow = seatState(view, seat);
    const chosen = state.seat === seat;
    const mine = seatNow === 'held' && heldByMe(leg, seat);
    button.dataset.state = seatNow;
    button.toggleAttribute('data-mine', mine);
    button.setAttribute('aria-pressed', String(chosen));
    button.setAttribute('aria-disabled', String(seatNow !== 'free' || isCancelled(leg)));
    button.setAttribute('aria-label', `Seat ${seat}, ${seatNow}${mine ? ' by you' : ''}${chosen ? ', your choice' : ''}`);
    if (before && seatState(before, seat) !== seatNow) {
      button.classList.remove('changed');
      void button.offsetWidth; // restart the animation
      button.classList.add('changed');
    }
  }
  const free = view.availableSeats.length;
  $('.leg-meta', root).textContent = isCancelled(leg)
    ? 'This flight is cancelled: it cannot be booked.'
    : `${free} of ${view.totalSeats} seats free · updated ${new Date(view.timestamp).toLocaleTimeString()}`;
}

function flightTitle(flight) {
  if (!flight) return [document.createTextNode('No flight chosen yet.')];
  const strong = document.createElement('strong');
  strong.textContent = `${flight.flightNumber} · ${flight.date}`;
  const parts = [strong];
  if (flight.origin && flight.destination) parts.push(document.createTextNode(` · ${flight.origin} → ${flight.destination}`));
  if (flight.status === 'cancelled') parts.push(document.createTextNode(' · Cancelled'));
  return parts;
}

function showLegError(leg, message) {
  const root = $(`.leg[data-leg="${leg}"]`);
  $('.leg-meta', root).textContent = message;
}

/**
 * A button per seat (8 on the standard jet, more on larger aircraft), two a row with an aisle; arrow keys
 * move between them (one tab stop per map).
 */
function buildSeatButtons(leg, map, count) {
  map.replaceChildren();
  for (let seat = 1; seat <= count; seat++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'seat';
    button.dataset.seat = String(seat);
    button.textContent = String(seat);
    button.tabIndex = seat === 1 ? 0 : -1;
    button.style.gridColumn = seat % 2 === 1 ? '1' : '3';
    button.style.gridRow = String(Math.ceil(seat / 2));
    button.addEventListener('click', () => pickSeat(leg, seat));
    map.append(button);
  }
  if (map.dataset.keys) return;
  map.dataset.keys = 'on';
  map.addEventListener('keydown', (event) => {
    const current = Number(event.target.dataset?.seat);
    if (!current) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -2, ArrowDown: 2 }[event.key];
    let next;
    const last = map.querySelectorAll('.seat').length;
    if (step) next = current + step;
    else if (event.key === 'Home') next = 1;
    else if (event.key === 'End') next = last;
    if (!next || next < 1 || next > last) return;
    event.preventDefault();
    for (const button of map.querySelectorAll('.seat')) button.tabIndex = -1;
    const target = $(`[data-seat="${next}"]`, map);
    target.tabIndex = 0;
    target.focus();
  });
}

function pickSeat(leg, seat) {
  const state = legs[leg];
  if (!state.view || seatState(state.view, seat) !== 'free' || isCancelled(leg)) return; // aria-disabled: focusable, not pickable
  state.seat = state.seat === seat ? null : seat;
  renderLeg(leg, state.view);
  updateBookButton();
}

function openFlight(leg, flight) {
  const previous = legs[leg].flight;
  legs[leg] = { flight, view: null, seat: null };
  unsubscribeIfUnused(previous);
  // The other leg may already show this flight: share its view.
  const other = legs[leg === 'outbound' ? 'inbound' : 'outbound'];
  if (other.flight && keyOf(other.flight) === keyOf(flight)) legs[leg].view = other.view;
  renderLeg(leg, null);
  if (socket.connected) subscribe(flight);
  if (!flight.status) void describeFlight(leg, flight);
  markChosenRows();
  updateBookButton();
  const hash = new URLSearchParams();
  for (const l of LEGS) if (legs[l].flight) hash.set(l, `${legs[l].flight.flightNumber}_${legs[l].flight.date}`);
  history.replaceState(null, '', `#${hash}`);
}

/**
 * A flight opened from a link knows only its number and date: its route and status (a cancelled flight
 * cannot be booked) come from the REST seat map.
 */
async function describeFlight(leg, flight) {
  const query = new URLSearchParams({ flightNumber: flight.flightNumber, date: flight.date });
  const { response, body } = await api(`/api/flights/seats?${query}`);
  if (response?.status !== 200 || legs[leg].flight !== flight) return;
  for (const field of ['origin', 'destination', 'departureTime', 'arrivalTime', 'fare', 'status']) {
    if (body[field] !== undefined) flight[field] = body[field];
  }
  renderLeg(leg, legs[leg].view);
  updateBookButton();
}

// ---- search ------------------------------------------------------------------------------------------

/** Labels for the search parameters this page knows; any other parameter the API lists gets a plain field. */
const SEARCH_LABELS = {
  origin: 'From (airport)', destination: 'To (airport)', departureFrom: 'Departing on or after',
  departureTo: 'Departing on or before', returnFrom: 'Return on or after', returnTo: 'Return on or before',
  minFreeSeats: 'Seats needed', status: 'Status', flightNumber: 'Flight number', date: 'Date (DD/MM/YYYY)',
  from: 'From date (DD/MM/YYYY)', to: 'To date (DD/MM/YYYY)', hasAvailableSeats: 'Free seats',
};
/** The fields in view; the others (the original day filters) sit under "More filters". */
const MAIN_SEARCH_FIELDS = new Set(['origin', 'destination', 'departureFrom', 'departureTo', 'returnFrom', 'returnTo', 'minFreeSeats', 'status']);
const AIRPORT_FIELDS = new Set(['origin', 'destination']);
/** The departure bounds take an ISO date or a date-time; the form offers the date (the flight's local day). */
const DAY_FIELDS = new Set(['departureFrom', 'departureTo', 'returnFrom', 'returnTo']);
const NOT_SEARCH_FIELDS = new Set(['page', 'limit', 'cursor']);

function buildSearchForm(parameters) {
  const known = Object.keys(SEARCH_LABELS);
  const ordered = parameters
    .filter((p) => p.in === 'query' && !NOT_SEARCH_FIELDS.has(p.name))
    .sort((a, b) => (known.indexOf(a.name) + 1 || 99) - (known.indexOf(b.name) + 1 || 99));
  const more = $('#more-filters');
  for (const parameter of ordered) {
    const label = document.createElement('label');
    label.append(SEARCH_LABELS[parameter.name] ?? parameter.name);
    const input = searchInput(parameter);
    input.name = parameter.name;
    if (parameter.description) input.title = parameter.description;
    label.append(input);
    if (MAIN_SEARCH_FIELDS.has(parameter.name)) $('#search-fields').append(label);
    else $('.row', more).append(label);
  }
  more.hidden = $('.row', more).childElementCount === 0;
}

function searchInput(parameter) {
  const schema = parameter.schema ?? {};
  const choices = schema.enum ?? (schema.anyOf?.every((s) => 'const' in s) ? schema.anyOf.map((s) => s.const) : null);
  if (schema.type === 'boolean' || choices) {
    const select = document.createElement('select');
    select.append(new Option('any', ''));
    if (choices) select.append(...choices.map((value) => new Option(value, value)));
    else select.append(new Option('yes', 'true'), new Option('no', 'false'));
    return select;
  }
  const input = document.createElement('input');
  if (DAY_FIELDS.has(parameter.name)) {
    input.type = 'date';
    return input;
  }
  input.type = schema.type === 'integer' ? 'number' : 'text';
  if (schema.minimum !== undefined) input.min = String(schema.minimum);
  if (schema.maximum !== undefined) input.max = String(schema.maximum);
  if (parameter.example !== undefined) input.placeholder = String(parameter.example);
  input.size = 12;
  if (AIRPORT_FIELDS.has(parameter.name)) {
    // IATA codes are capitals: typing "lax" is taken as LAX rather than refused.
    input.setAttribute('list', 'airports');
    input.maxLength = 3;
    input.size = 5;
    input.autocomplete = 'off';
    input.addEventListener('input', () => { input.value = input.value.toUpperCase(); });
  }
  if (schema.pattern && schema.type === 'string') input.pattern = schema.pattern.replace(/^\^|\$$/g, '');
  return input;
}

/**
 * Airports to suggest in the From and To fields: the API has no airport list, so the page offers those
 * of every flight it has seen (a first page of 100 at start, then every result).
 */
const airportsSeen = new Set();
function noteAirports(flights) {
  const before = airportsSeen.size;
  for (const flight of flights) for (const code of [flight.origin, flight.destination]) if (code) airportsSeen.add(code);
  if (airportsSeen.size === before) return;
  $('#airports').replaceChildren(...[...airportsSeen].sort().map((code) => new Option(code, code)));
}

async function suggestAirports() {
  const { body } = await api('/api/flights?limit=100');
  if (body?.items) noteAirports(body.items);
}

const PAGE_SIZE = 10;

async function search(page = 1) {
  searchPage = page;
  const query = new URLSearchParams(searchParams);
  query.set('page', String(page));
  query.set('limit', String(PAGE_SIZE));
  const status = $('#search-status');
  status.textContent = 'Searching…';
  const { response, body } = await api(`/api/flights?${query}`);
  const roundTrip = Boolean(body?.inbound);
  if (!response || response.status !== 200) {
    status.textContent = describeError(response, body);
    showResults('#results', null);
    showResults('#results-inbound', null);
    $('.pager').hidden = true;
    return;
  }
  noteAirports([...body.items, ...body.inbound?.items ?? []]);
  // A round-trip search lists the outbound candidates and the returns apart, each with its one choice.
  showResults('#results', body.items, roundTrip ? ['outbound'] : LEGS);
  showResults('#results-inbound', roundTrip ? body.inbound.items : null, ['inbound']);
  $('#outbound-results-title').hidden = !roundTrip;
  const count = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (roundTrip) {
    status.textContent = `${count(body.total, 'outbound flight')} and ${count(body.inbound.total, 'return flight')} found.`;
  } else {
    status.textContent = body.total === 0 ? 'No flights match.' : `${count(body.total, 'flight')} found.`;
  }
  const pages = Math.max(1, Math.ceil(Math.max(body.total, body.inbound?.total ?? 0) / body.limit));
  const pager = $('.pager');
  pager.hidden = pages <= 1;
  $('.hint', pager).textContent = `Page ${body.page} of ${pages}`;
  $('[data-page="prev"]', pager).disabled = body.page <= 1;
  $('[data-page="next"]', pager).disabled = body.page >= pages;
  markChosenRows();
}

/** Fills one results table; `flights` null hides it. */
function showResults(selector, flights, offered = LEGS) {
  const table = $(selector);
  const tbody = $('tbody', table);
  tbody.replaceChildren(...(flights ?? []).map((flight) => flightRow(flight, offered)));
  table.hidden = !flights || flights.length === 0;
  if (selector === '#results-inbound') $('#inbound-results-title').hidden = !flights;
}

/** "2025-04-07T09:00:00-07:00" → "09:00": the API gives each time in its airport's local time already. */
const localClock = (iso) => iso.slice(11, 16);
const fareText = (fare) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(fare);

function flightRow(flight, offered) {
  const row = document.createElement('tr');
  row.dataset.flight = keyOf(flight);
  const cancelled = flight.status === 'cancelled';
  row.classList.toggle('cancelled', cancelled);
  let arrives = '';
  if (flight.arrivalTime) {
    // A later local date at arrival (a red-eye, or eastbound across zones) is said, not left to guess.
    const days = Math.round((Date.parse(flight.arrivalTime.slice(0, 10)) - Date.parse(flight.departureTime.slice(0, 10))) / 86_400_000);
    arrives = localClock(flight.arrivalTime) + (days > 0 ? ` (+${days} day${days === 1 ? '' : 's'})` : '');
  }
  const cells = [
    flight.flightNumber,
    flight.origin && flight.destination ? `${flight.origin} → ${flight.destination}` : '',
    flight.date + (flight.departureTime ? ` ${localClock(flight.departureTime)}` : ''),
    arrives,
    flight.fare !== undefined ? fareText(flight.fare) : '',
    cancelled ? '–' : `${flight.availableSeats.length} of ${flight.totalSeats}`,
    cancelled ? 'Cancelled' : (flight.status ? 'Scheduled' : ''),
  ];
  for (const value of cells) {
    const cell = document.createElement('td');
    cell.textContent = value;
    row.append(cell);
  }
  row.cells[6].className = 'status';
  const actions = document.createElement('td');
  actions.className = 'actions';
  for (const [leg, label] of [['outbound', 'Outbound'], ['inbound', 'Return']]) {
    if (!offered.includes(leg)) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.dataset.leg = leg;
    button.textContent = label;
    button.setAttribute('aria-label', `${label}: ${flight.flightNumber} on ${flight.date}${cancelled ? ' (cancelled, cannot be booked)' : ''}`);
    // A cancelled flight is listed (people look for the flight they had) but cannot be chosen.
    button.disabled = cancelled;
    button.addEventListener('click', () => openFlight(leg, flight));
    actions.append(button);
  }
  row.append(actions);
  return row;
}

function markChosenRows() {
  const chosen = new Set(watchedFlights().map(keyOf));
  for (const row of document.querySelectorAll('.results tbody tr')) row.classList.toggle('chosen', chosen.has(row.dataset.flight));
}

// ---- booking -----------------------------------------------------------------------------------------

const isCancelled = (leg) => legs[leg].flight?.status === 'cancelled';

function updateBookButton() {
  const ready = LEGS.every((leg) => legs[leg].seat !== null) && !LEGS.some(isCancelled);
  $('#book button[type="submit"]').disabled = !ready;
  $('#hold-seats').hidden = !holds.available;
  $('#hold-seats').disabled = !ready || hold !== null; // one hold at a time from this page
  const missing = LEGS.filter((leg) => legs[leg].seat === null).map((leg) => (leg === 'outbound' ? 'outbound' : 'return'));
  if (LEGS.some(isCancelled)) $('#book-hint').textContent = 'A cancelled flight cannot be booked: choose another.';
  else if (ready) $('#book-hint').textContent = `Outbound seat ${legs.outbound.seat}, return seat ${legs.inbound.seat}.`;
  else $('#book-hint').textContent = `Pick a seat on the ${missing.join(' and the ')} flight.`;
}

/** A UUID for Idempotency-Key, also outside secure contexts (plain http on a LAN address). */
function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** With sign-in on, the user comes from the token; without, the page names the passenger. */
const namedUser = () => (auth.required ? undefined : Number($('#book input[name="userId"]').value));

/**
 * Sends a JSON request that may safely be sent twice (an Idempotency-Key, or an operation idempotent by
 * itself): one retry when the answer was lost. X-Socket-Id brings the outcome to this page's socket too.
 */
async function sendTwiceIfLost(path, method, body, { idempotent = true } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (idempotent) headers['idempotency-key'] = newUuid();
  if (socket.connected) headers['x-socket-id'] = socket.id;
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  let answer = await api(path, init);
  if (!answer.response) answer = await api(path, init);
  return answer;
}

/** The picked seats of both legs as a booking or hold request (holds take lists: one passenger here). */
function tripRequest(asLists) {
  const { outbound, inbound } = legs;
  const body = {
    outboundFlightNumber: outbound.flight.flightNumber, outboundDate: outbound.flight.date,
    inboundFlightNumber: inbound.flight.flightNumber, inboundDate: inbound.flight.date,
    ...(asLists
      ? { outboundSeats: [outbound.seat], inboundSeats: [inbound.seat] }
      : { outboundSeat: outbound.seat, inboundSeat: inbound.seat }),
  };
  if (!auth.required) body.userId = namedUser();
  return body;
}

async function book(event) {
  event.preventDefault();
  $('#book button[type="submit"]').disabled = true;
  showResult('pending', [text('Booking…')]);
  const answer = await sendTwiceIfLost('/api/flight/booking', 'POST', tripRequest(false));
  if (answer.response?.status === 201) {
    showBooked(answer.body);
    clearPicks();
  } else {
    showRefusal(answer, 'book');
  }
  updateBookButton();
}

function showBooked(booking) {
  const seatsOf = (leg) => (leg.seats ?? [leg.seat]).join(', ');
  showResult('confirmed', [
    line(code('201 Created'), text(` Booked: ${booking.bookingId}`)),
    line(text(`Outbound ${booking.outbound.flightNumber} ${booking.outbound.date} seat ${seatsOf(booking.outbound)}; `
      + `return ${booking.inbound.flightNumber} ${booking.inbound.date} seat ${seatsOf(booking.inbound)}.`)),
  ]);
}

function clearPicks() {
  for (const leg of LEGS) legs[leg].seat = null;
  for (const leg of LEGS) if (legs[leg].view) renderLeg(leg, legs[leg].view);
}

/** A refused request: the status, the API's error code and its sentence; a 401 asks to sign in. */
function showRefusal({ response, body }, action) {
  if (response?.status === 401 && auth.loginPath) {
    askToSignIn(action);
    return;
  }
  const parts = [line(code(response ? `${response.status} ${body?.error ?? ''}`.trim() : 'no answer')), line(text(describeError(response, body)))];
  if (body?.availableSeats) parts.push(line(text(`Free now: ${body.availableSeats.join(', ') || 'none'}.`)));
  showResult('refused', parts);
}

function askToSignIn(action) {
  auth.required = true;
  auth.accessToken = null;
  showAccount();
  showResult('refused', [line(code('401')), line(text(`Please sign in to ${action}.`))]);
  $('#login input[name="email"]').focus();
}

// ---- seat holds --------------------------------------------------------------------------------------

/** Whether the API has holds (from its OpenAPI document), and the one hold this page keeps, if any. */
const holds = { available: false };
/** { holdId, deadline (ms, this clock), legs: { outbound: { key, seats }, inbound }, timer, announced } */
let hold = null;

async function placeHold() {
  $('#hold-seats').disabled = true;
  showResult('pending', [text('Holding…')]);
  const request = tripRequest(true);
  const answer = await sendTwiceIfLost('/api/flight/holds', 'POST', request);
  if (answer.response?.status !== 201) {
    showRefusal(answer, 'hold seats');
    updateBookButton();
    return;
  }
  const placed = answer.body;
  // Count down on this clock, corrected by the server's Date when the two disagree by more than its
  // one-second resolution (a device clock minutes off would otherwise show a wrong time left).
  const serverNow = Date.parse(answer.response.headers.get('date') ?? '');
  const skew = Number.isNaN(serverNow) || Math.abs(serverNow - Date.now()) < 2_000 ? 0 : serverNow - Date.now();
  hold = {
    holdId: placed.holdId,
    deadline: Date.parse(placed.expiresAt) - skew,
    legs: {
      outbound: { key: keyOf(placed.outbound), seats: placed.outbound.seats },
      inbound: { key: keyOf(placed.inbound), seats: placed.inbound.seats },
    },
    announced: null,
  };
  $('#result').hidden = true;
  $('#hold-seats-text').textContent = `outbound ${placed.outbound.flightNumber} ${placed.outbound.date} seat ${placed.outbound.seats.join(', ')}; `
    + `return ${placed.inbound.flightNumber} ${placed.inbound.date} seat ${placed.inbound.seats.join(', ')}.`;
  $('#hold').hidden = false;
  $('#hold').dataset.state = 'active';
  $('#hold-confirm').disabled = false;
  $('#hold-release').disabled = false;
  clearPicks();
  updateBookButton();
  tick();
  $('#hold-confirm').focus();
}

const secondsLeft = () => Math.max(0, Math.ceil((hold.deadline - Date.now()) / 1000));
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

/**
 * What the live region says at `seconds` left: only at the start, each whole minute, 30 s, 10 s and the
 * end, so that a screen reader hears a few sentences, not one a second. Null: nothing new to say.
 */
function announcement(seconds) {
  const until = new Date(hold.deadline).toLocaleTimeString();
  if (seconds === 0) return { mark: 0, text: 'The hold has expired: its seats are free again for anyone.' };
  if (hold.announced === null) return { mark: seconds, text: `Seats held until ${until}: ${clock(seconds)} to confirm.` };
  const mark = seconds <= 10 ? 10 : seconds <= 30 ? 30 : Math.ceil(seconds / 60) * 60;
  if (mark >= hold.announced) return null;
  return { mark, text: mark >= 60 ? `${mark / 60} minute${mark === 60 ? '' : 's'} left to confirm the hold.` : `${mark} seconds left to confirm the hold.` };
}

function tick() {
  if (!hold) return;
  const seconds = secondsLeft();
  $('#hold-countdown').textContent = clock(seconds);
  const said = announcement(seconds);
  if (said) {
    hold.announced = said.mark;
    $('#hold-status').textContent = said.text;
  }
  if (seconds === 0) {
    // The server's sweeper frees the seats within about a second; the seat maps show it through
    // seats_updated. Confirming stays possible: the server decides, and says 410 when the time was up.
    $('#hold').dataset.state = 'expired';
    $('#hold-seats').disabled = true;
    return;
  }
  clearTimeout(hold.timer);
  hold.timer = setTimeout(tick, (((hold.deadline - Date.now()) % 1000) || 1000) + 5); // just past the next whole second
}

function endHold() {
  if (!hold) return;
  clearTimeout(hold.timer);
  hold = null;
  $('#hold').hidden = true;
  for (const leg of LEGS) if (legs[leg].view) renderLeg(leg, legs[leg].view);
  updateBookButton();
}

async function confirmHold() {
  if (!hold) return;
  const { holdId } = hold;
  $('#hold-confirm').disabled = true;
  // Confirming is idempotent by itself (a second confirm replays the booking): safe to retry.
  const answer = await sendTwiceIfLost(`/api/flight/holds/${holdId}/confirm`, 'POST', auth.required ? {} : { userId: namedUser() }, { idempotent: false });
  const status = answer.response?.status;
  if (status === 201) showBooked(answer.body);
  else showRefusal(answer, 'confirm the hold');
  // Booked, or the hold is over (410 expired or released, 404 unknown): nothing left to act on.
  if (status === 201 || status === 410 || status === 404) endHold();
  else if (hold) $('#hold-confirm').disabled = false;
}

async function releaseHold() {
  if (!hold) return;
  const { holdId } = hold;
  $('#hold-release').disabled = true;
  const query = auth.required ? '' : `?userId=${namedUser()}`;
  const answer = await sendTwiceIfLost(`/api/flight/holds/${holdId}${query}`, 'DELETE', undefined, { idempotent: false });
  if (answer.response?.status === 204) {
    endHold();
    showResult('released', [line(code('204')), line(text('Hold released: its seats are free again.'))]);
  } else {
    showRefusal(answer, 'release the hold');
    if (hold) $('#hold-release').disabled = false;
  }
}

/** Whether a seat on this leg's flight is held by this page's hold. */
const heldByMe = (leg, seat) => {
  const flight = legs[leg].flight;
  return Boolean(hold && flight && LEGS.some((l) => hold.legs[l].key === keyOf(flight) && hold.legs[l].seats.includes(seat)));
};

const text = (value) => document.createTextNode(value);
const code = (value) => { const c = document.createElement('code'); c.textContent = value; return c; };
const line = (...children) => { const p = document.createElement('p'); p.append(...children); return p; };

function showResult(outcome, children) {
  const result = $('#result');
  result.hidden = false;
  result.dataset.outcome = outcome;
  result.replaceChildren(...children);
}

function describeError(response, body) {
  if (!response) return 'The server could not be reached. Check the connection and try again.';
  if (body?.message) return body.message; // the API's messages name every problem (details repeat them per field)
  return `The server answered ${response.status}.`;
}

// ---- HTTP and identity -------------------------------------------------------------------------------

/** fetch + JSON; `response` is undefined when the request never got an answer. */
async function api(path, init = {}) {
  const headers = { ...init.headers };
  if (auth.accessToken) headers.authorization = `Bearer ${auth.accessToken}`;
  try {
    let response = await fetch(path, { ...init, headers });
    if (response.status === 401 && auth.accessToken && await refresh()) {
      headers.authorization = `Bearer ${auth.accessToken}`;
      response = await fetch(path, { ...init, headers });
    }
    const raw = await response.text();
    let body;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = undefined; }
    return { response, body };
  } catch {
    return { response: undefined, body: undefined };
  }
}

/**
 * The access token lives in memory only. The refresh token is kept in sessionStorage, not localStorage:
 * a reload of this tab stays signed in, but it is gone when the tab closes and no other tab or later
 * visit sees it. It is single-use (each refresh rotates it, a reuse revokes the login), which bounds what
 * a copy is worth. The page loads no third-party script.
 */
function storeTokens(tokens) {
  auth.accessToken = tokens.accessToken;
  if (tokens.refreshToken) sessionStorage.setItem('blackjet.refreshToken', tokens.refreshToken);
}

/**
 * One refresh at a time: refresh tokens are single-use, and two requests refreshing with the same one
 * would look like a stolen token to the server (it revokes the login).
 */
let refreshing = null;
function refresh() {
  refreshing ??= refreshOnce().finally(() => { refreshing = null; });
  return refreshing;
}

async function refreshOnce() {
  const refreshToken = sessionStorage.getItem('blackjet.refreshToken');
  if (!refreshToken || !auth.refreshPath) return false;
  const response = await fetch(auth.refreshPath, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }),
  }).catch(() => undefined);
  if (response?.status !== 200) {
    sessionStorage.removeItem('blackjet.refreshToken');
    auth.accessToken = null;
    showAccount();
    return false;
  }
  storeTokens(await response.json());
  return true;
}

function showAccount() {
  $('#account').hidden = !auth.required;
  $('#user-field').hidden = auth.required;
  $('#user-field input').required = !auth.required;
  $('#login').hidden = Boolean(auth.accessToken);
  $('#signed-in').hidden = !auth.accessToken;
}

async function login(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const { response, body } = await api(auth.loginPath, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: form.get('email'), password: form.get('password') }),
  });
  if (response?.status !== 200) {
    $('#login-status').textContent = response ? `${response.status} ${body?.error ?? ''}: ${describeError(response, body)}` : describeError(response, body);
    return;
  }
  storeTokens(body);
  $('#signed-in span').textContent = `Signed in as ${form.get('email')}.`;
  $('#login-status').textContent = '';
  showAccount();
  socket.disconnect().connect(); // the handshake carries the token (booking results reach this socket)
}

async function logout() {
  const refreshToken = sessionStorage.getItem('blackjet.refreshToken');
  const logoutPath = auth.loginPath.replace(/login$/, 'logout');
  if (refreshToken) await api(logoutPath, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
  sessionStorage.removeItem('blackjet.refreshToken');
  auth.accessToken = null;
  showAccount();
}

/**
 * What the API offers, from its OpenAPI document: the search parameters, and whether booking needs a
 * token (a security requirement without an empty, optional alternative) and where to sign in.
 */
async function discover() {
  const { body: document_ } = await api('/openapi.json');
  const paths = document_?.paths ?? {};
  const booking = paths['/api/flight/booking']?.post;
  const security = booking?.security ?? document_?.security ?? [];
  auth.loginPath = paths['/api/auth/login'] ? '/api/auth/login' : null;
  auth.refreshPath = paths['/api/auth/refresh'] ? '/api/auth/refresh' : null;
  auth.required = Boolean(auth.loginPath) && security.length > 0 && !security.some((s) => Object.keys(s).length === 0);
  holds.available = Boolean(paths['/api/flight/holds']?.post && paths['/api/flight/holds/{holdId}/confirm']?.post);
  buildSearchForm(paths['/api/flights']?.get?.parameters ?? [
    { name: 'flightNumber', in: 'query', schema: { type: 'string' } }, { name: 'date', in: 'query', schema: { type: 'string' } },
  ]);
}

// ---- start -------------------------------------------------------------------------------------------

async function start() {
  showConnection();
  await discover();
  if (auth.required && await refresh()) $('#signed-in span').textContent = 'Signed in.';
  showAccount();
  $('#search').addEventListener('submit', (event) => {
    event.preventDefault();
    searchParams = new URLSearchParams();
    for (const [name, value] of new FormData(event.target)) if (String(value).trim() !== '') searchParams.set(name, String(value).trim());
    void search(1);
  });
  $('.pager').addEventListener('click', (event) => {
    const direction = event.target.dataset?.page;
    if (direction) void search(searchPage + (direction === 'next' ? 1 : -1));
  });
  $('#book').addEventListener('submit', book);
  $('#hold-seats').addEventListener('click', placeHold);
  $('#hold-confirm').addEventListener('click', confirmHold);
  $('#hold-release').addEventListener('click', releaseHold);
  $('#login').addEventListener('submit', login);
  $('#logout').addEventListener('click', logout);
  // Flights named in the address (#outbound=BKJT123_07/04/2025&inbound=...) open at once.
  const hash = new URLSearchParams(location.hash.slice(1));
  for (const leg of LEGS) {
    const [flightNumber, date] = (hash.get(leg) ?? '').split('_');
    if (flightNumber && date) openFlight(leg, { flightNumber, date });
  }
  for (const leg of LEGS) renderLeg(leg, null);
  updateBookButton();
  await Promise.all([search(1), suggestAirports()]);
  document.body.dataset.ready = 'true';
}

void start();
