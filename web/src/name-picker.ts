import { UserNameSchema } from '#contracts/user-name.ts';
import { h } from './dom.ts';
import { rememberUserName } from './user-name.ts';

export interface NamePickerOptions {
  /** Class of the page's section next to `page`, e.g. `rooms`. */
  pageClass: string;
  heading: string;
  /** What the name is used for, shown under the heading. */
  hint: string;
  /** Called once a valid name is remembered. */
  done: () => void;
}

/**
 * Replaces `root` with a form asking for the user's name (`.name-form`): a bad name shows the
 * schema's reason in `.form-error`; a valid one is remembered, then `done` runs.
 */
export function renderNamePicker(root: HTMLElement, options: NamePickerOptions): void {
  const input = h('input', {
    name: 'user',
    placeholder: 'e.g. ana',
    autocomplete: 'nickname',
    'aria-label': 'Your name',
  });
  const error = h('p', { class: 'form-error', role: 'status' });
  const form = h(
    'form',
    { class: 'name-form card' },
    h('h1', {}, options.heading),
    h('p', { class: 'muted' }, options.hint),
    h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'primary' }, 'Continue')),
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = UserNameSchema.safeParse(input.value);
    if (!parsed.success) {
      error.textContent = `name ${parsed.error.issues[0]?.message ?? 'is invalid'}`;
      return;
    }
    rememberUserName(parsed.data);
    options.done();
  });
  root.replaceChildren(h('section', { class: `page ${options.pageClass}` }, form));
  input.focus();
}
