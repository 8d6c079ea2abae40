import { h } from './dom.ts';

/** How long an alert stays before it dismisses itself. */
const ALERT_MS = 8000;

/**
 * A live region for transient alerts (`.alerts`): each alert carries its code as `data-code` (for
 * styles and tests), the message, and a dismiss button, and goes away on its own after 8 s.
 */
export function alertList() {
  const element = h('div', { class: 'alerts', 'aria-live': 'polite' });
  return {
    element,
    /** Shows `code message` as a `role="alert"` item. */
    show(code: string, message: string): void {
      const item = h(
        'div',
        { class: 'alert', role: 'alert', 'data-code': code },
        h('strong', {}, code),
        ` ${message}`,
        h('button', { class: 'icon', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'),
      );
      element.append(item);
      setTimeout(() => item.remove(), ALERT_MS);
    },
  };
}
