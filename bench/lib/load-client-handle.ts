import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientCommand, ClientReply, Collected, FloodResult, PublishResult } from './load-protocol.ts';

const CLIENT_ENTRY = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/** The bench process's handle on a load client child process (one command at a time). */
export class LoadClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<LoadClient> {
    const child = fork(CLIENT_ENTRY, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load client exited with ${code}`)));
    });
    return new LoadClient(child);
  }

  private request(command: ClientCommand): Promise<ClientReply> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (message: ClientReply) => {
        if (message.type === 'error') reject(new Error(`load client: ${message.message}`));
        else resolve(message);
      });
      this.child.send(command);
    });
  }

  async connect(
    url: string,
    keys: string[],
    perKey: number,
    keyParam: string,
    parallel = 32,
    everyKey = false,
  ): Promise<number> {
    const reply = await this.request({ cmd: 'connect', url, keys, perKey, keyParam, parallel, everyKey });
    return reply.type === 'connected' ? reply.count : 0;
  }

  async reset(): Promise<void> {
    await this.request({ cmd: 'reset' });
  }

  async publish(options: Omit<Extract<ClientCommand, { cmd: 'publish' }>, 'cmd'>): Promise<PublishResult> {
    const reply = await this.request({ cmd: 'publish', ...options });
    if (reply.type !== 'published') throw new Error(`unexpected reply ${reply.type}`);
    return reply.result;
  }

  async flood(options: Omit<Extract<ClientCommand, { cmd: 'flood' }>, 'cmd'>): Promise<FloodResult> {
    const reply = await this.request({ cmd: 'flood', ...options });
    if (reply.type !== 'flooded') throw new Error(`unexpected reply ${reply.type}`);
    return reply.result;
  }

  async collect(options: Omit<Extract<ClientCommand, { cmd: 'collect' }>, 'cmd'>): Promise<Collected> {
    const reply = await this.request({ cmd: 'collect', ...options });
    if (reply.type !== 'collected') throw new Error(`unexpected reply ${reply.type}`);
    const { type: _type, ...collected } = reply;
    return collected;
  }

  async close(): Promise<void> {
    await this.request({ cmd: 'close' });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ cmd: 'exit' } satisfies ClientCommand);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    if (this.child.exitCode === null) this.child.kill();
  }
}
