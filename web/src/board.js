// The dispatcher's board: a day's plan as a timeline (one row per engineer) and a map, the
// visits left out with their reasons, the KPIs, and the dispatcher's actions (request,
// publish and unpublish plans; move a visit by dragging it, once the server can preview and
// apply moves). Statuses reported by engineers appear as they come; a plan published by
// someone else replaces the one shown, and the board says so.
import './style.css';
import { ApiError, STATUS_TEXT, api, clock, el, me, minutes, say } from './api.js';
import { routeStyle } from './colours.js';
import { BoardMap } from './map.js';
import { Timeline } from './timeline.js';

const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(1, Number(params.get('poll') || 10)) * 1000;
const PREVIEW = '/plans/{plan_id}/preview';
const APPLY = '/plans/{plan_id}/apply';

const state = {
  who: null,
  date: null,
  planId: null,
  plan: null, // the plan's summary (PlanSummaryOut)
  board: null,
  routes: null,
  styles: new Map(),
  canMove: false,
  selected: null,
  centre: params.get('centre') || '',
  published: [],
};

const $ = (id) => document.getElementById(id);
const timeline = new Timeline($('timeline'), {
  onSelect: (visit) => select(visit),
  onDrop: (visit, from, to, start) => openMove(visit, to, start, true),
  onMoveKey: (visit) => openMove(visit),
});
const map = new BoardMap($('map'), { onSelect: (visit) => select(visit) });

/** Whether this server can preview and apply moves (issue 19's endpoints are in its API). */
async function movesAvailable() {
  try {
    const spec = await api('/openapi.json');
    return Boolean(spec.paths?.[PREVIEW]?.post && spec.paths?.[APPLY]?.post);
  } catch {
    return false;
  }
}

function showCapability() {
  const pill = $('capability');
  if (state.who.role !== 'dispatcher') {
    pill.textContent = 'Read-only: planners see plans, dispatchers change them';
    pill.className = 'pill';
  } else if (state.canMove) {
    pill.textContent = 'Drag a stop (or press M on it) to move it: preview, then apply';
    pill.className = 'pill ok';
  } else {
    pill.textContent = 'Read-only: moving visits needs re-planning (preview and apply), which this server does not offer yet';
    pill.className = 'pill warn';
  }
  pill.id = 'capability';
  timeline.canMove = state.canMove && state.who.role === 'dispatcher';
}

async function listPlans(date) {
  const plans = await api(`/plans?date=${date}&status=succeeded&limit=100`);
  const select = $('plan');
  select.replaceChildren(
    ...plans.map((p) =>
      el('option', { value: p.id }, `Plan ${p.id}${p.published ? ' (published)' : ''} · ${p.service_centre_ids.join(', ')}`),
    ),
  );
  return plans;
}

async function openDay(date, wanted) {
  state.date = date;
  $('day').value = date;
  const plans = await listPlans(date);
  const chosen =
    plans.find((p) => String(p.id) === String(wanted)) || plans.find((p) => p.published) || plans[0];
  if (!chosen) {
    state.planId = null;
    timeline.element.replaceChildren();
    say(`No plan for ${date} yet. Request one with "Request a plan".`);
    return;
  }
  await loadPlan(chosen.id);
}

async function loadPlan(id) {
  $('main').setAttribute('aria-busy', 'true');
  const [data, routes] = await Promise.all([api(`/board/plans/${id}`), api(`/board/plans/${id}/map`)]);
  state.planId = id;
  state.plan = data.plan;
  state.board = data.board;
  state.routes = routes;
  state.published = data.published_plan_ids;
  $('plan').value = String(id);
  const centres = $('centre');
  centres.replaceChildren(
    el('option', { value: '' }, 'All centres'),
    ...state.board.centres.map((c) => el('option', { value: c.id }, c.name)),
  );
  centres.value = state.board.centres.some((c) => c.id === state.centre) ? state.centre : '';
  render();
  const url = new URL(location.href);
  url.searchParams.set('date', state.board.date);
  url.searchParams.set('plan', id);
  history.replaceState(null, '', url);
  $('main').setAttribute('aria-busy', 'false');
}

