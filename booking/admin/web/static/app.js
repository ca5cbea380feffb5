// The staff admin page: signs staff in (HTTP basic credentials kept in this tab's sessionStorage only) and
// drives the staff JSON API under /admin/v1. Every value from the API is untrusted and reaches the page as
// text (textContent, attributes set one by one); nothing is ever parsed as HTML.

const API = '/admin/v1';
const AUTH_KEY = 'reservations.admin.auth';
const USER_KEY = 'reservations.admin.user';
const REFRESH_MS = 60_000;
const STALE_MESSAGE = 'This reservation changed since you loaded the page — reloaded.';

const STATUS_LABELS = {
  PENDING: 'Pending',
  CONFIRMED: 'Confirmed',
  CHANGE_REQUESTED: 'Change requested',
  CANCELLED: 'Cancelled',
  FULFILLED: 'Fulfilled',
  NO_SHOW: 'No-show',
  REJECTED: 'Rejected',
};

const SOURCE_LABELS = {
  ASSISTANT: 'Google Assistant',
  CONVERSATION: 'Conversation',
  ACTIONS_CENTER: 'Reserve with Google',
  ADMIN: 'Staff',
};

const KIND_LABELS = {
  CREATED: 'Booked',
  STATUS: 'Status change',
  RESCHEDULE: 'Rescheduled',
  PARTY_SIZE: 'Party size changed',
};

const GOOGLE_LABELS = {
  SENT: 'Sent',
  QUEUED: 'Waiting to send',
  FAILED: 'Failed',
  NOT_APPLICABLE: 'Not needed',
};
const GOOGLE_TITLES = {
  SENT: 'Google accepted this update: the customer\'s receipt shows it.',
  QUEUED: 'Waiting for its turn or for a retry.',
  FAILED: 'Google refused this update; see the last error.',
  NOT_APPLICABLE: 'Nothing to send: the conversation already showed this, or there is no Google order.',
};

// The actions the lifecycle allows from each status, in the order the buttons appear. `ask` actions are
// confirmed in a dialog first because they cannot be undone and the customer is told.
const ACTIONS = {
  confirm: { status: 'CONFIRMED', label: 'Confirm', done: 'confirmed' },
  fulfill: { status: 'FULFILLED', label: 'Mark fulfilled', done: 'marked fulfilled' },
  noshow: { status: 'NO_SHOW', label: 'No-show', done: 'marked as a no-show', ask: 'Mark as a no-show?' },
  reject: { status: 'REJECTED', label: 'Reject', done: 'rejected', ask: 'Reject this reservation?', danger: true },
  cancel: { status: 'CANCELLED', label: 'Cancel', done: 'cancelled', ask: 'Cancel this reservation?', danger: true },
};
const ALLOWED = {
  PENDING: ['confirm', 'reject', 'cancel'],
  CONFIRMED: ['fulfill', 'noshow', 'cancel'],
  CHANGE_REQUESTED: ['confirm', 'reject', 'cancel'],
};
const ACTIVE = new Set(['PENDING', 'CONFIRMED', 'CHANGE_REQUESTED']);

const $ = (id) => document.getElementById(id);

const state = {
  auth: '',          // the Authorization header value
  user: '',
  merchants: null,   // [{id, name, timeZone}] when the API lists them, else null
  merchantId: '',    // '' until known: the API then picks its default merchant
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  date: '',
  status: '',
  bookings: [],
  lastListJSON: '',
  google: new Map(), // booking id → {state, text} for bookings with a Google order
  details: null,     // the booking view shown in the details dialog
  listSeq: 0,        // drops answers of superseded list requests
  timer: 0,
};

// ---------- DOM helpers ----------

// el builds an element. attrs are set as attributes (never event handlers); children are nodes or strings,
// and strings become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) throw new Error('el: event handler attributes are not allowed');
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return node;
}

function setText(id, text) { $(id).textContent = text ?? ''; }

