import {
  MESSAGE_CHANNEL_PREFIX,
  type RoomMessageData,
  RoomMessageDataSchema,
  RoomNameSchema,
  roomKey,
  UserNameSchema,
} from '#contracts/room-messages.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import { h, hashParams } from '../dom.ts';
import { exposeForTests, LiveConnection } from '../live-connection.ts';
import type { PlatformInfo } from '../platform.ts';
import { connectionBadge } from './connection-badge.ts';

const USER_KEY = 'rtp.rooms.user';
const ROOM_KEY = 'rtp.rooms.room';
const ALERT_MS = 8000;

interface Message {
  id: string;
  data: RoomMessageData;
  element: HTMLElement;
}

/**
 * Chat rooms: pick a name, join a room (subscribe to `room-<name>`; its messages come as the
 * snapshot), post, and edit or delete your own messages. The server decides who may edit: the
 * author is the connection's user. Returns a function that tears the page down.
 */
export function mountRooms(root: HTMLElement, platform: PlatformInfo): () => void {
  let disposeCurrent = () => {};
  const restart = () => {
    disposeCurrent();
    disposeCurrent = mountRoomsAs(root, platform, restart);
  };
  restart();
  return () => disposeCurrent();
}

/** The rooms page for the user named in the hash or storage, or the name picker (then `restart`). */
function mountRoomsAs(root: HTMLElement, platform: PlatformInfo, restart: () => void): () => void {
  const params = hashParams();
  const user = valid(UserNameSchema, params.get('user')) ?? valid(UserNameSchema, stored(USER_KEY));
  if (user === undefined) {
    renderNamePicker(root, restart);
    return () => {};
  }
  let room = valid(RoomNameSchema, params.get('room')) ?? valid(RoomNameSchema, stored(ROOM_KEY)) ?? 'lobby';
  const messages = new Map<string, Message>();

  const badge = connectionBadge();
  const alerts = h('div', { class: 'alerts', 'aria-live': 'polite' });
  const list = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  const title = h('h2', {});
  const roomInput = h('input', { name: 'room', value: room, 'aria-label': 'Room', autocomplete: 'off' });
  const joinForm = h('form', { class: 'join-form' }, roomInput, h('button', { type: 'submit' }, 'Join'));
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = RoomNameSchema.safeParse(roomInput.value);
    if (!next.success) return alert('ValidationError', `room ${next.error.issues[0]?.message}`);
    join(next.data);
  });
  const textInput = h('input', {
    name: 'text',
    autocomplete: 'off',
    'aria-label': 'Message',
    maxlength: 2000,
  });
  const composer = h(
    'form',
    { class: 'composer' },
    textInput,
    h('button', { type: 'submit', class: 'primary' }, 'Send'),
  );
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    if (text === '') return;
    if (send({ action: 'publish', room, text })) textInput.value = '';
  });
  const empty = h('p', { class: 'empty-room muted' }, 'No messages yet. Say hello!');

  root.replaceChildren(
    h(
      'section',
      { class: 'page rooms' },
      h(
        'div',
        { class: 'toolbar' },
        h('h1', {}, 'Rooms'),
        joinForm,
        h(
          'span',
          { class: 'whoami' },
          'You are ',
          h('strong', { class: 'user-name' }, user),
          ' ',
          h(
            'button',
            {
              class: 'link',
              onclick: () => {
                forget(USER_KEY);
                // A name in the hash would win again: drop it (the route change remounts the page).
                if (hashParams().has('user')) location.hash = '#/rooms';
                else restart();
              },
            },
            'change',
          ),
        ),
        badge.element,
      ),
      alerts,
      h('div', { class: 'chat card' }, title, empty, list, composer),
    ),
  );

  const live = new LiveConnection({
    websocketUrl: platform.websocketUrl,
    keyAttribute: platform.keyAttribute,
    token: platform.token,
    query: { user },
    onItem: (frame) => applyMessage(frame),
    onRemoved: (frame) => {
      const id = frame.channel.slice(MESSAGE_CHANNEL_PREFIX.length);
      messages.get(id)?.element.remove();
      messages.delete(id);
    },
    onError: (frame) => alert(frame.code, frame.message),
    onState: (state) => badge.set(state),
  });
  exposeForTests(live);
  join(room);

  function join(next: string): void {
    live.unsubscribe(roomKey(room));
    room = next;
    remember(ROOM_KEY, room);
    roomInput.value = room;
    title.textContent = `# ${room}`;
    textInput.placeholder = `Message #${room} as ${user}`;
    messages.clear();
    list.replaceChildren();
    empty.hidden = false;
    live.subscribe(roomKey(room));
  }

  function send(message: Parameters<LiveConnection['send']>[0]): boolean {
    if (live.send(message)) return true;
    alert('Offline', 'not connected; reconnecting, try again in a moment');
    return false;
  }

  function applyMessage(frame: ItemFrame): void {
    if (frame.key !== roomKey(room) || !frame.channel.startsWith(MESSAGE_CHANNEL_PREFIX)) return;
    const parsed = RoomMessageDataSchema.safeParse(frame.data);
    if (!parsed.success) return;
    const id = frame.channel.slice(MESSAGE_CHANNEL_PREFIX.length);
    const element = renderMessage(id, parsed.data);
    const existing = messages.get(id);
    if (existing) {
      existing.element.replaceWith(element);
      existing.data = parsed.data;
      existing.element = element;
      return;
    }
    const message = { id, data: parsed.data, element };
    messages.set(id, message);
    // Keep posting order even when a snapshot and live frames interleave.
    const after = [...messages.values()]
      .filter((other) => other !== message && isBefore(message, other))
      .sort((a, b) => (isBefore(a, b) ? -1 : 1))[0];
    list.insertBefore(element, after?.element ?? null);
    empty.hidden = true;
    if (parsed.data.author === user || nearBottom(list)) element.scrollIntoView({ block: 'nearest' });
  }

  function renderMessage(id: string, data: RoomMessageData): HTMLElement {
    const own = data.author === user;
    const time = new Date(data.postedAt).toLocaleTimeString();
    const body = data.deleted
      ? h('p', { class: 'text deleted' }, 'message deleted')
      : h('p', { class: 'text' }, data.text ?? '');
    const actions =
      own && !data.deleted
        ? h(
            'span',
            { class: 'actions' },
            h('button', { class: 'link', onclick: () => startEdit(id, data, body) }, 'Edit'),
            h(
              'button',
              { class: 'link danger', onclick: () => send({ action: 'delete', room, messageId: id }) },
              'Delete',
            ),
          )
        : null;
    return h(
      'li',
      {
        class: `message${own ? ' own' : ''}${data.deleted ? ' is-deleted' : ''}`,
        'data-message-id': id,
        'data-author': data.author,
      },
      h(
        'header',
        {},
        h('strong', { class: 'author' }, data.author),
        h('time', { datetime: new Date(data.postedAt).toISOString() }, time),
        data.editedAt && !data.deleted ? h('span', { class: 'edited muted' }, '(edited)') : null,
        actions,
      ),
      body,
    );
  }

  function startEdit(id: string, data: RoomMessageData, body: HTMLElement): void {
    const input = h('input', {
      name: 'edit',
      value: data.text ?? '',
      'aria-label': 'Edit message',
      maxlength: 2000,
    });
    const form = h(
      'form',
      { class: 'edit-form' },
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', onclick: () => form.replaceWith(body) }, 'Cancel'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (text === '' || text === data.text) return form.replaceWith(body);
      if (send({ action: 'edit', room, messageId: id, text })) form.replaceWith(body);
    });
    body.replaceWith(form);
    input.focus();
  }

  function alert(code: string, message: string): void {
    const item = h(
      'div',
      { class: 'alert', role: 'alert', 'data-code': code },
      h('strong', {}, code),
      ` ${message}`,
      h('button', { class: 'icon', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'),
    );
    alerts.append(item);
    setTimeout(() => item.remove(), ALERT_MS);
  }

  return () => live.close();
}

function renderNamePicker(root: HTMLElement, done: () => void): void {
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
    h('h1', {}, 'Join the chat'),
    h(
      'p',
      { class: 'muted' },
      'Pick a name. Messages you post carry it, and only you can edit or delete them.',
    ),
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
    remember(USER_KEY, parsed.data);
    done();
  });
  root.replaceChildren(h('section', { class: 'page rooms' }, form));
  input.focus();
}

function isBefore(a: Message, b: Message): boolean {
  return a.data.postedAt !== b.data.postedAt ? a.data.postedAt < b.data.postedAt : a.id < b.id;
}

function nearBottom(list: HTMLElement): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

function valid<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
  value: unknown,
) {
  if (value === null || value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function stored(name: string): string | null {
  try {
    return localStorage.getItem(name);
  } catch {
    return null;
  }
}

function remember(name: string, value: string): void {
  try {
    localStorage.setItem(name, value);
  } catch {
    // Storage may be disabled; the choice holds for this visit only.
  }
}

function forget(name: string): void {
  try {
    localStorage.removeItem(name);
  } catch {
    // Nothing stored then.
  }
}