function visibleEngineers() {
  const centre = $('centre').value;
  return state.board.engineers.filter((e) => !centre || e.centre === centre);
}

function render() {
  const board = state.board;
  state.styles = new Map();
  board.engineers
    .filter((e) => e.route)
    .forEach((e, n) => state.styles.set(e.id, routeStyle(n)));
  const engineers = visibleEngineers();
  timeline.draw(board, engineers, state.styles);
  map.draw(board, state.routes, state.styles, new Set(engineers.map((e) => e.id)));
  renderState();
  renderKpis();
  renderUnassigned();
  renderLegend();
  if (state.selected) select(state.selected);
}

function renderState() {
  const pill = $('plan-state');
  const p = state.plan;
  pill.textContent = `Plan ${p.id}: ${p.published ? 'published' : 'not published'} · times in ${state.board.timezone || 'local time'}`;
  pill.className = p.published ? 'pill ok' : 'pill';
  const dispatcher = state.who.role === 'dispatcher';
  $('publish').hidden = !dispatcher || p.published;
  $('unpublish').hidden = !dispatcher || !p.published;
}

function renderKpis() {
  const k = state.board.kpis;
  const cards = [];
  const add = (label, value) =>
    cards.push(el('div', { class: 'kpi' }, el('span', { class: 'value' }, value), el('span', { class: 'label' }, label)));
  add('visits served', `${k.visits_served} of ${k.visits_total}`);
  for (const p of ['1', '2', '3', '4', '5']) {
    const served = k.served_by_priority?.[p] ?? 0;
    const left = k.unassigned_by_priority?.[p] ?? 0;
    if (served + left) add(`priority ${p} served`, `${served} of ${served + left}`);
  }
  add('driving', minutes(k.travel_time_s));
  add('driving per engineer', minutes(k.travel_time_mean_s));
  add('overtime', minutes(k.overtime_s));
  add('late (soft windows)', minutes(k.lateness_s));
  add('events held', `${k.events_held} of ${k.events_total}`);
  add('engineers sent out', `${k.engineers_used} of ${k.engineers_used + k.engineers_idle}`);
  $('kpis').replaceChildren(...cards);
}

