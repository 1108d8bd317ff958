/**
 * Every text the API sends, in the document's Chinese and in English.
 * The 401 text is the documents' own English sentence in both languages: clients compare it.
 */
/** The languages of the answers (Accept-Language). */
export type Lang = 'zh' | 'en';

/** An answer's text, [Chinese, English]. */
type Text = readonly [zh: string, en: string];
/** A refusal: its HTTP status, then its text. */
type ErrorText = readonly [status: number, zh: string, en: string];

const CATALOG = {
  ok: ['操作成功', 'Operation successful.'],
  'login.success': ['登录成功', 'Login successful.'],
  'logout.success': ['退出成功', 'Logged out.'],
  'fetch.success': ['获取成功', 'Fetched successfully.'],
  'query.success': ['查询成功', 'Query successful.'],
  'update.success': ['修改成功', 'Updated successfully.'],
  'create.success': ['新增成功', 'Created successfully.'],
  'delete.success': ['删除成功', 'Deleted successfully.'],
  'health.ok': ['服务正常', 'Service is healthy.'],
  'error.invalidToken': [401, 'Invalid access token.', 'Invalid access token.'],
  'error.loginFailed': [401, '用户名或密码错误', 'Invalid username or password.'],
  'error.validation': [400, '请求参数错误', 'The request is invalid.'],
  'error.malformedJson': [400, '请求体不是合法的 JSON', 'The request body is not valid JSON.'],
  'error.unsupportedMediaType': [415, '不支持的请求体类型', 'Unsupported content type.'],
  'error.headersTooLarge': [431, '请求头过大', 'The request headers are too large.'],
  'error.requestTimeout': [408, '请求超时', 'The request timed out.'],
  'error.badRequest': [400, '无法解析的请求', 'The request could not be parsed.'],
  'error.payloadTooLarge': [413, '请求体过大', 'The request body is too large.'],
  'error.forbidden': [403, '权限不足', 'You do not have the scope this requires.'],
  'error.notFound': [404, '资源不存在', 'Not found.'],
  'error.invalidId': [400, '无效的 ID', 'The id must be a positive whole number.'],
  'error.userNotFound': [404, '用户不存在', 'No such user.'],
  'error.roleNotFound': [404, '角色不存在', 'No such role.'],
  'error.deptNotFound': [404, '部门不存在', 'No such department.'],
  'error.permissionNotFound': [404, '权限不存在', 'No such permission.'],
  'error.unknownRoles': [400, '包含不存在的角色', 'Some of these roles do not exist.'],
  'error.unknownPermissions': [400, '包含不存在的权限', 'Some of these permissions do not exist.'],
  'error.unknownDept': [400, '部门不存在', 'The department does not exist.'],
  'error.cannotGrant': [403, '不能授予自己没有的权限', 'You cannot grant a scope you do not hold yourself.'],
  'error.usernameTaken': [409, '用户名已存在', 'That username is taken.'],
  'error.phoneTaken': [409, '手机号已被使用', 'That phone number is in use.'],
  'error.emailTaken': [409, '邮箱已被使用', 'That email address is in use.'],
  'error.employeeNoTaken': [409, '工号已被使用', 'That employee number is in use.'],
  'error.roleKeyTaken': [409, '角色权限字符串已存在', 'That role key is taken.'],
  'error.permissionTaken': [409, '权限已存在', 'That permission code exists.'],
  'error.deptNameTaken': [409, '同级部门名称已存在', 'A sibling department has that name.'],
  'error.roleInUse': [409, '角色仍绑定用户，不能删除', 'The role is still bound to users.'],
  'error.permissionInUse': [409, '权限仍被角色使用，不能删除', 'A role still holds this permission.'],
  'error.builtInPermission': [409, '内置权限不能删除', 'A built-in permission cannot be removed.'],
  'error.adminRoleProtected': [409, '管理员角色不能删除或停用', 'The admin role cannot be deleted or disabled.'],
  'error.deptInUse': [409, '部门存在子部门或用户，不能删除', 'The department still has sub-departments or users.'],
  'error.deptCycle': [400, '上级部门不能是自己或下级部门', 'A department cannot move under itself.'],
  'error.expiryInPast': [400, '过期时间必须晚于当前时间', 'expiresAt must be in the future.'],
  'error.expiryTooFar': [400, '过期时间超过允许的最长期限', 'expiresAt is further ahead than MINT_MAX_TTL allows.'],
  'error.noKeysToRotate': [409, '当前使用 HS256，没有可轮换的密钥对', 'JWT_ALG is HS256: there is no key pair to rotate.'],
  'error.notAUser': [403, '该令牌不代表任何用户', 'This token does not speak for a user.'],
  'error.sessionNotFound': [404, '会话不存在', 'No such session.'],
  'error.sessionAlreadyEnded': [409, '会话已结束', 'The session had already ended.'],
  'error.cannotDisableSelf': [409, '不能停用自己', 'You cannot disable yourself.'],
  'error.cannotDeleteSelf': [409, '不能删除自己', 'You cannot delete yourself.'],
  'error.lastAdmin': [409, '不能删除最后一个管理员', 'The last administrator cannot be removed.'],
  'error.registrationClosed': [403, '注册已关闭', 'Registration is closed.'],
  'error.commonPassword': [400, '密码过于常见', 'That password is too common.'],
  'error.passwordTooLong': [400, '密码超过 72 字节', 'The password is longer than 72 bytes.'],
  'error.oldPasswordWrong': [400, '原密码错误', 'The current password is wrong.'],
  'error.fieldNeedsUserMan': [403, '修改该字段需要 userMan 权限', 'Changing this field needs the userMan scope.'],
  'error.routeNotFound': [404, '接口不存在', 'No such route.'],
  'error.methodNotAllowed': [405, '请求方法不被允许', 'Method not allowed.'],
  'error.conflict': [409, '资源冲突', 'Conflict with the current state.'],
  'error.tooManyRequests': [429, '请求过于频繁', 'Too many requests.'],
  'error.loginThrottled': [429, '登录失败次数过多，请稍后再试', 'Too many failed logins; try again later.'],
  'error.databaseUnavailable': [503, '数据库不可用，请稍后重试', 'The database is unavailable; try again later.'],
  'error.internal': [500, '服务器内部错误', 'Internal server error.'],
  'error.refreshMissing': [
    401,
    '缺少刷新令牌（需要 token Cookie 与 X-Refresh-Token 请求头）',
    'A refresh token is required in both the token cookie and the X-Refresh-Token header.',
  ],
  'error.refreshMismatch': [401, 'Cookie 与 X-Refresh-Token 中的刷新令牌不一致', 'The token cookie and the X-Refresh-Token header differ.'],
  'error.refreshInvalid': [401, '刷新令牌无效或已过期', 'The refresh token is invalid or expired.'],
  'error.refreshRaced': [401, '刷新令牌已被并发请求使用', 'The refresh token was just used by a concurrent request.'],
  'error.refreshReused': [401, '刷新令牌被重复使用，会话已吊销', 'The refresh token was reused; the session has been revoked.'],
  'error.sessionBinding': [403, '客户端与登录时不一致，会话已吊销', 'The client differs from the one that logged in; the session has been revoked.'],
  'error.logoutUnauthenticated': [401, '未提供有效的访问令牌或刷新令牌', 'Neither a valid access token nor a valid refresh token was given.'],
  // Grant rules (issue 8, points 1, 2 and 14)
  'error.cannotChangeRole': [
    403,
    '不能修改、绑定或删除拥有你所没有的权限的角色',
    'You cannot change, bind, unbind or delete a role that holds a scope you do not hold yourself.',
  ],
  'error.cannotRemovePermission': [403, '不能删除自己没有的权限', 'You cannot remove a permission you do not hold yourself.'],
  'error.adminRoleComplete': [
    409,
    '管理员角色始终拥有全部权限，不能减少',
    'The admin role always holds every permission of the catalog; its permissions cannot be reduced.',
  ],
  // Hostile input: nesting, URLs the HTTP layer refuses (issue 8, points 15 and 17)
  'error.tooDeep': [400, '请求体嵌套过深（最多 64 层）', 'The request body is nested too deeply (at most 64 levels).'],
  'error.badUrl': [400, '请求地址编码无效', 'The request URL is not validly percent-encoded.'],
  'error.uriTooLong': [414, '请求地址过长', 'The request URL is too long.'],
  'error.expectationFailed': [417, '无法满足 Expect 请求头', 'The Expect header cannot be met.'],
  // API-gateway tickets (issue 12)
  'error.ticketNotFound': [404, '凭证不存在', 'No such ticket.'],
  'error.ticketNameTaken': [409, '该网关已有同名凭证', 'This gateway already has a ticket with that name.'],
  // Revocation catch-up (issue 9, point 3)
  'error.draining': [503, '服务正在停止，请稍后重试', 'This instance is shutting down; try again later.'],
  'error.revocationsBehind': [503, '暂时无法读取撤销记录，请稍后重试', 'This instance cannot read the revocation log yet; try again later.'],
  // The api/v2 family (issue 13, document 002)
  'error.v2LoginFailed': [401, '账号、密码或验证码错误', 'Wrong login, password or verification code.'],
  'error.v2TokenInvalid': [401, '令牌无效或已过期，请重新登录', 'The token is invalid or expired; log in again.'],
  'error.verifyCodeTooSoon': [429, '验证码发送过于频繁，请稍后再试', 'A code was sent to this address moments ago; try again later.'],
  'error.verifyCodeUndeliverable': [503, '验证码暂时无法发送，请稍后重试', 'The verification code cannot be sent right now; try again later.'],
  // Partner single sign-on (issue 11)
  'sso.refusalTitle': ['无法登录', 'Cannot sign in'],
  'sso.refusalHint': ['请返回原系统重新登录。', 'Go back to the application you came from and sign in again.'],
  'error.ssoLinkInvalid': [401, '登录链接无效或已过期', 'The sign-in link is invalid or has expired.'],
  'error.ssoLinkMalformed': [400, '登录链接无效或已过期', 'The sign-in link is invalid or has expired.'],
  'error.ssoCodeInvalid': [401, '登录码无效、已过期或已被使用', 'The sign-in code is invalid, expired or already used.'],
  'error.ssoPartnerNotFound': [404, '合作方不存在', 'No such partner.'],
  'error.ssoIssuerTaken': [409, '已有合作方使用该 issuer', 'Another partner has that issuer.'],
  'error.ssoLandingUrl': [400, 'landingUrl 必须是绝对 https 地址（仅本机可用 http）', 'landingUrl must be an absolute https URL (http only on localhost).'],
  'error.ssoKeyForAlgorithm': [
    400,
    '密钥与算法不符：HS256 使用 secret，RS256 与 ES256 使用 publicKey',
    'The key does not fit the algorithm: HS256 takes a secret, RS256 and ES256 a publicKey.',
  ],
  'error.ssoSecretTooShort': [400, 'HS256 密钥至少 32 字节', 'The HS256 secret must be at least 32 bytes long.'],
  'error.ssoPublicKeyInvalid': [
    400,
    'publicKey 必须是公钥（PEM 或 JWK，不能是私钥）：RS256 为至少 2048 位的 RSA 公钥，ES256 为 P-256 公钥',
    'publicKey must be a public key (PEM or JWK, never a private key): RSA of at least 2048 bits for RS256, P-256 for ES256.',
  ],
  // WeChat mini-program login (issue 13)
  'error.wechatNotConfigured': [503, '本服务未配置微信小程序登录', 'WeChat mini-program login is not configured on this server.'],
  'error.wechatUnavailable': [503, '微信服务暂时不可用，请稍后重试', 'WeChat cannot be reached right now; try again later.'],
  'error.wechatThrottled': [429, '微信登录请求过于频繁，请稍后再试', 'Too many WeChat logins right now; try again later.'],
  'error.wechatCodeInvalid': [401, '微信登录凭证 code 无效、已过期或已被使用', 'The WeChat login code is invalid, expired or already used.'],
  'error.wechatAnswerInvalid': [401, '微信返回了无法识别的应答，请重新登录', 'WeChat answered something unreadable; log in again.'],
  'error.wechatUserDisabled': [401, '该微信绑定的账号已停用', 'The account bound to this WeChat user is disabled.'],
} as const satisfies Record<string, Text | ErrorText>;

