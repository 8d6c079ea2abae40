import { h, hashParams } from './dom.ts';
import { type NamePickerOptions, renderNamePicker } from './name-picker.ts';
import { currentUserName, forgetUserName } from './user-name.ts';

/** Who the page acts for, and how to switch to another name. */
export interface UserSession {
  user: string;
  /** Forgets the name and shows the name picker. */
  changeUser: () => void;
}

/** A user page's route and the texts of its name picker. */
export interface UserPageOptions extends Omit<NamePickerOptions, 'done'> {
  /** The page's route, e.g. `#/rooms`. */
  route: string;
}

/**
 * Mounts a page that acts for a named user: with a name (hash or storage, see `currentUserName`)
 * `mount` for that user, else the name picker, which mounts the page once a name is chosen.
 * Returns a function that tears down whichever is shown.
 */
export function mountUserPage(
  root: HTMLElement,
  options: UserPageOptions,
  mount: (session: UserSession) => () => void,
): () => void {
  const { route, ...picker } = options;
  let disposeCurrent = () => {};
  const restart = () => {
    disposeCurrent();
    disposeCurrent = mountCurrent();
  };
  const changeUser = () => {
    forgetUserName();
    // A name in the hash would win again: drop it (the route change remounts the page).
    if (hashParams().has('user')) location.hash = route;
    else restart();
  };
  const mountCurrent = (): (() => void) => {
    const user = currentUserName();
    if (user === undefined) {
      renderNamePicker(root, { ...picker, done: restart });
      return () => {};
    }
    return mount({ user, changeUser });
  };
  restart();
  return () => disposeCurrent();
}

/** The toolbar's `.whoami`: `label` and the user's name, with a "change" link. */
export function whoAmI(label: string, session: UserSession): HTMLElement {
  return h(
    'span',
    { class: 'whoami' },
    label,
    h('strong', { class: 'user-name' }, session.user),
    ' ',
    h('button', { class: 'link', onclick: session.changeUser }, 'change'),
  );
}
