import './zod-config.ts';
import './style.css';
import { h } from './dom.ts';
import { mountDashboard } from './pages/dashboard.ts';
import { mountJobs } from './pages/jobs.ts';
import { mountRooms } from './pages/rooms.ts';
import { mountSales } from './pages/sales.ts';
import { loadPlatformInfo, type PlatformInfo } from './platform.ts';

type Mount = (root: HTMLElement, platform: PlatformInfo) => () => void;

/** Hash routes: `#/dashboard?keys=1,2`, `#/rooms?room=lobby`, … Each mount returns its teardown. */
const routes: Record<string, Mount> = {
  dashboard: mountDashboard,
  rooms: mountRooms,
  sales: mountSales,
  jobs: mountJobs,
};

const page = document.getElementById('page') as HTMLElement;
let dispose: () => void = () => {};

function routeName(): string {
  const name = location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return name in routes ? name : 'dashboard';
}

async function start(): Promise<void> {
  let platform: PlatformInfo;
  try {
    platform = await loadPlatformInfo();
  } catch (error) {
    page.replaceChildren(
      h(
        'section',
        { class: 'page' },
        h(
          'div',
          { class: 'card alert', role: 'alert' },
          h('strong', {}, 'The platform is not reachable. '),
          `${(error as Error).message}. Is it running (npm start)?`,
        ),
      ),
    );
    return;
  }
  const info = document.getElementById('platform-info');
  if (info) info.textContent = `key: ${platform.keyAttribute}`;

  let current = '';
  const show = () => {
    const name = routeName();
    const search = location.hash.split('?')[1] ?? '';
    const routeId = `${name}?${search}`;
    if (routeId === current) return;
    current = routeId;
    dispose();
    for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-route]')) {
      link.classList.toggle('active', link.dataset.route === name);
    }
    dispose = (routes[name] as Mount)(page, platform);
  };
  window.addEventListener('hashchange', show);
  show();
}

void start();