function renderUnassigned() {
  const list = state.board.unassigned;
  if (!list.length) {
    $('unassigned').replaceChildren(el('p', {}, 'Every visit is planned.'));
    return;
  }
  const rows = list.map((u) => {
    const v = state.board.visits[u.visit];
    return el(
      'tr',
      { dataset: { visit: u.visit } },
      el('td', {}, el('button', { type: 'button', class: 'link', onclick: () => select(u.visit) }, u.visit)),
      el('td', {}, String(v.priority)),
      el('td', {}, el('code', {}, u.reason), el('br'), el('span', { class: 'small' }, u.message)),
    );
  });
  $('unassigned').replaceChildren(
    el(
      'table',
      { id: 'unassigned-table' },
      el('caption', { class: 'visually-hidden' }, 'Visits not planned, with the reason'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Visit'), el('th', { scope: 'col' }, 'Priority'), el('th', { scope: 'col' }, 'Reason and why'))),
      el('tbody', {}, rows),
    ),
  );
}

function renderLegend() {
  const swatch = (cls, label, style = '') =>
    el('span', {}, el('span', { class: `swatch ${cls}`, style, 'aria-hidden': 'true' }), label);
  $('legend').replaceChildren(
    swatch('tl-drive', 'driving'),
    swatch('tl-wait', 'waiting', 'border:1px dotted #555'),
    swatch('tl-break', 'break', 'border:1px solid #444'),
    swatch('', 'appointment window', 'background:rgba(86,180,233,0.35)'),
    ...Object.entries({ pending: '', en_route: '→', started: '▶', done: '✓', cannot_complete: '✗', cancelled: '⊘' }).map(
      ([s, mark]) => swatch(`status-${s}`, `${STATUS_TEXT[s]} ${mark}`),
    ),
    el('span', {}, '★ event · ! late · ⚠ at risk'),
  );
}

function details(visitId) {
  const board = state.board;
  const v = board.visits[visitId];
  const box = $('details');
  if (!v) return;
  const rows = [];
  const add = (k, val) => val && rows.push(el('dt', {}, k), el('dd', {}, val));
  const windows = v.windows.map(([a, b]) => `${clock(a)}–${clock(b)}`).join(', ') || 'any time';
  add('Visit', `${v.id} · ${v.kind === 'community_event' ? 'community event' : 'home service'}`);
  add('Job', v.job);
  add('Customer', v.customer);
  add('Address', v.address);
  add('Phone', v.phone);
  add('Window', `${windows}${v.soft ? ' (late allowed)' : ''}`);
  add('Priority', String(v.priority));
  add('Needs', v.skills.join(', '));
  add('Status', STATUS_TEXT[v.status]);
  const team = [];
  for (const e of board.engineers) {
    const stop = e.route?.stops.find((s) => s.visit === visitId);
    if (stop) {
      team.push(e.name);
      add(`${e.name}`, `stop ${stop.seq}: ETA ${clock(stop.arrival)}, service ${clock(stop.start)}–${clock(stop.end)}${stop.late_s ? `, late by ${Math.round(stop.late_s / 60)} min` : ''}${stop.at_risk ? ', at risk' : ''}`);
    }
  }
  const left = board.unassigned.find((u) => u.visit === visitId);
  if (left) add('Not planned', `${left.reason}: ${left.message}`);
  const children = [el('h2', { id: 'details-heading' }, `Selected: ${v.id}`), el('dl', {}, rows)];
  if (team.length && state.who.role === 'dispatcher') {
    children.push(
      el('button', { type: 'button', id: 'move-button', disabled: !state.canMove, onclick: () => openMove(visitId) }, 'Move…'),
    );
  }
  box.replaceChildren(...children);
}

function select(visitId) {
  state.selected = visitId;
  const engineer = state.board.engineers.find((e) => e.route?.stops.some((s) => s.visit === visitId));
  timeline.select(visitId);
  map.select(visitId, engineer?.id);
  for (const tr of document.querySelectorAll('#unassigned tr.selected')) tr.classList.remove('selected');
  document.querySelector(`#unassigned tr[data-visit="${CSS.escape(visitId)}"]`)?.classList.add('selected');
  details(visitId);
}

// ------------------------------------------------------------------ live state

async function poll() {
  if (!state.planId) return;
  let live;
  try {
    live = await api(`/board/plans/${state.planId}/live`);
  } catch (e) {
    if (!(e instanceof ApiError)) return; // the banner says the server is unreachable
    say(`Could not refresh the board: ${e.message}`, 'error');
    return;
  }
  for (const [vid, s] of Object.entries(live.statuses)) {
    const visit = state.board.visits[vid];
    if (visit && visit.status !== s.status) {
      visit.status = s.status;
      timeline.setStatus(vid, s.status);
      if (state.selected === vid) details(vid);
    }
  }
  const others = live.published_plan_ids.filter((id) => id !== state.planId);
  if (state.plan.published && !live.published && others.length) {
    say(`Plan ${others[0]} was published for this day in place of plan ${state.planId}; the board now shows plan ${others[0]}.`, 'error');
    await listPlans(state.date);
    await loadPlan(others[0]);
    return;
  }
  if (state.plan.published !== live.published) {
    state.plan.published = live.published;
    await listPlans(state.date);
    $('plan').value = String(state.planId);
    renderState();
  }
}

// ------------------------------------------------------------------ actions

async function publish(on) {
  try {
    state.plan = await api(`/plans/${state.planId}/${on ? 'publish' : 'unpublish'}`, { method: 'POST' });
    say(`Plan ${state.planId} is ${on ? 'published: engineers see it now' : 'no longer published'}.`, 'ok');
  } catch (e) {
    say(`Could not ${on ? 'publish' : 'unpublish'} plan ${state.planId}: ${e.message}`, 'error');
  }
  await listPlans(state.date);
  $('plan').value = String(state.planId);
  renderState();
}

async function requestPlan(seconds) {
  const centre = $('centre').value;
  const centres = centre ? [centre] : state.board ? state.board.centres.map((c) => c.id) : [];
  if (!centres.length) {
    const all = await api('/service-centres');
    centres.push(...all.map((c) => c.id));
  }
  let plan;
  try {
    plan = await api('/plans', {
      method: 'POST',
      body: { date: state.date, service_centre_ids: centres, options: { time_limit_s: seconds } },
    });
  } catch (e) {
    say(`The plan was not requested: ${e.message}`, 'error');
    return;
  }
  say(`Plan ${plan.id} requested: ${plan.status}…`);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    try {
      plan = await api(`/plans/${plan.id}`);
    } catch {
      continue; // unreachable for a moment: the banner says so; try again
    }
    if (plan.status === 'succeeded') {
      await listPlans(state.date);
      $('plan').value = String(state.planId);
      say(`Plan ${plan.id} is ready.`, 'ok');
      const show = el('button', { type: 'button', onclick: () => loadPlan(plan.id) }, `Show plan ${plan.id}`);
      $('message').append(' ', show);
      return;
    }
    if (plan.status === 'failed') {
      say(`Plan ${plan.id} failed: ${plan.error}`, 'error');
      return;
    }
    const p = plan.progress;
    say(`Plan ${plan.id}: ${plan.status}${p ? `, ${p.stage}, ${p.elapsed_s.toFixed(0)} s` : ''}…`);
  }
}

