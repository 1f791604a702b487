import { describe, expect, it } from '@jest/globals';
import { inOrder, type JobMessenger } from '../../../src/queue/job-messenger.ts';
import type { JobStatusView } from '../../../src/views/job-status-view.ts';

const view = (detail: string): JobStatusView => ({
  requester: 'U0ALICE',
  description: 'deploy web',
  state: 'running',
  detail,
});

describe('inOrder', () => {
  it('starts each call only when the one before it has ended, whatever their speeds', async () => {
    const log: string[] = [];
    const slow: JobMessenger = {
      updateRoot: async (v) => {
        log.push(`start ${v.detail ?? ''}`);
        await new Promise((resolve) => setTimeout(resolve, v.detail === 'waiting' ? 50 : 1));
        log.push(`end ${v.detail ?? ''}`);
      },
      reply: async (m) => {
        log.push(`reply ${m.text}`);
      },
      replyPrivately: async (m) => {
        log.push(`private ${m.text}`);
      },
    };
    const messenger = inOrder(slow);
    const waiting = messenger.updateRoot(view('waiting'));
    await messenger.updateRoot(view('running'));
    await messenger.reply({ text: 'result', blocks: [] });
    await messenger.replyPrivately({ text: 'logs', blocks: [] });
    await waiting;
    expect(log).toEqual([
      'start waiting',
      'end waiting',
      'start running',
      'end running',
      'reply result',
      'private logs',
    ]);
  });

  it('goes on after a call that failed', async () => {
    const sent: string[] = [];
    const flaky: JobMessenger = {
      updateRoot: async (v) => {
        if (v.detail === 'bad') throw new Error('boom');
        sent.push(v.detail ?? '');
      },
      reply: async () => undefined,
      replyPrivately: async () => undefined,
    };
    const messenger = inOrder(flaky);
    await messenger.updateRoot(view('bad'));
    await messenger.updateRoot(view('good'));
    expect(sent).toEqual(['good']);
  });
});