function showAlert(message) {
  const inDialog = $('details').open;
  setText(inDialog ? 'details-alert' : 'alert', message);
  if (!inDialog) $('alert').scrollIntoView({ block: 'nearest' });
}

function showNotice(message) {
  setText($('details').open ? 'details-notice' : 'notice', message);
}

function clearMessages() {
  for (const id of ['alert', 'notice', 'details-alert', 'details-notice']) setText(id, '');
}

// ---------- time ----------

// wallParts returns the calendar fields of an instant in a time zone.
function wallParts(date, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

function isoDate(p) { return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`; }

function todayIn(timeZone) { return isoDate(wallParts(new Date(), timeZone)); }

function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n, 12));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

function validDate(s) { return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T12:00:00Z`)); }

// offsetAt is the time zone's offset from UTC at an instant, in milliseconds.
function offsetAt(ms, timeZone) {
  const p = wallParts(new Date(ms), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

// zonedToInstant reads a datetime-local value ("YYYY-MM-DDTHH:MM") as a wall time in the time zone.
function zonedToInstant(local, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return null;
  const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let ms = guess - offsetAt(guess, timeZone);
  const second = offsetAt(ms, timeZone);
  if (guess - second !== ms) ms = guess - second;
  return new Date(ms);
}

// toLocalInput formats an instant for a datetime-local input in the time zone.
function toLocalInput(iso, timeZone) {
  const p = wallParts(new Date(iso), timeZone);
  return `${isoDate(p)}T${pad(p.hour)}:${pad(p.minute)}`;
}

function rfc3339(date) { return date.toISOString().replace(/\.\d{3}Z$/, 'Z'); }

function fmtTime(iso) {
  return new Intl.DateTimeFormat(undefined, { timeZone: state.timeZone, hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

function fmtDateTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(undefined, {
    timeZone: state.timeZone, dateStyle: 'medium', timeStyle: 'short',
  }).format(new Date(iso));
}

// zoneName names a time zone for people: "America/Los_Angeles" → "Los Angeles".
function zoneName(timeZone) { return timeZone.split('/').pop().replace(/_/g, ' '); }

function fmtShort(iso) {
  return new Intl.DateTimeFormat(undefined, {
    timeZone: state.timeZone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
  }).format(new Date(iso));
}

function fmtDay(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(undefined, {
    timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric',
  }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

// ---------- API ----------

class ApiError extends Error {
  constructor(status, reason, message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

function basicAuth(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

// api calls the staff API. credentials: 'omit' keeps the browser from showing its own sign-in prompt on a
// 401; the Authorization header is ours.
async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json', Authorization: state.auth };
  const init = { method, headers, credentials: 'omit', cache: 'no-store', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch {
    throw new ApiError(0, 'NETWORK', 'The reservations service could not be reached. Check the connection and try again.');
  }
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const e = data && typeof data === 'object' ? data.error : null;
    const message = (e && typeof e.message === 'string' && e.message) || `The service answered ${res.status} ${res.statusText}.`;
    throw new ApiError(res.status, (e && e.reason) || '', message);
  }
  return data;
}

// ---------- sign-in ----------

function showSignIn(message) {
  stopRefresh();
  $('day').hidden = true;
  $('sign-out').hidden = true;
  $('signed-in-as').hidden = true;
  setText('merchant-name', '');
  if ($('details').open) $('details').close();
  if ($('confirm').open) $('confirm').close();
  $('signin').hidden = false;
  setText('notice', '');
  setText('alert', message || '');
  $('password').value = '';
  const user = $('username');
  if (!user.value && state.user) user.value = state.user;
  (user.value ? $('password') : user).focus();
}

function forgetCredentials() {
  sessionStorage.removeItem(AUTH_KEY);
  sessionStorage.removeItem(USER_KEY);
  state.auth = '';
}

// signedOut handles a 401 on any call: the credentials are wrong or were changed on the server.
function signedOut() {
  forgetCredentials();
  showSignIn('Your sign-in is no longer accepted (the staff password may have changed). Please sign in again.');
}

async function onSignIn(event) {
  event.preventDefault();
  const user = $('username').value.trim();
  const password = $('password').value;
  if (!user || !password) {
    showAlert('Enter the staff username and password.');
    return;
  }
  const button = $('signin-submit');
  button.disabled = true;
  setText('alert', '');
  state.auth = basicAuth(user, password);
  state.user = user;
  try {
    await discover();
    await loadDay({ initial: true });
  } catch (e) {
    state.auth = '';
    if (e instanceof ApiError && e.status === 401) {
      showSignIn('Wrong username or password. Please try again.');
    } else {
      showAlert(e.message);
    }
    return;
  } finally {
    button.disabled = false;
  }
  sessionStorage.setItem(AUTH_KEY, state.auth);
  sessionStorage.setItem(USER_KEY, user);
  $('password').value = '';
  showDay();
}

function onSignOut() {
  forgetCredentials();
  state.bookings = [];
  state.lastListJSON = '';
  state.google.clear();
  $('bookings').tBodies[0].replaceChildren();
  showSignIn('');
  showNotice('You are signed out.');
}

// ---------- the day ----------

// discover asks which merchants the API serves (for the selector and the time zone). An API without the
// list is fine: the day's answer then names the merchant it chose.
async function discover() {
  try {
    const data = await api('/merchants');
    const list = Array.isArray(data?.merchants) ? data.merchants.filter((m) => m && typeof m.id === 'string') : [];
    state.merchants = list.length ? list : null;
  } catch (e) {
    if (!(e instanceof ApiError && (e.status === 404 || e.status === 405))) throw e;
    state.merchants = null;
  }
  if (state.merchants) {
    if (!state.merchants.some((m) => m.id === state.merchantId)) state.merchantId = state.merchants[0].id;
    const select = $('merchant');
    select.replaceChildren(...state.merchants.map((m) => el('option', { value: m.id }, m.name || m.id)));
    select.value = state.merchantId;
    $('merchant-field').hidden = state.merchants.length < 2;
  }
  applyMerchant();
}

function applyMerchant() {
  const m = state.merchants?.find((x) => x.id === state.merchantId);
  if (m?.timeZone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: m.timeZone });
      state.timeZone = m.timeZone;
    } catch { /* an unknown zone: keep the browser's */ }
  }
  setText('merchant-name', m ? m.name || m.id : state.merchantId);
  if (!state.date) state.date = todayIn(state.timeZone);
}

function showDay() {
  $('signin').hidden = true;
  $('day').hidden = false;
  $('sign-out').hidden = false;
  const who = $('signed-in-as');
  who.textContent = `Signed in as ${state.user}`;
  who.hidden = !state.user;
  startRefresh();
}

function syncInputs() {
  $('date').value = state.date;
  $('status-filter').value = state.status;
  if (state.merchants) $('merchant').value = state.merchantId;
  const q = new URLSearchParams();
  if (state.merchantId) q.set('merchant', state.merchantId);
  q.set('date', state.date);
  if (state.status) q.set('status', state.status);
  history.replaceState(null, '', `${location.pathname}?${q}`);
}

// loadDay fetches and shows the day's bookings. It throws on failure when initial (sign-in decides what to
// show); otherwise it reports the failure itself.
async function loadDay({ initial = false, quiet = false } = {}) {
  const seq = ++state.listSeq;
  syncInputs();
  const q = new URLSearchParams({ date: state.date });
  if (state.merchantId) q.set('merchant', state.merchantId);
  if (state.status) q.set('status', state.status);
  const table = $('bookings');
  if (!quiet) table.setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api(`/bookings?${q}`);
  } catch (e) {
    if (initial) throw e;
    if (seq !== state.listSeq) return;
    if (e instanceof ApiError && e.status === 401) signedOut();
    else showAlert(e.message);
    return;
  } finally {
    if (seq === state.listSeq) table.removeAttribute('aria-busy');
  }
  if (seq !== state.listSeq) return;
  if (!state.merchantId && typeof data?.merchantId === 'string') {
    state.merchantId = data.merchantId;
    applyMerchant();
    syncInputs();
  }
  const bookings = Array.isArray(data?.bookings) ? data.bookings : [];
  const json = JSON.stringify(bookings);
  if (quiet && json === state.lastListJSON) return;
  state.lastListJSON = json;
  state.bookings = bookings;
  renderDay();
  loadGoogleStates(bookings, seq);
}

function renderDay() {
  const bookings = state.bookings;
  setText('day-title', fmtDay(state.date));
  setText('bookings-caption', `Reservations on ${fmtDay(state.date)}`);
  const guests = bookings.filter((b) => ACTIVE.has(b.status)).reduce((n, b) => n + (Number(b.partySize) || 0), 0);
  const open = bookings.filter((b) => ACTIVE.has(b.status)).length;
  const pending = bookings.filter((b) => b.status === 'PENDING').length;
  let summary = `${bookings.length} ${bookings.length === 1 ? 'reservation' : 'reservations'}`;
  if (bookings.length) summary += ` · ${open} open, ${guests} ${guests === 1 ? 'guest' : 'guests'}`;
  if (pending) summary += ` · ${pending} waiting for confirmation`;
  summary += ` · times in ${zoneName(state.timeZone)} time`;
  setText('summary', summary);
  $('empty').hidden = bookings.length > 0;
  $('empty').textContent = state.status ? 'No reservations with this status on this day.' : 'No reservations on this day.';
  $('bookings').hidden = bookings.length === 0;
  $('bookings').tBodies[0].replaceChildren(...bookings.map(renderRow));
}

function statusBadge(status) {
  const key = String(status || '').toLowerCase().replace(/[^a-z_]/g, '');
  return el('span', { class: `badge badge-${key}`, 'data-status': status }, STATUS_LABELS[status] || String(status || 'Unknown'));
}

function renderRow(b) {
  const name = b.customer?.name || '(no name)';
  const time = fmtTime(b.start);
  const tr = el('tr', { 'data-id': b.id, 'data-status': b.status, class: `row-${String(b.status).toLowerCase()}` });
  // Each cell's content sits in one box, so the phone layout can put the column name beside it.
  const cell = (label, cls, ...content) => el('td', { 'data-label': label, class: cls }, el('div', { class: 'cell' }, ...content));

  const nameButton = el('button', { type: 'button', class: 'link', 'data-action': 'details', 'aria-label': `Details: ${name}, ${time}` }, name);
  nameButton.addEventListener('click', () => openDetails(b.id, nameButton));

  const actions = el('div', { class: 'row-actions' });
  for (const key of ALLOWED[b.status] || []) {
    const a = ACTIONS[key];
    const btn = el('button', {
      type: 'button', class: a.danger ? 'btn btn-danger' : 'btn', 'data-action': key,
      'aria-label': `${a.label}: ${name}, ${time}`,
    }, a.label);
    btn.addEventListener('click', () => act(b, key, btn));
    actions.append(btn);
  }
  if (ACTIVE.has(b.status)) {
    const btn = el('button', { type: 'button', class: 'btn', 'data-action': 'reschedule', 'aria-label': `Reschedule: ${name}, ${time}` }, 'Reschedule…');
    btn.addEventListener('click', () => openDetails(b.id, btn, { reschedule: true }));
    actions.append(btn);
  }

  tr.append(
    cell('Time', 'time', el('time', { datetime: b.start }, time), b.end ? el('span', { class: 'time-end' }, `– ${fmtTime(b.end)}`) : null),
    cell('Party', 'party', String(b.partySize ?? '')),
    cell('Name', 'name', nameButton),
    cell('Status', 'status', statusBadge(b.status)),
    cell('Code', 'code', b.confirmationCode || ''),
    cell('Source', 'source', SOURCE_LABELS[b.source] || String(b.source || '')),
    cell('Google', 'google-cell', googleMark(b)),
    el('td', { class: 'cell-actions' }, actions),
  );
  return tr;
}

// hasGoogleOrder mirrors booking.Booking.HasGoogleOrder: made through an Assistant transaction, or carrying a
// Google order id. Only such bookings' changes are sent to Google.
function hasGoogleOrder(b) {
  return Boolean(b.googleOrderId) || b.source === 'ASSISTANT';
}

// googleMark shows whether the booking's latest change reached the customer's Google receipt.
function googleMark(b) {
  if (!hasGoogleOrder(b)) {
    return el('span', { class: 'google-none', 'data-state': 'NONE', title: 'Not booked through the Google Assistant: there is no Google receipt to update.' },
      el('span', { 'aria-hidden': 'true' }, '—'), el('span', { class: 'visually-hidden' }, 'No Google order'));
  }
  const g = state.google.get(b.id);
  if (!g || g.version !== b.version) return el('span', { class: 'google google-unknown', 'data-state': 'CHECKING' }, 'Checking…');
  return el('span', { class: `google google-${g.state.toLowerCase()}`, 'data-state': g.state, title: g.title }, g.text);
}

// summarize reduces a booking's updates to one state: the latest update that goes to Google decides,
// except that anything still waiting means the receipt is not current yet.
function summarize(updates) {
  const sent = (updates || []).filter((u) => u.google && u.google !== 'NOT_APPLICABLE');
  if (sent.some((u) => u.google === 'QUEUED')) {
    return { state: 'QUEUED', text: 'Sending…', title: 'A change is waiting to reach Google.' };
  }
  const last = sent[sent.length - 1];
  if (last?.google === 'FAILED') {
    return { state: 'FAILED', text: 'Update failed', title: `The last change did not reach Google: ${last.lastError || 'no reason given'}` };
  }
  return { state: 'SENT', text: 'Up to date', title: 'The customer\'s Google receipt shows the current reservation.' };
}

// loadGoogleStates fetches the updates of bookings that have a Google order, four at a time, and fills in
// their Google column.
async function loadGoogleStates(bookings, seq) {
  const todo = bookings.filter((b) => hasGoogleOrder(b) && state.google.get(b.id)?.version !== b.version);
  const worker = async () => {
    while (todo.length && seq === state.listSeq) {
      const b = todo.shift();
      try {
        const v = await api(`/bookings/${encodeURIComponent(b.id)}`);
        state.google.set(b.id, { version: v.version, ...summarize(v.updates) });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) { signedOut(); return; }
        state.google.set(b.id, { version: b.version, state: 'UNKNOWN', text: 'Unknown', title: e.message });
      }
      if (seq !== state.listSeq) return;
      const row = $('bookings').tBodies[0].querySelector(`tr[data-id="${CSS.escape(b.id)}"] .google-cell`);
      row?.firstElementChild?.replaceChildren(googleMark(b));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

// ---------- actions ----------

// ask shows the confirmation dialog and resolves to {reason} or null when staff keep the booking.
function ask(title, text, okLabel) {
  const dialog = $('confirm');
  setText('confirm-title', title);
  setText('confirm-text', text);
  setText('confirm-ok', okLabel);
  $('confirm-reason').value = '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok' ? { reason: $('confirm-reason').value.trim() } : null);
    }, { once: true });
    dialog.showModal();
    $('confirm-keep').focus();
  });
}

async function act(b, key, button) {
  const a = ACTIONS[key];
  const name = b.customer?.name || 'this guest';
  let reason = '';
  if (a.ask) {
    const answer = await ask(a.ask, `${name}, party of ${b.partySize}, ${fmtDateTime(b.start)} (code ${b.confirmationCode || 'none'}).`, a.label);
    if (!answer) return;
    reason = answer.reason;
  }
  clearMessages();
  const row = button.closest('tr');
  row?.querySelectorAll('button').forEach((x) => { x.disabled = true; });
  try {
    const body = { status: a.status, version: b.version };
    if (reason) body.reason = reason;
    await api(`/bookings/${encodeURIComponent(b.id)}/status`, { method: 'POST', body });
    showNotice(`Reservation of ${name} at ${fmtTime(b.start)} ${a.done}.`);
    await loadDay();
  } catch (e) {
    await failed(e);
  }
}

// failed reports a failed change. When the booking changed under the page (a stale version, a transition
// no longer allowed, a booking gone), the list and the open details are reloaded; other failures (a slot
// that is taken, bad input) leave the form as it is so staff can try again.
async function failed(e) {
  if (!(e instanceof ApiError)) {
    showAlert(String(e?.message || e));
    return;
  }
  if (e.status === 401) {
    signedOut();
    return;
  }
  let message = e.message;
  let reload = true;
  if (e.status === 409 && e.reason === 'VERSION_MISMATCH') {
    message = STALE_MESSAGE;
  } else if (e.status === 409 && e.reason === 'ILLEGAL_TRANSITION') {
    message = `${e.message.replace(/\.$/, '')} — reloaded.`;
  } else if (e.status === 404) {
    message = 'This reservation no longer exists — reloaded.';
    if ($('details').open) $('details').close();
  } else {
    reload = false;
  }
  showAlert(message);
  if (!reload) return;
  await loadDay();
  if ($('details').open && state.details) {
    try {
      await refreshDetails();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) signedOut();
    }
  }
}

