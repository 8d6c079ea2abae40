import { h } from '../dom.ts';
import type { ConnectionState } from '../live-connection.ts';

const LABELS: Record<ConnectionState, string> = {
  idle: 'not connected',
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'reconnecting…',
  closed: 'closed',
};

/** A pill showing the connection state (`data-state` carries the raw state for styles and tests). */
export function connectionBadge() {
  const element = h('span', { class: 'conn-state', 'data-state': 'idle', role: 'status' }, LABELS.idle);
  return {
    element,
    set(state: ConnectionState) {
      element.dataset.state = state;
      element.textContent = LABELS[state];
    },
  };
}
