// BlackJet's seat-map page: plain JavaScript, no build step. It speaks only the public API: REST under
// /api (its OpenAPI document at /openapi.json says which search fields and whether sign-in exist) and the
// Socket.IO events of /asyncapi.json. The protocol rules are the README's: apply a seat map only when its
// version is higher than the one shown, subscribe again after a gap or an unrecovered reconnect.

const $ = (selector, root = document) => root.querySelector(selector);
const LEGS = ['outbound', 'inbound'];
const SEATS = [1, 2, 3, 4, 5, 6, 7, 8];

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
  if (map.childElementCount === 0) buildSeatButtons(leg, map);
  map.hidden = false;
  map.dataset.flight = keyOf(flight);
  map.dataset.version = String(view.version);
  const seats = SEATS.filter((seat) => seat <= view.totalSeats);
  for (const seat of seats) {
    const button = $(`[data-seat="${seat}"]`, map);
    const seatNow = seatState(view, seat);
    const chosen = state.seat === seat;
    button.dataset.state = seatNow;
    button.setAttribute('aria-pressed', String(chosen));
    button.setAttribute('aria-disabled', String(seatNow !== 'free'));
    button.setAttribute('aria-label', `Seat ${seat}, ${seatNow}${chosen ? ', your choice' : ''}`);
    if (before && seatState(before, seat) !== seatNow) {
      button.classList.remove('changed');
      void button.offsetWidth; // restart the animation
      button.classList.add('changed');
    }
  }
  const free = view.availableSeats.length;
  $('.leg-meta', root).textContent = `${free} of ${view.totalSeats} seats free · updated ${new Date(view.timestamp).toLocaleTimeString()}`;
}

function flightTitle(flight) {
  if (!flight) return [document.createTextNode('No flight chosen yet.')];
  const strong = document.createElement('strong');
  strong.textContent = `${flight.flightNumber} · ${flight.date}`;
  const parts = [strong];
  if (flight.origin && flight.destination) parts.push(document.createTextNode(` · ${flight.origin} → ${flight.destination}`));
  return parts;
}

function showLegError(leg, message) {
  const root = $(`.leg[data-leg="${leg}"]`);
  $('.leg-meta', root).textContent = message;
}

/** Eight buttons, two a row with an aisle; arrow keys move between them (one tab stop per map). */
function buildSeatButtons(leg, map) {
  for (const seat of SEATS) {
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
  map.addEventListener('keydown', (event) => {
    const current = Number(event.target.dataset?.seat);
    if (!current) return;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -2, ArrowDown: 2 }[event.key];
    let next;
    if (step) next = current + step;
    else if (event.key === 'Home') next = 1;
    else if (event.key === 'End') next = SEATS.length;
    if (!next || next < 1 || next > SEATS.length) return;
    event.preventDefault();
    for (const button of map.querySelectorAll('.seat')) button.tabIndex = -1;
    const target = $(`[data-seat="${next}"]`, map);
    target.tabIndex = 0;
    target.focus();
  });
}

function pickSeat(leg, seat) {
  const state = legs[leg];
  if (!state.view || seatState(state.view, seat) !== 'free') return; // aria-disabled: focusable, not pickable
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
  markChosenRows();
  updateBookButton();
  const hash = new URLSearchParams();
  for (const l of LEGS) if (legs[l].flight) hash.set(l, `${legs[l].flight.flightNumber}_${legs[l].flight.date}`);
  history.replaceState(null, '', `#${hash}`);
}

// ---- search ------------------------------------------------------------------------------------------

/** Labels for the search parameters this page knows; any other parameter the API lists gets a plain field. */
const SEARCH_LABELS = {
  origin: 'From (airport)', destination: 'To (airport)', flightNumber: 'Flight number', date: 'Date',
  from: 'From date', to: 'To date', departureFrom: 'Departing after', departureTo: 'Departing before',
  minFreeSeats: 'Min. free seats', hasAvailableSeats: 'Free seats', status: 'Status',
};
const NOT_SEARCH_FIELDS = new Set(['page', 'limit', 'cursor']);

function buildSearchForm(parameters) {
  const container = $('#search-fields');
  const known = Object.keys(SEARCH_LABELS);
  const ordered = parameters
    .filter((p) => p.in === 'query' && !NOT_SEARCH_FIELDS.has(p.name))
    .sort((a, b) => (known.indexOf(a.name) + 1 || 99) - (known.indexOf(b.name) + 1 || 99));
  for (const parameter of ordered) {
    const label = document.createElement('label');
    label.append(SEARCH_LABELS[parameter.name] ?? parameter.name);
    let input;
    const schema = parameter.schema ?? {};
    if (schema.type === 'boolean') {
      input = document.createElement('select');
      input.append(new Option('any', ''), new Option('yes', 'true'), new Option('no', 'false'));
    } else if (schema.enum) {
      input = document.createElement('select');
      input.append(new Option('any', ''), ...schema.enum.map((value) => new Option(value, value)));
    } else {
      input = document.createElement('input');
      input.type = schema.type === 'integer' ? 'number' : 'text';
      if (parameter.example !== undefined) input.placeholder = String(parameter.example);
      if (schema.pattern && schema.type === 'string') input.pattern = schema.pattern.replace(/^\^|\$$/g, '');
      input.size = 12;
    }
    input.name = parameter.name;
    if (parameter.description) input.title = parameter.description;
    label.append(input);
    container.append(label);
  }
}