// ---------- details ----------

async function openDetails(id, opener, { reschedule = false } = {}) {
  clearMessages();
  opener.disabled = true;
  try {
    const v = await api(`/bookings/${encodeURIComponent(id)}`);
    state.details = v;
    renderDetails();
    const dialog = $('details');
    if (!dialog.open) dialog.showModal();
    if (reschedule && !$('reschedule-form').hidden) $('reschedule-start').focus();
    else $('details-close').focus();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signedOut();
    else showAlert(e.message);
  } finally {
    opener.disabled = false;
  }
}

async function refreshDetails() {
  const v = await api(`/bookings/${encodeURIComponent(state.details.id)}`);
  state.details = v;
  renderDetails();
}

function renderDetails() {
  const b = state.details;
  const name = b.customer?.name || '(no name)';
  setText('details-title', name);
  const rows = [
    ['Status', statusBadge(b.status)],
    ['When', `${fmtDateTime(b.start)} – ${fmtTime(b.end)}`],
    ['Party size', String(b.partySize)],
    ['Confirmation code', el('span', { class: 'code' }, b.confirmationCode || '')],
    ['Service', b.serviceId || ''],
    ['Source', SOURCE_LABELS[b.source] || String(b.source || '')],
    ['Email', b.customer?.email || '—'],
    ['Phone', b.customer?.phone || '—'],
    ['Google order', b.googleOrderId || (hasGoogleOrder(b) ? 'Yes (Google sent no order id)' : 'None (not booked through the Google Assistant)')],
    ['Last reason', b.reason || '—'],
    ['Booked at', fmtDateTime(b.createdAt)],
    ['Last change', `${fmtDateTime(b.updatedAt)} (version ${b.version})`],
  ];
  $('details-fields').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));

  const updates = Array.isArray(b.updates) ? b.updates : [];
  setText('updates-note', hasGoogleOrder(b)
    ? 'Each change is sent to Google so the customer\'s receipt stays current.'
    : 'This reservation has no Google order, so its changes are not sent to Google.');
  $('updates').tBodies[0].replaceChildren(...updates.map((u) => el('tr', { 'data-seq': u.seq, 'data-google': u.google },
    el('td', {}, String(u.seq)),
    el('td', {}, KIND_LABELS[u.kind] || String(u.kind)),
    el('td', {}, statusBadge(u.status)),
    el('td', {}, el('span', { class: `google google-${googleClass(u.google)}`, title: GOOGLE_TITLES[u.google] || '' }, GOOGLE_LABELS[u.google] || String(u.google))),
    el('td', {}, String(u.attempts ?? 0)),
    el('td', { class: u.lastError ? 'error-text' : '' }, u.lastError || '—'),
    el('td', {}, u.deliveredAt ? fmtShort(u.deliveredAt) : '—'),
  )));

  const form = $('reschedule-form');
  form.hidden = !ACTIVE.has(b.status);
  $('reschedule-start').value = toLocalInput(b.start, state.timeZone);
  $('reschedule-party').value = '';
  $('reschedule-party').placeholder = String(b.partySize);
}

