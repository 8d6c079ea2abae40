import { MESSAGE_CHANNEL_PREFIX } from '#contracts/app-keys.ts';
import {
  type RoomMessageData,
  RoomMessageDataSchema,
  RoomNameSchema,
  roomKey,
} from '#contracts/room-messages.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import { alertList } from '../alerts.ts';
import { remember, stored } from '../browser-storage.ts';
import { h, hashParams } from '../dom.ts';
import type { LiveConnection } from '../live-connection.ts';
import { pageConnection } from '../page-connection.ts';
import type { PlatformInfo } from '../platform.ts';
import { mountUserPage, type UserPageOptions, type UserSession, whoAmI } from '../user-page.ts';
import { connectionBadge } from './connection-badge.ts';

const ROOM_KEY = 'rtp.rooms.room';
/** Where "change" of the user name goes, and the name picker's texts. */
const USER_PAGE: UserPageOptions = {
  route: '#/rooms',
  pageClass: 'rooms',
  heading: 'Join the chat',
  hint: 'Pick a name. Messages you post carry it, and only you can edit or delete them.',
};

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
  return mountUserPage(root, USER_PAGE, (session) => mountRoomsAs(root, platform, session));
}

/** The rooms page for the session's user. */
function mountRoomsAs(root: HTMLElement, platform: PlatformInfo, session: UserSession): () => void {
  const { user } = session;
  const params = hashParams();
  let room = valid(RoomNameSchema, params.get('room')) ?? valid(RoomNameSchema, stored(ROOM_KEY)) ?? 'lobby';
  const messages = new Map<string, Message>();

  const badge = connectionBadge();
  const alerts = alertList();
  const list = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  const title = h('h2', {});
  const roomInput = h('input', { name: 'room', value: room, 'aria-label': 'Room', autocomplete: 'off' });
  const joinForm = h('form', { class: 'join-form' }, roomInput, h('button', { type: 'submit' }, 'Join'));
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = RoomNameSchema.safeParse(roomInput.value);
    if (!next.success) return alerts.show('ValidationError', `room ${next.error.issues[0]?.message}`);
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
        whoAmI('You are ', session),
        badge.element,
      ),
      alerts.element,
      h('div', { class: 'chat card' }, title, empty, list, composer),
    ),
  );

  const live = pageConnection(platform, badge, {
    query: { user },
    onItem: (frame) => applyMessage(frame),
    onRemoved: (frame) => {
      const id = frame.channel.slice(MESSAGE_CHANNEL_PREFIX.length);
      messages.get(id)?.element.remove();
      messages.delete(id);
    },
    // The platform could not resume the room: its latest messages follow, shown afresh.
    onReset: (key) => {
      if (key === roomKey(room)) clearMessages();
    },
    onError: (frame) => alerts.show(frame.code, frame.message),
  });
  join(room);

  function clearMessages(): void {
    messages.clear();
    list.replaceChildren();
    empty.hidden = false;
  }

  function join(next: string): void {
    live.unsubscribe(roomKey(room));
    room = next;
    remember(ROOM_KEY, room);
    roomInput.value = room;
    title.textContent = `# ${room}`;
    textInput.placeholder = `Message #${room} as ${user}`;
    clearMessages();
    live.subscribe(roomKey(room));
  }

  function send(message: Parameters<LiveConnection['send']>[0]): boolean {
    if (live.send(message)) return true;
    alerts.show('Offline', 'not connected; reconnecting, try again in a moment');
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

  return () => live.close();
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
