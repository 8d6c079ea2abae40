import * as L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { h } from '../dom.ts';

/**
 * Map tiles: OpenStreetMap's unless the build sets `VITE_MAP_TILE_URL` (and `VITE_MAP_ATTRIBUTION`).
 * The page's Content-Security-Policy must allow the tile host in `img-src` (template.yaml,
 * WebSecurityHeadersPolicy).
 */
const TILE_URL = import.meta.env.VITE_MAP_TILE_URL || 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const ATTRIBUTION =
  import.meta.env.VITE_MAP_ATTRIBUTION ||
  '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';
/** Room around the vehicles when the view fits them. */
const FIT_PADDING_PX = 40;
/** A vehicle this close to the map's edge brings a refit (less than the fit's room, or it would loop). */
const EDGE_PX = 20;
const TRAIL_STYLE: L.PolylineOptions = {
  className: 'fleet-trail',
  color: '#2f6fdb',
  weight: 3,
  opacity: 0.6,
};
const MARKER_STYLE: L.CircleMarkerOptions = {
  className: 'fleet-marker',
  radius: 7,
  color: '#ffffff',
  weight: 2,
  fillColor: '#2f6fdb',
  fillOpacity: 1,
};

/** A point of a vehicle's trail (`data.lat`, `data.lon` of a reading). */
export interface Position {
  lat: number;
  lon: number;
}

interface Vehicle {
  marker: L.CircleMarker;
  trail: L.Polyline;
}

/** The dashboard's map: one marker per key at its latest position, with its trail behind it. */
interface FleetMap {
  element: HTMLElement;
  /** Draws `key` at the last of `trail` (oldest first) with the trail behind it; none hides it. */
  show(key: string, trail: Position[]): void;
  remove(key: string): void;
  destroy(): void;
}

/**
 * Creates the map in a card. Markers are circle markers (SVG, no marker images), so with no tile
 * reachable (offline, tests) the markers and trails still draw on the plain background; a tile that
 * fails to load stays hidden (Leaflet shows tiles only once loaded).
 */
export function createFleetMap(): FleetMap {
  const canvas = h('div', { class: 'fleet-map-canvas' });
  const element = h('section', { class: 'fleet-map card', 'aria-label': 'Fleet map' }, canvas);
  const map = L.map(canvas, { center: [20, 0], zoom: 2, zoomSnap: 0.5 });
  L.tileLayer(TILE_URL, { attribution: ATTRIBUTION, maxZoom: 19 }).addTo(map);
  const vehicles = new Map<string, Vehicle>();
  // The card is laid out after it joins the page: measure then, and whenever its box changes.
  const resized = new ResizeObserver(() => map.invalidateSize());
  resized.observe(canvas);

  function fitAll(): void {
    map.invalidateSize();
    const bounds = L.latLngBounds(
      [...vehicles.values()].flatMap((vehicle) => vehicle.trail.getLatLngs() as L.LatLng[]),
    );
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [FIT_PADDING_PX, FIT_PADDING_PX], maxZoom: 15 });
  }

  return {
    element,
    show(key, trail) {
      const last = trail.at(-1);
      if (last === undefined) return this.remove(key);
      const points = trail.map((position): L.LatLngTuple => [position.lat, position.lon]);
      let vehicle = vehicles.get(key);
      if (vehicle) {
        vehicle.trail.setLatLngs(points);
        vehicle.marker.setLatLng([last.lat, last.lon]);
        // Moves leave the view alone, unless a vehicle nears its edge.
        if (nearEdge(map, [last.lat, last.lon])) fitAll();
      } else {
        const trail = L.polyline(points, TRAIL_STYLE).addTo(map);
        const marker = L.circleMarker([last.lat, last.lon], MARKER_STYLE)
          .bindTooltip(key, { permanent: true, direction: 'right', offset: [8, 0], className: 'fleet-label' })
          .addTo(map);
        vehicle = { marker, trail };
        vehicles.set(key, vehicle);
        // A new vehicle on the map: bring every vehicle into view.
        fitAll();
      }
      // What each shape stands for, for tests and assistive reading of the page.
      vehicle.marker.getElement()?.setAttribute('data-key', key);
      vehicle.marker.getElement()?.setAttribute('data-position', `${last.lat},${last.lon}`);
      vehicle.trail.getElement()?.setAttribute('data-key', key);
      vehicle.trail.getElement()?.setAttribute('data-points', String(points.length));
    },
    remove(key) {
      const vehicle = vehicles.get(key);
      if (!vehicle) return;
      vehicle.marker.remove();
      vehicle.trail.remove();
      vehicles.delete(key);
    },
    destroy() {
      resized.disconnect();
      map.remove();
    },
  };
}

function nearEdge(map: L.Map, position: L.LatLngTuple): boolean {
  const point = map.latLngToContainerPoint(position);
  const size = map.getSize();
  return point.x < EDGE_PX || point.y < EDGE_PX || point.x > size.x - EDGE_PX || point.y > size.y - EDGE_PX;
}