function googleClass(g) {
  return { SENT: 'sent', QUEUED: 'queued', FAILED: 'failed' }[g] || 'none';
}

async function onReschedule(event) {
  event.preventDefault();
  const b = state.details;
  if (!b) return;
  clearMessages();
  const local = $('reschedule-start').value;
  const start = zonedToInstant(local, state.timeZone);
  if (!start) {
    showAlert('Choose the new date and time.');
    return;
  }
  const body = { start: rfc3339(start), version: b.version };
  const partyText = $('reschedule-party').value.trim();
  if (partyText) {
    const party = Number(partyText);
    if (!Number.isInteger(party) || party < 1) {
      showAlert('The party size must be a whole number of at least 1.');
      return;
    }
    body.partySize = party;
  }
  const button = $('reschedule-submit');
  button.disabled = true;
  try {
    await api(`/bookings/${encodeURIComponent(b.id)}/reschedule`, { method: 'POST', body });
    await refreshDetails();
    showNotice(`Moved to ${fmtDateTime(state.details.start)}, party of ${state.details.partySize}.`);
    await loadDay();
  } catch (e) {
    await failed(e);
  } finally {
    button.disabled = false;
  }
}

// ---------- refresh and filters ----------

function startRefresh() {
  stopRefresh();
  state.timer = setInterval(() => {
    if (document.hidden || !state.auth || $('details').open || $('confirm').open) return;
    loadDay({ quiet: true });
  }, REFRESH_MS);
}

