import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { DEFAULT_CHANNEL, ItemKeySchema } from '#contracts/item-key.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import { formatAge, formatValue, h, hashParams } from '../dom.ts';
import { fetchHistory, HISTORY_WINDOW_MS } from '../history.ts';
import { pageConnection } from '../page-connection.ts';
import type { PlatformInfo } from '../platform.ts';
import { mergeSamples, type Sample } from '../samples.ts';
import { connectionBadge } from './connection-badge.ts';
import { createFleetMap, type Position } from './fleet-map.ts';

/**
 * Readings kept per channel for its charts and trail, besides the HISTORY_WINDOW_MS time window: a
 * bound on memory and drawing work for fast senders (15 minutes at 5 readings a second).
 */
const MAX_SAMPLES = 4500;
const STORAGE_KEY = 'rtp.dashboard.keys';

interface ChannelView {
  frame: ItemFrame;
  tile: HTMLElement;
  values: HTMLElement;
  age: HTMLElement;
  version: HTMLElement;
  /** Oldest first by event time, one per version, see `mergeSamples`. */
  samples: Sample[];
  charts: Map<string, uPlot>;
  chartBox: HTMLElement;
}

interface KeyView {
  key: string;
  shown: boolean;
  /** Local time of the last frame, for the fleet list's "seen" age. */
  seenAt: number | undefined;
  channels: Map<string, ChannelView>;
  /** Telemetry history that came before the channel's first frame, kept until its tile exists. */
  history: Sample[];
  /** Cancels the key's history request when it is unwatched. */
  abort: AbortController;
  panel: HTMLElement;
  tiles: HTMLElement;
}

/**
 * The live dashboard: watch keys (the fleet list), see one tile per channel with each value and
 * its age, a small chart per numeric field (telemetry's filled from the last HISTORY_WINDOW_MS of
 * history on open) and a map of every key's position (`lat`/`lon`) with its trail. Returns a
 * function that tears the page down.
 */
