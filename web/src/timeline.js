// The board's timeline: one row per engineer with the blocks of their day (drives, waits,
// services, breaks, events) and each visit's appointment windows as bands behind its block.
// Keyboard: one tab stop; the arrow keys move between stops, Enter selects, M moves.
// Pointer: click selects; when moves can be previewed, dragging a stop to another row or
// time asks for a preview (onDrop).
import { STATUS_TEXT, clock } from './api.js';

const LABEL_W = 176;
const MIN_PX_PER_S = 0.8 / 60; // the day fits the panel, at 0.8 px a minute or more
const STATUS_MARK = { pending: '', en_route: '→', started: '▶', done: '✓', cannot_complete: '✗', cancelled: '⊘', deleted: '⌫' };

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class Timeline {
  constructor(element, { onSelect, onDrop, onMoveKey }) {
    this.element = element;
    this.onSelect = onSelect;
    this.onDrop = onDrop;
    this.onMoveKey = onMoveKey;
    this.canMove = false;
    element.style.setProperty('--label-w', `${LABEL_W}px`);
    element.addEventListener('click', (e) => this.clicked(e));
    element.addEventListener('keydown', (e) => this.key(e));
    element.addEventListener('pointerdown', (e) => this.pointerDown(e));
  }

  x(seconds) {
    return LABEL_W + (seconds - this.t0) * this.pxPerS;
  }

  time(x) {
    return this.t0 + (x - LABEL_W) / this.pxPerS;
  }

  /** Draws `engineers` (the board's, filtered) with `visits` and their `styles`. */
  draw(board, engineers, styles) {
    this.board = board;
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const e of engineers) {
      t0 = Math.min(t0, e.shift[0], e.route ? e.route.departure : Infinity);
      t1 = Math.max(t1, e.shift[1] + e.overtime_max, e.route ? e.route.return : -Infinity);
    }
    if (!Number.isFinite(t0)) [t0, t1] = [8 * 3600, 16 * 3600];
    this.t0 = Math.floor(t0 / 3600) * 3600;
    this.t1 = Math.ceil(t1 / 3600) * 3600;
    const room = this.element.clientWidth - LABEL_W - 24;
    this.pxPerS = Math.max(MIN_PX_PER_S, room / (this.t1 - this.t0));
    const width = this.x(this.t1) + 10;
    const parts = [`<div class="tl-axis" style="width:${width}px" aria-hidden="true"><span class="corner"></span>`];
    for (let t = this.t0; t <= this.t1; t += 3600) parts.push(`<span style="left:${this.x(t)}px">${clock(t)}</span>`);
    parts.push('</div>');
    let first = true;
    for (const e of engineers) {
      const style = styles.get(e.id);
      const stops = e.route ? e.route.stops.length : 0;
      parts.push(
        `<div class="tl-row" role="row" data-engineer="${esc(e.id)}" style="width:${width}px">`,
        `<div class="tl-label" role="rowheader" title="${esc(e.name)} (${esc(e.id)})"><span class="chip" style="background:${style ? style.fill : '#fff'}"></span>${esc(e.name)} <span class="muted">${stops ? `${stops}` : 'idle'}</span></div>`,
        `<div class="tl-track" role="gridcell" style="left:0;width:${width}px">`,
        `<div class="tl-shift" style="left:${this.x(e.shift[0])}px;width:${(e.shift[1] - e.shift[0]) * this.pxPerS}px" title="shift ${clock(e.shift[0])}–${clock(e.shift[1])}"></div>`,
      );
      if (e.route) {
        for (const stop of e.route.stops) {
          for (const [a, b] of this.board.visits[stop.visit].windows) {
            parts.push(`<div class="tl-window" style="left:${this.x(a)}px;width:${Math.max(1, (b - a) * this.pxPerS)}px"></div>`);
          }
        }
        for (const [a, b] of e.route.drives) {
          parts.push(`<div class="tl-block tl-drive" style="left:${this.x(a)}px;width:${(b - a) * this.pxPerS}px" title="driving ${clock(a)}–${clock(b)}"></div>`);
        }
        for (const [a, b] of e.route.breaks) {
          parts.push(`<div class="tl-block tl-break" style="left:${this.x(a)}px;width:${(b - a) * this.pxPerS}px" title="break ${clock(a)}–${clock(b)}"></div>`);
        }
        for (const stop of e.route.stops) {
          if (stop.start > stop.arrival) {
            parts.push(`<div class="tl-block tl-wait" style="left:${this.x(stop.arrival)}px;width:${(stop.start - stop.arrival) * this.pxPerS}px" title="waiting ${clock(stop.arrival)}–${clock(stop.start)}"></div>`);
          }
          parts.push(this.stopHtml(e, stop, first));
          first = false;
        }
      }
      parts.push('</div></div>');
    }
    this.element.innerHTML = parts.join('');
    this.element.dataset.rows = String(engineers.length);
    this.element.classList.toggle('read-only', !this.canMove);
  }

  stopHtml(e, stop, first) {
    const visit = this.board.visits[stop.visit];
    const status = visit.status;
    const event = visit.kind === 'community_event';
    const classes = ['tl-block', 'tl-stop', `status-${status}`];
    if (event) classes.push('event');
    if (stop.late_s > 0) classes.push('late');
    if (stop.at_risk) classes.push('at-risk');
    const windows = visit.windows.map(([a, b]) => `${clock(a)}–${clock(b)}`).join(', ') || 'any time';
    const flags = [
      stop.late_s > 0 ? `late by ${Math.round(stop.late_s / 60)} min` : '',
      stop.at_risk ? 'at risk (little slack before the window closes)' : '',
    ].filter(Boolean);
    const label = `${stop.seq}. ${event ? 'community event ' : ''}${visit.id} for ${e.name}, ${clock(stop.start)}–${clock(stop.end)}, window ${windows}, ${STATUS_TEXT[status]}${flags.length ? `, ${flags.join(', ')}` : ''}`;
    const mark = `${event ? '★' : ''}${stop.late_s > 0 ? '!' : stop.at_risk ? '⚠' : ''}${STATUS_MARK[status] || ''}`;
    return `<button type="button" class="${classes.join(' ')}" data-visit="${esc(visit.id)}" data-engineer="${esc(e.id)}" data-status="${status}" tabindex="${first ? 0 : -1}" aria-label="${esc(label)}" title="${esc(label)}" style="left:${this.x(stop.start)}px;width:${Math.max(6, (stop.end - stop.start) * this.pxPerS)}px">${stop.seq}${mark ? ` ${mark}` : ''}</button>`;
  }

  /** Marks a visit's blocks selected and scrolls the first into view. */
  select(visitId) {
    for (const n of this.element.querySelectorAll('.selected, .selected-row')) n.classList.remove('selected', 'selected-row');
    const blocks = this.element.querySelectorAll(`.tl-stop[data-visit="${CSS.escape(visitId)}"]`);
    for (const b of blocks) {
      b.classList.add('selected');
      b.closest('.tl-row').classList.add('selected-row');
    }
    if (blocks[0]) {
      this.focusable(blocks[0]);
      blocks[0].scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  /** Updates a visit's status class and label without drawing again. */
  setStatus(visitId, status) {
    for (const b of this.element.querySelectorAll(`.tl-stop[data-visit="${CSS.escape(visitId)}"]`)) {
      b.classList.remove(`status-${b.dataset.status}`);
      b.classList.add(`status-${status}`);
      const old = STATUS_TEXT[b.dataset.status];
      b.dataset.status = status;
      const label = b.getAttribute('aria-label').replace(`, ${old}`, `, ${STATUS_TEXT[status]}`);
      b.setAttribute('aria-label', label);
      b.title = label;
      const seq = b.textContent.split(' ')[0];
      const event = b.classList.contains('event') ? '★' : '';
      const flag = b.classList.contains('late') ? '!' : b.classList.contains('at-risk') ? '⚠' : '';
      const mark = `${event}${flag}${STATUS_MARK[status] || ''}`;
      b.textContent = `${seq}${mark ? ` ${mark}` : ''}`;
    }
  }

  focusable(block) {
    for (const b of this.element.querySelectorAll('.tl-stop[tabindex="0"]')) b.tabIndex = -1;
    block.tabIndex = 0;
  }

  clicked(event) {
    const block = event.target.closest('.tl-stop');
    if (!block || this.justDragged) return;
    this.focusable(block);
    this.onSelect(block.dataset.visit, block.dataset.engineer);
  }

  key(event) {
    const block = event.target.closest('.tl-stop');
    if (!block) return;
    const row = block.closest('.tl-row');
    let next = null;
    if (event.key === 'ArrowRight') next = block.parentElement.querySelectorAll('.tl-stop')[this.indexIn(block) + 1];
    else if (event.key === 'ArrowLeft') next = block.parentElement.querySelectorAll('.tl-stop')[this.indexIn(block) - 1];
    else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      let r = row;
      do r = event.key === 'ArrowDown' ? r.nextElementSibling : r.previousElementSibling;
      while (r && !r.querySelector('.tl-stop'));
      if (r) next = this.nearest(r, parseFloat(block.style.left));
    } else if (event.key === 'Home') next = row.querySelector('.tl-stop');
    else if (event.key === 'End') next = [...row.querySelectorAll('.tl-stop')].pop();
    else if (event.key === 'm' || event.key === 'M') {
      event.preventDefault();
      this.onMoveKey(block.dataset.visit, block.dataset.engineer);
      return;
    } else return;
    event.preventDefault();
    if (next) {
      this.focusable(next);
      next.focus();
      next.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  indexIn(block) {
    return [...block.parentElement.querySelectorAll('.tl-stop')].indexOf(block);
  }

  nearest(row, left) {
    let best = null;
    for (const b of row.querySelectorAll('.tl-stop')) {
      if (!best || Math.abs(parseFloat(b.style.left) - left) < Math.abs(parseFloat(best.style.left) - left)) best = b;
    }
    return best;
  }

  pointerDown(event) {
    const block = event.target.closest('.tl-stop');
    if (!block || !this.canMove || event.button !== 0) return;
    const startX = event.clientX;
    const startY = event.clientY;
    const offset = event.clientX - block.getBoundingClientRect().left;
    let ghost = null;
    let target = null;
    const move = (e) => {
      if (!ghost && Math.hypot(e.clientX - startX, e.clientY - startY) < 5) return;
      if (!ghost) {
        ghost = document.createElement('div');
        ghost.className = 'tl-ghost';
        ghost.style.width = block.style.width;
        block.classList.add('dragging');
      }
      const row = document.elementsFromPoint(e.clientX, e.clientY).map((n) => n.closest?.('.tl-row')).find(Boolean);
      for (const r of this.element.querySelectorAll('.drop-target')) r.classList.remove('drop-target');
      if (!row) return;
      row.classList.add('drop-target');
      const track = row.querySelector('.tl-track');
      const x = e.clientX - track.getBoundingClientRect().left - offset;
      const at = Math.round(this.time(x) / 300) * 300; // 5-minute steps
      ghost.style.left = `${this.x(at)}px`;
      track.append(ghost);
      target = { engineer: row.dataset.engineer, start: at };
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      block.classList.remove('dragging');
      for (const r of this.element.querySelectorAll('.drop-target')) r.classList.remove('drop-target');
      if (ghost) {
        ghost.remove();
        this.justDragged = true;
        setTimeout(() => (this.justDragged = false), 0);
        if (target) this.onDrop(block.dataset.visit, block.dataset.engineer, target.engineer, target.start);
      }
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }
}
