import { JOB_STATUS_CHANNEL, jobKey } from '#contracts/app-keys.ts';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import {
  JobAcceptedSchema,
  type JobRequest,
  type JobStatusData,
  JobStatusDataSchema,
} from '#contracts/jobs.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import { alertList } from '../alerts.ts';
import { h } from '../dom.ts';
import { pageConnection } from '../page-connection.ts';
import type { PlatformInfo } from '../platform.ts';
import { connectionBadge } from './connection-badge.ts';

interface JobRow {
  jobId: string;
  element: HTMLElement;
  status: HTMLElement;
  bar: HTMLElement;
  detail: HTMLElement;
}

/** What the form offers: each a job the worker runs honestly (see contracts/jobs.ts). */
const CHOICES: Record<string, { label: string; request: () => JobRequest }> = {
  sleep: {
    label: 'Sleep 3 s with progress',
    request: () => ({ type: 'sleep', input: { seconds: 3, steps: 6 } }),
  },
  stats: {
    label: 'Statistics of key…',
    request: () => ({ type: 'stats', input: { key: '' } }),
  },
  fail: {
    label: 'Fail on purpose',
    request: () => ({ type: 'fail', input: { reason: 'this job fails on purpose' } }),
  },
};

/**
 * Async jobs: submits `POST /jobs` and follows the job's key, so its status (queued, running with
 * progress, done with the result, failed with the reason) arrives live. The page picks the job id
 * and subscribes before posting, so not even `queued` is missed. Returns the teardown.
 */
export function mountJobs(root: HTMLElement, platform: PlatformInfo): () => void {
  const rows = new Map<string, JobRow>();
  const badge = connectionBadge();
  const alerts = alertList();
  const select = h(
    'select',
    { name: 'type', 'aria-label': 'Job' },
    ...Object.entries(CHOICES).map(([value, choice]) => h('option', { value }, choice.label)),
  );
  const keyInput = h('input', { name: 'key', placeholder: 'key, e.g. 3', 'aria-label': 'Key', hidden: true });
  select.addEventListener('change', () => {
    keyInput.hidden = select.value !== 'stats';
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run job');
  const form = h('form', { class: 'job-form' }, select, keyInput, submit);
  const list = h('ol', { class: 'jobs', 'aria-label': 'Jobs' });
  const empty = h(
    'p',
    { class: 'muted empty-jobs' },
    'No jobs yet. Run one: its status changes here as the worker reports it.',
  );

  root.replaceChildren(
    h(
      'section',
      { class: 'page jobs-page' },
      h('div', { class: 'toolbar' }, h('h1', {}, 'Jobs'), form, badge.element),
      alerts.element,
      h('div', { class: 'card' }, empty, list),
    ),
  );

  // The connection opens on the first job's key; later jobs are added subscriptions.
  const live = pageConnection(platform, badge, {
    onItem: (frame) => applyStatus(frame),
    onError: (frame) => alerts.show(frame.code, frame.message),
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const choice = CHOICES[select.value];
    if (!choice) return;
    const request = choice.request();
    if (request.type === 'stats') request.input.key = keyInput.value.trim();
    void run(request);
  });

  async function run(request: JobRequest): Promise<void> {
    const jobId = crypto.randomUUID();
    const row = addRow(jobId, request.type);
    live.subscribe(jobKey(jobId));
    submit.disabled = true;
    try {
      const response = await fetch(new URL('jobs', document.baseURI), {
        method: 'POST',
        // With AuthMode=jwt POST /jobs takes the page's token as a bearer token.
        headers: {
          'content-type': 'application/json',
          ...(platform.token ? { authorization: `Bearer ${platform.token}` } : {}),
        },
        body: JSON.stringify({ ...request, jobId }),
      });
      const body: unknown = await response.json().catch(() => undefined);
      if (response.status !== 202) {
        const error = ErrorBodySchema.safeParse(body);
        const message = error.success
          ? [
              error.data.error.message,
              ...(error.data.error.issues ?? []).map((i) => `${i.path} ${i.message}`),
            ].join('; ')
          : `POST /jobs answered ${response.status}`;
        setStatus(row, {
          jobId,
          type: request.type,
          status: 'failed',
          reason: message,
          updatedAt: Date.now(),
        });
        live.unsubscribe(jobKey(jobId));
        return;
      }
      JobAcceptedSchema.parse(body);
    } catch (error) {
      alerts.show('NetworkError', (error as Error).message);
    } finally {
      submit.disabled = false;
    }
  }

  function addRow(jobId: string, type: string): JobRow {
    const status = h('span', { class: 'job-status', 'data-status': 'submitting' }, 'submitting');
    const bar = h('span', { class: 'bar' });
    const detail = h('span', { class: 'job-detail muted' });
    const element = h(
      'li',
      { class: 'job', 'data-job-id': jobId },
      h('strong', { class: 'job-type' }, type),
      h('code', { class: 'job-id muted' }, jobId.slice(0, 8)),
      status,
      h('span', { class: 'progress', 'aria-hidden': 'true' }, bar),
      detail,
    );
    const row = { jobId, element, status, bar, detail };
    rows.set(jobId, row);
    list.prepend(element);
    empty.hidden = true;
    return row;
  }

  function applyStatus(frame: ItemFrame): void {
    if (frame.channel !== JOB_STATUS_CHANNEL) return;
    const parsed = JobStatusDataSchema.safeParse(frame.data);
    if (!parsed.success) return;
    const row = rows.get(parsed.data.jobId);
    if (row) setStatus(row, parsed.data);
    // A finished job sends nothing more.
    if (parsed.data.status === 'done' || parsed.data.status === 'failed') live.unsubscribe(frame.key);
  }

  function setStatus(row: JobRow, data: JobStatusData): void {
    row.status.textContent = data.status;
    row.status.dataset.status = data.status;
    row.element.dataset.status = data.status;
    const progress = data.status === 'done' ? 1 : (data.progress ?? 0);
    row.bar.style.width = `${Math.round(progress * 100)}%`;
    row.detail.textContent =
      data.status === 'done'
        ? summary(data.result)
        : data.status === 'failed'
          ? (data.reason ?? 'failed')
          : data.status === 'running'
            ? `${Math.round(progress * 100)} %`
            : 'waiting for a worker';
  }

  return () => live.close();
}

/** A one-line view of a job's result. */
function summary(result: JobStatusData['result']): string {
  if (!result) return 'done';
  if (typeof result.sleptMs === 'number') return `slept ${result.sleptMs} ms`;
  const fields = result.fields as
    | Record<string, { count: number; min: number; max: number; mean: number }>
    | undefined;
  if (fields) {
    const parts = Object.entries(fields).map(
      ([name, stats]) => `${name}: ${stats.min}–${stats.max} (mean ${Number(stats.mean.toFixed(2))})`,
    );
    return `${result.items} items · ${parts.join(' · ') || 'no numeric fields'}`;
  }
  return JSON.stringify(result);
}
