// The planner's page: a day's what-if plans side by side (their KPIs), and simulations of
// outreach scenarios compared (the table and the plots `fieldroute simulate` makes), with a
// form to start a simulation from a scenario file.
import yaml from 'js-yaml';
import './style.css';
import { api, el, me, minutes, say } from './api.js';

const $ = (id) => document.getElementById(id);
let who;

const FIGURES = [
  ['visits served', (k) => `${k.visits_served} of ${k.visits_total}`],
  ...['1', '2', '3', '4', '5'].map((p) => [
    `priority ${p} served`,
    (k) => `${k.served_by_priority[p] ?? 0} of ${(k.served_by_priority[p] ?? 0) + (k.unassigned_by_priority[p] ?? 0)}`,
  ]),
  ['driving', (k) => minutes(k.travel_time_s)],
  ['driving per engineer', (k) => minutes(k.travel_time_mean_s)],
  ['overtime', (k) => minutes(k.overtime_s)],
  ['late (soft windows)', (k) => minutes(k.lateness_s)],
  ['events held', (k) => `${k.events_held} of ${k.events_total}`],
  ['engineers sent out', (k) => String(k.engineers_used)],
  ['unassigned by reason', (k) => Object.entries(k.unassigned_by_reason).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'],
  ['objective (cost units)', (k) => String(k.objective.total)],
];

async function loadPlans() {
  const date = $('day').value;
  const plans = await api(`/board/kpis?date=${date}`);
  if (!plans.length) {
    $('plans-table').replaceChildren(el('p', {}, `No finished plan for ${date} yet.`));
    return;
  }
  const head = el('tr', {}, el('th', { scope: 'col' }, 'Figure'), plans.map((p) => el('th', { scope: 'col' }, `Plan ${p.plan.id}${p.plan.published ? ' (published)' : ''}`, el('br'), el('span', { class: 'small' }, `by ${p.created_by}, ${p.options.time_limit_s} s`))));
  const rows = FIGURES.map(([name, f]) => el('tr', {}, el('th', { scope: 'row' }, name), plans.map((p) => el('td', {}, f(p.kpis)))));
  $('plans-table').replaceChildren(el('table', { id: 'plans-compared' }, el('caption', {}, `Plans of ${date}, side by side`), el('thead', {}, head), el('tbody', {}, rows)));
}

async function requestWhatIf(event) {
  event.preventDefault();
  const centres = (await api('/service-centres')).map((c) => c.id);
  const weights = {
    overtime_per_second: Number($('whatif-overtime').value),
    fixed_per_engineer: Number($('whatif-fixed').value),
  };
  try {
    const plan = await api('/plans', {
      method: 'POST',
      body: { date: $('day').value, service_centre_ids: centres, options: { time_limit_s: Number($('whatif-seconds').value), weights } },
    });
    say(`What-if plan ${plan.id} requested; it appears in the table when finished.`, 'ok');
    waitFor(`/plans/${plan.id}`, loadPlans);
  } catch (e) {
    say(`The what-if plan was not requested: ${e.message}`, 'error');
  }
}

function waitFor(path, then) {
  const timer = setInterval(async () => {
    try {
      const job = await api(path);
      if (job.status === 'succeeded' || job.status === 'failed') {
        clearInterval(timer);
        if (job.status === 'failed') say(`${path} failed: ${job.error}`, 'error');
        await then();
      }
    } catch {
      /* unreachable for a moment: the banner says so */
    }
  }, 1000);
}

let simulationsTimer = null;

async function loadSimulations() {
  clearTimeout(simulationsTimer);
  const checked = new Set([...document.querySelectorAll('#simulations input:checked')].map((c) => c.value));
  const sims = await api('/simulations?limit=50');
  if (!sims.length) {
    $('sim-list').replaceChildren(el('p', {}, 'No simulation yet: start one from a scenario file.'));
    return;
  }
  const rows = sims.map((s) =>
    el(
      'tr',
      { dataset: { simulation: s.id, status: s.status } },
      el('td', {}, el('input', { type: 'checkbox', id: `sim-${s.id}`, value: s.id, checked: checked.has(String(s.id)), disabled: s.status !== 'succeeded', 'aria-label': `Compare simulation ${s.id} (${s.name})` })),
      el('td', {}, String(s.id)),
      el('td', {}, s.name),
      el('td', {}, s.status),
      el('td', {}, String(s.replications)),
      el('td', {}, s.error || ''),
    ),
  );
  $('sim-list').replaceChildren(
    el('table', { id: 'simulations' }, el('caption', {}, 'Simulations, newest first'), el('thead', {}, el('tr', {}, ['Compare', 'Id', 'Scenario', 'Status', 'Replications', 'Error'].map((h) => el('th', { scope: 'col' }, h)))), el('tbody', {}, rows)),
  );
  if (sims.some((s) => s.status === 'queued' || s.status === 'running')) {
    simulationsTimer = setTimeout(loadSimulations, 2000);
  }
}

async function startSimulation(event) {
  event.preventDefault();
  const file = $('sim-file').files[0];
  let scenario;
  try {
    const text = await file.text();
    scenario = file.name.endsWith('.json') ? JSON.parse(text) : yaml.load(text);
  } catch (e) {
    say(`${file.name} is not a readable scenario file: ${e.message}`, 'error');
    return;
  }
  try {
    const sim = await api('/simulations', { method: 'POST', body: { scenario, replications: Number($('sim-replications').value) } });
    say(`Simulation ${sim.id} (${sim.name}) started.`, 'ok');
  } catch (e) {
    say(`The simulation was not started: ${e.message}`, 'error');
  }
  await loadSimulations();
}

async function plot(ids, kind) {
  const query = ids.map((id) => `ids=${id}`).join('&');
  const response = await api(`/board/simulations/plot.png?${query}&kind=${kind}`, { raw: true });
  return URL.createObjectURL(await response.blob());
}

async function compare() {
  const ids = [...document.querySelectorAll('#simulations input:checked')].map((c) => c.value);
  if (ids.length < 2) {
    say('Select two or more finished simulations to compare.', 'error');
    return;
  }
  let table;
  try {
    table = await api(`/simulations/compare?${ids.map((id) => `ids=${id}`).join('&')}`);
  } catch (e) {
    say(`Could not compare: ${e.message}`, 'error');
    return;
  }
  const metrics = Object.keys(table.side_by_side);
  const side = el(
    'table',
    { id: 'comparison-table' },
    el('caption', {}, 'Mean [95% confidence interval] per scenario'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Figure'), table.scenarios.map((s) => el('th', { scope: 'col' }, s)))),
    el('tbody', {}, metrics.map((m) => el('tr', {}, el('th', { scope: 'row' }, m), table.scenarios.map((s) => el('td', {}, table.side_by_side[m][s] ?? ''))))),
  );
  const fmt = (x) => (x === null || x === undefined ? '–' : Number(x).toFixed(2));
  const diffs = el(
    'table',
    { id: 'differences-table' },
    el('caption', {}, 'Each scenario minus the first, with its 95% interval'),
    el('thead', {}, el('tr', {}, ['Scenario', 'Figure', 'Difference', '95% interval', 'Method'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, table.differences.map((d) => el('tr', {}, el('td', {}, d.scenario), el('td', {}, d.metric), el('td', {}, fmt(d.difference)), el('td', {}, `${fmt(d.ci_low)} … ${fmt(d.ci_high)}`), el('td', {}, d.method)))),
  );
  const plots = el('div', { class: 'plots' });
  $('comparison').replaceChildren(el('h3', {}, `Compared: ${table.scenarios.join(' vs ')}`), side, diffs, plots);
  for (const [kind, alt] of [
    ['served-vs-coverage', 'Home visits served against residents reached, per scenario with 95% intervals'],
    ['distributions', 'Distributions of the figures across replications, per scenario'],
  ]) {
    try {
      plots.append(el('img', { src: await plot(ids, kind), alt, class: `plot-${kind}` }));
    } catch (e) {
      plots.append(el('p', {}, `No plot (${kind}): ${e.message}`));
    }
  }
}

async function start() {
  who = await me('planner', 'dispatcher');
  $('day').value = new URLSearchParams(location.search).get('date') || who.published_days[0] || new Date().toISOString().slice(0, 10);
  await Promise.all([loadPlans(), loadSimulations()]);
  $('main').setAttribute('aria-busy', 'false');
}

$('day').addEventListener('change', () => loadPlans());
$('whatif-form').addEventListener('submit', requestWhatIf);
$('sim-form').addEventListener('submit', startSimulation);
$('compare').addEventListener('click', () => compare());
start().catch((e) => say(`The page could not open: ${e.message}`, 'error'));