function stopRefresh() {
  clearInterval(state.timer);
  state.timer = 0;
}

function setDate(date) {
  if (!validDate(date)) return;
  state.date = date;
  clearMessages();
  loadDay();
}

function wire() {
  $('signin-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', onSignOut);
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); clearMessages(); loadDay(); });
  $('date').addEventListener('change', (e) => setDate(e.target.value));
  $('prev-day').addEventListener('click', () => setDate(addDays(state.date, -1)));
  $('next-day').addEventListener('click', () => setDate(addDays(state.date, 1)));
  $('today').addEventListener('click', () => setDate(todayIn(state.timeZone)));
  $('status-filter').addEventListener('change', (e) => { state.status = e.target.value; clearMessages(); loadDay(); });
  $('merchant').addEventListener('change', (e) => {
    state.merchantId = e.target.value;
    state.google.clear();
    applyMerchant();
    clearMessages();
    loadDay();
  });
  $('details-close').addEventListener('click', () => $('details').close());
  $('details').addEventListener('close', () => { state.details = null; setText('details-alert', ''); setText('details-notice', ''); });
  $('reschedule-form').addEventListener('submit', onReschedule);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.auth && !$('day').hidden) loadDay({ quiet: true });
  });
}

async function main() {
  wire();
  const q = new URLSearchParams(location.search);
  state.merchantId = q.get('merchant') || '';
  if (validDate(q.get('date') || '')) state.date = q.get('date');
  const status = q.get('status') || '';
  if ([...$('status-filter').options].some((o) => o.value === status)) state.status = status;

  state.auth = sessionStorage.getItem(AUTH_KEY) || '';
  state.user = sessionStorage.getItem(USER_KEY) || '';
  if (!state.auth) {
    showSignIn('');
    return;
  }
  try {
    await discover();
    await loadDay({ initial: true });
    showDay();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signedOut();
    } else {
      showDay();
      showAlert(e.message);
    }
  }
}

main();