// ------------------------------------------------------------------ moving a visit

function moveBody() {
  return {
    moves: [
      {
        visit_id: $('move-dialog').dataset.visit,
        engineer_id: $('move-engineer').value,
        start: $('move-start').value,
      },
    ],
  };
}

function openMove(visitId, toEngineer, start, previewNow = false) {
  if (!state.canMove || state.who.role !== 'dispatcher') {
    say('Moving visits needs the server to preview and apply moves (re-planning); this one cannot yet, so the board is read-only.', 'error');
    return;
  }
  const dialog = $('move-dialog');
  const current = state.board.engineers.find((e) => e.route?.stops.some((s) => s.visit === visitId));
  const stop = current?.route.stops.find((s) => s.visit === visitId);
  dialog.dataset.visit = visitId;
  $('move-what').textContent = `${visitId}, now with ${current?.name ?? 'nobody'} at ${stop ? clock(stop.start) : '–'}`;
  $('move-engineer').replaceChildren(...state.board.engineers.map((e) => el('option', { value: e.id }, `${e.name} (${e.id})`)));
  $('move-engineer').value = toEngineer || current?.id || state.board.engineers[0].id;
  $('move-start').value = clock(start ?? stop?.start ?? 9 * 3600);
  $('move-preview').replaceChildren();
  $('move-apply').disabled = true;
  dialog.showModal();
  if (previewNow) preview();
}

function describeViolation(v) {
  if (typeof v === 'string') return v;
  return [v.code || v.rule, v.message || v.detail].filter(Boolean).join(': ') || JSON.stringify(v);
}

function deltaText(delta) {
  if (delta === undefined || delta === null) return null;
  if (typeof delta === 'number') return `${delta >= 0 ? '+' : ''}${delta} cost units`;
  const total = delta.total ?? null;
  const terms = Object.entries(delta)
    .filter(([k, v]) => k !== 'total' && v)
    .map(([k, v]) => `${k} ${v >= 0 ? '+' : ''}${v}`);
  return `${total !== null ? `${total >= 0 ? '+' : ''}${total} cost units` : ''}${terms.length ? ` (${terms.join(', ')})` : ''}`;
}

