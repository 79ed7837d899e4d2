// Log forging and log flooding (issue 10, classes 7 and 8): a value with newlines or control characters
// never starts a new line in either format, and huge values are cut.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, MAX_LOG_STRING } from './log.js';

function capture(json: boolean): { log: ReturnType<typeof createLogger>; lines: () => string[] } {
  let text = '';
  const destination = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  const log = createLogger({ json, destination, level: 'debug' });
  return { log, lines: () => text.split('\n').filter((l) => l !== '') };
}

const FORGED = 'a\n2099-01-01T00:00:00.000Z [ERROR] forged line\r\u0085\u2028x\u0000';

describe('log values are escaped', () => {
  it('text format: one event is one line, whatever the message and fields hold', () => {
    const { log, lines } = capture(false);
    log.info(`request for ${FORGED}`, { path: `/v1/catalog/service/${FORGED}`, peer: FORGED, nested: { v: FORGED }, list: [FORGED] });
    log.warn('refused a peer stream', { reason: `initial subscription for unknown PeerID: ${FORGED}` });
    const out = lines();
    assert.equal(out.length, 2, out.join('\n'));
    for (const l of out) {
      assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[(INFO|WARN)\] /);
      // eslint-disable-next-line no-control-regex -- asserting no control character survives
      assert.doesNotMatch(l, /[\u0000-\u001f\u0085\u2028]/);
    }
    assert.ok(out[0]?.includes('path="/v1/catalog/service/a\\n2099-01-01T00:00:00.000Z [ERROR] forged line\\r\\u0085\\u2028x\\u0000"'), out[0]);
  });

  it('text format: plain values stay bare, values with spaces are quoted', () => {
    const { log, lines } = capture(false);
    log.info('m', { peer: 'west', reason: 'stream ended unexpectedly', n: 3 });
    assert.match(lines()[0] ?? '', / peer=west reason="stream ended unexpectedly" n=3$/);
  });

  it('JSON format: one event is one parseable line with the value intact', () => {
    const { log, lines } = capture(true);
    log.info(FORGED, { peer: FORGED });
    const out = lines();
    assert.equal(out.length, 1);
    const obj = JSON.parse(out[0] as string) as { msg: string; peer: string };
    assert.equal(obj.peer, FORGED);
    assert.equal(obj.msg, FORGED);
  });

  it('cuts huge values in both formats', () => {
    for (const json of [false, true]) {
      const { log, lines } = capture(json);
      log.warn('x'.repeat(5 * 1024 * 1024), { peerId: 'p'.repeat(20 * 1024 * 1024), many: Array.from({ length: 10_000 }, (_, i) => i) });
      const out = lines();
      assert.equal(out.length, 1);
      assert.ok((out[0] as string).length < 4 * MAX_LOG_STRING, `${(out[0] as string).length} characters`);
      assert.match(out[0] as string, /more characters/);
    }
  });

  it('keeps redacting secrets', () => {
    const { log, lines } = capture(true);
    log.info('t', { token: 'super-secret', nested: { SecretID: 'also-secret' } });
    assert.doesNotMatch(lines()[0] as string, /super-secret|also-secret/);
  });
});
