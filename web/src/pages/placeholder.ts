import { h } from '../dom.ts';

/** A page still to come: says what it will do, so the navigation is complete from the start. */
export function mountPlaceholder(root: HTMLElement, title: string, description: string): () => void {
  root.replaceChildren(
    h(
      'section',
      { class: 'page placeholder' },
      h(
        'div',
        { class: 'card' },
        h('h1', {}, title),
        h('p', {}, description),
        h('p', { class: 'muted' }, 'Coming soon.'),
      ),
    ),
  );
  return () => {};
}