async function preview() {
  const out = $('move-preview');
  out.replaceChildren(el('p', {}, 'Previewing…'));
  let answer;
  try {
    answer = await api(`/plans/${state.planId}/preview`, { method: 'POST', body: moveBody() });
  } catch (e) {
    const violations = e.detail?.violations;
    out.replaceChildren(
      el('p', { class: 'violations', role: 'alert' }, `Refused: ${violations ? violations.map(describeViolation).join('; ') : e.message}`),
    );
    return;
  }
  const feasible = answer.feasible !== false && !(answer.violations || []).length;
  const items = [];
  items.push(el('p', { class: feasible ? '' : 'violations', role: feasible ? null : 'alert' }, feasible ? 'Feasible: no rule is broken.' : 'Refused: the move breaks a rule.'));
  if ((answer.violations || []).length) {
    items.push(el('ul', { class: 'violations', id: 'move-violations' }, answer.violations.map((v) => el('li', {}, describeViolation(v)))));
  }
  const delta = deltaText(answer.objective_delta ?? answer.cost_delta);
  if (delta) items.push(el('p', {}, `Cost: ${delta}`));
  if (answer.churn) {
    items.push(el('p', {}, `Churn: ${Object.entries(answer.churn).map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`).join(', ')}`));
  }
  out.replaceChildren(...items);
  $('move-apply').disabled = !feasible;
}

async function apply() {
  const out = $('move-preview');
  let answer;
  try {
    answer = await api(`/plans/${state.planId}/apply`, { method: 'POST', body: moveBody() });
  } catch (e) {
    const violations = e.detail?.violations;
    out.replaceChildren(el('p', { class: 'violations', role: 'alert' }, `Not applied: ${violations ? violations.map(describeViolation).join('; ') : e.message}`));
    $('move-apply').disabled = true;
    return;
  }
  $('move-dialog').close();
  const id = answer.id ?? answer.plan_id ?? state.planId;
  say(`Move applied: plan ${id}.`, 'ok');
  await listPlans(state.date);
  await loadPlan(id);
}

// ------------------------------------------------------------------ start

async function start() {
  state.who = await me('dispatcher', 'planner');
  state.canMove = await movesAvailable();
  showCapability();
  if (state.who.map.road_network || state.who.map.tile_url) {
    const roads = state.who.map.road_network ? api('/board/roads').catch(() => null) : Promise.resolve(null);
    roads.then((r) => map.setBase({ roads: r, tileUrl: state.who.map.tile_url, tileAttribution: state.who.map.tile_attribution }));
  }
  const date = params.get('date') || state.who.published_days[0] || new Date().toISOString().slice(0, 10);
  await openDay(date, params.get('plan'));
  $('main').setAttribute('aria-busy', 'false');
  setInterval(poll, POLL_MS);
}

$('day').addEventListener('change', () => $('day').value && openDay($('day').value));
$('plan').addEventListener('change', () => loadPlan(Number($('plan').value)));
$('centre').addEventListener('change', () => {
  state.centre = $('centre').value;
  if (state.board) render();
});
$('refresh').addEventListener('click', () => poll());
$('publish').addEventListener('click', () => publish(true));
$('unpublish').addEventListener('click', () => publish(false));
$('request-form').addEventListener('submit', (e) => {
  e.preventDefault();
  e.target.closest('details').open = false;
  requestPlan(Number($('request-seconds').value));
});
$('move-preview-button').addEventListener('click', () => preview());
$('move-apply').addEventListener('click', () => apply());
$('move-cancel').addEventListener('click', () => $('move-dialog').close());

start().catch((e) => {
  if (e instanceof ApiError && e.status === 401) return;
  say(`The board could not open: ${e.message}`, 'error');
});
