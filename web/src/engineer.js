// The engineer's day on a phone: today's stops in order with the window, ETA, address, a
// navigation link and a call button, crew mates at events, status buttons, and the day as a
// calendar file. A status change made without a connection is kept on the device and sent
// when the connection is back: nothing is lost.
import './style.css';
import { ApiError, NetworkError, STATUS_TEXT, api, clock, el, me, say, token } from './api.js';

const $ = (id) => document.getElementById(id);
const QUEUE = 'fieldroute.pending-status';
const NEXT = {
  pending: ['en_route', 'started', 'done', 'cannot_complete'],
  en_route: ['started', 'done', 'cannot_complete'],
  started: ['done', 'cannot_complete'],
  done: [],
  cannot_complete: [],
  cancelled: [],
};
const BUTTON = { en_route: 'En route', started: 'Started', done: 'Done', cannot_complete: 'Cannot complete' };

let who;
let day;

function localTime(iso) {
  return iso.slice(11, 16); // "2026-12-04T08:03:12+01:00": the local clock time
}

function queued() {
  return JSON.parse(localStorage.getItem(QUEUE) || '[]');
}

function saveQueue(items) {
  localStorage.setItem(QUEUE, JSON.stringify(items));
}

async function sendQueued() {
  const items = queued();
  if (!items.length) return;
  const left = [];
  for (const item of items) {
    try {
      await api(`/visits/${item.visit}/status`, { method: 'PATCH', body: { status: item.status, note: item.note } });
    } catch (e) {
      if (e instanceof NetworkError) left.push(item);
      else say(`Status of ${item.visit} not saved: ${e.message}`, 'error');
    }
  }
  saveQueue(left);
  if (!left.length) {
    say(`Sent the ${items.length === 1 ? 'status change' : `${items.length} status changes`} kept while offline.`, 'ok');
    await load(day.date);
  }
}

async function report(stop, status, note) {
  const item = { visit: stop.visit_id, status, note };
  try {
    await api(`/visits/${stop.visit_id}/status`, { method: 'PATCH', body: { status, note } });
    say(`${stop.visit_id}: ${STATUS_TEXT[status]}.`, 'ok');
    await load(day.date);
  } catch (e) {
    if (e instanceof NetworkError) {
      saveQueue([...queued(), item]);
      stop.status = status;
      render();
      say(`No connection: "${STATUS_TEXT[status]}" for ${stop.visit_id} is kept on this phone and sent when the connection is back.`, 'error');
    } else {
      say(`Could not mark ${stop.visit_id} ${STATUS_TEXT[status]}: ${e.message}`, 'error');
    }
  }
}

function card(stop) {
  const windows = (stop.windows || []).map(([a, b]) => `${clock(a)}–${clock(b)}`).join(', ') || 'any time';
  const event = stop.kind === 'community_event';
  const title = event ? stop.title || stop.job_type || 'Community event' : stop.job_type || 'Visit';
  const noteId = `note-${stop.visit_id}`;
  const note = el('textarea', { id: noteId, rows: 2 }, stop.status_note || '');
  const buttons = NEXT[stop.status].map((s) =>
    el(
      'button',
      {
        type: 'button',
        class: s === 'done' ? 'primary' : '',
        'data-status': s,
        onclick: () => {
          if (s === 'cannot_complete' && !note.value.trim()) {
            say('Say why the visit cannot be completed in the note first.', 'error');
            note.focus();
            return;
          }
          report(stop, s, note.value.trim());
        },
      },
      BUTTON[s],
    ),
  );
  const crew = (stop.crew || []).map((c) => c.name).join(', ');
  return el(
    'li',
    { class: `stop-card status-${stop.status}`, dataset: { visit: stop.visit_id, status: stop.status } },
    el('h2', {}, `${stop.order}. ${title}${event ? ' (event)' : ''}`),
    el('p', {}, el('strong', {}, `ETA ${localTime(stop.arrival)}`), ` · service ${localTime(stop.start)}–${localTime(stop.end)} · window ${windows}`),
    el('p', {}, stop.address || `${stop.lat}, ${stop.lon}`),
    stop.customer_name && el('p', {}, `${event ? 'Venue' : 'Customer'}: ${stop.customer_name}`),
    crew && el('p', {}, `With: ${crew}`),
    stop.notes && el('p', { class: 'muted' }, stop.notes),
    el('p', {}, 'Status: ', el('span', { class: 'status-text' }, STATUS_TEXT[stop.status])),
    el(
      'div',
      { class: 'actions' },
      el('a', { href: stop.navigation_url, target: '_blank', rel: 'noopener' }, 'Navigate'),
      stop.customer_phone && el('a', { href: `tel:${stop.customer_phone.replace(/\s/g, '')}` }, `Call ${stop.customer_phone}`),
    ),
    buttons.length > 0 && el('label', { for: noteId }, 'Note (needed for “cannot complete”)'),
    buttons.length > 0 && note,
    buttons.length > 0 && el('div', { class: 'status-buttons', role: 'group', 'aria-label': `Report progress on ${stop.visit_id}` }, buttons),
  );
}

function render() {
  $('day-heading').textContent = `${day.engineer_name}: ${day.date}`;
  $('day-summary').textContent = `Leave ${day.service_centre.name} at ${localTime(day.departure)}, back at ${localTime(day.return)}; ${day.stops.length} stops; breaks ${day.breaks.map((b) => `${localTime(b.start)}–${localTime(b.end)}`).join(', ') || 'none'}.`;
  $('stops').replaceChildren(...day.stops.map(card));
}

async function load(date) {
  $('day').value = date;
  try {
    day = await api(`/board/engineers/${who.engineer_id}/day?date=${date}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      $('stops').replaceChildren();
      $('day-summary').textContent = '';
      say(`Nothing is published for you on ${date}.`);
      return;
    }
    throw e;
  }
  const waiting = new Map(queued().map((q) => [q.visit, q.status]));
  for (const s of day.stops) if (waiting.has(s.visit_id)) s.status = waiting.get(s.visit_id);
  render();
}

async function downloadCalendar() {
  const response = await api(`/engineers/${who.engineer_id}/schedule.ics?date=${day.date}`, { raw: true });
  const url = URL.createObjectURL(await response.blob());
  const a = el('a', { href: url, download: `${who.engineer_id}-${day.date}.ics` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function start() {
  who = await me('engineer');
  const today = new Date().toISOString().slice(0, 10);
  const days = who.published_days;
  const wanted = new URLSearchParams(location.search).get('date');
  const date = wanted || (days.includes(today) ? today : days.filter((d) => d > today).pop() || days[0] || today);
  await load(date);
  $('main').setAttribute('aria-busy', 'false');
  await sendQueued();
  window.addEventListener('online', () => sendQueued());
  setInterval(() => queued().length && token() && sendQueued(), 5000);
}

$('day').addEventListener('change', () => $('day').value && load($('day').value));
$('calendar').addEventListener('click', () => downloadCalendar().catch((e) => say(`No calendar file: ${e.message}`, 'error')));
start().catch((e) => say(`Your day could not open: ${e.message}`, 'error'));
