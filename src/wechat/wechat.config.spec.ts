import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCoreConfig } from '../config/core.config';
import { ConfigError, EnvReader } from '../config/env-reader';
import { wechatConfig } from './wechat.config';

const load = (env: Record<string, string>) => wechatConfig.load(new EnvReader(env), loadCoreConfig(new EnvReader({})));
const refuses = (env: Record<string, string>, variable: string) =>
  assert.throws(
    () => load(env),
    (error: unknown) => error instanceof ConfigError && error.variable === variable,
  );

describe('wechatConfig', () => {
  it("defaults to WeChat's API, a 5 s timeout, and no credentials (the route refuses)", () => {
    assert.deepEqual(load({}), { credentials: undefined, apiBase: 'https://api.weixin.qq.com', timeoutMs: 5000 });
  });

  it('takes the app id and secret together, and a base URL without its trailing slash', () => {
    assert.deepEqual(
      load({ WECHAT_APPID: 'wx1f2e3d4c5b6a7980', WECHAT_SECRET: 's3cr3t', WECHAT_API_BASE: 'http://127.0.0.1:9000/', WECHAT_TIMEOUT_MS: '250' }),
      {
        credentials: { appid: 'wx1f2e3d4c5b6a7980', secret: 's3cr3t' },
        apiBase: 'http://127.0.0.1:9000',
        timeoutMs: 250,
      },
    );
  });

  it('refuses half the credentials, an odd app id, a base the secret could leak from, and a timeout out of range', () => {
    refuses({ WECHAT_APPID: 'wx1f2e3d4c5b6a7980' }, 'WECHAT_SECRET');
    refuses({ WECHAT_SECRET: 's3cr3t' }, 'WECHAT_APPID');
    refuses({ WECHAT_APPID: 'wx 1', WECHAT_SECRET: 's3cr3t' }, 'WECHAT_APPID');
    refuses({ WECHAT_API_BASE: 'api.weixin.qq.com' }, 'WECHAT_API_BASE');
    refuses({ WECHAT_API_BASE: 'http://api.weixin.qq.com' }, 'WECHAT_API_BASE');
    refuses({ WECHAT_API_BASE: 'https://api.weixin.qq.com/?x=1' }, 'WECHAT_API_BASE');
    refuses({ WECHAT_TIMEOUT_MS: '0' }, 'WECHAT_TIMEOUT_MS');
    refuses({ WECHAT_TIMEOUT_MS: '60000' }, 'WECHAT_TIMEOUT_MS');
  });
});
