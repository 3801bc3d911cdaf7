// The board's map (Leaflet): the road network itself as the offline base layer (or a tile
// server when one is configured), each route along the roads, numbered stops, events,
// centres and the visits left out. Selecting a stop here selects it on the timeline too.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';

const MANY_STOPS = 600; // above this, numbers are drawn for the selected route only

export class BoardMap {
  constructor(element, { onSelect }) {
    this.element = element;
    this.onSelect = onSelect;
    this.map = L.map(element, { preferCanvas: false, zoomSnap: 0.25, keyboard: true });
    this.map.attributionControl.setPrefix(false);
    this.canvas = L.canvas({ padding: 0.2 });
    this.base = L.layerGroup().addTo(this.map);
    this.layer = L.layerGroup().addTo(this.map);
    this.markers = new Map(); // visit id -> marker(s)
    this.selected = null;
    this.numbersFor = null;
    this.map.setView([47.14, 9.53], 11);
  }

  /** The base layer: a tile server when configured, else the roads from /board/roads. */
  setBase({ roads, tileUrl, tileAttribution }) {
    this.base.clearLayers();
    if (tileUrl) {
      L.tileLayer(tileUrl, { attribution: tileAttribution || '', maxZoom: 19 }).addTo(this.base);
    }
    if (roads) {
      L.polyline(roads.lines.map((line) => line.map(([x, y]) => [y, x])), {
        renderer: this.canvas,
        color: '#9e9e9e',
        weight: 1,
        interactive: false,
        attribution: roads.attribution,
      }).addTo(this.base);
      this.element.dataset.roads = String(roads.lines.length);
      if (!this.fitted) this.map.fitBounds(roads.bounds);
    }
  }

  /** Draws a plan: `routes` from /board/plans/{id}/map, `board` from /board/plans/{id}. */
  draw(board, routes, styles, visibleEngineers) {
    this.layer.clearLayers();
    this.markers.clear();
    this.board = board;
    this.styles = styles;
    const bounds = L.latLngBounds([]);
    const show = (id) => !visibleEngineers || visibleEngineers.has(id);
    let drawn = 0;
    for (const route of routes.routes) {
      if (!show(route.engineer)) continue;
      const style = styles.get(route.engineer);
      const line = L.polyline(
        route.legs.map((leg) => leg.map(([x, y]) => [y, x])),
        {
          color: style.fill,
          weight: 3,
          opacity: 0.85,
          dashArray: style.dash,
          className: 'fr-route',
          interactive: false,
        },
      ).addTo(this.layer);
      line.getElement()?.setAttribute('data-engineer', route.engineer);
      bounds.extend(line.getBounds());
      drawn += 1;
    }
    this.element.dataset.routes = String(drawn);
    const engineers = board.engineers.filter((e) => e.route && show(e.id));
    const total = engineers.reduce((n, e) => n + e.route.stops.length, 0);
    this.numbered = total <= MANY_STOPS;
    for (const e of engineers) {
      for (const stop of e.route.stops) this.addStop(e, stop);
    }
    for (const c of board.centres) {
      L.marker([c.lat, c.lon], {
        icon: L.divIcon({ className: 'fr-centre', iconSize: [14, 14] }),
        title: `Service centre ${c.name}`,
        keyboard: false,
      }).addTo(this.layer);
    }
    for (const u of board.unassigned) {
      const visit = board.visits[u.visit];
      const marker = L.marker([u.lat, u.lon], {
        icon: L.divIcon({ className: 'fr-unassigned', html: '×', iconSize: [16, 16] }),
        title: `${u.visit} not planned: ${u.reason}`,
        keyboard: false,
      })
        .on('click', () => this.onSelect(u.visit))
        .addTo(this.layer);
      marker.bindTooltip(`${u.visit} · ${visit.job} · ${u.reason}`);
      this.markers.set(u.visit, [marker]);
    }
    if (bounds.isValid()) {
      this.map.fitBounds(bounds, { padding: [20, 20] });
      this.fitted = true;
    }
    this.element.dataset.stops = String(total);
  }

  addStop(engineer, stop) {
    const visit = this.board.visits[stop.visit];
    const style = this.styles.get(engineer.id);
    const title = `${stop.seq}. ${visit.id} · ${engineer.name}`;
    let marker;
    if (visit.kind === 'community_event') {
      marker = L.marker([stop.lat, stop.lon], {
        icon: L.divIcon({ className: 'fr-event', html: '★', iconSize: [20, 20] }),
        title: `${title} (community event)`,
        keyboard: false,
      });
    } else if (this.numbered || this.numbersFor === engineer.id) {
      marker = L.marker([stop.lat, stop.lon], {
        icon: L.divIcon({
          className: '',
          html: `<div class="fr-num" data-visit="${visit.id}" style="background:${style.fill};color:${style.text};width:20px;height:20px">${stop.seq}</div>`,
          iconSize: [20, 20],
        }),
        title,
        keyboard: false,
      });
    } else {
      marker = L.circleMarker([stop.lat, stop.lon], {
        radius: 4,
        color: '#fff',
        weight: 1,
        fillColor: style.fill,
        fillOpacity: 1,
        className: 'fr-stop',
      });
    }
    marker.on('click', () => this.onSelect(visit.id)).addTo(this.layer);
    const list = this.markers.get(visit.id) || [];
    list.push(marker);
    this.markers.set(visit.id, list);
  }

  /** Highlights a visit's markers and brings them into view. */
  select(visitId, engineerId) {
    for (const node of this.element.querySelectorAll('.selected')) node.classList.remove('selected');
    if (this.highlight) this.highlight.remove();
    const markers = this.markers.get(visitId) || [];
    if (!markers.length) return;
    const at = markers[0].getLatLng();
    this.highlight = L.circleMarker(at, {
      radius: 14,
      color: '#000',
      weight: 3,
      fill: false,
      className: 'fr-highlight',
      interactive: false,
    }).addTo(this.layer);
    for (const m of markers) m.getElement?.()?.querySelector('.fr-num')?.classList.add('selected');
    if (!this.map.getBounds().contains(at)) this.map.panTo(at);
    this.element.dataset.selected = visitId;
    this.element.dataset.selectedEngineer = engineerId || '';
  }
}
