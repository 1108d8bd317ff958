/** The scopes this server's own routes are guarded by, created at first start. */
export const BUILT_IN_SCOPES = [
  { code: 'userMan', name: '用户管理', description: 'Manage users' },
  { code: 'role', name: '角色与权限管理', description: 'Manage roles and their permissions' },
  { code: 'getJwt', name: '获取个人令牌', description: 'Mint personal access tokens for oneself' },
  { code: 'generateJwt', name: '签发令牌', description: 'Mint tokens for any subject' },
  { code: 'searchSession', name: '查询会话', description: 'Search sessions and minted tokens' },
  { code: 'kickout', name: '踢出会话', description: 'End sessions' },
  { code: 'disable', name: '禁用用户', description: 'Disable and enable users' },
  { code: 'ticket', name: '网关凭证', description: 'Manage API gateway credentials' },
  { code: 'sso', name: '单点登录', description: 'Manage partner single sign-on' },
  { code: 'audit', name: '审计日志', description: 'Read the audit log' },
  { code: 'keyMan', name: '密钥管理', description: 'Rotate signing keys' },
] as const;

/** A scope of the built-in catalog, as the code names it. */
export type BuiltInScope = (typeof BUILT_IN_SCOPES)[number]['code'];