export function mountDashboard(root: HTMLElement, platform: PlatformInfo): () => void {
  const views = new Map<string, KeyView>();
  const badge = connectionBadge();
  const fleet = h('ul', { class: 'fleet-list', 'aria-label': 'Watched keys' });
  const panels = h('div', { class: 'panels' });
  const fleetMap = createFleetMap();
  const empty = h(
    'div',
    { class: 'empty' },
    h('h2', {}, 'No keys watched yet'),
    h(
      'p',
      {},
      `Type a ${platform.keyAttribute} above and press Watch. To see numbers move, run the simulator: `,
      h('code', {}, 'npm run rtp -- simulate --vehicles 5'),
      ' and watch 1 to 5.',
    ),
  );
  const keyInput = h('input', {
    name: 'key',
    placeholder: `${platform.keyAttribute}, e.g. 1`,
    autocomplete: 'off',
    'aria-label': `${platform.keyAttribute} to watch`,
  });
  const formError = h('span', { class: 'form-error', role: 'status' });
  const form = h(
    'form',
    { class: 'watch-form' },
    keyInput,
    h('button', { type: 'submit', class: 'primary' }, 'Watch'),
    formError,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = ItemKeySchema.safeParse(keyInput.value);
    if (!parsed.success) {
      formError.textContent = `${platform.keyAttribute} ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
      return;
    }
    formError.textContent = '';
    keyInput.value = '';
    watch(parsed.data);
  });

  root.replaceChildren(
    h(
      'section',
      { class: 'page dashboard' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Dashboard'), form, badge.element),
      h(
        'div',
        { class: 'layout' },
        h('aside', { class: 'fleet card' }, h('h2', {}, 'Fleet'), fleet),
        h('div', { class: 'main' }, empty, fleetMap.element, panels),
      ),
    ),
  );

  const live = pageConnection(platform, badge, {
    onItem: (frame) => applyFrame(frame),
    onRemoved: (frame) => {
      const view = views.get(frame.key);
      if (view) removeChannel(view, frame.channel);
    },
    // The platform could not resume the key: start it over from its current state and history.
    onReset: (key) => {
      const view = views.get(key);
      if (!view) return;
      for (const channel of [...view.channels.keys()]) removeChannel(view, channel);
      loadHistory(view);
    },
    onError: (frame) => {
      formError.textContent = `${frame.code}: ${frame.message}`;
    },
  });

  function watch(key: string): void {
    if (views.has(key)) return;
    const tiles = h('div', { class: 'tiles' });
    const panel = h(
      'section',
      { class: 'key-panel', 'data-key': key },
      h('h2', {}, h('span', { class: 'muted' }, `${platform.keyAttribute} `), key),
      tiles,
      h('p', { class: 'waiting muted' }, 'Waiting for data…'),
    );
    const view: KeyView = {
      key,
      shown: true,
      seenAt: undefined,
      channels: new Map(),
      history: [],
      abort: new AbortController(),
      panel,
      tiles,
    };
    views.set(key, view);
    panels.append(panel);
    live.subscribe(key);
    loadHistory(view);
    saveKeys();
    render();
  }

  function unwatch(key: string): void {
    const view = views.get(key);
    if (!view) return;
    disposeKey(view);
    views.delete(key);
    live.unsubscribe(key);
    saveKeys();
    render();
  }

  function applyFrame(frame: ItemFrame): void {
    const view = views.get(frame.key);
    if (!view) return;
    const firstData = view.seenAt === undefined;
    view.seenAt = Date.now();
    view.panel.querySelector('.waiting')?.remove();
    let channel = view.channels.get(frame.channel);
    const created = !channel;
    if (!channel) {
      channel = createTile(frame);
      view.channels.set(frame.channel, channel);
      view.tiles.append(channel.tile);
    }
    channel.frame = frame;
    channel.version.textContent = `v${frame.version}`;
    // Sorted: DynamoDB maps come back in no particular order, and tiles must not reshuffle.
    const fields = Object.entries(frame.data).sort(([a], [b]) => a.localeCompare(b));
    channel.values.replaceChildren(
      ...fields.map(([field, value]) =>
        h(
          'div',
          { class: 'value', 'data-field': field },
          h('dt', {}, field),
          h('dd', {}, formatValue(value)),
        ),
      ),
    );
    const added = [{ version: frame.version, ts: frame.ts, data: frame.data }];
    if (created && frame.channel === DEFAULT_CHANNEL) added.push(...view.history.splice(0));
    addSamples(view, channel, added);
    channel.age.textContent = formatAge(Date.now() - frame.ts);
    // The fleet list re-renders on the 1 s ticker; at once only when a key gets its first data.
    if (firstData) render();
  }

  function createTile(frame: ItemFrame): ChannelView {
    const age = h('span', { class: 'age' });
    const version = h('span', { class: 'version muted' });
    const values = h('dl', { class: 'values' });
    const chartBox = h('div', { class: 'charts' });
    const tile = h(
      'article',
      { class: 'tile card', 'data-channel': frame.channel },
      h('header', {}, h('h3', {}, frame.channel), version, age),
      values,
      chartBox,
    );
    return { frame, tile, values, age, version, samples: [], charts: new Map(), chartBox };
  }

  /** Everything shown and pending for the key goes (it stays in the stored list of keys). */
  function disposeKey(view: KeyView): void {
    view.abort.abort();
    for (const channel of [...view.channels.keys()]) removeChannel(view, channel);
    view.panel.remove();
  }

  function removeChannel(view: KeyView, name: string): void {
    const channel = view.channels.get(name);
    if (!channel) return;
    channel.tile.remove();
    for (const chart of channel.charts.values()) chart.destroy();
    view.channels.delete(name);
    if (name === DEFAULT_CHANNEL) fleetMap.remove(view.key);
  }

  /**
   * Fills the key's telemetry charts and trail with its last HISTORY_WINDOW_MS of history; live
   * frames keep coming meanwhile (samples are merged by version, so overlap counts once).
   */
  function loadHistory(view: KeyView): void {
    fetchHistory(platform, view.key, DEFAULT_CHANNEL, Date.now() - HISTORY_WINDOW_MS, view.abort.signal)
      .then((entries) => {
        const samples = entries.flatMap((entry) => ('data' in entry ? [entry] : []));
        const channel = view.channels.get(DEFAULT_CHANNEL);
        if (channel) addSamples(view, channel, samples);
        else view.history.push(...samples);
      })
      .catch((error: Error) => {
        if (view.abort.signal.aborted) return;
        // Live data still shows; only the past is missing.
        view.panel.append(h('p', { class: 'history-error muted' }, `No history: ${error.message}`));
      });
  }

  /** Merges `added` into the channel's samples and redraws its charts (and trail, for telemetry). */
  function addSamples(view: KeyView, channel: ChannelView, added: Sample[]): void {
    channel.samples = mergeSamples(channel.samples, added, HISTORY_WINDOW_MS, MAX_SAMPLES);
    drawCharts(channel);
    if (channel.frame.channel === DEFAULT_CHANNEL) {
      const trail = channel.samples.flatMap(({ data }): Position[] =>
        typeof data.lat === 'number' && typeof data.lon === 'number'
          ? [{ lat: data.lat, lon: data.lon }]
          : [],
      );
      fleetMap.show(view.key, trail);
    }
  }

  /** One chart per numeric field of the channel's samples. */
  function drawCharts(channel: ChannelView): void {
    const fields = new Set(
      channel.samples.flatMap(({ data }) =>
        Object.keys(data).filter((field) => typeof data[field] === 'number'),
      ),
    );
    for (const field of fields) {
      let chart = channel.charts.get(field);
      if (!chart) {
        chart = createChart(channel.chartBox, field);
        channel.charts.set(field, chart);
      }
      const points = channel.samples.filter(({ data }) => typeof data[field] === 'number');
      chart.setData([points.map(({ ts }) => ts / 1000), points.map(({ data }) => data[field] as number)]);
      const box = chart.root.parentElement;
      if (box) box.dataset.points = String(points.length);
      // A line needs two points; one point alone gets a meaningless time axis.
      box?.classList.toggle('single', points.length < 2);
    }
  }

  function createChart(container: HTMLElement, field: string): uPlot {
    const box = h('figure', { class: 'chart', 'data-field': field }, h('figcaption', {}, field));
    const next = [...container.children].find((other) => (other as HTMLElement).dataset.field! > field);
    container.insertBefore(box, next ?? null);
    return new uPlot(
      {
        width: 268,
        height: 72,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [
          {
            size: 22,
            font: '10px system-ui',
            grid: { stroke: '#eef1f5' },
            ticks: { show: false },
            values: (_plot, splits) => splits.map((seconds) => new Date(seconds * 1000).toLocaleTimeString()),
            space: 70,
          },
          { size: 44, font: '10px system-ui', grid: { stroke: '#eef1f5' }, ticks: { show: false } },
        ],
        series: [
          {},
          { stroke: '#2f6fdb', width: 1.5, fill: 'rgba(47,111,219,0.08)', points: { show: false } },
        ],
      },
      [[], []],
      box,
    );
  }

  /** Fleet list (most recently seen first) and which panels show. */
  function render(): void {
    empty.hidden = views.size > 0;
    fleetMap.element.hidden = views.size === 0;
    const ordered = [...views.values()].sort((a, b) => (b.seenAt ?? 0) - (a.seenAt ?? 0));
    fleet.replaceChildren(
      ...ordered.map((view) => {
        const checkbox = h('input', { type: 'checkbox', checked: view.shown });
        checkbox.addEventListener('change', () => {
          view.shown = checkbox.checked;
          render();
        });
        return h(
          'li',
          { 'data-key': view.key, class: view.shown ? 'shown' : undefined },
          h('label', {}, checkbox, h('span', { class: 'fleet-key' }, view.key)),
          h('span', { class: 'age' }, view.seenAt ? formatAge(Date.now() - view.seenAt) : 'no data'),
          h(
            'button',
            {
              class: 'icon',
              title: `Stop watching ${view.key}`,
              'aria-label': `Stop watching ${view.key}`,
              onclick: () => unwatch(view.key),
            },
            '×',
          ),
        );
      }),
    );
    if (views.size === 0) fleet.append(h('li', { class: 'muted' }, 'Nothing watched'));
    for (const view of views.values()) view.panel.hidden = !view.shown;
  }

  /** Ages move even when no frame comes. */
  function tick(): void {
    const now = Date.now();
    for (const view of views.values()) {
      for (const channel of view.channels.values()) {
        channel.age.textContent = formatAge(now - channel.frame.ts);
        channel.tile.classList.toggle('stale', now - channel.frame.ts > 30_000);
      }
    }
  }
  const ticker = setInterval(() => {
    tick();
    render();
  }, 1000);

  function saveKeys(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify([...views.keys()]));
    } catch {
      // Storage may be disabled; watching still works for this visit.
    }
  }

  const fromHash = hashParams().get('keys');
  const initial = fromHash !== null ? fromHash.split(',') : storedKeys();
  for (const raw of initial) {
    const parsed = ItemKeySchema.safeParse(raw);
    if (parsed.success) watch(parsed.data);
  }
  render();

  return () => {
    clearInterval(ticker);
    live.close();
    for (const view of views.values()) disposeKey(view);
    fleetMap.destroy();
  };
}

function storedKeys(): string[] {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(stored) ? stored.filter((key): key is string => typeof key === 'string') : [];
  } catch {
    return [];
  }
}
