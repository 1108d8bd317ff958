import { configSlice } from '../config/config-slice';
import { ConfigError } from '../config/env-reader';

/** The WeChat mini-program login: the app's credentials and where jscode2session is asked. */
export interface WechatConfig {
  /** Both set, or the mini-program route refuses every request (503): a deployment without WeChat. */
  credentials?: { appid: string; secret: string };
  /** https://api.weixin.qq.com, or a stand-in (the tests' loopback server). */
  apiBase: string;
  /** How long a jscode2session call may take, answer body included, before the login is refused with 503. */
  timeoutMs: number;
}

export const wechatConfig = configSlice<WechatConfig>('wechat', (read) => {
  const appid = read.optionalString('WECHAT_APPID');
  const secret = read.optionalString('WECHAT_SECRET');
  if ((appid === undefined) !== (secret === undefined)) {
    throw new ConfigError(appid === undefined ? 'WECHAT_APPID' : 'WECHAT_SECRET', 'must be set together with the other (WECHAT_APPID and WECHAT_SECRET)');
  }
  if (appid !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(appid)) throw new ConfigError('WECHAT_APPID', 'must be an app id such as wx1234567890abcdef');
  const apiBase = read.string('WECHAT_API_BASE', 'https://api.weixin.qq.com').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new ConfigError('WECHAT_API_BASE', `must be an absolute URL (got "${apiBase}")`);
  }
  // The secret travels in the query string: over plain HTTP only to this machine.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError('WECHAT_API_BASE', `must be an https URL (http only on localhost; got "${apiBase}")`);
  }
  if (url.search || url.hash || url.username || url.password)
    throw new ConfigError('WECHAT_API_BASE', 'must be a base URL without query, fragment or credentials');
  return {
    credentials: appid !== undefined && secret !== undefined ? { appid, secret } : undefined,
    apiBase,
    timeoutMs: read.integer('WECHAT_TIMEOUT_MS', 5000, 50, 30000),
  };
});