export type MessageKey = keyof typeof CATALOG;
/** The keys of refusals: each carries the HTTP status it is answered with. */
export type ErrorKey = { [K in MessageKey]: (typeof CATALOG)[K] extends ErrorText ? K : never }[MessageKey];

export function message(key: MessageKey, lang: Lang): string {
  const entry: Text | ErrorText = CATALOG[key];
  const texts = entry.length === 3 ? entry.slice(1) : entry;
  return texts[lang === 'en' ? 1 : 0] as string;
}

/** The HTTP status a refusal is answered with. */
export function statusOf(key: ErrorKey): number {
  return (CATALOG[key] as ErrorText)[0];
}

/**
 * The documents are Chinese, so Chinese is the default; English when the
 * Accept-Language header ranks an English tag above every Chinese one.
 */
export function preferredLanguage(acceptLanguage: string | undefined): Lang {
  if (!acceptLanguage) return 'zh';
  let best: Lang = 'zh';
  let bestQuality = -1;
  for (const part of acceptLanguage.slice(0, 512).split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const lang: Lang | undefined = tag.startsWith('en') ? 'en' : tag.startsWith('zh') ? 'zh' : undefined;
    if (!lang) continue;
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const quality = qParam ? Number(qParam.trim().slice(2)) : 1;
    if (Number.isFinite(quality) && quality > bestQuality) {
      best = lang;
      bestQuality = quality;
    }
  }
  return best;
}
