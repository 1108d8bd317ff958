import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENVELOPE_FAMILY } from '../common/envelope';
import type { DatabaseProbe } from '../database/database-probe';
import type { RevocationService } from '../security/revocation.service';
import { DrainState } from './drain-state';
import { livenessBodies } from './health-live.route';
import { HealthController } from './health.controller';

describe('GET /health/live answered before Nest', () => {
  it('sends, in each language, what Nest would render from HealthController.live()', () => {
    const reply = new HealthController({} as DatabaseProbe, {} as RevocationService, new DrainState()).live();
    const bodies = livenessBodies();
    for (const lang of ['zh', 'en'] as const) {
      const rendered = ENVELOPE_FAMILY.renderer.success(200, reply.messageKey, reply.data, lang);
      assert.equal(bodies[lang], JSON.stringify(rendered));
    }
    assert.deepEqual(JSON.parse(bodies.en), { code: 200, message: 'Service is healthy.', msg: 'Service is healthy.', data: { status: 'ok' } });
  });
});