async function search(page = 1) {
  searchPage = page;
  const query = new URLSearchParams(searchParams);
  query.set('page', String(page));
  query.set('limit', '10');
  const status = $('#search-status');
  status.textContent = 'Searching…';
  const { response, body } = await api(`/api/flights?${query}`);
  const table = $('#results');
  const tbody = $('tbody', table);
  tbody.innerHTML = '';
  if (!response || response.status !== 200) {
    status.textContent = describeError(response, body);
    table.hidden = true;
    $('.pager').hidden = true;
    return;
  }
  for (const flight of body.items) tbody.append(flightRow(flight));
  table.hidden = body.items.length === 0;
  const pages = Math.max(1, Math.ceil(body.total / body.limit));
  status.textContent = body.total === 0 ? 'No flights match.' : `${body.total} flight${body.total === 1 ? '' : 's'} found.`;
  const pager = $('.pager');
  pager.hidden = pages <= 1;
  $('.hint', pager).textContent = `Page ${body.page} of ${pages}`;
  $('[data-page="prev"]', pager).disabled = body.page <= 1;
  $('[data-page="next"]', pager).disabled = body.page >= pages;
  markChosenRows();
}

function flightRow(flight) {
  const row = document.createElement('tr');
  row.dataset.flight = keyOf(flight);
  const cells = [
    flight.flightNumber + (flight.origin && flight.destination ? ` ${flight.origin} → ${flight.destination}` : ''),
    flight.date + (flight.departureTime ? ` ${new Date(flight.departureTime).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : ''),
    `${flight.availableSeats.length} of ${flight.totalSeats}`,
  ];
  for (const text of cells) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  const actions = document.createElement('td');
  actions.className = 'actions';
  for (const [leg, text] of [['outbound', 'Outbound'], ['inbound', 'Return']]) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.dataset.leg = leg;
    button.textContent = text;
    button.setAttribute('aria-label', `${text}: ${flight.flightNumber} on ${flight.date}`);
    button.addEventListener('click', () => openFlight(leg, flight));
    actions.append(button);
  }
  row.append(actions);
  return row;
}

function markChosenRows() {
  const chosen = new Set(watchedFlights().map(keyOf));
  for (const row of document.querySelectorAll('#results tbody tr')) row.classList.toggle('chosen', chosen.has(row.dataset.flight));
}

// ---- booking -----------------------------------------------------------------------------------------

function updateBookButton() {
  const ready = LEGS.every((leg) => legs[leg].seat !== null);
  $('#book button[type="submit"]').disabled = !ready;
  const missing = LEGS.filter((leg) => legs[leg].seat === null).map((leg) => (leg === 'outbound' ? 'outbound' : 'return'));
  $('#book-hint').textContent = ready
    ? `Outbound seat ${legs.outbound.seat}, return seat ${legs.inbound.seat}.`
    : `Pick a seat on the ${missing.join(' and the ')} flight.`;
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

async function book(event) {
  event.preventDefault();
  const { outbound, inbound } = legs;
  const body = {
    outboundFlightNumber: outbound.flight.flightNumber, outboundDate: outbound.flight.date, outboundSeat: outbound.seat,
    inboundFlightNumber: inbound.flight.flightNumber, inboundDate: inbound.flight.date, inboundSeat: inbound.seat,
  };
  // With sign-in on, the user comes from the token.
  if (!auth.required) body.userId = Number(new FormData(event.target).get('userId'));
  const headers = { 'content-type': 'application/json', 'idempotency-key': newUuid() };
  if (socket.connected) headers['x-socket-id'] = socket.id;
  const button = $('#book button[type="submit"]');
  button.disabled = true;
  showResult('pending', [text('Booking…')]);
  // One retry with the same Idempotency-Key if the answer was lost: it cannot book twice.
  let { response, body: answer } = await api('/api/flight/booking', { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response) ({ response, body: answer } = await api('/api/flight/booking', { method: 'POST', headers, body: JSON.stringify(body) }));
  if (response?.status === 201) {
    showResult('confirmed', [
      line(code('201 Created'), text(` Booked: ${answer.bookingId}`)),
      line(text(`Outbound ${answer.outbound.flightNumber} ${answer.outbound.date} seat ${answer.outbound.seat}; `
        + `return ${answer.inbound.flightNumber} ${answer.inbound.date} seat ${answer.inbound.seat}.`)),
    ]);
    for (const leg of LEGS) legs[leg].seat = null;
    for (const leg of LEGS) if (legs[leg].view) renderLeg(leg, legs[leg].view);
  } else if (response?.status === 401 && auth.loginPath) {
    auth.required = true;
    auth.accessToken = null;
    showAccount();
    showResult('refused', [line(code('401')), line(text('Please sign in to book.'))]);
  } else {
    const parts = [line(code(response ? `${response.status} ${answer?.error ?? ''}`.trim() : 'no answer')), line(text(describeError(response, answer)))];
    if (answer?.availableSeats) parts.push(line(text(`Free now: ${answer.availableSeats.join(', ') || 'none'}.`)));
    showResult('refused', parts);
  }
  updateBookButton();
}

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

function storeTokens(tokens) {
  auth.accessToken = tokens.accessToken;
  if (tokens.refreshToken) sessionStorage.setItem('blackjet.refreshToken', tokens.refreshToken);
}

async function refresh() {
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
    $('#login-status').textContent = describeError(response, body);
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
  await search(1);
  document.body.dataset.ready = 'true';
}

void start();
